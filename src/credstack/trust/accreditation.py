"""Accreditations: an accreditation body vouches for an issuer with a signed credential.

credstack reads an accreditation from an ordinary Open Badges 3.0 credential (so an
accreditation body on a credstack platform issues, and revokes, it like any other):

* its ``issuer`` is the accreditation body;
* its ``credentialSubject.id`` is the accredited issuer's DID;
* its ``credentialSubject.achievement.achievementType`` is ``QualityAssuranceCredential``
  (the OB 3.0 achievement type for quality assurance).

The credential is verified with the project's verifier; only a credential that verifies
(signature by the body's key, dates, status list) counts: :func:`credential_check` turns the
verifier's report into a :class:`Check`.  An accreditation counts in a registry only if that
registry lists its issuer as an accreditation body (``EntryRole.ACCREDITOR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from credstack.errors import CredstackError, InvalidInput
from credstack.proofs.dataintegrity import OPEN_BADGE_TYPES, parse_datetime
from credstack.trust.model import MAX_NAME, check_did
from credstack.verify.report import Outcome, StepName, VerificationReport

__all__ = [
    "ACCREDITATION_TYPE",
    "Accreditation",
    "Check",
    "CheckState",
    "credential_check",
    "read_accreditation",
]

ACCREDITATION_TYPE = "QualityAssuranceCredential"


class CheckState(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    INVALID = "invalid"  # signature, key, format: anything else that failed


_LABELS = {
    CheckState.VALID: "Verified",
    CheckState.REVOKED: "Revoked",
    CheckState.SUSPENDED: "Suspended",
    CheckState.EXPIRED: "Expired",
    CheckState.NOT_YET_VALID: "Not yet valid",
    CheckState.INVALID: "Not valid",
}


@dataclass(frozen=True, slots=True)
class Check:
    """A signed credential's verdict (an accreditation, an endorsement), in a word and why."""

    state: CheckState
    reason: str = ""

    @property
    def valid(self) -> bool:
        return self.state is CheckState.VALID

    @property
    def label(self) -> str:
        return _LABELS[self.state]


def credential_check(report: VerificationReport) -> Check:
    """The verdict of a verification report (warnings, e.g. an unchecked status list, do not
    make it invalid; they are kept as the reason)."""
    failure = report.first_failure
    if failure is None and report.verified:
        warning = next((s.message for s in report.steps if s.outcome is Outcome.WARNING), "")
        return Check(CheckState.VALID, warning)
    if failure is None:
        return Check(CheckState.INVALID, "nothing in it could be checked cryptographically")
    state = CheckState.INVALID
    if failure.name is StepName.STATUS and failure.code == "CREDENTIAL_REVOKED":
        state = CheckState.REVOKED
    elif failure.name is StepName.STATUS and failure.code == "CREDENTIAL_SUSPENDED":
        state = CheckState.SUSPENDED
    elif failure.code == "CREDENTIAL_EXPIRED":
        state = CheckState.EXPIRED
    elif failure.code == "CREDENTIAL_NOT_YET_VALID":
        state = CheckState.NOT_YET_VALID
    return Check(state, failure.message)


_VALID = Check(CheckState.VALID)


@dataclass(frozen=True, slots=True)
class Accreditation:
    """What an accreditation credential says, with its verdict (``check``)."""

    id: str
    accreditor: str  # the accreditation body's DID (the credential's issuer)
    issuer: str  # the accredited issuer's DID (the credential's subject)
    name: str  # the accreditation's name (the achievement's)
    accreditor_name: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    check: Check = _VALID

    def current(self, at: datetime) -> bool:
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_until is None or at < self.valid_until


def _types(value: Any) -> list[str]:
    raw = value.get("type") if isinstance(value, Mapping) else None
    items = raw if isinstance(raw, list) else [raw]
    return [t for t in items if isinstance(t, str)]


def _time(document: Mapping[str, Any], key: str) -> datetime | None:
    value = document.get(key)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except (CredstackError, ValueError, OverflowError):
        raise InvalidInput(f"the accreditation's {key} is not a date and time") from None


def read_accreditation(document: Any, check: Check | None = None) -> Accreditation:
    """Read an accreditation credential (see the module docs); :class:`InvalidInput` when
    ``document`` is not one.  Its signature is not checked here (``check`` is its verdict)."""
    if not isinstance(document, Mapping):
        raise InvalidInput("an accreditation is a credential: a JSON object")
    if not OPEN_BADGE_TYPES.intersection(_types(document)) or "EndorsementCredential" in _types(
        document
    ):
        raise InvalidInput(
            "an accreditation is an Open Badges 3.0 credential (type OpenBadgeCredential)"
        )
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise InvalidInput("the accreditation has no id")
    issuer = document.get("issuer")
    accreditor = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    accreditor = check_did(accreditor, "the accreditation's issuer")
    accreditor_name = issuer.get("name") if isinstance(issuer, Mapping) else None
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if len(subject) == 1 else None
    if not isinstance(subject, Mapping):
        raise InvalidInput("the accreditation must have one credentialSubject")
    accredited = check_did(subject.get("id"), "the accreditation's subject")
    achievement = subject.get("achievement")
    kind = achievement.get("achievementType") if isinstance(achievement, Mapping) else None
    if kind != ACCREDITATION_TYPE:
        raise InvalidInput(
            f"an accreditation's achievement has achievementType {ACCREDITATION_TYPE}, "
            f"not {str(kind)[:80]!r}"
        )
    assert isinstance(achievement, Mapping)
    name = achievement.get("name")
    if accredited == accreditor:
        raise InvalidInput("an accreditation body cannot accredit itself")
    return Accreditation(
        id=credential_id[:2048],
        accreditor=accreditor,
        issuer=accredited,
        name=name.strip()[:MAX_NAME] if isinstance(name, str) and name.strip() else "Accreditation",
        accreditor_name=accreditor_name.strip()[:MAX_NAME]
        if isinstance(accreditor_name, str)
        else "",
        valid_from=_time(document, "validFrom"),
        valid_until=_time(document, "validUntil"),
        check=check or Check(CheckState.VALID),
    )
