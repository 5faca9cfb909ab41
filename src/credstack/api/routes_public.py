"""Public, unauthenticated endpoints: DID documents, status lists, issuer profiles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from credstack.api.context import Ctx
from credstack.errors import InvalidState, NotFound
from credstack.platform.keys import did_document, signing_key
from credstack.platform.organisations import issuer_profile
from credstack.platform.platform_identity import platform_did_document
from credstack.platform.statuslists import status_list_credential, status_list_url

router = APIRouter(tags=["public"])
STATUS_MAX_AGE = 300


@router.get("/.well-known/did.json", summary="The platform's did:web document")
def platform_did_json(ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        try:
            document = platform_did_document(uow, ctx.host)
        except InvalidState:
            raise NotFound("this server has no platform identity yet") from None
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={STATUS_MAX_AGE}"})


@router.get("/orgs/{slug}/did.json", summary="The organisation's did:web document")
def did_json(slug: str, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        org = ctx.organisation(uow, slug)
        document = did_document(org, uow.keys.for_organisation(org.id))
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={STATUS_MAX_AGE}"})


@router.get("/orgs/{slug}/profile", summary="The organisation's Open Badges issuer Profile")
def profile(slug: str, ctx: Ctx) -> dict[str, Any]:
    with ctx.work() as uow:
        return issuer_profile(ctx.organisation(uow, slug))


@router.get(
    "/orgs/{slug}/status/{list_id}",
    summary="A signed BitstringStatusListCredential",
    responses={304: {"description": "unchanged since the ETag given in If-None-Match"}},
)
def status_list(slug: str, list_id: str, request: Request, ctx: Ctx) -> Response:
    with ctx.work() as uow:
        org = ctx.organisation(uow, slug)
        found = uow.status_lists.get(list_id)
        if found is None or found.organisation_id != org.id:
            raise NotFound(f"no status list {list_id} in {slug}")
        # weak: the list's bits are those of this version; the signature differs per signing
        etag = f'W/"{found.id}-{found.version}"'
        headers = {"Cache-Control": f"public, max-age={STATUS_MAX_AGE}", "ETag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        url = status_list_url(ctx.base_url, org, found.id)
        signed = status_list_credential(
            org, found, signing_key(uow, ctx.custody, org), url=url, at=ctx.clock()
        )
    return JSONResponse(signed, headers=headers)
