"""Claims and the mail outbox keep the same rules on every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import Conflict, NotFound
from credstack.platform.domain import (
    AchievementStatus,
    AchievementVersion,
    Claim,
    IssuedCredential,
    Organisation,
    OutboxMessage,
)
from tests.contract.conftest import Database

NOW = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)


def _seed(database: Database) -> None:
    uow = database.unit_of_work()
    uow.organisations.add(Organisation("org-1", "org1", "Org", "did:web:example.org:orgs:org1"))
    uow.achievements.add(
        AchievementVersion(
            "v-1", "a-1", "org-1", 1, AchievementStatus.PUBLISHED, {"name": "A"}, NOW
        )
    )
    for n in (1, 2):
        uow.credentials.add(IssuedCredential(f"urn:uuid:c-{n}", "org-1", "v-1", "{}", NOW))
    uow.commit()


def _claim(token_hash: str = "h1") -> Claim:
    return Claim(token_hash, "urn:uuid:c-1", NOW, NOW + timedelta(days=30))


def _message(n: int, **changes: object) -> OutboxMessage:
    base = OutboxMessage(f"m-{n}", "a@example.org", "Subject", "text", "<p>html</p>", NOW)
    return dataclasses.replace(base, created_at=NOW + timedelta(seconds=n), **changes)  # type: ignore[arg-type]


def test_claim_round_trips_and_consumes_once(database: Database) -> None:
    _seed(database)
    uow = database.unit_of_work()
    uow.claims.add(_claim())
    uow.commit()
    assert database.unit_of_work().claims.get("h1") == _claim()
    uow = database.unit_of_work()
    used = uow.claims.consume("h1", NOW + timedelta(days=1), "urn:uuid:c-2")
    assert used is not None
    assert used.used_at == NOW + timedelta(days=1)
    assert used.claimed_credential_id == "urn:uuid:c-2"
    assert uow.claims.consume("h1", NOW + timedelta(days=1), "urn:uuid:c-2") is None
    uow.commit()
    assert database.unit_of_work().claims.consume("h1", NOW, "urn:uuid:c-2") is None


def test_claim_consume_expired_or_unknown_returns_none(database: Database) -> None:
    _seed(database)
    uow = database.unit_of_work()
    uow.claims.add(_claim())
    assert uow.claims.consume("h1", NOW + timedelta(days=30), "urn:uuid:c-2") is None
    assert uow.claims.consume("nope", NOW, "urn:uuid:c-2") is None


def test_claim_duplicate_or_dangling_conflicts(database: Database) -> None:
    _seed(database)
    uow = database.unit_of_work()
    uow.claims.add(_claim())
    with pytest.raises(Conflict):
        uow.claims.add(_claim())
    with pytest.raises(Conflict):
        uow.claims.add(dataclasses.replace(_claim("h2"), credential_id="urn:uuid:missing"))


def test_outbox_pending_oldest_first_until_sent_or_exhausted(database: Database) -> None:
    uow = database.unit_of_work()
    for n in (3, 1, 2):
        uow.outbox.add(_message(n))
    uow.commit()
    uow = database.unit_of_work()
    assert [m.id for m in uow.outbox.pending(limit=10, max_attempts=3)] == ["m-1", "m-2", "m-3"]
    assert [m.id for m in uow.outbox.pending(limit=2, max_attempts=3)] == ["m-1", "m-2"]
    uow.outbox.update(_message(1, sent_at=NOW, attempts=1, text="", html=""))
    uow.outbox.update(_message(2, attempts=3, last_error="refused", last_attempt_at=NOW))
    uow.commit()
    uow = database.unit_of_work()
    assert [m.id for m in uow.outbox.pending(limit=10, max_attempts=3)] == ["m-3"]
    assert [m.id for m in uow.outbox.pending(limit=10, max_attempts=4)] == ["m-2", "m-3"]
    assert uow.outbox.get("m-2") == _message(
        2, attempts=3, last_error="refused", last_attempt_at=NOW
    )
    with pytest.raises(NotFound):
        uow.outbox.update(_message(9))
