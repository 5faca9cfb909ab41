"""A verification report: named steps, each with an outcome, a code and a plain message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from credstack.errors import CredstackError, ErrorCode


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # fatal: the credential is not valid
    WARNING = "warning"  # reported, never changes the verdict
    SKIPPED = "skipped"  # does not apply to this credential


class StepName(StrEnum):
    PARSE = "parse"
    CONTEXT = "context"
    SCHEMA = "schema"
    SAFE_MODE = "safe_mode"
    KEY_RESOLUTION = "key_resolution"
    PROOF = "proof"
    CONTROLLER = "controller"
    VALIDITY = "validity"
    STATUS = "status"
    PRESENTATION = "presentation"


_TITLES = {
    StepName.PARSE: "Readable credential",
    StepName.CONTEXT: "JSON-LD contexts",
    StepName.SCHEMA: "Open Badges schema and rules",
    StepName.SAFE_MODE: "Every term defined",
    StepName.KEY_RESOLUTION: "Signing key found",
    StepName.PROOF: "Signature",
    StepName.CONTROLLER: "Key belongs to the issuer",
    StepName.VALIDITY: "Validity period",
    StepName.STATUS: "Revocation status",
    StepName.PRESENTATION: "Presented credentials",
}


@dataclass(frozen=True, slots=True)
class Step:
    name: StepName
    outcome: Outcome
    message: str
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return step_json(self.name.value, self.outcome, self.message, self.code, self.details)


def step_json(
    name: str, outcome: Outcome, message: str, code: str | None, details: dict[str, Any]
) -> dict[str, Any]:
    """One report step as JSON (shared by credential and bundle reports)."""
    out: dict[str, Any] = {"step": name, "outcome": outcome.value}
    if code:
        out["code"] = code
    out["message"] = message
    if details:
        out["details"] = details
    return out


class VerificationFailed(CredstackError):
    """Raised by :meth:`VerificationReport.raise_for_status`."""

    def __init__(self, report: VerificationReport) -> None:
        first = report.first_failure
        super().__init__(
            first.message if first else "verification failed",
            code=cast(ErrorCode, (first.code if first else None) or "PROOF_VERIFICATION_ERROR"),
        )
        self.report = report


@dataclass(slots=True)
class VerificationReport:
    """Step-by-step result of verifying one credential or presentation."""

    kind: str = "unknown"  # "open-badge", "verifiable-credential", "presentation", "vc-jwt+…"
    steps: list[Step] = field(default_factory=list)
    credential_id: str | None = None
    issuer: str | None = None
    checked_at: str | None = None
    nested: list[VerificationReport] = field(default_factory=list)

    def add(
        self,
        name: StepName,
        outcome: Outcome,
        message: str,
        code: str | None = None,
        **details: Any,
    ) -> Step:
        step = Step(name, outcome, message, code, details)
        self.steps.append(step)
        return step

    @property
    def first_failure(self) -> Step | None:
        for step in self.steps:
            if step.outcome is Outcome.FAILED:
                return step
        for child in self.nested:
            found = child.first_failure
            if found is not None:
                return found
        return None

    @property
    def verified(self) -> bool:
        """No step failed, and something was checked cryptographically: a proof of this
        document, or (for an unsigned presentation) every credential it holds."""
        if self.first_failure is not None:
            return False
        if any(s.name is StepName.PROOF and s.outcome is Outcome.PASSED for s in self.steps):
            return True
        return bool(self.nested) and all(r.verified for r in self.nested)

    @property
    def unusable(self) -> bool:
        """The input could not be read as a credential at all (not a verdict on a credential)."""
        return any(s.name is StepName.PARSE and s.outcome is Outcome.FAILED for s in self.steps)

    @property
    def warnings(self) -> list[Step]:
        return [s for s in self.steps if s.outcome is Outcome.WARNING]

    def raise_for_status(self) -> None:
        if not self.verified:
            raise VerificationFailed(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
        }
        if self.credential_id:
            out["id"] = self.credential_id
        if self.issuer:
            out["issuer"] = self.issuer
        if self.checked_at:
            out["checkedAt"] = self.checked_at
        out["steps"] = [s.to_json() for s in self.steps]
        failure = self.first_failure
        if failure is not None:
            out["error"] = {
                "step": failure.name.value,
                "code": failure.code,
                "message": failure.message,
            }
        if self.nested:
            out["credentials"] = [r.to_json() for r in self.nested]
        return out

    def render(self, indent: str = "") -> str:
        """Human-readable rendering: one line per step and a verdict."""
        marks = {
            Outcome.PASSED: "ok  ",
            Outcome.FAILED: "FAIL",
            Outcome.WARNING: "warn",
            Outcome.SKIPPED: "skip",
        }
        lines = []
        if self.unusable:
            verdict = "UNUSABLE INPUT"
        else:
            verdict = "VALID" if self.verified else "NOT VALID"
        head = f"{indent}{verdict}: {self.kind}"
        if self.credential_id:
            head += f" {self.credential_id}"
        lines.append(head)
        if self.issuer:
            lines.append(f"{indent}  issuer: {self.issuer}")
        for step in self.steps:
            code = f" [{step.code}]" if step.code else ""
            lines.append(
                f"{indent}  {marks[step.outcome]} {_TITLES[step.name]}: {step.message}{code}"
            )
        for child in self.nested:
            lines.append(child.render(indent + "    "))
        return "\n".join(lines)
