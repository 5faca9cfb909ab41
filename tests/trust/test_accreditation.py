"""Reading accreditation credentials, and verdicts from verification reports."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from credstack.errors import InvalidInput
from credstack.trust import ACCREDITATION_TYPE, CheckState, credential_check, read_accreditation
from credstack.verify.report import Outcome, StepName, VerificationReport

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:7d0f6c1e-4f55-4a4e-9a1b-2f3b8c1d0e11",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:web:agency.example", "type": ["Profile"], "name": "Quality Agency"},
    "validFrom": "2026-01-01T00:00:00Z",
    "validUntil": "2031-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:web:uni.example",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://agency.example/achievements/institutional",
            "type": ["Achievement"],
            "name": "Institutional accreditation",
            "achievementType": ACCREDITATION_TYPE,
        },
    },
}


def test_an_accreditation_is_read() -> None:
    found = read_accreditation(CREDENTIAL)
    assert found.accreditor == "did:web:agency.example"
    assert found.accreditor_name == "Quality Agency"
    assert found.issuer == "did:web:uni.example"
    assert found.name == "Institutional accreditation"
    assert found.valid_until == datetime(2031, 1, 1, tzinfo=UTC)
    assert found.check.valid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["credentialSubject"]["achievement"].update(achievementType="Badge"),
            "QualityAssuranceCredential",
        ),
        (lambda c: c["credentialSubject"].update(id="mailto:someone@example.org"), "not a DID"),
        (lambda c: c["credentialSubject"].update(id="did:web:agency.example"), "itself"),
        (
            lambda c: c.update(type=["VerifiableCredential", "EndorsementCredential"]),
            "OpenBadgeCredential",
        ),
        (lambda c: c.update(validUntil="soon"), "validUntil"),
        (lambda c: c.pop("id"), "no id"),
    ],
)
def test_what_is_not_an_accreditation_is_refused(change: Any, message: str) -> None:
    document = copy.deepcopy(CREDENTIAL)
    change(document)
    with pytest.raises(InvalidInput, match=message):
        read_accreditation(document)


def _report(*steps: tuple[StepName, Outcome, str | None]) -> VerificationReport:
    report = VerificationReport(kind="open-badge")
    for name, outcome, code in steps:
        report.add(name, outcome, f"{name.value} {outcome.value}", code)
    return report


def test_verdicts_from_reports() -> None:
    proof = (StepName.PROOF, Outcome.PASSED, None)
    assert credential_check(_report(proof)).state is CheckState.VALID
    warned = credential_check(_report(proof, (StepName.STATUS, Outcome.WARNING, None)))
    assert warned.valid
    assert warned.reason == "status warning"
    revoked = _report(proof, (StepName.STATUS, Outcome.FAILED, "CREDENTIAL_REVOKED"))
    assert credential_check(revoked).state is CheckState.REVOKED
    assert credential_check(revoked).label == "Revoked"
    suspended = _report(proof, (StepName.STATUS, Outcome.FAILED, "CREDENTIAL_SUSPENDED"))
    assert credential_check(suspended).state is CheckState.SUSPENDED
    expired = _report(proof, (StepName.VALIDITY, Outcome.FAILED, "CREDENTIAL_EXPIRED"))
    assert credential_check(expired).state is CheckState.EXPIRED
    bad = _report((StepName.PROOF, Outcome.FAILED, "PROOF_VERIFICATION_ERROR"))
    assert credential_check(bad).state is CheckState.INVALID
    assert credential_check(bad).reason == "proof failed"
    unsigned = _report((StepName.PARSE, Outcome.PASSED, None))
    assert credential_check(unsigned).state is CheckState.INVALID
