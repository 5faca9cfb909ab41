"""VC-API issuer and verifier endpoints (https://w3c-ccg.github.io/vc-api/), shapes as in
docs/standards.md §4.1."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from credstack.api.context import AppContext, Bearer, Ctx
from credstack.api.routes_trust import recognition_member
from credstack.api.schemas import (
    IssueCredentialBody,
    NewChallenge,
    VerifyCredentialBody,
    VerifyPresentationBody,
)
from credstack.errors import InvalidState, NotFound, PermissionDenied
from credstack.platform.accounts import Action, authorise, require_scope
from credstack.platform.domain import Organisation
from credstack.platform.keys import did_document, signing_key
from credstack.platform.ports import UnitOfWork
from credstack.platform.presentations import (
    CHALLENGE_TTL,
    check_challenge,
    consume_challenge,
    new_challenge,
)
from credstack.platform.presentations import verify_presentation as check_presentation
from credstack.platform.statuslists import status_list_credential, status_list_url
from credstack.platform.vcapi import issue_credential
from credstack.proofs.dataintegrity import format_datetime
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import VerificationFailed, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions

router = APIRouter(tags=["vc-api"])
MAX_STATUS_LISTS = 32


def _issue(ctx: AppContext, uow: UnitOfWork, org: Organisation, body: IssueCredentialBody) -> Any:
    issued = issue_credential(
        uow,
        ctx.custody,
        org,
        body.credential,
        base_url=ctx.base_url,
        at=ctx.clock(),
        credential_id=body.options.credentialId if body.options else None,
    )
    return {"verifiableCredential": json.loads(issued.credential_json)}


@router.post(
    "/credentials/issue", status_code=201, summary="Issue as the organisation of the token"
)
def issue(body: IssueCredentialBody, ctx: Ctx, credentials: Bearer) -> Any:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        org_id = principal.token.organisation_id
        if org_id is None:
            raise PermissionDenied(
                "this endpoint signs as the organisation of the token: use an organisation "
                "token, or POST /issuers/{slug}/credentials/issue"
            )
        org = uow.organisations.get(org_id)
        if org is None:
            raise NotFound("the organisation of this token no longer exists")
        authorise(uow, principal, org, Action.ISSUE)
        return _issue(ctx, uow, org, body)


@router.post(
    "/issuers/{slug}/credentials/issue", status_code=201, summary="Issue as organisation {slug}"
)
def issue_as(slug: str, body: IssueCredentialBody, ctx: Ctx, credentials: Bearer) -> Any:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        return _issue(ctx, uow, org, body)


@router.get("/credentials/{credential_id}", summary="A credential (members of its issuer only)")
def get_credential(credential_id: str, ctx: Ctx, credentials: Bearer) -> Any:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        require_scope(principal, Action.READ)
        found = uow.credentials.get(credential_id)
        org = uow.organisations.get(found.organisation_id) if found is not None else None
        if found is None or org is None:
            raise NotFound(f"no credential {credential_id}")
        try:
            authorise(uow, principal, org, Action.READ)
        except PermissionDenied:
            raise NotFound(f"no credential {credential_id}") from None
        return {"verifiableCredential": json.loads(found.credential_json)}


def status_urls(value: Any, found: set[str], depth: int = 0) -> None:
    if depth > 8 or len(found) >= MAX_STATUS_LISTS:
        return
    if isinstance(value, dict):
        url = value.get("statusListCredential")
        if isinstance(url, str):
            found.add(url)
        for key in ("credentialStatus", "verifiableCredential"):
            if key in value:
                status_urls(value[key], found, depth + 1)
    elif isinstance(value, list):
        for item in value[:MAX_STATUS_LISTS]:
            status_urls(item, found, depth + 1)


def verifier_inputs(
    ctx: AppContext, uow: UnitOfWork, document: Any
) -> tuple[CompositeResolver, dict[str, dict[str, Any]]]:
    """A resolver knowing every organisation of this server (and did:key), and this server's
    status lists the document refers to."""
    documents = []
    for org in uow.organisations.list():
        try:
            documents.append(did_document(org, uow.keys.for_organisation(org.id)))
        except InvalidState:
            continue
    urls: set[str] = set()
    status_urls(document, urls)
    prefix = ctx.base_url.rstrip("/") + "/orgs/"
    lists: dict[str, dict[str, Any]] = {}
    for url in sorted(urls):
        slug, sep, list_id = url.removeprefix(prefix).partition("/status/")
        if not url.startswith(prefix) or not sep:
            continue
        owner = uow.organisations.get_by_slug(slug)
        found = uow.status_lists.get(list_id)
        if owner is None or found is None or found.organisation_id != owner.id:
            continue
        if status_list_url(ctx.base_url, owner, found.id) == url:
            key = signing_key(uow, ctx.custody, owner)
            lists[url] = status_list_credential(owner, found, key, url=url, at=ctx.clock())
    return CompositeResolver(documents=documents, clock=ctx.clock), lists


def _verified(report: VerificationReport) -> JSONResponse:
    if not report.verified:
        raise VerificationFailed(report)
    return JSONResponse({"verified": True, "results": report.to_json()})


@router.post(
    "/credentials/verify",
    summary="Verify a credential (200 when valid, 400 problem+json with the report when not)",
)
def verify(body: VerifyCredentialBody, ctx: Ctx) -> JSONResponse:
    with ctx.work() as uow:
        resolver, lists = verifier_inputs(ctx, uow, body.verifiableCredential)
    options = VerifyOptions(at=ctx.clock(), status_lists=lists)
    report = Verifier(resolver).verify(body.verifiableCredential, options)
    if not report.verified:
        raise VerificationFailed(report)
    results = report.to_json()  # and which trust registries recognise the issuer (docs/trust.md)
    results["recognition"] = recognition_member(ctx, body.verifiableCredential, report.issuer)
    return JSONResponse({"verified": True, "results": results})


@router.post("/challenges", status_code=201, summary="A one-time challenge for a presentation")
def challenge(ctx: Ctx, body: NewChallenge | None = None) -> dict[str, Any]:
    domain = body.domain if body and body.domain else ctx.host
    with ctx.work() as uow:
        created = new_challenge(uow, domain=domain, at=ctx.clock(), ttl=CHALLENGE_TTL)
    return {
        "challenge": created.value,
        "domain": created.domain,
        "expires": format_datetime(created.expires_at),
    }


@router.post(
    "/presentations/verify",
    summary="Verify a presentation signed over a fresh challenge (each challenge works once)",
)
def verify_presentation(body: VerifyPresentationBody, ctx: Ctx) -> JSONResponse:
    options = body.options
    with ctx.work() as uow:  # consumed and committed first: a replay finds it used
        consumed = consume_challenge(uow, options.challenge, at=ctx.clock())
    answered = check_challenge(consumed, domain=options.domain)
    presentation = body.verifiablePresentation
    with ctx.work() as uow:
        resolver, lists = verifier_inputs(ctx, uow, presentation)
    report = check_presentation(
        Verifier(resolver), presentation, challenge=answered, at=ctx.clock(), status_lists=lists
    )
    return _verified(report)
