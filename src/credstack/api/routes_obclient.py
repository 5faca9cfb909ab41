"""A signed-in learner connects their own Open Badges host and pushes credentials there
(credstack as an Open Badges 3.0 API client, https://www.imsglobal.org/spec/ob/v3p0/#api).

* ``POST /me/ob-connections`` ``{"discovery_url"}``: discovery, client registration and the
  start of the authorization request; 201 with the ``authorization_url`` to visit, and a
  cookie binding the request to this browser;
* ``GET /me/ob-connections``, ``DELETE /me/ob-connections/{id}``;
* ``GET /oauth/client-callback?code&state``: where the host sends the learner back; the
  state must come back with the same browser (cookie) or the same credstack session (token);
* ``POST /me/ob-connections/{id}/push`` ``{"credential_id"}``: one of the learner's own
  credentials, to the host.

Errors are problem+json.  The client lives in :class:`ObClientState`, set with
:func:`configure` (in-memory connections and a default HTTP client otherwise).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from credstack.api.context import AppContext, Bearer, Ctx
from credstack.api.routes_ob import email_matches
from credstack.errors import InvalidState, NotFound, PermissionDenied
from credstack.platform.accounts import Principal
from credstack.platform.domain import IssuedCredential, User, UserKind
from credstack.platform.obclient import ClientIdentity, ObClient, ObConnection, ObConnectionStore
from credstack.platform.ports import UnitOfWork
from credstack.proofs.dataintegrity import format_datetime
from credstack.storage.obclient_memory import MemoryObConnectionStore

__all__ = ["CALLBACK_PATH", "ObClientState", "configure", "router"]

CALLBACK_PATH = "/oauth/client-callback"
BINDING_COOKIE = "credstack_ob_client"
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

router = APIRouter(tags=["Open Badges hosts (client)"])


@dataclass(frozen=True, slots=True)
class ObClientState:
    client: ObClient


_state_lock = threading.Lock()


def configure(
    app: FastAPI,
    *,
    store: ObConnectionStore | None = None,
    http: httpx.Client | None = None,
    identity: ClientIdentity | None = None,
    allow_http_loopback: bool = False,
    allowed_origins: Iterable[str] = (),
    max_response_bytes: int | None = None,
) -> ObClientState:
    """Give the app its connection store and HTTP client (``allow_http_loopback`` and
    ``allowed_origins`` are for tests: see :class:`~credstack.platform.obclient.ObClient`)."""
    ctx = app.state.credstack
    assert isinstance(ctx, AppContext)
    options: dict[str, Any] = {}
    if max_response_bytes is not None:
        options["max_response_bytes"] = max_response_bytes
    client = ObClient(
        http or httpx.Client(timeout=httpx.Timeout(10.0), trust_env=False),
        store or MemoryObConnectionStore(),
        identity or ClientIdentity.for_base_url(ctx.base_url, CALLBACK_PATH),
        allow_http_loopback=allow_http_loopback,
        allowed_origins=allowed_origins,
        **options,
    )
    state = ObClientState(client)
    app.state.ob_client = state
    return state


def _client(request: Request) -> ObClient:
    with _state_lock:
        state = getattr(request.app.state, "ob_client", None)
        if not isinstance(state, ObClientState):
            state = configure(request.app)
    return state.client


def _learner(ctx: AppContext, uow: UnitOfWork, credentials: Bearer) -> Principal:
    principal = ctx.principal(uow, credentials)
    if principal.user.kind is not UserKind.LEARNER:
        raise PermissionDenied("only learner accounts connect Open Badges hosts")
    return principal


def _view(connection: ObConnection) -> dict[str, Any]:
    """A connection as shown to its learner: never a secret."""
    expires = connection.access_expires_at
    return {
        "id": connection.id,
        "host": connection.host_name,
        "discovery_url": connection.discovery_url,
        "api_base": connection.api_base,
        "status": connection.status,
        "scopes": sorted(connection.scopes),
        "created_at": format_datetime(connection.created_at),
        "connected_at": format_datetime(connection.connected_at)
        if connection.connected_at
        else None,
        "access_expires_at": format_datetime(expires) if expires else None,
    }


class NewConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    discovery_url: str = Field(min_length=1, max_length=2048)


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential_id: str = Field(min_length=1, max_length=2048)


@router.post(
    "/me/ob-connections",
    status_code=201,
    summary="Connect an Open Badges host: returns the authorization URL to visit",
)
def create_connection(
    body: NewConnection, request: Request, ctx: Ctx, credentials: Bearer
) -> JSONResponse:
    with ctx.work() as uow:
        principal = _learner(ctx, uow, credentials)
    client = _client(request)
    started = client.connect(
        principal.user.id, body.discovery_url, session_id=principal.token.id, at=ctx.clock()
    )
    lifetime = started.connection.pending.expires_at if started.connection.pending else None
    response = JSONResponse(
        {"connection": _view(started.connection), "authorization_url": started.url},
        status_code=201,
        headers=_NO_STORE,
    )
    response.set_cookie(
        BINDING_COOKIE,
        started.binding,
        max_age=int((lifetime - ctx.clock()).total_seconds()) if lifetime else None,
        path=CALLBACK_PATH,
        secure=True,
        httponly=True,
        samesite="lax",  # sent on the top-level redirect back from the host
    )
    return response


@router.get("/me/ob-connections", summary="The learner's Open Badges host connections")
def list_connections(request: Request, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal = _learner(ctx, uow, credentials)
    found = _client(request).store.for_user(principal.user.id)
    return {"items": [_view(c) for c in found], "total": len(found)}


@router.delete(
    "/me/ob-connections/{connection_id}",
    status_code=204,
    summary="Forget a connection and its tokens",
)
def delete_connection(
    connection_id: str, request: Request, ctx: Ctx, credentials: Bearer
) -> Response:
    with ctx.work() as uow:
        principal = _learner(ctx, uow, credentials)
    _client(request).disconnect(principal.user.id, connection_id)
    return Response(status_code=204)


@router.get(CALLBACK_PATH, summary="The host sends the learner back here (code and state)")
def client_callback(
    request: Request,
    ctx: Ctx,
    credentials: Bearer,
    state: Annotated[str, Query(min_length=1, max_length=512)],
    code: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> JSONResponse:
    session_id = None
    if credentials is not None:
        with ctx.work() as uow:
            session_id = _learner(ctx, uow, credentials).token.id
    connection = _client(request).complete(
        state=state,
        code=code,
        at=ctx.clock(),
        session_id=session_id,
        binding=request.cookies.get(BINDING_COOKIE),
        error=error,
    )
    response = JSONResponse({"connection": _view(connection)}, headers=_NO_STORE)
    response.delete_cookie(
        BINDING_COOKIE, path=CALLBACK_PATH, secure=True, httponly=True, samesite="lax"
    )
    return response


def _owned(uow: UnitOfWork, user: User, credential_id: str) -> IssuedCredential:
    """A credential this server issued to the learner (e-mail or DID), else NotFound."""
    issued = uow.credentials.get(credential_id)
    if issued is None:
        raise NotFound("no such credential")
    document = json.loads(issued.credential_json)
    by_did = user.did is not None and issued.recipient_did == user.did
    by_email = issued.recipient_email_hash is not None and email_matches(
        document, user.email.lower()
    )
    if not (by_did or by_email):
        raise NotFound("no such credential")
    if issued.revoked_at is not None:
        raise InvalidState("the credential is revoked: it is not pushed")
    return issued


@router.post(
    "/me/ob-connections/{connection_id}/push",
    summary="Push one of the learner's credentials to the connected host (upsertCredential)",
)
def push_credential(
    connection_id: str, body: PushRequest, request: Request, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        user = _learner(ctx, uow, credentials).user
        issued = _owned(uow, user, body.credential_id)
    client = _client(request)
    connection = client.connection(user.id, connection_id)
    document: dict[str, Any] = json.loads(issued.credential_json)
    result = client.push(connection, document, at=ctx.clock())
    return {
        "connection_id": connection.id,
        "credential_id": issued.id,
        "host_status": result.status_code,
        "outcome": result.outcome,
    }
