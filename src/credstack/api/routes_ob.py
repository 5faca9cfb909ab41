"""The 1EdTech Open Badges 3.0 API with credstack as the host and a learner as the resource
owner (https://www.imsglobal.org/spec/ob/v3p0/#api).

* ``GET /ims/ob/v3p0/discovery``: the service description (public).
* ``POST /oauth/register`` (RFC 7591), ``GET|POST /oauth/authorize`` (a consent form the
  learner signs in on), ``POST /oauth/token`` (client_secret_basic; code + PKCE S256, refresh).
* ``GET|POST /ims/ob/v3p0/credentials`` and ``GET|PUT /ims/ob/v3p0/profile`` with scoped
  bearer tokens.  Errors there are ``Imsx_StatusInfo`` bodies; the OAuth endpoints answer
  with RFC 6749 ``{"error": …}`` bodies; the rest of the app stays problem+json.

OAuth state lives in an :class:`~credstack.platform.oauth.OAuthStore` set with
:func:`configure` (an in-memory store by default).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import logging
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import fastjsonschema
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.responses import Response

from credstack._json import parse_json
from credstack.api.context import AppContext, Ctx, get_context
from credstack.api.ob30 import OB_SCOPES, SCOPE_PREFIX, openapi_document, service_description
from credstack.api.problems import status_for
from credstack.api.routes_vcapi import verifier_inputs
from credstack.errors import CredstackError, InvalidInput, PermissionDenied, Unauthenticated
from credstack.platform.accounts import check_password
from credstack.platform.domain import User, UserKind
from credstack.platform.oauth import (
    LearnerCredential,
    OAuthError,
    OAuthStore,
    access,
    authenticate_client,
    check_authorization,
    client_and_redirect,
    digest,
    exchange_code,
    issue_code,
    refresh,
    register_client,
)
from credstack.platform.ports import UnitOfWork
from credstack.proofs.dataintegrity import parse_datetime
from credstack.storage.oauth_memory import MemoryOAuthStore
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = ["ObApiState", "configure", "router"]

log = logging.getLogger("credstack.api")
API_BASE = "/ims/ob/v3p0"
REGISTER_PATH = "/oauth/register"
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path)
CSRF_COOKIE = "ob_csrf"
READ_CREDENTIALS = SCOPE_PREFIX + "credential.readonly"
UPSERT_CREDENTIALS = SCOPE_PREFIX + "credential.upsert"
READ_PROFILE = SCOPE_PREFIX + "profile.readonly"
UPDATE_PROFILE = SCOPE_PREFIX + "profile.update"
_AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
_SCAN_PAGE = 100
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True, slots=True)
class ObApiState:
    store: OAuthStore
    csrf_key: bytes
    allow_loopback_redirects: bool = False


_state_lock = threading.Lock()


def configure(
    app: FastAPI, *, store: OAuthStore | None = None, allow_loopback_redirects: bool = False
) -> ObApiState:
    """Give the app its OAuth store; ``allow_loopback_redirects`` (tests only) lets clients
    register ``http://localhost`` / ``http://127.0.0.1`` redirect URIs."""
    state = ObApiState(
        store or MemoryOAuthStore(), secrets.token_bytes(32), allow_loopback_redirects
    )
    app.state.ob_api = state
    return state


def _ob(request: Request) -> ObApiState:
    with _state_lock:
        state = getattr(request.app.state, "ob_api", None)
        if not isinstance(state, ObApiState):
            state = configure(request.app)
    return state


# ---------------------------------------------------------------------------- error shapes


def imsx(
    status: int, description: str, minor: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An ``Imsx_StatusInfo`` body (https://www.imsglobal.org/spec/ob/v3p0/#imsx_statusinfo)."""
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "credstack", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _imsx_error(error: CredstackError) -> JSONResponse:
    status = status_for(error)
    if isinstance(error, Unauthenticated):
        header = f'Bearer realm="credstack", error="invalid_token", error_description="{error}"'
        return imsx(401, error.message, "unauthorizedrequest", headers={"WWW-Authenticate": header})
    if isinstance(error, PermissionDenied):
        header = 'Bearer realm="credstack", error="insufficient_scope"'
        return imsx(403, error.message, "forbidden", headers={"WWW-Authenticate": header})
    if status == 404:
        return imsx(404, error.message, "not_found")
    if status in (400, 409, 422):
        return imsx(400, error.message, "invalid_data")
    if status == 503:
        return imsx(503, error.message, "server_busy", headers={"Retry-After": "30"})
    log.error("server error %s: %s", error.code, error.message)
    return imsx(500, "the server could not complete the request", "internal_server_error")


def _first_validation_error(exc: RequestValidationError) -> str:
    for error in exc.errors()[:1]:
        where = "/".join(str(part) for part in error.get("loc", ()))
        return f"{where}: {error.get('msg', 'invalid')}"
    return "invalid request"


class _ImsxRoute(APIRoute):
    """Routes whose errors are ``Imsx_StatusInfo`` JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except CredstackError as exc:
                return _imsx_error(exc)
            except RequestValidationError as exc:
                return imsx(400, _first_validation_error(exc), "invalid_query_parameter")
            except Exception:
                log.exception("unexpected error in the Open Badges API")
                return imsx(
                    500, "the server could not complete the request", "internal_server_error"
                )

        return run


def _oauth_error(error: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="credstack"'
    body = {"error": error.error, "error_description": error.message}
    return JSONResponse(body, status_code=error.status, headers=headers)


class _OAuthRoute(APIRoute):
    """Routes whose refusals are RFC 6749 §5.2 / RFC 7591 §3.2.2 error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except OAuthError as exc:
                return _oauth_error(exc)
            except RequestValidationError as exc:
                return _oauth_error(OAuthError("invalid_request", _first_validation_error(exc)))

        return run


ob = APIRouter(prefix=API_BASE, route_class=_ImsxRoute, tags=["Open Badges 3.0 API"])
oauth = APIRouter(route_class=_OAuthRoute, tags=["Open Badges 3.0 API"])


# ---------------------------------------------------------------------------- discovery


@ob.get("/discovery", summary="The service description document (OpenAPI 3.0, public)")
def discovery(ctx: Ctx) -> JSONResponse:
    base = ctx.base_url
    document = service_description(
        api_base=base + API_BASE,
        registration_url=base + REGISTER_PATH,
        authorization_url=base + AUTHORIZE_PATH,
        token_url=base + TOKEN_PATH,
        terms_of_service_url=base + "/terms",
        privacy_policy_url=base + "/privacy",
        name="credstack",
    )
    return JSONResponse(document)


# ---------------------------------------------------------------------------- OAuth


@oauth.post(REGISTER_PATH, status_code=201, summary="Dynamic Client Registration (RFC 7591)")
async def register(request: Request) -> JSONResponse:
    ctx = get_context(request)
    state = _ob(request)
    try:
        body = parse_json(await request.body(), what="client metadata")
    except InvalidInput as exc:
        raise OAuthError("invalid_client_metadata", exc.message) from exc
    response, _ = register_client(
        state.store,
        body,
        allowed_scopes=OB_SCOPES,
        at=ctx.clock(),
        allow_loopback=state.allow_loopback_redirects,
    )
    return JSONResponse(response, status_code=201, headers=_NO_STORE)


def _csrf(state: ObApiState, cookie: str, params: dict[str, str]) -> str:
    bound = json.dumps([cookie, [params.get(name, "") for name in _AUTHORIZE_FIELDS]])
    return hmac.new(state.csrf_key, bound.encode(), hashlib.sha256).hexdigest()


def _with_query(uri: str, values: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(values.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect_error(redirect_uri: str, error: OAuthError, state: str | None) -> RedirectResponse:
    values = {"error": error.error, "error_description": error.message}
    if state is not None:
        values["state"] = state
    return RedirectResponse(_with_query(redirect_uri, values), status_code=303)


def _consent_page(
    state: ObApiState,
    params: dict[str, str],
    client_name: str,
    scopes: frozenset[str],
    *,
    cookie: str,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    e = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{e(params[name])}">'
        for name in _AUTHORIZE_FIELDS
        if name in params
    )
    hidden += f'<input type="hidden" name="csrf" value="{_csrf(state, cookie, params)}">'
    items = "".join(f"<li>{e(scope.removeprefix(SCOPE_PREFIX))}</li>" for scope in sorted(scopes))
    note = f'<p role="alert">{e(message)}</p>' if message else ""
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Authorise access</title>"
        f"<h1>{e(client_name)} asks to access your badges</h1>{note}"
        f"<p>It will be allowed to:</p><ul>{items}</ul>"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        '<label>E-mail <input name="email" type="email" autocomplete="username" required></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button name="decision" value="allow">Allow</button>'
        '<button name="decision" value="deny" formnovalidate>Deny</button></form></html>'
    )
    response = HTMLResponse(page, status_code=status)
    response.headers.update(_NO_STORE)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response.set_cookie(
        CSRF_COOKIE, cookie, httponly=True, secure=True, samesite="strict", path=AUTHORIZE_PATH
    )
    return response


def _plain_refusal(error: OAuthError) -> PlainTextResponse:
    """Errors about the client or redirect URI are shown, never redirected (RFC 6749 §4.1.2.1)."""
    return PlainTextResponse(f"{error.error}: {error.message}", status_code=400, headers=_NO_STORE)


@oauth.get(AUTHORIZE_PATH, summary="Authorization request: the learner's consent form")
def authorize_form(request: Request) -> Response:
    state = _ob(request)
    params = {k: v for k, v in request.query_params.items() if k in _AUTHORIZE_FIELDS}
    try:
        client = client_and_redirect(
            state.store, params.get("client_id"), params.get("redirect_uri")
        )
    except OAuthError as exc:
        return _plain_refusal(exc)
    try:
        checked = check_authorization(client, params, OB_SCOPES)
    except OAuthError as exc:
        return _redirect_error(params["redirect_uri"], exc, params.get("state"))
    cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    return _consent_page(
        state, params, client.metadata["client_name"], checked.scopes, cookie=cookie
    )


@oauth.post(
    AUTHORIZE_PATH, summary="The learner signs in and allows or denies", response_model=None
)
async def authorize_decision(request: Request) -> Response:
    ctx = get_context(request)
    state = _ob(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params = {k: v for k, v in fields.items() if k in _AUTHORIZE_FIELDS}
    try:
        client = client_and_redirect(
            state.store, params.get("client_id"), params.get("redirect_uri")
        )
    except OAuthError as exc:
        return _plain_refusal(exc)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = _csrf(state, cookie, params)
    if not cookie or not hmac.compare_digest(expected, fields.get("csrf", "")):
        return PlainTextResponse("the form has expired: start again", status_code=403)
    try:
        checked = check_authorization(client, params, OB_SCOPES)
    except OAuthError as exc:
        return _redirect_error(params["redirect_uri"], exc, params.get("state"))
    if fields.get("decision") != "allow":
        denied = OAuthError("access_denied", "the learner did not allow access")
        return _redirect_error(checked.redirect_uri, denied, checked.state)
    at = ctx.clock()
    try:
        with ctx.work() as uow:
            user = check_password(
                uow,
                email=fields.get("email", ""),
                password=fields.get("password", ""),
                hasher=ctx.hasher,
            )
            if user.kind is not UserKind.LEARNER:
                raise Unauthenticated("only learner accounts can allow access to their badges")
    except Unauthenticated as exc:
        name = client.metadata["client_name"]
        return _consent_page(
            state, params, name, checked.scopes, cookie=cookie, message=exc.message, status=401
        )
    code = issue_code(state.store, checked, user.id, at=at)
    values = {"code": code}
    if checked.state is not None:
        values["state"] = checked.state
    return RedirectResponse(_with_query(checked.redirect_uri, values), status_code=303)


def _basic(authorization: str | None) -> tuple[str, str]:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "use HTTP Basic client authentication", status=401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401)
    return client_id, secret


@oauth.post(TOKEN_PATH, summary="Token endpoint: authorization code (PKCE) or refresh token")
async def token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    ctx = get_context(request)
    state = _ob(request)
    client_id, secret = _basic(authorization)
    client = authenticate_client(state.store, client_id, secret)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    grant = fields.get("grant_type")
    at = ctx.clock()
    if grant == "authorization_code":
        body = exchange_code(
            state.store,
            client,
            code=fields.get("code", ""),
            redirect_uri=fields.get("redirect_uri"),
            verifier=fields.get("code_verifier"),
            at=at,
        )
    elif grant == "refresh_token":
        body = refresh(
            state.store,
            client,
            refresh_token=fields.get("refresh_token", ""),
            scope=fields.get("scope"),
            at=at,
        )
    else:
        raise OAuthError("unsupported_grant_type", "grant_type: authorization_code, refresh_token")
    return JSONResponse(body, headers=_NO_STORE)


# ---------------------------------------------------------------------------- resources


def _bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _learner(
    ctx: AppContext, request: Request, uow: UnitOfWork, scope: str, authorization: str | None
) -> User:
    token = access(_ob(request).store, _bearer(authorization), scope, at=ctx.clock())
    user = uow.users.get(token.user_id)
    if user is None:
        raise Unauthenticated("the access token is not valid")
    return user


def email_matches(credential: dict[str, Any], email: str) -> bool:
    subject = credential.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for entry in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(entry, dict) or entry.get("identityType") != "emailAddress":
            continue
        salt = entry.get("salt") or ""
        expected = entry.get("identityHash")
        if not isinstance(salt, str) or not isinstance(expected, str):
            continue
        if entry.get("hashed"):
            found = "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()
        else:
            found = email
        if hmac.compare_digest(found.encode(), expected.encode()):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Item:
    at: datetime
    key: str
    content: dict[str, Any] | str  # a credential, or a compact JWS


def _issued(uow: UnitOfWork, user: User) -> Iterator[_Item]:
    """Unrevoked credentials this server issued to the learner's e-mail address or DID.

    E-mail identities are salted per credential, so they are matched by scanning."""
    email = user.email.lower()
    seen: set[str] = set()
    if user.did:
        for issued in uow.credentials.for_recipient(did=user.did):
            if issued.revoked_at is None:
                seen.add(issued.id)
                yield _Item(issued.issued_at, issued.id, json.loads(issued.credential_json))
    for organisation in uow.organisations.list():
        offset = 0
        while True:
            page, total = uow.credentials.for_organisation(
                organisation.id, limit=_SCAN_PAGE, offset=offset
            )
            for issued in page:
                if issued.revoked_at is not None or issued.id in seen:
                    continue
                if issued.recipient_email_hash is None:
                    continue
                document = json.loads(issued.credential_json)
                if email_matches(document, email):
                    seen.add(issued.id)
                    yield _Item(issued.issued_at, issued.id, document)
            offset += len(page)
            if not page or offset >= total:
                break


def _collection(uow: UnitOfWork, store: OAuthStore, user: User) -> list[_Item]:
    items = {item.key: item for item in _issued(uow, user)}
    for upload in store.credentials(user.id):
        content: dict[str, Any] | str = (
            upload.content if upload.is_jws else json.loads(upload.content)
        )
        items[upload.key] = _Item(upload.stored_at, upload.key, content)
    return sorted(items.values(), key=lambda item: (item.at, item.key))


def _page_links(url: str, limit: int, offset: int, total: int, since: str | None) -> str:
    def link(at: int, rel: str) -> str:
        query = {"limit": str(limit), "offset": str(at)}
        if since is not None:
            query["since"] = since
        return f'<{url}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    links = [link(0, "first"), link(last, "last")]
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    if offset > 0:
        links.append(link(max(0, offset - limit), "prev"))
    return ", ".join(links)


@ob.get("/credentials", summary="getCredentials: the learner's credentials, paged")
def get_credentials(
    request: Request,
    ctx: Ctx,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    since: str | None = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    size = min(limit or ctx.limits.max_page_size, ctx.limits.max_page_size)
    after = None
    if since is not None:
        try:
            after = parse_datetime(since)
        except CredstackError as exc:
            raise InvalidInput(f"since is not a date-time: {exc}") from exc
    with ctx.work() as uow:
        user = _learner(ctx, request, uow, READ_CREDENTIALS, authorization)
        items = _collection(uow, _ob(request).store, user)
    if after is not None:
        items = [item for item in items if item.at > after]
    chosen = items[offset : offset + size]
    body = {
        "credential": [item.content for item in chosen if isinstance(item.content, dict)],
        "compactJwsString": [item.content for item in chosen if isinstance(item.content, str)],
    }
    headers = {
        "X-Total-Count": str(len(items)),
        "Link": _page_links(
            ctx.base_url + API_BASE + "/credentials", size, offset, len(items), since
        ),
    }
    return JSONResponse(body, headers=headers)


def _jws_key(jws: str) -> str:
    """The credential id in a VC-JWT payload (``jti``, ``vc.id`` or ``id``), else a digest."""
    try:
        segment = jws.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, binascii.Error):
        payload = None
    if isinstance(payload, dict):
        vc = payload.get("vc")
        for candidate in (
            payload.get("jti"),
            vc.get("id") if isinstance(vc, dict) else None,
            payload.get("id"),
        ):
            if isinstance(candidate, str) and candidate:
                return candidate
    return "sha256:" + digest(jws)


@ob.post(
    "/credentials",
    summary="upsertCredential: verify and store a credential in the learner's collection",
    response_model=None,
)
async def upsert_credential(
    request: Request, ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    with ctx.work() as uow:
        user = _learner(ctx, request, uow, UPSERT_CREDENTIALS, authorization)
        submitted: dict[str, Any] | str
        if media == "text/plain":
            submitted = raw.decode("utf-8", "replace").strip()
        elif media == "application/json":
            parsed = parse_json(raw, what="credential")
            if not isinstance(parsed, dict):
                raise InvalidInput("a credential is a JSON object")
            submitted = parsed
        else:
            raise InvalidInput("send application/json (a credential) or text/plain (a JWS)")
        resolver, lists = verifier_inputs(ctx, uow, submitted)
    report = Verifier(resolver).verify(submitted, VerifyOptions(at=ctx.clock(), status_lists=lists))
    if not report.verified:
        failure = report.first_failure
        reason = f"{failure.code}: {failure.message}" if failure is not None else "not verified"
        raise InvalidInput(f"the credential does not verify ({reason})")
    store = _ob(request).store
    if isinstance(submitted, str):
        key, content, is_jws = _jws_key(submitted), submitted, True
    else:
        text = json.dumps(submitted, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        found_id = submitted.get("id")
        key = found_id if isinstance(found_id, str) and found_id else "sha256:" + digest(text)
        content, is_jws = text, False
    existing = store.get_credential(user.id, key)
    if existing is not None and existing.content == content:
        return Response(status_code=304)
    store.put_credential(LearnerCredential(user.id, key, content, is_jws, ctx.clock()))
    status = 200 if existing is not None else 201
    if isinstance(submitted, str):
        return PlainTextResponse(submitted, status_code=status)
    return JSONResponse(submitted, status_code=status)


@cache
def _profile_validator() -> Callable[[Any], Any]:
    components = openapi_document()["components"]
    schema = {"$ref": "#/components/schemas/Profile", "components": components}
    return fastjsonschema.compile(schema)


def _default_profile(user: User) -> dict[str, Any]:
    return {"id": user.did or f"urn:uuid:{user.id}", "type": ["Profile"], "email": user.email}


@ob.get("/profile", summary="getProfile: the learner's Open Badges Profile")
def get_profile(
    request: Request, ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> JSONResponse:
    with ctx.work() as uow:
        user = _learner(ctx, request, uow, READ_PROFILE, authorization)
    stored = _ob(request).store.get_profile(user.id)
    return JSONResponse(stored if stored is not None else _default_profile(user))


@ob.put("/profile", summary="putProfile: replace the learner's Profile", response_model=None)
async def put_profile(
    request: Request, ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> Response:
    with ctx.work() as uow:
        user = _learner(ctx, request, uow, UPDATE_PROFILE, authorization)
    profile = parse_json(await request.body(), what="profile")
    try:
        _profile_validator()(profile)
    except fastjsonschema.JsonSchemaException as exc:
        raise InvalidInput(f"not an Open Badges Profile: {exc}") from exc
    assert isinstance(profile, dict)  # the schema says object
    expected = _default_profile(user)["id"]
    if profile.get("id") != expected:
        raise InvalidInput(f"the profile id is {expected}")
    store = _ob(request).store
    current = store.get_profile(user.id) or _default_profile(user)
    if current == profile:
        return Response(status_code=304)
    store.put_profile(user.id, profile)
    return JSONResponse(profile)


def _not_allowed() -> JSONResponse:
    return imsx(405, "this method is not allowed here", "not_allowed")


for _path, _methods in (
    ("/discovery", ["POST", "PUT", "PATCH", "DELETE"]),
    ("/credentials", ["PUT", "PATCH", "DELETE"]),
    ("/profile", ["POST", "PATCH", "DELETE"]),
):
    ob.add_api_route(_path, _not_allowed, methods=_methods, include_in_schema=False)

router = APIRouter()
router.include_router(oauth)
router.include_router(ob)
