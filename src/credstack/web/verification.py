"""Verification results in plain language, for every page that shows one.

A :class:`~credstack.verify.report.VerificationReport` names technical steps (contexts, safe
mode, proof, controller …).  People ask other questions: who issued it, to whom, when, for
what, which skills, is the signature valid, was it revoked, is the issuer trusted, is it in
the transparency log.  :func:`explain` answers them as :class:`StepView` rows of a
:class:`ReportView`, which ``templates/report.html`` renders::

    {% set report = view %}{% include "report.html" %}

The mapping is pure; what only the platform knows (is the issuer an organisation here, is
the credential in this server's log) comes in through a ``lookup`` callable.
:func:`verify_document`, :func:`verify_bundle_document` and :func:`verify_input` run the
platform's verifier exactly as ``POST /credentials/verify`` does
(:func:`credstack.api.routes_vcapi.verifier_inputs`: this server's DID documents and status
lists, nothing fetched) and add those platform facts.  They read the database and may sign a
new log checkpoint, so page handlers call them off the event loop.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from credstack._json import MAX_DOCUMENT_BYTES, parse_json
from credstack.api.context import AppContext
from credstack.api.routes_trust import trust_view
from credstack.api.routes_vcapi import verifier_inputs
from credstack.baking import extract, is_png, is_svg
from credstack.errors import Conflict, CredstackError, InvalidInput, InvalidState, ProofError
from credstack.log.bundle import (
    MAX_BUNDLE_BYTES,
    BundleReport,
    BundleStep,
    BundleStepName,
    TrustAnchors,
    is_bundle,
    verify_bundle,
)
from credstack.log.checkpoint import verify_checkpoint
from credstack.log.leaf import EventType, credential_digest, decode_leaf
from credstack.log.merkle import leaf_hash, verify_inclusion
from credstack.platform.achievement_design import ELEMENT_TARGET_TYPES
from credstack.platform.platform_identity import platform_did_document
from credstack.platform.ports import UnitOfWork
from credstack.platform.translog import inclusion_proof, log_origin, log_verifiers
from credstack.platform.trust import Tally, endorsements_of, tally
from credstack.proofs.dataintegrity import parse_datetime
from credstack.trust.recognition import achievement_type_of
from credstack.verify.report import Outcome, Step, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from credstack.web.trust_facts import trust_answer

__all__ = [
    "MAX_INPUT_BYTES",
    "Fact",
    "Finding",
    "Findings",
    "Input",
    "Lookup",
    "PlatformLookup",
    "ReportView",
    "StepState",
    "StepView",
    "Verdict",
    "explain",
    "read_input",
    "verify_bundle_document",
    "verify_document",
    "verify_input",
]

#: the largest input the verifier page reads (a pasted text, a file, a fetched body)
MAX_INPUT_BYTES = 10 * 1024 * 1024
#: the raw JSON (credential, machine report) shown under a report is cut here
MAX_SHOWN_JSON = 200_000
_TEXT = 2000  # longest text shown for one value taken from a credential
_MAX_ITEMS = 100  # most skills (or other listed items) shown
_MAX_STATUS_ENTRIES = 8  # credentialStatus entries looked at for the status facts
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_LIST_ISSUED = re.compile(r"\(list issued ([0-9T:.Z+-]{10,40})\)")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+")


class StepState(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    NOT_CHECKED = "not-checked"
    INFO = "info"  # what the credential says; a check elsewhere vouches for it


_LABELS = {
    StepState.PASSED: "Passed",
    StepState.FAILED: "Failed",
    StepState.WARNING: "Warning",
    StepState.NOT_CHECKED: "Not checked",
    StepState.INFO: "Information",
}


class Verdict(StrEnum):
    VALID = "valid"
    WARNINGS = "warnings"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled value (``href``: a link, only ever http(s))."""

    label: str
    value: str
    href: str | None = None
    code: bool = False  # shown in monospace (DIDs, URLs, keys)


@dataclass(frozen=True, slots=True)
class Finding:
    """A check done outside the core verifier (trust, transparency log)."""

    state: StepState
    summary: str
    facts: tuple[Fact, ...] = ()
    technical: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Findings:
    """What the platform knows about one credential: the name of the organisation of this
    server that is its issuer (``None``: not one of ours, or unknown), whether the issuer is
    trusted and whether the credential is in the transparency log (``None``: not checked)."""

    issuer_here: str | None = None
    trust: Finding | None = None
    log: Finding | None = None


#: the platform facts about one credential (a JSON object, or a compact JWS)
Lookup = Callable[[Any], Findings]


@dataclass(frozen=True, slots=True)
class StepView:
    """One plain-language step: a question, its state and a one-line answer."""

    key: str  # format, issuer, recipient, dates, achievement, skills, signature, revocation,
    # trust, log; presentations: format, holder, credentials
    question: str
    state: StepState
    summary: str
    facts: tuple[Fact, ...] = ()
    items: tuple[Fact, ...] = ()  # a list (skills)
    technical: tuple[str, ...] = ()  # the verifier's own messages

    @property
    def label(self) -> str:
        return _LABELS[self.state]


@dataclass(frozen=True, slots=True)
class ReportView:
    """A whole verification in plain language (what ``report.html`` renders)."""

    verdict: Verdict
    headline: str  # "Valid", "Valid with warnings", "Not valid: <first failure>"
    title: str  # the achievement's (or credential's) name
    kind: str  # "Open Badges 3.0 credential", "verifiable presentation", …
    steps: tuple[StepView, ...]
    checked_at: str  # when the verifier checked, e.g. "2 March 2026, 09:00 UTC"
    credential_json: str
    report_json: str
    nested: tuple[ReportView, ...] = ()  # the credentials of a presentation
    image: str | None = None  # a data: URI badge image (alt text: title)
    issuer_name: str | None = None
    level: int = 2  # heading level of the title; steps use level + 1

    @property
    def valid(self) -> bool:
        return self.verdict is not Verdict.INVALID

    @property
    def first_failure(self) -> StepView | None:
        return next((s for s in self.steps if s.state is StepState.FAILED), None)

    @property
    def warnings(self) -> list[StepView]:
        return [s for s in self.steps if s.state is StepState.WARNING]

    def step(self, key: str) -> StepView | None:
        return next((s for s in self.steps if s.key == key), None)

    @property
    def step_level(self) -> int:
        return min(self.level + 1, 6)


# ---------------------------------------------------------------------------- small helpers


def _clip(value: Any, limit: int = _TEXT) -> str:
    text = (value if isinstance(value, str) else "" if value is None else str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _string(mapping: Any, key: str) -> str | None:
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    return _clip(value) if isinstance(value, str) and value.strip() else None


def _first_object(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, Mapping)), None)
    return value if isinstance(value, Mapping) else None


def _suspension_entry(status: Any) -> Mapping[str, Any] | None:
    """The credential's suspension status entry, if it has one (among the first few)."""
    entries = status[:_MAX_STATUS_ENTRIES] if isinstance(status, list) else [status]
    return next(
        (e for e in entries if isinstance(e, Mapping) and e.get("statusPurpose") == "suspension"),
        None,
    )


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _when(value: Any) -> str | None:
    """An ISO 8601 time as "1 March 2026, 09:00 UTC" (as given when it cannot be read)."""
    if not isinstance(value, str):
        return None
    try:
        return _format_time(parse_datetime(value))
    except (CredstackError, ValueError, OverflowError):
        return _clip(value, 100)


def _format_time(at: datetime) -> str:
    return at.strftime("%-d %B %Y, %H:%M UTC")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return "current"
    if seconds < 7200:
        return f"{seconds // 60} minutes old"
    if seconds < 172800:
        return f"{seconds // 3600} hours old"
    return f"{seconds // 86400} days old"


def _sentence(text: str) -> str:
    """``text`` to follow "Not valid: " (first letter lowered unless an acronym follows)."""
    text = text.rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _technical(steps: Iterable[Step | BundleStep]) -> tuple[str, ...]:
    return tuple(f"{s.name.value} ({s.outcome.value}): {_clip(s.message, 600)}" for s in steps)


def _steps(report: VerificationReport, *names: StepName) -> list[Step]:
    return [s for s in report.steps if s.name in names]


def _worst(steps: Sequence[Step]) -> Step | None:
    for outcome in (Outcome.FAILED, Outcome.WARNING, Outcome.PASSED, Outcome.SKIPPED):
        found = next((s for s in steps if s.outcome is outcome), None)
        if found is not None:
            return found
    return None


def _jws_payload(token: str) -> dict[str, Any] | None:
    """The credential inside a compact JWS, for display only (its signature is the verifier's
    business)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = parse_json(base64.urlsafe_b64decode(padded), what="JWS payload")
    except (InvalidInput, binascii.Error, ValueError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("vc"), dict):
        payload = payload["vc"]
    return payload if isinstance(payload, dict) else None


def _document(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str) and _JWS.fullmatch(raw.strip()):
        return _jws_payload(raw.strip()) or {}
    return {}


_KINDS = {
    "open-badge": "Open Badges 3.0 credential",
    "verifiable-credential": "verifiable credential",
    "presentation": "verifiable presentation",
    "vc-jwt+open-badge": "Open Badges 3.0 credential (JWT)",
    "vc-jwt+verifiable-credential": "verifiable credential (JWT)",
    "vc-jwt+presentation": "verifiable presentation (JWT)",
}


def _kind(report: VerificationReport) -> str:
    return _KINDS.get(report.kind, "credential")


# ---------------------------------------------------------------------------- the steps


def _format_step(
    report: VerificationReport, kind: str, bundle: BundleReport | None, live: bool
) -> StepView:
    steps = _steps(report, StepName.PARSE, StepName.CONTEXT, StepName.SCHEMA, StepName.SAFE_MODE)
    bundle_steps = [] if bundle is None else [s for s in bundle.steps if s.name in _BUNDLE_FORMAT]
    if bundle is not None and live:  # the bundle's own offline check is evidence here
        bundle_steps += [s for s in bundle.steps if s.name is BundleStepName.CREDENTIAL]
    technical = _technical([*steps, *bundle_steps])
    question = "Is it a readable credential?"
    for step in steps:
        if step.outcome is Outcome.FAILED:
            summary = {
                StepName.PARSE: f"It is not a credential: {_clip(step.message, 300)}.",
                StepName.CONTEXT: "It uses a vocabulary (JSON-LD context) this verifier does "
                f"not know: {_clip(step.message, 300)}.",
                StepName.SCHEMA: "It breaks the Open Badges 3.0 rules: "
                f"{_clip(step.message, 300)}.",
                StepName.SAFE_MODE: "It holds terms that no known vocabulary defines, so its "
                f"meaning is unclear: {_clip(step.message, 300)}.",
            }[step.name]
            return StepView("format", question, StepState.FAILED, summary, technical=technical)
    for bstep in bundle_steps:
        if bstep.outcome is Outcome.FAILED:
            if bstep.name is BundleStepName.BAKED:
                summary = "The credential in the image differs from the one in its bundle."
            elif bstep.name is BundleStepName.CREDENTIAL:
                summary = f"The bundle's own evidence does not hold: {_clip(bstep.message, 300)}."
            else:
                summary = f"The verification bundle cannot be read: {_clip(bstep.message, 300)}."
            return StepView("format", question, StepState.FAILED, summary, technical=technical)
    if not steps:
        return StepView("format", question, StepState.NOT_CHECKED, "Nothing was read.")
    where = " in a verification bundle" if bundle is not None else ""
    return StepView(
        "format",
        question,
        StepState.PASSED,
        f"It is a well-formed {kind}{where}, in vocabularies this verifier knows.",
        technical=technical,
    )


_BUNDLE_FORMAT = frozenset({BundleStepName.FORMAT, BundleStepName.BAKED})


def _issuer_step(
    report: VerificationReport, document: Mapping[str, Any], found: Findings
) -> StepView:
    issuer = document.get("issuer")
    did = report.issuer or (_clip(issuer) if isinstance(issuer, str) else None)
    name = _string(issuer, "name")
    who = name or did or "no one"
    facts: list[Fact] = []
    if name:
        facts.append(Fact("Name", name))
    if did:
        facts.append(Fact("Identifier (DID)", _clip(did, 500), code=True))
    url = _link(issuer.get("url")) if isinstance(issuer, Mapping) else None
    if url:
        facts.append(Fact("Web site", _clip(url, 500), href=url, code=True))
    if found.issuer_here:
        facts.append(Fact("On this platform", f"Yes: the organisation {found.issuer_here}"))
    elif did:
        facts.append(Fact("On this platform", "No"))
    question = "Who issued it?"
    steps = _steps(report, StepName.CONTROLLER)
    technical = _technical(steps)
    step = _worst(steps)
    here = " (an organisation on this platform)" if found.issuer_here else ""
    if not did:
        return StepView(
            "issuer", question, StepState.FAILED, "It names no issuer.", tuple(facts), (), technical
        )
    if step is None:
        summary = (
            f"It names {who} as its issuer{here}; not confirmed, because the signature could "
            "not be checked."
        )
        return StepView(
            "issuer", question, StepState.NOT_CHECKED, summary, tuple(facts), (), technical
        )
    if step.outcome is Outcome.PASSED:
        summary = f"Issued by {who}{here}, whose own key signed it."
        return StepView("issuer", question, StepState.PASSED, summary, tuple(facts), (), technical)
    summary = f"It names {who} as its issuer, but it was signed with a key of someone else."
    state = StepState.FAILED if step.outcome is Outcome.FAILED else StepState.WARNING
    return StepView("issuer", question, state, summary, tuple(facts), (), technical)


_IDENTITY_TYPES = {
    "emailAddress": "an e-mail address",
    "name": "a name",
    "userName": "a user name",
    "accountId": "an account",
    "studentId": "a student number",
    "nationalIdentityNumber": "a national identity number",
}


def _recipient_step(document: Mapping[str, Any]) -> StepView:
    subject = _first_object(document.get("credentialSubject")) or {}
    facts: list[Fact] = []
    name = _string(subject, "name")
    if name:
        facts.append(Fact("Name", name))
    identifiers = subject.get("identifier")
    for identity in (identifiers if isinstance(identifiers, list) else [identifiers])[:10]:
        if not isinstance(identity, Mapping):
            continue
        kind = identity.get("identityType")
        what = _IDENTITY_TYPES.get(kind, "an identifier") if isinstance(kind, str) else ""
        value = identity.get("identityHash")
        if identity.get("hashed") is True:
            facts.append(Fact("Identified by", f"{what or 'an identifier'} (hashed)"))
        elif isinstance(value, str) and value.strip():
            label = {"name": "Name", "emailAddress": "E-mail address"}.get(str(kind), "Identifier")
            facts.append(Fact(label, _clip(value, 300)))
    subject_id = _string(subject, "id")
    if subject_id:
        label = "Identifier (DID)" if subject_id.startswith("did:") else "Identifier"
        facts.append(Fact(label, subject_id, code=True))
    question = "Who received it?"
    if not facts:
        return StepView("recipient", question, StepState.WARNING, "It names no recipient.")
    summary = f"Awarded to {facts[0].value}."
    shown = tuple(facts) if len(facts) > 1 else ()  # one fact is the summary itself
    return StepView("recipient", question, StepState.INFO, summary, shown)


def _dates_step(report: VerificationReport, document: Mapping[str, Any]) -> StepView:
    issued = (
        document.get("awardedDate") or document.get("issuanceDate") or document.get("validFrom")
    )
    start = document.get("validFrom", document.get("issuanceDate"))
    end = document.get("validUntil", document.get("expirationDate"))
    facts = [
        Fact(label, text)
        for label, text in (
            ("Issued", _when(issued)),
            ("Valid from", _when(start)),
            ("Valid until", _when(end) or "No end date"),
            ("Checked at", _when(report.checked_at)),
        )
        if text
    ]
    steps = _steps(report, StepName.VALIDITY)
    technical = _technical(steps)
    question = "When is it valid?"
    step = _worst(steps)
    if step is None:
        summary = "Not checked, because an earlier check failed."
        return StepView("dates", question, StepState.NOT_CHECKED, summary, tuple(facts))
    if step.outcome is Outcome.PASSED:
        until = f"until {_when(end)}" if end is not None else "with no end date"
        summary = f"Valid at the time of this check, {until}."
        return StepView("dates", question, StepState.PASSED, summary, tuple(facts), (), technical)
    if step.code == "CREDENTIAL_EXPIRED":
        summary = f"It expired on {_when(end)}."
    elif step.code == "CREDENTIAL_NOT_YET_VALID":
        summary = f"It is not valid before {_when(start)}."
    else:
        summary = f"Its dates cannot be read: {_clip(step.message, 300)}."
    return StepView("dates", question, StepState.FAILED, summary, tuple(facts), (), technical)


def _achievement(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = _first_object(document.get("credentialSubject")) or {}
    achievement = subject.get("achievement")
    return achievement if isinstance(achievement, Mapping) else {}


def _achievement_step(document: Mapping[str, Any]) -> StepView:
    achievement = _achievement(document)
    question = "What was achieved?"
    if not achievement:
        summary = "It describes no achievement (it is not an Open Badge)."
        name = _string(document, "name")
        named = (Fact("Name", name),) if name else ()
        return StepView("achievement", question, StepState.INFO, summary, named)
    facts: list[Fact] = []
    name = _string(achievement, "name")
    for label, value in (
        ("Kind", _string(achievement, "achievementType")),
        ("Description", _string(achievement, "description")),
    ):
        if value:
            facts.append(Fact(label, value))
    criteria = achievement.get("criteria")
    narrative = _string(criteria, "narrative")
    criteria_url = _link(criteria.get("id")) if isinstance(criteria, Mapping) else None
    if narrative:
        facts.append(Fact("Criteria", narrative))
    if criteria_url:
        facts.append(Fact("Criteria page", _clip(criteria_url, 500), href=criteria_url, code=True))
    summary = f"{name}." if name else "An achievement without a name."
    return StepView("achievement", question, StepState.INFO, summary, tuple(facts))


def _skills_step(document: Mapping[str, Any]) -> StepView:
    alignments = _achievement(document).get("alignment")
    items: list[Fact] = []
    for alignment in alignments if isinstance(alignments, list) else []:
        if not isinstance(alignment, Mapping) or len(items) >= _MAX_ITEMS:
            continue
        if alignment.get("targetType") in ELEMENT_TARGET_TYPES:
            continue  # EQF levels and other EU elements are not skills
        name = _string(alignment, "targetName")
        if not name:
            continue
        framework = _string(alignment, "targetFramework") or ""
        items.append(Fact(name, framework, href=_link(alignment.get("targetUrl"))))
    question = "Which skills does it show?"
    if not items:
        return StepView("skills", question, StepState.INFO, "It lists no skills.")
    names = ", ".join(i.label for i in items[:5]) + (" and more" if len(items) > 5 else "")
    summary = f"{len(items)} skill{'s' if len(items) != 1 else ''}: {names}."
    return StepView("skills", question, StepState.INFO, summary, (), tuple(items))


def _signature_step(report: VerificationReport, bundle: BundleReport | None) -> StepView:
    steps = _steps(report, StepName.KEY_RESOLUTION, StepName.PROOF)
    compromise = None if bundle is None else bundle.step(BundleStepName.KEY_COMPROMISE)
    technical = _technical([*steps, *([] if compromise is None else [compromise])])
    facts: list[Fact] = []
    for step in steps:
        method = step.details.get("verificationMethod")
        if step.name is StepName.KEY_RESOLUTION and isinstance(method, str):
            facts.append(Fact("Signing key", _clip(method, 500), code=True))
        suite = step.details.get("suite")
        if step.name is StepName.PROOF and isinstance(suite, str):
            facts.append(Fact("Method", _clip(suite, 100)))
    question = "Is the signature valid?"
    failed = next((s for s in steps if s.outcome is Outcome.FAILED), None)
    if failed is not None:
        if failed.name is StepName.KEY_RESOLUTION or failed.code in _KEY_CODES:
            summary = (
                "The issuer's signing key could not be found (this server knows the keys of "
                "its own organisations and did:key keys), so the signature cannot be trusted."
            )
        elif "no proof" in failed.message:
            summary = "It is not signed."
        elif failed.code == "INVALID_PROOF_CONFIGURATION":
            summary = f"It is signed in a way this verifier does not support: {failed.message}."
        else:
            summary = (
                "The signature does not match: the credential was changed after it was signed, "
                "or it was signed by another key."
            )
        return StepView(
            "signature", question, StepState.FAILED, summary, tuple(facts), (), technical
        )
    if compromise is not None and compromise.outcome is Outcome.FAILED:
        summary = f"The signing key was compromised: {_clip(compromise.message, 300)}."
        return StepView(
            "signature", question, StepState.FAILED, summary, tuple(facts), (), technical
        )
    if any(s.name is StepName.PROOF and s.outcome is Outcome.PASSED for s in steps):
        summary = "The signature is valid: nothing in the credential changed since it was signed."
        state = StepState.PASSED
        if compromise is not None and compromise.outcome is Outcome.WARNING:
            state = StepState.WARNING
            summary += f" But: {_clip(compromise.message, 300)}."
        return StepView("signature", question, state, summary, tuple(facts), (), technical)
    summary = "Not checked, because an earlier check failed."
    return StepView(
        "signature", question, StepState.NOT_CHECKED, summary, tuple(facts), (), technical
    )


_KEY_CODES = frozenset(
    {"UNRESOLVABLE_VERIFICATION_METHOD", "UNSUPPORTED_DID_METHOD", "FETCH_REFUSED", "FETCH_FAILED"}
)


def _revocation_step(
    report: VerificationReport, document: Mapping[str, Any], bundle: BundleReport | None
) -> StepView:
    steps = _steps(report, StepName.STATUS)
    freshness = None if bundle is None else bundle.step(BundleStepName.STATUS_FRESHNESS)
    technical = _technical([*steps, *([] if freshness is None else [freshness])])
    facts: list[Fact] = []
    status = document.get("credentialStatus")
    entry = _first_object(status)
    list_url = _string(entry, "statusListCredential")
    if list_url:
        facts.append(Fact("Status list", list_url, code=True))
    held = _suspension_entry(status)
    held_url = _string(held, "statusListCredential")
    if held_url and held is not entry:
        facts.append(Fact("Suspension list", held_url, code=True))
    issued_text = ""
    for found in steps:
        issued = found.details.get("listIssued")
        if issued is None:  # failed steps name the list's time only in their message
            match = _LIST_ISSUED.search(found.message)
            issued = match.group(1) if match else None
        if isinstance(issued, str) and report.checked_at and not issued_text:
            try:
                age = parse_datetime(report.checked_at) - parse_datetime(issued)
            except CredstackError:
                continue
            issued_text = f"the issuer's status list as of {_when(issued)}, {_age(age)}"
            facts.append(Fact("List as of", f"{_when(issued)} ({_age(age)})"))
    if freshness is not None and isinstance(freshness.details.get("evidenceTime"), str):
        facts.append(Fact("Status evidence from", _when(freshness.details["evidenceTime"]) or ""))
    question = "Has it been revoked or suspended?" if held else "Has it been revoked?"
    step = _worst(steps)
    if step is None:
        summary = "Not checked, because an earlier check failed."
        return StepView("revocation", question, StepState.NOT_CHECKED, summary, tuple(facts))
    source = f" (according to {issued_text})" if issued_text else ""
    if step.outcome is Outcome.FAILED:
        if step.code == "CREDENTIAL_REVOKED":
            summary = f"It was revoked by its issuer{source}."
        elif step.code == "CREDENTIAL_SUSPENDED":
            summary = f"It is suspended by its issuer{source}; the issuer can lift a suspension."
        else:
            summary = f"Its revocation status cannot be trusted: {_clip(step.message, 300)}."
        return StepView(
            "revocation", question, StepState.FAILED, summary, tuple(facts), (), technical
        )
    if step.outcome is Outcome.WARNING:
        if "not supplied" in step.message:
            summary = (
                "Not checked: the issuer's status list is not on this server, and this server "
                "does not fetch other servers' lists."
            )
        else:
            summary = f"Not fully checked: {_clip(step.message, 300)}."
        return StepView(
            "revocation", question, StepState.WARNING, summary, tuple(facts), (), technical
        )
    if step.outcome is Outcome.SKIPPED:
        summary = "It has no revocation list, so its issuer cannot revoke it."
        return StepView(
            "revocation", question, StepState.INFO, summary, tuple(facts), (), technical
        )
    summary = f"Not revoked or suspended{source}." if held else f"Not revoked{source}."
    if freshness is not None and freshness.outcome is Outcome.WARNING:
        summary = f"Not revoked, but the evidence may be out of date: {_clip(freshness.message)}."
        return StepView(
            "revocation", question, StepState.WARNING, summary, tuple(facts), (), technical
        )
    if freshness is not None and freshness.outcome is Outcome.PASSED:
        summary = f"Not revoked, according to the bundled status list ({freshness.message})."
    return StepView("revocation", question, StepState.PASSED, summary, tuple(facts), (), technical)


def _trust_step(found: Findings, issuer: StepView) -> StepView:
    question = "Is the issuer trusted?"
    if issuer.state not in (StepState.PASSED, StepState.WARNING):
        summary = "Not checked, because who issued it is not confirmed."
        return StepView("trust", question, StepState.NOT_CHECKED, summary)
    if found.trust is None:
        summary = "Not checked: no trust information is available for this issuer."
        return StepView("trust", question, StepState.NOT_CHECKED, summary)
    t = found.trust
    return StepView("trust", question, t.state, t.summary, t.facts, (), t.technical)


_BUNDLE_LOG = (
    BundleStepName.TRUST,
    BundleStepName.CHECKPOINT,
    BundleStepName.COSIGNATURES,
    BundleStepName.CREDENTIAL_LOGGED,
    BundleStepName.DID_DOCUMENT_LOGGED,
    BundleStepName.CURRENT_DID_DOCUMENT_LOGGED,
    BundleStepName.ANCHORS,
)


def _bundle_log(bundle: BundleReport) -> Finding:
    steps = [s for s in bundle.steps if s.name in _BUNDLE_LOG]
    technical = _technical(steps)
    failed = next((s for s in steps if s.outcome is Outcome.FAILED), None)
    if failed is not None:
        summary = f"The bundle's log evidence does not hold: {_clip(failed.message, 300)}."
        return Finding(StepState.FAILED, summary, (), technical)
    logged = bundle.step(BundleStepName.CREDENTIAL_LOGGED)
    facts: tuple[Fact, ...] = ()
    if logged is not None and isinstance(logged.details.get("issued"), str):
        facts = (Fact("Recorded", _when(logged.details["issued"]) or ""),)
    if bundle.log_trusted and logged is not None and logged.outcome is Outcome.PASSED:
        summary = (
            "Recorded in this server's transparency log: the bundle's proof against a checkpoint "
            "signed by this server's log key verifies."
        )
        return Finding(StepState.PASSED, summary, facts, technical)
    summary = (
        "The bundle carries log evidence, but from a log whose key this server does not hold, "
        "so it proves nothing here."
    )
    return Finding(StepState.WARNING, summary, facts, technical)


def _log_step(found: Findings, bundle: BundleReport | None) -> StepView:
    question = "Is it in the transparency log?"
    finding = _bundle_log(bundle) if bundle is not None else found.log
    if finding is None:
        return StepView("log", question, StepState.NOT_CHECKED, "Not checked.")
    return StepView(
        "log", question, finding.state, finding.summary, finding.facts, (), finding.technical
    )


def _holder_step(report: VerificationReport, document: Mapping[str, Any]) -> StepView:
    holder = document.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    facts = (
        (Fact("Holder", _clip(holder_id, 500), code=True),) if isinstance(holder_id, str) else ()
    )
    steps = _steps(report, StepName.KEY_RESOLUTION, StepName.PROOF, StepName.CONTROLLER)
    technical = _technical(steps)
    question = "Who presented it?"
    step = _worst(steps)
    if step is None:
        summary = "Not checked, because an earlier check failed."
        return StepView("holder", question, StepState.NOT_CHECKED, summary, facts)
    if step.outcome is Outcome.FAILED:
        summary = "The presentation's signature is not valid, or not by its holder."
        return StepView("holder", question, StepState.FAILED, summary, facts, (), technical)
    if step.outcome is Outcome.WARNING:
        summary = "The presentation itself is not signed, so who presented it is not known."
        return StepView("holder", question, StepState.WARNING, summary, facts, (), technical)
    summary = "The holder signed the presentation."
    return StepView("holder", question, StepState.PASSED, summary, facts, (), technical)


def _credentials_step(report: VerificationReport) -> StepView:
    steps = _steps(report, StepName.PRESENTATION)
    question = "Are the presented credentials valid?"
    step = _worst(steps)
    if step is None:
        summary = "Not checked, because an earlier check failed."
        return StepView("credentials", question, StepState.NOT_CHECKED, summary)
    valid = sum(r.verified for r in report.nested)
    total = len(report.nested)
    state = {
        Outcome.PASSED: StepState.PASSED,
        Outcome.FAILED: StepState.FAILED,
    }.get(step.outcome, StepState.WARNING)
    summary = (
        f"{valid} of {total} presented credential{'s' if total != 1 else ''} "
        f"{'is' if valid == 1 else 'are'} valid."
        if total
        else "It holds no credential."
    )
    return StepView("credentials", question, state, summary, (), (), _technical(steps))


# ---------------------------------------------------------------------------- the report


_FAILURE_ORDER = (
    "format",
    "signature",
    "issuer",
    "revocation",
    "dates",
    "holder",
    "credentials",
    "log",
    "trust",
    "recipient",
)


def _verdict(
    report_ok: bool, steps: Sequence[StepView], nested: Sequence[ReportView]
) -> tuple[Verdict, str]:
    failed = [s for s in steps if s.state is StepState.FAILED]
    if failed or not report_ok:
        rank = {key: n for n, key in enumerate(_FAILURE_ORDER)}
        failed.sort(key=lambda s: rank.get(s.key, len(rank)))
        if failed:
            return Verdict.INVALID, f"Not valid: {_sentence(failed[0].summary)}"
        inner = next((n for n in nested if n.verdict is Verdict.INVALID), None)
        if inner is not None:
            return Verdict.INVALID, f"Not valid: a presented credential is not: {inner.headline}"
        return Verdict.INVALID, "Not valid: nothing in it could be checked cryptographically"
    if any(s.state is StepState.WARNING for s in steps) or any(
        n.verdict is not Verdict.VALID for n in nested
    ):
        return Verdict.WARNINGS, "Valid with warnings"
    return Verdict.VALID, "Valid"


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if len(text) > MAX_SHOWN_JSON:
        return text[:MAX_SHOWN_JSON] + f"\n… (cut: {len(text) - MAX_SHOWN_JSON} more characters)"
    return text


def _image(document: Mapping[str, Any]) -> str | None:
    image = _achievement(document).get("image")
    source = image.get("id") if isinstance(image, Mapping) else image
    if isinstance(source, str) and len(source) <= 3_000_000 and _DATA_IMAGE.fullmatch(source):
        return source
    return None


def _no_findings(_: Any) -> Findings:
    return Findings()


def explain(
    report: VerificationReport,
    raw: Any,
    *,
    lookup: Lookup | None = None,
    bundle: BundleReport | None = None,
    live: bool = False,
    level: int = 2,
) -> ReportView:
    """The plain-language view of ``report``, the verification of ``raw`` (the credential or
    presentation as verified: a JSON object or a compact JWS).

    ``lookup`` gives the platform facts of each credential (issuer here, trust, log); without
    it trust and log show as "not checked".  ``bundle`` is the report of the verification
    bundle ``raw`` came in (its log, key-compromise and status-freshness steps are used);
    ``live`` says ``report`` is this server's own check of the bundle's credential rather than
    the bundle's offline one.  ``level`` is the heading level of the view's title.
    """
    find = lookup or _no_findings
    document = _document(raw)
    kind = _kind(report)
    level = max(2, min(level, 5))
    nested: tuple[ReportView, ...] = ()
    if report.kind.endswith("presentation"):
        items = document.get("verifiableCredential")
        listed = [] if items is None else items if isinstance(items, list) else [items]
        nested = tuple(
            explain(child, item, lookup=lookup, level=level + 1)
            for child, item in zip(report.nested, listed, strict=False)
        )
        steps: tuple[StepView, ...] = (
            _format_step(report, kind, None, False),
            _holder_step(report, document),
            _credentials_step(report),
        )
        title = _string(document, "name") or "Verifiable presentation"
        issuer_name = None
        image = None
    else:
        found = find(raw) if not report.unusable else Findings()
        issuer = _issuer_step(report, document, found)
        steps = (
            _format_step(report, kind, bundle, live),
            issuer,
            _recipient_step(document),
            _dates_step(report, document),
            _achievement_step(document),
            _skills_step(document),
            _signature_step(report, bundle),
            _revocation_step(report, document, bundle),
            _trust_step(found, issuer),
            _log_step(found, bundle),
        )
        title = _string(_achievement(document), "name") or _string(document, "name") or "Credential"
        issuer_name = _string(document.get("issuer"), "name") or report.issuer
        image = _image(document)
    verdict, headline = _verdict(report.verified, steps, nested)
    machine: dict[str, Any] = report.to_json()
    if bundle is not None:
        machine = {"credential": machine, "bundle": bundle.to_json()}
    return ReportView(
        verdict=verdict,
        headline=headline,
        title=title,
        kind=kind,
        steps=steps,
        checked_at=_when(report.checked_at) or "",
        credential_json=_pretty(raw if isinstance(raw, str) else dict(document)),
        report_json=_pretty(machine),
        nested=nested,
        image=image,
        issuer_name=issuer_name,
        level=level,
    )


# ---------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class Input:
    """What was given to verify: a credential or presentation (JSON object or compact JWS),
    with the verification bundle it came in or was baked with."""

    document: Any
    bundle: dict[str, Any] | None = None
    source: str = "JSON"  # "JSON", "PNG image", "SVG image", "JWS", "verification bundle"


def read_input(data: bytes | str, *, what: str = "the input") -> Input:
    """Read pasted text, a file or a fetched body: a baked PNG or SVG, a verification bundle,
    a credential or presentation (JSON), or a compact JWS.  :class:`InvalidInput` (with a
    message for people, naming the input ``what``) when it is none of these or over
    :data:`MAX_INPUT_BYTES`."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_INPUT_BYTES:
        raise InvalidInput(
            f"{what} is {len(raw) / 1_048_576:.1f} MB; the limit is "
            f"{MAX_INPUT_BYTES // 1_048_576} MB",
            code="INPUT_TOO_LARGE",
        )
    if is_png(raw):
        credential, bundle = extract(raw)
        return Input(credential, bundle, "PNG image")
    text_head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text_head.startswith((b"<!doctype html", b"<html")):
        raise InvalidInput(
            f"{what} is a web page (HTML), not a credential: give the credential's JSON or its "
            "badge image"
        )
    if is_svg(raw):
        credential, bundle = extract(raw)
        return Input(credential, bundle, "SVG image")
    try:
        text = raw.decode("utf-8").lstrip("\ufeff").strip()
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{what} is neither a badge image (PNG or SVG) nor text (JSON) that can be read"
        ) from None
    if not text:
        raise InvalidInput(f"there is nothing to verify: {what} is empty")
    if _JWS.fullmatch(text):
        return Input(text, None, "JWS")
    value = parse_json(text, what=what, max_bytes=MAX_BUNDLE_BYTES)
    if is_bundle(value):
        credential = value.get("credential")
        return Input(credential, value, "verification bundle")
    if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"a credential may be at most {MAX_DOCUMENT_BYTES // 1_048_576} MB "
            f"(a verification bundle: {MAX_BUNDLE_BYTES // 1_048_576} MB)",
            code="INPUT_TOO_LARGE",
        )
    if not isinstance(value, dict):
        raise InvalidInput(
            f"this is not a credential: a credential is a JSON object, not a JSON "
            f"{_json_type(value)}"
        )
    if "@context" not in value or "type" not in value:
        missing = " or ".join(k for k in ("@context", "type") if k not in value)
        raise InvalidInput(f"this is not a credential: it has no {missing}")
    return Input(value, None, "JSON")


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "constant"
    return "number"


# ---------------------------------------------------------------------------- the platform


def _issuer_did(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    did = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return did if isinstance(did, str) else None


def _retrying(ctx: AppContext, read: Callable[[UnitOfWork], Finding]) -> Finding:
    """Run ``read`` in a unit of work that may sign a checkpoint; two requests signing the
    same tree size at once clash on commit and the later one reads the stored one."""
    for attempt in (1, 2):
        try:
            with ctx.work() as uow:
                return read(uow)
        except Conflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class PlatformLookup:
    """:data:`Lookup` on this server: trust (recognition by trust registries — ``registries``
    chosen, else the deployment's defaults — and "this server knows the issuer" for its own
    organisations, with their endorsements: ``web/trust_facts.py``) and its transparency log
    (inclusion proof against the latest checkpoint, verified with the platform's log keys)."""

    def __init__(
        self, ctx: AppContext, *, log: bool = True, registries: Sequence[str] | None = None
    ) -> None:
        self.ctx = ctx
        self.check_log = log
        with ctx.work() as uow:
            self.organisations = {o.did: o.name for o in uow.organisations.list()}
        self.trust_view = trust_view(ctx, registries)
        self.chosen = registries is not None
        self._tallies: dict[str, Tally] = {}

    def __call__(self, raw: Any) -> Findings:
        document = _document(raw)
        did = _issuer_did(document)
        here = self.organisations.get(did) if isinstance(did, str) else None
        trust = self.trust(did, here, achievement_type_of(document)) if did else None
        log = self.log(raw) if self.check_log and isinstance(raw, Mapping) else None
        return Findings(issuer_here=here, trust=trust, log=log)

    def trust(self, did: str, here: str | None, achievement_type: str | None) -> Finding:
        """Whether the issuer ``did`` is recognised, or one of this server's organisations."""
        if here is not None and did not in self._tallies:
            with self.ctx.work() as uow:
                views = endorsements_of(uow, [did], self.trust_view.checker, self.trust_view)
            self._tallies[did] = tally(views)
        answer = trust_answer(
            self.trust_view,
            did,
            here=here,
            achievement_type=achievement_type,
            endorsements=self._tallies.get(did),
            chosen=self.chosen,
        )
        facts = tuple(Fact(label, _clip(value, 600)) for label, value in answer.facts)
        return Finding(StepState(answer.state), answer.summary, facts)

    def log(self, credential: Mapping[str, Any]) -> Finding:
        """Whether ``credential`` (exactly, proof included) is in this server's log."""
        try:
            digest = credential_digest(credential)
        except CredstackError as exc:
            return Finding(StepState.NOT_CHECKED, f"Not checked: {exc.message}.")
        return _retrying(self.ctx, lambda uow: self._log(uow, credential, digest))

    def _log(self, uow: UnitOfWork, credential: Mapping[str, Any], digest: bytes) -> Finding:
        ctx = self.ctx
        logged = [e for e in uow.log.find(digest=digest) if e.event == EventType.CREDENTIAL_ISSUED]
        credential_id = credential.get("id")
        if not logged:
            stored = uow.credentials.get(credential_id) if isinstance(credential_id, str) else None
            owner = uow.organisations.get(stored.organisation_id) if stored is not None else None
            if owner is not None and owner.did == _issuer_did(credential):
                return Finding(
                    StepState.FAILED,
                    "This server issued a credential with this identifier, but its log records "
                    "other contents: this copy was changed.",
                )
            return Finding(
                StepState.NOT_CHECKED,
                "Not issued on this server, so this server's log has no record of it.",
            )
        try:
            verifiers = log_verifiers(platform_did_document(uow, ctx.host), ctx.host)
        except InvalidState:
            return Finding(StepState.NOT_CHECKED, "Not checked: this server has no log key yet.")
        proof = inclusion_proof(uow, ctx.custody, ctx.host, ctx.clock(), digest=digest)
        try:
            head = verify_checkpoint(proof.checkpoint, verifiers).checkpoint
            if head.origin != log_origin(ctx.host) or head.size != proof.size:
                raise ProofError("the checkpoint is not of this server's log at that size")
            leaf = decode_leaf(proof.entry.leaf)
            if leaf.digest != digest or leaf.event is not EventType.CREDENTIAL_ISSUED:
                raise ProofError("the log entry is not this credential's issuance")
            verify_inclusion(
                proof.entry.index,
                head.size,
                leaf_hash(proof.entry.leaf),
                proof.proof,
                head.root_hash,
            )
        except CredstackError as exc:
            return Finding(
                StepState.FAILED,
                f"The log's proof for this credential does not verify: {exc.message}.",
            )
        facts = [
            Fact("Recorded", _format_time(leaf.time)),
            Fact("Log entry", f"{proof.entry.index + 1} of {head.size}"),
            Fact("Checkpoint", f"{head.origin}, tree size {head.size}", code=True),
        ]
        if isinstance(credential_id, str):
            logged_changes = uow.log.find(credential_id=credential_id)
            revoked = [e for e in logged_changes if e.event == EventType.CREDENTIAL_REVOKED]
            if revoked:
                when = _format_time(decode_leaf(revoked[0].leaf).time)
                facts.append(Fact("Revocation recorded", when))
            changes = [e for e in logged_changes if e.event in _SUSPENSION_EVENTS]
            if changes:  # the latest suspension or reinstatement
                latest = decode_leaf(changes[-1].leaf)
                label = _SUSPENSION_EVENTS[latest.event]
                facts.append(Fact(label, _format_time(latest.time)))
        summary = (
            f"Recorded in this server's transparency log on {_format_time(leaf.time)}; its "
            "inclusion proof against the latest signed checkpoint verifies."
        )
        return Finding(StepState.PASSED, summary, tuple(facts))


_SUSPENSION_EVENTS = {
    EventType.CREDENTIAL_SUSPENDED: "Suspension recorded",
    EventType.CREDENTIAL_REINSTATED: "Reinstatement recorded",
}


def _verify_live(ctx: AppContext, document: Any) -> VerificationReport:
    """The verification ``POST /credentials/verify`` does (same resolver and status lists)."""
    with ctx.work() as uow:
        resolver, lists = verifier_inputs(ctx, uow, document)
    return Verifier(resolver).verify(document, VerifyOptions(at=ctx.clock(), status_lists=lists))


def verify_document(
    ctx: AppContext, document: Any, *, lookup: Lookup | None = None, level: int = 2
) -> ReportView:
    """Verify a credential or presentation (a JSON object or a compact JWS) on this server
    and explain it (with :class:`PlatformLookup` unless another ``lookup`` is given)."""
    report = _verify_live(ctx, document)
    return explain(report, document, lookup=lookup or PlatformLookup(ctx), level=level)


def _own_trust(ctx: AppContext) -> TrustAnchors:
    with ctx.work() as uow:
        try:
            document = platform_did_document(uow, ctx.host)
        except InvalidState:
            return TrustAnchors()
    return TrustAnchors(log_keys=tuple(log_verifiers(document, ctx.host)))


def verify_bundle_document(
    ctx: AppContext,
    bundle: Mapping[str, Any],
    *,
    baked: Any = None,
    lookup: Lookup | None = None,
    level: int = 2,
) -> ReportView:
    """Verify an offline verification bundle (and the credential baked beside it, if any)
    with this server's log key pinned.  A credential of one of this server's organisations
    is also checked live (today's status list); others rest on the bundle's evidence."""
    found = lookup or PlatformLookup(ctx, log=False)  # the bundle brings the log evidence
    result = verify_bundle(bundle, at=ctx.clock(), trust=_own_trust(ctx), baked_credential=baked)
    credential = bundle.get("credential")
    if result.unusable or not isinstance(credential, Mapping):
        failure = result.first_failure
        raise InvalidInput(
            "this verification bundle cannot be read: "
            + (failure.message if failure else "it holds no credential")
        )
    if found(credential).issuer_here is not None:
        report, live = _verify_live(ctx, credential), True
    elif result.credential is not None:
        report, live = result.credential, False
    else:
        report, live = _verify_live(ctx, credential), True
    return explain(report, credential, lookup=found, bundle=result, live=live, level=level)


def verify_input(ctx: AppContext, given: Input, *, level: int = 2) -> ReportView:
    """Verify what :func:`read_input` read; :class:`InvalidInput` when it is no credential."""
    if given.bundle is not None:
        baked = None if given.source == "verification bundle" else given.document
        return verify_bundle_document(ctx, given.bundle, baked=baked, level=level)
    return verify_document(ctx, given.document, level=level)
