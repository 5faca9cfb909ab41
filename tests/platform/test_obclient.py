"""The Open Badges API client against a real credstack host served over TLS on loopback
(uvicorn in a thread, a local CA), and its connection stores (memory and SQLite)."""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from credstack.api import create_app
from credstack.api.routes_ob import configure as configure_host
from credstack.cli.serve import ensure_local_tls
from credstack.errors import (
    ConfigurationError,
    InvalidInput,
    InvalidState,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from credstack.platform.accounts import create_user
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import UserKind
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.obclient import (
    UPSERT_SCOPE,
    ClientIdentity,
    ObClient,
    ObConnection,
    ObConnectionStore,
    PendingAuthorization,
    digest,
)
from credstack.platform.organisations import create_organisation
from credstack.storage.memory import MemoryDatabase
from credstack.storage.obclient_memory import MemoryObConnectionStore
from credstack.storage.obclient_sql import SqlObConnectionStore
from credstack.storage.session import SqlDatabase
from tests.platform.conftest import BASE, DESIGN, HOST, T0

PASSWORD = "correct horse battery staple"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
LEARNER = "ann@example.org"
IDENTITY = ClientIdentity.for_base_url(BASE, "/oauth/client-callback")
NOW = T0 + timedelta(days=1)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


def listening() -> socket.socket:
    """A socket on 127.0.0.1 that already listens (requests queue until the server is up,
    so nothing waits for start-up)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextmanager
def serve_on(app: FastAPI, sock: socket.socket, tls: tuple[Path, Path] | None) -> Iterator[None]:
    """Run ``app`` with uvicorn in a thread on ``sock``."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@dataclass
class Host:
    """A credstack Open Badges host on https://127.0.0.1:<port> that knows the issuer's
    organisation (as if it had resolved its did:web), and the issued credential."""

    origin: str
    clock: Clock
    db: MemoryDatabase
    app: FastAPI
    tls: ssl.SSLContext
    credential: dict[str, Any]
    other_credential: dict[str, Any]

    @property
    def api_base(self) -> str:
        return self.origin + "/ims/ob/v3p0"

    @property
    def discovery_url(self) -> str:
        return self.api_base + "/discovery"

    def http(self) -> httpx.Client:
        return httpx.Client(verify=self.tls, timeout=10.0)

    def uploads(self) -> list[str]:
        """Keys of the credentials the learner's host collection received."""
        learner = self.db.unit_of_work().users.get_by_email(LEARNER)
        assert learner is not None
        return [c.key for c in self.app.state.ob_api.store.credentials(learner.id)]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    # the certificate must be valid for the TLS stack's own clock
    return ensure_local_tls(tmp_path_factory.mktemp("tls"), "127.0.0.1", at=datetime.now(UTC))


def _issuer_and_host_databases() -> tuple[MemoryDatabase, dict[str, Any], dict[str, Any]]:
    """The issuer's organisation (keys included) copied into a fresh host database, and two
    credentials it issued (to the learner and to someone else)."""
    issuer_db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = issuer_db.unit_of_work()
    org = create_organisation(uow, custody, host=HOST, slug="uni", name="Example Uni", at=T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    issuer = Issuer(uow, custody, org, BASE)
    mine = issuer.issue(version, IssueRequest(email=LEARNER, idempotency_key="a"), at=T0)
    other = issuer.issue(version, IssueRequest(email="bo@example.org", idempotency_key="b"), at=T0)
    uow.commit()
    host_db = MemoryDatabase()
    copy = host_db.unit_of_work()
    copy.organisations.add(org)
    for key in uow.keys.for_organisation(org.id):
        copy.keys.add(key)
    create_user(
        copy, email=LEARNER, password=PASSWORD, at=T0, hasher=FAST_HASHER, kind=UserKind.LEARNER
    )
    copy.commit()
    return host_db, json.loads(mine.credential_json), json.loads(other.credential_json)


@pytest.fixture
def host(tls_files: tuple[Path, Path, Path]) -> Iterator[Host]:
    ca, cert, key = tls_files
    sock = listening()
    origin = f"https://127.0.0.1:{sock.getsockname()[1]}"
    db, credential, other = _issuer_and_host_databases()
    clock = Clock(NOW)
    app = create_app(
        database=db,
        custody=KeyCustody(KeyEncryptionKeys.generate()),
        base_url=origin,
        clock=clock,
        password_hasher=FAST_HASHER,
    )
    configure_host(app)
    tls = ssl.create_default_context(cafile=str(ca))
    with serve_on(app, sock, (cert, key)):
        yield Host(origin, clock, db, app, tls, credential, other)


@pytest.fixture
def http(host: Host) -> Iterator[httpx.Client]:
    with host.http() as client:
        yield client


def _client(http: httpx.Client, store: ObConnectionStore | None = None, **options: Any) -> ObClient:
    options.setdefault("allow_http_loopback", True)
    return ObClient(http, store or MemoryObConnectionStore(), IDENTITY, **options)


def _consent(host: Host, authorization_url: str) -> dict[str, str]:
    """The learner's browser at the host: sign in, allow; the redirect's query."""
    with host.http() as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
        fields.update(email=LEARNER, password=PASSWORD, decision="allow")
        answer = browser.post(host.origin + "/oauth/authorize", data=fields)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(IDENTITY.redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _connected(host: Host, client: ObClient) -> ObConnection:
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    query = _consent(host, started.url)
    return client.complete(
        state=query["state"], code=query["code"], binding=started.binding, at=NOW
    )


# ------------------------------------------------------------------ discovery


def test_discover_reads_service_description(host: Host, http: httpx.Client) -> None:
    found = _client(http).discover(host.discovery_url)
    assert found.api_base == host.origin + "/ims/ob/v3p0"
    assert found.registration_url == host.origin + "/oauth/register"
    assert found.authorization_url == host.origin + "/oauth/authorize"
    assert found.token_url == found.refresh_url == host.origin + "/oauth/token"
    assert found.privacy_policy_url == host.origin + "/privacy"
    assert UPSERT_SCOPE in found.scopes
    assert found.name == "credstack"


def _document(host: Host, http: httpx.Client) -> dict[str, Any]:
    document: dict[str, Any] = http.get(host.discovery_url).json()
    return document


def _drop(document: dict[str, Any], *path: str) -> dict[str, Any]:
    node = document
    for name in path[:-1]:
        node = node[name]
    del node[path[-1]]
    return document


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("openapi",), "not an OpenAPI 3"),
        (("servers",), "no servers"),
        (("components", "securitySchemes", "OAuth2ACG"), "no OAuth2ACG"),
        (("components", "securitySchemes", "OAuth2ACG", "flows"), "no OAuth2ACG flows"),
        (
            (
                "components",
                "securitySchemes",
                "OAuth2ACG",
                "flows",
                "authorizationCode",
                "tokenUrl",
            ),
            "no tokenUrl",
        ),
        (("components", "securitySchemes", "OAuth2ACG", "x-imssf-registrationUrl"), "registration"),
        (("info", "x-imssf-privacyPolicyUrl"), "privacyPolicyUrl"),
    ],
)
def test_describe_incomplete_document_refused(
    host: Host, http: httpx.Client, path: tuple[str, ...], message: str
) -> None:
    document = _drop(_document(host, http), *path)
    with pytest.raises(InvalidInput, match=message):
        _client(http).describe(host.discovery_url, document)


def test_describe_without_upsert_scope_refused(host: Host, http: httpx.Client) -> None:
    document = _document(host, http)
    flow = document["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    del flow["scopes"][UPSERT_SCOPE]
    with pytest.raises(InvalidInput, match=r"credential\.upsert"):
        _client(http).describe(host.discovery_url, document)


def test_describe_plain_http_endpoint_refused(host: Host, http: httpx.Client) -> None:
    document = _document(host, http)
    flow = document["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    flow["tokenUrl"] = "http://backpack.example/token"
    with pytest.raises(InvalidInput, match="tokenUrl must be an https URL"):
        _client(http, allow_http_loopback=False, allowed_origins=[host.origin]).describe(
            host.discovery_url, document
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://backpack.example/ims/ob/v3p0/discovery", "must be an https URL"),
        ("ftp://backpack.example/discovery", "absolute https URL"),
        ("/ims/ob/v3p0/discovery", "absolute https URL"),
        ("https://user:pw@backpack.example/discovery", "user information"),
        ("https://10.1.2.3/discovery", "public address"),
        ("https://[::ffff:192.168.0.1]/discovery", "public address"),
        ("https://127.0.0.1/discovery", "public address"),
        ("https://backpack .example/discovery", "spaces"),
    ],
)
def test_discover_refused_url_never_requested(url: str, message: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be sent, got {request.url}")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        client = ObClient(http, MemoryObConnectionStore(), IDENTITY, resolve=lambda h, p: [])
        with pytest.raises(InvalidInput, match=message):
            client.discover(url)


def test_discover_name_resolving_to_private_address_refused() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        client = ObClient(
            http, MemoryObConnectionStore(), IDENTITY, resolve=lambda h, p: ["192.168.1.20"]
        )
        with pytest.raises(InvalidInput, match="public address"):
            client.discover("https://backpack.example/ims/ob/v3p0/discovery")


def test_discover_host_down_unavailable(http: httpx.Client) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now
    with pytest.raises(Unavailable, match=f"127.0.0.1:{port} cannot be reached.*down"):
        _client(http).discover(f"https://127.0.0.1:{port}/ims/ob/v3p0/discovery")


def test_discover_oversized_response_refused(host: Host, http: httpx.Client) -> None:
    with pytest.raises(InvalidInput, match="larger than 10000 bytes") as caught:
        _client(http, max_response_bytes=10_000).discover(host.discovery_url)
    assert caught.value.code == "INPUT_TOO_LARGE"


def test_discover_other_documents_refused(tls_files: tuple[Path, Path, Path]) -> None:
    ca, cert, key = tls_files
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/list")
    def listing() -> list[int]:
        return [1, 2]

    @app.get("/broken")
    def broken() -> JSONResponse:
        return JSONResponse({"error": "down"}, status_code=503, headers={"Retry-After": "120"})

    @app.get("/moved")
    def moved() -> JSONResponse:
        return JSONResponse({}, status_code=302, headers={"Location": "https://10.0.0.1/"})

    sock = listening()
    base = f"https://127.0.0.1:{sock.getsockname()[1]}"
    with (
        serve_on(app, sock, (cert, key)),
        httpx.Client(verify=ssl.create_default_context(cafile=str(ca))) as http,
    ):
        client = _client(http)
        with pytest.raises(InvalidInput, match="not an OpenAPI 3 document"):
            client.discover(base + "/hello")
        with pytest.raises(InvalidInput, match="not a JSON object"):
            client.discover(base + "/list")
        with pytest.raises(Unavailable, match="HTTP 503; retry after 120 s"):
            client.discover(base + "/broken")
        with pytest.raises(InvalidInput, match="HTTP 302"):
            client.discover(base + "/moved")


# ------------------------------------------------------------------ connect and push


def test_connect_and_push_creates_then_unchanged(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    query = parse_qs(urlsplit(started.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [IDENTITY.redirect_uri]
    assert set(query["scope"][0].split()) == {UPSERT_SCOPE, "offline_access"}
    assert started.connection.status == "pending"

    answer = _consent(host, started.url)
    assert answer["state"] == started.state
    connection = client.complete(
        state=answer["state"], code=answer["code"], session_id="tok-1", at=NOW
    )
    assert connection.status == "connected"
    assert connection.access_expires_at == NOW + timedelta(hours=1)
    assert client.store.get(connection.id) == connection

    assert host.uploads() == []
    assert client.push(connection, host.credential, at=NOW).outcome == "created"
    assert host.uploads() == [host.credential["id"]]
    again = client.push(connection, host.credential, at=NOW)
    assert (again.status_code, again.outcome) == (304, "unchanged")
    # credstack asked for credential.upsert only: reading the collection is not allowed
    assert connection.access_token is not None
    listing = http.get(
        host.api_base + "/credentials",
        headers={"Authorization": f"Bearer {connection.access_token}"},
    )
    assert listing.status_code == 403


def test_push_after_expiry_refreshes_token(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    connection = _connected(host, client)
    later = NOW + timedelta(hours=2)
    host.clock.now = later
    result = client.push(connection, host.credential, at=later)
    assert result.outcome == "created"
    stored = client.store.get(connection.id)
    assert stored is not None
    assert stored.access_token != connection.access_token
    assert stored.refresh_token != connection.refresh_token  # the host rotates it
    assert stored.access_expires_at == later + timedelta(hours=1)


def test_push_token_refused_by_host_refreshes_and_retries(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    connection = _connected(host, client)
    host.clock.now = NOW + timedelta(hours=2)  # the host's clock says the token expired
    result = client.push(connection, host.credential, at=NOW + timedelta(minutes=5))
    assert result.outcome == "created"
    stored = client.store.get(connection.id)
    assert stored is not None
    assert stored.access_token != connection.access_token


def test_push_refresh_refused_unauthenticated_and_tokens_forgotten(
    host: Host, http: httpx.Client
) -> None:
    client = _client(http)
    connection = _connected(host, client)
    later = NOW + timedelta(days=31)  # past the host's refresh token lifetime
    host.clock.now = later
    with pytest.raises(Unauthenticated, match="refused the token refresh: invalid_grant"):
        client.push(connection, host.credential, at=later)
    stored = client.store.get(connection.id)
    assert stored is not None
    assert stored.status == "expired"
    with pytest.raises(InvalidState, match="expired: connect first"):
        client.push(stored, host.credential, at=later)


def test_push_unverifiable_jws_reports_host_reason(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    connection = _connected(host, client)
    jws = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ1cm46dXVpZDoxIn0.c2ln"
    with pytest.raises(InvalidInput, match=r"HTTP 400\): the credential does not verify") as e:
        client.push(connection, jws, at=NOW)
    assert "invalid_data" in e.value.message


def test_push_tampered_credential_refused_with_imsx_reason(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    connection = _connected(host, client)
    tampered = {**host.credential, "name": "Something else"}
    with pytest.raises(InvalidInput, match="does not verify"):
        client.push(connection, tampered, at=NOW)


def test_push_malformed_jws_refused_locally(http: httpx.Client) -> None:
    connection = _stored_connection()
    with pytest.raises(InvalidInput, match="compact JWS"):
        _client(http).push(connection, "not a jws", at=NOW)


# ------------------------------------------------------------------ the state


def test_complete_state_replay_refused(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    answer = _consent(host, started.url)
    client.complete(state=answer["state"], code=answer["code"], binding=started.binding, at=NOW)
    with pytest.raises(InvalidInput, match="unknown or was used already"):
        client.complete(state=answer["state"], code=answer["code"], binding=started.binding, at=NOW)


def test_complete_unknown_state_refused(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    with pytest.raises(InvalidInput, match="unknown"):
        client.complete(state="forged", code="x", binding=started.binding, at=NOW)
    assert client.store.get(started.connection.id) == started.connection  # still pending


def test_complete_other_session_refused_and_state_spent(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    answer = _consent(host, started.url)
    with pytest.raises(PermissionDenied, match="another session"):
        client.complete(
            state=answer["state"], code=answer["code"], session_id="tok-2", binding="x", at=NOW
        )
    with pytest.raises(InvalidInput, match="used already"):
        client.complete(state=answer["state"], code=answer["code"], session_id="tok-1", at=NOW)


def test_complete_expired_state_refused(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    answer = _consent(host, started.url)
    with pytest.raises(InvalidInput, match="expired"):
        client.complete(
            state=answer["state"],
            code=answer["code"],
            session_id="tok-1",
            at=NOW + timedelta(minutes=11),
        )
    stored = client.store.get(started.connection.id)
    assert stored is not None
    assert stored.status == "expired"


def test_complete_code_refused_by_host_unauthenticated(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    answer = _consent(host, started.url)
    with pytest.raises(Unauthenticated, match="refused the code exchange: invalid_grant"):
        client.complete(state=answer["state"], code="wrong", session_id="tok-1", at=NOW)


def test_complete_host_denial_reported(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    with pytest.raises(PermissionDenied, match="did not authorise credstack \\(access_denied\\)"):
        client.complete(
            state=started.state, code=None, error="access_denied", session_id="tok-1", at=NOW
        )


# ------------------------------------------------------------------ secrets


def test_secrets_absent_from_reprs_and_errors(host: Host, http: httpx.Client) -> None:
    client = _client(http)
    started = client.connect("learner-1", host.discovery_url, session_id="tok-1", at=NOW)
    answer = _consent(host, started.url)
    connection = client.complete(
        state=answer["state"], code=answer["code"], binding=started.binding, at=NOW
    )
    assert connection.access_token is not None
    assert connection.refresh_token is not None
    shown = repr(connection) + repr(started) + repr(client) + repr(client.store)
    for secret in (
        connection.access_token,
        connection.refresh_token,
        connection.client_secret,
        started.state,
        started.binding,
        answer["code"],
    ):
        assert secret not in shown
    later = NOW + timedelta(days=31)
    host.clock.now = later
    with pytest.raises(Unauthenticated) as caught:
        client.push(connection, host.credential, at=later)
    assert connection.refresh_token not in str(caught.value)
    assert connection.client_secret not in str(caught.value)


# ------------------------------------------------------------------ stores


def _stored_connection(**changes: Any) -> ObConnection:
    connection = ObConnection(
        id="c-1",
        user_id="learner-1",
        discovery_url="https://backpack.example/ims/ob/v3p0/discovery",
        host_name="Backpack",
        api_base="https://backpack.example/ims/ob/v3p0",
        token_url="https://backpack.example/token",
        refresh_url="https://backpack.example/token",
        client_id="client-1",
        client_secret="obs_very-secret-client",
        scopes=frozenset({UPSERT_SCOPE}),
        created_at=NOW,
        pending=PendingAuthorization(
            digest("state-1"), digest("binding-1"), "tok-1", "v" * 64, expires_at=NOW
        ),
    )
    return replace(connection, **changes)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObConnectionStore]:
    if request.param == "memory":
        yield MemoryObConnectionStore()
        return
    database = SqlDatabase(f"sqlite:///{tmp_path / 'client.sqlite'}")
    database.migrate()
    yield SqlObConnectionStore(database, KeyEncryptionKeys.generate())
    database.dispose()


def test_store_round_trip_and_single_use_state(store: ObConnectionStore) -> None:
    connection = _stored_connection()
    store.add(connection)
    assert store.get("c-1") == connection
    taken = store.take_pending(digest("state-1"))
    assert taken == connection
    assert store.take_pending(digest("state-1")) is None
    after = store.get("c-1")
    assert after is not None
    assert after.pending is None
    connected = replace(
        after,
        access_token="oba_access",
        refresh_token="obr_refresh",
        access_expires_at=NOW + timedelta(hours=1),
        connected_at=NOW,
    )
    store.replace(connected)
    assert store.get("c-1") == connected
    store.add(_stored_connection(id="c-2", user_id="learner-2", pending=None))
    assert [c.id for c in store.for_user("learner-1")] == ["c-1"]
    assert store.delete("c-1") is True
    assert store.delete("c-1") is False
    assert store.get("c-1") is None


def test_sql_store_seals_secrets(tmp_path: Path) -> None:
    database = SqlDatabase(f"sqlite:///{tmp_path / 'sealed.sqlite'}")
    database.migrate()
    try:
        keks = KeyEncryptionKeys.generate()
        store = SqlObConnectionStore(database, keks)
        store.add(_stored_connection(access_token="oba_secret-access", refresh_token="obr_zz"))
        with database.engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM ob_connections")).mappings().one()
        raw = json.dumps({k: v.hex() if isinstance(v, bytes) else str(v) for k, v in row.items()})
        blob = bytes(row["sealed_secrets"])
        for secret in (b"obs_very-secret-client", b"oba_secret-access", b"obr_zz", b"v" * 64):
            assert secret not in blob
        assert "state-1" not in raw
        assert row["state_hash"] == digest("state-1")
        stranger = SqlObConnectionStore(database, KeyEncryptionKeys.generate("kek-9"))
        with pytest.raises(ConfigurationError, match="not configured"):
            stranger.get("c-1")
        impostor = SqlObConnectionStore(database, KeyEncryptionKeys.generate())
        with pytest.raises(ConfigurationError, match="do not open"):
            impostor.get("c-1")
        rotated = KeyEncryptionKeys("kek-2", {"kek-2": b"k" * 32, **keks.keys})
        assert SqlObConnectionStore(database, rotated).get("c-1") is not None
    finally:
        database.dispose()
