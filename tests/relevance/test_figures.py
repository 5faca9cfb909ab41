"""Trend test, per-achievement figures and flags on crafted postings with a known decline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from credstack.errors import InvalidInput
from credstack.relevance.figures import (
    PostingSkills,
    achievement_figures,
    month_starts,
    trend,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COBOL, SQL, PYTHON, DOCKER, EXCEL = (
    "urn:skill:cobol",
    "urn:skill:sql",
    "urn:skill:python",
    "urn:skill:docker",
    "urn:skill:excel",
)


def test_trend_directions() -> None:
    assert trend([10, 9, 8, 7, 6, 5, 4, 3, 3, 2, 2, 1]).direction == "declining"
    assert trend([1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]).direction == "rising"
    assert trend([5, 6, 4, 5, 6, 5, 4, 6, 5, 5, 4, 6]).direction == "steady"
    few = trend([3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    assert few.direction == "too-few"  # 11 postings: under the minimum of 24
    assert trend([]).direction == "too-few"
    assert trend([0] * 12).direction == "too-few"


def test_a_noisy_small_fall_is_not_a_decline() -> None:
    noisy = trend([9, 2, 8, 3, 9, 1, 7, 2, 8, 1, 7, 2])  # falls a little, mostly noise
    assert noisy.relative < 0
    assert noisy.t is not None
    assert noisy.t > -2
    assert noisy.direction == "steady"


def test_trend_slope_and_relative_change() -> None:
    exact = trend([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    assert exact.slope == pytest.approx(-1.0)
    assert exact.relative == pytest.approx(-1.0 / 6.5)
    assert exact.t == float("-inf")  # a perfect line: no error at all
    assert exact.direction == "declining"
    assert exact.percent_per_month == pytest.approx(-15.4)


def test_month_starts_are_complete_months_before_today() -> None:
    starts = month_starts(date(2026, 3, 15), 4)
    assert starts == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    with pytest.raises(InvalidInput):
        month_starts(date(2026, 3, 15), 0)


def _crafted() -> list[PostingSkills]:
    """12 months (Nov 2025 – Oct 2026): COBOL falls from 12 to 1 a month; SQL steady at 6
    a month; Python rising; the last month's COBOL postings all ask for Docker too."""
    postings: list[PostingSkills] = []
    n = 0
    for index, start in enumerate(month_starts(AT.date(), 12)):
        for _ in range(12 - index):
            n += 1
            skills = {COBOL}
            if start.month in (9, 10):
                skills.add(DOCKER)
            postings.append(PostingSkills(f"p{n}", start.replace(day=10), frozenset(skills)))
        for k in range(6):
            n += 1
            skills = {SQL, EXCEL} if k == 0 else {SQL}
            postings.append(PostingSkills(f"p{n}", start.replace(day=12), frozenset(skills)))
        for _ in range(1 + index):
            n += 1
            postings.append(PostingSkills(f"p{n}", start.replace(day=15), frozenset({PYTHON})))
    # inside the 90-day window but in the running month: counts as current, not in the trend
    postings.append(PostingSkills("now", date(2026, 11, 1), frozenset({COBOL, DOCKER})))
    return postings


def test_figures_flag_the_declining_skill_and_the_paired_one() -> None:
    labels = {DOCKER: "use Docker", EXCEL: "use spreadsheets software"}
    figures = achievement_figures(
        "https://x.example/orgs/o/achievements/1",
        "Mainframe basics",
        [(COBOL, "COBOL"), (SQL, "SQL")],
        _crafted(),
        at=AT,
        window_days=90,
        pool_current=99,
        label=lambda uri: labels.get(uri, uri),
    )
    assert figures.months[0] == date(2025, 11, 1)
    assert figures.months[-1] == date(2026, 10, 1)
    cobol, sql = figures.skills
    assert cobol.monthly == [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert cobol.trend.direction == "declining"
    assert sql.monthly == [6] * 12
    assert sql.trend.direction == "steady"
    assert [s.uri for s in figures.declining_skills] == [COBOL]
    # any-of-its-skills: 18..7 a month, falling ~5 % of the mean a month
    assert figures.monthly == [c + 6 for c in cobol.monthly]
    assert figures.trend.direction == "declining"
    assert figures.declining
    # window: 2026-08-05 .. 2026-11-02 → Aug, Sep, Oct postings plus the one of November
    assert figures.window_from == date(2026, 8, 5)
    assert figures.current == (3 + 6) + (2 + 6) + (1 + 6) + 1
    assert cobol.current == 3 + 2 + 1 + 1
    assert figures.pool_current == 99
    # Docker: in Sep (2) + Oct (1) + Nov (1) = 4 of 25 current postings → 16 %, under 30 %
    assert figures.paired == []


def test_pairing_needs_the_share_and_the_minimum() -> None:
    figures = achievement_figures(
        "a",
        "Cobol only",
        [(COBOL, "COBOL")],
        _crafted(),
        at=AT,
        window_days=90,
        label={DOCKER: "use Docker"}.get,  # type: ignore[arg-type]
    )
    # current COBOL postings: Aug 3, Sep 2, Oct 1, Nov 1 = 7; Docker in 4 of them (57 %)
    assert figures.current == 7
    [paired] = figures.paired
    assert (paired.uri, paired.name, paired.count) == (DOCKER, "use Docker", 4)
    assert paired.share == pytest.approx(4 / 7)
    document = figures.to_json()
    assert document["flags"]["pairedSkills"][0]["skill"]["name"] == "use Docker"
    assert document["flags"]["decliningSkills"] == [{"url": COBOL, "name": "COBOL"}]
    assert document["currentPostings"] == 7


def test_an_achievement_without_skills_or_postings() -> None:
    empty = achievement_figures("a", "Nothing aligned", [], _crafted(), at=AT)
    assert not empty.has_skills
    assert empty.current == 0
    assert empty.trend.direction == "too-few"
    lonely = achievement_figures("b", "Unasked", [("urn:skill:none", "none")], _crafted(), at=AT)
    assert lonely.current == 0
    assert lonely.monthly == [0] * 12
    assert lonely.skills[0].trend.direction == "too-few"
    assert lonely.paired == []
