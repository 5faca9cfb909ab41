"""Platform fixtures: an in-memory database with one organisation and a published achievement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import AchievementVersion, Organisation
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys, did_document
from credstack.platform.organisations import create_organisation
from credstack.resolve.resolver import CompositeResolver
from credstack.storage.memory import MemoryDatabase

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = "https://credstack.example"
HOST = "credstack.example"

DESIGN: dict[str, Any] = {
    "name": "Data Analysis with Python",
    "description": "Cleans, analyses and visualises tabular data with Python.",
    "criteria_narrative": "Pass the supervised practical assessment.",
    "ects": 3,
    "workload_hours": 75,
    "eqf_level": 6,
    "language": "en",
    "skills": [
        {
            "url": "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
            "name": "perform data analysis",
            "framework": "ESCO v1.2",
            "code": "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
        }
    ],
}


@dataclass
class World:
    db: MemoryDatabase
    custody: KeyCustody
    org: Organisation
    version: AchievementVersion

    def resolver(self) -> CompositeResolver:
        uow = self.db.unit_of_work()
        return CompositeResolver(
            documents=[did_document(self.org, uow.keys.for_organisation(self.org.id))]
        )


@pytest.fixture
def world() -> World:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    org = create_organisation(
        uow, custody, host=HOST, slug="uni", name="Example University", at=T0, country="NL"
    )
    draft = create_achievement(uow, org, DESIGN, base_url=BASE, at=T0)
    version = publish(uow, org, draft.id, at=T0)
    uow.commit()
    return World(db, custody, org, version)
