"""OAuth 2.0 for the Open Badges 3.0 API, with credstack as the host and a learner as the
resource owner (https://www.imsglobal.org/spec/ob/v3p0/#api-security).

* Dynamic Client Registration, RFC 7591 (https://www.rfc-editor.org/rfc/rfc7591): the fields
  Open Badges requires, https URIs on one host; the client secret is stored as its SHA-256.
* Authorization code grant, RFC 6749 §4.1 (https://www.rfc-editor.org/rfc/rfc6749#section-4.1)
  with PKCE S256 required, RFC 7636 (https://www.rfc-editor.org/rfc/rfc7636): a code lives
  :data:`CODE_LIFETIME`, works once, and is bound to client, redirect URI, scopes and challenge.
* Access and refresh tokens are random, stored as SHA-256; a refresh rotates the refresh token
  (RFC 9700 §4.14.2); presenting a used code or refresh token revokes the whole grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from credstack.errors import InvalidInput, PermissionDenied, Unauthenticated

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=30)
ACCESS_PREFIX = "oba_"
REFRESH_PREFIX = "obr_"
SECRET_PREFIX = "obs_"  # noqa: S105
OFFLINE_ACCESS = "offline_access"
_REQUIRED_FIELDS = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
_URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})
_MAX_FIELD = 2048


class OAuthError(InvalidInput):
    """An OAuth request refused with an RFC 6749 / RFC 7591 ``error`` value."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    secret_hash: str  # SHA-256 hex of the client secret
    metadata: dict[str, Any]  # the registered fields, as echoed to the client
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: frozenset[str]
    code_challenge: str
    created_at: datetime
    expires_at: datetime
    grant_id: str  # the tokens issued from this code
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OAuthToken:
    token_hash: str
    kind: str  # "access" or "refresh"
    grant_id: str
    client_id: str
    user_id: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LearnerCredential:
    """A credential a learner uploaded through ``POST /credentials`` (JSON text or a JWS)."""

    user_id: str
    key: str  # the credential id, or a digest of it when it has none
    content: str  # the JSON text, or the compact JWS
    is_jws: bool
    stored_at: datetime


class OAuthStore(Protocol):
    """Storage for clients, codes, tokens, uploaded credentials and learner profiles; every
    method is atomic on its own."""

    def add_client(self, client: OAuthClient) -> None: ...
    def get_client(self, client_id: str) -> OAuthClient | None: ...
    def add_code(self, code: AuthorizationCode) -> None: ...
    def use_code(self, code_hash: str, at: datetime) -> AuthorizationCode | None:
        """The code as it was before this call (``used_at`` set if used before), marking it
        used now; ``None`` if unknown."""
        ...

    def add_token(self, token: OAuthToken) -> None: ...
    def get_token(self, token_hash: str) -> OAuthToken | None: ...
    def revoke_token(self, token_hash: str, at: datetime) -> OAuthToken | None:
        """The token as it was before (``revoked_at`` set if revoked before); revoked now."""
        ...

    def revoke_grant(self, grant_id: str, at: datetime) -> None: ...
    def purge_expired(self, at: datetime) -> int:
        """Delete codes and tokens that expired before ``at``; returns how many."""
        ...

    def put_credential(self, credential: LearnerCredential) -> None: ...
    def get_credential(self, user_id: str, key: str) -> LearnerCredential | None: ...
    def credentials(self, user_id: str) -> list[LearnerCredential]: ...
    def get_profile(self, user_id: str) -> dict[str, Any] | None: ...
    def put_profile(self, user_id: str, profile: dict[str, Any]) -> None: ...


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scope(scope: Any, allowed: frozenset[str]) -> frozenset[str]:
    """A space-separated scope string as a set; ``offline_access`` is allowed besides."""
    if not isinstance(scope, str) or not scope.strip() or len(scope) > _MAX_FIELD:
        raise OAuthError("invalid_scope", "scope is a non-empty space-separated list")
    scopes = frozenset(scope.split())
    unknown = scopes - allowed - {OFFLINE_ACCESS}
    if unknown:
        raise OAuthError("invalid_scope", f"unknown scope: {' '.join(sorted(unknown))}")
    return scopes


def _check_uri(value: Any, name: str, *, allow_loopback: bool) -> tuple[str, str]:
    """(scheme, host) of an absolute URI that is https (or http on loopback when allowed)."""
    if not isinstance(value, str) or len(value) > _MAX_FIELD:
        raise OAuthError("invalid_client_metadata", f"{name} must be a URI")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError as exc:
        raise OAuthError("invalid_client_metadata", f"{name} is not a URI") from exc
    loopback = allow_loopback and parts.scheme == "http" and host in _LOOPBACK | {"::1"}
    if parts.scheme != "https" and not loopback:
        error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
        raise OAuthError(error, f"{name} must be an https URI")
    if not host or parts.fragment or parts.username or parts.password:
        raise OAuthError("invalid_client_metadata", f"{name} needs a host and no fragment")
    return parts.scheme, host


def register_client(
    store: OAuthStore,
    body: Any,
    *,
    allowed_scopes: frozenset[str],
    at: datetime,
    allow_loopback: bool = False,
) -> tuple[dict[str, Any], str]:
    """Register a client (RFC 7591 §3.1); returns the response body (fields echoed plus
    ``client_id``, ``client_secret``, …) and the secret."""
    if not isinstance(body, dict):
        raise OAuthError("invalid_client_metadata", "the body must be a JSON object")
    missing = [name for name in _REQUIRED_FIELDS if not body.get(name)]
    if missing:
        raise OAuthError("invalid_client_metadata", f"missing: {', '.join(missing)}")
    for name in ("client_name", "software_id", "software_version"):
        if not isinstance(body[name], str) or len(body[name]) > _MAX_FIELD:
            raise OAuthError("invalid_client_metadata", f"{name} must be a string")
    hosts = {_check_uri(body[name], name, allow_loopback=False)[1] for name in _URI_FIELDS}
    redirects = body["redirect_uris"]
    if not isinstance(redirects, list) or not 1 <= len(redirects) <= 10:
        raise OAuthError("invalid_redirect_uri", "redirect_uris is a list of 1 to 10 URIs")
    for uri in redirects:
        scheme, host = _check_uri(uri, "redirect_uris", allow_loopback=allow_loopback)
        if scheme == "https":
            hosts.add(host)
    if len(hosts) != 1:
        raise OAuthError("invalid_client_metadata", "every URI must be on the same host")
    scopes = parse_scope(body["scope"], allowed_scopes)
    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    if method != "client_secret_basic":
        raise OAuthError(
            "invalid_client_metadata", "token_endpoint_auth_method: client_secret_basic"
        )
    grants = body.get("grant_types", ["authorization_code", "refresh_token"])
    if not isinstance(grants, list) or not set(grants) <= {"authorization_code", "refresh_token"}:
        raise OAuthError(
            "invalid_client_metadata", "grant_types: authorization_code, refresh_token"
        )
    responses = body.get("response_types", ["code"])
    if responses != ["code"]:
        raise OAuthError("invalid_client_metadata", "response_types: code")
    contacts = body.get("contacts")
    if contacts is not None and (
        not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts)
    ):
        raise OAuthError("invalid_client_metadata", "contacts is a list of strings")
    metadata: dict[str, Any] = {name: body[name] for name in _REQUIRED_FIELDS}
    metadata.update(
        scope=" ".join(sorted(scopes)),
        token_endpoint_auth_method=method,
        grant_types=list(grants),
        response_types=["code"],
    )
    if contacts is not None:
        metadata["contacts"] = list(contacts)
    client_id = str(uuid.uuid4())
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    store.add_client(OAuthClient(client_id, digest(secret), metadata, at))
    response = {
        **metadata,
        "client_id": client_id,
        "client_secret": secret,
        "client_id_issued_at": int(at.timestamp()),
        "client_secret_expires_at": 0,
    }
    return response, secret


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked ``GET /oauth/authorize`` request (RFC 6749 §4.1.1, RFC 7636 §4.3)."""

    client: OAuthClient
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    code_challenge: str


def client_and_redirect(store: OAuthStore, client_id: Any, redirect_uri: Any) -> OAuthClient:
    """The client, if ``redirect_uri`` is one it registered (errors here must not redirect)."""
    client = store.get_client(client_id) if isinstance(client_id, str) else None
    if client is None:
        raise OAuthError("invalid_client", "unknown client_id")
    if redirect_uri not in client.metadata["redirect_uris"]:
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    return client


def check_authorization(
    client: OAuthClient, params: dict[str, str], allowed_scopes: frozenset[str]
) -> AuthorizationRequest:
    """The rest of the request; :class:`OAuthError` here is reported by redirecting."""
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge:
        raise OAuthError("invalid_request", "PKCE is required: send code_challenge")
    if method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not 43 <= len(challenge) <= 128:
        raise OAuthError("invalid_request", "code_challenge is 43 to 128 characters")
    scopes = parse_scope(params.get("scope"), allowed_scopes)
    registered = frozenset(client.metadata["scope"].split())
    if not scopes <= registered:
        raise OAuthError("invalid_scope", "a scope the client did not register")
    return AuthorizationRequest(
        client, params["redirect_uri"], scopes, params.get("state"), challenge
    )


def issue_code(
    store: OAuthStore, request: AuthorizationRequest, user_id: str, *, at: datetime
) -> str:
    """A fresh single-use code for the learner's consent to ``request``."""
    code = secrets.token_urlsafe(32)
    store.add_code(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=request.client.client_id,
            user_id=user_id,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            created_at=at,
            expires_at=at + CODE_LIFETIME,
            grant_id=str(uuid.uuid4()),
        )
    )
    return code


def authenticate_client(store: OAuthStore, client_id: str, secret: str) -> OAuthClient:
    """client_secret_basic (RFC 6749 §2.3.1)."""
    client = store.get_client(client_id)
    expected = client.secret_hash if client is not None else digest("no such client")
    if not hmac.compare_digest(expected, digest(secret)) or client is None:
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    return client


def s256(verifier: str) -> str:
    """BASE64URL(SHA-256(ASCII(verifier))) without padding (RFC 7636 §4.2)."""
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _tokens(
    store: OAuthStore,
    *,
    grant_id: str,
    client_id: str,
    user_id: str,
    scopes: frozenset[str],
    at: datetime,
) -> dict[str, Any]:
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    for secret, kind, lifetime in (
        (access, "access", ACCESS_LIFETIME),
        (refresh, "refresh", REFRESH_LIFETIME),
    ):
        store.add_token(
            OAuthToken(
                digest(secret), kind, grant_id, client_id, user_id, scopes, at, at + lifetime
            )
        )
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": int(ACCESS_LIFETIME.total_seconds()),
        "refresh_token": refresh,
        "scope": " ".join(sorted(scopes)),
    }


def exchange_code(
    store: OAuthStore,
    client: OAuthClient,
    *,
    code: str,
    redirect_uri: str | None,
    verifier: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The token response for an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6)."""
    found = store.use_code(digest(code), at) if code else None
    if found is None or found.client_id != client.client_id:
        raise OAuthError("invalid_grant", "unknown authorization code")
    if found.used_at is not None:
        store.revoke_grant(found.grant_id, at)  # RFC 6749 §4.1.2: revoke what it gave
        raise OAuthError("invalid_grant", "the authorization code was used already")
    if at >= found.expires_at:
        raise OAuthError("invalid_grant", "the authorization code has expired")
    if redirect_uri != found.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    if not verifier or not 43 <= len(verifier) <= 128 or not verifier.isascii():
        raise OAuthError("invalid_grant", "code_verifier is missing or malformed")
    if not hmac.compare_digest(s256(verifier), found.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match code_challenge")
    return _tokens(
        store,
        grant_id=found.grant_id,
        client_id=client.client_id,
        user_id=found.user_id,
        scopes=found.scopes,
        at=at,
    )


def refresh(
    store: OAuthStore, client: OAuthClient, *, refresh_token: str, scope: str | None, at: datetime
) -> dict[str, Any]:
    """New tokens for a refresh token, which is used up (RFC 6749 §6); reuse revokes the grant."""
    found = store.revoke_token(digest(refresh_token), at) if refresh_token else None
    if found is None or found.kind != "refresh" or found.client_id != client.client_id:
        raise OAuthError("invalid_grant", "unknown refresh token")
    if found.revoked_at is not None:
        store.revoke_grant(found.grant_id, at)
        raise OAuthError("invalid_grant", "the refresh token was used or revoked")
    if at >= found.expires_at:
        raise OAuthError("invalid_grant", "the refresh token has expired")
    scopes = found.scopes
    if scope:
        asked = frozenset(scope.split())
        if not asked <= found.scopes:
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
        scopes = asked
    return _tokens(
        store,
        grant_id=found.grant_id,
        client_id=client.client_id,
        user_id=found.user_id,
        scopes=scopes,
        at=at,
    )


def access(store: OAuthStore, secret: str | None, scope: str, *, at: datetime) -> OAuthToken:
    """The access token behind a bearer secret if valid and granted ``scope``
    (:class:`Unauthenticated` or :class:`PermissionDenied` otherwise)."""
    if not secret or not secret.startswith(ACCESS_PREFIX) or len(secret) > 200:
        raise Unauthenticated("an OAuth 2.0 bearer access token is required")
    token = store.get_token(digest(secret))
    if token is None or token.kind != "access" or token.revoked_at is not None:
        raise Unauthenticated("the access token is not valid")
    if at >= token.expires_at:
        raise Unauthenticated("the access token has expired")
    if scope not in token.scopes:
        raise PermissionDenied(f"the access token lacks the scope {scope}")
    return token
