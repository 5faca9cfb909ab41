"""Claim links (``POST /claim/{token}``), endorsements, and outbox delivery after each request.

Claim errors: an unknown token is 404, an expired or used one 410 (problem+json).  The page
the e-mail links to (``GET /claim/{token}``) is a web page: :mod:`credstack.web.routes_wallet`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from credstack.api.context import Bearer, Ctx
from credstack.api.problems import problem_response
from credstack.errors import CredstackError, InvalidInput
from credstack.platform import claims, endorsements
from credstack.platform.accounts import Action
from credstack.platform.notify import Mailer, deliver_outbox

log = logging.getLogger("credstack.api")
router = APIRouter(tags=["claims and endorsements"])
_MAX_FORM = 4096


def _gone(error: claims.ClaimGone) -> JSONResponse:
    return problem_response(410, error.message, error.code)


def _credential_json(text: str) -> Any:
    return json.loads(text)


async def _claim_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > _MAX_FORM:
        raise InvalidInput("the claim request is too large")
    if not raw:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/x-www-form-urlencoded":
            return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("the claim request is not JSON or a form") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the claim request must be a JSON object")
    return body


@router.post(
    "/claim/{token}",
    summary="Claim: issue the credential again bound to the learner's DID (body: did)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"did": {"type": "string"}}}
                },
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": {"did": {"type": "string"}}}
                },
            }
        }
    },
)
async def claim(token: str, request: Request, ctx: Ctx, credentials: Bearer) -> Response:
    body = await _claim_body(request)
    did = body.get("did")
    if did is not None and not isinstance(did, str):
        raise InvalidInput("did must be a string")

    def run() -> claims.ClaimResult:
        with ctx.work() as uow:
            at = ctx.clock()
            if credentials is not None:  # a learner account claims
                user = ctx.principal(uow, credentials).user
                return claims.claim_for_user(
                    uow, ctx.custody, token, user, did=did, base_url=ctx.base_url, at=at
                )
            if did is None:
                raise InvalidInput("give your DID (did) or sign in with a learner account")
            return claims.claim_with_did(uow, ctx.custody, token, did, base_url=ctx.base_url, at=at)

    try:
        result = await run_in_threadpool(run)
    except claims.ClaimGone as exc:
        return _gone(exc)
    return JSONResponse(
        {
            "original": _credential_json(result.original.credential_json),
            "claimed": _credential_json(result.claimed.credential_json),
        },
        status_code=201,
    )


# ------------------------------------------------------------------ endorsements


class NewEndorsement(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    subject_id: str = Field(alias="subjectId", min_length=1, max_length=2048)
    comment: str = Field(min_length=1, max_length=endorsements.MAX_COMMENT)
    name: str | None = Field(default=None, max_length=endorsements.MAX_NAME)


@router.post(
    "/orgs/{slug}/endorsements",
    status_code=201,
    tags=["management"],
    summary="Endorse an organisation (DID), an achievement or a credential (id)",
)
def create_endorsement(
    slug: str, body: NewEndorsement, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        made = endorsements.endorse(
            uow,
            ctx.custody,
            org,
            subject_id=body.subject_id,
            comment=body.comment,
            name=body.name,
            at=ctx.clock(),
        )
    document: dict[str, Any] = _credential_json(made.credential_json)
    return document


@router.get("/endorsements/{endorsement_id}", summary="One endorsement (public)")
def get_endorsement(endorsement_id: str, ctx: Ctx) -> dict[str, Any]:
    with ctx.work() as uow:
        found = endorsements.get_endorsement(uow, endorsement_id)
    document: dict[str, Any] = _credential_json(found.credential_json)
    return document


@router.get("/endorsements", summary="Endorsements of a subject, oldest first (public)")
def list_endorsements(
    ctx: Ctx, subject: Annotated[str, Query(min_length=1, max_length=2048)]
) -> dict[str, Any]:
    with ctx.work() as uow:
        found = uow.endorsements.for_subject(subject)
    return {"items": [_credential_json(e.credential_json) for e in found], "total": len(found)}


# ------------------------------------------------------------------ outbox delivery


def install_mail_delivery(app: FastAPI, mailer: Mailer) -> None:
    """After every successful state-changing request (whose unit of work has committed by
    then), send what the outbox holds; a failure is logged and left for the next one."""

    @app.middleware("http")
    async def deliver_after_commit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.method in ("GET", "HEAD", "OPTIONS") or response.status_code >= 400:
            return response
        ctx = request.app.state.credstack
        try:
            await run_in_threadpool(
                deliver_outbox, mailer, ctx.database.unit_of_work, clock=ctx.clock
            )
        except CredstackError as exc:
            log.warning("outbox delivery failed: %s", exc.message)
        return response
