"""Learning-path planner: exact optimum (checked against brute force), prerequisites, quality,
currencies, explanations and the JSON answer."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credstack.errors import InvalidInput
from credstack.skills.catalog import Achievement, Catalog
from credstack.skills.planner import plan_path


def item(
    ident: str,
    skills: Iterable[str],
    hours: float = 1,
    price: float = 0,
    prereqs: Iterable[str] = (),
    currency: str | None = "EUR",
    quality: float | None = None,
    name: str | None = None,
) -> Achievement:
    return Achievement(
        id=ident,
        name=name or f"Course {ident}",
        skills=tuple(skills),
        hours=hours,
        price=price,
        issuer="Example Academy",
        prerequisites=tuple(prereqs),
        currency=currency,
        quality=quality,
    )


def test_plan_path_beats_greedy_on_classic_set_cover_trap() -> None:
    catalog = Catalog.of(
        [
            item("x", ["s1", "s2"], hours=1),
            item("y", ["s3", "s4"], hours=1),
            item("z", ["s1", "s2", "s3"], hours=1.4),
        ]
    )
    result = plan_path(catalog, ["s1", "s2", "s3", "s4"])
    assert set(result.plan) == {"x", "y"}
    assert result.total == 2
    assert result.optimal is True
    assert result.greedy_total == pytest.approx(2.4)  # z first (best ratio), then y


def test_plan_path_puts_prerequisites_first_even_when_they_teach_nothing_needed() -> None:
    catalog = Catalog.of(
        [
            item("adv", ["s1"], hours=2, prereqs=["mid"]),
            item("mid", ["other"], hours=3, prereqs=["intro"]),
            item("intro", [], hours=1),
            item("alt", ["s1"], hours=10),
        ]
    )
    result = plan_path(catalog, ["s1"])
    assert result.plan == ("intro", "mid", "adv")
    assert result.total_hours == 6
    assert result.steps[0].explanation == "needed before Course mid"
    assert result.steps[2].explanation == 'covers "s1"'


def test_plan_path_completed_achievement_satisfies_prerequisite() -> None:
    catalog = Catalog.of(
        [item("adv", ["s1"], hours=2, prereqs=["intro"]), item("intro", ["s0"], hours=50)]
    )
    result = plan_path(catalog, ["s0", "s1"], have_achievements=["intro", "not-in-catalog"])
    assert result.plan == ("adv",)
    assert result.covered == ("s1",)


def test_plan_path_reports_skills_no_item_teaches() -> None:
    catalog = Catalog.of([item("a", ["s1"])])
    result = plan_path(catalog, ["s1", "s9", "s8"])
    assert result.plan == ("a",)
    assert result.covered == ("s1",)
    assert result.uncovered == ("s8", "s9")
    assert result.optimal is True


def test_plan_path_nothing_teachable_gives_empty_plan() -> None:
    result = plan_path(Catalog.of([item("a", ["s1"])]), ["s7"])
    assert result.plan == ()
    assert result.uncovered == ("s7",)
    assert result.total == 0


def test_plan_path_held_skills_leave_the_gap() -> None:
    catalog = Catalog.of([item("a", ["s1", "s2"], hours=5), item("b", ["s2"], hours=1)])
    result = plan_path(catalog, ["s1", "s2"], have=["s1"])
    assert result.plan == ("b",)
    assert result.covered == ("s2",)


def test_plan_path_empty_gap_is_an_empty_optimal_plan() -> None:
    result = plan_path(Catalog.of([item("a", ["s1"])]), ["s1"], have=["s1"])
    assert result.plan == ()
    assert result.covered == result.uncovered == ()
    assert result.optimal is True
    assert result.greedy_total == 0


def test_plan_path_objective_changes_the_choice() -> None:
    catalog = Catalog.of(
        [item("quick", ["s1"], hours=2, price=500), item("cheap", ["s1"], hours=40, price=20)]
    )
    assert plan_path(catalog, ["s1"], objective="hours").plan == ("quick",)
    by_price = plan_path(catalog, ["s1"], objective="price")
    assert by_price.plan == ("cheap",)
    assert by_price.total == 20
    assert by_price.total_price == 20
    assert by_price.currency == "EUR"


def test_plan_path_mixed_currencies_refused_for_price() -> None:
    catalog = Catalog.of(
        [item("a", ["s1"], price=5, currency="EUR"), item("b", ["s2"], price=5, currency="USD")]
    )
    with pytest.raises(InvalidInput, match="priced in EUR, USD"):
        plan_path(catalog, ["s1", "s2"], objective="price")
    by_hours = plan_path(catalog, ["s1", "s2"], objective="hours")
    assert by_hours.total_price is None
    assert by_hours.currency is None


def test_plan_path_mixed_currencies_outside_the_gap_are_fine() -> None:
    catalog = Catalog.of(
        [item("a", ["s1"], price=5, currency="EUR"), item("b", ["s2"], price=5, currency="USD")]
    )
    result = plan_path(catalog, ["s1"], objective="price")
    assert result.currency == "EUR"


def test_plan_path_min_quality_prefers_good_items() -> None:
    catalog = Catalog.of(
        [
            item("cheap-poor", ["s1"], hours=1, quality=0.3),
            item("dear-good", ["s1"], hours=9, quality=0.9),
            item("unrated", ["s1"], hours=2),
        ]
    )
    assert plan_path(catalog, ["s1"]).plan == ("cheap-poor",)
    assert plan_path(catalog, ["s1"], min_quality=0.8).plan == ("dear-good",)


def test_plan_path_min_quality_falls_back_when_nothing_good_teaches_a_skill() -> None:
    catalog = Catalog.of(
        [item("poor", ["s2"], hours=1, quality=0.2), item("good", ["s1"], hours=1, quality=0.9)]
    )
    result = plan_path(catalog, ["s1", "s2"], min_quality=0.8)
    assert set(result.plan) == {"poor", "good"}
    assert result.uncovered == ()


def test_plan_path_min_quality_keeps_prerequisites_of_good_items() -> None:
    catalog = Catalog.of(
        [
            item("good", ["s1"], hours=1, quality=0.9, prereqs=["intro"]),
            item("intro", [], hours=1, quality=0.1),
        ]
    )
    assert plan_path(catalog, ["s1"], min_quality=0.8).plan == ("intro", "good")


def test_plan_path_required_achievements_are_in_the_plan() -> None:
    catalog = Catalog.of(
        [
            item("a", ["s1"], hours=1),
            item("capstone", ["s1"], hours=9, prereqs=["base"]),
            item("base", [], hours=2),
        ]
    )
    result = plan_path(catalog, ["s1"], require=["capstone"])
    assert result.plan == ("base", "capstone")
    assert result.steps[1].explanation == 'covers "s1"; required for the qualification'


def test_plan_path_unknown_required_achievement_rejected() -> None:
    with pytest.raises(InvalidInput, match="required achievement not in the catalog: nope"):
        plan_path(Catalog.of([item("a", ["s1"])]), ["s1"], require=["nope"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "days"}, "objective must be hours or price"),
        ({"min_quality": 1.5}, "min_quality must be from 0 to 1"),
        ({"time_limit": 0}, "time_limit must be positive"),
    ],
)
def test_plan_path_bad_options_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        plan_path(Catalog.of([item("a", ["s1"])]), ["s1"], **kwargs)  # type: ignore[arg-type]


def test_plan_path_explains_with_labels_and_dependants() -> None:
    catalog = Catalog.of(
        [
            item("intro", ["s1", "s2"], hours=1, name="Intro"),
            item("next", ["s3"], hours=1, prereqs=["intro"], name="Next"),
            item("last", ["s4"], hours=1, prereqs=["intro"], name="Last"),
        ]
    )
    labels = {"s1": "budgeting", "s2": "accounting", "s3": "auditing"}
    result = plan_path(catalog, ["s1", "s2", "s3", "s4"], label=labels)
    first = result.steps[0]
    assert first.id == "intro"
    assert first.explanation == 'covers "budgeting" and "accounting"; needed before Last and Next'
    assert first.needed_before == ("last", "next")
    assert result.steps[2].explanation == 'covers "auditing"'
    assert plan_path(catalog, ["s4"], label=str.upper).steps[1].explanation == 'covers "S4"'


def test_plan_result_json_has_the_issue_keys() -> None:
    catalog = Catalog.of([item("a", ["s1"], hours=3, price=7)])
    answer = plan_path(catalog, ["s1", "s2"]).to_json()
    assert set(answer) == {
        "plan",
        "steps",
        "objective",
        "total_hours",
        "total_price",
        "currency",
        "covered",
        "uncovered",
        "optimal",
        "greedy_total",
    }
    assert answer["plan"] == ["a"]
    assert answer["uncovered"] == ["s2"]
    assert answer["total_hours"] == 3
    assert answer["total_price"] == 7
    assert answer["steps"][0]["covers"] == ["s1"]


def test_plan_path_drops_free_items_the_plan_does_not_need() -> None:
    catalog = Catalog.of([item("a", ["s1"], hours=0), item("b", ["s1"], hours=0)])
    assert len(plan_path(catalog, ["s1"]).plan) == 1


# ---------------------------------------------------------------------- brute force


@st.composite
def instances(draw: st.DrawFn) -> tuple[Catalog, list[str], list[str], list[str], float | None]:
    n_skills = draw(st.integers(1, 6))
    skills = [f"s{k}" for k in range(n_skills)]
    n_items = draw(st.integers(1, 10))
    items = []
    for i in range(n_items):
        taught = draw(st.lists(st.sampled_from(skills), max_size=3, unique=True))
        prereqs = draw(st.lists(st.sampled_from(range(i)), max_size=2, unique=True)) if i else []
        items.append(
            item(
                f"i{i}",
                taught,
                hours=draw(st.integers(0, 20)),
                price=draw(st.integers(0, 20)),
                prereqs=[f"i{p}" for p in prereqs],
                quality=draw(st.one_of(st.none(), st.sampled_from([0.2, 0.5, 0.9]))),
            )
        )
    order = draw(st.permutations(items))
    need = draw(st.lists(st.sampled_from([*skills, "untaught"]), min_size=1, unique=True))
    have = draw(st.lists(st.sampled_from(skills), max_size=2, unique=True))
    done = draw(st.lists(st.sampled_from([i.id for i in items]), max_size=2, unique=True))
    quality = draw(st.one_of(st.none(), st.just(0.5)))
    return Catalog.of(order), need, have, done, quality


def brute_force(
    catalog: Catalog,
    need: list[str],
    have: list[str],
    done: list[str],
    objective: str,
    min_quality: float | None,
) -> tuple[float, set[str]]:
    """Cheapest subset satisfying coverage (with the quality rule) and prerequisite closure."""
    held_skills = set(have).union(*(catalog.get(d).skills for d in done))
    gap = {s for s in need if s not in held_skills}
    free = [i for i in catalog if i.id not in done]
    teachable = {s for s in gap if any(s in i.skills for i in free)}
    allowed: dict[str, set[str]] = {}
    for s in teachable:
        teachers = {i.id for i in free if s in i.skills}
        good = {
            t
            for t in teachers
            if min_quality is None
            or (catalog.get(t).quality is not None and catalog.get(t).quality >= min_quality)  # type: ignore[operator]
        }
        allowed[s] = good or teachers
    best = math.inf
    for size in range(len(free) + 1):
        for subset in itertools.combinations(free, size):
            chosen = {i.id for i in subset}
            if any(p not in chosen and p not in done for i in subset for p in i.prerequisites):
                continue
            if any(not (allowed[s] & chosen) for s in teachable):
                continue
            best = min(best, math.fsum(i.cost(objective) for i in subset))
    return best, teachable


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["hours", "price"]))
def test_plan_path_cost_equals_brute_force_optimum(
    instance: tuple[Catalog, list[str], list[str], list[str], float | None], objective: str
) -> None:
    catalog, need, have, done, quality = instance
    result = plan_path(
        catalog, need, have=have, have_achievements=done, objective=objective, min_quality=quality
    )
    optimum, teachable = brute_force(catalog, need, have, done, objective, quality)
    assert result.optimal is True
    assert result.total == pytest.approx(optimum)
    assert result.greedy_total >= optimum - 1e-9
    # feasible: prerequisites before their dependants, every teachable skill covered
    position = {k: n for n, k in enumerate(result.plan)}
    for k in result.plan:
        for p in catalog.get(k).prerequisites:
            assert p in done or position[p] < position[k]
    taught = set().union(*(catalog.get(k).skills for k in result.plan))
    assert teachable <= taught
    assert set(result.covered) == teachable
    # honest about the rest: uncovered is exactly what no (not yet completed) item teaches
    held = set(have).union(*(catalog.get(d).skills for d in done))
    gap = {s for s in need if s not in held}
    assert set(result.uncovered) == gap - teachable
    assert not set(result.plan) & set(done)
