"""Verify a credential (or presentation) offline and report every step.

Steps, in order (each applies by credential kind):

1. parse — a JSON object with ``@context`` and ``type`` (or a compact JWS: VC-JWT).
2. context — every context is bundled; ``@context[0]`` is the VC context.
3. schema — Open Badges only: the official JSON Schema plus the rules it misses.
4. safe_mode — every term defined, no relative IRI (DATA_LOSS_DETECTION_ERROR).
5. key_resolution and proof — each Data Integrity proof (or the JWS signature).
6. controller — the signing key's controller is the issuer: fatal for Open Badges, reported
   for other credentials.
7. validity — ``validFrom``/``validUntil`` at the given time.
8. status — Bitstring Status List when ``credentialStatus`` is present and a list is supplied;
   every entry of a ``credentialStatus`` array is checked (e.g. revocation and suspension), and
   the step fails for a set revocation (``CREDENTIAL_REVOKED``) or suspension
   (``CREDENTIAL_SUSPENDED``) bit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credstack._json import check_depth, parse_json, parse_json_object
from credstack.errors import CredstackError, InvalidInput
from credstack.jsonld.loader import CREDENTIALS_V2, is_bundled
from credstack.jsonld.processor import expander
from credstack.models.validate import Problem, validate_credential
from credstack.proofs.dataintegrity import (
    OPEN_BADGE_TYPES,
    ProofCheck,
    format_datetime,
    parse_datetime,
    unsupported_proof,
    verify_proof,
)
from credstack.proofs.jose import verify_jws
from credstack.resolve.base import Fetcher, KeyResolver
from credstack.statuslist import decode_list, read_status
from credstack.verify.report import Outcome, StepName, VerificationReport

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_TYPES = OPEN_BADGE_TYPES
_RESOLUTION_CODES = frozenset(
    {
        "UNRESOLVABLE_VERIFICATION_METHOD",
        "UNSUPPORTED_DID_METHOD",
        "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
        "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
        "INVALID_VERIFICATION_METHOD",
        "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
        "FETCH_FAILED",
        "FETCH_REFUSED",
        "INVALID_KEY",
    }
)
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """What the verifier may use besides the credential.  Nothing here reaches the network."""

    at: datetime
    #: signed BitstringStatusListCredentials keyed by their URL (``statusListCredential``)
    status_lists: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    #: the guarded fetcher for status lists not supplied; None = offline
    fetcher: Fetcher | None = None
    #: enforce "key controller == issuer" even for non-Open-Badge credentials
    strict_controller: bool = False
    challenge: str | None = None
    domain: str | None = None


def _types(value: Any) -> list[str]:
    raw = value.get("type") if isinstance(value, dict) else None
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [t for t in raw if isinstance(t, str)]
    return []


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _describe(problems: list[Problem]) -> str:
    text = "; ".join(f"{p.path or '/'}: {p.message}" for p in problems[:5])
    return text + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")


MAX_STATUS_ENTRIES = 16
"""The most ``credentialStatus`` entries a credential may have (more fail the status step)."""
_MAX_INDEX_DIGITS = 18  # far beyond any list (16 MiB of bits), well within int() limits
_STATUS_SHAPE = "must be an object with a string id and type (CredentialStatus)"


def _status_shaped(entry: Any) -> bool:
    """What the OB 3.0 schema asks of a ``CredentialStatus``: an object with string id, type."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("type"), str)
    )


def _kind(types: list[str]) -> str:
    if "VerifiablePresentation" in types:
        return "presentation"
    if OB_TYPES.intersection(types):
        return "open-badge"
    return "verifiable-credential"


class Verifier:
    """Verifies credentials with one key resolver (offline unless it was given a fetcher)."""

    def __init__(self, resolver: KeyResolver) -> None:
        self.resolver = resolver

    # ------------------------------------------------------------------ entry points

    def verify(self, raw: Any, options: VerifyOptions) -> VerificationReport:
        """Verify a credential or presentation given as a dict, JSON text/bytes or a compact JWS."""
        report = VerificationReport(checked_at=format_datetime(options.at))
        document: Any = raw
        if isinstance(raw, (bytes, str)):
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            stripped = text.strip()
            if _JWS.match(stripped):
                return self._verify_jwt(stripped, options, report)
            try:
                document = parse_json(raw, what="credential")
            except InvalidInput as exc:
                report.add(StepName.PARSE, Outcome.FAILED, exc.message, exc.code)
                return report
        if not isinstance(document, dict):
            report.add(
                StepName.PARSE,
                Outcome.FAILED,
                f"a credential is a JSON object, not {type(document).__name__}",
                "INVALID_INPUT",
            )
            return report
        if not isinstance(raw, (bytes, str)):  # parsed input was depth-checked already
            try:
                check_depth(document)
            except InvalidInput as exc:
                report.add(StepName.PARSE, Outcome.FAILED, exc.message, exc.code)
                return report
        missing = [k for k in ("@context", "type") if k not in document]
        if missing:
            report.add(
                StepName.PARSE,
                Outcome.FAILED,
                f"not a credential: no {' or '.join(missing)}",
                "INVALID_INPUT",
            )
            return report
        types = _types(document)
        report.kind = _kind(types)
        report.credential_id = document.get("id") if isinstance(document.get("id"), str) else None
        report.issuer = _issuer_id(document)
        report.add(
            StepName.PARSE, Outcome.PASSED, f"{report.kind} of type {', '.join(types) or '?'}"
        )
        if report.kind == "presentation":
            return self._verify_presentation(document, options, report)
        self._verify_document(document, options, report, purpose="assertionMethod")
        return report

    # ------------------------------------------------------------------ steps

    def _verify_document(
        self,
        document: dict[str, Any],
        options: VerifyOptions,
        report: VerificationReport,
        *,
        purpose: str,
    ) -> None:
        is_ob = report.kind == "open-badge"
        if not self._check_context(document, report):
            return
        self._check_schema(document, report, is_ob=is_ob)
        if not self._check_proof_kinds(document, report):
            return
        if not self._check_safe_mode(document, report):
            return
        checks = self._proofs(document, report, purpose=purpose, options=options)
        self._check_controller(checks, report, strict=is_ob or options.strict_controller)
        self._check_validity(document, options.at, report)
        self._check_status(document, options, report)

    def _check_schema(
        self, document: dict[str, Any], report: VerificationReport, *, is_ob: bool
    ) -> None:
        if not is_ob:
            report.add(StepName.SCHEMA, Outcome.SKIPPED, "not an Open Badge: no schema applies")
            return
        status = document.get("credentialStatus")
        entries = status if isinstance(status, list) and status else None
        checked = document if entries is None else {**document, "credentialStatus": entries[0]}
        problems = validate_credential(checked, allow_compacted=True)
        if entries is not None:
            problems += [
                Problem(f"/credentialStatus/{n}", "SCHEMA_VIOLATION", _STATUS_SHAPE)
                for n, entry in enumerate(entries[1:], 1)
                if not _status_shaped(entry)
            ]
        if not problems and entries is not None:
            # VC 2.0 allows a set of status entries (e.g. revocation and suspension); the
            # OB 3.0 schema allows one object (1EdTech openbadges-specification issue 623)
            report.add(
                StepName.SCHEMA,
                Outcome.WARNING,
                "matches the Open Badges 3.0 schema and rules, except that credentialStatus is "
                f"an array of {len(entries)} entries: VC 2.0 allows a set, the OB 3.0 schema "
                "one object, so strict Open Badges 3.0 validators refuse it",
                "SCHEMA_VIOLATION",
                statusEntries=len(entries),
            )
            return
        if not problems:
            report.add(
                StepName.SCHEMA, Outcome.PASSED, "matches the Open Badges 3.0 schema and rules"
            )
            return
        schema = any(p.code == "SCHEMA_VIOLATION" for p in problems)
        report.add(
            StepName.SCHEMA,
            Outcome.FAILED,
            _describe(problems),
            "SCHEMA_VIOLATION" if schema else "RULE_VIOLATION",
            problems=[str(p) for p in problems],
        )

    def _check_safe_mode(self, document: dict[str, Any], report: VerificationReport) -> bool:
        try:
            expander().check(document)
        except CredstackError as exc:
            report.add(StepName.SAFE_MODE, Outcome.FAILED, exc.message, exc.code)
            return False
        report.add(StepName.SAFE_MODE, Outcome.PASSED, "every term is defined by a bundled context")
        return True

    def _check_proof_kinds(self, document: dict[str, Any], report: VerificationReport) -> bool:
        """Name an unsupported proof type before safe mode trips over its undefined terms."""
        proof = document.get("proof")
        for item in [] if proof is None else proof if isinstance(proof, list) else [proof]:
            problem = unsupported_proof(item)
            if problem is not None:
                report.add(StepName.PROOF, Outcome.FAILED, problem, "INVALID_PROOF_CONFIGURATION")
                return False
        return True

    def _check_context(self, document: dict[str, Any], report: VerificationReport) -> bool:
        context = document.get("@context")
        contexts = context if isinstance(context, list) else [context]
        if not contexts or contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
            report.add(
                StepName.CONTEXT,
                Outcome.FAILED,
                f"@context must start with {CREDENTIALS_V2}",
                "PARSING_ERROR",
            )
            return False
        unknown = [c for c in contexts if isinstance(c, str) and not is_bundled(c)]
        if unknown:
            report.add(
                StepName.CONTEXT,
                Outcome.FAILED,
                f"unknown remote context {unknown[0]!r}: only bundled contexts are used, "
                "none is fetched",
                "LOADING_DOCUMENT_FAILED",
            )
            return False
        bad = [c for c in contexts if not isinstance(c, (str, dict))]
        if bad:
            report.add(
                StepName.CONTEXT,
                Outcome.FAILED,
                "@context entries must be URLs or objects",
                "PARSING_ERROR",
            )
            return False
        embedded = sum(isinstance(c, dict) for c in contexts)
        note = f" and {embedded} embedded context(s)" if embedded else ""
        report.add(
            StepName.CONTEXT, Outcome.PASSED, f"{len(contexts) - embedded} bundled context(s){note}"
        )
        return True

    def _proofs(
        self,
        document: dict[str, Any],
        report: VerificationReport,
        *,
        purpose: str,
        options: VerifyOptions,
    ) -> list[ProofCheck]:
        proof = document.get("proof")
        proofs = [] if proof is None else proof if isinstance(proof, list) else [proof]
        if not proofs:
            report.add(
                StepName.PROOF,
                Outcome.FAILED,
                "the credential has no proof",
                "PROOF_VERIFICATION_ERROR",
            )
            return []
        checks = []
        for item in proofs:
            check = verify_proof(
                document,
                item,
                self.resolver,
                expected_purpose=purpose,
                expected_challenge=options.challenge if purpose == "authentication" else None,
                expected_domain=options.domain if purpose == "authentication" else None,
            )
            checks.append(check)
            vm = check.verification_method or "?"
            if check.verified:
                report.add(
                    StepName.KEY_RESOLUTION,
                    Outcome.PASSED,
                    f"resolved {vm}",
                    verificationMethod=vm,
                    controller=check.controller,
                )
                report.add(StepName.PROOF, Outcome.PASSED, check.message, suite=check.suite_name)
            elif check.code in _RESOLUTION_CODES:
                report.add(
                    StepName.KEY_RESOLUTION,
                    Outcome.FAILED,
                    check.message,
                    check.code,
                    verificationMethod=vm,
                )
                report.add(
                    StepName.PROOF,
                    Outcome.FAILED,
                    "not checked: the key could not be resolved",
                    check.code,
                )
            else:
                if check.resolved is not None:
                    report.add(
                        StepName.KEY_RESOLUTION,
                        Outcome.PASSED,
                        f"resolved {vm}",
                        verificationMethod=vm,
                        controller=check.controller,
                    )
                report.add(
                    StepName.PROOF,
                    Outcome.FAILED,
                    check.message,
                    check.code,
                    suite=check.suite_name,
                )
        return checks

    def _check_controller(
        self, checks: list[ProofCheck], report: VerificationReport, *, strict: bool
    ) -> None:
        valid = [c for c in checks if c.verified]
        if not valid:
            return
        issuer = report.issuer
        mismatched = [c for c in valid if c.controller != issuer]
        if len(mismatched) < len(valid):
            # the issuer signed; further proofs (co-signers, endorsers) are reported, not fatal
            cosigners = sorted({str(c.controller) for c in mismatched})
            extra = f"; also signed by {', '.join(cosigners)}" if cosigners else ""
            report.add(
                StepName.CONTROLLER,
                Outcome.PASSED,
                f"the signing key is controlled by the issuer {issuer}{extra}",
            )
            return
        c = mismatched[0]
        message = (
            f"the signing key {c.verification_method} is controlled by {c.controller}, "
            f"not by the issuer {issuer}"
        )
        if strict:
            report.add(StepName.CONTROLLER, Outcome.FAILED, message, "CONTROLLER_MISMATCH")
        else:
            report.add(
                StepName.CONTROLLER,
                Outcome.WARNING,
                message + " (issuer metadata is unverified)",
                "CONTROLLER_MISMATCH",
            )

    def _check_validity(
        self, document: dict[str, Any], at: datetime, report: VerificationReport
    ) -> None:
        start_key = "validFrom" if "validFrom" in document else "issuanceDate"
        end_key = "validUntil" if "validUntil" in document else "expirationDate"
        try:
            start = parse_datetime(document[start_key]) if start_key in document else None
            end = parse_datetime(document[end_key]) if end_key in document else None
        except InvalidInput as exc:
            report.add(StepName.VALIDITY, Outcome.FAILED, exc.message, "MALFORMED_VALUE_ERROR")
            return
        when = format_datetime(at)
        if start is not None and at < start:
            report.add(
                StepName.VALIDITY,
                Outcome.FAILED,
                f"not valid before {document[start_key]} (checked at {when})",
                "CREDENTIAL_NOT_YET_VALID",
            )
        elif end is not None and at > end:
            report.add(
                StepName.VALIDITY,
                Outcome.FAILED,
                f"expired at {document[end_key]} (checked at {when})",
                "CREDENTIAL_EXPIRED",
            )
        else:
            start_text = document.get(start_key, "the start")
            span = f"from {start_text} until {document.get(end_key, 'no end date')}"
            report.add(StepName.VALIDITY, Outcome.PASSED, f"valid {span} (checked at {when})")

    def _check_status(
        self, document: dict[str, Any], options: VerifyOptions, report: VerificationReport
    ) -> None:
        status = document.get("credentialStatus")
        if status is None:
            report.add(StepName.STATUS, Outcome.SKIPPED, "the credential declares no status list")
            return
        entries = status if isinstance(status, list) else [status]
        if len(entries) > MAX_STATUS_ENTRIES:  # each entry may cost a list verification
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"credentialStatus has {len(entries)} entries; at most {MAX_STATUS_ENTRIES} "
                "are checked",
                "MALFORMED_VALUE_ERROR",
            )
            return
        for entry in entries:
            self._check_status_entry(entry, document, options, report)

    def _check_status_entry(
        self,
        entry: Any,
        document: dict[str, Any],
        options: VerifyOptions,
        report: VerificationReport,
    ) -> None:
        if not isinstance(entry, dict):
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                "credentialStatus must be an object",
                "MALFORMED_VALUE_ERROR",
            )
            return
        kind = entry.get("type")
        if kind != "BitstringStatusListEntry":
            report.add(
                StepName.STATUS,
                Outcome.WARNING,
                f"status type {kind!r} is not checked (only BitstringStatusListEntry is)",
                "STATUS_RETRIEVAL_ERROR",
            )
            return
        url = entry.get("statusListCredential")
        purpose = entry.get("statusPurpose")
        raw_index = entry.get("statusListIndex")
        size = entry.get("statusSize", 1)
        if (
            not isinstance(url, str)
            or not isinstance(purpose, str)
            or not isinstance(raw_index, str)
            or not (raw_index.isascii() and raw_index.isdigit())  # "²" is a digit, not base 10
            or not isinstance(size, int)
            or size < 1
        ):
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                "BitstringStatusListEntry needs statusListCredential, statusPurpose and a "
                "base-10 statusListIndex",
                "MALFORMED_VALUE_ERROR",
            )
            return
        if len(raw_index) > _MAX_INDEX_DIGITS:
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"statusListIndex has {len(raw_index)} digits: it is outside any status list",
                "RANGE_ERROR",
            )
            return
        index = int(raw_index)
        status_list = options.status_lists.get(url)
        if status_list is None and options.fetcher is not None:
            try:
                status_list = parse_json_object(
                    options.fetcher.fetch(url), what=f"status list {url}"
                )
            except CredstackError as exc:
                report.add(
                    StepName.STATUS,
                    Outcome.FAILED,
                    f"the status list {url} could not be retrieved: {exc.message}",
                    "STATUS_RETRIEVAL_ERROR",
                )
                return
        if status_list is None:
            report.add(
                StepName.STATUS,
                Outcome.WARNING,
                f"{purpose} status not checked: the status list {url} was not supplied (offline)",
                "STATUS_RETRIEVAL_ERROR",
                statusListCredential=url,
            )
            return
        list_report = VerificationReport(
            kind="status-list", credential_id=url, issuer=_issuer_id(status_list)
        )
        self._verify_document(status_list, options, list_report, purpose="assertionMethod")
        if not list_report.verified:
            failure = list_report.first_failure
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"the status list {url} does not verify: {failure.message if failure else '?'}",
                "STATUS_VERIFICATION_ERROR",
            )
            return
        if _issuer_id(status_list) != report.issuer:
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"the status list {url} was issued by {_issuer_id(status_list)}, not by the issuer",
                "STATUS_VERIFICATION_ERROR",
            )
            return
        subject = status_list.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("statusPurpose") != purpose:
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"the status list's purpose does not match {purpose!r}",
                "STATUS_VERIFICATION_ERROR",
            )
            return
        try:
            bits = decode_list(subject.get("encodedList", ""))
            value = read_status(bits, index, size)
        except CredstackError as exc:
            report.add(StepName.STATUS, Outcome.FAILED, exc.message, exc.code)
            return
        issued = status_list.get("validFrom")
        freshness = f" (list issued {issued})" if isinstance(issued, str) else ""
        if value == 0:
            report.add(
                StepName.STATUS,
                Outcome.PASSED,
                f"not flagged for {purpose}{freshness}",
                statusPurpose=purpose,
                listIssued=issued,
            )
        elif purpose == "revocation":
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"revoked{freshness}",
                "CREDENTIAL_REVOKED",
                statusPurpose=purpose,
                listIssued=issued,
            )
        elif purpose == "suspension":
            report.add(
                StepName.STATUS,
                Outcome.FAILED,
                f"suspended{freshness}: the issuer can lift a suspension",
                "CREDENTIAL_SUSPENDED",
                statusPurpose=purpose,
                listIssued=issued,
            )
        else:
            report.add(
                StepName.STATUS,
                Outcome.WARNING,
                f"{purpose} status is {value}{freshness}",
                statusPurpose=purpose,
                value=value,
            )

    # ------------------------------------------------------------------ other forms

    def _verify_presentation(
        self, document: dict[str, Any], options: VerifyOptions, report: VerificationReport
    ) -> VerificationReport:
        if not self._check_context(document, report):
            return report
        if not self._check_safe_mode(document, report):
            return report
        if document.get("proof") is not None:
            checks = self._proofs(document, report, purpose="authentication", options=options)
            holder = document.get("holder")
            holder_id = holder.get("id") if isinstance(holder, dict) else holder
            if holder_id is not None and any(
                c.verified and c.controller != holder_id for c in checks
            ):
                report.add(
                    StepName.CONTROLLER,
                    Outcome.FAILED,
                    "the presentation was not signed by its holder",
                    "CONTROLLER_MISMATCH",
                )
        else:
            report.add(StepName.PROOF, Outcome.WARNING, "the presentation itself is not signed")
        inner = document.get("verifiableCredential")
        items = [] if inner is None else inner if isinstance(inner, list) else [inner]
        for item in items:
            report.nested.append(self.verify(item, options))
        if not items:
            report.add(
                StepName.PRESENTATION, Outcome.WARNING, "the presentation holds no credential"
            )
        else:
            ok = sum(r.verified for r in report.nested)
            outcome = Outcome.PASSED if ok == len(items) else Outcome.FAILED
            report.add(
                StepName.PRESENTATION,
                outcome,
                f"{ok} of {len(items)} credential(s) verified",
                None if outcome is Outcome.PASSED else "PROOF_VERIFICATION_ERROR",
            )
        return report

    def _verify_jwt(
        self, token: str, options: VerifyOptions, report: VerificationReport
    ) -> VerificationReport:
        try:
            result = verify_jws(token, self.resolver)
        except CredstackError as exc:
            report.kind = "vc-jwt"
            report.add(StepName.PARSE, Outcome.PASSED, "a compact JWS")
            step = StepName.KEY_RESOLUTION if exc.code in _RESOLUTION_CODES else StepName.PROOF
            report.add(step, Outcome.FAILED, exc.message, exc.code)
            return report
        credential = result.credential
        types = _types(credential)
        report.kind = "vc-jwt+" + _kind(types)
        report.credential_id = (
            credential.get("id") if isinstance(credential.get("id"), str) else None
        )
        report.issuer = _issuer_id(credential)
        report.add(
            StepName.PARSE,
            Outcome.PASSED,
            f"a compact JWS ({result.alg}) holding {', '.join(types)}",
        )
        if not self._check_context(credential, report):
            return report
        self._check_schema(credential, report, is_ob=bool(OB_TYPES.intersection(types)))
        if not self._check_safe_mode(credential, report):
            return report
        report.add(
            StepName.KEY_RESOLUTION,
            Outcome.PASSED,
            f"resolved {result.verification_method_id or 'the key in the JWS header'}",
        )
        if result.claim_problems:
            report.add(
                StepName.PROOF,
                Outcome.FAILED,
                "JWT claims disagree with the credential: " + "; ".join(result.claim_problems),
                "PROOF_VERIFICATION_ERROR",
            )
        else:
            report.add(StepName.PROOF, Outcome.PASSED, f"valid {result.alg} JWS signature")
        strict = bool(OB_TYPES.intersection(types)) or options.strict_controller
        if result.controller is None:
            outcome = Outcome.FAILED if strict else Outcome.WARNING
            report.add(
                StepName.CONTROLLER,
                outcome,
                "the key came from the JWS header and is bound to no identifier",
                "CONTROLLER_MISMATCH",
            )
        elif result.controller != report.issuer:
            report.add(
                StepName.CONTROLLER,
                Outcome.FAILED if strict else Outcome.WARNING,
                f"the signing key is controlled by {result.controller}, not by the issuer",
                "CONTROLLER_MISMATCH",
            )
        else:
            report.add(
                StepName.CONTROLLER, Outcome.PASSED, "the signing key is controlled by the issuer"
            )
        self._check_validity(credential, options.at, report)
        self._check_status(credential, options, report)
        return report


def verify_credential(
    raw: Any,
    resolver: KeyResolver,
    *,
    at: datetime | None = None,
    status_lists: Mapping[str, dict[str, Any]] | None = None,
) -> VerificationReport:
    """Convenience recipe: verify one credential now (or ``at``) with ``resolver``."""
    when = at if at is not None else datetime.now(UTC)
    return Verifier(resolver).verify(raw, VerifyOptions(at=when, status_lists=status_lists or {}))
