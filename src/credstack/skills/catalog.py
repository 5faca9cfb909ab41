"""A catalog of learnable achievements (courses, badges, micro-qualifications) in JSON Lines.

One achievement a line (https://jsonlines.org/)::

    {"id": "py-101", "name": "Python basics", "skills": ["http://data.europa.eu/esco/skill/..."],
     "hours": 20, "price": 150, "currency": "EUR", "prerequisites": [], "issuer": "Acme",
     "quality": 0.8, "ects": 2}

``currency``, ``quality`` and ``ects`` (ECTS credits, for pathway totals) are optional; every
other member is required.  Unknown members
are ignored.  Blank lines are skipped.  Every problem of a file is collected (with its line
number) and reported in one :class:`~credstack.errors.InvalidInput`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from credstack._json import parse_json
from credstack.errors import InvalidInput, NotFound

MAX_CATALOG_BYTES = 128 * 1024 * 1024
MAX_CATALOG_LINES = 500_000
MAX_LINE_BYTES = 64 * 1024
MAX_REPORTED_PROBLEMS = 25

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REQUIRED = ("id", "name", "skills", "hours", "price", "prerequisites", "issuer")


class SkillFramework(Protocol):
    """Anything with a ``skills`` mapping keyed by skill URI (e.g. the ESCO framework)."""

    @property
    def skills(self) -> Mapping[str, object]: ...


@dataclass(frozen=True, slots=True)
class Achievement:
    """One catalog item: what it teaches, what it costs, what must come before it."""

    id: str
    name: str
    skills: tuple[str, ...]
    hours: float
    price: float
    issuer: str
    prerequisites: tuple[str, ...] = ()
    currency: str | None = None
    quality: float | None = None
    ects: float | None = None

    def cost(self, objective: str) -> float:
        """The item's cost in the unit of ``objective`` (``hours`` or ``price``)."""
        return self.hours if objective == "hours" else self.price

    def credits(self, unit: str) -> float:
        """Credits towards a pathway total: ``ects`` (0 when unset) or ``hours``."""
        if unit == "hours":
            return self.hours
        return self.ects or 0.0

    def to_json(self) -> dict[str, Any]:
        """The catalog line for this item (optional members only when set)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "skills": list(self.skills),
            "hours": self.hours,
            "price": self.price,
        }
        if self.currency is not None:
            out["currency"] = self.currency
        out["prerequisites"] = list(self.prerequisites)
        out["issuer"] = self.issuer
        if self.quality is not None:
            out["quality"] = self.quality
        if self.ects is not None:
            out["ects"] = self.ects
        return out


@dataclass(frozen=True)
class Catalog:
    """Validated achievements in file order, with a skill → teaching items index."""

    items: Mapping[str, Achievement]
    teaching: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = {}
        for item in self.items.values():
            for skill in item.skills:
                index.setdefault(skill, []).append(item.id)
        object.__setattr__(self, "teaching", {k: tuple(v) for k, v in index.items()})

    @classmethod
    def of(cls, items: Iterable[Achievement]) -> Catalog:
        """Build and check a catalog from achievements (duplicates, prerequisites, cycles)."""
        listed = list(items)
        problems: list[str] = []
        by_id: dict[str, Achievement] = {}
        where: dict[str, str] = {}
        for n, item in enumerate(listed, start=1):
            if item.id in by_id:
                problems.append(f"item {n}: duplicate id {item.id!r} (first at {where[item.id]})")
                continue
            by_id[item.id] = item
            where[item.id] = f"item {n}"
        problems += _graph_problems(by_id, where)
        if problems:
            raise InvalidInput(_summarise(problems))
        return cls(by_id)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Achievement]:
        return iter(self.items.values())

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def get(self, item_id: str) -> Achievement:
        """The achievement with this id; :class:`NotFound` when there is none."""
        try:
            return self.items[item_id]
        except KeyError:
            raise NotFound(f"no achievement {item_id!r} in the catalog") from None

    def currencies(self) -> frozenset[str]:
        """Every currency named by an item."""
        return frozenset(i.currency for i in self.items.values() if i.currency is not None)


# ---------------------------------------------------------------------- parsing


def _summarise(problems: list[str]) -> str:
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    head = f"the catalog has {len(problems)} problem{'s' if len(problems) != 1 else ''}:"
    tail = [f"  … and {more} more"] if more else []
    return "\n".join([head, *(f"  {p}" for p in shown), *tail])


def _is_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _string_list(value: object) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [v.strip() for v in value]


def _achievement(record: dict[str, Any], at: str, problems: list[str]) -> Achievement | None:
    """Check one record; append problems (prefixed ``at``) and return the item when clean."""
    before = len(problems)
    missing = [m for m in _REQUIRED if m not in record]
    if missing:
        problems.append(f"{at}: missing {', '.join(missing)}")
    ident, name, issuer = record.get("id"), record.get("name"), record.get("issuer")
    for member, value in (("id", ident), ("name", name), ("issuer", issuer)):
        if member in record and not (isinstance(value, str) and value.strip()):
            problems.append(f"{at}: {member} must be a non-empty string")
    skills = _string_list(record.get("skills", []))
    if skills is None:
        problems.append(f"{at}: skills must be a list of skill URIs (strings)")
    prerequisites = _string_list(record.get("prerequisites", []))
    if prerequisites is None:
        problems.append(f"{at}: prerequisites must be a list of achievement ids (strings)")
    numbers: dict[str, float] = {}
    for member in ("hours", "price"):
        value = record.get(member, 0)
        if not _is_number(value):
            problems.append(f"{at}: {member} must be a number, not {json.dumps(value)[:40]}")
        elif value < 0:
            problems.append(f"{at}: {member} must not be negative ({value})")
        else:
            numbers[member] = value
    currency = record.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
        problems.append(f"{at}: currency must be an ISO 4217 code such as EUR")
    quality = record.get("quality")
    if quality is not None and not (_is_number(quality) and 0 <= quality <= 1):
        problems.append(f"{at}: quality must be a number from 0 to 1")
    ects = record.get("ects")
    if ects is not None:
        if not _is_number(ects):
            problems.append(f"{at}: ects must be a number, not {json.dumps(ects)[:40]}")
        elif ects < 0:
            problems.append(f"{at}: ects must not be negative ({ects})")
    if len(problems) > before or skills is None or prerequisites is None:
        return None
    if not (isinstance(ident, str) and isinstance(name, str) and isinstance(issuer, str)):
        return None
    return Achievement(
        id=ident.strip(),
        name=name.strip(),
        skills=tuple(dict.fromkeys(skills)),
        hours=numbers["hours"],
        price=numbers["price"],
        issuer=issuer.strip(),
        prerequisites=tuple(dict.fromkeys(prerequisites)),
        currency=currency,
        quality=None if quality is None else float(quality),
        ects=None if ects is None else float(ects),
    )


def _graph_problems(
    by_id: Mapping[str, Achievement], where: Mapping[str, str], listed: Iterable[str] = ()
) -> list[str]:
    """Missing prerequisite ids, then prerequisite cycles (each named once).

    ``listed`` are ids of lines that failed their own checks: not reported missing again.
    """
    problems: list[str] = []
    known = set(listed)
    for item in by_id.values():
        for prereq in item.prerequisites:
            if prereq not in by_id and prereq not in known:
                problems.append(
                    f"{where[item.id]}: prerequisite {prereq!r} of {item.id!r} "
                    "is not in the catalog"
                )
    for cycle in find_cycles({k: v.prerequisites for k, v in by_id.items()}):
        path = " -> ".join([*cycle, cycle[0]])
        problems.append(f"{where[cycle[0]]}: prerequisite cycle {path}")
    return problems


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component that has one (iterative Tarjan).

    Edges to nodes outside ``graph`` are ignored.  Each cycle is listed from its smallest id.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in set(graph[node]):
                    components.append(component)
    return sorted(_cycle_in(graph, set(c)) for c in components)


def _cycle_in(graph: Mapping[str, Iterable[str]], members: set[str]) -> list[str]:
    """A simple cycle inside one strongly connected component, starting at its smallest id."""
    start = min(members)
    parents: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:  # breadth-first: the shortest cycle back to start
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(set(graph[node])):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1]
                if nxt in members and nxt not in seen:
                    seen.add(nxt)
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]  # unreachable for a strongly connected component


def parse_catalog(
    data: bytes | str,
    *,
    framework: SkillFramework | None = None,
    max_bytes: int = MAX_CATALOG_BYTES,
    max_lines: int = MAX_CATALOG_LINES,
) -> Catalog:
    """Parse and validate a JSON Lines catalog; every problem is reported in one InvalidInput.

    With ``framework``, every skill URI must be one of ``framework.skills``.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"the catalog is {len(raw)} bytes; the limit is {max_bytes}", code="INPUT_TOO_LARGE"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the catalog is not UTF-8 (byte {exc.start})") from None
    lines = text.splitlines()
    if len(lines) > max_lines:
        raise InvalidInput(
            f"the catalog has {len(lines)} lines; the limit is {max_lines}",
            code="INPUT_TOO_LARGE",
        )
    problems: list[str] = []
    by_id: dict[str, Achievement] = {}
    where: dict[str, str] = {}
    known = framework.skills if framework is not None else None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        at = f"line {number}"
        try:
            record = parse_json(line, what=at, max_bytes=MAX_LINE_BYTES, max_depth=8)
        except InvalidInput as exc:
            problems.append(exc.message.replace(" at line 1 column ", " at column "))
            continue
        if not isinstance(record, dict):
            problems.append(f"{at}: an achievement must be a JSON object")
            continue
        ident = record.get("id")
        if isinstance(ident, str) and ident.strip():
            first = where.setdefault(ident.strip(), at)
            if first != at:
                problems.append(f"{at}: duplicate id {ident.strip()!r} (first at {first})")
                continue
        item = _achievement(record, at, problems)
        if item is None:
            continue
        if known is not None:
            unknown = [s for s in item.skills if s not in known]
            problems += [f"{at}: unknown skill URI {s}" for s in unknown]
        by_id[item.id] = item
    if not by_id and not problems:
        problems.append("the catalog has no achievements")
    problems += _graph_problems(by_id, where, where)
    if problems:
        raise InvalidInput(_summarise(problems))
    return Catalog(by_id)


def load_catalog(path: str | Path, *, framework: SkillFramework | None = None) -> Catalog:
    """Read (bounded) and parse a catalog file."""
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read catalog {path}: {exc.strerror or exc}") from None
    try:
        return parse_catalog(data, framework=framework)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}", code=exc.code) from None


def dump_catalog(items: Iterable[Achievement], out: IO[str]) -> None:
    """Write achievements as JSON Lines (compact, member order fixed, UTF-8 text)."""
    for item in items:
        out.write(json.dumps(item.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
