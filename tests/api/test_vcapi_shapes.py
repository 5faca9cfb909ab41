"""VC-API request and response bodies checked against JSON Schemas written from
docs/standards.md §4.1 (``tests/assets/vcapi/``).

https://w3c-ccg.github.io/vc-api/ — issue (201), verify (200 when verified; credstack answers a
failing credential with 400 problem+json, RFC 9457), malformed input (400), oversized
bodies (413), and one-time challenges for presentations.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from credstack.api import Limits
from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof, format_datetime, parse_datetime
from tests.api.conftest import World, make_app
from tests.conftest import make_open_badge

SCHEMAS = Path(__file__).resolve().parents[1] / "assets" / "vcapi"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PROBLEM_JSON = "application/problem+json"
UNI_DID = "did:web:credstack.example:orgs:uni"
VERIFIER_DOMAIN = "verifier.example"
ENDPOINTS = ("/credentials/issue", "/credentials/verify", "/presentations/verify", "/challenges")


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _errors(name: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(name).iter_errors(instance)
    ]


def _conforms(name: str, instance: Any) -> None:
    errors = _errors(name, instance)
    assert errors == [], f"{name}: {errors}"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    _conforms("problem", body)
    assert (body["status"], body["code"]) == (status, code)
    return body


def _org_auth(world: World) -> dict[str, str]:
    response = world.client.post(
        "/orgs/uni/tokens", headers=world.auth("owner"), json={"scopes": ["read", "issue"]}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _plain(subject: str = "did:example:alice") -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": subject},
    }


def _issue(world: World, body: dict[str, Any]) -> dict[str, Any]:
    _conforms("issue-credential-request", body)
    response = world.client.post("/credentials/issue", headers=_org_auth(world), json=body)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    issued: dict[str, Any] = response.json()
    _conforms("issue-credential-response", issued)
    credential: dict[str, Any] = issued["verifiableCredential"]
    return credential


def _badge_request() -> dict[str, Any]:
    badge = make_open_badge(UNI_DID)
    del badge["id"], badge["validFrom"]
    return {"credential": badge}


# ------------------------------------------------------------------ the schemas themselves


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.stem)
def test_schema_file_is_valid_draft_2020_12(path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        ("issue-credential-request", {"credential": {**_plain(), "proof": {}}}),
        ("issue-credential-request", {"credential": _plain(), "options": {"foo": 1}}),
        ("issue-credential-request", {"verifiableCredential": _plain()}),
        ("verify-credential-request", {"credential": _plain()}),
        ("verify-presentation-request", {"verifiablePresentation": {}, "options": {}}),
        ("verify-response", {"verified": False}),
        ("challenge-response", {"challenge": "short", "domain": "x", "expires": "tomorrow"}),
        ("problem", {"type": "about:blank", "title": "x", "status": 200, "detail": ""}),
    ],
)
def test_schema_rejects_wrong_shape(name: str, instance: dict[str, Any]) -> None:
    assert _errors(name, instance)


# ------------------------------------------------------------------ /credentials/issue


def test_issue_plain_credential_is_201_with_schema_shapes(world: World) -> None:
    credential = _issue(world, {"credential": _plain()})
    assert credential["issuer"] == UNI_DID
    assert credential["validFrom"] == format_datetime(world.clock())
    assert credential["credentialSubject"] == {"id": "did:example:alice"}


def test_issue_open_badge_is_201_with_schema_shapes(world: World) -> None:
    credential = _issue(world, _badge_request())
    assert credential["issuer"]["id"] == UNI_DID
    assert "OpenBadgeCredential" in credential["type"]


def test_issue_with_credential_id_option_uses_it(world: World) -> None:
    wanted = "urn:uuid:0b1c6a3e-7d5e-4c3a-9d1e-2f4a5b6c7d8e"
    credential = _issue(world, {"credential": _plain(), "options": {"credentialId": wanted}})
    assert credential["id"] == wanted


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "not an object"},
        {"credential": [_plain()]},
        {"options": {"credentialId": "urn:x"}},
    ],
    ids=["empty", "string", "list", "no-credential"],
)
def test_issue_malformed_body_is_400_problem(world: World, body: dict[str, Any]) -> None:
    assert _errors("issue-credential-request", body)
    response = world.client.post("/credentials/issue", headers=_org_auth(world), json=body)
    body = _problem(response, 400, "INVALID_INPUT")
    assert body["errors"]


def test_issue_credential_with_proof_is_refused(world: World) -> None:
    request = {"credential": {**_plain(), "proof": {"type": "DataIntegrityProof"}}}
    assert _errors("issue-credential-request", request)
    response = world.client.post("/credentials/issue", headers=_org_auth(world), json=request)
    _problem(response, 422, "RULE_VIOLATION")


# ------------------------------------------------------------------ /credentials/verify


def test_verify_issued_credential_is_200_with_schema_shapes(world: World) -> None:
    credential = _issue(world, _badge_request())
    request = {"verifiableCredential": credential, "options": {"returnResults": True}}
    _conforms("verify-credential-request", request)
    response = world.client.post("/credentials/verify", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    _conforms("verify-response", body)
    assert body["verified"] is True
    assert body["results"]["verified"] is True
    assert {s["step"]: s["outcome"] for s in body["results"]["steps"]}["status"] == "passed"


def test_verify_tampered_credential_is_400_problem_with_report(world: World) -> None:
    tampered = copy.deepcopy(_issue(world, {"credential": _plain()}))
    tampered["credentialSubject"]["id"] = "did:example:mallory"
    request = {"verifiableCredential": tampered}
    _conforms("verify-credential-request", request)
    response = world.client.post("/credentials/verify", json=request)
    body = _problem(response, 400, "PROOF_VERIFICATION_ERROR")
    assert _errors("verify-response", body)
    report = body["verificationReport"]
    assert report["verified"] is False
    assert report["error"]["step"] == "proof"


def test_verify_revoked_credential_is_400_problem(world: World) -> None:
    credential = _issue(world, {"credential": _plain()})
    stored = world.client.get("/orgs/uni/credentials", headers=world.auth("viewer")).json()
    (record,) = [r for r in stored["items"] if r["id"] == credential["id"]]
    revoked = world.client.post(
        f"/orgs/uni/credentials/{record['id']}/revoke", headers=world.auth("issuer")
    )
    assert revoked.status_code == 200, revoked.text
    response = world.client.post("/credentials/verify", json={"verifiableCredential": credential})
    body = _problem(response, 400, "CREDENTIAL_REVOKED")
    assert body["verificationReport"]["error"]["step"] == "status"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b'{"verifiableCredential": 3}',
        b'{"credential": {}}',
        b'{"verifiableCredential": {}, "options": "all"}',
    ],
    ids=["syntax", "array", "number", "wrong-member", "options-string"],
)
def test_verify_malformed_body_is_400_problem(world: World, content: bytes) -> None:
    try:
        parsed: Any = json.loads(content)
    except json.JSONDecodeError:
        parsed = None
    assert parsed is None or _errors("verify-credential-request", parsed)
    response = world.client.post(
        "/credentials/verify", content=content, headers={"content-type": "application/json"}
    )
    _problem(response, 400, "INVALID_INPUT")


# ------------------------------------------------------------------ 413


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_oversized_body_is_413_problem(world: World, endpoint: str) -> None:
    client = make_app(world.db, world.custody, world.clock, Limits(body_bytes=4096))
    body = {"verifiableCredential": {**_plain(), "padding": "x" * 5000}}
    response = client.post(endpoint, headers=_org_auth(world), json=body)
    problem = _problem(response, 413, "INPUT_TOO_LARGE")
    assert "4096" in problem["detail"]


# ------------------------------------------------------------------ challenges and presentations


def _presentation(world: World, challenge: str, domain: str) -> dict[str, Any]:
    holder = KeyPair(bytes(range(100, 132)))
    credential = _issue(world, _badge_request())
    presentation = {
        "@context": [VC_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": [credential],
    }
    return add_proof(
        presentation,
        holder,
        created=world.clock(),
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def test_challenge_is_201_with_schema_shape_and_five_minute_expiry(world: World) -> None:
    response = world.client.post("/challenges", json={"domain": VERIFIER_DOMAIN})
    assert response.status_code == 201, response.text
    body = response.json()
    _conforms("challenge-response", body)
    assert body["domain"] == VERIFIER_DOMAIN
    assert parse_datetime(body["expires"]) == world.clock() + timedelta(minutes=5)
    other = world.client.post("/challenges").json()
    _conforms("challenge-response", other)
    assert other["domain"] == "credstack.example"
    assert other["challenge"] != body["challenge"]


def test_presentation_with_fresh_challenge_verifies_once_and_replay_fails(world: World) -> None:
    challenge = world.client.post("/challenges", json={"domain": VERIFIER_DOMAIN}).json()
    request = {
        "verifiablePresentation": _presentation(world, challenge["challenge"], VERIFIER_DOMAIN),
        "options": {"challenge": challenge["challenge"], "domain": VERIFIER_DOMAIN},
    }
    _conforms("verify-presentation-request", request)
    first = world.client.post("/presentations/verify", json=request)
    assert first.status_code == 200, first.text
    body = first.json()
    _conforms("verify-response", body)
    assert body["results"]["kind"] == "presentation"
    assert [c["verified"] for c in body["results"]["credentials"]] == [True]
    replay = world.client.post("/presentations/verify", json=request)
    _problem(replay, 400, "INVALID_CHALLENGE_ERROR")


def test_presentation_for_other_domain_is_400_problem(world: World) -> None:
    challenge = world.client.post("/challenges", json={"domain": VERIFIER_DOMAIN}).json()
    request = {
        "verifiablePresentation": _presentation(world, challenge["challenge"], "evil.example"),
        "options": {"challenge": challenge["challenge"], "domain": "evil.example"},
    }
    _conforms("verify-presentation-request", request)
    _problem(
        world.client.post("/presentations/verify", json=request), 400, "INVALID_CHALLENGE_ERROR"
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"verifiablePresentation": {}},
        {"verifiablePresentation": [], "options": {"challenge": "c", "domain": "d"}},
        {"verifiablePresentation": {}, "options": {"challenge": 1, "domain": "d"}},
    ],
    ids=["empty", "no-options", "list", "challenge-number"],
)
def test_presentation_malformed_body_is_400_problem(world: World, body: dict[str, Any]) -> None:
    assert _errors("verify-presentation-request", body)
    response = world.client.post("/presentations/verify", json=body)
    _problem(response, 400, "INVALID_INPUT")


def test_unsigned_presentation_with_fresh_challenge_is_400_problem(world: World) -> None:
    challenge = world.client.post("/challenges").json()
    request = {
        "verifiablePresentation": {"@context": [VC_CONTEXT], "type": ["VerifiablePresentation"]},
        "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
    }
    assert _errors("verify-presentation-request", request)
    _problem(world.client.post("/presentations/verify", json=request), 400, "INVALID_INPUT")
