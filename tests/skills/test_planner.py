"""Learning-path planner: exact optimum (checked against brute force), prerequisites, quality,
currencies, explanations and the JSON answer."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from credstack.errors import InvalidInput
from credstack.skills.catalog import Achievement, Catalog
from credstack.skills.pathways import (
    AllOf,
    AnyOf,
    AtLeast,
    Earned,
    Node,
    Pathway,
    evaluate,
    parse_pathway,
)
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


# ---------------------------------------------------------------------- pathways


def course(
    ident: str,
    hours: float = 1,
    ects: float | None = None,
    prereqs: Iterable[str] = (),
    skills: Iterable[str] = (),
) -> Achievement:
    return Achievement(
        id=ident,
        name=f"Course {ident}",
        skills=tuple(skills),
        hours=hours,
        price=hours * 10,
        issuer="Example Academy",
        prerequisites=tuple(prereqs),
        currency="EUR",
        ects=ects,
    )


def pathway_of(rule: dict[str, Any], name: str = "Data Certificate") -> Pathway:
    return parse_pathway({"version": 1, "id": "urn:pathway:test", "name": name, "rule": rule})


def leaves(*ids: str) -> list[dict[str, Any]]:
    return [{"achievement": i} for i in ids]


def rule_met(pathway: Pathway, catalog: Catalog, held: Iterable[str], order: Iterable[str]) -> bool:
    """The pathway evaluator: held achievements at time 0, the plan at times 1, 2, …"""
    earned = [earned_of(catalog, a, 0.0) for a in held]
    earned += [earned_of(catalog, a, float(n)) for n, a in enumerate(order, start=1)]
    return evaluate(pathway, earned).satisfied


def earned_of(catalog: Catalog, ident: str, when: float) -> Earned:
    known = catalog.items.get(ident)
    return Earned(
        achievement_id=ident,
        credential_id=f"{ident}@{when}",
        awarded_ts=when,
        ects=None if known is None else known.ects,
        hours=None if known is None else known.hours,
    )


def test_plan_path_pathway_at_least_two_of_three_picks_the_two_cheapest() -> None:
    catalog = Catalog.of([course("a", 5), course("b", 2), course("c", 3)])
    pathway = pathway_of({"atLeast": 2, "of": leaves("a", "b", "c")})
    result = plan_path(catalog, [], pathway=pathway)
    assert result.plan == ("b", "c")
    assert result.total == 5
    assert result.optimal is True
    assert rule_met(pathway, catalog, [], result.plan)


def test_plan_path_pathway_min_total_ects_picks_the_cheapest_credits() -> None:
    catalog = Catalog.of(
        [
            course("big", hours=20, ects=12),
            course("a", hours=10, ects=6),
            course("b", hours=3, ects=6),
            course("d", hours=1, ects=5),
            course("no-ects", hours=0.5),
        ]
    )
    pathway = pathway_of({"minTotal": {"ects": 12}, "of": "any"})
    result = plan_path(catalog, [], pathway=pathway)
    assert set(result.plan) == {"a", "b"}  # 12 ECTS for 13 h (d+b is only 11 ECTS)
    assert result.total == 13
    listed = pathway_of({"minTotal": {"ects": 11}, "of": leaves("big", "b", "d")})
    assert set(plan_path(catalog, [], pathway=listed).plan) == {"b", "d"}


def test_plan_path_pathway_min_total_hours_counts_catalog_hours() -> None:
    catalog = Catalog.of([course("a", 4), course("b", 7), course("c", 5)])
    pathway = pathway_of({"minTotal": {"hours": 9}, "of": "any"})
    assert set(plan_path(catalog, [], pathway=pathway).plan) == {"a", "c"}


def test_plan_path_pathway_held_achievements_reduce_the_plan() -> None:
    catalog = Catalog.of([course("a", 5), course("b", 2), course("c", 3, ects=5)])
    pathway = pathway_of(
        {"allOf": [*leaves("a", "ext:transfer"), {"minTotal": {"ects": 5}, "of": "any"}]}
    )
    with pytest.raises(InvalidInput, match="ext:transfer is neither in the catalog"):
        plan_path(catalog, [], pathway=pathway)
    result = plan_path(catalog, [], pathway=pathway, have_achievements=["ext:transfer"])
    assert set(result.plan) == {"a", "c"}
    held = plan_path(catalog, [], pathway=pathway, have_achievements=["ext:transfer", "a"])
    assert held.plan == ("c",)
    done = plan_path(catalog, [], pathway=pathway, have_achievements=["ext:transfer", "a", "c"])
    assert done.plan == ()
    assert done.to_json()["pathway"] == {
        "id": "urn:pathway:test",
        "name": "Data Certificate",
        "satisfied": True,
    }


def test_plan_path_pathway_ordered_steps_come_out_in_order() -> None:
    catalog = Catalog.of([course("z", 9), course("y", 5), course("x", 1), course("w", 0.5)])
    pathway = pathway_of(
        {"allOf": [*leaves("z", "y"), {"anyOf": leaves("x", "w")}], "ordered": True}
    )
    result = plan_path(catalog, [], pathway=pathway)
    assert result.plan == ("z", "y", "w")  # without the order, cheapest first: w, y, z
    assert rule_met(pathway, catalog, [], result.plan)
    assert not rule_met(pathway, catalog, [], sorted(result.plan))


def test_plan_path_pathway_ordered_step_held_after_an_open_step_does_not_count() -> None:
    catalog = Catalog.of([course("a", 1), course("b", 1), course("b2", 4)])
    pathway = pathway_of(
        {"allOf": [{"achievement": "a"}, {"anyOf": leaves("b", "b2")}], "ordered": True}
    )
    # b was earned before a, which is still to do: b2 must be taken after a
    assert plan_path(catalog, [], pathway=pathway, have_achievements=["b"]).plan == ("a", "b2")
    only_b = pathway_of({"allOf": leaves("a", "b"), "ordered": True})
    with pytest.raises(InvalidInput, match=r"rule\.allOf\[1\]: achievement b was earned before"):
        plan_path(catalog, [], pathway=only_b, have_achievements=["b"])
    # a held first step is fine
    assert plan_path(catalog, [], pathway=only_b, have_achievements=["a"]).plan == ("b",)


def test_plan_path_pathway_order_against_prerequisites_is_refused() -> None:
    catalog = Catalog.of([course("adv", 1, prereqs=["intro"]), course("intro", 1)])
    pathway = pathway_of({"allOf": leaves("adv", "intro"), "ordered": True})
    with pytest.raises(InvalidInput, match=r"ordered group\(s\) rule cannot be taken"):
        plan_path(catalog, [], pathway=pathway)
    # with an alternative second step the plan avoids the conflict
    catalog = Catalog.of([*catalog, course("other", 6)])
    alternative = pathway_of(
        {"allOf": [{"achievement": "adv"}, {"anyOf": leaves("intro", "other")}], "ordered": True}
    )
    result = plan_path(catalog, [], pathway=alternative)
    assert result.plan == ("intro", "adv", "other")
    assert rule_met(alternative, catalog, [], result.plan)


def test_plan_path_pathway_that_cannot_be_met_names_the_nodes() -> None:
    catalog = Catalog.of([course("a", 1, ects=3), course("b", 1, ects=2)])
    pathway = pathway_of(
        {
            "allOf": [
                {"minTotal": {"ects": 10}, "of": "any", "label": "ten credits"},
                {"atLeast": 2, "of": leaves("a", "missing-1", "missing-2")},
            ]
        }
    )
    with pytest.raises(InvalidInput) as caught:
        plan_path(catalog, [], pathway=pathway)
    message = caught.value.message
    assert message.startswith("the pathway cannot be completed from this catalog: ")
    assert "rule.allOf[0] (ten credits): needs 10 ECTS but" in message
    assert "offer only 5" in message
    assert "rule.allOf[1]: needs 2 of its parts but only 1 can be completed" in message
    assert "rule.allOf[1].of[1]: achievement missing-1 is neither in the catalog" in message


def test_plan_path_pathway_and_skill_gap_are_planned_jointly() -> None:
    catalog = Catalog.of(
        [
            course("teach-s1", 2, skills=["s1"]),
            course("leaf-a", 3),
            course("leaf-b", 4, skills=["s1"]),
        ]
    )
    pathway = pathway_of({"anyOf": leaves("leaf-a", "leaf-b")})
    assert plan_path(catalog, ["s1"]).plan == ("teach-s1",)
    result = plan_path(catalog, ["s1"], pathway=pathway)
    assert result.plan == ("leaf-b",)  # 4 h for both, rather than 2 + 3
    assert result.covered == ("s1",)
    assert result.greedy_total == 5  # greedy: rule first (leaf-a), then the skill (teach-s1)
    assert result.steps[0].explanation == (
        'covers "s1"; counts towards Data Certificate: rule.anyOf[1]'
    )


def test_plan_path_pathway_explains_steps_with_group_labels() -> None:
    catalog = Catalog.of([course("intro", 1), course("core", 2, prereqs=["intro"])])
    pathway = pathway_of(
        {"allOf": [{"allOf": leaves("core"), "label": "core modules"}]}, name="Cert"
    )
    result = plan_path(catalog, [], pathway=pathway)
    assert result.plan == ("intro", "core")
    assert result.steps[0].explanation == "needed before Course core"
    assert result.steps[1].explanation == "counts towards Cert: core modules"


def test_plan_path_pathway_prune_keeps_the_rule_satisfied() -> None:
    # free items a solver may switch on: prune must not drop the one the rule needs
    catalog = Catalog.of([course("a", 0), course("b", 0), course("c", 0)])
    pathway = pathway_of({"atLeast": 2, "of": leaves("a", "b", "c")})
    result = plan_path(catalog, [], pathway=pathway)
    assert len(result.plan) == 2
    assert rule_met(pathway, catalog, [], result.plan)


def test_plan_path_pathway_protects_rule_items_from_dominance() -> None:
    # "dear" is dominated for the skill (cheap teaches the same), but the rule needs it
    catalog = Catalog.of([course("cheap", 1, skills=["s1"]), course("dear", 5, skills=["s1"])])
    pathway = pathway_of({"allOf": leaves("dear")})
    result = plan_path(catalog, ["s1"], pathway=pathway)
    assert result.plan == ("dear",)
    assert result.candidates == 2


# ---------------------------------------------------------------------- pathway brute force

_IDS = [f"i{n}" for n in range(8)]
_EXTRA = ["ext", "ghost"]  # "ext" may be held without being in the catalog; "ghost" never


@st.composite
def rule_trees(draw: st.DrawFn, ids: list[str], depth: int = 1) -> dict[str, Any]:
    kinds = ["leaf", "minTotal"] if depth >= 3 else ["allOf", "anyOf", "atLeast", "minTotal"]
    if depth > 1:
        kinds.append("leaf")
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        return {"achievement": draw(st.sampled_from(ids))}
    if kind == "minTotal":
        unit = draw(st.sampled_from(["ects", "hours"]))
        amount = draw(st.integers(1, 9))
        of: Any = "any"
        if draw(st.booleans()):
            of = leaves(*draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True)))
        return {"minTotal": {unit: amount}, "of": of}
    size = draw(st.integers(1, 3))
    children: list[dict[str, Any]] = []
    used: set[str] = set()
    for _ in range(size):
        child = draw(rule_trees(ids, depth + 1))
        if "achievement" in child:
            if child["achievement"] in used:
                continue
            used.add(child["achievement"])
        children.append(child)
    if kind == "atLeast":
        return {"atLeast": draw(st.integers(1, len(children))), "of": children}
    if kind == "anyOf":
        return {"anyOf": children}
    return {"allOf": children, "ordered": draw(st.booleans())}


@st.composite
def pathway_instances(
    draw: st.DrawFn,
) -> tuple[Catalog, list[str], list[str], Pathway, str]:
    rule = draw(rule_trees(_IDS[:6] * 3 + _EXTRA))
    try:
        pathway = pathway_of(rule)
    except InvalidInput:
        assume(False)
        raise
    ordered = any(isinstance(n, AllOf) and n.ordered for n in _nodes(pathway.rule))
    n_items = draw(st.integers(1, 6 if ordered else 8))
    skills = ["s0", "s1", "s2", "s3"]
    items = []
    for i in range(n_items):
        prereqs = draw(st.lists(st.sampled_from(range(i)), max_size=2, unique=True)) if i else []
        items.append(
            course(
                _IDS[i],
                hours=draw(st.integers(0, 9)),
                ects=draw(st.one_of(st.none(), st.integers(0, 6).map(float))),
                prereqs=[_IDS[p] for p in prereqs],
                skills=draw(st.lists(st.sampled_from(skills), max_size=2, unique=True)),
            )
        )
    catalog = Catalog.of(draw(st.permutations(items)))
    need = draw(st.lists(st.sampled_from([*skills, "untaught"]), max_size=3, unique=True))
    held = draw(st.lists(st.sampled_from([*_IDS[:n_items], "ext"]), max_size=2, unique=True))
    return catalog, need, held, pathway, draw(st.sampled_from(["hours", "price"]))


def _nodes(node: Node) -> list[Node]:
    children = node.children if isinstance(node, AllOf | AnyOf | AtLeast) else ()
    return [node, *(n for c in children for n in _nodes(c))]


def _roots_first(catalog: Catalog, chosen: set[str]) -> Iterable[list[str]]:
    for k in sorted(chosen):
        if any(p in chosen for p in catalog.get(k).prerequisites):
            continue
        for tail in _orders_from(catalog, chosen - {k}):
            yield [k, *tail]


def _orders_from(catalog: Catalog, chosen: set[str]) -> Iterable[list[str]]:
    if not chosen:
        yield []
        return
    yield from _roots_first(catalog, chosen)


def pathway_brute_force(
    catalog: Catalog, need: list[str], held: list[str], pathway: Pathway, objective: str
) -> tuple[float, set[str]]:
    """Cheapest prerequisite-closed subset covering the coverable gap whose items can be
    taken in some order that the pathway evaluator accepts."""
    done = [h for h in held if h in catalog]
    held_skills = set().union(*(catalog.get(d).skills for d in done))
    gap = {s for s in need if s not in held_skills}
    free = [i for i in catalog if i.id not in done]
    teachable = {s for s in gap if any(s in i.skills for i in free)}
    ordered = any(isinstance(n, AllOf) and n.ordered for n in _nodes(pathway.rule))
    subsets = [
        (math.fsum(i.cost(objective) for i in subset), {i.id for i in subset})
        for size in range(len(free) + 1)
        for subset in itertools.combinations(free, size)
    ]
    subsets.sort(key=lambda pair: (pair[0], sorted(pair[1])))
    for cost, chosen in subsets:
        if any(
            p not in chosen and p not in done for k in chosen for p in catalog.get(k).prerequisites
        ):
            continue
        if not teachable <= set().union(*(catalog.get(k).skills for k in chosen)):
            continue
        # relaxation: every planned item at the same time (no order can do better)
        together = [earned_of(catalog, a, 0.0) for a in held]
        together += [earned_of(catalog, a, 1.0) for a in chosen]
        if not evaluate(pathway, together).satisfied:
            continue
        if not ordered or any(
            rule_met(pathway, catalog, held, order) for order in _orders_from(catalog, chosen)
        ):
            return cost, teachable
    return math.inf, teachable


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(pathway_instances())
def test_plan_path_pathway_cost_equals_brute_force_optimum(
    instance: tuple[Catalog, list[str], list[str], Pathway, str],
) -> None:
    catalog, need, held, pathway, objective = instance
    optimum, teachable = pathway_brute_force(catalog, need, held, pathway, objective)
    if optimum == math.inf:
        with pytest.raises(InvalidInput, match="the pathway cannot be completed"):
            plan_path(catalog, need, have_achievements=held, pathway=pathway, objective=objective)
        return
    result = plan_path(catalog, need, have_achievements=held, pathway=pathway, objective=objective)
    assert result.optimal is True
    assert result.total == pytest.approx(optimum)
    assert result.greedy_total >= optimum - 1e-9
    position = {k: n for n, k in enumerate(result.plan)}
    for k in result.plan:
        for p in catalog.get(k).prerequisites:
            assert p in held or position[p] < position[k]
    assert teachable <= set().union(*(catalog.get(k).skills for k in result.plan))
    assert rule_met(pathway, catalog, held, result.plan)
    assert not set(result.plan) & set(held)
