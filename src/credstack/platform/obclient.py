"""credstack as an Open Badges 3.0 API *client*: a learner connects their own host (a
"backpack") and credstack pushes credentials there (https://www.imsglobal.org/spec/ob/v3p0/#api).

The steps follow the specification's security section
(https://www.imsglobal.org/spec/ob/v3p0/#api-security):

1. discovery: ``GET`` the host's service description (an OpenAPI 3.0 document) and read the
   ``OAuth2ACG`` scheme, the privacy policy and the API base (``servers[0].url``);
2. Dynamic Client Registration, RFC 7591 (https://www.rfc-editor.org/rfc/rfc7591), with the
   fields Open Badges requires;
3. the authorization code grant, RFC 6749 §4.1, with PKCE S256, RFC 7636, and a ``state``
   that works once, expires, and is bound to the learner's session;
4. the token request with ``client_secret_basic`` (RFC 6749 §2.3.1), and a refresh when the
   access token has expired (RFC 6749 §6);
5. ``upsertCredential``: ``POST {base}/credentials`` (JSON for Data Integrity credentials,
   ``text/plain`` for a compact JWS); 200, 201 and 304 are success, an ``Imsx_StatusInfo``
   body explains a refusal.

HTTP goes through an injected :class:`httpx.Client`; only https URLs to public addresses are
used unless the caller allowlists origins or allows loopback (tests).  Every response body is
read up to a size cap.  Failures are :mod:`credstack.errors` errors: ``UNAVAILABLE`` when the
host is down or answers 5xx, ``INVALID_INPUT`` for documents that are not what the
specification says, ``UNAUTHENTICATED`` when the host refuses credstack's tokens.  Client
secrets, tokens, code verifiers and states never appear in a ``repr``, a log line or an error.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from credstack._json import parse_json
from credstack.errors import (
    CredstackError,
    InvalidInput,
    InvalidState,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from credstack.resolve.fetch import is_forbidden_address

__all__ = [
    "OFFLINE_ACCESS",
    "UPSERT_SCOPE",
    "Authorization",
    "ClientIdentity",
    "HostDescription",
    "ObClient",
    "ObConnection",
    "ObConnectionStore",
    "PendingAuthorization",
    "PushResult",
    "digest",
]

UPSERT_SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
OFFLINE_ACCESS = "offline_access"
DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
AUTHORIZATION_LIFETIME = timedelta(minutes=10)
EXPIRY_MARGIN = timedelta(seconds=30)  # refresh a little before the host's expiry
_MAX_URL = 2048
_MAX_TEXT = 300
_LOOPBACK_NAMES = frozenset({"localhost"})
_DEFAULT_PORTS = {"https": 443, "http": 80}

Resolve = Callable[[str, int], list[str]]
Outcome = Literal["created", "replaced", "unchanged"]


def digest(secret: str) -> str:
    """SHA-256 hex of a secret (states and session bindings are stored this way)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _system_resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _clean(text: Any) -> str:
    """Host-supplied text made safe to show: printable, one line, bounded."""
    value = text if isinstance(text, str) else json.dumps(text)[:_MAX_TEXT]
    value = "".join(ch if ch.isprintable() else " " for ch in value).strip()
    return value[:_MAX_TEXT] + ("…" if len(value) > _MAX_TEXT else "")


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """What credstack tells a host about itself when it registers (RFC 7591 §2; Open Badges
    requires every field here, all URLs https on one host)."""

    client_name: str
    client_uri: str
    logo_uri: str
    tos_uri: str
    policy_uri: str
    redirect_uri: str
    software_id: str = "credstack"
    software_version: str = "0.1.0"
    contacts: tuple[str, ...] = ()

    @classmethod
    def for_base_url(
        cls, base_url: str, callback_path: str, *, name: str = "credstack"
    ) -> ClientIdentity:
        base = base_url.rstrip("/")
        return cls(
            client_name=name,
            client_uri=base,
            logo_uri=base + "/logo.png",
            tos_uri=base + "/terms",
            policy_uri=base + "/privacy",
            redirect_uri=base + callback_path,
        )

    def registration(self, scopes: Iterable[str]) -> dict[str, Any]:
        """The RFC 7591 §2 client metadata body."""
        body: dict[str, Any] = {
            "client_name": self.client_name,
            "client_uri": self.client_uri,
            "logo_uri": self.logo_uri,
            "tos_uri": self.tos_uri,
            "policy_uri": self.policy_uri,
            "software_id": self.software_id,
            "software_version": self.software_version,
            "redirect_uris": [self.redirect_uri],
            "scope": " ".join(scopes),
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        if self.contacts:
            body["contacts"] = list(self.contacts)
        return body


@dataclass(frozen=True, slots=True)
class HostDescription:
    """What a host's service description document says (its URLs already checked)."""

    discovery_url: str
    name: str
    api_base: str  # servers[0].url, no trailing slash
    registration_url: str
    authorization_url: str
    token_url: str
    refresh_url: str
    scopes: frozenset[str]  # every scope the host offers
    privacy_policy_url: str
    terms_of_service_url: str | None


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """An authorization request sent to the host and not yet answered."""

    state_hash: str
    binding_hash: str  # digest of the cookie handed to the browser that started it
    session_id: str  # the learner's credstack session (API token id) that started it
    code_verifier: str = field(repr=False)
    expires_at: datetime = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ObConnection:
    """A learner's connection to their Open Badges host, with credstack's client
    registration there and, once authorised, its tokens."""

    id: str
    user_id: str
    discovery_url: str
    host_name: str
    api_base: str
    token_url: str
    refresh_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: frozenset[str] = field(kw_only=True)
    created_at: datetime = field(kw_only=True)
    connected_at: datetime | None = field(default=None, kw_only=True)
    access_token: str | None = field(default=None, repr=False, kw_only=True)
    refresh_token: str | None = field(default=None, repr=False, kw_only=True)
    access_expires_at: datetime | None = field(default=None, kw_only=True)
    pending: PendingAuthorization | None = field(default=None, kw_only=True)

    @property
    def status(self) -> str:
        """``pending`` (waiting for the learner's consent), ``connected``, or ``expired``
        (the host refused the tokens or never gave any: connect again)."""
        if self.access_token is not None:
            return "connected"
        return "pending" if self.pending is not None else "expired"


@dataclass(frozen=True, slots=True)
class Authorization:
    """A started connection: send the learner's browser to ``url``; give it ``binding``
    (a cookie) so the callback can tell it is the same browser."""

    connection: ObConnection
    url: str = field(repr=False)  # carries the state
    state: str = field(repr=False)
    binding: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PushResult:
    """The host's answer to ``upsertCredential``."""

    status_code: int  # 200, 201 or 304
    outcome: Outcome


class ObConnectionStore(Protocol):
    """Storage for connections; every method is atomic on its own."""

    def add(self, connection: ObConnection) -> None: ...
    def get(self, connection_id: str) -> ObConnection | None: ...
    def for_user(self, user_id: str) -> list[ObConnection]:
        """The learner's connections, oldest first."""
        ...

    def replace(self, connection: ObConnection) -> None:
        """Overwrite the stored connection with the same id (:class:`NotFound` if none)."""
        ...

    def delete(self, connection_id: str) -> bool: ...
    def take_pending(self, state_hash: str) -> ObConnection | None:
        """The connection whose pending authorization has this state hash, as it was; the
        pending authorization is removed, so a second call finds nothing."""
        ...


# ---------------------------------------------------------------------------- the client


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"the discovery document has no {what}")
    return value.strip()


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"the discovery document has no {what} object")
    return value


def _imsx_reason(body: bytes) -> str:
    """``imsx_description`` (and the first minor code) of an ``Imsx_StatusInfo`` body
    (https://www.imsglobal.org/spec/ob/v3p0/#imsx_statusinfo), or ``""``."""
    try:
        found = parse_json(body, what="error body", max_bytes=len(body) + 1)
    except CredstackError:
        return ""
    if not isinstance(found, dict) or "imsx_codeMajor" not in found:
        return ""
    reason = _clean(found.get("imsx_description") or found.get("imsx_codeMajor"))
    minor = found.get("imsx_codeMinor")
    fields = minor.get("imsx_codeMinorField") if isinstance(minor, dict) else None
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        value = fields[0].get("imsx_codeMinorFieldValue")
        if isinstance(value, str):
            reason += f" ({_clean(value)})"
    return reason


def _oauth_reason(body: bytes) -> str:
    """``error: error_description`` of an RFC 6749 §5.2 error body, or ``""``."""
    try:
        found = parse_json(body, what="error body", max_bytes=len(body) + 1)
    except CredstackError:
        return ""
    if not isinstance(found, dict) or not isinstance(found.get("error"), str):
        return ""
    text = _clean(found["error"])
    if isinstance(found.get("error_description"), str):
        text += ": " + _clean(found["error_description"])
    return text


def _with_query(url: str, values: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(values.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _s256(verifier: str) -> str:
    """BASE64URL(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ObClient:
    """Connects learners to their Open Badges hosts and pushes credentials there.

    ``allow_http_loopback`` lets ``localhost`` / loopback addresses be used (over http or
    https) and ``allowed_origins`` lists exact ``scheme://host[:port]`` origins that skip the
    public-address check: both for tests.  ``resolve`` (host, port) → addresses is the DNS
    lookup behind the public-address check (the system resolver by default).
    """

    def __init__(
        self,
        http: httpx.Client,
        store: ObConnectionStore,
        identity: ClientIdentity,
        *,
        allow_http_loopback: bool = False,
        allowed_origins: Iterable[str] = (),
        resolve: Resolve | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        authorization_lifetime: timedelta = AUTHORIZATION_LIFETIME,
    ) -> None:
        self._http = http
        self._store = store
        self._identity = identity
        self._allow_loopback = allow_http_loopback
        self._allowed = frozenset(self._origin(o) for o in allowed_origins)
        self._resolve = resolve or _system_resolve
        self._max = max_response_bytes
        self._lifetime = authorization_lifetime
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"ObClient(redirect_uri={self._identity.redirect_uri!r})"

    @property
    def store(self) -> ObConnectionStore:
        return self._store

    # -- URL policy ------------------------------------------------------------------------

    @staticmethod
    def _origin(url: str) -> tuple[str, str, int]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidInput(f"{_clean(url)} is not a URL") from exc
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower().rstrip(".")
        return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme, 0)

    def check_url(self, url: Any, what: str) -> str:
        """``url`` if credstack may use it: absolute, https (or an allowed loopback or
        allowlisted origin), no user information or fragment, a public address."""
        if not isinstance(url, str) or not url or len(url) > _MAX_URL:
            raise InvalidInput(f"{what} must be a URL of at most {_MAX_URL} characters")
        if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
            raise InvalidInput(f"{what} contains spaces or control characters")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as exc:
            raise InvalidInput(f"{what} is not a URL") from exc
        scheme, host, port = self._origin(url)
        if scheme not in _DEFAULT_PORTS or not host:
            raise InvalidInput(f"{what} must be an absolute https URL")
        if parts.username is not None or parts.password is not None or parts.fragment:
            raise InvalidInput(f"{what} must not have user information or a fragment")
        if (scheme, host, port) in self._allowed:
            return url
        try:
            literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        loopback = host in _LOOPBACK_NAMES or (literal is not None and literal.is_loopback)
        if loopback and self._allow_loopback:
            return url
        if scheme != "https":
            raise InvalidInput(f"{what} must be an https URL")
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = self._resolve(host, port)
                addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
            except (OSError, UnicodeError, ValueError) as exc:
                raise Unavailable(f"the name {host} cannot be resolved") from exc
        if not addresses or any(is_forbidden_address(a) for a in addresses):
            raise InvalidInput(f"{what} does not point to a public address")
        return url

    # -- HTTP ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        form: Mapping[str, str] | None = None,
    ) -> _Answer:
        """One request, no redirects followed, the body read up to the size cap."""
        netloc = urlsplit(url).netloc
        try:
            with self._http.stream(
                method,
                url,
                headers=dict(headers or {}),
                content=content,
                data=dict(form) if form is not None else None,
                follow_redirects=False,
            ) as response:
                length = response.headers.get("content-length", "")
                if length.strip().isdigit() and int(length) > self._max:
                    raise self._too_large(what)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self._max:
                        raise self._too_large(what)
                    chunks.append(chunk)
                return _Answer(response.status_code, response.headers, b"".join(chunks))
        except httpx.TimeoutException as exc:
            raise Unavailable(f"{what}: {netloc} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"{what}: {netloc} cannot be reached ({type(exc).__name__}); "
                "the host may be down, try again later"
            ) from exc

    def _too_large(self, what: str) -> InvalidInput:
        return InvalidInput(
            f"{what}: the host's response is larger than {self._max} bytes",
            code="INPUT_TOO_LARGE",
        )

    @staticmethod
    def _server_trouble(answer: _Answer, what: str) -> None:
        """:class:`Unavailable` for 429 and 5xx (with the host's ``Retry-After``)."""
        if answer.status == 429 or answer.status >= 500:
            retry = _clean(answer.headers.get("retry-after", ""))
            later = f"; retry after {retry} s" if retry.isdigit() else "; try again later"
            raise Unavailable(f"{what}: the host answered HTTP {answer.status}{later}")

    def _json(self, answer: _Answer, what: str) -> dict[str, Any]:
        found = parse_json(answer.body, what=what, max_bytes=self._max)
        if not isinstance(found, dict):
            raise InvalidInput(f"{what} is not a JSON object")
        return found

    # -- 1. discovery ----------------------------------------------------------------------

    def discover(self, discovery_url: str) -> HostDescription:
        """Fetch and read a host's service description
        (https://www.imsglobal.org/spec/ob/v3p0/#getservicedescription)."""
        url = self.check_url(discovery_url, "the discovery URL")
        answer = self._send("GET", url, "discovery", headers={"Accept": "application/json"})
        self._server_trouble(answer, "discovery")
        if answer.status != 200:
            raise InvalidInput(
                f"the discovery URL answered HTTP {answer.status}, not a service description"
            )
        return self.describe(url, self._json(answer, "the discovery document"))

    def describe(self, discovery_url: str, document: dict[str, Any]) -> HostDescription:
        """The parts of a service description document credstack uses, checked."""
        openapi = document.get("openapi")
        if not isinstance(openapi, str) or not openapi.startswith("3."):
            raise InvalidInput("the discovery document is not an OpenAPI 3 document")
        info = _object(document.get("info"), "info")
        privacy = _string(info.get("x-imssf-privacyPolicyUrl"), "info.x-imssf-privacyPolicyUrl")
        terms = info.get("termsOfService")
        servers = document.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            raise InvalidInput("the discovery document has no servers (the API base URL)")
        schemes = _object(document.get("components"), "components").get("securitySchemes")
        scheme = _object(_object(schemes, "securitySchemes").get("OAuth2ACG"), "OAuth2ACG")
        if scheme.get("type") != "oauth2":
            raise InvalidInput("the OAuth2ACG security scheme is not of type oauth2")
        flows = _object(scheme.get("flows"), "OAuth2ACG flows")
        flow = _object(flows.get("authorizationCode"), "authorizationCode flow")
        offered = _object(flow.get("scopes"), "scopes")

        def url(value: Any, what: str) -> str:
            absolute = urljoin(discovery_url, _string(value, what))
            return self.check_url(absolute, f"the host's {what}")

        token_url = url(flow.get("tokenUrl"), "tokenUrl")
        description = HostDescription(
            discovery_url=discovery_url,
            name=_clean(
                scheme.get("x-imssf-name") or info.get("title") or urlsplit(discovery_url).netloc
            ),
            api_base=url(servers[0].get("url"), "servers[0].url").rstrip("/"),
            registration_url=url(scheme.get("x-imssf-registrationUrl"), "x-imssf-registrationUrl"),
            authorization_url=url(flow.get("authorizationUrl"), "authorizationUrl"),
            token_url=token_url,
            refresh_url=url(flow.get("refreshUrl"), "refreshUrl")
            if flow.get("refreshUrl")
            else token_url,
            scopes=frozenset(str(s) for s in offered),
            privacy_policy_url=urljoin(discovery_url, privacy),
            terms_of_service_url=urljoin(discovery_url, terms) if isinstance(terms, str) else None,
        )
        if UPSERT_SCOPE not in description.scopes:
            raise InvalidInput(f"the host does not offer the scope {UPSERT_SCOPE}")
        return description

    # -- 2. registration -------------------------------------------------------------------

    def register(self, host: HostDescription, scopes: Iterable[str]) -> tuple[str, str]:
        """Register credstack at the host (RFC 7591 §3); returns (client_id, client_secret)."""
        body = json.dumps(self._identity.registration(scopes)).encode()
        answer = self._send(
            "POST",
            host.registration_url,
            "client registration",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            content=body,
        )
        self._server_trouble(answer, "client registration")
        if answer.status not in (200, 201):
            reason = _oauth_reason(answer.body) or f"HTTP {answer.status}"
            raise InvalidInput(f"the host refused credstack's client registration: {reason}")
        found = self._json(answer, "the client registration response")
        client_id, secret = found.get("client_id"), found.get("client_secret")
        if not isinstance(client_id, str) or not client_id or len(client_id) > _MAX_URL:
            raise InvalidInput("the client registration response has no client_id")
        if not isinstance(secret, str) or not secret or len(secret) > _MAX_URL:
            raise InvalidInput("the client registration response has no client_secret")
        return client_id, secret

    # -- 3. authorization ------------------------------------------------------------------

    def connect(
        self, user_id: str, discovery_url: str, *, session_id: str, at: datetime
    ) -> Authorization:
        """Discover, register, and start the authorization request (RFC 6749 §4.1.1 with
        RFC 7636 §4.3): the learner's browser goes to :attr:`Authorization.url`."""
        host = self.discover(discovery_url)
        scopes = (UPSERT_SCOPE, OFFLINE_ACCESS)
        client_id, client_secret = self.register(host, scopes)
        state = secrets.token_urlsafe(32)
        binding = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set
        connection = ObConnection(
            id=str(uuid.uuid4()),
            user_id=user_id,
            discovery_url=host.discovery_url,
            host_name=host.name,
            api_base=host.api_base,
            token_url=host.token_url,
            refresh_url=host.refresh_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=frozenset(scopes),
            created_at=at,
            pending=PendingAuthorization(
                digest(state), digest(binding), session_id, verifier, expires_at=at + self._lifetime
            ),
        )
        self._store.add(connection)
        url = _with_query(
            host.authorization_url,
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": self._identity.redirect_uri,
                "scope": " ".join(scopes),
                "state": state,
                "code_challenge": _s256(verifier),
                "code_challenge_method": "S256",
            },
        )
        return Authorization(connection, url, state, binding)

    def complete(
        self,
        *,
        state: str,
        code: str | None,
        at: datetime,
        session_id: str | None = None,
        binding: str | None = None,
        error: str | None = None,
    ) -> ObConnection:
        """The redirect back from the host (RFC 6749 §4.1.2): the state is used up whatever
        happens; it must be unexpired and come from the session (``session_id``) or the
        browser (``binding``) that started it; then the code is exchanged for tokens."""
        taken = self._store.take_pending(digest(state)) if state else None
        pending = taken.pending if taken is not None else None
        if taken is None or pending is None:
            raise InvalidInput("the authorization state is unknown or was used already")
        same_session = session_id is not None and hmac.compare_digest(
            session_id, pending.session_id
        )
        same_browser = binding is not None and hmac.compare_digest(
            digest(binding), pending.binding_hash
        )
        connection = dataclasses.replace(taken, pending=None)  # as stored now
        if not (same_session or same_browser):
            raise PermissionDenied("this authorization was started in another session")
        if at >= pending.expires_at:
            raise InvalidInput("the authorization request has expired: connect again")
        if error is not None:
            raise PermissionDenied(f"the host did not authorise credstack ({_clean(error)})")
        if not code:
            raise InvalidInput("the host's answer has no authorization code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._identity.redirect_uri,
            "code_verifier": pending.code_verifier,
        }
        connected = self._tokens(connection, connection.token_url, form, at, "the code exchange")
        connected = dataclasses.replace(connected, connected_at=at)
        self._store.replace(connected)
        return connected

    # -- 4. tokens -------------------------------------------------------------------------

    def _tokens(
        self, connection: ObConnection, url: str, form: dict[str, str], at: datetime, what: str
    ) -> ObConnection:
        """A token request with client_secret_basic (RFC 6749 §2.3.1, §5.1); the
        connection with the new tokens (not stored)."""
        user = quote(connection.client_id, safe="") + ":" + quote(connection.client_secret, safe="")
        headers = {
            "Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
            "Accept": "application/json",
        }
        answer = self._send("POST", url, what, headers=headers, form=form)
        self._server_trouble(answer, what)
        if answer.status in (400, 401):
            reason = _oauth_reason(answer.body) or f"HTTP {answer.status}"
            raise Unauthenticated(f"the host refused {what}: {reason}")
        if answer.status != 200:
            raise InvalidInput(f"{what}: the host answered HTTP {answer.status}")
        body = self._json(answer, "the token response")
        access = body.get("access_token")
        kind = body.get("token_type")
        if not isinstance(access, str) or not access or len(access) > 4096:
            raise InvalidInput("the token response has no access_token")
        if not isinstance(kind, str) or kind.lower() != "bearer":
            raise InvalidInput("the token response is not for a bearer token")
        lifetime = body.get("expires_in")
        expires: datetime | None = None
        if isinstance(lifetime, int) and not isinstance(lifetime, bool) and lifetime > 0:
            expires = at + timedelta(seconds=min(lifetime, 366 * 86400))
        refresh = body.get("refresh_token")
        if refresh is not None and (not isinstance(refresh, str) or len(refresh) > 4096):
            raise InvalidInput("the token response has a malformed refresh_token")
        scope = body.get("scope")
        granted = frozenset(scope.split()) if isinstance(scope, str) else connection.scopes
        return dataclasses.replace(
            connection,
            access_token=access,
            refresh_token=refresh or connection.refresh_token,
            access_expires_at=expires,
            scopes=granted,
        )

    def _lock(self, connection_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(connection_id, threading.Lock())

    def refresh(self, connection: ObConnection, *, at: datetime) -> ObConnection:
        """New tokens for the refresh token (RFC 6749 §6), one refresh at a time per
        connection; a refused refresh forgets the tokens (the learner connects again)."""
        with self._lock(connection.id):
            current = self._store.get(connection.id)
            if current is None:
                raise NotFound("no such connection")
            if current.access_token != connection.access_token and self._fresh(current, at):
                return current  # another request refreshed meanwhile
            if current.refresh_token is None:
                raise Unauthenticated(
                    "the host's access token has expired and there is no refresh token: "
                    "connect again"
                )
            form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
            try:
                updated = self._tokens(current, current.refresh_url, form, at, "the token refresh")
            except Unauthenticated:
                self._store.replace(
                    dataclasses.replace(
                        current, access_token=None, refresh_token=None, access_expires_at=None
                    )
                )
                raise
            self._store.replace(updated)
            return updated

    @staticmethod
    def _fresh(connection: ObConnection, at: datetime) -> bool:
        expires = connection.access_expires_at
        return connection.access_token is not None and (
            expires is None or at < expires - EXPIRY_MARGIN
        )

    # -- 5. upsertCredential ---------------------------------------------------------------

    def push(
        self, connection: ObConnection, credential: Mapping[str, Any] | str, *, at: datetime
    ) -> PushResult:
        """``POST {base}/credentials`` (https://www.imsglobal.org/spec/ob/v3p0/#upsertcredential):
        a JSON credential, or a compact JWS (VC-JWT) as ``text/plain``.  An expired access
        token is refreshed first; a 401 is retried once after a refresh."""
        if isinstance(credential, str):
            if credential.count(".") != 2 or not credential.isascii():
                raise InvalidInput("a VC-JWT credential is a compact JWS")
            content, media = credential.encode("ascii"), "text/plain"
        else:
            content = json.dumps(credential, ensure_ascii=False).encode()
            media = "application/json"
        refreshed = False
        if not self._fresh(connection, at):
            if connection.access_token is None and connection.refresh_token is None:
                raise InvalidState(f"the connection is {connection.status}: connect first")
            connection, refreshed = self.refresh(connection, at=at), True
        answer = self._upsert(connection, content, media)
        if answer.status == 401 and not refreshed and connection.refresh_token is not None:
            connection = self.refresh(connection, at=at)
            answer = self._upsert(connection, content, media)
        return self._pushed(answer)

    def _upsert(self, connection: ObConnection, content: bytes, media: str) -> _Answer:
        url = self.check_url(connection.api_base + "/credentials", "the host's API base URL")
        headers = {
            "Authorization": f"Bearer {connection.access_token}",
            "Content-Type": media,
            "Accept": "application/json, text/plain",
        }
        return self._send("POST", url, "upsertCredential", headers=headers, content=content)

    def _pushed(self, answer: _Answer) -> PushResult:
        outcomes: dict[int, Outcome] = {200: "replaced", 201: "created", 304: "unchanged"}
        if answer.status in outcomes:
            return PushResult(answer.status, outcomes[answer.status])
        self._server_trouble(answer, "upsertCredential")
        reason = _imsx_reason(answer.body) or f"HTTP {answer.status}"
        if answer.status == 401:
            raise Unauthenticated(f"the host refused credstack's access token: {reason}")
        if answer.status == 403:
            raise PermissionDenied(f"the host does not let credstack add credentials: {reason}")
        raise InvalidInput(f"the host refused the credential (HTTP {answer.status}): {reason}")

    # -- bookkeeping -----------------------------------------------------------------------

    def connection(self, user_id: str, connection_id: str) -> ObConnection:
        """The learner's connection (:class:`NotFound` for anyone else's)."""
        found = self._store.get(connection_id)
        if found is None or found.user_id != user_id:
            raise NotFound("no such connection")
        return found

    def disconnect(self, user_id: str, connection_id: str) -> None:
        """Forget a connection and its tokens (the host's grant is not revoked remotely)."""
        self.connection(user_id, connection_id)
        self._store.delete(connection_id)
