"""The verifier and its report: steps and order, verdict, renderings, presentations, VC-JWT."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import (
    Outcome,
    StepName,
    VerificationFailed,
    VerificationReport,
)
from credstack.verify.verifier import Verifier, VerifyOptions, verify_credential
from tests.conftest import CREATED, NOW, make_open_badge, vector_json

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_STEPS = [
    StepName.PARSE,
    StepName.CONTEXT,
    StepName.SCHEMA,
    StepName.SAFE_MODE,
    StepName.KEY_RESOLUTION,
    StepName.PROOF,
    StepName.CONTROLLER,
    StepName.VALIDITY,
    StepName.STATUS,
]
CHALLENGE = "b9d1f0e2-challenge"
DOMAIN = "verifier.example"


def verify(raw: Any, **options: Any) -> VerificationReport:
    return Verifier(CompositeResolver()).verify(raw, VerifyOptions(at=NOW, **options))


def holder_key() -> KeyPair:
    return KeyPair(bytes(range(100, 132)))


# ------------------------------------------------------------------------------- steps


def test_verify_open_badge_runs_steps_in_order(signed_badge: dict[str, Any]) -> None:
    report = verify(signed_badge)
    assert [s.name for s in report.steps] == OB_STEPS
    assert [s.outcome for s in report.steps] == [Outcome.PASSED] * 8 + [Outcome.SKIPPED]
    assert report.verified
    assert report.kind == "open-badge"
    assert report.credential_id == signed_badge["id"]
    assert report.issuer == signed_badge["issuer"]["id"]
    assert report.checked_at == "2026-01-01T00:00:00Z"
    assert report.first_failure is None
    assert not report.unusable


def test_verify_accepts_json_bytes_and_text(signed_badge: dict[str, Any]) -> None:
    text = json.dumps(signed_badge)
    for raw in (text, text.encode("utf-8"), "\n  " + text + "\n"):
        report = verify(raw)
        assert report.verified
        assert [s.name for s in report.steps] == OB_STEPS


def test_verify_key_resolution_details(signed_badge: dict[str, Any], issuer_key: KeyPair) -> None:
    report = verify(signed_badge)
    [resolution] = [s for s in report.steps if s.name is StepName.KEY_RESOLUTION]
    assert resolution.details == {
        "verificationMethod": issuer_key.verification_method,
        "controller": issuer_key.did_key,
    }
    [proof] = [s for s in report.steps if s.name is StepName.PROOF]
    assert proof.details == {"suite": "eddsa-rdfc-2022"}


def test_verify_plain_vc_skips_schema(issuer_key: KeyPair) -> None:
    vc = {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "issuer": issuer_key.did_key,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    report = verify(add_proof(vc, issuer_key, created=CREATED))
    assert report.kind == "verifiable-credential"
    schema = [s for s in report.steps if s.name is StepName.SCHEMA]
    assert [s.outcome for s in schema] == [Outcome.SKIPPED]
    assert report.verified


def test_verify_proof_set_reports_each_proof(
    signed_badge: dict[str, Any], issuer_key: KeyPair
) -> None:
    both = add_proof(signed_badge, issuer_key, created=CREATED, proof_id="urn:proof:2")
    assert len(both["proof"]) == 2
    report = verify(both)
    proofs = [s for s in report.steps if s.name is StepName.PROOF]
    assert [s.outcome for s in proofs] == [Outcome.PASSED, Outcome.PASSED]
    assert report.verified


def test_verify_one_bad_proof_in_set_fails(
    signed_badge: dict[str, Any], issuer_key: KeyPair
) -> None:
    both = add_proof(signed_badge, issuer_key, created=CREATED.replace(year=2024))
    assert both["proof"][1]["proofValue"] != both["proof"][0]["proofValue"]
    both["proof"][1]["proofValue"] = both["proof"][0]["proofValue"]
    report = verify(both)
    assert not report.verified
    outcomes = [s.outcome for s in report.steps if s.name is StepName.PROOF]
    assert outcomes == [Outcome.PASSED, Outcome.FAILED]


# ------------------------------------------------------------------------------- verdict


def test_verified_requires_a_proof_step() -> None:
    report = VerificationReport()
    report.add(StepName.PARSE, Outcome.PASSED, "fine")
    assert report.first_failure is None
    assert not report.verified
    report.add(StepName.PROOF, Outcome.PASSED, "signed")
    assert report.verified


def test_verified_false_on_any_failure() -> None:
    report = VerificationReport()
    report.add(StepName.PROOF, Outcome.PASSED, "signed")
    report.add(StepName.VALIDITY, Outcome.FAILED, "expired", "CREDENTIAL_EXPIRED")
    report.add(StepName.STATUS, Outcome.FAILED, "revoked", "CREDENTIAL_REVOKED")
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_EXPIRED"


def test_verified_false_on_nested_failure() -> None:
    child = VerificationReport()
    child.add(StepName.PROOF, Outcome.FAILED, "bad", "PROOF_VERIFICATION_ERROR")
    parent = VerificationReport(nested=[child])
    parent.add(StepName.PROOF, Outcome.PASSED, "signed")
    assert not parent.verified
    assert parent.first_failure is child.steps[0]


def test_unsigned_credential_not_verified(issuer_key: KeyPair) -> None:
    report = verify(make_open_badge(issuer_key.did_key))
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.name is StepName.PROOF
    assert report.first_failure.code == "PROOF_VERIFICATION_ERROR"


def test_tampered_credential_not_verified(signed_badge: dict[str, Any]) -> None:
    tampered = copy.deepcopy(signed_badge)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    report = verify(tampered)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.name is StepName.PROOF


def test_unusable_only_for_parse_failures(signed_badge: dict[str, Any]) -> None:
    assert verify(b"[not json").unusable
    assert verify([]).unusable
    tampered = dict(signed_badge, name="other")
    assert not verify(tampered).unusable


def test_warnings_never_change_verdict() -> None:
    report = VerificationReport()
    report.add(StepName.PROOF, Outcome.PASSED, "signed")
    assert report.verified
    for name in (StepName.CONTROLLER, StepName.STATUS, StepName.PRESENTATION):
        report.add(name, Outcome.WARNING, "note", "SOMETHING")
    report.add(StepName.SCHEMA, Outcome.SKIPPED, "not applicable")
    assert report.verified
    assert [w.name for w in report.warnings] == [
        StepName.CONTROLLER,
        StepName.STATUS,
        StepName.PRESENTATION,
    ]
    assert report.first_failure is None
    report.raise_for_status()


def test_warnings_in_real_report_keep_verdict(issuer_key: KeyPair) -> None:
    entry = {
        "id": "https://issuer.example/status/1#9",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "9",
        "statusListCredential": "https://issuer.example/status/1",
    }
    badge = make_open_badge(issuer_key.did_key, credentialStatus=entry)
    report = verify(add_proof(badge, issuer_key, created=CREATED))
    assert [w.code for w in report.warnings] == ["STATUS_RETRIEVAL_ERROR"]
    assert report.verified


# ------------------------------------------------------------------------------- raise_for_status


def test_raise_for_status_passes_when_verified(signed_badge: dict[str, Any]) -> None:
    verify(signed_badge).raise_for_status()


def test_raise_for_status_raises_first_failure(signed_badge: dict[str, Any]) -> None:
    report = verify(dict(signed_badge, validUntil="2025-12-31T23:59:59Z"))
    with pytest.raises(VerificationFailed) as info:
        report.raise_for_status()
    first = report.first_failure
    assert first is not None
    assert info.value.code == first.code == "PROOF_VERIFICATION_ERROR"
    assert info.value.message == first.message
    assert info.value.report is report


def test_raise_for_status_without_proof_step() -> None:
    report = VerificationReport()
    report.add(StepName.PARSE, Outcome.PASSED, "fine")
    with pytest.raises(VerificationFailed) as info:
        report.raise_for_status()
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_raise_for_status_expired_code(issuer_key: KeyPair) -> None:
    badge = make_open_badge(issuer_key.did_key, validUntil="2025-12-31T23:59:59Z")
    report = verify(add_proof(badge, issuer_key, created=CREATED))
    with pytest.raises(VerificationFailed) as info:
        report.raise_for_status()
    assert info.value.code == "CREDENTIAL_EXPIRED"


# ------------------------------------------------------------------------------- renderings


def test_to_json_keys_for_valid_report(signed_badge: dict[str, Any]) -> None:
    data = verify(signed_badge).to_json()
    assert list(data) == ["verified", "kind", "id", "issuer", "checkedAt", "steps"]
    assert data["verified"] is True
    assert data["steps"][0] == {
        "step": "parse",
        "outcome": "passed",
        "message": "open-badge of type VerifiableCredential, OpenBadgeCredential",
    }
    assert data["steps"][-1]["outcome"] == "skipped"
    for entry in data["steps"]:
        assert set(entry) <= {"step", "outcome", "code", "message", "details"}
    json.dumps(data)  # JSON-serialisable as is


def test_to_json_error_for_failed_report(signed_badge: dict[str, Any]) -> None:
    data = verify(dict(signed_badge, name="changed")).to_json()
    assert data["verified"] is False
    assert data["error"]["step"] == "proof"
    assert data["error"]["code"] == "PROOF_VERIFICATION_ERROR"
    failed = [s for s in data["steps"] if s["outcome"] == "failed"]
    assert failed[0]["code"] == data["error"]["code"]
    assert failed[0]["message"] == data["error"]["message"]


def test_to_json_unusable_input_has_no_id() -> None:
    data = verify(b"{").to_json()
    assert data["verified"] is False
    assert data["kind"] == "unknown"
    assert "id" not in data
    assert "issuer" not in data
    assert data["error"]["code"] == "INVALID_JSON"


def test_render_marks_each_step(signed_badge: dict[str, Any]) -> None:
    text = verify(dict(signed_badge, name="changed")).render()
    lines = text.splitlines()
    assert lines[0] == f"NOT VALID: open-badge {signed_badge['id']}"
    assert any(line.startswith("  FAIL Signature:") for line in lines)
    assert any(line.endswith("[PROOF_VERIFICATION_ERROR]") for line in lines)
    assert any(line.startswith("  skip Revocation status:") for line in lines)
    assert verify(b"[").render().startswith("UNUSABLE INPUT")


# ------------------------------------------------------------------------------- W3C vector


def test_w3c_vector_valid_with_controller_warning() -> None:
    report = verify(vector_json("eddsa-rdfc-2022/signedDataInt.json"))
    assert report.verified
    assert report.kind == "verifiable-credential"
    assert report.issuer == "https://vc.example/issuers/5678"
    [warning] = report.warnings
    assert warning.name is StepName.CONTROLLER
    assert warning.code == "CONTROLLER_MISMATCH"
    assert "https://vc.example/issuers/5678" in warning.message
    assert "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" in warning.message


def test_w3c_vector_strict_controller_fails() -> None:
    report = verify(vector_json("eddsa-rdfc-2022/signedDataInt.json"), strict_controller=True)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CONTROLLER_MISMATCH"


def test_w3c_jcs_vector_verifies() -> None:
    report = verify(vector_json("eddsa-jcs-2022/signedJCS.json"))
    assert report.verified
    assert [w.code for w in report.warnings] == ["CONTROLLER_MISMATCH"]


# ------------------------------------------------------------------------------- presentations


def presentation(*credentials: Any, holder: str | None = None) -> dict[str, Any]:
    vp: dict[str, Any] = {"@context": [VC_V2], "type": ["VerifiablePresentation"]}
    if holder is not None:
        vp["holder"] = holder
    vp["verifiableCredential"] = list(credentials)
    return vp


def test_unsigned_presentation_with_tampered_credential_fails(
    signed_badge: dict[str, Any],
) -> None:
    tampered = copy.deepcopy(signed_badge)
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    report = verify(presentation(signed_badge, tampered))
    assert report.kind == "presentation"
    assert not report.verified
    assert [r.verified for r in report.nested] == [True, False]
    assert [w.name for w in report.warnings] == [StepName.PROOF]  # the VP itself is unsigned
    [summary] = [s for s in report.steps if s.name is StepName.PRESENTATION]
    assert summary.outcome is Outcome.FAILED
    assert summary.message == "1 of 2 credential(s) verified"
    data = report.to_json()
    assert [c["verified"] for c in data["credentials"]] == [True, False]
    assert data["credentials"][1]["error"]["step"] == "proof"


def test_unsigned_presentation_with_valid_credential_passes(
    signed_badge: dict[str, Any],
) -> None:
    report = verify(presentation(signed_badge))
    assert report.verified
    assert len(report.nested) == 1


def test_signed_presentation_verifies(signed_badge: dict[str, Any]) -> None:
    holder = holder_key()
    vp = presentation(signed_badge, holder=holder.did_key)
    signed = add_proof(
        vp,
        holder,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
        created=CREATED,
    )
    report = verify(signed, challenge=CHALLENGE, domain=DOMAIN)
    assert report.verified
    steps = [(s.name, s.outcome) for s in report.steps]
    assert (StepName.PROOF, Outcome.PASSED) in steps
    assert (StepName.PRESENTATION, Outcome.PASSED) in steps
    assert report.warnings == []
    assert report.nested[0].verified


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"challenge": "another-challenge", "domain": DOMAIN}, "INVALID_CHALLENGE_ERROR"),
        ({"challenge": CHALLENGE, "domain": "evil.example"}, "INVALID_DOMAIN_ERROR"),
    ],
)
def test_signed_presentation_wrong_challenge_or_domain_fails(
    signed_badge: dict[str, Any], options: dict[str, str], code: str
) -> None:
    holder = holder_key()
    signed = add_proof(
        presentation(signed_badge, holder=holder.did_key),
        holder,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    report = verify(signed, **options)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == code


def test_presentation_signed_by_other_than_holder_fails(signed_badge: dict[str, Any]) -> None:
    holder, thief = holder_key(), KeyPair(bytes(range(200, 232)))
    signed = add_proof(
        presentation(signed_badge, holder=holder.did_key),
        thief,
        proof_purpose="authentication",
        challenge=CHALLENGE,
    )
    report = verify(signed, challenge=CHALLENGE)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CONTROLLER_MISMATCH"


def test_presentation_with_assertion_proof_fails(signed_badge: dict[str, Any]) -> None:
    holder = holder_key()
    signed = add_proof(presentation(signed_badge, holder=holder.did_key), holder)
    report = verify(signed)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.name is StepName.PROOF


def test_tampered_signed_presentation_fails(signed_badge: dict[str, Any]) -> None:
    holder = holder_key()
    signed = add_proof(
        presentation(signed_badge, holder=holder.did_key),
        holder,
        proof_purpose="authentication",
        challenge=CHALLENGE,
    )
    signed["id"] = "urn:uuid:5f1c9a0e-presentation"
    report = verify(signed, challenge=CHALLENGE)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "PROOF_VERIFICATION_ERROR"
    assert all(r.verified for r in report.nested)


def test_signed_presentation_of_two_badges_verifies(issuer_key: KeyPair) -> None:
    """Two badges for the same achievement (a routine wallet export) sign and verify.

    Each alignment node relates to its credential graph once per quad, so the RDFC related
    list holds the same node several times; canonicalization must stay cheap here.
    """
    first = add_proof(make_open_badge(issuer_key.did_key), issuer_key, created=CREATED)
    second = add_proof(
        make_open_badge(issuer_key.did_key, id="urn:uuid:7d0c55b2-second"),
        issuer_key,
        created=CREATED,
    )
    holder = holder_key()
    signed = add_proof(
        presentation(first, second, holder=holder.did_key),
        holder,
        proof_purpose="authentication",
        challenge=CHALLENGE,
    )
    report = verify(signed, challenge=CHALLENGE)
    assert report.verified
    assert [r.verified for r in report.nested] == [True, True]


def test_empty_presentation_is_not_verified() -> None:
    report = verify(presentation())
    assert not report.verified  # no proof at all, nothing presented
    assert StepName.PRESENTATION in [w.name for w in report.warnings]


# ------------------------------------------------------------------------------- VC-JWT


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jws(header: dict[str, Any], payload: dict[str, Any], key: KeyPair) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def jwt_payload(credential: dict[str, Any]) -> dict[str, Any]:
    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": 1736931600,  # 2025-01-15T09:00:00Z, the badge's validFrom
        "sub": credential["credentialSubject"]["id"],
    }


def test_vc_jwt_verifies(issuer_key: KeyPair) -> None:
    credential = make_open_badge(issuer_key.did_key)
    token = jws(
        {"alg": "EdDSA", "typ": "JWT", "kid": issuer_key.verification_method},
        jwt_payload(credential),
        issuer_key,
    )
    report = verify(token)
    assert report.verified
    assert report.kind == "vc-jwt+open-badge"
    assert report.credential_id == credential["id"]
    assert report.issuer == issuer_key.did_key
    names = [s.name for s in report.steps]
    assert names == OB_STEPS
    assert verify(token.encode() + b"\n").verified


def test_vc_jwt_tampered_payload_fails(issuer_key: KeyPair) -> None:
    credential = make_open_badge(issuer_key.did_key)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": issuer_key.verification_method}
    token = jws(header, jwt_payload(credential), issuer_key)
    forged = jwt_payload(dict(credential, name="Forged"))
    head, _, signature = token.split(".")
    tampered = f"{head}.{b64url(json.dumps(forged).encode())}.{signature}"
    report = verify(tampered)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.name is StepName.PROOF
    assert report.first_failure.code == "PROOF_VERIFICATION_ERROR"


def test_vc_jwt_claims_disagree_fails(issuer_key: KeyPair) -> None:
    credential = make_open_badge(issuer_key.did_key)
    payload = dict(jwt_payload(credential), sub="did:example:someone-else")
    token = jws({"alg": "EdDSA", "kid": issuer_key.verification_method}, payload, issuer_key)
    report = verify(token)
    assert not report.verified
    assert report.first_failure is not None
    assert "sub" in report.first_failure.message


def test_vc_jwt_other_signer_fails_controller(issuer_key: KeyPair) -> None:
    stranger = KeyPair(bytes(range(1, 33)))
    credential = make_open_badge(issuer_key.did_key)
    token = jws(
        {"alg": "EdDSA", "kid": stranger.verification_method}, jwt_payload(credential), stranger
    )
    report = verify(token)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CONTROLLER_MISMATCH"


def test_vc_jwt_expired_fails(issuer_key: KeyPair) -> None:
    credential = make_open_badge(issuer_key.did_key, validUntil="2025-06-01T00:00:00Z")
    payload = dict(jwt_payload(credential), exp=1748736000)  # 2025-06-01T00:00:00Z
    token = jws({"alg": "EdDSA", "kid": issuer_key.verification_method}, payload, issuer_key)
    report = verify(token)
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_EXPIRED"


def test_verify_credential_recipe(signed_badge: dict[str, Any]) -> None:
    report = verify_credential(signed_badge, CompositeResolver(), at=NOW)
    assert report.verified
    assert report.checked_at == "2026-01-01T00:00:00Z"
    early = verify_credential(
        signed_badge, CompositeResolver(), at=NOW.replace(year=2024), status_lists={}
    )
    assert not early.verified
