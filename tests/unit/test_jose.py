"""VC-JWT / VC-JOSE verification (credstack.proofs.jose)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from credstack.crypto.keys import public_key_to_multibase
from credstack.errors import CredstackError, InvalidKey, ProofError, ResolutionError
from credstack.proofs.jose import (
    MAX_TOKEN_CHARS,
    jwk_public_key,
    parse_compact_jws,
    verify_jws,
)
from credstack.resolve.base import ResolvedMethod, VerificationMethod

ISSUER = "https://issuer.example/org"
SUBJECT = "did:example:learner"
DUPLICATE_ALG = b'{"alg":"EdDSA","alg":"none"}'
NAN_PAYLOAD = b'{"nbf":NaN}'
NOT_UTF8 = b"\xff\xfe"

# -------------------------------------------------------------------------------------------
# A small JWS encoder (test-only)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def int_b64(n: int, length: int | None = None) -> str:
    size = length if length is not None else (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))


@dataclass
class Signer:
    alg: str
    jwk: dict[str, Any]
    sign: Callable[[bytes], bytes]


def ed25519_signer() -> Signer:
    key = ed25519.Ed25519PrivateKey.generate()
    x = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return Signer("EdDSA", {"kty": "OKP", "crv": "Ed25519", "x": b64(x)}, key.sign)


def p256_signer() -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    nums = key.public_key().public_numbers()

    def sign(message: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    jwk = {"kty": "EC", "crv": "P-256", "x": int_b64(nums.x, 32), "y": int_b64(nums.y, 32)}
    return Signer("ES256", jwk, sign)


def rsa_signer(bits: int = 2048) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    nums = key.public_key().public_numbers()

    def sign(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    return Signer("RS256", {"kty": "RSA", "n": int_b64(nums.n), "e": int_b64(nums.e)}, sign)


@pytest.fixture(scope="module")
def rsa2048() -> Signer:
    return rsa_signer()


def encode(header: dict[str, Any], payload: dict[str, Any], signer: Signer) -> str:
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64(signer.sign(signing_input.encode()))}"


def credential(**overrides: Any) -> dict[str, Any]:
    cred: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5d8b1c9e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Example Org"},
        "validFrom": "2024-01-01T00:00:00Z",
        "validUntil": "2030-01-01T00:00:00Z",
        "credentialSubject": {"id": SUBJECT, "type": ["AchievementSubject"]},
    }
    cred.update(overrides)
    return cred


def ob_claims(cred: dict[str, Any]) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "jti": cred["id"],
        "nbf": 1704067200,  # 2024-01-01T00:00:00Z
        "exp": 1893456000,  # 2030-01-01T00:00:00Z
        "sub": SUBJECT,
    }


def ob_token(signer: Signer, cred: dict[str, Any] | None = None, **header: Any) -> str:
    cred = cred if cred is not None else credential()
    hdr = {"alg": signer.alg, "typ": "JWT", "jwk": signer.jwk, **header}
    return encode(hdr, {**ob_claims(cred), "vc": cred}, signer)


class FakeResolver:
    """Maps verification-method ids to methods; records what it was asked."""

    def __init__(self) -> None:
        self.methods: dict[str, ResolvedMethod] = {}
        self.asked: list[str] = []

    def add(
        self,
        method_id: str,
        *,
        jwk: dict[str, Any] | None = None,
        multibase: str | None = None,
        relationships: frozenset[str] = frozenset({"assertionMethod"}),
    ) -> None:
        controller = method_id.split("#", 1)[0]
        method = VerificationMethod(
            id=method_id,
            type="JsonWebKey" if jwk else "Multikey",
            controller=controller,
            public_key_jwk=jwk,
            public_key_multibase=multibase,
        )
        self.methods[method_id] = ResolvedMethod(method, {"id": controller}, relationships)

    def resolve(self, method_id: str) -> ResolvedMethod:
        self.asked.append(method_id)
        try:
            return self.methods[method_id]
        except KeyError:
            raise ResolutionError(f"unknown {method_id}") from None


# -------------------------------------------------------------------------------------------
# Each algorithm


@pytest.mark.parametrize("make", [ed25519_signer, p256_signer], ids=["EdDSA", "ES256"])
def test_verify_jws_header_jwk_verifies(make: Callable[[], Signer]) -> None:
    signer = make()
    result = verify_jws(ob_token(signer), None)
    assert result.alg == signer.alg
    assert result.credential == credential()
    assert result.claim_problems == []
    assert result.missing_claims == []
    assert result.envelope == "vc-claim"
    assert result.controller is None  # a bare jwk binds to no identifier


def test_verify_jws_rs256_verifies(rsa2048: Signer) -> None:
    result = verify_jws(ob_token(rsa2048), None)
    assert result.alg == "RS256"
    assert result.claims["iss"] == ISSUER


@pytest.mark.parametrize("make", [ed25519_signer, p256_signer], ids=["EdDSA", "ES256"])
def test_verify_jws_tampered_payload_fails(make: Callable[[], Signer]) -> None:
    signer = make()
    header, _payload, sig = ob_token(signer).split(".")
    forged = credential(name="Forged")
    tampered = f"{header}.{b64json({**ob_claims(forged), 'vc': forged})}.{sig}"
    with pytest.raises(ProofError) as info:
        verify_jws(tampered, None)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_jws_rs256_tampered_payload_fails(rsa2048: Signer) -> None:
    header, _payload, sig = ob_token(rsa2048).split(".")
    tampered = f"{header}.{b64json({'vc': credential(id='urn:x')})}.{sig}"
    with pytest.raises(ProofError) as info:
        verify_jws(tampered, None)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


@pytest.mark.parametrize("make", [ed25519_signer, p256_signer], ids=["EdDSA", "ES256"])
def test_verify_jws_wrong_key_fails(make: Callable[[], Signer]) -> None:
    signer, other = make(), make()
    cred = credential()
    token = encode({"alg": signer.alg, "jwk": other.jwk}, {**ob_claims(cred), "vc": cred}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, None)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_jws_rs256_wrong_key_fails(rsa2048: Signer) -> None:
    other = rsa_signer()
    token = encode({"alg": "RS256", "jwk": other.jwk}, {"vc": credential()}, rsa2048)
    with pytest.raises(ProofError) as info:
        verify_jws(token, None)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_jws_truncated_signature_fails() -> None:
    signer = p256_signer()
    header, payload, sig = ob_token(signer).split(".")
    short = b64(base64.urlsafe_b64decode(sig + "==")[:63])
    with pytest.raises(ProofError) as info:
        verify_jws(f"{header}.{payload}.{short}", None)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


# -------------------------------------------------------------------------------------------
# Refusals


def test_verify_jws_alg_none_refused() -> None:
    cred = credential()
    token = f"{b64json({'alg': 'none'})}.{b64json({'vc': cred})}."
    with pytest.raises(ProofError, match="none"):
        verify_jws(token, None)


def test_verify_jws_hs256_refused() -> None:
    signer = ed25519_signer()
    token = encode({"alg": "HS256", "jwk": signer.jwk}, {"vc": credential()}, signer)
    with pytest.raises(ProofError, match="unsupported JWS alg"):
        verify_jws(token, None)


def test_verify_jws_alg_key_type_mismatch_refused() -> None:
    signer = ed25519_signer()
    # claims ES256 but carries (and is signed by) an Ed25519 key
    token = encode({"alg": "ES256", "jwk": signer.jwk}, {"vc": credential()}, signer)
    with pytest.raises(ProofError, match="does not fit"):
        verify_jws(token, None)


def test_verify_jws_jwk_with_private_d_refused() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    signer = Signer(
        "EdDSA",
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
            "d": b64(key.private_bytes_raw()),
        },
        key.sign,
    )
    with pytest.raises(ProofError) as info:
        verify_jws(ob_token(signer), None)
    assert info.value.code == "MALFORMED_PROOF_ERROR"
    assert "private" in info.value.message


def test_jwk_public_key_rsa_1024_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    nums = weak.public_key().public_numbers()
    with pytest.raises(InvalidKey, match="2048"):
        jwk_public_key({"kty": "RSA", "n": int_b64(nums.n), "e": int_b64(nums.e)})


def test_verify_jws_rsa_1024_token_refused() -> None:
    weak = rsa_signer(1024)
    with pytest.raises(ProofError, match="2048"):
        verify_jws(ob_token(weak), None)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "OKP", "crv": "X25519", "x": b64(bytes(32))},
        {"kty": "EC", "crv": "P-384", "x": b64(bytes(48)), "y": b64(bytes(48))},
        {"kty": "EC", "crv": "P-256", "x": b64(bytes(32)), "y": b64(bytes(32))},  # off-curve
        {"kty": "OKP", "crv": "Ed25519", "x": b64(bytes(31))},
        {"kty": "OKP", "crv": "Ed25519", "x": b64(bytes(32)) + "="},
        {"kty": "OKP", "crv": "Ed25519", "x": b64(bytes(32)), "use": "enc"},
    ],
    ids=["oct", "x25519", "p384", "off-curve", "short-x", "padded", "use-enc"],
)
def test_jwk_public_key_unusable_key_refused(jwk: dict[str, Any]) -> None:
    with pytest.raises(InvalidKey):
        jwk_public_key(jwk)


def test_verify_jws_crit_header_refused() -> None:
    signer = ed25519_signer()
    token = ob_token(signer, crit=["exp"], exp=1)
    with pytest.raises(ProofError) as info:
        verify_jws(token, None)
    assert info.value.code == "MALFORMED_PROOF_ERROR"


def test_verify_jws_presentation_typ_refused() -> None:
    signer = ed25519_signer()
    with pytest.raises(ProofError, match="typ"):
        verify_jws(ob_token(signer, typ="vp+jwt"), None)


def test_verify_jws_no_kid_or_jwk_refused() -> None:
    signer = ed25519_signer()
    token = encode({"alg": "EdDSA"}, {"vc": credential()}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, None)
    assert info.value.code == "MALFORMED_PROOF_ERROR"


def test_verify_jws_jwk_alg_member_mismatch_refused() -> None:
    signer = p256_signer()
    signer.jwk = {**signer.jwk, "alg": "ES384"}
    with pytest.raises(ProofError, match="ES384"):
        verify_jws(ob_token(signer), None)


# -------------------------------------------------------------------------------------------
# Malformed tokens


@pytest.mark.parametrize(
    "token",
    [
        "abc.def",
        "a.b.c.d",
        "",
        "eyJ!.e30.AA",  # bad base64url alphabet
        f"{b64json({'alg': 'EdDSA'})}=.{b64json({})}.AA",  # padding
        f"{b64(b'not json')}.{b64json({})}.AA",
        f"{b64json([1, 2])}.{b64json({})}.AA",  # header not an object
        f"{b64json({'alg': 'EdDSA'})}.{b64(b'[1]')}.AA",  # payload not an object
        f"{b64(DUPLICATE_ALG)}.{b64json({})}.AA",  # duplicate member
        f"{b64json({'alg': 'EdDSA'})}.{b64(NAN_PAYLOAD)}.AA",  # NaN is not JSON
        f"{b64(NOT_UTF8)}.{b64json({})}.AA",  # not UTF-8
        f"{b64json({'alg': 'EdDSA'})}.{b64(b'[' * 100_000)}.AA",  # absurd nesting
        "ëyJ.e30.AA",
    ],
)
def test_parse_compact_jws_malformed_token_refused(token: str) -> None:
    with pytest.raises(ProofError) as info:
        parse_compact_jws(token)
    assert info.value.code == "MALFORMED_PROOF_ERROR"


def test_parse_compact_jws_huge_token_refused() -> None:
    token = f"{b64json({'alg': 'EdDSA'})}.{'A' * MAX_TOKEN_CHARS}.AA"
    with pytest.raises(ProofError) as info:
        parse_compact_jws(token)
    assert info.value.code == "MALFORMED_PROOF_ERROR"
    assert "longer" in info.value.message


def test_parse_compact_jws_parts_decoded() -> None:
    signer = ed25519_signer()
    token = ob_token(signer) + "\n"
    jws = parse_compact_jws(token)
    assert jws.header["alg"] == "EdDSA"
    assert jws.payload["vc"]["id"] == credential()["id"]
    assert jws.signing_input == ".".join(token.strip().split(".")[:2]).encode()
    assert len(jws.signature) == 64


TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@given(st.text(max_size=200).filter(lambda t: not TOKEN_ALPHABET.issuperset(t.strip(" \t\r\n"))))
def test_parse_compact_jws_text_outside_alphabet_malformed(text: str) -> None:
    with pytest.raises(ProofError) as info:
        parse_compact_jws(text)
    assert info.value.code == "MALFORMED_PROOF_ERROR"


@given(st.dictionaries(st.text(max_size=8), st.integers(), max_size=4))
def test_parse_compact_jws_round_trips_payload(payload: dict[str, int]) -> None:
    token = f"{b64json({'alg': 'EdDSA'})}.{b64json(payload)}.{b64(bytes(64))}"
    jws = parse_compact_jws(token)
    assert jws.payload == payload
    assert jws.signature == bytes(64)


@given(st.binary(max_size=64), st.binary(max_size=64), st.binary(max_size=80))
def test_verify_jws_arbitrary_parts_raise_only_credstack_errors(
    header: bytes, payload: bytes, sig: bytes
) -> None:
    token = f"{b64(header)}.{b64(payload)}.{b64(sig)}"
    with pytest.raises(CredstackError):
        verify_jws(token, FakeResolver())


# -------------------------------------------------------------------------------------------
# kid and the resolver


def test_verify_jws_kid_resolved_through_resolver() -> None:
    signer = p256_signer()
    resolver = FakeResolver()
    resolver.add(f"{ISSUER}#key-1", jwk=signer.jwk)
    cred = credential()
    token = encode(
        {"alg": "ES256", "kid": f"{ISSUER}#key-1"}, {**ob_claims(cred), "vc": cred}, signer
    )
    result = verify_jws(token, resolver)
    assert resolver.asked == [f"{ISSUER}#key-1"]
    assert result.verification_method_id == f"{ISSUER}#key-1"
    assert result.controller == ISSUER


def test_verify_jws_relative_kid_resolved_against_iss() -> None:
    signer = ed25519_signer()
    did = "did:example:issuer"
    resolver = FakeResolver()
    raw = base64.urlsafe_b64decode(signer.jwk["x"] + "=")
    resolver.add(f"{did}#key-1", multibase=public_key_to_multibase(raw))
    cred = credential(issuer=did)
    claims = {**ob_claims(cred), "iss": did}
    token = encode({"alg": "EdDSA", "kid": "#key-1"}, {**claims, "vc": cred}, signer)
    result = verify_jws(token, resolver)
    assert resolver.asked == [f"{did}#key-1"]
    assert result.controller == did
    assert result.claim_problems == []


def test_verify_jws_kid_resolving_to_other_key_fails() -> None:
    signer, other = ed25519_signer(), ed25519_signer()
    resolver = FakeResolver()
    resolver.add(f"{ISSUER}#key-1", jwk=other.jwk)
    token = encode({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"vc": credential()}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, resolver)
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_jws_header_jwk_disagreeing_with_kid_refused() -> None:
    signer, other = ed25519_signer(), ed25519_signer()
    resolver = FakeResolver()
    resolver.add(f"{ISSUER}#key-1", jwk=other.jwk)
    token = ob_token(signer, kid=f"{ISSUER}#key-1")  # carries signer.jwk too
    with pytest.raises(ProofError) as info:
        verify_jws(token, resolver)
    assert info.value.code == "KEY_MISMATCH"


def test_verify_jws_kid_not_assertion_method_refused() -> None:
    signer = ed25519_signer()
    resolver = FakeResolver()
    resolver.add(f"{ISSUER}#key-1", jwk=signer.jwk, relationships=frozenset({"authentication"}))
    token = encode({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"vc": credential()}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, resolver)
    assert info.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_verify_jws_unknown_kid_raises_resolution_error() -> None:
    signer = ed25519_signer()
    token = encode({"alg": "EdDSA", "kid": f"{ISSUER}#nope"}, {"vc": credential()}, signer)
    with pytest.raises(ResolutionError):
        verify_jws(token, FakeResolver())


def test_verify_jws_kid_without_resolver_raises_resolution_error() -> None:
    signer = ed25519_signer()
    token = encode({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"vc": credential()}, signer)
    with pytest.raises(ResolutionError):
        verify_jws(token, None)


def test_verify_jws_resolved_private_jwk_refused() -> None:
    signer = ed25519_signer()
    resolver = FakeResolver()
    resolver.add(f"{ISSUER}#key-1", jwk={**signer.jwk, "d": b64(bytes(32))})
    token = encode({"alg": "EdDSA", "kid": f"{ISSUER}#key-1"}, {"vc": credential()}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, resolver)
    assert info.value.code == "INVALID_VERIFICATION_METHOD"


# -------------------------------------------------------------------------------------------
# Payload shapes and claim checks


def test_verify_jws_vc_jose_payload_is_credential() -> None:
    signer = ed25519_signer()
    cred = credential()
    token = encode({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "jwk": signer.jwk}, cred, signer)
    result = verify_jws(token, None)
    assert result.envelope == "payload"
    assert result.credential == cred
    assert result.claims == {}
    assert result.claim_problems == []
    assert set(result.missing_claims) == {"iss", "jti", "nbf", "sub", "exp"}


def test_verify_jws_claims_added_to_credential_are_split_off() -> None:
    signer = ed25519_signer()
    cred = credential()
    token = encode({"alg": "EdDSA", "jwk": signer.jwk}, {**cred, **ob_claims(cred)}, signer)
    result = verify_jws(token, None)
    assert result.envelope == "payload"
    assert result.credential == cred
    assert result.claims == ob_claims(cred)
    assert result.claim_problems == []
    assert result.missing_claims == []


@pytest.mark.parametrize(
    ("claim", "value", "fragment"),
    [
        ("iss", "https://evil.example", "iss"),
        ("jti", "urn:uuid:other", "jti"),
        ("sub", "did:example:someone-else", "sub"),
        ("nbf", 1704067201, "nbf"),
        ("exp", 1893455999, "exp"),
        ("nbf", "2024-01-01", "nbf is not a NumericDate"),
        ("nbf", True, "nbf is not a NumericDate"),
    ],
)
def test_verify_jws_claim_mismatch_reported(claim: str, value: Any, fragment: str) -> None:
    signer = ed25519_signer()
    cred = credential()
    payload = {**ob_claims(cred), claim: value, "vc": cred}
    result = verify_jws(encode({"alg": "EdDSA", "jwk": signer.jwk}, payload, signer), None)
    assert len(result.claim_problems) == 1
    assert fragment in result.claim_problems[0]


def test_verify_jws_instants_compared_across_offsets_and_fractions() -> None:
    signer = ed25519_signer()
    cred = credential(
        validFrom="2024-01-01T02:00:00.750+02:00",  # same second as 2024-01-01T00:00:00Z
        validUntil="2030-01-01T00:00:00Z",
    )
    payload = {**ob_claims(cred), "nbf": 1704067200.9, "vc": cred}
    result = verify_jws(encode({"alg": "EdDSA", "jwk": signer.jwk}, payload, signer), None)
    assert result.claim_problems == []


def test_verify_jws_legacy_issuance_date_compared() -> None:
    signer = ed25519_signer()
    cred = credential(issuanceDate="2024-01-01T00:00:00Z")
    del cred["validFrom"], cred["validUntil"]
    payload = {**ob_claims(cred), "nbf": 1704067260, "vc": cred}
    del payload["exp"]
    result = verify_jws(encode({"alg": "EdDSA", "jwk": signer.jwk}, payload, signer), None)
    assert result.claim_problems == [
        "nbf 1704067260 does not match issuanceDate '2024-01-01T00:00:00Z'"
    ]


def test_verify_jws_valid_from_without_zone_reported() -> None:
    signer = ed25519_signer()
    cred = credential(validFrom="2024-01-01T00:00:00")
    payload = {**ob_claims(cred), "vc": cred}
    result = verify_jws(encode({"alg": "EdDSA", "jwk": signer.jwk}, payload, signer), None)
    assert result.claim_problems == ["validFrom '2024-01-01T00:00:00' has no time zone offset"]


def test_verify_jws_issuer_string_and_header_iss_compared() -> None:
    signer = ed25519_signer()
    cred = credential(issuer=ISSUER)
    payload = {**ob_claims(cred), "vc": cred}
    header = {"alg": "EdDSA", "jwk": signer.jwk, "iss": "https://other.example"}
    result = verify_jws(encode(header, payload, signer), None)
    assert result.claim_problems == [
        "header iss 'https://other.example' does not match issuer id 'https://issuer.example/org'"
    ]


def test_verify_jws_missing_required_claims_listed() -> None:
    signer = ed25519_signer()
    cred = credential()
    payload = {"iss": ISSUER, "vc": cred}
    result = verify_jws(encode({"alg": "EdDSA", "jwk": signer.jwk}, payload, signer), None)
    assert result.claim_problems == []
    assert sorted(result.missing_claims) == ["exp", "jti", "nbf", "sub"]


def test_verify_jws_vc_claim_not_object_malformed() -> None:
    signer = ed25519_signer()
    token = encode({"alg": "EdDSA", "jwk": signer.jwk}, {"vc": "a string"}, signer)
    with pytest.raises(ProofError) as info:
        verify_jws(token, None)
    assert info.value.code == "MALFORMED_PROOF_ERROR"
