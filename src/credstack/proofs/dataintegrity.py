"""W3C Data Integrity proofs with the EdDSA cryptosuites.

Specifications:
* Verifiable Credential Data Integrity 1.0 — https://www.w3.org/TR/vc-data-integrity/
  (add proof §4.2, proof sets and chains §4.3, verify proof §4.4).
* Data Integrity EdDSA Cryptosuites v1.0 — https://www.w3.org/TR/vc-di-eddsa/
  (eddsa-rdfc-2022 §3.3, eddsa-jcs-2022 §3.4; Ed25519Signature2020 and the pre-rename
  ``eddsa-2022`` are verified as legacy inputs with the RDFC transformation).

Each suite is three spec steps: *transformation* (canonicalize the unsecured document),
*proof configuration* (canonicalize the proof options with the document's ``@context``) and
*hashing* (SHA-256(config) ‖ SHA-256(document)); Ed25519 signs or verifies the hash data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from credstack.crypto.jcs import canonicalize_json_bytes
from credstack.crypto.keys import KeyPair, PublicKey
from credstack.crypto.multibase import decode_multibase, encode_multibase
from credstack.errors import CredstackError, DataLossError, InvalidInput, InvalidKey, ProofError
from credstack.jsonld.loader import VALIDATOR_ONLY_TERMS, ContextVariant
from credstack.jsonld.processor import expander
from credstack.jsonld.rdf import canonical_nquads
from credstack.resolve.base import KeyResolver, ResolvedMethod

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
OPEN_BADGE_TYPES = frozenset(
    {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"}
)


class Cryptosuite(StrEnum):
    EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
    EDDSA_JCS_2022 = "eddsa-jcs-2022"
    EDDSA_2022 = "eddsa-2022"  # legacy name of eddsa-rdfc-2022; verify only


#: suites credstack signs with
SIGNING_SUITES = (Cryptosuite.EDDSA_RDFC_2022, Cryptosuite.EDDSA_JCS_2022)


def format_datetime(at: datetime) -> str:
    """XSD dateTimeStamp in UTC with second precision, e.g. ``2023-02-24T23:36:38Z``."""
    if at.tzinfo is None:
        raise InvalidInput("datetimes must carry a timezone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: Any) -> datetime:
    """Parse an XSD dateTimeStamp (timezone required)."""
    if not isinstance(value, str) or "T" not in value:
        raise InvalidInput(f"not an XSD dateTime: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"not an XSD dateTime: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"dateTime {value!r} has no timezone")
    return parsed


# ---------------------------------------------------------------- transformations


def _variant_allowed(exc: DataLossError, lenient: bool) -> bool:
    """On verify only, a document whose sole undefined terms are those the 1EdTech validator's
    copy of the OB 3.0.3 context adds is read with that copy; credstack never issues one."""
    return lenient and bool(exc.terms) and exc.terms <= VALIDATOR_ONLY_TERMS


def _rdfc(document: dict[str, Any], lenient: bool) -> bytes:
    """RDFC-1.0 canonical N-Quads of the safe-mode expansion."""
    try:
        return canonical_nquads(document).encode("utf-8")
    except DataLossError as exc:
        if not _variant_allowed(exc, lenient):
            raise
        return canonical_nquads(document, ContextVariant.VALIDATOR).encode("utf-8")


def _jcs(document: dict[str, Any], lenient: bool) -> bytes:
    """RFC 8785 JCS, after the same safe-mode check as RDFC (undefined terms, relative IRIs)."""
    try:
        expander().check(document)
    except DataLossError as exc:
        if not _variant_allowed(exc, lenient):
            raise
        expander(ContextVariant.VALIDATOR).check(document)
    try:
        return canonicalize_json_bytes(document)
    except InvalidInput as exc:
        raise ProofError(exc.message, code="PROOF_TRANSFORMATION_ERROR") from None


@dataclass(frozen=True, slots=True)
class _Suite:
    proof_type: str
    cryptosuite: str | None
    canonicalize: Callable[[dict[str, Any], bool], bytes]
    #: eddsa-jcs-2022 keeps ``@context`` in the issued proof
    proof_keeps_context: bool
    signs: bool


_SUITES: dict[tuple[str, str | None], _Suite] = {
    (DATA_INTEGRITY_PROOF, "eddsa-rdfc-2022"): _Suite(
        DATA_INTEGRITY_PROOF, "eddsa-rdfc-2022", _rdfc, False, True
    ),
    (DATA_INTEGRITY_PROOF, "eddsa-jcs-2022"): _Suite(
        DATA_INTEGRITY_PROOF, "eddsa-jcs-2022", _jcs, True, True
    ),
    (DATA_INTEGRITY_PROOF, "eddsa-2022"): _Suite(
        DATA_INTEGRITY_PROOF, "eddsa-2022", _rdfc, False, False
    ),
    (ED25519_SIGNATURE_2020, None): _Suite(ED25519_SIGNATURE_2020, None, _rdfc, False, False),
}


def _suite_for(proof: dict[str, Any]) -> _Suite:
    proof_type = proof.get("type")
    cryptosuite = proof.get("cryptosuite") if proof_type == DATA_INTEGRITY_PROOF else None
    suite = (
        _SUITES.get((proof_type, cryptosuite))
        if isinstance(proof_type, str) and (cryptosuite is None or isinstance(cryptosuite, str))
        else None
    )
    if suite is None:
        what = f"type {proof_type!r}" + (
            f" with cryptosuite {cryptosuite!r}" if cryptosuite else ""
        )
        raise ProofError(f"unsupported proof {what}", code="INVALID_PROOF_CONFIGURATION")
    return suite


def _suite_named(cryptosuite: str) -> _Suite:
    proof_type = (
        ED25519_SIGNATURE_2020 if cryptosuite == ED25519_SIGNATURE_2020 else DATA_INTEGRITY_PROOF
    )
    return _suite_for({"type": proof_type, "cryptosuite": cryptosuite})


def transform(unsecured: dict[str, Any], cryptosuite: str, *, verifying: bool = False) -> bytes:
    """Transformation (vc-di-eddsa §3.3.2 / §3.4.2): the canonical form of the document."""
    return _suite_named(cryptosuite).canonicalize(unsecured, verifying)


def configure_proof(
    proof_config: dict[str, Any], cryptosuite: str, *, verifying: bool = False
) -> bytes:
    """Proof configuration (§3.3.5 / §3.4.5): the canonical form of the proof options,
    which carry the document's ``@context``."""
    return _suite_named(cryptosuite).canonicalize(proof_config, verifying)


def hash_data(transformed_document: bytes, canonical_proof_config: bytes) -> bytes:
    """Hashing (§3.3.4 / §3.4.4): SHA-256(proof configuration) ‖ SHA-256(document)."""
    return (
        hashlib.sha256(canonical_proof_config).digest()
        + hashlib.sha256(transformed_document).digest()
    )


def unsupported_proof(proof: Any) -> str | None:
    """Why credstack cannot check this proof (its type or cryptosuite), or ``None``."""
    if not isinstance(proof, dict):
        return "a proof must be a JSON object"
    try:
        _suite_for(proof)
    except ProofError as exc:
        return exc.message
    return None


def _hash_data(
    suite: _Suite, unsecured: dict[str, Any], proof_config: dict[str, Any], *, verifying: bool
) -> bytes:
    try:
        return hash_data(
            suite.canonicalize(unsecured, verifying), suite.canonicalize(proof_config, verifying)
        )
    except RecursionError:
        raise InvalidInput("the document nests too deeply", code="INPUT_TOO_DEEP") from None


def _unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _proofs_of(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def _chain_input(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The document a proof was made over: without proofs, or with those it chains to (§4.3)."""
    unsecured = _unsecured(document)
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise ProofError(
            "previousProof must be a string or a list of strings", code="MALFORMED_PROOF_ERROR"
        )
    matching = [p for p in _proofs_of(document) if isinstance(p, dict) and p.get("id") in wanted]
    if len(matching) != len(wanted):
        raise ProofError(
            "previousProof names a proof that is not in the proof set",
            code="PROOF_VERIFICATION_ERROR",
        )
    unsecured["proof"] = matching
    return unsecured


# ---------------------------------------------------------------- add proof


def add_proof(
    document: dict[str, Any],
    key: KeyPair,
    *,
    cryptosuite: Cryptosuite = Cryptosuite.EDDSA_RDFC_2022,
    created: datetime | None = None,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    domain: str | None = None,
    challenge: str | None = None,
    proof_as_array: bool | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` secured with one more proof (Data Integrity §4.2/§4.3).

    ``created`` is written when given (time is the caller's to pass in).  An existing proof
    is kept: the result has a proof set; with ``previous_proof`` the new proof chains to the
    named proofs.  ``proof_as_array`` (default: for Open Badges, whose JSON Schema requires
    it) writes even a single proof as an array.
    """
    if not isinstance(document, dict):
        raise InvalidInput("only a JSON object can be secured")
    if cryptosuite not in SIGNING_SUITES:
        raise ProofError(
            f"credstack does not sign with {cryptosuite}", code="PROOF_GENERATION_ERROR"
        )
    context = document.get("@context")
    if context is None:
        raise InvalidInput("the document has no @context")
    suite = _SUITES[(DATA_INTEGRITY_PROOF, cryptosuite.value)]
    options: dict[str, Any] = {"type": DATA_INTEGRITY_PROOF}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = cryptosuite.value
    if created is not None:
        options["created"] = format_datetime(created)
    options["verificationMethod"] = verification_method or key.verification_method
    options["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        options["previousProof"] = previous_proof
    if domain is not None:
        options["domain"] = domain
    if challenge is not None:
        options["challenge"] = challenge
    proof_config = dict(options)
    proof_config["@context"] = context
    if suite.proof_keeps_context:
        options["@context"] = context
    signed_input = _chain_input({**document, "proof": _proofs_of(document)}, options)
    hash_data = _hash_data(suite, signed_input, proof_config, verifying=False)
    options["proofValue"] = encode_multibase(key.sign(hash_data))
    existing = _proofs_of(document)
    secured = dict(document)
    if proof_as_array is None:
        types = document.get("type")
        proof_as_array = bool(
            OPEN_BADGE_TYPES.intersection(types if isinstance(types, list) else [types])
        )
    secured["proof"] = [*existing, options] if existing or proof_as_array else options
    return secured


# ---------------------------------------------------------------- verify proof


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of verifying one proof."""

    proof: dict[str, Any]
    verified: bool
    code: str | None = None
    message: str = ""
    verification_method: str | None = None
    controller: str | None = None
    resolved: ResolvedMethod | None = None

    @property
    def suite_name(self) -> str:
        return str(self.proof.get("cryptosuite") or self.proof.get("type"))


def _public_key(resolved: ResolvedMethod) -> PublicKey:
    method = resolved.method
    if method.public_key_multibase is None:
        raise ProofError(
            f"verification method {method.id} has no publicKeyMultibase (type {method.type})",
            code="INVALID_VERIFICATION_METHOD",
        )
    try:
        return PublicKey.from_multibase(method.public_key_multibase)
    except InvalidKey as exc:
        raise ProofError(
            f"verification method {method.id}: {exc.message}", code="INVALID_VERIFICATION_METHOD"
        ) from None


def _decode_proof_value(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise ProofError("proofValue is missing or not a string", code="MALFORMED_PROOF_ERROR")
    try:
        signature = decode_multibase(value)
    except InvalidInput as exc:
        raise ProofError(f"proofValue: {exc.message}", code="MALFORMED_PROOF_ERROR") from None
    if len(signature) != 64:
        raise ProofError(
            f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature is 64",
            code="MALFORMED_PROOF_ERROR",
        )
    return signature


def verify_proof(
    document: dict[str, Any],
    proof: Any,
    resolver: KeyResolver,
    *,
    expected_purpose: str = "assertionMethod",
    expected_domain: str | None = None,
    expected_challenge: str | None = None,
) -> ProofCheck:
    """Verify one proof of ``document`` (Data Integrity §4.4 with the suite's algorithms)."""
    if not isinstance(proof, dict):
        return ProofCheck({}, False, "MALFORMED_PROOF_ERROR", "a proof must be a JSON object")
    vm_id = proof.get("verificationMethod")
    resolved: ResolvedMethod | None = None
    try:
        for member in ("type", "verificationMethod", "proofPurpose"):
            if not isinstance(proof.get(member), str):
                raise ProofError(f"proof has no {member}", code="MALFORMED_PROOF_ERROR")
        suite = _suite_for(proof)
        if proof["proofPurpose"] != expected_purpose:
            raise ProofError(
                f"proofPurpose is {proof['proofPurpose']!r}, expected {expected_purpose!r}",
                code="PROOF_VERIFICATION_ERROR",
            )
        if expected_domain is not None and proof.get("domain") != expected_domain:
            raise ProofError("proof domain does not match", code="INVALID_DOMAIN_ERROR")
        if expected_challenge is not None and proof.get("challenge") != expected_challenge:
            raise ProofError("proof challenge does not match", code="INVALID_CHALLENGE_ERROR")
        if "created" in proof:
            try:
                parse_datetime(proof["created"])
            except InvalidInput as exc:
                raise ProofError(
                    f"proof created: {exc.message}", code="MALFORMED_PROOF_ERROR"
                ) from None
        signature = _decode_proof_value(proof.get("proofValue"))
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        unsecured = _chain_input(document, proof)
        context = document.get("@context")
        if "@context" in options:
            proof_context = options["@context"]
            doc_list = context if isinstance(context, list) else [context]
            proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
            if doc_list[: len(proof_list)] != proof_list:
                raise ProofError(
                    "the document @context does not start with the proof's @context",
                    code="PROOF_VERIFICATION_ERROR",
                )
            unsecured["@context"] = proof_context
        else:
            options["@context"] = context
        resolved = resolver.resolve(str(vm_id))
        if not resolved.allows(expected_purpose):
            raise ProofError(
                f"verification method {vm_id} is not authorised for {expected_purpose}",
                code="INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
            )
        public_key = _public_key(resolved)
        hash_data = _hash_data(suite, unsecured, options, verifying=True)
        if not public_key.verify(signature, hash_data):
            raise ProofError(
                "the signature does not match the document", code="PROOF_VERIFICATION_ERROR"
            )
    except CredstackError as exc:
        return ProofCheck(
            proof,
            False,
            exc.code,
            exc.message,
            vm_id if isinstance(vm_id, str) else None,
            resolved.method.controller if resolved is not None else None,
            resolved,
        )
    return ProofCheck(
        proof,
        True,
        None,
        f"valid {suite.cryptosuite or suite.proof_type} proof",
        vm_id,
        resolved.method.controller,
        resolved,
    )


def verify_proofs(
    document: dict[str, Any],
    resolver: KeyResolver,
    *,
    expected_purpose: str = "assertionMethod",
) -> list[ProofCheck]:
    """Verify every proof of a proof set or chain; an empty list means there is no proof."""
    return [
        verify_proof(document, proof, resolver, expected_purpose=expected_purpose)
        for proof in _proofs_of(document)
    ]


def raise_for_proofs(checks: list[ProofCheck]) -> None:
    """Raise the first failure, or an error when there is no proof at all."""
    if not checks:
        raise ProofError("the document has no proof", code="PROOF_VERIFICATION_ERROR")
    for check in checks:
        if not check.verified:
            raise ProofError(check.message, code=check.code or "PROOF_VERIFICATION_ERROR")  # type: ignore[arg-type]
