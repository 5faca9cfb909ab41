"""A result value (bulk column ``result_value``, API field) becomes the credential's OB 3.0
Result, tied to the achievement's grade scale when it has one; nothing is dropped."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import pytest

from credstack.errors import InvalidInput
from credstack.models.validate import schema_for, schema_problem
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import AchievementVersion, Organisation
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.storage.memory import MemoryDatabase

BASE = "https://credstack.example"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DESIGN = {
    "name": "Statistics",
    "description": "Applies descriptive statistics.",
    "criteria_narrative": "Pass the exam.",
    "grade_scale": {"name": "Mark", "result_type": "Percent", "value_min": "0", "value_max": "100"},
}


def _setup() -> tuple[MemoryDatabase, KeyCustody, Organisation, AchievementVersion]:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    org = create_organisation(uow, custody, host="credstack.example", slug="u", name="U", at=T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    uow.commit()
    return db, custody, org, version


def test_result_value_lands_in_the_credential_with_the_grade_scale() -> None:
    db, custody, org, version = _setup()
    uow = db.unit_of_work()
    issued = Issuer(uow, custody, org, BASE).issue(
        version,
        IssueRequest(email="a@example.org", result_value="87"),
        at=T0,
    )
    uow.commit()
    credential = orjson.loads(issued.credential_json)
    (result,) = credential["credentialSubject"]["result"]
    assert result["value"] == "87"
    assert result["resultDescription"].endswith("#grade")
    assert result["type"] == ["Result"]
    name = schema_for(credential)
    assert name is not None
    assert schema_problem(credential, name) is None  # the OB 3.0 JSON Schema accepts it


def test_bulk_rows_keep_their_result_value() -> None:
    db, custody, org, version = _setup()
    header = "idempotency_key,email,result_value"
    upload = f"{header}\r\nr-1,a@example.org,B+\r\nr-2,b@example.org,\r\n".encode()
    uow = db.unit_of_work()
    job = create_job(uow, org, version.id, parse_bulk(io.BytesIO(upload), max_bytes=None), at=T0)
    uow.commit()
    run_job(db.unit_of_work, custody, org.id, job.id, base_url=BASE, clock=lambda: T0)
    uow = db.unit_of_work()
    page, _ = uow.credentials.for_organisation(org.id, limit=10, offset=0)
    found = {c.idempotency_key: orjson.loads(c.credential_json)["credentialSubject"] for c in page}
    assert found["r-1"]["result"][0]["value"] == "B+"
    assert "result" not in found["r-2"]


def test_an_empty_or_long_result_value_is_refused() -> None:
    for value in ("", "x" * 257):
        with pytest.raises(InvalidInput, match="result value"):
            IssueRequest(email="a@example.org", result_value=value).check()
