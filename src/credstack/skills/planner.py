"""Optimal learning paths: the cheapest set of catalog achievements that closes a skill gap.

The choice is a weighted set cover with precedence constraints, solved exactly as a 0-1
integer program with HiGHS (through :func:`scipy.optimize.milp`,
https://docs.scipy.org/doc/scipy/reference/generated/scipy.optimize.milp.html)::

    minimise    sum_i cost_i x_i                       (hours or price)
    subject to  sum_{i teaches s} x_i >= 1             for every coverable missing skill s
                x_i <= x_p                             for every prerequisite p of i not held
                x_r  = 1                               for every required achievement r
                x_i in {0, 1}

Before solving, the catalog is cut down to the items teaching a missing skill plus their
prerequisite closure, and items dominated by a cheaper-or-equal item (with its prerequisites)
that teaches a superset of their missing skills are dropped; neither step changes the
optimum.  A cost-effectiveness greedy pick runs on the same items for comparison.

Quality (``min_quality``) is a *preference with fallback*: for each missing skill, only items
whose ``quality`` is at or above the threshold may be chosen to teach it, unless no such item
teaches that skill, in which case every item teaching it stays allowed.  Items without a
quality score count as below the threshold.  Prerequisites of allowed items are always
allowed (they are not optional).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from credstack.errors import InvalidInput
from credstack.skills.catalog import Achievement, Catalog

Objective = Literal["hours", "price"]
OBJECTIVES: tuple[Objective, ...] = ("hours", "price")
DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True, slots=True)
class Step:
    """One achievement of the plan and why it is there."""

    id: str
    name: str
    hours: float
    price: float
    currency: str | None
    covers: tuple[str, ...]
    needed_before: tuple[str, ...]
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "hours": self.hours,
            "price": self.price,
            "currency": self.currency,
            "covers": list(self.covers),
            "needed_before": list(self.needed_before),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class PlanResult:
    """A learning path.  ``covered`` + ``uncovered`` is the gap (needed minus held skills).

    ``total_price`` and ``currency`` are ``None`` when the chosen items are priced in more than
    one currency (possible only when minimising hours).  ``optimal`` is true when HiGHS proved
    the plan optimal for the coverable part of the gap; ``mip_gap`` is the solver's final gap.
    """

    objective: Objective
    plan: tuple[str, ...]
    steps: tuple[Step, ...]
    total: float
    total_hours: float
    total_price: float | None
    currency: str | None
    covered: tuple[str, ...]
    uncovered: tuple[str, ...]
    optimal: bool
    greedy_total: float
    mip_gap: float | None
    candidates: int

    def to_json(self) -> dict[str, Any]:
        """The ``credstack plan --json`` answer."""
        return {
            "plan": list(self.plan),
            "steps": [s.to_json() for s in self.steps],
            "objective": self.objective,
            "total_hours": self.total_hours,
            "total_price": self.total_price,
            "currency": self.currency,
            "covered": list(self.covered),
            "uncovered": list(self.uncovered),
            "optimal": self.optimal,
            "greedy_total": self.greedy_total,
        }


def _round(value: float) -> float:
    return round(value, 6) + 0.0


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class _Problem:
    """The reduced instance: candidate items, their missing skills, closures and costs."""

    def __init__(
        self,
        catalog: Catalog,
        teachable: list[str],
        held: frozenset[str],
        required: list[str],
        objective: Objective,
        min_quality: float | None,
    ) -> None:
        self.catalog = catalog
        self.objective = objective
        self.held = held
        self.required = required
        self.teachable = teachable
        self.teachable_set = frozenset(teachable)
        pool: dict[str, None] = {}
        for skill in teachable:
            teachers = [t for t in catalog.teaching[skill] if t not in held]
            if min_quality is not None:
                good = [t for t in teachers if _meets(catalog.items[t], min_quality)]
                teachers = good or teachers
            pool.update(dict.fromkeys(teachers))
        pool.update(dict.fromkeys(required))
        frontier = list(pool)
        while frontier:  # prerequisite closure
            item = catalog.items[frontier.pop()]
            for prereq in item.prerequisites:
                if prereq not in held and prereq not in pool:
                    pool[prereq] = None
                    frontier.append(prereq)
        self.items: dict[str, Achievement] = {k: catalog.items[k] for k in sorted(pool)}
        self.cost = {k: v.cost(objective) for k, v in self.items.items()}
        self.gap_skills = {
            k: frozenset(s for s in v.skills if s in self.teachable_set)
            for k, v in self.items.items()
        }
        self.prereqs = {
            k: tuple(p for p in v.prerequisites if p not in held) for k, v in self.items.items()
        }
        self.closures: dict[str, frozenset[str]] = {}
        for k in self.items:
            self._closure(k)
        self.allowed_teachers: dict[str, frozenset[str]] = {}
        if min_quality is not None:  # the quality rule limits who may teach each skill
            for skill in teachable:
                teachers = [t for t in catalog.teaching[skill] if t in self.items]
                good = [t for t in teachers if _meets(catalog.items[t], min_quality)]
                self.allowed_teachers[skill] = frozenset(good or teachers)
        else:
            for skill in teachable:
                self.allowed_teachers[skill] = frozenset(
                    t for t in catalog.teaching[skill] if t in self.items
                )
        self.teaches = {
            k: frozenset(s for s in self.gap_skills[k] if k in self.allowed_teachers[s])
            for k in self.items
        }

    def _closure(self, root: str) -> frozenset[str]:
        """The item and every prerequisite it needs, transitively (not counting held ones)."""
        if root in self.closures:
            return self.closures[root]
        stack = [root]
        while stack:
            node = stack[-1]
            pending = [p for p in self.prereqs[node] if p not in self.closures]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node not in self.closures:
                members = {node}
                for p in self.prereqs[node]:
                    members |= self.closures[p]
                self.closures[node] = frozenset(members)
        return self.closures[root]

    def closure_cost(self, item: str) -> float:
        return math.fsum(self.cost[m] for m in self.closures[item])

    def order_key(self, item: str) -> tuple[float, str, str]:
        return (self.cost[item], self.items[item].name, item)

    def undominated(self) -> list[str]:
        """Candidates after dropping items another item (with its prerequisites) beats."""
        protected = set(self.required)
        for prereqs in self.prereqs.values():
            protected.update(prereqs)
        closure_cost = {k: self.closure_cost(k) for k in self.items}
        holders: dict[str, list[str]] = {s: [] for s in self.teachable}
        for k in self.items:
            for s in self.teaches[k]:
                holders[s].append(k)
        removed: set[str] = set()
        for j in self.items:
            if j in protected:
                continue
            mine = self.teaches[j]
            if not mine:
                removed.add(j)
                continue
            rarest = min(mine, key=lambda s: (len(holders[s]), s))
            for i in holders[rarest]:
                if i == j or closure_cost[i] > self.cost[j] or not mine <= self.teaches[i]:
                    continue
                mutual = self.teaches[i] <= mine and closure_cost[j] <= self.cost[i]
                if not mutual or self.order_key(i) < self.order_key(j):
                    removed.add(j)
                    break
        return [k for k in self.items if k not in removed]

    # ------------------------------------------------------------------ solvers

    def solve_milp(
        self, candidates: list[str], time_limit: float
    ) -> tuple[set[str] | None, bool, float | None]:
        """Exact 0-1 program; returns (chosen, proven optimal, mip gap)."""
        if not candidates:
            return set(), True, 0.0
        column = {k: n for n, k in enumerate(candidates)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        for skill in self.teachable:
            row = len(lower)
            for k in sorted(self.allowed_teachers[skill]):
                if k in column:
                    rows.append(row)
                    cols.append(column[k])
                    vals.append(1.0)
            lower.append(1.0)
            upper.append(np.inf)
        for k in candidates:
            for p in self.prereqs[k]:
                row = len(lower)
                rows += [row, row]
                cols += [column[k], column[p]]
                vals += [1.0, -1.0]
                lower.append(-np.inf)
                upper.append(0.0)
        low = np.zeros(len(candidates))
        for r in self.required:
            low[column[r]] = 1.0
        constraints = []
        if lower:
            matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower), len(candidates)))
            constraints.append(LinearConstraint(matrix.tocsr(), np.array(lower), np.array(upper)))
        result = milp(
            np.array([self.cost[k] for k in candidates]),
            integrality=np.ones(len(candidates)),
            bounds=Bounds(low, np.ones(len(candidates))),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": 0.0, "disp": False},
        )
        if result.x is None:
            return None, False, None
        chosen = {k for k in candidates if result.x[column[k]] > 0.5}
        gap = getattr(result, "mip_gap", None)
        return chosen, int(result.status) == 0, None if gap is None else float(gap)

    def solve_greedy(self, candidates: list[str]) -> set[str]:
        """Cost-effectiveness greedy: cheapest added cost (prerequisites included) per new skill."""
        chosen: set[str] = set()
        for r in self.required:
            chosen |= self.closures[r]
        covered = set().union(*(self.teaches[k] for k in chosen)) if chosen else set()
        reach = {
            k: frozenset().union(*(self.teaches[m] for m in self.closures[k])) for k in candidates
        }
        while not self.teachable_set <= covered:
            best: tuple[float, float, str, str] | None = None
            for k in candidates:
                if k in chosen:
                    continue
                new = len(reach[k] - covered)
                if not new:
                    continue
                added = math.fsum(self.cost[m] for m in self.closures[k] - chosen)
                key = (added / new, added, self.items[k].name, k)
                if best is None or key < best:
                    best = key
            if best is None:  # cannot happen: every teachable skill has a candidate teacher
                break
            chosen |= self.closures[best[3]]
            covered |= reach[best[3]]
        return chosen

    def prune(self, chosen: set[str]) -> set[str]:
        """Drop items the plan does not need (free extras a solver may have switched on)."""
        kept = set(chosen)
        count: dict[str, int] = {}
        for k in kept:
            for s in self.teaches[k]:
                count[s] = count.get(s, 0) + 1
        dependants: dict[str, int] = {}
        for k in kept:
            for p in self.prereqs[k]:
                dependants[p] = dependants.get(p, 0) + 1
        required = set(self.required)
        changed = True
        while changed:
            changed = False
            for k in sorted(kept, key=self.order_key, reverse=True):
                if k in required or dependants.get(k, 0):
                    continue
                if any(count[s] < 2 for s in self.teaches[k]):
                    continue
                kept.discard(k)
                for s in self.teaches[k]:
                    count[s] -= 1
                for p in self.prereqs[k]:
                    dependants[p] -= 1
                changed = True
        return kept

    def total(self, chosen: Iterable[str]) -> float:
        return _round(math.fsum(self.cost[k] for k in chosen))

    def ordered(self, chosen: set[str]) -> list[str]:
        """Prerequisites first; among ready items the cheapest (then by name, id) first."""
        waiting = {k: sum(1 for p in self.prereqs[k] if p in chosen) for k in chosen}
        after: dict[str, list[str]] = {k: [] for k in chosen}
        for k in chosen:
            for p in self.prereqs[k]:
                if p in chosen:
                    after[p].append(k)
        ready = [(self.order_key(k), k) for k, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            _, k = heapq.heappop(ready)
            out.append(k)
            for nxt in after[k]:
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    heapq.heappush(ready, (self.order_key(nxt), nxt))
        return out


def _meets(item: Achievement, threshold: float) -> bool:
    return item.quality is not None and item.quality >= threshold


def _currency(items: Iterable[Achievement]) -> tuple[str | None, bool]:
    """(the one currency, mixed?) over items that name one."""
    named = sorted({i.currency for i in items if i.currency is not None})
    return (named[0] if len(named) == 1 else None), len(named) > 1


def plan_path(
    catalog: Catalog,
    need: Iterable[str],
    *,
    have: Iterable[str] = (),
    have_achievements: Iterable[str] = (),
    objective: str = "hours",
    min_quality: float | None = None,
    require: Iterable[str] = (),
    label: Callable[[str], str] | Mapping[str, str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> PlanResult:
    """The cheapest prerequisite-respecting set of achievements covering ``need`` minus ``have``.

    ``have_achievements`` are achievement ids the learner already completed: their skills count
    as held and they satisfy prerequisites (ids not in the catalog are ignored).  ``require``
    names achievements that must be in the plan (e.g. a stackable qualification's components).
    Skills no item teaches are reported in ``uncovered``; the plan covers the rest.
    """
    if objective not in OBJECTIVES:
        raise InvalidInput(f"objective must be hours or price, not {objective!r}")
    if min_quality is not None and not (0 <= min_quality <= 1):
        raise InvalidInput(f"min_quality must be from 0 to 1, not {min_quality}")
    if not (time_limit > 0):
        raise InvalidInput("time_limit must be positive")
    goal: Objective = "hours" if objective == "hours" else "price"
    held = frozenset(a for a in have_achievements if a in catalog)
    held_skills = set(have)
    for a in held:
        held_skills.update(catalog.items[a].skills)
    required = sorted(set(require) - held)
    unknown = [r for r in required if r not in catalog]
    if unknown:
        raise InvalidInput(f"required achievement not in the catalog: {', '.join(unknown)}")
    gap = sorted({s for s in need if s not in held_skills})
    teachable = [s for s in gap if any(t not in held for t in catalog.teaching.get(s, ()))]
    uncovered = tuple(s for s in gap if s not in set(teachable))

    problem = _Problem(catalog, teachable, held, required, goal, min_quality)
    pool_currency, mixed = _currency(problem.items.values())
    if goal == "price" and mixed:
        names = sorted({i.currency for i in problem.items.values() if i.currency is not None})
        raise InvalidInput(
            f"the items that could close this gap are priced in {', '.join(names)}; "
            "minimising price needs one currency (convert the catalog, or minimise hours)"
        )
    candidates = problem.undominated()
    chosen, optimal, mip_gap = problem.solve_milp(candidates, time_limit)
    greedy = problem.prune(problem.solve_greedy(list(problem.items)))
    if chosen is None:  # the solver found nothing in time: fall back to the greedy plan
        chosen, optimal = set(greedy), False
    chosen = problem.prune(chosen)
    order = problem.ordered(chosen)
    items = [catalog.items[k] for k in order]
    currency, mixed_plan = _currency(items)
    if not mixed_plan and currency is None:
        currency = pool_currency
    steps = _explain(problem, order, label)
    return PlanResult(
        objective=goal,
        plan=tuple(order),
        steps=steps,
        total=problem.total(order),
        total_hours=_round(math.fsum(i.hours for i in items)),
        total_price=None if mixed_plan else _round(math.fsum(i.price for i in items)),
        currency=currency,
        covered=tuple(teachable),
        uncovered=uncovered,
        optimal=optimal,
        greedy_total=problem.total(greedy),
        mip_gap=mip_gap,
        candidates=len(candidates),
    )


def _explain(
    problem: _Problem, order: list[str], label: Callable[[str], str] | Mapping[str, str] | None
) -> tuple[Step, ...]:
    def name_of(uri: str) -> str:
        if label is None:
            return uri
        found = label.get(uri) if isinstance(label, Mapping) else label(uri)
        return found or uri

    in_plan = set(order)
    before: dict[str, list[str]] = {k: [] for k in order}
    for k in order:
        for p in problem.prereqs[k]:
            if p in in_plan:
                before[p].append(k)
    seen: set[str] = set()
    steps: list[Step] = []
    for k in order:
        item = problem.items[k]
        covers = tuple(s for s in problem.teachable if s in problem.teaches[k] and s not in seen)
        seen.update(covers)
        parts: list[str] = []
        if covers:
            parts.append("covers " + _join([f'"{name_of(s)}"' for s in covers]))
        later = [problem.items[n].name for n in sorted(before[k], key=order.index)]
        if later:
            parts.append("needed before " + _join(later))
        if k in problem.required:
            parts.append("required for the qualification")
        if not parts:
            parts.append("teaches skills later steps also cover")
        steps.append(
            Step(
                id=k,
                name=item.name,
                hours=item.hours,
                price=item.price,
                currency=item.currency,
                covers=covers,
                needed_before=tuple(sorted(before[k], key=order.index)),
                explanation="; ".join(parts),
            )
        )
    return tuple(steps)
