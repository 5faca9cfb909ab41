"""VC-JWT / VC-JOSE: verifying credentials secured as a compact JWS.

Two payload shapes are accepted:

* Open Badges 3.0 "JSON Web Token Proof Format"
  (https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof): JWT claims ``iss``, ``jti``, ``nbf``,
  ``sub`` (and ``exp``) mirror the credential, which sits under ``vc`` or is the payload itself
  with the claims added;
* W3C VC-JOSE-COSE 1.0 (https://www.w3.org/TR/vc-jose-cose/#securing-with-jose): the payload
  *is* the credential (``typ`` ``vc+jwt``).

Algorithms: ``EdDSA`` (Ed25519), ``ES256`` (P-256) and ``RS256`` (RSA ≥ 2048 bits), per RFC 7518
and RFC 8037.  Validity windows are not checked here; the caller does that with its own clock.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from credstack._json import parse_json
from credstack.crypto.keys import public_key_from_multibase, verify_ed25519
from credstack.errors import InvalidInput, InvalidKey, ProofError, ResolutionError
from credstack.resolve.base import KeyResolver, ResolvedMethod

MAX_TOKEN_CHARS = 1024 * 1024
"""Tokens longer than this (1 MiB) are refused before any decoding."""

MIN_RSA_BITS = 2048

SUPPORTED_ALGS = frozenset({"EdDSA", "Ed25519", "ES256", "RS256"})

# ``typ`` values that announce a credential (RFC 7515 §4.1.9: "application/" may be omitted).
_CREDENTIAL_TYPS = frozenset({"jwt", "vc+jwt", "vc+ld+jwt", "vc+ld+json+jwt"})

# RFC 7519 §4.1 registered claim names: these are envelope, not credential, members.
REGISTERED_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
    re.IGNORECASE,
)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True, slots=True)
class CompactJws:
    """The decoded parts of a compact JWS (RFC 7515 §7.1)."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _malformed(message: str) -> ProofError:
    return ProofError(message, code="MALFORMED_PROOF_ERROR")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2): no padding, no stray bits, no other alphabet."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidInput("not base64url (unpadded)")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64url (unpadded)") from exc
    if b64url_encode(raw) != text:
        raise InvalidInput("non-canonical base64url")
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_json(raw, what=f"JWS {what}")
    except InvalidInput as exc:
        raise _malformed(exc.message) from exc
    if not isinstance(value, dict):
        raise _malformed(f"JWS {what} is not a JSON object")
    return value


def parse_compact_jws(token: str) -> CompactJws:
    """Split and decode a compact JWS (RFC 7515 §5.2 steps 1–7), without verifying it.

    Surrounding whitespace is ignored (files often end with a newline).
    """
    if not isinstance(token, str):
        raise _malformed("a compact JWS is a string")
    if len(token) > MAX_TOKEN_CHARS:
        raise _malformed(f"compact JWS longer than {MAX_TOKEN_CHARS} characters")
    token = token.strip(" \t\r\n")
    if not token.isascii():
        raise _malformed("compact JWS contains non-ASCII characters")
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed(f"a compact JWS has 3 dot-separated parts, found {len(parts)}")
    encoded_header, encoded_payload, encoded_signature = parts
    decoded: list[bytes] = []
    for name, part in (
        ("header", encoded_header),
        ("payload", encoded_payload),
        ("signature", encoded_signature),
    ):
        try:
            decoded.append(b64url_decode(part))
        except InvalidInput as exc:
            raise _malformed(f"JWS {name}: {exc.message}") from exc
    header = _json_object(decoded[0], "header")
    payload = _json_object(decoded[1], "payload")
    return CompactJws(
        header=header,
        payload=payload,
        signing_input=f"{encoded_header}.{encoded_payload}".encode("ascii"),
        signature=decoded[2],
    )


# --------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True, slots=True)
class Ed25519Jwk:
    """OKP / Ed25519 public key (RFC 8037)."""

    algorithms: ClassVar[frozenset[str]] = frozenset({"EdDSA", "Ed25519"})
    x: bytes

    def verify(self, signature: bytes, message: bytes) -> bool:
        return verify_ed25519(self.x, signature, message)


@dataclass(frozen=True, slots=True)
class P256Jwk:
    """EC / P-256 public key; signatures are raw ``r || s`` (RFC 7518 §3.4)."""

    algorithms: ClassVar[frozenset[str]] = frozenset({"ES256"})
    x: int
    y: int
    key: ec.EllipticCurvePublicKey = field(compare=False, repr=False)

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != 64:
            return False
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        try:
            self.key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class RsaJwk:
    """RSA public key for RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3)."""

    algorithms: ClassVar[frozenset[str]] = frozenset({"RS256"})
    n: int
    e: int
    key: rsa.RSAPublicKey = field(compare=False, repr=False)

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != (self.n.bit_length() + 7) // 8:
            return False
        try:
            self.key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True


JwsPublicKey = Ed25519Jwk | P256Jwk | RsaJwk


def _jwk_bytes(jwk: dict[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise InvalidKey(f"JWK member {member!r} is missing or not a string")
    try:
        return b64url_decode(value)
    except InvalidInput as exc:
        raise InvalidKey(f"JWK member {member!r}: {exc.message}") from exc


def jwk_public_key(jwk: dict[str, Any]) -> JwsPublicKey:
    """A verifier for a public JWK (RFC 7517): OKP/Ed25519, EC/P-256 or RSA (≥ 2048 bits).

    Refuses private members (``d`` …), symmetric keys, and keys whose ``use`` / ``key_ops``
    exclude signature verification.  Raises :class:`InvalidKey`.
    """
    if not isinstance(jwk, dict):
        raise InvalidKey("a JWK is a JSON object")
    private = sorted(_PRIVATE_MEMBERS.intersection(jwk))
    if private:
        raise InvalidKey(f"JWK holds private key members {private}; only public keys are used")
    if "use" in jwk and jwk["use"] != "sig":
        raise InvalidKey("JWK 'use' is not 'sig'")
    if "key_ops" in jwk:
        ops = jwk["key_ops"]
        if not isinstance(ops, list) or "verify" not in ops:
            raise InvalidKey("JWK 'key_ops' does not allow 'verify'")
    kty = jwk.get("kty")
    crv = jwk.get("crv")
    if kty == "OKP":
        if crv != "Ed25519":
            raise InvalidKey(f"unsupported OKP curve {crv!r}")
        x = _jwk_bytes(jwk, "x")
        if len(x) != 32:
            raise InvalidKey("Ed25519 'x' is not 32 bytes")
        return Ed25519Jwk(x)
    if kty == "EC":
        if crv != "P-256":
            raise InvalidKey(f"unsupported EC curve {crv!r}")
        xb, yb = _jwk_bytes(jwk, "x"), _jwk_bytes(jwk, "y")
        if len(xb) != 32 or len(yb) != 32:
            raise InvalidKey("P-256 'x' and 'y' are 32 bytes each")
        xi, yi = int.from_bytes(xb, "big"), int.from_bytes(yb, "big")
        try:
            ec_key = ec.EllipticCurvePublicNumbers(xi, yi, ec.SECP256R1()).public_key()
        except ValueError as exc:
            raise InvalidKey("P-256 point is not on the curve") from exc
        return P256Jwk(xi, yi, ec_key)
    if kty == "RSA":
        n = int.from_bytes(_jwk_bytes(jwk, "n"), "big")
        e = int.from_bytes(_jwk_bytes(jwk, "e"), "big")
        if n.bit_length() < MIN_RSA_BITS:
            raise InvalidKey(f"RSA modulus of {n.bit_length()} bits; at least {MIN_RSA_BITS}")
        if e < 3 or e % 2 == 0:
            raise InvalidKey("RSA public exponent must be odd and at least 3")
        try:
            rsa_key = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as exc:
            raise InvalidKey(f"RSA key refused: {exc}") from exc
        return RsaJwk(n, e, rsa_key)
    raise InvalidKey(f"unsupported JWK key type {kty!r}")


# --------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True, slots=True)
class JwsResult:
    """A verified VC-JWT.

    ``claim_problems``: Open Badges claim/credential disagreements (iss≠issuer.id, …).
    ``missing_claims``: claims Open Badges requires that are absent although the credential
    property they mirror is present (VC-JOSE tokens legitimately omit them).
    ``controller`` is ``None`` when the key came only from the header ``jwk``: the signature is
    then valid but binds to no identifier.
    """

    credential: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]
    verification_method_id: str | None
    controller: str | None
    claim_problems: list[str]
    missing_claims: list[str]
    alg: str
    envelope: Literal["vc-claim", "payload"]


def _check_header(header: dict[str, Any]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise _malformed("JOSE header has no 'alg'")
    if alg.lower() == "none":
        raise ProofError("unsecured JWS (alg 'none') refused", code="PROOF_VERIFICATION_ERROR")
    if alg not in SUPPORTED_ALGS:
        raise ProofError(f"unsupported JWS alg {alg!r}", code="PROOF_VERIFICATION_ERROR")
    if "crit" in header:
        # RFC 7515 §4.1.11: no extension is understood here, so any 'crit' is refused.
        raise _malformed(f"unsupported critical header parameters {header['crit']!r}")
    if "b64" in header and header["b64"] is not True:
        raise _malformed("unencoded payloads (b64) are not supported")
    typ = header.get("typ")
    if typ is not None:
        if not isinstance(typ, str):
            raise _malformed("'typ' is not a string")
        media = typ.lower().removeprefix("application/")
        if media not in _CREDENTIAL_TYPS:
            raise _malformed(f"'typ' {typ!r} is not a credential JWT")
    for name in ("kid", "iss"):
        if name in header and not isinstance(header[name], str):
            raise _malformed(f"header '{name}' is not a string")
    if "jwk" in header and not isinstance(header["jwk"], dict):
        raise _malformed("header 'jwk' is not a JSON object")
    return alg


def _split_payload(
    payload: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], Literal["vc-claim", "payload"]]:
    if "vc" in payload:
        vc = payload["vc"]
        if not isinstance(vc, dict):
            raise _malformed("the 'vc' claim is not a JSON object")
        claims = {k: v for k, v in payload.items() if k != "vc"}
        return vc, claims, "vc-claim"
    claims = {k: payload[k] for k in REGISTERED_CLAIMS if k in payload}
    credential = {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}
    return credential, claims, "payload"


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _absolute_kid(kid: str, base: str | None) -> str:
    """``kid`` as an absolute DID URL or URL; relative forms resolve against ``iss``."""
    try:
        if urlsplit(kid).scheme and not kid.startswith("#"):
            return kid
        if not base:
            raise ResolutionError(f"relative kid {kid!r} with no 'iss' to resolve it against")
        if kid.startswith("#"):
            return base.split("#", 1)[0] + kid
        if urlsplit(base).scheme in {"http", "https"}:
            return urljoin(base, kid)
    except ValueError as exc:
        raise ResolutionError(f"kid {kid!r} is not a URL") from exc
    raise ResolutionError(f"cannot resolve relative kid {kid!r} against {base!r}")


def _check_jwk_alg(jwk: dict[str, Any] | None, alg: str) -> None:
    """A JWK that names an ``alg`` (RFC 7517 §4.4) may only be used with that alg."""
    if jwk is not None and "alg" in jwk and jwk["alg"] != alg:
        raise ProofError(
            f"key is for alg {jwk['alg']!r}, token uses {alg!r}", code="PROOF_VERIFICATION_ERROR"
        )


def _method_key(resolved: ResolvedMethod) -> JwsPublicKey:
    method = resolved.method
    try:
        if method.public_key_jwk is not None:
            return jwk_public_key(method.public_key_jwk)
        if method.public_key_multibase is not None:
            return Ed25519Jwk(public_key_from_multibase(method.public_key_multibase))
    except InvalidKey as exc:
        raise ProofError(
            f"verification method {method.id}: {exc.message}", code="INVALID_VERIFICATION_METHOD"
        ) from exc
    raise ProofError(
        f"verification method {method.id} has no public key", code="INVALID_VERIFICATION_METHOD"
    )


def _select_key(
    header: dict[str, Any],
    base: str | None,
    resolver: KeyResolver | None,
    purpose: str,
    alg: str,
) -> tuple[JwsPublicKey, str | None, str | None]:
    kid: str | None = header.get("kid")
    header_jwk: dict[str, Any] | None = header.get("jwk")
    if kid is None and header_jwk is None:
        raise _malformed("JOSE header has neither 'kid' nor 'jwk'")
    embedded: JwsPublicKey | None = None
    if header_jwk is not None:
        _check_jwk_alg(header_jwk, alg)
        try:
            embedded = jwk_public_key(header_jwk)
        except InvalidKey as exc:
            raise _malformed(f"header 'jwk': {exc.message}") from exc
    if kid is not None and resolver is not None:
        method_id = _absolute_kid(kid, base)
        resolved = resolver.resolve(method_id)
        if not resolved.allows(purpose):
            raise ProofError(
                f"verification method {resolved.method.id} is not listed under {purpose}",
                code="INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
            )
        _check_jwk_alg(resolved.method.public_key_jwk, alg)
        key = _method_key(resolved)
        if embedded is not None and embedded != key:
            raise ProofError(
                "header 'jwk' differs from the key 'kid' resolves to", code="KEY_MISMATCH"
            )
        return key, resolved.method.id, resolved.method.controller
    if embedded is not None:
        return embedded, None, None
    raise ResolutionError(f"no resolver to dereference kid {kid!r}")


def _timestamp(value: Any) -> int | str:
    """Whole seconds since the epoch of an XML Schema dateTimeStamp, or a problem text."""
    if not isinstance(value, str):
        return "is not a date-time string"
    match = _DATETIME.fullmatch(value)
    if match is None:
        return f"{value!r} is not an XML Schema date-time"
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    zone = match.group(8)
    if zone is None:
        return f"{value!r} has no time zone offset"
    try:
        datetime(year, month, day, hour, minute, second)  # range check only
    except ValueError:
        return f"{value!r} is not a valid date-time"
    offset = 0
    if zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset


def _numeric_date(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return math.floor(value)


def _compare_id(
    claims: dict[str, Any],
    name: str,
    expected: str | None,
    what: str,
    problems: list[str],
    missing: list[str],
) -> None:
    if name not in claims:
        if expected is not None:
            missing.append(name)
        return
    value = claims[name]
    if expected is None:
        problems.append(f"{name} is set but the credential has no {what}")
    elif value != expected:
        problems.append(f"{name} {value!r} does not match {what} {expected!r}")


def _compare_instant(
    claims: dict[str, Any],
    name: str,
    credential: dict[str, Any],
    properties: tuple[str, str],
    problems: list[str],
    missing: list[str],
) -> None:
    prop = next((p for p in properties if p in credential), None)
    if name not in claims:
        if prop is not None:
            missing.append(name)
        return
    seconds = _numeric_date(claims[name])
    if seconds is None:
        problems.append(f"{name} is not a NumericDate")
        return
    if prop is None:
        if name == "nbf":
            problems.append(f"nbf is set but the credential has no {properties[0]}")
        return  # exp without validUntil: a signature expiry (VC-JOSE), reported in claims
    stamp = _timestamp(credential[prop])
    if isinstance(stamp, str):
        problems.append(f"{prop} {stamp}")
    elif stamp != seconds:
        problems.append(f"{name} {seconds} does not match {prop} {credential[prop]!r}")


def check_claims(
    header: dict[str, Any], claims: dict[str, Any], credential: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Open Badges 3.0 claim checks (https://www.imsglobal.org/spec/ob/v3p0/#jwt-verify).

    Returns ``(problems, missing)``.  Instants are compared to the second.
    """
    problems: list[str] = []
    missing: list[str] = []
    issuer = _issuer_id(credential)
    _compare_id(claims, "iss", issuer, "issuer id", problems, missing)
    if "iss" in header and header["iss"] != issuer:
        problems.append(f"header iss {header['iss']!r} does not match issuer id {issuer!r}")
    cred_id = credential.get("id")
    _compare_id(
        claims, "jti", cred_id if isinstance(cred_id, str) else None, "id", problems, missing
    )
    subjects = credential.get("credentialSubject")
    subject_list = subjects if isinstance(subjects, list) else [subjects]
    subject_ids = [s["id"] for s in subject_list if isinstance(s, dict) and "id" in s]
    if "sub" in claims and len(subject_ids) > 1:
        if claims["sub"] not in subject_ids:
            problems.append(f"sub {claims['sub']!r} matches no credentialSubject id")
    else:
        only = subject_ids[0] if subject_ids and isinstance(subject_ids[0], str) else None
        _compare_id(claims, "sub", only, "credentialSubject id", problems, missing)
    _compare_instant(claims, "nbf", credential, ("validFrom", "issuanceDate"), problems, missing)
    _compare_instant(claims, "exp", credential, ("validUntil", "expirationDate"), problems, missing)
    return problems, missing


def verify_jws(
    token: str,
    resolver: KeyResolver | None,
    *,
    purpose: str = "assertionMethod",
) -> JwsResult:
    """Verify a VC-JWT (RFC 7515 §5.2) and extract the credential.

    The key is the one ``kid`` resolves to (relative ``kid`` against ``iss``), which must be
    listed under ``purpose``; without a resolver, the header ``jwk``.  When both are present
    they must agree.  Raises :class:`ProofError` (or :class:`ResolutionError` from key lookup).
    """
    jws = parse_compact_jws(token)
    alg = _check_header(jws.header)
    credential, claims, envelope = _split_payload(jws.payload)
    base = claims.get("iss", jws.header.get("iss"))
    if not isinstance(base, str):
        base = _issuer_id(credential)
    key, method_id, controller = _select_key(jws.header, base, resolver, purpose, alg)
    if alg not in key.algorithms:
        raise ProofError(
            f"alg {alg!r} does not fit a {type(key).__name__} key", code="PROOF_VERIFICATION_ERROR"
        )
    if not key.verify(jws.signature, jws.signing_input):
        raise ProofError("JWS signature does not verify", code="PROOF_VERIFICATION_ERROR")
    problems, missing = check_claims(jws.header, claims, credential)
    return JwsResult(
        credential=credential,
        header=jws.header,
        claims=claims,
        verification_method_id=method_id,
        controller=controller,
        claim_problems=problems,
        missing_claims=missing,
        alg=alg,
        envelope=envelope,
    )
