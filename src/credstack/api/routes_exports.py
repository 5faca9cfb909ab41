"""Open Badges 2.0 hosted verification: public JSON-LD for credentials issued here.

See :mod:`credstack.platform.exports` for what is served and why (privacy: the recipient is
only a salted hash; revoked and suspended credentials answer 410 with the revoked form).
Served as ``application/ld+json``, or ``application/json`` when the client asks only for
that (OB 2.0, "Setting Content-Type").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from credstack.api.context import AppContext, Ctx
from credstack.platform import exports

router = APIRouter(tags=["Open Badges 2.0"])


def _media_type(request: Request) -> str:
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "application/ld+json" not in accept:
        return "application/json"
    return "application/ld+json"


def _answer(request: Request, document: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(
        document,
        status_code=status,
        media_type=_media_type(request),
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def _contact(ctx: AppContext) -> str | None:
    sender = getattr(ctx.mailer, "sender", None)
    return sender if isinstance(sender, str) and "@" in sender else None


@router.get(
    "/ob2/assertions/{credential_uuid}",
    summary="The Open Badges 2.0 hosted Assertion of a credential issued here",
    responses={410: {"description": "revoked (or suspended): the OB 2.0 revoked form"}},
)
def ob2_assertion(credential_uuid: str, request: Request, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        hosted = exports.hosted_assertion(
            uow, base_url=ctx.base_url, credential_uuid=credential_uuid
        )
    return _answer(request, hosted.document, hosted.status)


@router.get(
    "/ob2/assertions/{credential_uuid}/badge",
    summary="The Open Badges 2.0 BadgeClass inside one credential (VC-API credentials)",
)
def ob2_credential_badge(credential_uuid: str, request: Request, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        document = exports.hosted_credential_badge(
            uow, base_url=ctx.base_url, credential_uuid=credential_uuid
        )
    return _answer(request, document)


@router.get(
    "/ob2/badges/{version_id}",
    summary="The Open Badges 2.0 BadgeClass of an achievement version",
)
def ob2_badge(version_id: str, request: Request, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        document = exports.hosted_badge(uow, base_url=ctx.base_url, version_id=version_id)
    return _answer(request, document)


@router.get("/ob2/issuers/{slug}", summary="The Open Badges 2.0 issuer Profile of an organisation")
def ob2_issuer(slug: str, request: Request, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        document = exports.hosted_issuer(
            uow, base_url=ctx.base_url, slug=slug, contact_email=_contact(ctx)
        )
    return _answer(request, document)
