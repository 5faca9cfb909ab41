"""Organisations, key custody, rotation and the did:web document."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from credstack.platform.domain import KeyStatus
from credstack.platform.keys import (
    KeyCustody,
    KeyEncryptionKeys,
    did_document,
    mark_compromised,
    rewrap_keys,
    rotate_key,
    signing_key,
)
from credstack.platform.organisations import create_organisation, issuer_profile, organisation_did
from credstack.platform.statuslists import LIST_SIZE, permuted_index
from credstack.proofs.dataintegrity import add_proof, verify_proofs
from credstack.resolve.resolver import CompositeResolver
from credstack.storage.memory import MemoryDatabase
from tests.conftest import make_open_badge

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOST = "credstack.example"


@pytest.fixture
def custody() -> KeyCustody:
    return KeyCustody(KeyEncryptionKeys.generate())


def _org(custody: KeyCustody, slug: str = "uni", db: MemoryDatabase | None = None):  # type: ignore[no-untyped-def]
    db = db or MemoryDatabase()
    uow = db.unit_of_work()
    org = create_organisation(
        uow,
        custody,
        host=HOST,
        slug=slug,
        name="Example University",
        at=T0,
        url="https://uni.example",
        country="NL",
    )
    uow.commit()
    return db, org


def test_organisation_did_encodes_port() -> None:
    assert organisation_did("localhost:8443", "uni") == "did:web:localhost%3A8443:orgs:uni"


def test_create_organisation_bad_slug_refused(custody: KeyCustody) -> None:
    uow = MemoryDatabase().unit_of_work()
    with pytest.raises(InvalidInput):
        create_organisation(uow, custody, host=HOST, slug="Bad Slug", name="X", at=T0)


def test_create_organisation_duplicate_slug_conflict(custody: KeyCustody) -> None:
    db, _ = _org(custody)
    uow = db.unit_of_work()
    with pytest.raises(Conflict):
        create_organisation(uow, custody, host=HOST, slug="uni", name="Other", at=T0)


def test_issuer_profile_carries_country(custody: KeyCustody) -> None:
    _, org = _org(custody)
    profile = issuer_profile(org)
    assert profile["id"] == "did:web:credstack.example:orgs:uni"
    assert profile["address"]["addressCountryCode"] == "NL"


def test_signing_key_opens_and_signs_verifiable(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    key = signing_key(uow, custody, org)
    assert key.verification_method == f"{org.did}#key-1"
    document = did_document(org, uow.keys.for_organisation(org.id))
    signed = add_proof(make_open_badge(org.did), key, created=T0)
    checks = verify_proofs(signed, CompositeResolver(documents=[document]))
    assert [c.verified for c in checks] == [True]


def test_secret_is_encrypted_at_rest(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    stored = uow.keys.for_organisation(org.id)[0]
    seed = signing_key(uow, custody, org).seed
    assert seed not in stored.encrypted_secret
    other = KeyCustody(KeyEncryptionKeys.generate("kek-1"))
    with pytest.raises(ConfigurationError):
        other.open(stored, org)


def test_sealed_secret_bound_to_its_key_record(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    stored = uow.keys.for_organisation(org.id)[0]
    with pytest.raises(ConfigurationError):
        custody.open(replace(stored, id="another-key"), org)


def test_rotation_keeps_old_credentials_verifiable(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    old = add_proof(make_open_badge(org.did), signing_key(uow, custody, org), created=T0)
    rotate_key(uow, custody, org, T0 + timedelta(days=30))
    new_key = signing_key(uow, custody, org)
    assert new_key.verification_method.endswith("#key-2")
    new = add_proof(make_open_badge(org.did), new_key, created=T0 + timedelta(days=31))
    keys = uow.keys.for_organisation(org.id)
    assert [k.status for k in keys] == [KeyStatus.RETIRED, KeyStatus.ACTIVE]
    assert keys[0].retired_at == T0 + timedelta(days=30)
    document = did_document(org, keys)
    assert document["assertionMethod"] == [f"{org.did}#key-1", f"{org.did}#key-2"]
    assert document["authentication"] == [f"{org.did}#key-2"]
    resolver = CompositeResolver(documents=[document])
    assert [c.verified for c in verify_proofs(old, resolver)] == [True]
    assert [c.verified for c in verify_proofs(new, resolver)] == [True]


def test_compromised_key_leaves_assertion_method(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    old = add_proof(make_open_badge(org.did), signing_key(uow, custody, org), created=T0)
    first = uow.keys.for_organisation(org.id)[0]
    replacement = mark_compromised(uow, custody, org, first.id, since=T0, at=T0 + timedelta(days=1))
    assert replacement is not None
    keys = uow.keys.for_organisation(org.id)
    document = did_document(org, keys)
    assert f"{org.did}#key-1" not in document["assertionMethod"]
    checks = verify_proofs(old, CompositeResolver(documents=[document]))
    assert not checks[0].verified
    with pytest.raises(NotFound):
        mark_compromised(uow, custody, org, "nope", since=T0, at=T0)


def test_kek_rotation_rewraps_every_key(custody: KeyCustody) -> None:
    db, org = _org(custody)
    uow = db.unit_of_work()
    rotate_key(uow, custody, org, T0)
    before = signing_key(uow, custody, org).seed
    old_keks = KeyEncryptionKeys.parse(custody._keks.describe())
    new = KeyEncryptionKeys.generate("kek-2")
    both = KeyCustody(KeyEncryptionKeys("kek-2", {**new.keys, **old_keks.keys}))
    assert rewrap_keys(uow, both, [org]) == 2
    assert {k.kek_id for k in uow.keys.for_organisation(org.id)} == {"kek-2"}
    only_new = KeyCustody(new)
    assert signing_key(uow, only_new, org).seed == before


def test_kek_config_parse_errors() -> None:
    with pytest.raises(ConfigurationError):
        KeyEncryptionKeys.parse("")
    with pytest.raises(ConfigurationError):
        KeyEncryptionKeys.parse("kek-1:not base64!")
    with pytest.raises(ConfigurationError):
        KeyEncryptionKeys.parse("kek-1:AAAA")


def test_status_indexes_are_a_permutation() -> None:
    seed = b"s" * 32
    indexes = [permuted_index(seed, i, 4096) for i in range(4096)]
    assert sorted(indexes) == list(range(4096))
    assert indexes[:8] != list(range(8))
    big = {permuted_index(seed, i, LIST_SIZE) for i in range(1000)}
    assert len(big) == 1000
