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

With a stackable ``pathway`` (``docs/pathways.md``) the plan must also complete the pathway's
rule: every non-leaf rule node gets a 0-1 variable ``y`` (a leaf is ``x_item``, or the
constant 1 for an achievement already held, 0 for one that is neither held nor in the
catalog)::

    allOf          y <= y_child                        for every child
    anyOf          sum y_child >= y
    atLeast n      sum y_child >= n y
    minTotal a     sum credits_i x_i + held credits >= a y
    root           y = 1

An ordered ``allOf`` additionally needs an order: the planned items a step counts on come
after those of the step before.  Its leaves get witness variables ``w <= x``, and positions
``t`` (Miller-Tucker-Zemlin style) keep witnesses of consecutive steps and prerequisites in
one consistent order.  Held achievements count as earned before anything planned, in an
order that fits; so once a step needs a planned item, later steps can count planned items
only.

Quality (``min_quality``) is a *preference with fallback*: for each missing skill, only items
whose ``quality`` is at or above the threshold may be chosen to teach it, unless no such item
teaches that skill, in which case every item teaching it stays allowed.  Items without a
quality score count as below the threshold.  Prerequisites of allowed items are always
allowed (they are not optional).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from credstack.errors import InvalidInput, InvalidState
from credstack.skills.catalog import Achievement, Catalog
from credstack.skills.pathways import (
    AllOf,
    AnyOf,
    AtLeast,
    Earned,
    Leaf,
    MinTotal,
    Node,
    NodeResult,
    Pathway,
    evaluate,
    evaluate_many,
)

Objective = Literal["hours", "price"]
OBJECTIVES: tuple[Objective, ...] = ("hours", "price")
DEFAULT_TIME_LIMIT = 60.0
_EPS = 1e-9  # the pathway evaluator's tolerance on totals
_ZERO, _ONE = -1, -2  # constant values of a rule node (variables are columns >= 0)


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
    pathway: Pathway | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``credstack plan --json`` answer."""
        out: dict[str, Any] = {
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
        if self.pathway is not None:
            out["pathway"] = {"id": self.pathway.id, "name": self.pathway.name, "satisfied": True}
        return out


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
        rule_items: Iterable[str] = (),
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
        self.rule_items = frozenset(rule_items)
        pool.update(dict.fromkeys(sorted(self.rule_items)))
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
        protected = set(self.required) | self.rule_items
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
        self, candidates: list[str], time_limit: float, rule: _RuleModel | None = None
    ) -> _Solution:
        """Exact 0-1 program (with the pathway's rule rows when ``rule`` is given)."""
        if not candidates and (rule is None or not rule.integrality):
            return _Solution(set(), True, 0.0, [])
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
        width = len(candidates)
        low = [0.0] * width
        high = [1.0] * width
        integrality = [1] * width
        for r in self.required:
            low[column[r]] = 1.0
        if rule is not None:
            for terms, row_low, row_high in rule.rows:
                row = len(lower)
                for col, value in terms.items():
                    rows.append(row)
                    cols.append(col)
                    vals.append(value)
                lower.append(row_low)
                upper.append(row_high)
            width += len(rule.integrality)
            low += rule.low
            high += rule.high
            integrality += rule.integrality
            for col in rule.forced:
                low[col] = 1.0
        constraints = []
        if lower:
            matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower), width))
            constraints.append(LinearConstraint(matrix.tocsr(), np.array(lower), np.array(upper)))
        cost = np.zeros(width)
        cost[: len(candidates)] = [self.cost[k] for k in candidates]
        result = milp(
            cost,
            integrality=np.array(integrality),
            bounds=Bounds(np.array(low), np.array(high)),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": 0.0, "disp": False},
        )
        if result.x is None:
            return _Solution(None, False, None, infeasible=int(result.status) == 2)
        chosen = {k for k in candidates if result.x[column[k]] > 0.5}
        gap = getattr(result, "mip_gap", None)
        values = [float(v) for v in result.x]
        return _Solution(
            chosen, int(result.status) == 0, None if gap is None else float(gap), values
        )

    def solve_greedy(self, candidates: list[str], start: Iterable[str] = ()) -> set[str]:
        """Cost-effectiveness greedy: cheapest added cost (prerequisites included) per new skill."""
        chosen: set[str] = set(start)
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

    def prune_order(self, order: list[str], holds: Callable[[list[str]], bool]) -> list[str]:
        """:meth:`prune` for a plan in a fixed order that must keep ``holds`` (a pathway) true."""
        kept = list(order)
        count: dict[str, int] = {}
        for k in kept:
            for s in self.teaches[k]:
                count[s] = count.get(s, 0) + 1
        required = set(self.required)
        changed = True
        while changed:
            changed = False
            inside = set(kept)
            needed = {p for k in kept for p in self.prereqs[k] if p in inside}
            for k in sorted(kept, key=self.order_key, reverse=True):
                if k in required or k in needed or any(count[s] < 2 for s in self.teaches[k]):
                    continue
                trial = [m for m in kept if m != k]
                if not holds(trial):
                    continue
                kept = trial
                for s in self.teaches[k]:
                    count[s] -= 1
                changed = True
                break
        return kept

    def total(self, chosen: Iterable[str]) -> float:
        return _round(math.fsum(self.cost[k] for k in chosen))

    def ordered(
        self, chosen: set[str], before: Mapping[str, Iterable[str]] | None = None
    ) -> list[str]:
        """Prerequisites first; among ready items the cheapest (then by name, id) first.

        ``before`` adds precedence among chosen items (``before[k]``: items that come before
        ``k``, e.g. earlier steps of an ordered pathway group).  With a cycle, the items on
        it are left out: callers compare lengths.
        """
        preds = {
            k: {p for p in (*self.prereqs[k], *(before or {}).get(k, ())) if p in chosen and p != k}
            for k in chosen
        }
        waiting = {k: len(v) for k, v in preds.items()}
        after: dict[str, list[str]] = {k: [] for k in chosen}
        for k in chosen:
            for p in preds[k]:
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


@dataclass(frozen=True, slots=True)
class _Solution:
    """What HiGHS returned: chosen items, proven optimal, final gap, all variable values."""

    chosen: set[str] | None
    optimal: bool
    mip_gap: float | None
    values: list[float] | None = None
    infeasible: bool = False


@dataclass
class _RuleModel:
    """The pathway's rows and extra variables (columns after the item columns)."""

    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    integrality: list[int] = field(default_factory=list)
    forced: list[int] = field(default_factory=list)
    pairs: list[tuple[int, str, int, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # ordered groups with planned steps


def _credit_pool(node: MinTotal, catalog: Catalog, held: frozenset[str]) -> list[str]:
    """Ids a minTotal counts: those listed, or every catalog item and held achievement."""
    if node.achievements is not None:
        return list(dict.fromkeys(node.achievements))
    return list(dict.fromkeys([*catalog.items, *sorted(held)]))


def _walk(node: Node) -> Iterable[Node]:
    yield node
    if isinstance(node, AllOf | AnyOf | AtLeast):
        for child in node.children:
            yield from _walk(child)


def _rule_items(pathway: Pathway, catalog: Catalog, held: frozenset[str]) -> list[str]:
    """Catalog items (not held) the rule can use: leaves and minTotal items with credits."""
    out: dict[str, None] = {}
    for node in _walk(pathway.rule):
        if isinstance(node, Leaf):
            if node.achievement in catalog and node.achievement not in held:
                out[node.achievement] = None
        elif isinstance(node, MinTotal):
            for a in _credit_pool(node, catalog, held):
                if a in catalog and a not in held and catalog.items[a].credits(node.unit) > 0:
                    out[a] = None
    return list(out)


class _Rule:
    """A pathway over one planning problem: MILP rows, greedy pick, checks, explanations."""

    def __init__(self, pathway: Pathway, problem: _Problem, held: frozenset[str]) -> None:
        self.pathway = pathway
        self.problem = problem
        self.catalog = problem.catalog
        self.held = held  # every achievement id the learner holds (catalog or not)
        self.pools = {
            n.path: _credit_pool(n, self.catalog, held)
            for n in _walk(pathway.rule)
            if isinstance(n, MinTotal)
        }
        self.pool_sets = {k: frozenset(v) for k, v in self.pools.items()}
        self.bases: dict[str, float] = {}

    # ------------------------------------------------------------ set semantics

    def credit(self, achievement: str, unit: str) -> float:
        item = self.catalog.items.get(achievement)
        return 0.0 if item is None else item.credits(unit)

    def base(self, node: MinTotal, masked: bool) -> float:
        """Credits the learner already holds towards ``node`` (none once masked)."""
        if masked:
            return 0.0
        if node.path not in self.bases:
            self.bases[node.path] = math.fsum(
                self.credit(a, node.unit) for a in self.pools[node.path] if a in self.held
            )
        return self.bases[node.path]

    def value(self, node: Node, chosen: set[str] | frozenset[str], masked: bool = False) -> bool:
        """Is ``node`` met by held achievements plus ``chosen`` (planned) items?

        ``masked``: held achievements do not count (a later step of an ordered group whose
        earlier step needs a planned item).  Planned items are assumed put in a fitting order.
        """
        if isinstance(node, Leaf):
            return node.achievement in chosen or (not masked and node.achievement in self.held)
        if isinstance(node, MinTotal):
            total = self.base(node, masked) + math.fsum(
                self.credit(a, node.unit)
                for a in self.pools[node.path]
                if a in chosen and a not in self.held
            )
            return total + _EPS >= node.amount
        if isinstance(node, AllOf):
            if node.ordered:
                start = self.first_open(node, masked)
                return all(
                    self.value(c, chosen, masked or n > start)
                    for n, c in enumerate(node.children)
                    if n >= start
                )
            return all(self.value(c, chosen, masked) for c in node.children)
        need = 1 if isinstance(node, AnyOf) else node.count
        return sum(self.value(c, chosen, masked) for c in node.children) >= need

    def first_open(self, node: AllOf, masked: bool) -> int:
        """Index of the first step of an ordered group that held achievements do not meet."""
        if masked:
            return 0
        for n, child in enumerate(node.children):
            if not self.value(child, frozenset(), False):
                return n
        return len(node.children)

    # ------------------------------------------------------------ reduction

    def reducible(self, candidates: list[str]) -> set[str]:
        """Credit-only items that cheaper, larger items make unnecessary (same optimum).

        An item *j* that teaches no gap skill, is no leaf, not required and no prerequisite of
        a remaining candidate,
        and counts only towards one minTotal outside ordered groups, is dropped when the items
        kept so far that rank before it (by cost, then credits), cost no more than *j* with
        their prerequisites and are worth at least *j*'s credits, together reach that total.
        Some optimal plan holds every such item whenever it holds *j* (else swapping *j* for
        one is no dearer), so *j* is never needed.
        """
        ordered_nodes = {
            inner.path
            for n in _walk(self.pathway.rule)
            if isinstance(n, AllOf) and n.ordered
            for inner in _walk(n)
            if isinstance(inner, MinTotal)
        }
        totals = [n for n in _walk(self.pathway.rule) if isinstance(n, MinTotal)]
        if not any(n.path not in ordered_nodes for n in totals):
            return set()
        problem = self.problem
        leaves = {n.achievement for n in _walk(self.pathway.rule) if isinstance(n, Leaf)}
        needed = set(problem.required) | {p for k in candidates for p in problem.prereqs[k]}
        member: dict[str, list[MinTotal]] = {}
        for node in totals:
            members = self.pool_sets[node.path]
            for k in candidates:
                if k in members and self.credit(k, node.unit) > 0:
                    member.setdefault(k, []).append(node)

        def key(k: str) -> tuple[float, float, str, str]:
            worth = math.fsum(self.credit(k, n.unit) for n in member.get(k, ()))
            return (problem.cost[k], -worth, problem.items[k].name, k)

        ranks: dict[str, dict[float, int]] = {}
        trees: dict[str, list[float]] = {}
        for node in totals:
            values = sorted(
                {self.credit(k, node.unit) for k in candidates if k in member}, reverse=True
            )
            ranks[node.path] = {v: n + 1 for n, v in enumerate(values)}
            trees[node.path] = [0.0] * (len(values) + 1)
        waiting: dict[str, list[tuple[float, str]]] = {n.path: [] for n in totals}
        removed: set[str] = set()
        for k in sorted(candidates, key=key):
            cost = problem.cost[k]
            for node in totals:
                heap, tree = waiting[node.path], trees[node.path]
                while heap and heap[0][0] <= cost:
                    _, ready = heapq.heappop(heap)
                    value = self.credit(ready, node.unit)
                    at = ranks[node.path][value]
                    while at < len(tree):
                        tree[at] += value
                        at += at & -at
            nodes = member.get(k, [])
            if (
                len(nodes) == 1
                and nodes[0].path not in ordered_nodes
                and k not in leaves
                and k not in needed
                and not problem.teaches[k]
            ):
                node = nodes[0]
                tree = trees[node.path]
                at, total = ranks[node.path][self.credit(k, node.unit)], 0.0
                while at > 0:
                    total += tree[at]
                    at -= at & -at
                if total + self.base(node, False) + _EPS >= node.amount:
                    removed.add(k)
                    continue
            for node in nodes:
                heapq.heappush(waiting[node.path], (problem.closure_cost(k), k))
        return removed

    # ------------------------------------------------------------ the 0-1 program

    def model(self, candidates: list[str]) -> _RuleModel:
        """Rows and variables encoding the rule; InvalidInput when it can never be met."""
        self.column = {k: n for n, k in enumerate(candidates)}
        self.next_col = len(candidates)
        self.out = _RuleModel()
        root, _ = self.encode(self.pathway.rule, False, False)
        if root == _ZERO:
            self.unsatisfiable()
        if root != _ONE:
            if root >= len(candidates):
                self.out.low[root - len(candidates)] = 1.0
            else:
                self.out.forced.append(root)
        self.positions()
        return self.out

    def new_var(self, high: float = 1.0, integral: bool = True) -> int:
        self.out.low.append(0.0)
        self.out.high.append(high)
        self.out.integrality.append(1 if integral else 0)
        self.next_col += 1
        return self.next_col - 1

    def row(self, terms: dict[int, float], low: float, high: float = np.inf) -> None:
        self.out.rows.append((terms, low, high))

    def witness(self, item: str) -> int:
        """A 0-1 variable: ``item`` is counted here (needs ``x_item``)."""
        w = self.new_var()
        self.row({w: 1.0, self.column[item]: -1.0}, -np.inf, 0.0)
        return w

    def encode(self, node: Node, masked: bool, ordered: bool) -> tuple[int, list[tuple[int, str]]]:
        """(constant or column, witnesses) of ``node``; witnesses only inside ordered groups."""
        if isinstance(node, Leaf):
            a = node.achievement
            if not masked and a in self.held:
                return _ONE, []
            if a not in self.column:
                return _ZERO, []
            if ordered:
                w = self.witness(a)
                return w, [(w, a)]
            return self.column[a], []
        if isinstance(node, MinTotal):
            base = self.base(node, masked)
            if base + _EPS >= node.amount:
                return _ONE, []
            terms: dict[int, float] = {}
            seen: list[tuple[int, str]] = []
            for a in self.pools[node.path]:
                credit = self.credit(a, node.unit)
                if a in self.column and credit > 0:
                    col = self.witness(a) if ordered else self.column[a]
                    terms[col] = credit
                    if ordered:
                        seen.append((col, a))
            if base + math.fsum(terms.values()) + _EPS < node.amount:
                return _ZERO, []
            y = self.new_var()
            terms[y] = -node.amount
            self.row(terms, -base - _EPS)
            return y, seen
        if isinstance(node, AllOf):
            parts: list[int] = []
            seen = []
            if node.ordered:
                start = self.first_open(node, masked)
                steps: list[list[tuple[int, str]]] = []
                for n, child in enumerate(node.children):
                    if n < start:
                        continue
                    value, found = self.encode(child, masked or n > start, True)
                    parts.append(value)
                    steps.append(found)
                if len(steps) > 1:
                    self.out.groups.append(node.path)
                for earlier, later in itertools.pairwise(steps):
                    self.out.pairs += [
                        (cu, u, cv, v) for cu, u in earlier for cv, v in later if u != v
                    ]
                seen = [w for step in steps for w in step]
            else:
                for child in node.children:
                    value, found = self.encode(child, masked, ordered)
                    parts.append(value)
                    seen += found
            if _ZERO in parts:
                return _ZERO, []
            open_parts = [p for p in parts if p != _ONE]
            if not open_parts:
                return _ONE, seen
            if len(open_parts) == 1:
                return open_parts[0], seen
            y = self.new_var()
            for part in open_parts:
                self.row({y: 1.0, part: -1.0}, -np.inf, 0.0)
            return y, seen
        need = 1 if isinstance(node, AnyOf) else node.count
        parts, seen = [], []
        for child in node.children:
            value, found = self.encode(child, masked, ordered)
            parts.append(value)
            seen += found
        rest = need - parts.count(_ONE)
        open_parts = [p for p in parts if p >= 0]
        if rest <= 0:
            return _ONE, seen
        if rest > len(open_parts):
            return _ZERO, []
        if len(open_parts) == 1:
            return open_parts[0], seen
        y = self.new_var()
        terms = {}
        for part in open_parts:  # one item may meet two parts: it counts twice, as in evaluate
            terms[part] = terms.get(part, 0.0) + 1.0
        terms[y] = -float(rest)
        self.row(terms, 0.0)
        return y, seen

    def positions(self) -> None:
        """Positions keeping ordered steps and prerequisites in one order (big-M rows)."""
        if not self.out.pairs:
            return
        members: set[str] = set()
        for _, u, _, v in self.out.pairs:
            members |= self.problem.closures[u] | self.problem.closures[v]
        size = float(len(members))
        position = {k: self.new_var(size - 1, integral=False) for k in sorted(members)}
        for k in sorted(members):
            for p in self.problem.prereqs[k]:  # x_k = 1  =>  t_k >= t_p + 1
                self.row({position[k]: 1.0, position[p]: -1.0, self.column[k]: -size}, 1 - size)
        for cu, u, cv, v in self.out.pairs:  # both witnesses  =>  t_v >= t_u + 1
            self.row({position[v]: 1.0, position[u]: -1.0, cu: -size, cv: -size}, 1 - 2 * size)

    def precedence(self, values: list[float]) -> dict[str, set[str]]:
        """From a solution: items that must come before each item (ordered steps)."""
        before: dict[str, set[str]] = {}
        for cu, u, cv, v in self.out.pairs:
            if values[cu] > 0.5 and values[cv] > 0.5:
                before.setdefault(v, set()).add(u)
        return before

    # ------------------------------------------------------------ why it cannot be met

    def unsatisfiable(self) -> None:
        reasons: list[str] = []
        self.why(self.pathway.rule, False, reasons)
        raise InvalidInput(
            "the pathway cannot be completed from this catalog: " + "; ".join(reasons)
        )

    def possible(self, node: Node, masked: bool) -> bool:
        return self.value(node, frozenset(self.problem.items), masked)

    def why(self, node: Node, masked: bool, reasons: list[str]) -> None:
        """Explain why ``node`` cannot be met even with every catalog item."""
        where = f"{node.path}" + (f" ({node.label})" if node.label else "")
        if isinstance(node, Leaf):
            if node.achievement in self.held:
                reasons.append(
                    f"{where}: achievement {node.achievement} was earned before an earlier "
                    "step of its ordered group that is still to do"
                )
            else:
                reasons.append(
                    f"{where}: achievement {node.achievement} is neither in the catalog "
                    "nor already earned"
                )
            return
        if isinstance(node, MinTotal):
            items = frozenset(self.problem.items)
            offered = self.base(node, masked) + math.fsum(
                self.credit(a, node.unit) for a in self.pools[node.path] if a in items
            )
            unit = "ECTS" if node.unit == "ects" else "hours"
            reasons.append(
                f"{where}: needs {node.amount:g} {unit} but the catalog and earned "
                f"achievements offer only {offered:g}"
            )
            return
        if isinstance(node, AllOf):
            start = self.first_open(node, masked) if node.ordered else 0
            for n, child in enumerate(node.children):
                inner = masked or (node.ordered and n > start)
                if n >= start and not self.possible(child, inner):
                    self.why(child, inner, reasons)
            return
        need = 1 if isinstance(node, AnyOf) else node.count
        able = sum(self.possible(c, masked) for c in node.children)
        reasons.append(f"{where}: needs {need} of its parts but only {able} can be completed")
        for child in node.children:
            if not self.possible(child, masked):
                self.why(child, masked, reasons)

    # ------------------------------------------------------------ greedy

    def greedy(self) -> set[str] | None:
        """Top-down: meet each group by its cheapest parts (prerequisites included)."""
        chosen: set[str] = set()
        return chosen if self.satisfy(self.pathway.rule, chosen, False) else None

    def added(self, before: set[str], after: set[str]) -> float:
        return math.fsum(self.problem.cost[k] for k in after - before)

    def satisfy(self, node: Node, chosen: set[str], masked: bool) -> bool:
        if self.value(node, chosen, masked):
            return True
        closures = self.problem.closures
        if isinstance(node, Leaf):
            if node.achievement not in closures:
                return False
            chosen |= closures[node.achievement]
            return True
        if isinstance(node, MinTotal):
            pool = [
                a
                for a in self.pools[node.path]
                if a in closures and a not in chosen and self.credit(a, node.unit) > 0
            ]
            while not self.value(node, chosen, masked):
                best: tuple[float, float, str] | None = None
                for a in pool:
                    if a in chosen:
                        continue
                    new = closures[a] - chosen
                    members = self.pool_sets[node.path]
                    gain = math.fsum(self.credit(m, node.unit) for m in new if m in members)
                    cost = math.fsum(self.problem.cost[m] for m in new)
                    key = (cost / gain, cost, a)
                    if best is None or key < best:
                        best = key
                if best is None:
                    return False
                chosen |= closures[best[2]]
            return True
        if isinstance(node, AllOf):
            start = self.first_open(node, masked) if node.ordered else 0
            return all(
                self.satisfy(c, chosen, masked or (node.ordered and n > start))
                for n, c in enumerate(node.children)
                if n >= start
            )
        need = 1 if isinstance(node, AnyOf) else node.count
        while sum(self.value(c, chosen, masked) for c in node.children) < need:
            choice: tuple[float, int, set[str]] | None = None
            for n, child in enumerate(node.children):
                if self.value(child, chosen, masked):
                    continue
                trial = set(chosen)
                if self.satisfy(child, trial, masked):
                    option = (self.added(chosen, trial), n, trial)
                    if choice is None or option[:2] < choice[:2]:
                        choice = option
            if choice is None:
                return False
            chosen |= choice[2]
        return True

    def step_edges(self, chosen: set[str]) -> dict[str, set[str]]:
        """Chosen items of each step of an ordered group before those of the next step."""
        before: dict[str, set[str]] = {}
        for node in _walk(self.pathway.rule):
            if not (isinstance(node, AllOf) and node.ordered):
                continue
            steps = [self.ids(c) & chosen for c in node.children]
            for earlier, later in itertools.pairwise(steps):
                for v in later:
                    before.setdefault(v, set()).update(u for u in earlier if u != v)
        return before

    def ids(self, node: Node) -> set[str]:
        out: set[str] = set()
        for n in _walk(node):
            if isinstance(n, Leaf):
                out.add(n.achievement)
            elif isinstance(n, MinTotal):
                out.update(a for a in self.pools[n.path] if self.credit(a, n.unit) > 0)
        return out

    # ------------------------------------------------------------ the real check

    def earned(self, order: list[str]) -> list[Earned]:
        """Held achievements first (time 0), then the plan in order (times 1, 2, …)."""
        out: list[Earned] = []
        for n, a in enumerate([*sorted(self.held), *order]):
            item = self.catalog.items.get(a)
            planned = n >= len(self.held)
            out.append(
                Earned(
                    achievement_id=a,
                    credential_id=("plan:" if planned else "held:") + a,
                    awarded_ts=float(n - len(self.held) + 1) if planned else 0.0,
                    ects=None if item is None else item.ects,
                    hours=None if item is None else item.hours,
                    name=None if item is None else item.name,
                )
            )
        return out

    def holds(self, order: list[str]) -> bool:
        """The pathway's own evaluator on held achievements plus the plan in this order."""
        return next(iter(evaluate_many(self.pathway, [self.earned(order)])))[0]

    def counts(self, order: list[str]) -> dict[str, str]:
        """For each planned item the rule uses: the group (label, else path) it counts in."""
        tree = evaluate(self.pathway, self.earned(order))
        labels = {n.path: n.label for n in _walk(self.pathway.rule) if n.label}
        found: dict[str, list[str]] = {}

        def visit(result: NodeResult, trail: list[str], allowed: set[str]) -> None:
            trail = [*trail, result.path]
            here = {e.credential_id for e in result.used} & allowed
            if result.children:
                for child in result.children:
                    visit(child, trail, here)
                return
            named = [labels[p] for p in trail if p in labels]
            where = named[-1] if named else result.path
            for cid in sorted(here):
                if cid.startswith("plan:"):
                    bucket = found.setdefault(cid[len("plan:") :], [])
                    if where not in bucket:
                        bucket.append(where)

        visit(tree, [], {e.credential_id for e in tree.used})
        return {k: ", ".join(v) for k, v in found.items()}


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
    pathway: Pathway | None = None,
) -> PlanResult:
    """The cheapest prerequisite-respecting set of achievements covering ``need`` minus ``have``.

    ``have_achievements`` are achievement ids the learner already completed: their skills count
    as held and they satisfy prerequisites (ids not in the catalog are ignored, except by a
    pathway rule).  ``require`` names achievements that must be in the plan.  With ``pathway``
    the plan also completes that stackable qualification (``need`` may then be empty); a rule
    the catalog cannot complete raises :class:`InvalidInput` naming the nodes.  Skills no item
    teaches are reported in ``uncovered``; the plan covers the rest.
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

    earned = frozenset(have_achievements)
    rule_items = _rule_items(pathway, catalog, held) if pathway is not None else []
    problem = _Problem(catalog, teachable, held, required, goal, min_quality, rule_items)
    pool_currency, mixed = _currency(problem.items.values())
    if goal == "price" and mixed:
        names = sorted({i.currency for i in problem.items.values() if i.currency is not None})
        raise InvalidInput(
            f"the items that could close this gap are priced in {', '.join(names)}; "
            "minimising price needs one currency (convert the catalog, or minimise hours)"
        )
    candidates = problem.undominated()
    if pathway is None:
        solution = problem.solve_milp(candidates, time_limit)
        greedy = problem.prune(problem.solve_greedy(list(problem.items)))
        chosen, optimal = solution.chosen, solution.optimal
        if chosen is None:  # the solver found nothing in time: fall back to the greedy plan
            chosen, optimal = set(greedy), False
        order = problem.ordered(problem.prune(chosen))
        greedy_total = problem.total(greedy)
        counts: dict[str, str] = {}
    else:
        order, optimal, solution, greedy_total, candidates = _plan_pathway(
            problem, candidates, pathway, earned, time_limit
        )
        counts = _Rule(pathway, problem, earned).counts(order)
    mip_gap = solution.mip_gap
    items = [catalog.items[k] for k in order]
    currency, mixed_plan = _currency(items)
    if not mixed_plan and currency is None:
        currency = pool_currency
    steps = _explain(problem, order, label, counts, pathway)
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
        greedy_total=greedy_total,
        mip_gap=mip_gap,
        candidates=len(candidates),
        pathway=pathway,
    )


def _plan_pathway(
    problem: _Problem,
    candidates: list[str],
    pathway: Pathway,
    earned: frozenset[str],
    time_limit: float,
) -> tuple[list[str], bool, _Solution, float, list[str]]:
    """(order, proven optimal, solver answer, greedy total, candidates) completing a pathway."""
    rule = _Rule(pathway, problem, earned)
    while dropped := rule.reducible(candidates):  # again: their prerequisites may go next
        candidates = [k for k in candidates if k not in dropped]
    model = rule.model(candidates)  # InvalidInput when the catalog cannot complete it
    solution = problem.solve_milp(candidates, time_limit, model)
    if solution.infeasible:
        raise InvalidInput(
            "the pathway cannot be completed from this catalog: the steps of its ordered "
            f"group(s) {', '.join(model.groups)} cannot be taken in that order together with "
            "their prerequisites"
        )
    greedy = _greedy_order(problem, rule)
    if solution.chosen is None or solution.values is None:
        if greedy is None:
            raise InvalidState("the solver found no plan within the time limit")
        order, optimal = greedy, False
    else:
        order = problem.ordered(solution.chosen, rule.precedence(solution.values))
        optimal = solution.optimal
        if len(order) != len(solution.chosen) or not rule.holds(order):
            raise InvalidState("the solver's plan does not complete the pathway")  # a bug
    order = problem.prune_order(order, rule.holds)
    greedy_total = problem.total(order if greedy is None else greedy)
    return order, optimal, solution, greedy_total, candidates


def _greedy_order(problem: _Problem, rule: _Rule) -> list[str] | None:
    """The greedy pick in a valid order: the rule top-down, then the skill greedy."""
    start = rule.greedy()
    if start is None:
        return None
    chosen = problem.solve_greedy(list(problem.items), start)
    for before in (rule.step_edges(chosen), None):
        order = problem.ordered(chosen, before)
        if len(order) == len(chosen) and rule.holds(order):
            return problem.prune_order(order, rule.holds)
    return None


def _explain(
    problem: _Problem,
    order: list[str],
    label: Callable[[str], str] | Mapping[str, str] | None,
    counts: Mapping[str, str],
    pathway: Pathway | None,
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
        if k in counts and pathway is not None:
            parts.append(f"counts towards {pathway.name}: {counts[k]}")
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
