"""End to end: a learner connects their own Open Badges host ("backpack", a second credstack
app with its own database), consents there, credstack pushes a credential, and the host then
lists it through its Open Badges API.  credstack reaches the backpack through an
:class:`httpx.Client` whose transport hands each request to the backpack's ASGI app (no
network); the backpack's code is the real Open Badges host."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from credstack.api import create_app
from credstack.api.ob30 import SCOPE_PREFIX
from credstack.api.routes_ob import configure as configure_host
from credstack.api.routes_obclient import CALLBACK_PATH, configure
from credstack.platform.accounts import create_token, create_user
from credstack.platform.domain import UserKind
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.storage.memory import MemoryDatabase
from tests.api.conftest import BASE, FAST_HASHER, PASSWORD, T0, World

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as in conftest
    from fastapi.testclient import TestClient

BACKPACK = "https://backpack.example"
DISCOVERY = BACKPACK + "/ims/ob/v3p0/discovery"
WALLET = "https://wallet.example"
READ = SCOPE_PREFIX + "credential.readonly"


class AppTransport(httpx.BaseTransport):
    """Sends requests of an :class:`httpx.Client` into an app through its TestClient."""

    def __init__(self, app: TestClient) -> None:
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._app.request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.read(),
            follow_redirects=False,
        )
        return httpx.Response(
            answer.status_code, headers=answer.headers.multi_items(), content=answer.content
        )


@dataclass
class Scene:
    world: World
    backpack: TestClient  # the learner's browser at the backpack
    http: httpx.Client  # credstack's client to the backpack
    backpack_db: MemoryDatabase
    ann: dict[str, str]  # bearer headers of learners on credstack
    bo: dict[str, str]
    bo_credential_id: str

    @property
    def app(self) -> FastAPI:
        app = self.world.client.app
        assert isinstance(app, FastAPI)
        return app


def _learner(world: World, email: str) -> dict[str, str]:
    uow = world.db.unit_of_work()
    user = uow.users.get_by_email(email) or create_user(
        uow, email=email, password=PASSWORD, at=T0, hasher=FAST_HASHER, kind=UserKind.LEARNER
    )
    _, secret = create_token(uow, user, at=T0, lifetime=timedelta(days=30))
    uow.commit()
    return {"Authorization": f"Bearer {secret}"}


def _backpack(world: World) -> tuple[TestClient, MemoryDatabase]:
    """A second credstack that knows the issuing organisation (as if it had resolved its
    did:web) and has its own account for the learner."""
    db = MemoryDatabase()
    source = world.db.unit_of_work()
    uow = db.unit_of_work()
    uow.organisations.add(world.uni)
    for key in source.keys.for_organisation(world.uni.id):
        uow.keys.add(key)
    create_user(
        uow,
        email="ann@example.org",
        password=PASSWORD,
        at=T0,
        hasher=FAST_HASHER,
        kind=UserKind.LEARNER,
    )
    uow.commit()
    app = create_app(
        database=db,
        custody=KeyCustody(KeyEncryptionKeys.generate()),
        base_url=BACKPACK,
        clock=world.clock,
        password_hasher=FAST_HASHER,
    )
    configure_host(app)
    return TestClient(app, base_url=BACKPACK), db


@pytest.fixture
def scene(world: World) -> Iterator[Scene]:
    backpack, db = _backpack(world)
    ann = _learner(world, "ann@example.org")
    bo = _learner(world, "bo@example.org")
    page, _ = world.db.unit_of_work().credentials.for_organisation(
        world.uni.id, limit=100, offset=0
    )
    bo_credential = next(c for c in page if c.job_id == world.job_id)
    app = world.client.app
    assert isinstance(app, FastAPI)
    with backpack, httpx.Client(transport=AppTransport(backpack)) as http:
        configure(app, http=http, allowed_origins=[BACKPACK])
        yield Scene(world, backpack, http, db, ann, bo, bo_credential.id)


def _consent(browser: TestClient, authorization_url: str, **form: str) -> str:
    """Sign in at the backpack and allow; the URL it redirects the browser to."""
    page = browser.get(authorization_url)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    fields.update(email="ann@example.org", password=PASSWORD, decision="allow", **form)
    answer = browser.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def _start(scene: Scene) -> dict[str, Any]:
    response = scene.world.client.post(
        "/me/ob-connections", json={"discovery_url": DISCOVERY}, headers=scene.ann
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE + CALLBACK_PATH
    return f"{parts.path}?{parts.query}"


def _connect(scene: Scene) -> str:
    started = _start(scene)
    location = _consent(scene.backpack, started["authorization_url"])
    done = scene.world.client.get(_callback_path(location))
    assert done.status_code == 200, done.text
    connection_id: str = done.json()["connection"]["id"]
    return connection_id


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _wallet_token(scene: Scene) -> str:
    """A token to read the backpack collection, through another client (a wallet)."""
    browser = scene.backpack
    registration = {
        "client_name": "Wallet",
        "client_uri": WALLET,
        "logo_uri": WALLET + "/logo.png",
        "tos_uri": WALLET + "/tos",
        "policy_uri": WALLET + "/privacy",
        "software_id": "wallet",
        "software_version": "1",
        "redirect_uris": [WALLET + "/cb"],
        "scope": READ,
    }
    client = browser.post("/oauth/register", json=registration).json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "client_id": client["client_id"],
        "redirect_uri": WALLET + "/cb",
        "response_type": "code",
        "scope": READ,
        "state": "s",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    url = "/oauth/authorize?" + httpx.QueryParams(query).__str__()
    code = parse_qs(urlsplit(_consent(browser, url)).query)["code"][0]
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
    tokens = browser.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": WALLET + "/cb",
            "code_verifier": verifier,
        },
        headers={"Authorization": "Basic " + basic.decode()},
    )
    assert tokens.status_code == 200, tokens.text
    token: str = tokens.json()["access_token"]
    return token


# ------------------------------------------------------------------ the whole journey


def test_connect_push_and_host_lists_credential(scene: Scene) -> None:
    world = scene.world
    started = _start(scene)
    assert started["connection"]["status"] == "pending"
    assert started["authorization_url"].startswith(BACKPACK + "/oauth/authorize?")
    assert world.client.cookies.get("credstack_ob_client")

    location = _consent(scene.backpack, started["authorization_url"])
    done = world.client.get(_callback_path(location))
    assert done.status_code == 200, done.text
    connection = done.json()["connection"]
    assert connection["status"] == "connected"
    assert connection["host"] == "credstack"
    assert connection["api_base"] == BACKPACK + "/ims/ob/v3p0"

    pushed = world.client.post(
        f"/me/ob-connections/{connection['id']}/push",
        json={"credential_id": world.credential_id},
        headers=scene.ann,
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json() == {
        "connection_id": connection["id"],
        "credential_id": world.credential_id,
        "host_status": 201,
        "outcome": "created",
    }
    again = world.client.post(
        f"/me/ob-connections/{connection['id']}/push",
        json={"credential_id": world.credential_id},
        headers=scene.ann,
    )
    assert again.json()["outcome"] == "unchanged"

    listing = scene.backpack.get(
        "/ims/ob/v3p0/credentials", headers={"Authorization": f"Bearer {_wallet_token(scene)}"}
    )
    assert listing.status_code == 200, listing.text
    assert [c["id"] for c in listing.json()["credential"]] == [world.credential_id]


def test_list_and_delete_connections_show_no_secrets(scene: Scene) -> None:
    connection_id = _connect(scene)
    listing = scene.world.client.get("/me/ob-connections", headers=scene.ann)
    assert listing.status_code == 200
    assert [c["id"] for c in listing.json()["items"]] == [connection_id]
    stored = scene.app.state.ob_client.client.store.get(connection_id)
    for secret in (stored.client_secret, stored.access_token, stored.refresh_token):
        assert secret not in listing.text
    assert "client_secret" not in listing.text
    assert scene.world.client.get("/me/ob-connections", headers=scene.bo).json()["total"] == 0
    _problem(
        scene.world.client.delete(f"/me/ob-connections/{connection_id}", headers=scene.bo),
        404,
        "NOT_FOUND",
    )
    gone = scene.world.client.delete(f"/me/ob-connections/{connection_id}", headers=scene.ann)
    assert gone.status_code == 204
    assert scene.world.client.get("/me/ob-connections", headers=scene.ann).json()["total"] == 0


def test_callback_with_same_session_token_completes(scene: Scene) -> None:
    started = _start(scene)
    location = _consent(scene.backpack, started["authorization_url"])
    with TestClient(scene.app, base_url=BASE) as fresh:  # no cookie, but the same token
        done = fresh.get(_callback_path(location), headers=scene.ann)
    assert done.status_code == 200, done.text
    assert done.json()["connection"]["status"] == "connected"


# ------------------------------------------------------------------ refusals


def test_callback_replayed_state_refused(scene: Scene) -> None:
    started = _start(scene)
    location = _consent(scene.backpack, started["authorization_url"])
    assert scene.world.client.get(_callback_path(location)).status_code == 200
    body = _problem(scene.world.client.get(_callback_path(location)), 400, "INVALID_INPUT")
    assert "used already" in body["detail"]


def test_callback_forged_state_refused(scene: Scene) -> None:
    _start(scene)
    response = scene.world.client.get(CALLBACK_PATH, params={"state": "forged", "code": "x"})
    assert "unknown" in _problem(response, 400, "INVALID_INPUT")["detail"]


def test_callback_other_browser_refused(scene: Scene) -> None:
    started = _start(scene)
    location = _consent(scene.backpack, started["authorization_url"])
    with TestClient(scene.app, base_url=BASE) as stranger:
        response = stranger.get(_callback_path(location))
    assert "another session" in _problem(response, 403, "PERMISSION_DENIED")["detail"]
    # the state is spent: the real browser cannot use it after that either
    _problem(scene.world.client.get(_callback_path(location)), 400, "INVALID_INPUT")


def test_callback_other_learner_token_refused(scene: Scene) -> None:
    started = _start(scene)
    location = _consent(scene.backpack, started["authorization_url"])
    with TestClient(scene.app, base_url=BASE) as stranger:
        response = stranger.get(_callback_path(location), headers=scene.bo)
    _problem(response, 403, "PERMISSION_DENIED")


def test_push_other_learners_credential_not_found(scene: Scene) -> None:
    connection_id = _connect(scene)
    response = scene.world.client.post(
        f"/me/ob-connections/{connection_id}/push",
        json={"credential_id": scene.bo_credential_id},
        headers=scene.ann,
    )
    _problem(response, 404, "NOT_FOUND")
    unknown = scene.world.client.post(
        f"/me/ob-connections/{connection_id}/push",
        json={"credential_id": "urn:uuid:00000000-0000-4000-8000-000000000000"},
        headers=scene.ann,
    )
    _problem(unknown, 404, "NOT_FOUND")


def test_push_through_other_learners_connection_not_found(scene: Scene) -> None:
    connection_id = _connect(scene)
    response = scene.world.client.post(
        f"/me/ob-connections/{connection_id}/push",
        json={"credential_id": scene.bo_credential_id},
        headers=scene.bo,
    )
    _problem(response, 404, "NOT_FOUND")


def test_push_before_consent_refused(scene: Scene) -> None:
    started = _start(scene)
    response = scene.world.client.post(
        f"/me/ob-connections/{started['connection']['id']}/push",
        json={"credential_id": scene.world.credential_id},
        headers=scene.ann,
    )
    assert "pending" in _problem(response, 409, "INVALID_STATE")["detail"]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://backpack.example/ims/ob/v3p0/discovery", "must be an https URL"),
        ("https://10.0.0.7/ims/ob/v3p0/discovery", "public address"),
        (BACKPACK + "/orgs/uni/did.json", "not an OpenAPI 3 document"),
        (BACKPACK + "/openapi.json", "no info.x-imssf-privacyPolicyUrl"),
        (BACKPACK + "/ims/ob/v3p0/credentials", "HTTP 401, not a service description"),
    ],
)
def test_connect_bad_discovery_refused(scene: Scene, url: str, detail: str) -> None:
    response = scene.world.client.post(
        "/me/ob-connections", json={"discovery_url": url}, headers=scene.ann
    )
    assert detail in _problem(response, 400, "INVALID_INPUT")["detail"]


def test_connect_oversized_discovery_refused(scene: Scene) -> None:
    configure(scene.app, http=scene.http, allowed_origins=[BACKPACK], max_response_bytes=5000)
    response = scene.world.client.post(
        "/me/ob-connections", json={"discovery_url": DISCOVERY}, headers=scene.ann
    )
    assert "larger than 5000 bytes" in _problem(response, 400, "INPUT_TOO_LARGE")["detail"]


def test_connect_host_down_unavailable(scene: Scene) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    with httpx.Client(timeout=5.0) as http:
        configure(scene.app, http=http, allow_http_loopback=True)
        response = scene.world.client.post(
            "/me/ob-connections",
            json={"discovery_url": f"http://127.0.0.1:{port}/ims/ob/v3p0/discovery"},
            headers=scene.ann,
        )
    body = _problem(response, 503, "UNAVAILABLE")
    assert f"127.0.0.1:{port} cannot be reached" in body["detail"]
    assert response.headers["Retry-After"]


def test_connections_need_learner_account(scene: Scene) -> None:
    _problem(scene.world.client.get("/me/ob-connections"), 401, "UNAUTHENTICATED")
    staff = scene.world.client.post(
        "/me/ob-connections", json={"discovery_url": DISCOVERY}, headers=scene.world.auth("owner")
    )
    _problem(staff, 403, "PERMISSION_DENIED")
