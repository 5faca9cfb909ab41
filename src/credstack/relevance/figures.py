"""Demand for an achievement's skills in job postings: current count, monthly trend, flags.

Pure: it takes the mapped postings (their day and skill URIs) and the time, and computes.

* **current** — postings of the last ``window_days`` days (up to and including the day of
  ``at``) that ask for at least one of the achievement's skills;
* **monthly** — the same count for each of the last ``months`` *complete* calendar months
  (the running month is left out: a part month would always look like a fall);
* **trend** (:func:`trend`) — the least-squares line through the monthly counts.  Its slope,
  divided by the mean count, is the relative change per month.  A series is **declining**
  when that change is at most −3 % a month, the fall is at least 2.5 times its standard
  error (t ≤ −2.5, so noise in small counts seldom raises the flag: about 1.5 % of steady
  series of 100–300 postings a year, in simulation) and the months hold at least
  :data:`MIN_TREND_POSTINGS` postings; **rising** is the mirror; otherwise **steady**, or
  **too few postings** under the minimum;
* **paired skills** — "postings now pair these skills with yours": skills not aligned to the
  achievement that appear in at least :data:`PAIR_SHARE` of the current postings asking for
  its skills, and in at least :data:`MIN_PAIR_POSTINGS` of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from credstack.errors import InvalidInput

__all__ = [
    "DECLINE_PER_MONTH",
    "MIN_PAIR_POSTINGS",
    "MIN_TREND_POSTINGS",
    "PAIR_SHARE",
    "AchievementFigures",
    "Pairing",
    "PostingSkills",
    "SkillFigures",
    "Trend",
    "achievement_figures",
    "month_starts",
    "trend",
    "window_start",
]

DECLINE_PER_MONTH: Final = 0.03
T_THRESHOLD: Final = 2.5
MIN_TREND_POSTINGS: Final = 24
PAIR_SHARE: Final = 0.3
MIN_PAIR_POSTINGS: Final = 3
MAX_PAIRINGS: Final = 8
MAX_WINDOW_DAYS: Final = 3660
MAX_MONTHS: Final = 60

Direction = Literal["declining", "rising", "steady", "too-few"]


@dataclass(frozen=True, slots=True)
class PostingSkills:
    """A mapped posting as the figures see it: its day and its skills."""

    key: str
    posted_on: date
    skills: frozenset[str]


@dataclass(frozen=True, slots=True)
class Trend:
    """The least-squares line through monthly counts (``slope`` in postings per month)."""

    direction: Direction
    total: int
    slope: float
    relative: float  # slope ÷ mean count: the change per month as a share
    t: float | None  # slope ÷ its standard error (None when the fit is exact or too short)

    @property
    def percent_per_month(self) -> float:
        return round(self.relative * 100, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "postings": self.total,
            "slopePerMonth": round(self.slope, 4),
            "changePerMonth": round(self.relative, 4),
            "t": None if self.t is None else round(self.t, 2),
        }


def trend(counts: Sequence[int], *, min_total: int = MIN_TREND_POSTINGS) -> Trend:
    """The trend of ``counts`` (oldest first), as the module docstring defines it."""
    n = len(counts)
    total = sum(counts)
    if n < 3 or total == 0:
        return Trend("too-few", total, 0.0, 0.0, None)
    mean_x = (n - 1) / 2
    mean_y = total / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(counts)) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in enumerate(counts))
    error = math.sqrt(residual / (n - 2) / sxx)
    if error > 0:
        t: float | None = slope / error
    else:
        t = None if slope == 0 else math.copysign(math.inf, slope)
    relative = slope / mean_y
    direction: Direction = "steady"
    if total < min_total:
        direction = "too-few"
    elif t is not None and relative <= -DECLINE_PER_MONTH and t <= -T_THRESHOLD:
        direction = "declining"
    elif t is not None and relative >= DECLINE_PER_MONTH and t >= T_THRESHOLD:
        direction = "rising"
    return Trend(direction, total, slope, relative, t)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the ``months`` complete months before ``today``'s month."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"months must be from 1 to {MAX_MONTHS}")
    year, month = today.year, today.month
    out: list[date] = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(date(year, month, 1))
    return out[::-1]


def window_start(today: date, window_days: int) -> date:
    """The first day of a window of ``window_days`` days ending with ``today``."""
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput(f"the window must be from 1 to {MAX_WINDOW_DAYS} days")
    return today - timedelta(days=window_days - 1)


def _monthly(postings: Iterable[PostingSkills], starts: Sequence[date]) -> list[int]:
    index = {(d.year, d.month): i for i, d in enumerate(starts)}
    counts = [0] * len(starts)
    for p in postings:
        slot = index.get((p.posted_on.year, p.posted_on.month))
        if slot is not None:
            counts[slot] += 1
    return counts


@dataclass(frozen=True, slots=True)
class SkillFigures:
    """One aligned skill: its current postings, monthly counts and trend."""

    uri: str
    name: str
    current: int
    monthly: list[int]
    trend: Trend

    def to_json(self) -> dict[str, Any]:
        return {
            "skill": {"url": self.uri, "name": self.name},
            "currentPostings": self.current,
            "monthly": self.monthly,
            "trend": self.trend.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Pairing:
    """A skill postings pair with the achievement's, in ``count`` (``share``) of them."""

    uri: str
    name: str
    count: int
    share: float

    def to_json(self) -> dict[str, Any]:
        return {
            "skill": {"url": self.uri, "name": self.name},
            "postings": self.count,
            "share": round(self.share, 4),
        }


@dataclass(frozen=True, slots=True)
class AchievementFigures:
    """Demand for one achievement's skills (see the module docstring)."""

    achievement_id: str
    name: str
    at: date
    window_days: int
    window_from: date
    months: list[date]
    current: int  # current postings asking for at least one of its skills
    pool_current: int  # every mapped posting in the window (for scale)
    monthly: list[int]
    trend: Trend
    skills: list[SkillFigures] = field(default_factory=list)
    paired: list[Pairing] = field(default_factory=list)

    @property
    def declining(self) -> bool:
        return self.trend.direction == "declining"

    @property
    def declining_skills(self) -> list[SkillFigures]:
        return [s for s in self.skills if s.trend.direction == "declining"]

    @property
    def has_skills(self) -> bool:
        return bool(self.skills)

    def to_json(self) -> dict[str, Any]:
        return {
            "achievement": {"id": self.achievement_id, "name": self.name},
            "at": self.at.isoformat(),
            "window": {"days": self.window_days, "from": self.window_from.isoformat()},
            "currentPostings": self.current,
            "poolCurrentPostings": self.pool_current,
            "months": [m.strftime("%Y-%m") for m in self.months],
            "monthly": self.monthly,
            "trend": self.trend.to_json(),
            "flags": {
                "declining": self.declining,
                "decliningSkills": [{"url": s.uri, "name": s.name} for s in self.declining_skills],
                "pairedSkills": [p.to_json() for p in self.paired],
            },
            "skills": [s.to_json() for s in self.skills],
        }


def achievement_figures(
    achievement_id: str,
    name: str,
    skills: Sequence[tuple[str, str]],
    postings: Iterable[PostingSkills],
    *,
    at: datetime | date,
    window_days: int = 90,
    months: int = 12,
    pool_current: int = 0,
    label: Callable[[str], str] = str,
) -> AchievementFigures:
    """The figures of an achievement aligned to ``skills`` ((URI, name) pairs) over
    ``postings`` (any subset holding every posting that names one of them); ``label`` names
    paired skills."""
    today = at.date() if isinstance(at, datetime) else at
    starts = month_starts(today, months)
    since = window_start(today, window_days)
    uris = dict(skills)
    asking = [p for p in postings if p.skills & uris.keys()]
    current = [p for p in asking if since <= p.posted_on <= today]
    per_skill: list[SkillFigures] = []
    for uri, skill_name in uris.items():
        having = [p for p in asking if uri in p.skills]
        monthly = _monthly(having, starts)
        per_skill.append(
            SkillFigures(
                uri,
                skill_name,
                sum(1 for p in current if uri in p.skills),
                monthly,
                trend(monthly),
            )
        )
    monthly = _monthly(asking, starts)
    together: Counter[str] = Counter()
    for p in current:
        together.update(p.skills - uris.keys())
    paired = [
        Pairing(uri, label(uri), count, count / len(current))
        for uri, count in together.items()
        if count >= MIN_PAIR_POSTINGS and count / len(current) >= PAIR_SHARE
    ]
    paired.sort(key=lambda p: (-p.count, p.name, p.uri))
    return AchievementFigures(
        achievement_id=achievement_id,
        name=name,
        at=today,
        window_days=window_days,
        window_from=since,
        months=starts,
        current=len(current),
        pool_current=pool_current,
        monthly=monthly,
        trend=trend(monthly),
        skills=per_skill,
        paired=paired[:MAX_PAIRINGS],
    )
