"""The wallet store behaves the same in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import Conflict, InvalidInput, NotFound
from credstack.platform.wallet import (
    Collection,
    LearnerKey,
    PortfolioProfile,
    ProfileView,
    Visibility,
    WalletStore,
    check_handle,
    new_item,
    set_visibility,
)
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from credstack.storage.wallet_memory import MemoryWalletStore
from credstack.storage.wallet_sql import SqlWalletStore
from tests.contract.conftest import Database

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _store(database: Database) -> WalletStore:
    if isinstance(database, MemoryDatabase):
        return MemoryWalletStore()
    assert isinstance(database, SqlDatabase)
    return SqlWalletStore(database)


def _credential(n: int, *, skills: tuple[str, ...] = ("use Python",)) -> str:
    return json.dumps(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:web:uni.example", "name": "Uni <b>"},
            "validFrom": "2026-04-01T00:00:00Z",
            "credentialSubject": {
                "achievement": {
                    "name": f"Badge {n}",
                    "alignment": [
                        {"targetName": s, "targetUrl": f"http://esco.example/{i}"}
                        for i, s in enumerate(skills)
                    ],
                }
            },
        }
    )


def test_items_round_trip_with_facts_read_from_the_credential(database: Database) -> None:
    store = _store(database)
    first = new_item(store, "u1", _credential(1), source="file", at=T0)
    second = new_item(store, "u1", _credential(2), source="claim", at=T0 + timedelta(hours=1))
    new_item(store, "u2", _credential(1), source="file", at=T0)  # another learner may hold it
    got = store.get_item(first.id)
    assert got == first
    assert got is not None
    assert got.issuer_name == "Uni <b>"
    assert got.achievement_name == "Badge 1"
    assert got.issued_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert [s.name for s in got.skills] == ["use Python"]
    assert [i.id for i in store.items_for("u1")] == [second.id, first.id]  # newest first
    assert store.item_by_share_code(second.share_code) == second
    assert store.item_by_share_code("nope") is None


def test_the_same_credential_twice_is_a_conflict(database: Database) -> None:
    store = _store(database)
    new_item(store, "u1", _credential(1), source="file", at=T0)
    with pytest.raises(Conflict):
        new_item(store, "u1", _credential(1), source="file", at=T0)
    assert len(store.items_for("u1")) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        ('{"type": ["Thing"]}', "not a verifiable credential"),
        ('{"type": ["VerifiableCredential"]}', "names no issuer"),
    ],
)
def test_bad_credentials_are_refused_and_nothing_stored(
    database: Database, text: str, message: str
) -> None:
    store = _store(database)
    with pytest.raises(InvalidInput, match=message):
        new_item(store, "u1", text, source="file", at=T0)
    assert store.items_for("u1") == []


def test_visibility_and_shared_items(database: Database) -> None:
    store = _store(database)
    a = new_item(store, "u1", _credential(1), source="file", at=T0)
    b = new_item(store, "u1", _credential(2), source="file", at=T0 + timedelta(minutes=1))
    assert store.shared_items(["u1"]) == []  # private by default
    set_visibility(store, "u1", a.id, Visibility.PUBLIC)
    set_visibility(store, "u1", b.id, Visibility.LINK)
    assert {i.id for i in store.shared_items(["u1"])} == {a.id, b.id}
    set_visibility(store, "u1", b.id, Visibility.PRIVATE)
    assert [i.id for i in store.shared_items(["u1"])] == [a.id]
    with pytest.raises(NotFound):
        set_visibility(store, "u2", a.id, Visibility.PRIVATE)  # not theirs
    with pytest.raises(NotFound):
        store.update_item(replace(a, id="missing"))


def test_deleting_an_item_takes_it_out_of_collections(database: Database) -> None:
    store = _store(database)
    a = new_item(store, "u1", _credential(1), source="file", at=T0)
    b = new_item(store, "u1", _credential(2), source="file", at=T0)
    store.save_collection(Collection("c1", "u1", "Data", T0, (a.id, b.id)))
    store.save_collection(Collection("c2", "u1", "analytics", T0, (b.id,)))
    assert [c.name for c in store.collections_for("u1")] == ["analytics", "Data"]
    assert store.delete_item(b.id)
    assert not store.delete_item(b.id)
    assert {c.id: c.item_ids for c in store.collections_for("u1")} == {"c1": (a.id,), "c2": ()}
    assert store.delete_collection("c2")
    assert [c.id for c in store.collections_for("u1")] == ["c1"]


def test_profiles_handles_are_unique_and_search_is_opt_in(database: Database) -> None:
    store = _store(database)
    store.save_profile(PortfolioProfile("u1", "ann", "Ann", updated_at=T0))
    store.save_profile(PortfolioProfile("u2", "bo", "Bo", searchable=True, updated_at=T0))
    with pytest.raises(Conflict):
        store.save_profile(PortfolioProfile("u3", "ann", "Other Ann"))
    assert [p.user_id for p in store.searchable_profiles()] == ["u2"]
    store.save_profile(PortfolioProfile("u1", "ann", "Ann A.", searchable=True, updated_at=T0))
    assert store.profile_by_handle("ann") == PortfolioProfile("u1", "ann", "Ann A.", "", True, T0)
    assert [p.user_id for p in store.searchable_profiles()] == ["u1", "u2"]


def test_views_and_keys(database: Database) -> None:
    store = _store(database)
    store.add_view(ProfileView("v1", "u1", "e1", "hr@corp.example", "python", T0))
    store.add_view(ProfileView("v2", "u1", "e2", "x@y.example", "sql", T0 + timedelta(days=1)))
    assert [v.id for v in store.views_for("u1")] == ["v2", "v1"]
    assert store.views_for("u2") == []
    key = LearnerKey("u1", "did:key:z6Mk", b"\x00sealed", "kek-1", T0)
    store.add_key(key)
    assert store.key_for("u1") == key
    with pytest.raises(Conflict):
        store.add_key(key)


def test_handles_are_checked() -> None:
    assert check_handle(" Ann-Lee ") == "ann-lee"
    for bad in ("a", "-ann", "ann-", "ann lee", "<b>", "x" * 41):
        with pytest.raises(InvalidInput):
            check_handle(bad)
