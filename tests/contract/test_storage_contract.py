"""The storage contract: every backend (memory, SQLite, PostgreSQL) keeps the rules of
:mod:`credstack.platform.ports` the same way."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from credstack.errors import Conflict, CredstackError, InvalidInput, NotFound, Unavailable
from credstack.platform.domain import (
    AchievementStatus,
    AchievementVersion,
    ApiToken,
    Challenge,
    Endorsement,
    IssuanceJob,
    IssuedCredential,
    JobRow,
    JobStatus,
    KeyStatus,
    Membership,
    Organisation,
    Role,
    RowStatus,
    SigningKey,
    StatusList,
    User,
    UserKind,
)
from credstack.platform.ports import UnitOfWork
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase

NOW = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
LIST_SIZE = 131_072

Database = MemoryDatabase | SqlDatabase


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def org(n: int = 1, **changes: Any) -> Organisation:
    base = Organisation(
        id=f"org-{n}",
        slug=f"org{n}",
        name=f"Organisation {n}",
        did=f"did:web:example.org:orgs:org{n}",
    )
    return dataclasses.replace(base, **changes)


def key(n: int = 1, organisation_id: str = "org-1", **changes: Any) -> SigningKey:
    base = SigningKey(
        id=f"key-{n}",
        organisation_id=organisation_id,
        fragment=f"key-{n}",
        public_key_multibase=f"z6Mk{n}",
        encrypted_secret=bytes(range(256)),
        kek_id="kek-1",
        status=KeyStatus.ACTIVE,
        activated_at=at(n),
    )
    return dataclasses.replace(base, **changes)


def achievement(
    version_id: str = "av-1", achievement_id: str = "ach-1", version: int = 1, **changes: Any
) -> AchievementVersion:
    base = AchievementVersion(
        id=version_id,
        achievement_id=achievement_id,
        organisation_id="org-1",
        version=version,
        status=AchievementStatus.DRAFT,
        data={"name": "Welding", "n": version},
        created_at=at(version),
    )
    return dataclasses.replace(base, **changes)


def status_list(list_id: str = "sl-1", **changes: Any) -> StatusList:
    base = StatusList(
        id=list_id,
        organisation_id="org-1",
        purpose="revocation",
        size=LIST_SIZE,
        bits=bytes(LIST_SIZE // 8),
        allocated=0,
        version=1,
        updated_at=NOW,
        index_seed=b"\x00\x01\xfe\xff" * 8,
    )
    return dataclasses.replace(base, **changes)


def credential(n: int = 1, **changes: Any) -> IssuedCredential:
    base = IssuedCredential(
        id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        organisation_id="org-1",
        achievement_version_id="av-1",
        credential_json='{"id": "x", "name": "caf\u00e9 \U0001f600"}',
        issued_at=at(n),
    )
    return dataclasses.replace(base, **changes)


def job(n: int = 1, **changes: Any) -> IssuanceJob:
    base = IssuanceJob(
        id=f"job-{n}",
        organisation_id="org-1",
        achievement_version_id="av-1",
        status=JobStatus.PENDING,
        dry_run=False,
        total=3,
        issued=0,
        invalid=0,
        created_at=at(n),
    )
    return dataclasses.replace(base, **changes)


def job_row(line: int, job_id: str = "job-1", **changes: Any) -> JobRow:
    base = JobRow(
        job_id=job_id,
        line=line,
        idempotency_key=f"row-{line}",
        payload={"email": f"learner{line}@example.org", "line": line},
        status=RowStatus.PENDING,
    )
    return dataclasses.replace(base, **changes)


def user(n: int = 1, **changes: Any) -> User:
    base = User(
        id=f"user-{n}",
        email=f"user{n}@example.org",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        kind=UserKind.STAFF,
        created_at=NOW,
    )
    return dataclasses.replace(base, **changes)


def token(n: int = 1, **changes: Any) -> ApiToken:
    base = ApiToken(
        id=f"tok-{n}",
        user_id="user-1",
        token_hash=f"{n:064x}",
        scopes=frozenset({"issue", "revoke"}),
        created_at=NOW,
        expires_at=at(3600),
    )
    return dataclasses.replace(base, **changes)


def endorsement(n: int = 1, **changes: Any) -> Endorsement:
    base = Endorsement(
        id=f"urn:uuid:e-{n}",
        endorser_organisation_id="org-1",
        subject_id="did:web:example.org:orgs:org2",
        credential_json='{"type": ["EndorsementCredential"]}',
        created_at=at(n),
    )
    return dataclasses.replace(base, **changes)


def challenge(value: str = "c-1", **changes: Any) -> Challenge:
    base = Challenge(value=value, domain="example.org", created_at=NOW, expires_at=at(300))
    return dataclasses.replace(base, **changes)


def seeded(database: Database) -> UnitOfWork:
    """A unit of work with org-1, org-2, av-1, sl-1, job-1 and user-1 committed."""
    uow: UnitOfWork = database.unit_of_work()
    uow.organisations.add(org(1))
    uow.organisations.add(org(2))
    uow.achievements.add(achievement())
    uow.status_lists.add(status_list())
    uow.jobs.add(job())
    uow.users.add(user())
    uow.commit()
    return uow


# round trips -------------------------------------------------------------------------------


def test_add_then_get_round_trips_every_record_exactly(database: Database) -> None:
    uow = seeded(database)
    bits = bytes((i * 37) % 256 for i in range(LIST_SIZE // 8))
    records: dict[str, Any] = {
        "organisation": org(
            3,
            url="https://example.org/",
            email="info@example.org",
            image="https://example.org/logo.png",
            country="NL",
            address={"street": "Stra\u00dfe 1", "lines": [1, 2.5, True, None], "n": {"x": -1}},
            created_at=NOW.astimezone(PLUS_TWO),
        ),
        "key": key(
            7,
            status=KeyStatus.COMPROMISED,
            retired_at=at(10),
            compromised_since=at(5).astimezone(PLUS_TWO),
        ),
        "achievement": achievement(
            "av-2",
            "ach-2",
            status=AchievementStatus.PUBLISHED,
            data={"name": "\u00e9\u00e8 \U0001f600", "float": 0.1, "big": 2**53, "list": []},
            published_at=at(9),
        ),
        "status_list": status_list("sl-2", bits=bits, allocated=7, version=3),
        "job": job(
            2, status=JobStatus.FAILED, dry_run=True, finished_at=at(99), error="boom\nline 2"
        ),
        "user": user(2, kind=UserKind.LEARNER, did="did:key:z6Mkabc"),
        "token": token(1, organisation_id="org-1", revoked_at=at(60)),
        "endorsement": endorsement(1),
        "challenge": challenge("c-9", used_at=None),
    }
    uow.organisations.add(records["organisation"])
    uow.keys.add(dataclasses.replace(records["key"], organisation_id="org-3"))
    uow.achievements.add(records["achievement"])
    uow.status_lists.add(records["status_list"])
    uow.jobs.add(records["job"])
    uow.users.add(records["user"])
    uow.tokens.add(records["token"])
    uow.endorsements.add(records["endorsement"])
    uow.challenges.add(records["challenge"])
    uow.credentials.add(credential(1))
    full_credential = credential(
        2,
        status_list_id="sl-1",
        status_index=4242,
        recipient_email_hash="sha256$abc",
        recipient_did="did:key:z6Mkabc",
        idempotency_key="idem-2",
        request_digest="d" * 64,
        job_id="job-1",
        supersedes=credential(1).id,
        revoked_at=at(77),
        revocation_reason="mistake",
    )
    uow.credentials.add(full_credential)
    uow.jobs.add_rows([job_row(2, error="bad", credential_id=full_credential.id)])
    uow.users.add_membership(Membership("user-2", "org-3", Role.OWNER))
    uow.commit()

    fresh: UnitOfWork = database.unit_of_work()
    assert fresh.organisations.get("org-3") == records["organisation"]
    assert fresh.keys.for_organisation("org-3") == [
        dataclasses.replace(records["key"], organisation_id="org-3")
    ]
    assert fresh.achievements.get_version("av-2") == records["achievement"]
    stored_list = fresh.status_lists.get("sl-2")
    assert stored_list == records["status_list"]
    assert stored_list is not None
    assert stored_list.bits == bits
    assert len(bits) == 16_384
    assert fresh.jobs.get("job-2") == records["job"]
    assert fresh.users.get("user-2") == records["user"]
    assert fresh.tokens.get_by_hash(records["token"].token_hash) == records["token"]
    assert fresh.endorsements.get(records["endorsement"].id) == records["endorsement"]
    assert fresh.credentials.get(full_credential.id) == full_credential
    assert list(fresh.jobs.rows("job-1")) == [
        job_row(2, error="bad", credential_id=full_credential.id)
    ]
    assert fresh.users.memberships("user-2") == [Membership("user-2", "org-3", Role.OWNER)]
    stored_org = fresh.organisations.get("org-3")
    assert stored_org is not None
    assert stored_org.created_at is not None
    assert stored_org.created_at.utcoffset() == timedelta(0)
    assert stored_org.created_at.microsecond == 891234
    stored_key = fresh.keys.for_organisation("org-3")[0]
    assert isinstance(stored_key.encrypted_secret, bytes)
    assert stored_key.status is KeyStatus.COMPROMISED
    assert fresh.challenges.consume("c-9", NOW) == dataclasses.replace(
        records["challenge"], used_at=NOW
    )


def test_get_returns_none_when_absent(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    assert uow.organisations.get("nope") is None
    assert uow.organisations.get_by_slug("nope") is None
    assert uow.achievements.get_version("nope") is None
    assert uow.credentials.get("nope") is None
    assert uow.credentials.get_by_idempotency_key("org-1", "nope") is None
    assert uow.status_lists.get("nope") is None
    assert uow.status_lists.open_list("org-1", "revocation") is None
    assert uow.jobs.get("nope") is None
    assert uow.users.get("nope") is None
    assert uow.users.get_by_email("nope@example.org") is None
    assert uow.tokens.get_by_hash("nope") is None
    assert uow.endorsements.get("nope") is None
    assert uow.organisations.list() == []
    assert uow.keys.for_organisation("nope") == []
    assert uow.achievements.versions("nope") == []
    assert uow.achievements.for_organisation("nope") == []
    assert uow.credentials.for_organisation("nope", limit=10, offset=0) == ([], 0)
    assert uow.credentials.for_recipient(email_hash="nope", did="nope") == []
    assert uow.credentials.for_recipient() == []
    assert uow.jobs.for_organisation("nope") == []
    assert uow.jobs.pending_rows("nope", limit=10) == []
    assert list(uow.jobs.rows("nope")) == []
    assert uow.users.memberships("nope") == []
    assert uow.endorsements.for_subject("nope") == []
    assert uow.endorsements.by_endorser("nope") == []


def test_returned_records_do_not_share_state_with_storage(database: Database) -> None:
    uow = seeded(database)
    got = uow.achievements.get_version("av-1")
    assert got is not None
    got.data["name"] = "changed"
    again = uow.achievements.get_version("av-1")
    assert again is not None
    assert again.data["name"] == "Welding"


def test_add_json_payload_normalised_like_json(database: Database) -> None:
    uow = seeded(database)
    uow.achievements.add(achievement("av-2", "ach-2", data={"t": (1, 2), "k": {"b": 1, "a": 2}}))
    got = uow.achievements.get_version("av-2")
    assert got is not None
    assert got.data == {"t": [1, 2], "k": {"b": 1, "a": 2}}
    assert list(got.data["k"]) == ["b", "a"]


def test_add_non_json_payload_raises_invalid_input(database: Database) -> None:
    uow = seeded(database)
    with pytest.raises(InvalidInput):
        uow.achievements.add(achievement("av-2", "ach-2", data={"x": float("nan")}))
    with pytest.raises(InvalidInput):
        uow.jobs.add_rows([job_row(2, payload={"x": object()})])
    assert uow.achievements.get_version("av-2") is None


def test_add_naive_datetime_raises_invalid_input(database: Database) -> None:
    uow = seeded(database)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        uow.challenges.add(challenge(expires_at=datetime(2026, 1, 1)))
    with pytest.raises(InvalidInput):
        uow.credentials.mark_revoked("x", datetime(2026, 1, 1), None)


# conflicts ---------------------------------------------------------------------------------


def test_add_existing_primary_key_raises_conflict(database: Database) -> None:
    uow = seeded(database)
    uow.keys.add(key(1))
    uow.credentials.add(credential(1))
    uow.tokens.add(token(1))
    uow.endorsements.add(endorsement(1))
    uow.challenges.add(challenge())
    uow.jobs.add_rows([job_row(2)])
    uow.users.add_membership(Membership("user-1", "org-1", Role.ISSUER))
    attempts = [
        lambda: uow.organisations.add(org(1, slug="other")),
        lambda: uow.keys.add(key(1, fragment="other")),
        lambda: uow.achievements.add(achievement(achievement_id="ach-9")),
        lambda: uow.credentials.add(credential(1)),
        lambda: uow.status_lists.add(status_list()),
        lambda: uow.jobs.add(job(1)),
        lambda: uow.jobs.add_rows([job_row(2, idempotency_key="fresh")]),
        lambda: uow.users.add(user(1, email="other@example.org")),
        lambda: uow.users.add_membership(Membership("user-1", "org-1", Role.VIEWER)),
        lambda: uow.tokens.add(token(1, token_hash="f" * 64)),
        lambda: uow.endorsements.add(endorsement(1)),
        lambda: uow.challenges.add(challenge()),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()


def test_add_taken_unique_key_raises_conflict(database: Database) -> None:
    uow = seeded(database)
    uow.keys.add(key(1))
    uow.tokens.add(token(1))
    uow.credentials.add(credential(1, idempotency_key="k", status_list_id="sl-1", status_index=5))
    uow.jobs.add_rows([job_row(2)])
    attempts = [
        lambda: uow.organisations.add(org(9, slug="org1")),
        lambda: uow.users.add(user(9, email="user1@example.org")),
        lambda: uow.tokens.add(token(9, token_hash=token(1).token_hash)),
        lambda: uow.credentials.add(credential(9, idempotency_key="k")),
        lambda: uow.credentials.add(credential(9, status_list_id="sl-1", status_index=5)),
        lambda: uow.jobs.add_rows([job_row(3, idempotency_key="row-2")]),
        lambda: uow.keys.add(key(9, fragment="key-1")),
        lambda: uow.achievements.add(achievement("av-9", "ach-1", version=1)),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()


def test_idempotency_key_is_unique_per_organisation_only(database: Database) -> None:
    uow = seeded(database)
    uow.achievements.add(achievement("av-o2", "ach-o2", organisation_id="org-2"))
    uow.credentials.add(credential(1, idempotency_key="same"))
    uow.credentials.add(
        credential(
            2, idempotency_key="same", organisation_id="org-2", achievement_version_id="av-o2"
        )
    )
    uow.credentials.add(credential(3))
    uow.credentials.add(credential(4))
    uow.commit()
    one = uow.credentials.get_by_idempotency_key("org-1", "same")
    two = uow.credentials.get_by_idempotency_key("org-2", "same")
    assert one is not None
    assert one.id == credential(1).id
    assert two is not None
    assert two.id == credential(2).id


def test_get_by_idempotency_keys_returns_found_keys_only(database: Database) -> None:
    uow = seeded(database)
    uow.achievements.add(achievement("av-o2", "ach-o2", organisation_id="org-2"))
    uow.credentials.add_many([credential(n, idempotency_key=f"k{n}") for n in range(1, 4)])
    uow.credentials.add(
        credential(9, idempotency_key="k1", organisation_id="org-2", achievement_version_id="av-o2")
    )
    found = uow.credentials.get_by_idempotency_keys("org-1", ["k1", "k3", "k3", "missing"])
    assert found == {
        "k1": credential(1, idempotency_key="k1"),
        "k3": credential(3, idempotency_key="k3"),
    }
    assert uow.credentials.get_by_idempotency_keys("org-1", []) == {}
    many = [f"x{n}" for n in range(1200)] + ["k2"]
    assert list(uow.credentials.get_by_idempotency_keys("org-1", many)) == ["k2"]


def test_update_to_taken_unique_key_raises_conflict(database: Database) -> None:
    uow = seeded(database)
    uow.users.add(user(2))
    uow.tokens.add(token(1))
    uow.tokens.add(token(2))
    with pytest.raises(Conflict):
        uow.organisations.update(org(2, slug="org1"))
    with pytest.raises(Conflict):
        uow.users.update(user(2, email="user1@example.org"))
    with pytest.raises(Conflict):
        uow.tokens.update(token(2, token_hash=token(1).token_hash))
    org2 = uow.organisations.get("org-2")
    assert org2 is not None
    assert org2.slug == "org2"


def test_add_unknown_reference_raises_conflict(database: Database) -> None:
    uow = seeded(database)
    attempts = [
        lambda: uow.keys.add(key(1, organisation_id="org-404")),
        lambda: uow.credentials.add(credential(1, achievement_version_id="av-404")),
        lambda: uow.credentials.add(credential(1, status_list_id="sl-404", status_index=1)),
        lambda: uow.jobs.add_rows([job_row(2, job_id="job-404")]),
        lambda: uow.users.add_membership(Membership("user-404", "org-1", Role.OWNER)),
        lambda: uow.tokens.add(token(1, user_id="user-404")),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()


def test_conflict_leaves_unit_of_work_usable(database: Database) -> None:
    uow = seeded(database)
    uow.organisations.add(org(3))
    with pytest.raises(Conflict):
        uow.organisations.add(org(4, slug="org3"))
    uow.organisations.add(org(5))
    uow.commit()
    slugs = [o.slug for o in database.unit_of_work().organisations.list()]
    assert slugs == ["org1", "org2", "org3", "org5"]


def test_large_batches_round_trip_and_stay_all_or_nothing(database: Database) -> None:
    """Batches big enough for PostgreSQL's COPY path: values read back exactly, and one
    clash refuses the whole batch while the unit of work stays usable."""
    uow = seeded(database)
    batch = [credential(n, idempotency_key=f"k{n}", recipient_did=None) for n in range(1, 301)]
    uow.credentials.add_many(batch)
    clash = [credential(n, idempotency_key=f"x{n}") for n in range(400, 550)] + [
        credential(600, idempotency_key="k7")
    ]
    with pytest.raises(Conflict):
        uow.credentials.add_many(clash)
    assert uow.credentials.get(credential(400).id) is None
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    assert fresh.credentials.get(batch[150].id) == batch[150]
    assert fresh.credentials.for_organisation("org-1", limit=1000, offset=0)[1] == 300


def test_add_many_is_all_or_nothing(database: Database) -> None:
    uow = seeded(database)
    batch = [credential(1), credential(2), credential(1)]
    with pytest.raises(Conflict):
        uow.credentials.add_many(batch)
    assert uow.credentials.get(credential(2).id) is None
    with pytest.raises(Conflict):
        uow.jobs.add_rows([job_row(2), job_row(3), job_row(4, idempotency_key="row-2")])
    assert list(uow.jobs.rows("job-1")) == []
    uow.credentials.add_many([credential(n) for n in range(1, 6)])
    uow.credentials.add_many([])
    uow.commit()
    assert database.unit_of_work().credentials.for_organisation("org-1", limit=10, offset=0)[1] == 5


# updates -----------------------------------------------------------------------------------


def test_update_missing_record_raises_not_found(database: Database) -> None:
    uow = seeded(database)
    attempts = [
        lambda: uow.organisations.update(org(9)),
        lambda: uow.keys.update(key(9)),
        lambda: uow.achievements.update(achievement("av-9")),
        lambda: uow.jobs.update(job(9)),
        lambda: uow.jobs.update_rows([job_row(99)]),
        lambda: uow.users.update(user(9)),
        lambda: uow.tokens.update(token(9)),
        lambda: uow.status_lists.update(status_list("sl-9"), expected_version=1),
        lambda: uow.credentials.mark_revoked("urn:uuid:nope", NOW, None),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()


def test_update_replaces_record(database: Database) -> None:
    uow = seeded(database)
    uow.keys.add(key(1))
    uow.tokens.add(token(1))
    uow.organisations.update(org(1, name="Renamed", address={"city": "Delft"}))
    uow.keys.update(key(1, status=KeyStatus.RETIRED, retired_at=at(50)))
    uow.achievements.update(achievement(status=AchievementStatus.RETIRED, data={"v": 2}))
    uow.jobs.update(job(1, status=JobStatus.DONE, issued=3, finished_at=at(9)))
    uow.users.update(user(1, did="did:key:z6Mkx"))
    uow.tokens.update(token(1, revoked_at=at(7)))
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    assert fresh.organisations.get("org-1") == org(1, name="Renamed", address={"city": "Delft"})
    assert fresh.keys.for_organisation("org-1") == [
        key(1, status=KeyStatus.RETIRED, retired_at=at(50))
    ]
    assert fresh.achievements.get_version("av-1") == achievement(
        status=AchievementStatus.RETIRED, data={"v": 2}
    )
    assert fresh.jobs.get("job-1") == job(1, status=JobStatus.DONE, issued=3, finished_at=at(9))
    assert fresh.users.get_by_email("user1@example.org") == user(1, did="did:key:z6Mkx")
    assert fresh.tokens.get_by_hash(token(1).token_hash) == token(1, revoked_at=at(7))


def test_update_status_list_with_expected_version_bumps_version(database: Database) -> None:
    uow = seeded(database)
    bits = bytearray(LIST_SIZE // 8)
    bits[0] = 0x80
    bits[-1] = 0x01
    uow.status_lists.update(
        status_list(bits=bytes(bits), allocated=1, version=2, updated_at=at(1)), expected_version=1
    )
    uow.commit()
    stored = database.unit_of_work().status_lists.get("sl-1")
    assert stored == status_list(bits=bytes(bits), allocated=1, version=2, updated_at=at(1))


def test_update_status_list_with_stale_version_raises_conflict(database: Database) -> None:
    uow = seeded(database)
    uow.status_lists.update(status_list(allocated=1, version=2), expected_version=1)
    with pytest.raises(Conflict):
        uow.status_lists.update(status_list(allocated=2, version=2), expected_version=1)
    stored = uow.status_lists.get("sl-1")
    assert stored is not None
    assert (stored.version, stored.allocated) == (2, 1)


def test_concurrent_status_list_update_raises_conflict(database: Database) -> None:
    seeded(database)
    first: UnitOfWork = database.unit_of_work()
    second: UnitOfWork = database.unit_of_work()
    mine = first.status_lists.get("sl-1")
    theirs = second.status_lists.get("sl-1")
    assert mine is not None
    assert theirs is not None
    second.status_lists.update(dataclasses.replace(theirs, allocated=1), expected_version=1)
    second.commit()

    def update_then_commit() -> None:
        # memory notices at commit, SQL at the UPDATE (PostgreSQL: 0 rows, SQLite: stale snapshot)
        first.status_lists.update(dataclasses.replace(mine, allocated=5), expected_version=1)
        first.commit()

    with pytest.raises(Conflict):
        update_then_commit()
    first.rollback()
    stored = first.status_lists.get("sl-1")
    assert stored is not None
    assert (stored.version, stored.allocated) == (2, 1)


def test_open_list_returns_fullest_list_with_free_entries(database: Database) -> None:
    uow = seeded(database)
    uow.status_lists.add(status_list("sl-full", allocated=LIST_SIZE))
    uow.status_lists.add(status_list("sl-busy", allocated=100))
    uow.status_lists.add(status_list("sl-other-purpose", purpose="suspension", allocated=500))
    uow.status_lists.add(status_list("sl-other-org", organisation_id="org-2", allocated=900))
    found = uow.status_lists.open_list("org-1", "revocation")
    assert found is not None
    assert found.id == "sl-busy"
    suspension = uow.status_lists.open_list("org-1", "suspension")
    assert suspension is not None
    assert suspension.id == "sl-other-purpose"


def test_update_rows_replaces_rows_all_or_nothing(database: Database) -> None:
    uow = seeded(database)
    uow.credentials.add(credential(1))
    uow.jobs.add_rows([job_row(n) for n in (2, 3, 4)])
    with pytest.raises(NotFound):
        uow.jobs.update_rows([job_row(2, status=RowStatus.INVALID), job_row(99)])
    assert [r.status for r in uow.jobs.rows("job-1")] == [RowStatus.PENDING] * 3
    uow.jobs.update_rows(
        [
            job_row(2, status=RowStatus.ISSUED, credential_id=credential(1).id),
            job_row(3, status=RowStatus.INVALID, error="no email"),
        ]
    )
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    assert list(fresh.jobs.rows("job-1")) == [
        job_row(2, status=RowStatus.ISSUED, credential_id=credential(1).id),
        job_row(3, status=RowStatus.INVALID, error="no email"),
        job_row(4),
    ]


def test_mark_revoked_records_first_revocation_only(database: Database) -> None:
    uow = seeded(database)
    uow.credentials.add(credential(1))
    uow.credentials.mark_revoked(credential(1).id, at(10).astimezone(PLUS_TWO), "mistake")
    uow.credentials.mark_revoked(credential(1).id, at(20), "again")
    uow.commit()
    stored = database.unit_of_work().credentials.get(credential(1).id)
    assert stored == credential(1, revoked_at=at(10), revocation_reason="mistake")


def test_mark_suspended_keeps_first_suspension_until_reinstated(database: Database) -> None:
    uow = seeded(database)
    uow.credentials.add(credential(1))
    uow.credentials.add(credential(2))
    uow.credentials.mark_suspended(credential(1).id, at(10).astimezone(PLUS_TWO), "complaint")
    uow.credentials.mark_suspended(credential(1).id, at(20), "again")
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    suspended = credential(1, suspended_at=at(10), suspension_reason="complaint")
    assert fresh.credentials.get(credential(1).id) == suspended
    assert fresh.credentials.get(credential(2).id) == credential(2)
    fresh.credentials.mark_reinstated(credential(1).id)
    fresh.credentials.mark_reinstated(credential(2).id)  # not suspended: nothing changes
    fresh.commit()
    again: UnitOfWork = database.unit_of_work()
    assert again.credentials.get(credential(1).id) == credential(1)
    assert again.credentials.get(credential(2).id) == credential(2)
    again.credentials.mark_suspended(credential(1).id, at(30), "second complaint")
    again.commit()
    stored = database.unit_of_work().credentials.get(credential(1).id)
    assert stored == credential(1, suspended_at=at(30), suspension_reason="second complaint")


def test_suspension_fields_round_trip_and_marks_check_their_input(database: Database) -> None:
    uow = seeded(database)
    single = credential(1, suspended_at=at(5).astimezone(PLUS_TWO), suspension_reason="caf\u00e9")
    uow.credentials.add(single)
    batch = [  # big enough for PostgreSQL's COPY path
        credential(n, idempotency_key=f"k{n}", suspended_at=at(n), suspension_reason=f"r{n}")
        for n in range(2, 152)
    ]
    uow.credentials.add_many(batch)
    with pytest.raises(NotFound):
        uow.credentials.mark_suspended("urn:uuid:nope", NOW, "why")
    with pytest.raises(NotFound):
        uow.credentials.mark_reinstated("urn:uuid:nope")
    with pytest.raises(InvalidInput, match="timezone-aware"):
        uow.credentials.mark_suspended(credential(1).id, datetime(2026, 1, 1), "naive")
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    assert fresh.credentials.get(single.id) == credential(
        1, suspended_at=at(5), suspension_reason="caf\u00e9"
    )
    assert fresh.credentials.get(batch[99].id) == batch[99]


# listing and ordering ----------------------------------------------------------------------


def test_credentials_for_organisation_pages_newest_first_with_total(database: Database) -> None:
    uow = seeded(database)
    uow.credentials.add_many([credential(n) for n in range(1, 26)])
    uow.credentials.add(credential(99, issued_at=at(1)))  # same time as n=1: id breaks the tie
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    first, total = fresh.credentials.for_organisation("org-1", limit=10, offset=0)
    assert total == 26
    assert [c.id for c in first] == [credential(n).id for n in range(25, 15, -1)]
    last, total = fresh.credentials.for_organisation("org-1", limit=10, offset=20)
    assert total == 26
    assert [c.id for c in last] == [credential(n).id for n in (5, 4, 3, 2, 99, 1)]
    beyond, total = fresh.credentials.for_organisation("org-1", limit=10, offset=100)
    assert (beyond, total) == ([], 26)
    assert fresh.credentials.for_organisation("org-2", limit=10, offset=0) == ([], 0)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (10, -1), (10_001, 0)])
def test_credentials_for_organisation_bad_page_raises_invalid_input(
    database: Database, limit: int, offset: int
) -> None:
    uow: UnitOfWork = database.unit_of_work()
    with pytest.raises(InvalidInput):
        uow.credentials.for_organisation("org-1", limit=limit, offset=offset)


def test_credentials_for_recipient_match_email_hash_or_did(database: Database) -> None:
    uow = seeded(database)
    uow.credentials.add(credential(1, recipient_email_hash="sha256$a"))
    uow.credentials.add(credential(2, recipient_did="did:key:z1"))
    uow.credentials.add(credential(3, recipient_email_hash="sha256$a", recipient_did="did:key:z1"))
    uow.credentials.add(credential(4, recipient_email_hash="sha256$b"))
    ids = lambda found: [c.id for c in found]  # noqa: E731
    assert ids(uow.credentials.for_recipient(email_hash="sha256$a")) == [
        credential(3).id,
        credential(1).id,
    ]
    assert ids(uow.credentials.for_recipient(did="did:key:z1")) == [
        credential(3).id,
        credential(2).id,
    ]
    assert ids(uow.credentials.for_recipient(email_hash="sha256$a", did="did:key:z1")) == [
        credential(n).id for n in (3, 2, 1)
    ]


def test_organisations_list_by_slug(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    for n, slug in ((1, "zeta"), (2, "alpha"), (3, "mid")):
        uow.organisations.add(org(n, slug=slug))
    assert [o.slug for o in uow.organisations.list()] == ["alpha", "mid", "zeta"]
    found = uow.organisations.get_by_slug("mid")
    assert found is not None
    assert found.id == "org-3"


def test_keys_for_organisation_oldest_first(database: Database) -> None:
    uow = seeded(database)
    uow.keys.add(key(3, activated_at=at(30)))
    uow.keys.add(key(1, activated_at=at(10)))
    uow.keys.add(key(2, activated_at=at(20)))
    uow.keys.add(key(4, organisation_id="org-2"))
    assert [k.id for k in uow.keys.for_organisation("org-1")] == ["key-1", "key-2", "key-3"]


def test_achievements_list_versions_and_latest_per_achievement(database: Database) -> None:
    uow = seeded(database)  # ach-1 v1 created at(1)
    uow.achievements.add(achievement("av-3", "ach-1", version=3, created_at=at(50)))
    uow.achievements.add(achievement("av-2", "ach-1", version=2, created_at=at(40)))
    uow.achievements.add(achievement("bv-1", "ach-0", version=1, created_at=at(5)))
    uow.achievements.add(achievement("cv-1", "ach-x", version=1, organisation_id="org-2"))
    assert [v.id for v in uow.achievements.versions("ach-1")] == ["av-1", "av-2", "av-3"]
    assert [v.id for v in uow.achievements.for_organisation("org-1")] == ["av-3", "bv-1"]


def test_jobs_for_organisation_newest_first(database: Database) -> None:
    uow = seeded(database)
    uow.jobs.add(job(3))
    uow.jobs.add(job(2))
    uow.jobs.add(job(4, organisation_id="org-2", achievement_version_id="av-1"))
    assert [j.id for j in uow.jobs.for_organisation("org-1")] == ["job-3", "job-2", "job-1"]


def test_unfinished_jobs_oldest_first_without_dry_runs_or_finished(database: Database) -> None:
    uow = seeded(database)  # job-1: pending
    uow.jobs.add(job(3, status=JobStatus.RUNNING))
    uow.jobs.add(job(2, status=JobStatus.DONE))
    uow.jobs.add(job(4, dry_run=True))
    uow.jobs.add(job(5, status=JobStatus.FAILED))
    uow.commit()
    assert [j.id for j in database.unit_of_work().jobs.unfinished()] == ["job-1", "job-3"]


def test_pending_rows_after_a_line(database: Database) -> None:
    uow = seeded(database)
    uow.jobs.add_rows([job_row(n) for n in range(2, 12)])
    uow.commit()
    fresh = database.unit_of_work()
    assert [r.line for r in fresh.jobs.pending_rows("job-1", limit=3, after_line=5)] == [6, 7, 8]
    assert fresh.jobs.pending_rows("job-1", limit=3, after_line=11) == []


def test_job_rows_listed_by_line_with_status_filter(database: Database) -> None:
    uow = seeded(database)
    uow.jobs.add(job(2))
    lines = list(range(2, 2503))
    rows = [job_row(n, status=RowStatus.ISSUED if n % 3 == 0 else RowStatus.PENDING) for n in lines]
    uow.jobs.add_rows(list(reversed(rows)))
    uow.jobs.add_rows([job_row(2, job_id="job-2")])
    uow.commit()
    fresh: UnitOfWork = database.unit_of_work()
    assert [r.line for r in fresh.jobs.rows("job-1")] == lines
    assert [r.line for r in fresh.jobs.rows("job-1", status=RowStatus.ISSUED)] == [
        n for n in lines if n % 3 == 0
    ]
    pending = fresh.jobs.pending_rows("job-1", limit=4)
    assert [r.line for r in pending] == [2, 4, 5, 7]
    assert pending[0] == rows[0]
    with pytest.raises(InvalidInput):
        fresh.jobs.pending_rows("job-1", limit=0)


def test_memberships_listed_by_organisation(database: Database) -> None:
    uow = seeded(database)
    uow.users.add_membership(Membership("user-1", "org-2", Role.VIEWER))
    uow.users.add_membership(Membership("user-1", "org-1", Role.OWNER))
    assert uow.users.memberships("user-1") == [
        Membership("user-1", "org-1", Role.OWNER),
        Membership("user-1", "org-2", Role.VIEWER),
    ]


def test_platform_keys_stored_oldest_first_with_unique_fragments(database: Database) -> None:
    from credstack.platform.domain import PLATFORM_ID

    uow: UnitOfWork = database.unit_of_work()
    first = key(1, organisation_id=PLATFORM_ID)
    second = key(2, organisation_id=PLATFORM_ID)
    uow.platform_keys.add(second)
    uow.platform_keys.add(first)
    with pytest.raises(Conflict):
        uow.platform_keys.add(dataclasses.replace(first, id="other"))  # same fragment
    uow.platform_keys.update(dataclasses.replace(first, status=KeyStatus.RETIRED, retired_at=at(2)))
    uow.commit()
    found = database.unit_of_work().platform_keys.all()
    assert [k.id for k in found] == [first.id, second.id]
    assert found[0].status is KeyStatus.RETIRED
    assert found[1] == second


def test_members_of_an_organisation_by_user(database: Database) -> None:
    uow = seeded(database)
    uow.users.add(user(2))
    uow.users.add_membership(Membership("user-2", "org-1", Role.ISSUER))
    uow.users.add_membership(Membership("user-1", "org-1", Role.OWNER))
    uow.users.add_membership(Membership("user-1", "org-2", Role.VIEWER))
    uow.commit()
    assert database.unit_of_work().users.members("org-1") == [
        Membership("user-1", "org-1", Role.OWNER),
        Membership("user-2", "org-1", Role.ISSUER),
    ]


def test_tokens_by_id_and_by_user_newest_first(database: Database) -> None:
    uow = seeded(database)
    uow.users.add(user(2))
    uow.tokens.add(token(1, created_at=at(1)))
    uow.tokens.add(token(2, created_at=at(5)))
    uow.tokens.add(token(3, user_id="user-2"))
    uow.commit()
    fresh = database.unit_of_work()
    assert fresh.tokens.get("tok-2") == token(2, created_at=at(5))
    assert fresh.tokens.get("tok-9") is None
    assert [t.id for t in fresh.tokens.for_user("user-1")] == ["tok-2", "tok-1"]


def test_endorsements_listed_oldest_first(database: Database) -> None:
    uow = seeded(database)
    uow.endorsements.add(endorsement(2))
    uow.endorsements.add(endorsement(1))
    uow.endorsements.add(endorsement(3, subject_id="ach-1", endorser_organisation_id="org-2"))
    assert [e.id for e in uow.endorsements.for_subject(endorsement(1).subject_id)] == [
        endorsement(1).id,
        endorsement(2).id,
    ]
    assert [e.id for e in uow.endorsements.by_endorser("org-2")] == [endorsement(3).id]


# challenges --------------------------------------------------------------------------------


def test_consume_challenge_is_single_use(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    uow.challenges.add(challenge())
    uow.commit()
    used = uow.challenges.consume("c-1", at(10))
    assert used == challenge(used_at=at(10))
    assert uow.challenges.consume("c-1", at(11)) is None
    uow.commit()
    assert database.unit_of_work().challenges.consume("c-1", at(12)) is None


def test_consume_unknown_or_expired_challenge_returns_none(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    uow.challenges.add(challenge())
    assert uow.challenges.consume("unknown", NOW) is None
    assert uow.challenges.consume("c-1", at(300)) is None  # at expires_at: expired
    assert uow.challenges.consume("c-1", at(299.999999)) is not None


def test_rollback_makes_consumed_challenge_usable_again(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    uow.challenges.add(challenge())
    uow.commit()
    assert uow.challenges.consume("c-1", NOW) is not None
    uow.rollback()
    assert uow.challenges.consume("c-1", NOW) is not None


# transactions ------------------------------------------------------------------------------


def test_rollback_discards_changes_since_last_commit(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    uow.organisations.add(org(1))
    uow.commit()
    uow.organisations.add(org(2))
    uow.organisations.update(org(1, name="Changed"))
    assert uow.organisations.get("org-2") is not None  # visible inside the unit of work
    uow.rollback()
    assert uow.organisations.get("org-2") is None
    assert uow.organisations.get("org-1") == org(1)


def test_uncommitted_changes_invisible_elsewhere_until_commit(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    uow.organisations.add(org(1))
    assert database.unit_of_work().organisations.get("org-1") is None
    uow.commit()
    assert database.unit_of_work().organisations.get("org-1") == org(1)


def test_context_manager_rolls_back_on_exception(database: Database) -> None:
    def add_then_fail() -> None:
        with database.unit_of_work() as uow:
            uow.organisations.add(org(1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with database.unit_of_work() as uow:
        assert uow.organisations.get("org-1") is None
        uow.organisations.add(org(2))
        uow.commit()
    assert database.unit_of_work().organisations.get("org-2") == org(2)


def test_failed_commit_writes_nothing_and_raises_unavailable(database: Database) -> None:
    failures = [RuntimeError("connection reset by peer")]

    def flaky() -> None:
        if failures:
            raise failures.pop()

    database.before_commit = flaky
    uow: UnitOfWork = database.unit_of_work()
    uow.organisations.add(org(1))
    uow.organisations.add(org(2))
    with pytest.raises(Unavailable) as caught:
        uow.commit()
    assert "Traceback" not in str(caught.value)
    assert database.unit_of_work().organisations.list() == []
    assert uow.organisations.get("org-1") is None  # the unit of work was rolled back
    uow.organisations.add(org(1))
    uow.commit()
    assert [o.id for o in database.unit_of_work().organisations.list()] == ["org-1"]


def test_repositories_have_no_delete_paths(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    for name in (
        "organisations",
        "keys",
        "achievements",
        "credentials",
        "status_lists",
        "jobs",
        "users",
        "tokens",
        "endorsements",
        "challenges",
    ):
        repository = getattr(uow, name)
        verbs = [m for m in dir(repository) if not m.startswith("_")]
        assert verbs
        assert not [m for m in verbs if m.startswith(("delete", "remove", "drop", "purge"))]


def test_errors_are_credstack_errors_with_codes(database: Database) -> None:
    uow = seeded(database)
    with pytest.raises(CredstackError) as caught:
        uow.organisations.add(org(1))
    assert caught.value.code == "CONFLICT"
