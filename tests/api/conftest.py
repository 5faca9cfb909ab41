"""API fixtures: the app over an in-memory database with a fixed, steppable clock."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2; the server extra pins httpx 0.28, which works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from credstack.api import Limits, create_app
from credstack.platform.accounts import create_token, create_user
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import (
    AchievementVersion,
    Membership,
    Organisation,
    Role,
)
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.storage.memory import MemoryDatabase

BASE = "https://credstack.example"
HOST = "credstack.example"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HEADER = "idempotency_key,email,did,name,valid_from,valid_until,narrative,evidence_url,result_value"

DESIGN: dict[str, Any] = {
    "name": "Data Analysis with Python",
    "description": "Cleans, analyses and visualises tabular data with Python.",
    "criteria_narrative": "Pass the supervised practical assessment.",
    "ects": 3,
    "language": "en",
}


def csv_upload(*rows: str) -> bytes:
    return ("\r\n".join((HEADER, *rows)) + "\r\n").encode()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """Two organisations ("uni", "other"), a user per role, published and draft achievements,
    one issued credential and one finished job in "uni"."""

    db: MemoryDatabase
    custody: KeyCustody
    clock: Clock
    client: TestClient
    uni: Organisation
    other: Organisation
    published: AchievementVersion
    draft: AchievementVersion
    other_version: AchievementVersion
    credential_id: str
    job_id: str
    tokens: dict[str, str] = field(default_factory=dict)  # role name -> bearer secret

    def auth(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def add_user(self, name: str, org: Organisation | None, role: Role | None) -> str:
        uow = self.db.unit_of_work()
        user = create_user(
            uow, email=f"{name}@example.org", password=PASSWORD, at=T0, hasher=FAST_HASHER
        )
        if org is not None and role is not None:
            uow.users.add_membership(Membership(user.id, org.id, role))
        _, secret = create_token(uow, user, at=T0, lifetime=timedelta(days=30))
        uow.commit()
        self.tokens[name] = secret
        return secret


def make_app(
    db: MemoryDatabase,
    custody: KeyCustody,
    clock: Clock,
    limits: Limits | None = None,
    *,
    raise_server_exceptions: bool = True,
) -> TestClient:
    app = create_app(
        database=db,
        custody=custody,
        base_url=BASE,
        clock=clock,
        limits=limits,
        run_jobs_inline=True,
        password_hasher=FAST_HASHER,
    )
    return TestClient(app, base_url=BASE, raise_server_exceptions=raise_server_exceptions)


@pytest.fixture
def world() -> Iterator[World]:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    clock = Clock(T0 + timedelta(days=1))
    uow = db.unit_of_work()
    uni = create_organisation(uow, custody, host=HOST, slug="uni", name="Example University", at=T0)
    other = create_organisation(uow, custody, host=HOST, slug="other", name="Other College", at=T0)
    published = publish(
        uow, uni, create_achievement(uow, uni, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    draft = create_achievement(uow, uni, {**DESIGN, "name": "Draft badge"}, base_url=BASE, at=T0)
    other_version = publish(
        uow, other, create_achievement(uow, other, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    issued = Issuer(uow, custody, uni, BASE).issue(
        published, IssueRequest(email="ann@example.org", idempotency_key="seed-1"), at=T0
    )
    job = create_job(
        uow,
        uni,
        published.id,
        parse_bulk(io.BytesIO(csv_upload("j-1,bo@example.org,,,,,,,")), max_bytes=None),
        at=T0,
    )
    uow.commit()
    run_job(db.unit_of_work, custody, uni.id, job.id, base_url=BASE, clock=lambda: T0)
    with make_app(db, custody, clock) as client:
        w = World(
            db,
            custody,
            clock,
            client,
            uni,
            other,
            published,
            draft,
            other_version,
            issued.id,
            job.id,
        )
        w.add_user("owner", uni, Role.OWNER)
        w.add_user("issuer", uni, Role.ISSUER)
        w.add_user("viewer", uni, Role.VIEWER)
        w.add_user("other-owner", other, Role.OWNER)
        yield w
