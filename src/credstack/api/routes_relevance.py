"""Relevance over HTTP: import job postings into the deployment's pool, and read the demand
figures of an organisation's achievements (``docs/relevance.md``).

* ``POST /orgs/{slug}/postings`` — the raw body is a JSON Lines or CSV file of postings
  (issuers and owners of the organisation; the pool itself is deployment-wide, the
  organisation in the path is who vouches for the upload); ``?dry_run=true`` checks and
  counts without mapping or storing;
* ``GET /orgs/{slug}/relevance`` — every achievement's figures (any member);
* ``GET /orgs/{slug}/achievements/{achievement_uuid}/relevance`` — one achievement's.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from credstack.api.context import AppContext, Bearer, Ctx
from credstack.api.problems import problem_response
from credstack.api.routes_skills import _service as skills_service
from credstack.errors import NotFound
from credstack.platform.accounts import Action
from credstack.platform.relevance import (
    RelevanceStore,
    achievement_relevance,
    import_postings,
    organisation_relevance,
)
from credstack.platform.vcapi import is_placeholder

__all__ = ["MAX_UPLOAD_BYTES", "MAX_UPLOAD_POSTINGS", "relevance_store", "router"]

router = APIRouter(tags=["relevance"])

#: an upload through the API; bigger files go through ``credstack postings import``
MAX_UPLOAD_BYTES = 20 * 1_048_576
#: postings per upload (each new one is mapped before the answer: about 20–150 a second)
MAX_UPLOAD_POSTINGS = 2000
_lock = threading.Lock()

WindowDays = Annotated[int, Query(ge=1, le=3660, description="days of 'current' postings")]
Months = Annotated[int, Query(ge=3, le=60, description="complete months of the trend")]


def relevance_store(app: FastAPI) -> RelevanceStore:
    """The deployment's posting pool: in the SQL database, or in memory beside a memory
    database (made on first use, one per application)."""
    with _lock:
        found: RelevanceStore | None = getattr(app.state, "relevance", None)
        if found is None:
            ctx = app.state.credstack
            assert isinstance(ctx, AppContext)
            from credstack.storage.session import SqlDatabase

            if isinstance(ctx.database, SqlDatabase):
                from credstack.storage.relevance_sql import SqlRelevanceStore

                found = SqlRelevanceStore(ctx.database)
            else:
                from credstack.storage.relevance_memory import MemoryRelevanceStore

                found = MemoryRelevanceStore()
            app.state.relevance = found
        return found


@router.post(
    "/orgs/{slug}/postings",
    summary="Import job postings (JSON Lines or CSV as the raw body) into the deployment pool",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/jsonl": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_route(
    slug: str,
    request: Request,
    ctx: Ctx,
    credentials: Bearer,
    dry_run: bool = False,
    kind: Literal["csv", "jsonl"] | None = None,
) -> Any:
    def authorise() -> None:
        with ctx.work() as uow:
            ctx.member(uow, credentials, slug, Action.ISSUE)

    await run_in_threadpool(authorise)  # before a byte of the upload is read
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            return problem_response(
                413,
                f"the upload is over {MAX_UPLOAD_BYTES // 1_048_576} MB; import bigger files "
                "with `credstack postings import`",
                "INPUT_TOO_LARGE",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    store = relevance_store(request.app)
    matcher = None if dry_run else skills_service(request)

    def run() -> dict[str, Any]:
        report = import_postings(
            store,
            matcher,
            data,
            at=ctx.clock(),
            imported_by=f"org:{slug}",
            kind=kind,
            dry_run=dry_run,
            max_postings=MAX_UPLOAD_POSTINGS,
            max_bytes=MAX_UPLOAD_BYTES,
        )
        return {**report.to_json(), "pool": store.stats().to_json()}

    return JSONResponse(await run_in_threadpool(run))


@router.get("/orgs/{slug}/relevance", summary="Job-market demand for each achievement's skills")
def organisation_figures(
    slug: str,
    request: Request,
    ctx: Ctx,
    credentials: Bearer,
    window_days: WindowDays = 90,
    months: Months = 12,
) -> dict[str, Any]:
    store = relevance_store(request.app)
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        figures = organisation_relevance(
            uow,
            store,
            org,
            at=ctx.clock(),
            window_days=window_days,
            months=months,
            include=lambda v: not is_placeholder(v, ctx.base_url, org),
        )
    return {"pool": store.stats().to_json(), "achievements": [f.to_json() for f in figures]}


@router.get(
    "/orgs/{slug}/achievements/{achievement_uuid}/relevance",
    summary="Job-market demand for one achievement's skills",
)
def achievement_figures_route(
    slug: str,
    achievement_uuid: str,
    request: Request,
    ctx: Ctx,
    credentials: Bearer,
    window_days: WindowDays = 90,
    months: Months = 12,
) -> dict[str, Any]:
    store = relevance_store(request.app)
    achievement_id = f"{ctx.base_url.rstrip('/')}/orgs/{slug}/achievements/{achievement_uuid}"
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        versions = uow.achievements.versions(achievement_id)
        if not versions or versions[0].organisation_id != org.id:
            raise NotFound(f"no achievement {achievement_uuid}")
    [figures] = achievement_relevance(
        store, [versions[-1]], at=ctx.clock(), window_days=window_days, months=months
    )
    return {"pool": store.stats().to_json(), **figures.to_json()}
