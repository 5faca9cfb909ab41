"""Management API of one organisation: achievements, credentials, bulk jobs, keys, tokens,
members.  Who may do what: see :data:`credstack.platform.accounts.ROLE_ACTIONS`."""

from __future__ import annotations

import itertools
import logging
import tempfile
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from credstack.api import views
from credstack.api.context import AppContext, Bearer, Ctx, foreign_as_missing
from credstack.api.schemas import (
    IssueFromAchievement,
    NewMember,
    NewOrgToken,
    Revocation,
    Suspension,
)
from credstack.errors import CredstackError, InvalidInput, NotFound
from credstack.platform import accounts, achievements, bulk, bulkfile, issuance, translog
from credstack.platform.accounts import Action
from credstack.platform.domain import JobStatus, RowStatus
from credstack.platform.keys import rotate_key
from credstack.platform.notify import deliver_all
from credstack.platform.vcapi import is_placeholder

log = logging.getLogger("credstack.api")
router = APIRouter(prefix="/orgs/{slug}", tags=["management"])
_SPOOL_IN_MEMORY = 1_048_576


def _achievement_id(ctx: AppContext, slug: str, achievement_uuid: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/orgs/{slug}/achievements/{achievement_uuid}"


# ------------------------------------------------------------------ achievements


@router.post("/achievements", status_code=201, summary="Create an achievement (a draft)")
def create_achievement(
    slug: str, ctx: Ctx, credentials: Bearer, design: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        created = achievements.create_achievement(
            uow, org, design, base_url=ctx.base_url, at=ctx.clock()
        )
    return views.version(created)


@router.get("/achievements", summary="The latest version of each achievement")
def list_achievements(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        latest = uow.achievements.for_organisation(org.id)
        items = [views.version(v) for v in latest if not is_placeholder(v, ctx.base_url, org)]
    return {"items": items, "total": len(items)}


@router.get("/achievements/{achievement_uuid}", summary="Every version of one achievement")
def get_achievement(
    slug: str, achievement_uuid: str, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        versions = uow.achievements.versions(_achievement_id(ctx, slug, achievement_uuid))
        if not versions or versions[0].organisation_id != org.id:
            raise NotFound(f"no achievement {achievement_uuid}")
    return {"id": versions[0].achievement_id, "versions": [views.version(v) for v in versions]}


@router.post(
    "/achievements/{achievement_uuid}/versions",
    status_code=201,
    summary="Revise: a draft changes in place, a published achievement gets a new draft",
)
def revise_achievement(
    slug: str,
    achievement_uuid: str,
    ctx: Ctx,
    credentials: Bearer,
    design: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("achievement"):
            revised = achievements.revise(
                uow, org, _achievement_id(ctx, slug, achievement_uuid), design, at=ctx.clock()
            )
    return views.version(revised)


@router.get("/achievement-versions/{version_id}", summary="One achievement version")
def get_version(slug: str, version_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("achievement version"):
            found = achievements.get_version(uow, org, version_id)
    return views.version(found)


@router.get(
    "/achievement-versions/{version_id}/achievement",
    summary="The Open Badges 3.0 Achievement JSON of a version",
)
def render_version(slug: str, version_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("achievement version"):
            found = achievements.get_version(uow, org, version_id)
        return achievements.render_achievement(found, org)


@router.post("/achievement-versions/{version_id}/publish", summary="Publish a draft")
def publish_version(slug: str, version_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("achievement version"):
            published = achievements.publish(uow, org, version_id, at=ctx.clock())
    return views.version(published)


@router.post("/achievement-versions/{version_id}/retire", summary="Retire a version")
def retire_version(slug: str, version_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("achievement version"):
            retired = achievements.retire(uow, org, version_id, at=ctx.clock())
    return views.version(retired)


# ------------------------------------------------------------------ credentials


@router.post(
    "/credentials", status_code=201, summary="Issue one credential from an achievement version"
)
def issue_one(
    slug: str, body: IssueFromAchievement, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    for name in ("valid_from", "valid_until"):
        value = getattr(body, name)
        if value is not None and value.utcoffset() is None:
            raise InvalidInput(f"{name} needs a time zone offset")
    request = issuance.IssueRequest(
        email=body.email,
        did=body.did,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        narrative=body.narrative,
        evidence_url=body.evidence_url,
        idempotency_key=body.idempotency_key,
        result_value=body.result_value,
    )
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("achievement version"):
            version = achievements.issuable(uow, org, body.achievement_version_id)
        issued = issuance.Issuer(uow, ctx.custody, org, ctx.base_url).issue(
            version, request, at=ctx.clock()
        )
    return views.credential(issued, full=True)


@router.get("/credentials", summary="The organisation's credentials, newest first")
def list_credentials(
    slug: str,
    ctx: Ctx,
    credentials: Bearer,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    limit, offset = ctx.page(limit, offset)
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        items, total = uow.credentials.for_organisation(org.id, limit=limit, offset=offset)
    return {
        "items": [views.credential(c) for c in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/credentials/{credential_id}", summary="One credential with its signed JSON")
def get_credential(slug: str, credential_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("credential"):
            found = issuance.get_credential(uow, org, credential_id)
    return views.credential(found, full=True)


@router.get(
    "/credentials/{credential_id}/bundle",
    summary="An offline verification bundle: credential, DID document, status, log proofs",
)
def get_bundle(slug: str, credential_id: str, ctx: Ctx, credentials: Bearer) -> JSONResponse:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("credential"):
            found = issuance.get_credential(uow, org, credential_id)
        bundle = translog.credential_bundle(
            uow, ctx.custody, ctx.host, ctx.base_url, org, found, ctx.clock()
        )
    return JSONResponse(bundle.to_json())


@router.post("/credentials/{credential_id}/revoke", summary="Revoke (sets its status bit)")
def revoke_credential(
    slug: str, credential_id: str, ctx: Ctx, credentials: Bearer, body: Revocation | None = None
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("credential"):
            revoked = issuance.revoke(
                uow, org, credential_id, reason=body.reason if body else None, at=ctx.clock()
            )
    return views.credential(revoked)


@router.post(
    "/credentials/{credential_id}/suspend",
    summary="Suspend a credential of a suspendable achievement (sets its suspension bit)",
)
def suspend_credential(
    slug: str, credential_id: str, body: Suspension, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("credential"):
            suspended = issuance.suspend(
                uow, org, credential_id, reason=body.reason, at=ctx.clock()
            )
    return views.credential(suspended)


@router.post(
    "/credentials/{credential_id}/reinstate",
    summary="Lift a credential's suspension (clears its suspension bit)",
)
def reinstate_credential(
    slug: str, credential_id: str, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        with foreign_as_missing("credential"):
            reinstated = issuance.reinstate(uow, org, credential_id, at=ctx.clock())
    return views.credential(reinstated)


# ------------------------------------------------------------------ bulk jobs


def run_in_background(ctx: AppContext, organisation_id: str, job_id: str) -> None:
    """Run a job to the end; a failure is recorded on the job, never raised further."""
    try:
        done = bulk.run_job(
            ctx.database.unit_of_work,
            ctx.custody,
            organisation_id,
            job_id,
            base_url=ctx.base_url,
            clock=ctx.clock,
        )
        if ctx.mailer is not None:  # the job's claim e-mails, now that it has committed
            deliver_all(ctx.mailer, ctx.database.unit_of_work, clock=ctx.clock, at_least=done.total)
    except Exception as exc:
        message = exc.message if isinstance(exc, CredstackError) else "internal error"
        log.error(
            "job %s failed: %s", job_id, message, exc_info=not isinstance(exc, CredstackError)
        )
        try:
            with ctx.work() as uow:
                job = uow.jobs.get(job_id)
                if job is not None:
                    uow.jobs.update(
                        replace(
                            job, status=JobStatus.FAILED, finished_at=ctx.clock(), error=message
                        )
                    )
        except Exception:
            log.error("could not record the failure of job %s", job_id, exc_info=True)


@router.post(
    "/jobs",
    status_code=201,
    summary="Bulk issuance: the CSV / JSON Lines upload is the raw request body",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/jsonl": {"schema": {"type": "string"}},
            },
        }
    },
)
async def create_job(
    slug: str,
    request: Request,
    response: Response,
    ctx: Ctx,
    credentials: Bearer,
    version: Annotated[str, Query(max_length=64, description="the achievement version")],
    dry_run: bool = False,
    kind: Literal["csv", "jsonl"] | None = None,
) -> dict[str, Any]:
    def authorise() -> None:
        with ctx.work() as uow:
            _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
            with foreign_as_missing("achievement version"):
                achievements.issuable(uow, org, version)

    await run_in_threadpool(authorise)  # before a byte of the upload is read
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            await run_in_threadpool(spool.write, chunk)
        spool.seek(0)
        limit = ctx.limits.upload_bytes
        if dry_run:
            report = await run_in_threadpool(bulkfile.dry_run, spool, kind=kind, max_bytes=limit)
            response.status_code = 200  # nothing was created
            return _dry_run_table(report)

        def store() -> dict[str, Any]:
            with ctx.work() as uow:
                _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
                with foreign_as_missing("achievement version"):
                    job = bulk.create_job(
                        uow,
                        org,
                        version,
                        bulkfile.parse_bulk(spool, kind=kind, max_bytes=limit),
                        at=ctx.clock(),
                    )
            ctx.run_job(lambda: run_in_background(ctx, org.id, job.id))
            return views.job(job)

        return await run_in_threadpool(store)


def _dry_run_table(report: bulkfile.DryRunReport) -> dict[str, Any]:
    return {
        "dryRun": True,
        "kind": report.kind,
        "rows": report.rows,
        "valid": report.valid,
        "invalid": report.invalid,
        "fatal": report.fatal,
        "errors": [
            {
                "line": e.line,
                "column": e.column,
                "code": e.code,
                "message": e.message,
                "fatal": e.fatal,
            }
            for e in report.errors
        ],
        "errorsOmitted": report.errors_omitted,
        "preview": [
            {"line": r.line, "idempotencyKey": r.idempotency_key, "email": r.email, "did": r.did}
            for r in report.preview
        ],
    }


@router.get("/jobs/{job_id}", summary="A job's status and counts (its progress)")
def get_job(slug: str, job_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("job"):
            job = bulk.get_job(uow, org, job_id)
    return views.job(job)


@router.get("/jobs/{job_id}/rows", summary="A job's rows, e.g. ?status=invalid")
def job_rows(
    slug: str,
    job_id: str,
    ctx: Ctx,
    credentials: Bearer,
    status: Annotated[RowStatus | None, Query()] = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    limit, offset = ctx.page(limit, offset)
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("job"):
            bulk.get_job(uow, org, job_id)
        rows = uow.jobs.rows(job_id, status=status.value if status else None)
        items = [views.job_row(r) for r in itertools.islice(rows, offset, offset + limit)]
    return {"items": items, "limit": limit, "offset": offset}


# ------------------------------------------------------------------ keys, tokens, members


@router.post("/keys/rotate", summary="Retire the active signing key and activate a new one")
def rotate(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        new = rotate_key(uow, ctx.custody, org, ctx.clock())
    return views.key(new, org)


@router.get("/keys", summary="The organisation's signing keys (public parts)")
def list_keys(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        return {"items": [views.key(k, org) for k in uow.keys.for_organisation(org.id)]}


@router.post("/tokens", status_code=201, summary="A token of the caller bound to this organisation")
def create_org_token(slug: str, body: NewOrgToken, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        token, secret = accounts.create_token(
            uow,
            principal.user,
            at=ctx.clock(),
            lifetime=timedelta(days=body.expires_in_days),
            scopes=accounts.parse_scopes(body.scopes),
            organisation=org,
        )
    return views.token(token, secret)


@router.get("/tokens", summary="Tokens bound to this organisation (never their secrets)")
def list_org_tokens(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        items = []
        for m in uow.users.members(org.id):
            items += [t for t in uow.tokens.for_user(m.user_id) if t.organisation_id == org.id]
        items.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        return {"items": [views.token(t) for t in items]}


@router.delete("/tokens/{token_id}", summary="Revoke a token bound to this organisation")
def revoke_org_token(slug: str, token_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        token = accounts.revoke_token_by_id(uow, token_id, organisation=org, at=ctx.clock())
    return views.token(token)


@router.get("/members", summary="Who has which role here")
def list_members(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        items = []
        for m in uow.users.members(org.id):
            user = uow.users.get(m.user_id)
            if user is not None:
                items.append({"userId": user.id, "email": user.email, "role": m.role.value})
        return {"items": items}


@router.get("/jobs", summary="Bulk jobs of this organisation, newest first")
def list_jobs(slug: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        return {"items": [views.job(j) for j in uow.jobs.for_organisation(org.id)]}


@router.post("/members", status_code=201, summary="Give a staff user a role here")
def add_member(slug: str, body: NewMember, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.MANAGE)
        membership = accounts.add_member(uow, org, email=body.email, role=body.role)
    return {"userId": membership.user_id, "organisation": org.slug, "role": membership.role.value}
