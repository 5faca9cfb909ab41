"""The Open Badges 3.0 API with credstack as host: DCR, authorization code + PKCE, tokens,
credentials, profile, and Imsx_StatusInfo errors; bodies checked against the vendored OpenAPI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from jsonschema import Draft7Validator

from credstack.api.ob30 import SCOPE_PREFIX, openapi_document
from credstack.api.routes_ob import configure
from credstack.platform.accounts import create_user
from credstack.platform.domain import UserKind
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import signing_key
from credstack.proofs.dataintegrity import Cryptosuite, add_proof
from tests.api.conftest import BASE, FAST_HASHER, PASSWORD, T0, World

READ = SCOPE_PREFIX + "credential.readonly"
UPSERT = SCOPE_PREFIX + "credential.upsert"
PROFILE_READ = SCOPE_PREFIX + "profile.readonly"
PROFILE_UPDATE = SCOPE_PREFIX + "profile.update"
ALL = " ".join([READ, UPSERT, PROFILE_READ, PROFILE_UPDATE])
APP = "https://wallet.example"
CALLBACK = APP + "/callback"
API = "/ims/ob/v3p0"


def _validate(body: Any, component: str) -> None:
    schema = {"$ref": f"#/components/schemas/{component}", **openapi_document()}
    errors = sorted(Draft7Validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors[:5]]


def _imsx(response: Any, status: int, minor: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    _validate(body, "Imsx_StatusInfo")
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor
    return body


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _registration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_name": "Wallet <b>Example</b>",
        "client_uri": APP,
        "logo_uri": APP + "/logo.png",
        "tos_uri": APP + "/tos",
        "policy_uri": APP + "/privacy",
        "software_id": "wallet-example",
        "software_version": "1.0",
        "redirect_uris": [CALLBACK],
        "scope": ALL + " offline_access",
    }
    body.update(changes)
    return body


@dataclass
class Ob:
    world: World
    client_id: str
    secret: str

    @property
    def http(self) -> Any:
        return self.world.client

    def basic(self, secret: str | None = None) -> dict[str, str]:
        raw = f"{self.client_id}:{secret or self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def authorize_params(self, challenge: str | None, **changes: str) -> dict[str, str]:
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": ALL,
            "state": "xyz",
        }
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(changes)
        return params

    def consent(self, params: dict[str, str], email: str, **form: str) -> Any:
        page = self.http.get("/oauth/authorize", params=params)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
        fields.update({"email": email, "password": PASSWORD, "decision": "allow", **form})
        return self.http.post("/oauth/authorize", data=fields, follow_redirects=False)

    def code(self, email: str = "ann@example.org", scope: str = ALL) -> tuple[str, str]:
        verifier, challenge = _pkce()
        response = self.consent(self.authorize_params(challenge, scope=scope), email)
        assert response.status_code == 303, response.text
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["state"] == ["xyz"]
        return query["code"][0], verifier

    def exchange(self, code: str, verifier: str, redirect_uri: str = CALLBACK) -> Any:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        return self.http.post("/oauth/token", data=data, headers=self.basic())

    def tokens(self, email: str = "ann@example.org", scope: str = ALL) -> dict[str, Any]:
        response = self.exchange(*self.code(email, scope))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _app(world: World) -> FastAPI:
    app = world.client.app
    assert isinstance(app, FastAPI)
    return app


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def ob(world: World) -> Ob:
    configure(_app(world))
    uow = world.db.unit_of_work()
    for email in ("ann@example.org", "bo@example.org"):
        create_user(
            uow, email=email, password=PASSWORD, at=T0, hasher=FAST_HASHER, kind=UserKind.LEARNER
        )
    uow.commit()
    response = world.client.post("/oauth/register", json=_registration())
    assert response.status_code == 201, response.text
    body = response.json()
    return Ob(world, body["client_id"], body["client_secret"])


def _stored_credential(world: World) -> dict[str, Any]:
    found = world.db.unit_of_work().credentials.get(world.credential_id)
    assert found is not None
    document: dict[str, Any] = json.loads(found.credential_json)
    return document


# ------------------------------------------------------------------ discovery and registration


def test_discovery_points_oauth_urls_at_this_server(world: World) -> None:
    response = world.client.get(f"{API}/discovery")
    assert response.status_code == 200
    body = response.json()
    _validate(body, "ServiceDescriptionDocument")
    assert body["servers"] == [{"url": BASE + API, "description": "credstack"}]
    scheme = body["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-registrationUrl"] == BASE + "/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == BASE + "/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == BASE + "/oauth/token"
    assert set(flow["scopes"]) == {READ, UPSERT, PROFILE_READ, PROFILE_UPDATE}


def test_register_client_echoes_fields_and_hashes_secret(ob: Ob) -> None:
    response = ob.http.post("/oauth/register", json=_registration(contacts=["a@wallet.example"]))
    assert response.status_code == 201
    body = response.json()
    assert body["client_name"] == "Wallet <b>Example</b>"
    assert body["redirect_uris"] == [CALLBACK]
    assert body["contacts"] == ["a@wallet.example"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_secret_expires_at"] == 0
    stored = _app(ob.world).state.ob_api.store.get_client(body["client_id"])
    assert stored.secret_hash == hashlib.sha256(body["client_secret"].encode()).hexdigest()
    assert body["client_secret"] not in json.dumps(stored.metadata)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uris": ["http://wallet.example/callback"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://localhost:8080/callback"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://elsewhere.example/callback"]}, "invalid_client_metadata"),
        ({"logo_uri": "https://cdn.example/logo.png"}, "invalid_client_metadata"),
        ({"software_id": ""}, "invalid_client_metadata"),
        ({"scope": "openid"}, "invalid_scope"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
    ],
)
def test_register_client_bad_metadata_refused(ob: Ob, changes: dict[str, Any], error: str) -> None:
    response = ob.http.post("/oauth/register", json=_registration(**changes))
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_register_client_loopback_redirect_allowed_with_flag(world: World) -> None:
    configure(_app(world), allow_loopback_redirects=True)
    body = _registration(redirect_uris=["http://127.0.0.1:8080/callback"])
    response = world.client.post("/oauth/register", json=body)
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------ the full flow


def test_full_flow_succeeds(ob: Ob) -> None:
    world = ob.world
    tokens = ob.tokens()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(ALL.split())

    listing = ob.http.get(f"{API}/credentials", headers=_bearer(tokens))
    assert listing.status_code == 200, listing.text
    _validate(listing.json(), "GetOpenBadgeCredentialsResponse")
    assert [c["id"] for c in listing.json()["credential"]] == [world.credential_id]
    assert listing.headers["X-Total-Count"] == "1"
    assert 'rel="first"' in listing.headers["Link"]

    # upsert: a credential re-signed with another suite (same id) is a replacement
    original = _stored_credential(world)
    created = ob.http.post(f"{API}/credentials", json=original, headers=_bearer(tokens))
    assert created.status_code == 201, created.text
    _validate(created.json(), "AchievementCredential")
    same = ob.http.post(f"{API}/credentials", json=original, headers=_bearer(tokens))
    assert same.status_code == 304
    unsigned = {k: v for k, v in original.items() if k != "proof"}
    uow = world.db.unit_of_work()
    resigned = add_proof(
        unsigned,
        signing_key(uow, world.custody, world.uni),
        cryptosuite=Cryptosuite.EDDSA_JCS_2022,
        created=T0,
    )
    replaced = ob.http.post(f"{API}/credentials", json=resigned, headers=_bearer(tokens))
    assert replaced.status_code == 200, replaced.text
    after = ob.http.get(f"{API}/credentials", headers=_bearer(tokens)).json()
    assert after["credential"] == [resigned]

    profile = ob.http.get(f"{API}/profile", headers=_bearer(tokens))
    assert profile.status_code == 200
    _validate(profile.json(), "Profile")
    assert profile.json()["email"] == "ann@example.org"
    updated = {**profile.json(), "givenName": "Ann", "familyName": "Example"}
    put = ob.http.put(f"{API}/profile", json=updated, headers=_bearer(tokens))
    assert put.status_code == 200, put.text
    _validate(put.json(), "Profile")
    assert ob.http.put(f"{API}/profile", json=updated, headers=_bearer(tokens)).status_code == 304
    assert ob.http.get(f"{API}/profile", headers=_bearer(tokens)).json()["givenName"] == "Ann"

    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    renewed = ob.http.post("/oauth/token", data=data, headers=ob.basic())
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert ob.http.get(f"{API}/profile", headers=_bearer(fresh)).status_code == 200


def test_refresh_reused_revokes_grant(ob: Ob) -> None:
    tokens = ob.tokens()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    fresh = ob.http.post("/oauth/token", data=data, headers=ob.basic()).json()
    again = ob.http.post("/oauth/token", data=data, headers=ob.basic())
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    _imsx(ob.http.get(f"{API}/profile", headers=_bearer(fresh)), 401, "unauthorizedrequest")


def test_get_credentials_pages_with_links(ob: Ob) -> None:
    tokens = ob.tokens()
    ob.http.post(f"{API}/credentials", json=_stored_credential(ob.world), headers=_bearer(tokens))
    jws_free = ob.http.get(
        f"{API}/credentials", params={"limit": 1, "offset": 0}, headers=_bearer(tokens)
    )
    assert jws_free.headers["X-Total-Count"] == "1"
    assert 'rel="next"' not in jws_free.headers["Link"]
    since = ob.http.get(
        f"{API}/credentials", params={"since": "2030-01-01T00:00:00Z"}, headers=_bearer(tokens)
    )
    assert since.json() == {"credential": [], "compactJwsString": []}
    bad = ob.http.get(f"{API}/credentials", params={"limit": 0}, headers=_bearer(tokens))
    _imsx(bad, 400, "invalid_query_parameter")


def test_post_credential_tampered_refused(ob: Ob) -> None:
    tokens = ob.tokens()
    tampered = _stored_credential(ob.world)
    tampered["name"] = "Something else"
    response = ob.http.post(f"{API}/credentials", json=tampered, headers=_bearer(tokens))
    _imsx(response, 400, "invalid_data")
    listing = ob.http.get(f"{API}/credentials", headers=_bearer(tokens)).json()
    assert listing["credential"][0]["name"] != "Something else"


def test_post_credential_bad_jws_refused(ob: Ob) -> None:
    tokens = ob.tokens()
    headers = {**_bearer(tokens), "Content-Type": "text/plain"}
    response = ob.http.post(f"{API}/credentials", content=b"aaa.bbb.ccc", headers=headers)
    _imsx(response, 400, "invalid_data")


def test_put_profile_other_id_refused(ob: Ob) -> None:
    tokens = ob.tokens()
    body = {"id": "did:example:someone-else", "type": ["Profile"]}
    _imsx(ob.http.put(f"{API}/profile", json=body, headers=_bearer(tokens)), 400, "invalid_data")
    _imsx(
        ob.http.put(f"{API}/profile", json={"type": "Profile"}, headers=_bearer(tokens)),
        400,
        "invalid_data",
    )


# ------------------------------------------------------------------ refusals


def test_authorize_without_pkce_refused(ob: Ob) -> None:
    response = ob.http.get(
        "/oauth/authorize", params=ob.authorize_params(None), follow_redirects=False
    )
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["xyz"]


def test_authorize_plain_pkce_refused(ob: Ob) -> None:
    verifier = secrets.token_urlsafe(48)
    params = ob.authorize_params(verifier, code_challenge_method="plain")
    response = ob.http.get("/oauth/authorize", params=params, follow_redirects=False)
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["error"] == ["invalid_request"]


def test_authorize_unregistered_redirect_not_followed(ob: Ob) -> None:
    _, challenge = _pkce()
    params = ob.authorize_params(challenge, redirect_uri=APP + "/elsewhere")
    response = ob.http.get("/oauth/authorize", params=params, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_authorize_form_escapes_client_strings(ob: Ob) -> None:
    _, challenge = _pkce()
    params = ob.authorize_params(challenge, state='"><script>alert(1)</script>')
    page = ob.http.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "<b>Example</b>" not in page.text
    assert "Wallet &lt;b&gt;Example&lt;/b&gt;" in page.text


def test_authorize_without_csrf_refused(ob: Ob) -> None:
    _, challenge = _pkce()
    fields = {
        **ob.authorize_params(challenge),
        "email": "ann@example.org",
        "password": PASSWORD,
        "decision": "allow",
        "csrf": "0" * 64,
    }
    response = ob.http.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert response.status_code == 403


def test_authorize_wrong_password_refused(ob: Ob) -> None:
    _, challenge = _pkce()
    response = ob.consent(ob.authorize_params(challenge), "ann@example.org", password="nope" * 4)
    assert response.status_code == 401
    assert "location" not in response.headers


def test_authorize_staff_user_refused(ob: Ob) -> None:
    _, challenge = _pkce()
    response = ob.consent(ob.authorize_params(challenge), "owner@example.org")
    assert response.status_code == 401


def test_authorize_denied_redirects_access_denied(ob: Ob) -> None:
    _, challenge = _pkce()
    response = ob.consent(ob.authorize_params(challenge), "ann@example.org", decision="deny")
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"]


def test_token_wrong_verifier_refused(ob: Ob) -> None:
    code, _ = ob.code()
    response = ob.exchange(code, secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_reused_code_refused_and_revokes(ob: Ob) -> None:
    code, verifier = ob.code()
    first = ob.exchange(code, verifier)
    assert first.status_code == 200
    second = ob.exchange(code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    response = ob.http.get(f"{API}/profile", headers=_bearer(first.json()))
    _imsx(response, 401, "unauthorizedrequest")


def test_token_wrong_redirect_uri_refused(ob: Ob) -> None:
    code, verifier = ob.code()
    response = ob.exchange(code, verifier, redirect_uri=APP + "/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_expired_code_refused(ob: Ob) -> None:
    code, verifier = ob.code()
    ob.world.clock.advance(minutes=6)
    response = ob.exchange(code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_wrong_client_secret_refused(ob: Ob) -> None:
    code, verifier = ob.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    response = ob.http.post("/oauth/token", data=data, headers=ob.basic("obs_wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_expired_access_token_refused(ob: Ob) -> None:
    tokens = ob.tokens()
    ob.world.clock.advance(hours=1, seconds=1)
    response = ob.http.get(f"{API}/credentials", headers=_bearer(tokens))
    _imsx(response, 401, "unauthorizedrequest")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_scope_refused(ob: Ob) -> None:
    tokens = ob.tokens(scope=PROFILE_READ)
    _imsx(ob.http.get(f"{API}/credentials", headers=_bearer(tokens)), 403, "forbidden")
    body = _stored_credential(ob.world)
    _imsx(ob.http.post(f"{API}/credentials", json=body, headers=_bearer(tokens)), 403, "forbidden")
    put = ob.http.put(
        f"{API}/profile", json={"id": "x", "type": ["Profile"]}, headers=_bearer(tokens)
    )
    _imsx(put, 403, "forbidden")
    assert ob.http.get(f"{API}/profile", headers=_bearer(tokens)).status_code == 200


def test_no_token_refused(ob: Ob) -> None:
    _imsx(ob.http.get(f"{API}/credentials"), 401, "unauthorizedrequest")
    _imsx(
        ob.http.get(f"{API}/profile", headers={"Authorization": "Bearer csk_x"}),
        401,
        "unauthorizedrequest",
    )


def test_other_learner_data_not_visible(ob: Ob) -> None:
    ann = ob.tokens("ann@example.org")
    bo = ob.tokens("bo@example.org")
    ob.http.post(f"{API}/credentials", json=_stored_credential(ob.world), headers=_bearer(ann))
    ob.http.put(
        f"{API}/profile",
        json={**ob.http.get(f"{API}/profile", headers=_bearer(ann)).json(), "givenName": "Ann"},
        headers=_bearer(ann),
    )
    listing = ob.http.get(f"{API}/credentials", headers=_bearer(bo)).json()
    ids = [c["id"] for c in listing["credential"]]
    assert ob.world.credential_id not in ids
    assert len(ids) == 1  # bo's credential from the bulk job
    profile = ob.http.get(f"{API}/profile", headers=_bearer(bo)).json()
    assert profile["email"] == "bo@example.org"
    assert "givenName" not in profile


def test_wrong_method_gets_imsx_405(ob: Ob) -> None:
    _imsx(ob.http.delete(f"{API}/credentials"), 405, "not_allowed")


def test_rest_of_app_stays_problem_json(ob: Ob) -> None:
    response = ob.http.get("/orgs/uni/credentials")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_get_credentials_second_page_links(ob: Ob) -> None:
    world = ob.world
    uow = world.db.unit_of_work()
    issuer = Issuer(uow, world.custody, world.uni, BASE)
    for n in range(2):
        request = IssueRequest(email="ann@example.org", idempotency_key=f"page-{n}")
        issuer.issue(world.published, request, at=T0 + timedelta(minutes=n + 1))
    uow.commit()
    tokens = ob.tokens()
    every = ob.http.get(f"{API}/credentials", headers=_bearer(tokens)).json()["credential"]
    assert len(every) == 3
    page = ob.http.get(
        f"{API}/credentials", params={"limit": 1, "offset": 1}, headers=_bearer(tokens)
    )
    _validate(page.json(), "GetOpenBadgeCredentialsResponse")
    assert page.json()["credential"] == every[1:2]
    assert page.headers["X-Total-Count"] == "3"
    links = {
        rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', page.headers["Link"])
    }
    assert links["next"] == f"{BASE}{API}/credentials?limit=1&offset=2"
    assert links["prev"] == f"{BASE}{API}/credentials?limit=1&offset=0"
    assert links["last"] == f"{BASE}{API}/credentials?limit=1&offset=2"
