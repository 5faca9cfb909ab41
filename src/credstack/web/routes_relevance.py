"""The console's relevance page (``/console/{slug}/relevance``): for each achievement, how
many current job postings ask for its skills, the monthly trend (a table and a small SVG
line with a text alternative) and the flags — declining skills, and skills postings now pair
with the achievement's.  Any member of the organisation may see it; the figures come from
the deployment's posting pool as stored (showing them maps nothing).

Issuers and owners may also upload a file of postings on the page (``POST``): the same
import, limits and skills matcher as ``POST /orgs/{slug}/postings``, then a summary of the
upload above the refreshed figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from credstack.api.routes_relevance import MAX_UPLOAD_BYTES, MAX_UPLOAD_POSTINGS, relevance_store
from credstack.errors import InvalidInput
from credstack.platform.accounts import Action
from credstack.platform.domain import AchievementVersion
from credstack.platform.relevance import ImportReport, import_postings, organisation_relevance
from credstack.platform.vcapi import is_placeholder
from credstack.relevance.figures import AchievementFigures, Trend
from credstack.skills.service import SkillsService
from credstack.web.core import Web, WebDep, form, upload_bytes
from credstack.web.routes_console import Member, _member, _page, _staff

router = APIRouter(prefix="/console", include_in_schema=False)

WINDOWS = (30, 90, 180, 365)
MONTHS = 12
SPARK_WIDTH = 120
SPARK_HEIGHT = 32
NO_MATCHER = (
    "No skills service is configured on this server, so uploaded postings cannot be mapped to "
    "skills and imported here. A check-only (dry run) upload still checks a file."
)
TOO_BIG = (
    f"The file is over {MAX_UPLOAD_BYTES // 1_048_576} MB, the limit for an upload here; "
    "nothing was imported. Split it, or have an operator import it with "
    "credstack postings import."
)


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: str  # SVG polyline points
    text: str  # its text alternative


def change_words(trend: Trend) -> str:
    """The change per month, e.g. ``−16.6 % a month``."""
    return f"{trend.percent_per_month:+.1f} % a month".replace("-", "−")


def trend_words(trend: Trend) -> str:
    """The trend in words: direction and the change per month."""
    if trend.direction == "too-few":
        return f"too few postings to tell ({trend.total} in the months shown)"
    return f"{trend.direction} ({change_words(trend)})"


def sparkline(figures: AchievementFigures) -> Sparkline:
    counts = figures.monthly
    top = max(counts, default=0)
    step = SPARK_WIDTH / max(len(counts) - 1, 1)
    usable = SPARK_HEIGHT - 4
    points = " ".join(
        f"{round(i * step, 1)},{round(SPARK_HEIGHT - 2 - (c / top if top else 0) * usable, 1)}"
        for i, c in enumerate(counts)
    )
    first, last = figures.months[0], figures.months[-1]
    text = (
        f"Postings asking for its skills each month from {first:%B %Y} to {last:%B %Y}: "
        f"{', '.join(str(c) for c in counts)}. Trend: {trend_words(figures.trend)}."
    )
    return Sparkline(points, text)


@dataclass(frozen=True, slots=True)
class Row:
    figures: AchievementFigures
    uuid: str
    status: str
    spark: Sparkline


def _row(version: AchievementVersion, figures: AchievementFigures) -> Row:
    return Row(
        figures,
        version.achievement_id.rsplit("/", 1)[-1],
        version.status.value,
        sparkline(figures),
    )


def _skills(web: Web) -> SkillsService | None:
    """The application's skills service, when one is configured (as ``credstack serve``
    does); the page never builds one itself."""
    service = getattr(web.request.app.state, "skills", None)
    return service if isinstance(service, SkillsService) else None


def _relevance(
    web: Web, m: Member, window: int, extra: dict[str, object], *, status: int = 200
) -> Response:
    store = relevance_store(web.request.app)
    kept: dict[str, AchievementVersion] = {}

    def include(version: AchievementVersion) -> bool:
        if is_placeholder(version, web.ctx.base_url, m.org):
            return False
        kept[version.achievement_id] = version
        return True

    with web.ctx.work() as uow:
        figures = organisation_relevance(
            uow, store, m.org, at=web.now, window_days=window, months=MONTHS, include=include
        )
    context = {
        "rows": [_row(kept[f.achievement_id], f) for f in figures],
        "pool": store.stats(),
        "window": window,
        "windows": sorted({*WINDOWS, window}),
        "trend_words": trend_words,
        "change_words": change_words,
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
        "matcher_missing": _skills(web) is None,
        "max_upload_mb": MAX_UPLOAD_BYTES // 1_048_576,
        "max_upload_postings": MAX_UPLOAD_POSTINGS,
        "report": None,
        "upload_error": None,
        "dry_run": False,
        **extra,
    }
    return _page(web, m, "console/relevance.html", context, status=status)


@router.get("/{slug}/relevance", response_class=HTMLResponse)
def relevance_page(
    slug: str,
    web: WebDep,
    window: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
    return _relevance(web, m, window, {})


@router.post("/{slug}/relevance", response_class=HTMLResponse)
async def upload_postings(slug: str, web: WebDep) -> Response:
    """Import an uploaded file of postings (or only check it), then show what happened."""
    principal = _staff(web)

    def authorise() -> Member:  # before a byte of the upload is read
        with web.ctx.work() as uow:
            return _member(web, uow, principal, slug, Action.ISSUE)

    m = await run_in_threadpool(authorise)
    data = await form(web, max_bytes=web.ctx.limits.form_upload_bytes, max_files=1)
    problem: str | None = None
    try:
        dry_run = data.get("dry_run") == "yes"
        try:
            content = await upload_bytes(data, "file", max_bytes=MAX_UPLOAD_BYTES)
        except InvalidInput:
            content, problem = None, TOO_BIG
    finally:
        await data.close()
    matcher = None if dry_run else _skills(web)
    if content is None:
        problem = problem or "Choose a file of postings to upload."
    elif not dry_run and matcher is None:
        problem = NO_MATCHER
    if content is None or problem is not None:
        extra: dict[str, object] = {"upload_error": problem, "dry_run": dry_run}
        return await run_in_threadpool(_relevance, web, m, 90, extra, status=400)

    def run() -> ImportReport:
        return import_postings(
            relevance_store(web.request.app),
            matcher,
            content,
            at=web.now,
            imported_by=f"org:{m.org.slug}",
            dry_run=dry_run,
            max_postings=MAX_UPLOAD_POSTINGS,
            max_bytes=MAX_UPLOAD_BYTES,
        )

    try:
        report = await run_in_threadpool(run)
    except InvalidInput as exc:
        extra = {
            "upload_error": f"The file could not be read: {exc.message.rstrip('.')}. "
            "Nothing was imported.",
            "dry_run": dry_run,
        }
        return await run_in_threadpool(_relevance, web, m, 90, extra, status=400)
    return await run_in_threadpool(_relevance, web, m, 90, {"report": report, "dry_run": dry_run})
