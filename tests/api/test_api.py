"""Happy paths and error shapes of the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from credstack.api import Limits
from credstack.errors import Unavailable
from credstack.platform.keys import KeyCustody
from credstack.resolve.resolver import CompositeResolver
from credstack.storage.memory import MemoryDatabase
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.api.conftest import (
    BASE,
    DESIGN,
    PASSWORD,
    Clock,
    World,
    csv_upload,
    make_app,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert (body["status"], body["code"]) == (status, code)
    assert "Traceback" not in response.text
    return body


def _org_token(world: World, role: str = "owner", scopes: list[str] | None = None) -> str:
    response = world.client.post(
        "/orgs/uni/tokens", headers=world.auth(role), json={"scopes": scopes or ["read", "issue"]}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def _plain_credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:alice"},
        **extra,
    }


# ------------------------------------------------------------------ bootstrap


def test_bootstrap_signup_login_create_org_makes_caller_owner(world: World) -> None:
    client = world.client
    created = client.post("/accounts", json={"email": "new@Example.ORG", "password": PASSWORD})
    assert created.status_code == 201
    assert created.json()["email"] == "new@example.org"
    assert "password" not in created.text
    assert "argon2" not in created.text
    login = client.post("/tokens", json={"email": "new@example.org", "password": PASSWORD})
    assert login.status_code == 201
    secret = login.json()["token"]
    assert secret.startswith("csk_")
    auth = {"Authorization": f"Bearer {secret}"}
    org = client.post("/orgs", headers=auth, json={"slug": "newco", "name": "New Co"})
    assert org.status_code == 201, org.text
    assert org.json()["did"] == "did:web:credstack.example:orgs:newco"
    me = client.get("/me", headers=auth).json()
    assert me["memberships"] == [{"organisation": "newco", "role": "owner"}]
    assert "token" not in me["token"]  # the secret is shown only when created
    rotated = client.post("/orgs/newco/keys/rotate", headers=auth)
    assert rotated.status_code == 200


def test_signup_twice_conflicts(world: World) -> None:
    body = {"email": "dup@example.org", "password": PASSWORD}
    assert world.client.post("/accounts", json=body).status_code == 201
    _problem(world.client.post("/accounts", json=body), 409, "CONFLICT")


def test_login_with_wrong_password_is_401(world: World) -> None:
    response = world.client.post(
        "/tokens", json={"email": "owner@example.org", "password": "wrong password!!"}
    )
    body = _problem(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "wrong password" not in json.dumps(body)


def test_create_org_with_taken_slug_conflicts(world: World) -> None:
    response = world.client.post(
        "/orgs", headers=world.auth("owner"), json={"slug": "uni", "name": "Copy"}
    )
    _problem(response, 409, "CONFLICT")


# ------------------------------------------------------------------ tokens


def test_expired_token_is_401(world: World) -> None:
    world.clock.advance(days=31)
    response = world.client.get("/orgs/uni/credentials", headers=world.auth("owner"))
    body = _problem(response, 401, "UNAUTHENTICATED")
    assert "expired" in body["detail"]


def test_revoked_token_is_401(world: World) -> None:
    secret = world.tokens["viewer"]
    assert world.client.post("/tokens/revoke", json={"token": secret}).status_code == 200
    response = world.client.get("/orgs/uni/credentials", headers=world.auth("viewer"))
    body = _problem(response, 401, "UNAUTHENTICATED")
    assert "revoked" in body["detail"]


def test_unknown_token_is_401(world: World) -> None:
    response = world.client.get(
        "/orgs/uni/credentials", headers={"Authorization": "Bearer csk_nope"}
    )
    _problem(response, 401, "UNAUTHENTICATED")


def test_org_token_scope_limits_what_owner_can_do(world: World) -> None:
    token = _org_token(world, scopes=["read"])
    auth = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/orgs/uni/credentials", headers=auth).status_code == 200
    refused = world.client.post("/orgs/uni/keys/rotate", headers=auth)
    _problem(refused, 403, "PERMISSION_DENIED")


def test_org_token_cannot_act_for_another_org(world: World) -> None:
    response = world.client.post(
        "/orgs",
        headers=world.auth("other-owner"),
        json={"slug": "third", "name": "Third"},
    )
    assert response.status_code == 201
    token = _org_token(world)
    response = world.client.get(
        "/orgs/third/credentials", headers={"Authorization": f"Bearer {token}"}
    )
    _problem(response, 403, "PERMISSION_DENIED")


def test_org_token_with_unknown_scope_is_400(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/tokens", headers=world.auth("owner"), json={"scopes": ["admin"]}
    )
    _problem(response, 400, "INVALID_INPUT")


# ------------------------------------------------------------------ management


def test_achievement_lifecycle(world: World) -> None:
    auth = world.auth("issuer")
    created = world.client.post("/orgs/uni/achievements", headers=auth, json=DESIGN)
    assert created.status_code == 201
    version = created.json()
    assert (version["status"], version["version"]) == ("draft", 1)
    uuid = version["achievementId"].rsplit("/", 1)[1]
    published = world.client.post(
        f"/orgs/uni/achievement-versions/{version['id']}/publish", headers=auth
    )
    assert published.json()["status"] == "published"
    revised = world.client.post(
        f"/orgs/uni/achievements/{uuid}/versions",
        headers=auth,
        json={**DESIGN, "description": "Now with pandas."},
    ).json()
    assert (revised["version"], revised["status"]) == (2, "draft")
    history = world.client.get(f"/orgs/uni/achievements/{uuid}", headers=auth).json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    rendered = world.client.get(
        f"/orgs/uni/achievement-versions/{version['id']}/achievement", headers=auth
    ).json()
    assert rendered["id"] == version["achievementId"]
    assert rendered["name"] == DESIGN["name"]
    listed = world.client.get("/orgs/uni/achievements", headers=auth).json()
    assert uuid in {item["achievementId"].rsplit("/", 1)[1] for item in listed["items"]}
    again = world.client.post(
        f"/orgs/uni/achievement-versions/{version['id']}/publish", headers=auth
    )
    _problem(again, 409, "INVALID_STATE")


def test_invalid_design_is_400_problem(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/achievements", headers=world.auth("owner"), json={"name": ""}
    )
    _problem(response, 400, "INVALID_INPUT")


def test_issue_is_idempotent_and_key_reuse_conflicts(world: World) -> None:
    body = {
        "achievement_version_id": world.published.id,
        "email": "ann@example.org",
        "idempotency_key": "k-1",
    }
    first = world.client.post("/orgs/uni/credentials", headers=world.auth("issuer"), json=body)
    assert first.status_code == 201
    assert first.json()["verifiableCredential"]["type"] == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    again = world.client.post("/orgs/uni/credentials", headers=world.auth("issuer"), json=body)
    assert again.json()["id"] == first.json()["id"]
    changed = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={**body, "email": "bo@example.org"},
    )
    _problem(changed, 409, "CONFLICT")


def test_issue_from_draft_is_409(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.draft.id, "email": "a@example.org"},
    )
    _problem(response, 409, "INVALID_STATE")


def test_credentials_list_paginates(world: World) -> None:
    for n in range(3):
        world.client.post(
            "/orgs/uni/credentials",
            headers=world.auth("issuer"),
            json={"achievement_version_id": world.published.id, "email": f"p{n}@example.org"},
        )
    page = world.client.get(
        "/orgs/uni/credentials?limit=2&offset=1", headers=world.auth("viewer")
    ).json()
    assert page["total"] == 5  # seed + job + 3
    assert len(page["items"]) == 2
    too_big = world.client.get("/orgs/uni/credentials?limit=1000", headers=world.auth("viewer"))
    _problem(too_big, 400, "INVALID_INPUT")


def test_bulk_dry_run_reports_every_bad_row_with_line(world: World) -> None:
    upload = csv_upload(
        "a-1,a@example.org,,,,,,,",
        "a-2,not-an-email,,,,,,,",
        "a-3,,,,,,,,",
        "a-4,b@example.org,,,,,,,",
    )
    response = world.client.post(
        f"/orgs/uni/jobs?version={world.published.id}&dry_run=true",
        headers=world.auth("issuer"),
        content=upload,
    )
    assert response.status_code == 200, response.text
    table = response.json()
    assert (table["rows"], table["valid"], table["invalid"]) == (4, 2, 2)
    assert sorted({e["line"] for e in table["errors"]}) == [3, 4]
    page = world.client.get("/orgs/uni/credentials", headers=world.auth("viewer")).json()
    assert page["total"] == 2  # nothing issued


def test_bulk_job_runs_and_reports_progress_and_invalid_rows(world: World) -> None:
    upload = csv_upload("b-1,a@example.org,,,,,,,", "b-2,bad,,,,,,,", "b-3,c@example.org,,,,,,,")
    created = world.client.post(
        f"/orgs/uni/jobs?version={world.published.id}",
        headers=world.auth("issuer"),
        content=upload,
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    job = world.client.get(f"/orgs/uni/jobs/{job_id}", headers=world.auth("viewer")).json()
    assert (job["status"], job["total"], job["issued"], job["invalid"]) == ("done", 3, 2, 1)
    assert job["progress"] == 1.0
    rows = world.client.get(
        f"/orgs/uni/jobs/{job_id}/rows?status=invalid", headers=world.auth("viewer")
    ).json()
    assert [r["line"] for r in rows["items"]] == [3]
    assert rows["items"][0]["error"]


def test_bulk_job_for_unknown_version_is_404(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/jobs?version=nope", headers=world.auth("issuer"), content=csv_upload()
    )
    _problem(response, 404, "NOT_FOUND")


def test_add_member_gives_role(world: World) -> None:
    world.client.post("/accounts", json={"email": "m@example.org", "password": PASSWORD})
    added = world.client.post(
        "/orgs/uni/members",
        headers=world.auth("owner"),
        json={"email": "m@example.org", "role": "issuer"},
    )
    assert added.json()["role"] == "issuer"
    token = world.client.post(
        "/tokens", json={"email": "m@example.org", "password": PASSWORD}
    ).json()["token"]
    issued = world.client.post(
        "/orgs/uni/credentials",
        headers={"Authorization": f"Bearer {token}"},
        json={"achievement_version_id": world.published.id, "email": "z@example.org"},
    )
    assert issued.status_code == 201
    twice = world.client.post(
        "/orgs/uni/members",
        headers=world.auth("owner"),
        json={"email": "m@example.org", "role": "viewer"},
    )
    _problem(twice, 409, "CONFLICT")


# ------------------------------------------------------------------ errors and limits


def test_validation_error_is_400_problem(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/credentials", headers=world.auth("issuer"), json={"email": 3}
    )
    body = _problem(response, 400, "INVALID_INPUT")
    assert body["errors"]


def test_malformed_json_is_400_problem(world: World) -> None:
    response = world.client.post(
        "/credentials/verify", content=b"{not json", headers={"content-type": "application/json"}
    )
    _problem(response, 400, "INVALID_INPUT")


def test_unknown_route_is_404_problem(world: World) -> None:
    _problem(world.client.get("/nowhere"), 404, "NOT_FOUND")


def test_platform_did_served_once_its_key_exists_and_rotation_keeps_old_keys(
    world: World,
) -> None:
    from credstack.platform.platform_identity import (
        ensure_platform_key,
        platform_signing_key,
        rotate_platform_key,
    )
    from credstack.proofs.dataintegrity import add_proof
    from credstack.resolve.resolver import CompositeResolver
    from credstack.verify.verifier import Verifier, VerifyOptions

    _problem(world.client.get("/.well-known/did.json"), 404, "NOT_FOUND")
    uow = world.db.unit_of_work()
    first = ensure_platform_key(uow, world.custody, "credstack.example", at=world.clock())
    assert ensure_platform_key(uow, world.custody, "credstack.example", at=world.clock()) == first
    key = platform_signing_key(uow, world.custody, "credstack.example")
    uow.commit()
    response = world.client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    document = response.json()
    assert document["id"] == "did:web:credstack.example"
    assert key.verification_method == "did:web:credstack.example#key-1"
    signed = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:web:credstack.example",
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:log"},
        },
        key,
        created=world.clock(),
    )
    uow = world.db.unit_of_work()
    rotate_platform_key(uow, world.custody, "credstack.example", at=world.clock())
    uow.commit()
    rotated = world.client.get("/.well-known/did.json").json()
    assert len(rotated["assertionMethod"]) == 2  # the retired key still verifies old signatures
    report = Verifier(CompositeResolver(documents=[rotated])).verify(
        signed, VerifyOptions(at=world.clock())
    )
    assert report.verified, report.render()


def test_oversized_body_with_length_is_413(world: World) -> None:
    big = b'{"credential": {"x": "' + b"a" * 1_100_000 + b'"}}'
    response = world.client.post(
        "/credentials/verify", content=big, headers={"content-type": "application/json"}
    )
    _problem(response, 413, "INPUT_TOO_LARGE")


def test_oversized_chunked_body_is_413(world: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": "'
        for _ in range(20):
            yield b"a" * 65_536
        yield b'"}'

    response = world.client.post(
        "/credentials/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    _problem(response, 413, "INPUT_TOO_LARGE")


def test_upload_route_has_its_own_limit(world: World) -> None:
    world.client.close()
    client = make_app(
        world.db, world.custody, world.clock, Limits(body_bytes=100, upload_bytes=600)
    )
    rows = [f"u-{n},u{n}@example.org,,,,,,," for n in range(5)]
    ok = client.post(
        f"/orgs/uni/jobs?version={world.published.id}&dry_run=true",
        headers=world.auth("issuer"),
        content=csv_upload(*rows),
    )
    assert ok.status_code == 200, ok.text  # over body_bytes, under upload_bytes

    def stream() -> Iterator[bytes]:
        yield csv_upload(*rows)
        for n in range(50):
            yield f"v-{n},v{n}@example.org,,,,,,,\r\n".encode()

    too_big = client.post(
        f"/orgs/uni/jobs?version={world.published.id}",
        headers=world.auth("issuer"),
        content=stream(),
    )
    _problem(too_big, 413, "INPUT_TOO_LARGE")
    jobs = world.db.unit_of_work().jobs.for_organisation(world.uni.id)
    assert len(jobs) == 1  # only the fixture's job


class _FailingCommits:
    """A database whose commits fail as if the server were down."""

    def __init__(self, inner: MemoryDatabase) -> None:
        self.inner = inner

    def unit_of_work(self) -> Any:
        uow = self.inner.unit_of_work()

        def commit() -> None:
            raise Unavailable("the database is down")

        uow.commit = commit  # type: ignore[method-assign]
        return uow


def test_database_unavailable_is_503_and_nothing_written(world: World) -> None:
    client = make_app(_FailingCommits(world.db), world.custody, world.clock)  # type: ignore[arg-type]
    response = client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.published.id, "email": "q@example.org"},
    )
    _problem(response, 503, "UNAVAILABLE")
    assert response.headers["retry-after"]
    _, total = world.db.unit_of_work().credentials.for_organisation(
        world.uni.id, limit=10, offset=0
    )
    assert total == 2


def test_database_down_at_start_is_503() -> None:
    class Down:
        def unit_of_work(self) -> Any:
            raise Unavailable("cannot connect")

    from credstack.platform.keys import KeyEncryptionKeys
    from tests.api.conftest import T0

    client = make_app(Down(), KeyCustody(KeyEncryptionKeys.generate()), Clock(T0))  # type: ignore[arg-type]
    _problem(client.get("/orgs/uni/did.json"), 503, "UNAVAILABLE")


def test_unexpected_error_is_500_without_traceback(world: World) -> None:
    class Broken:
        def unit_of_work(self) -> Any:
            raise RuntimeError("secret internals")

    client = make_app(
        Broken(),  # type: ignore[arg-type]
        world.custody,
        world.clock,
        raise_server_exceptions=False,
    )
    response = client.get("/orgs/uni/did.json")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["status"] == 500


# ------------------------------------------------------------------ public endpoints


def test_did_document_lists_keys_and_status_list_caches(world: World) -> None:
    did = world.client.get("/orgs/uni/did.json").json()
    assert did["id"] == world.uni.did
    credential = world.client.get(
        f"/orgs/uni/credentials/{world.credential_id}", headers=world.auth("viewer")
    ).json()["verifiableCredential"]
    url = credential["credentialStatus"]["statusListCredential"]
    assert url.startswith(BASE)
    response = world.client.get(url.removeprefix(BASE))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    etag = response.headers["etag"]
    assert response.json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    unchanged = world.client.get(url.removeprefix(BASE), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    world.client.post(
        f"/orgs/uni/credentials/{world.credential_id}/revoke", headers=world.auth("issuer")
    )
    changed = world.client.get(url.removeprefix(BASE), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_status_list_of_another_org_path_is_404(world: World) -> None:
    credential = world.client.get(
        f"/orgs/uni/credentials/{world.credential_id}", headers=world.auth("viewer")
    ).json()["verifiableCredential"]
    list_id = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    _problem(world.client.get(f"/orgs/other/status/{list_id}"), 404, "NOT_FOUND")


def test_openapi_and_self_hosted_docs(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    assert "/credentials/issue" in spec["paths"]
    assert "/orgs/{slug}/jobs" in spec["paths"]
    docs = world.client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    js = world.client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000


# ------------------------------------------------------------------ VC-API


def _verifier_for(world: World, at_offset_days: int = 0) -> tuple[Verifier, VerifyOptions]:
    did = world.client.get("/orgs/uni/did.json").json()
    return Verifier(CompositeResolver(documents=[did])), VerifyOptions(
        at=world.clock() + timedelta(days=at_offset_days)
    )


def test_vcapi_issue_with_org_token_then_verify(world: World) -> None:
    token = _org_token(world)
    auth = {"Authorization": f"Bearer {token}"}
    issued = world.client.post(
        "/credentials/issue", headers=auth, json={"credential": _plain_credential()}
    )
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["issuer"] == world.uni.did
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    verified = world.client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    fetched = world.client.get(f"/credentials/{vc['id']}", headers=auth)
    assert fetched.json()["verifiableCredential"] == vc
    hidden = world.client.get(f"/credentials/{vc['id']}", headers=world.auth("other-owner"))
    _problem(hidden, 404, "NOT_FOUND")


def test_vcapi_tampered_credential_is_400_with_report(world: World) -> None:
    token = _org_token(world)
    vc = world.client.post(
        "/credentials/issue",
        headers={"Authorization": f"Bearer {token}"},
        json={"credential": _plain_credential()},
    ).json()["verifiableCredential"]
    vc["credentialSubject"]["id"] = "did:example:mallory"
    response = world.client.post("/credentials/verify", json={"verifiableCredential": vc})
    body = _problem(response, 400, "PROOF_VERIFICATION_ERROR")
    assert body["verificationReport"]["verified"] is False


def test_vcapi_issue_needs_org_token(world: World) -> None:
    response = world.client.post(
        "/credentials/issue", headers=world.auth("owner"), json={"credential": _plain_credential()}
    )
    _problem(response, 403, "PERMISSION_DENIED")


def test_vcapi_issue_as_other_issuer_is_422(world: World) -> None:
    response = world.client.post(
        "/issuers/uni/credentials/issue",
        headers=world.auth("owner"),
        json={"credential": _plain_credential(issuer=world.other.did)},
    )
    _problem(response, 422, "RULE_VIOLATION")


def test_vcapi_issue_refuses_undefined_term(world: World) -> None:
    credential = _plain_credential()
    credential["credentialSubject"]["undefinedTerm"] = "x"
    response = world.client.post(
        "/issuers/uni/credentials/issue",
        headers=world.auth("owner"),
        json={"credential": credential},
    )
    _problem(response, 422, "DATA_LOSS_DETECTION_ERROR")


def test_vcapi_issue_enforces_ob_schema(world: World) -> None:
    credential = _plain_credential(
        type=["VerifiableCredential", "OpenBadgeCredential"],
    )
    credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
    response = world.client.post(
        "/issuers/uni/credentials/issue",
        headers=world.auth("owner"),
        json={"credential": credential},
    )
    body = _problem(response, 422, "SCHEMA_VIOLATION")
    assert body["problems"]


def test_managed_credential_verifies_with_did_document_from_endpoint_and_after_rotation(
    world: World,
) -> None:
    vc = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.published.id, "email": "r@example.org"},
    ).json()["verifiableCredential"]
    verifier, options = _verifier_for(world)
    assert verifier.verify(vc, options).verified
    assert (
        world.client.post("/orgs/uni/keys/rotate", headers=world.auth("owner")).status_code == 200
    )
    verifier, options = _verifier_for(world)
    report = verifier.verify(vc, options)
    assert report.verified, report.render()
    newer = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.published.id, "email": "s@example.org"},
    ).json()["verifiableCredential"]
    assert newer["proof"][0]["verificationMethod"].endswith("#key-2")
    assert verifier.verify(newer, options).verified


def test_revoked_credential_reports_revoked_with_status_list_from_endpoint(
    world: World,
) -> None:
    vc = world.client.get(
        f"/orgs/uni/credentials/{world.credential_id}", headers=world.auth("viewer")
    ).json()["verifiableCredential"]
    revoked = world.client.post(
        f"/orgs/uni/credentials/{world.credential_id}/revoke",
        headers=world.auth("issuer"),
        json={"reason": "issued in error"},
    )
    assert revoked.json()["revocationReason"] == "issued in error"
    url = vc["credentialStatus"]["statusListCredential"]
    status_list = world.client.get(url.removeprefix(BASE)).json()
    did = world.client.get("/orgs/uni/did.json").json()
    report = Verifier(CompositeResolver(documents=[did])).verify(
        vc, VerifyOptions(at=world.clock(), status_lists={url: status_list})
    )
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_REVOKED"
    via_api = world.client.post("/credentials/verify", json={"verifiableCredential": vc})
    body = _problem(via_api, 400, "CREDENTIAL_REVOKED")
    assert body["verificationReport"]["error"]["code"] == "CREDENTIAL_REVOKED"


# ------------------------------------------------------------------ presentations


def _signed_presentation(world: World, challenge: str, domain: str) -> dict[str, Any]:
    from credstack.crypto.keys import KeyPair
    from credstack.proofs.dataintegrity import add_proof

    holder = KeyPair.generate()
    vc = world.client.get(
        f"/orgs/uni/credentials/{world.credential_id}", headers=world.auth("viewer")
    ).json()["verifiableCredential"]
    presentation = {
        "@context": [VC_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": [vc],
    }
    return add_proof(
        presentation,
        holder,
        created=world.clock(),
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def test_presentation_verifies_once_and_replay_fails(world: World) -> None:
    issued = world.client.post("/challenges", json={"domain": "verifier.example"})
    assert issued.status_code == 201
    challenge = issued.json()
    assert challenge["domain"] == "verifier.example"
    vp = _signed_presentation(world, challenge["challenge"], "verifier.example")
    body = {
        "verifiablePresentation": vp,
        "options": {"challenge": challenge["challenge"], "domain": "verifier.example"},
    }
    first = world.client.post("/presentations/verify", json=body)
    assert first.status_code == 200, first.text
    assert first.json()["verified"] is True
    replay = world.client.post("/presentations/verify", json=body)
    _problem(replay, 400, "INVALID_CHALLENGE_ERROR")


def test_presentation_with_expired_challenge_fails(world: World) -> None:
    challenge = world.client.post("/challenges").json()
    vp = _signed_presentation(world, challenge["challenge"], challenge["domain"])
    world.clock.advance(minutes=6)
    response = world.client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": vp,
            "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
        },
    )
    _problem(response, 400, "INVALID_CHALLENGE_ERROR")


def test_presentation_signed_over_other_challenge_fails(world: World) -> None:
    challenge = world.client.post("/challenges").json()
    vp = _signed_presentation(world, "something-else", challenge["domain"])
    response = world.client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": vp,
            "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
        },
    )
    body = _problem(response, 400, "INVALID_CHALLENGE_ERROR")
    assert body["verificationReport"]["verified"] is False


@pytest.mark.parametrize("missing", ["challenge", "domain"])
def test_presentation_without_challenge_option_is_400(world: World, missing: str) -> None:
    options = {"challenge": "c", "domain": "d"}
    del options[missing]
    response = world.client.post(
        "/presentations/verify", json={"verifiablePresentation": {}, "options": options}
    )
    _problem(response, 400, "INVALID_INPUT")


def test_token_secret_is_stored_only_as_sha256(world: World) -> None:
    import hashlib

    login = world.client.post(
        "/tokens", json={"email": "owner@example.org", "password": PASSWORD}
    ).json()
    secret = login["token"]
    stored = world.db.unit_of_work().tokens.get_by_hash(hashlib.sha256(secret.encode()).hexdigest())
    assert stored is not None
    assert stored.id == login["id"]
    assert secret not in repr(stored)
    user = world.db.unit_of_work().users.get_by_email("owner@example.org")
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")


def test_tokens_listed_and_revoked_by_id_never_showing_secrets(world: World) -> None:
    from credstack.platform.accounts import create_token

    uow = world.db.unit_of_work()
    issuer = uow.users.get_by_email("issuer@example.org")
    org = uow.organisations.get_by_slug("uni")
    assert issuer is not None
    assert org is not None
    bound, secret = create_token(
        uow, issuer, at=world.clock(), lifetime=timedelta(days=1), organisation=org
    )
    uow.commit()
    mine = world.client.get("/me/tokens", headers=world.auth("issuer")).json()["items"]
    assert bound.id in [t["id"] for t in mine]
    assert all("token" not in t for t in mine)  # secrets are shown once, at creation only
    # another user cannot revoke it (it reads as missing); the organisation's owner can
    other = world.client.delete(f"/me/tokens/{bound.id}", headers=world.auth("viewer"))
    assert other.status_code == 404
    listed = world.client.get("/orgs/uni/tokens", headers=world.auth("owner")).json()["items"]
    assert bound.id in [t["id"] for t in listed]
    revoked = world.client.delete(f"/orgs/uni/tokens/{bound.id}", headers=world.auth("owner"))
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    refused = world.client.get(
        "/orgs/uni/credentials", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401
    # a user revokes their own login token by id
    own = world.client.get("/me", headers=world.auth("viewer")).json()["token"]["id"]
    assert world.client.delete(f"/me/tokens/{own}", headers=world.auth("viewer")).status_code == 200
    assert world.client.get("/me", headers=world.auth("viewer")).status_code == 401


def test_members_and_jobs_listed(world: World) -> None:
    members = world.client.get("/orgs/uni/members", headers=world.auth("owner")).json()["items"]
    assert {(m["email"], m["role"]) for m in members} >= {
        ("owner@example.org", "owner"),
        ("issuer@example.org", "issuer"),
        ("viewer@example.org", "viewer"),
    }
    assert "other-owner@example.org" not in [m["email"] for m in members]
    jobs = world.client.get("/orgs/uni/jobs", headers=world.auth("viewer")).json()["items"]
    assert [j["id"] for j in jobs] == [world.job_id]
