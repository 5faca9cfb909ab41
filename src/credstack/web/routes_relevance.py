"""The console's relevance page (``/console/{slug}/relevance``): for each achievement, how
many current job postings ask for its skills, the monthly trend (a table and a small SVG
line with a text alternative) and the flags — declining skills, and skills postings now pair
with the achievement's.  Any member of the organisation may see it; the figures come from
the deployment's posting pool as stored (nothing is mapped here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from credstack.api.routes_relevance import relevance_store
from credstack.platform.accounts import Action
from credstack.platform.domain import AchievementVersion
from credstack.platform.relevance import organisation_relevance
from credstack.platform.vcapi import is_placeholder
from credstack.relevance.figures import AchievementFigures, Trend
from credstack.web.core import WebDep
from credstack.web.routes_console import _member, _page, _staff

router = APIRouter(prefix="/console", include_in_schema=False)

WINDOWS = (30, 90, 180, 365)
MONTHS = 12
SPARK_WIDTH = 120
SPARK_HEIGHT = 32


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


@router.get("/{slug}/relevance", response_class=HTMLResponse)
def relevance_page(
    slug: str,
    web: WebDep,
    window: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> Response:
    principal = _staff(web)
    store = relevance_store(web.request.app)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        kept: dict[str, AchievementVersion] = {}

        def include(version: AchievementVersion) -> bool:
            if is_placeholder(version, web.ctx.base_url, m.org):
                return False
            kept[version.achievement_id] = version
            return True

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
    }
    return _page(web, m, "console/relevance.html", context)
