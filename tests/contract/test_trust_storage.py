"""The trust store behaves the same in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import Conflict, NotFound
from credstack.platform.trust import EmployerChoice, StoredAccreditation, TrustStore
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from credstack.storage.trust_memory import MemoryTrustStore
from credstack.storage.trust_sql import SqlTrustStore
from credstack.trust.model import EntryRole, Registry, RegistrySource, new_entry, new_registry
from tests.contract.conftest import Database

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
A = "did:web:a.example"
B = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _store(database: Database) -> TrustStore:
    if isinstance(database, MemoryDatabase):
        return MemoryTrustStore()
    assert isinstance(database, SqlDatabase)
    return SqlTrustStore(database)


def _registry(registry_id: str = "eu", *, default: bool = False, entries: int = 2) -> Registry:
    listed = (
        new_entry(
            A,
            "University A",
            valid_from=T0,
            valid_until=T0 + timedelta(days=365),
            scope=["Badge", "MicroCredential"],
            url="https://a.example",
        ),
        new_entry(B, "Accreditation Body B", role=EntryRole.ACCREDITOR),
        new_entry(B, "B as an issuer"),
    )[:entries]
    return new_registry(
        registry_id,
        f"Registry {registry_id}",
        RegistrySource.SIGNED_LIST,
        entries=listed,
        description="Higher education institutions",
        default=default,
        publisher="did:web:publisher.example",
        list_id="https://publisher.example/list",
        list_valid_from=T0,
        list_valid_until=T0 + timedelta(days=30),
        updated_at=T0,
    )


def test_registry_round_trip_with_entries(database: Database) -> None:
    store = _store(database)
    registry = _registry(entries=3)
    store.add_registry(registry)
    got = store.get_registry("eu")
    assert got is not None
    assert replace(got, entries=()) == replace(registry, entries=())
    assert set(got.entries) == set(registry.entries)
    first = next(e for e in got.entries if e.did == A)
    assert first.scope == ("Badge", "MicroCredential")
    assert first.valid_until == T0 + timedelta(days=365)
    assert first.url == "https://a.example"
    assert store.get_registry("nope") is None


def test_an_id_is_taken_once(database: Database) -> None:
    store = _store(database)
    store.add_registry(_registry())
    with pytest.raises(Conflict):
        store.add_registry(_registry())


def test_listing_has_no_entries_but_counts_them(database: Database) -> None:
    store = _store(database)
    store.add_registry(_registry("zz", entries=1))
    store.add_registry(_registry("aa", default=True, entries=3))
    store.add_registry(new_registry("empty", "Another", RegistrySource.LOCAL, updated_at=T0))
    listed = store.registries()
    assert [r.id for r in listed] == ["empty", "aa", "zz"]  # by name, then id
    assert all(r.entries == () for r in listed)
    assert listed[1].default is True
    assert store.entry_counts() == {"zz": 1, "aa": 3, "empty": 0}


def test_replace_swaps_every_entry(database: Database) -> None:
    store = _store(database)
    store.add_registry(_registry(entries=3))
    newer = new_registry(
        "eu",
        "Registry eu, edition 2",
        RegistrySource.SIGNED_LIST,
        entries=(new_entry("did:web:c.example", "C"),),
        publisher="did:web:publisher.example",
        updated_at=T0 + timedelta(days=1),
    )
    store.replace_registry(newer)
    got = store.get_registry("eu")
    assert got is not None
    assert got.name == "Registry eu, edition 2"
    assert [e.did for e in got.entries] == ["did:web:c.example"]
    assert store.entries_for([A]) == {}
    with pytest.raises(NotFound):
        store.replace_registry(replace(newer, id="other"))


def test_entries_for_finds_dids_across_registries(database: Database) -> None:
    store = _store(database)
    store.add_registry(_registry("one", entries=3))
    store.add_registry(_registry("two", entries=1))
    found = store.entries_for([A, "did:web:unknown.example"])
    assert sorted(found) == ["one", "two"]
    assert [e.name for e in found["one"]] == ["University A"]
    by_b = store.entries_for([B])
    assert sorted(e.role.value for e in by_b["one"]) == ["accreditor", "issuer"]
    assert store.entries_for([]) == {}


def test_entries_added_and_removed_one_by_one(database: Database) -> None:
    store = _store(database)
    store.add_registry(new_registry("local", "Ours", RegistrySource.LOCAL, updated_at=T0))
    later = T0 + timedelta(hours=1)
    store.add_entry("local", new_entry(A, "A"), later)
    store.add_entry("local", new_entry(A, "A accredits", role=EntryRole.ACCREDITOR), later)
    with pytest.raises(Conflict):
        store.add_entry("local", new_entry(A, "A again"), later)
    with pytest.raises(NotFound):
        store.add_entry("missing", new_entry(A, "A"), later)
    got = store.get_registry("local")
    assert got is not None
    assert len(got.entries) == 2
    assert got.updated_at == later
    assert store.remove_entry("local", A, EntryRole.ISSUER, later) is True
    assert store.remove_entry("local", A, EntryRole.ISSUER, later) is False
    got = store.get_registry("local")
    assert got is not None
    assert [(e.did, e.role) for e in got.entries] == [(A, EntryRole.ACCREDITOR)]


def test_default_flag_and_removal(database: Database) -> None:
    store = _store(database)
    store.add_registry(_registry())
    store.set_default("eu", True, T0 + timedelta(days=2))
    got = store.get_registry("eu")
    assert got is not None
    assert got.default is True
    assert got.updated_at == T0 + timedelta(days=2)
    with pytest.raises(NotFound):
        store.set_default("nope", True, T0)
    assert store.remove_registry("eu") is True
    assert store.remove_registry("eu") is False
    assert store.get_registry("eu") is None
    assert store.entries_for([A]) == {}


def test_accreditations_by_issuer(database: Database) -> None:
    store = _store(database)
    first = StoredAccreditation("urn:uuid:1", B, A, '{"id":"urn:uuid:1"}', T0)
    second = StoredAccreditation("urn:uuid:2", B, "did:web:c.example", "{}", T0)
    third = StoredAccreditation("urn:uuid:3", "did:web:d.example", A, "{}", T0 + timedelta(1))
    for record in (third, first, second):
        store.add_accreditation(record)
    with pytest.raises(Conflict):
        store.add_accreditation(first)
    assert store.accreditations(issuer=A) == [first, third]
    assert [a.id for a in store.accreditations()] == ["urn:uuid:1", "urn:uuid:2", "urn:uuid:3"]
    assert store.remove_accreditation("urn:uuid:1") is True
    assert store.remove_accreditation("urn:uuid:1") is False
    assert store.accreditations(issuer=A) == [third]


def test_employer_choices(database: Database) -> None:
    store = _store(database)
    assert store.get_choice("u1") is None
    store.save_choice(EmployerChoice("u1", ("eu", "dcc"), T0))
    store.save_choice(EmployerChoice("u2", (), T0))
    assert store.get_choice("u1") == EmployerChoice("u1", ("eu", "dcc"), T0)
    store.save_choice(EmployerChoice("u1", ("dcc",), T0 + timedelta(1)))
    assert store.get_choice("u1") == EmployerChoice("u1", ("dcc",), T0 + timedelta(1))
    assert store.get_choice("u2") == EmployerChoice("u2", (), T0)
    assert store.clear_choice("u1") is True
    assert store.clear_choice("u1") is False
    assert store.get_choice("u1") is None
