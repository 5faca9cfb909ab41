"""Learning-path planner: time for a 20-skill gap over generated catalogs, and exactness.

Usage: ``.venv/bin/python benchmarks/skills/planner.py [--sizes 1000,10000,50000] [--gaps 10]
[--seed 1] [--brute 300]``

1. For each size, a catalog is generated from ESCO v1.2 (fixed seed), written as JSON Lines and
   parsed back (parse time printed).  Then ``--gaps`` gaps of 20 skills each, in turn drawn
   from one occupation's skills (a realistic target role), scattered over every skill the
   catalog teaches, and from the 200 most-taught skills (the largest candidate sets), plus
   the 20 most-taught skills themselves (the worst case), are planned with both objectives
   (hours, price).  Printed: median and max planner time, how many plans were proven optimal,
   greedy/optimal cost ratio, candidates left after prefiltering and dominance.  Target:
   proven-optimal plans in under 2 s at 50,000 achievements.  One more line per size times a
   plan that must also complete a stackable pathway (an ordered core, 2 of 5 electives and a
   minimum total of hours, over listed items and over ``"any"`` item).
2. ``--brute`` random instances small enough to enumerate (<= 10 items, <= 6 skills, random
   prerequisite DAG, random quality threshold): the planner's cost is compared with the
   brute-force optimum; the count that agree is printed.
"""

from __future__ import annotations

import argparse
import io
import itertools
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "src"))

from credstack.skills.catalog import (  # noqa: E402
    Achievement,
    Catalog,
    dump_catalog,
    parse_catalog,
)
from credstack.skills.generate import (  # noqa: E402
    OccupationText,
    SkillText,
    esco_inputs,
    generate_catalog,
)
from credstack.skills.pathways import parse_pathway  # noqa: E402
from credstack.skills.planner import plan_path  # noqa: E402

TARGET_SECONDS = 2.0
TARGET_SIZE = 50_000
GAP = 20


def _gaps(
    rng: random.Random, catalog: Catalog, occupations: list[OccupationText], count: int
) -> list[tuple[str, list[str]]]:
    """Gaps of 20 skills: one role's skills, scattered taught skills, the most-taught skills."""
    taught = sorted(catalog.teaching)
    popular = sorted(taught, key=lambda s: (-len(catalog.teaching[s]), s))[:200]
    roles = [o for o in occupations if len(set(o.essential) | set(o.optional)) >= GAP]
    out: list[tuple[str, list[str]]] = []
    for n in range(count):
        if n % 3 == 0:
            role = rng.choice(roles)
            out.append(("role", rng.sample(sorted(set(role.essential) | set(role.optional)), GAP)))
        elif n % 3 == 1:
            out.append(("scattered", rng.sample(taught, GAP)))
        else:
            out.append(("popular", rng.sample(popular, GAP)))
    out.append(("top", popular[:GAP]))  # the worst case: the 20 most-taught skills
    return out


def bench_size(
    size: int, seed: int, gaps: int, skills: list[SkillText], occupations: list[OccupationText]
) -> bool:
    started = time.perf_counter()
    items = generate_catalog(skills, occupations, size=size, seed=seed)
    generated = time.perf_counter() - started
    buffer = io.StringIO()
    dump_catalog(items, buffer)
    text = buffer.getvalue()
    started = time.perf_counter()
    catalog = parse_catalog(text)
    parsed = time.perf_counter() - started
    print(
        f"\ncatalog {size:,} achievements (seed {seed}): generated in {generated:.2f} s, "
        f"{len(text.encode()) / 1e6:.1f} MB JSONL parsed in {parsed:.2f} s"
    )
    rng = random.Random(seed * 7919 + size)
    all_ok = True
    chosen_gaps = _gaps(rng, catalog, occupations, gaps)
    for objective in ("hours", "price"):
        times: list[float] = []
        ratios: list[float] = []
        candidates: list[int] = []
        uncovered: list[int] = []
        proven = 0
        for _, need in chosen_gaps:
            started = time.perf_counter()
            result = plan_path(catalog, need, objective=objective)
            times.append(time.perf_counter() - started)
            proven += result.optimal
            candidates.append(result.candidates)
            uncovered.append(len(result.uncovered))
            if result.total > 0:
                ratios.append(result.greedy_total / result.total)
        all_ok = all_ok and proven == len(times) and max(times) < TARGET_SECONDS
        ratio = (
            f"greedy/optimal mean {statistics.mean(ratios):.3f} max {max(ratios):.3f}"
            if ratios
            else "greedy/optimal n/a"
        )
        print(
            f"  minimise {objective:<5}: {len(times)} gaps of {GAP} skills, "
            f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, "
            f"proven optimal {proven}/{len(times)}, {ratio}, "
            f"candidates median {statistics.median(candidates):.0f}, "
            f"uncovered mean {statistics.mean(uncovered):.1f}"
        )
    bench_pathway(catalog, rng, chosen_gaps[0][1])
    return all_ok


def bench_pathway(catalog: Catalog, rng: random.Random, need: list[str]) -> None:
    """Time plans that close a gap and complete a pathway (listed pool, then "any" item)."""
    ids = rng.sample(sorted(catalog.items), 38)
    for pool in ("listed", "any"):
        of = [{"achievement": i} for i in ids[8:]] if pool == "listed" else "any"
        rule = {
            "allOf": [
                {"allOf": [{"achievement": i} for i in ids[:3]], "ordered": True},
                {"atLeast": 2, "of": [{"achievement": i} for i in ids[3:8]]},
                {"minTotal": {"hours": 60}, "of": of},
            ]
        }
        pathway = parse_pathway({"version": 1, "id": "urn:bench", "name": "Bench", "rule": rule})
        for objective in ("hours", "price"):
            started = time.perf_counter()
            result = plan_path(catalog, need, objective=objective, pathway=pathway)
            took = time.perf_counter() - started
            print(
                f"  pathway ({pool} pool) + {len(need)}-skill gap, minimise {objective:<5}: "
                f"{took * 1000:.0f} ms, proven optimal {result.optimal}, "
                f"{len(result.plan)} steps, candidates {result.candidates}, "
                f"greedy/optimal {result.greedy_total / max(result.total, 1e-9):.3f}"
            )


# ---------------------------------------------------------------------- brute force


def _random_instance(
    rng: random.Random,
) -> tuple[Catalog, list[str], list[str], list[str], float | None, str]:
    skills = [f"s{k}" for k in range(rng.randint(1, 6))]
    items = []
    for i in range(rng.randint(1, 10)):
        prereqs = rng.sample(range(i), rng.randint(0, min(2, i)))
        items.append(
            Achievement(
                id=f"i{i}",
                name=f"Course {i}",
                skills=tuple(rng.sample(skills, rng.randint(0, min(3, len(skills))))),
                hours=rng.randint(0, 20),
                price=rng.randint(0, 20),
                issuer="Bench",
                prerequisites=tuple(f"i{p}" for p in prereqs),
                currency="EUR",
                quality=rng.choice([None, 0.2, 0.5, 0.9]),
            )
        )
    rng.shuffle(items)
    need = rng.sample([*skills, "untaught"], rng.randint(1, len(skills) + 1))
    have = rng.sample(skills, rng.randint(0, min(2, len(skills))))
    done = [i.id for i in rng.sample(items, rng.randint(0, min(2, len(items))))]
    quality = rng.choice([None, 0.5])
    return Catalog.of(items), need, have, done, quality, rng.choice(["hours", "price"])


def _brute_force(
    catalog: Catalog,
    need: list[str],
    have: list[str],
    done: list[str],
    quality: float | None,
    objective: str,
) -> float:
    held = set(have).union(*(catalog.get(d).skills for d in done))
    free = [i for i in catalog if i.id not in done]
    teachable = {s for s in need if s not in held and any(s in i.skills for i in free)}
    allowed: dict[str, set[str]] = {}
    for s in teachable:
        teachers = {i.id for i in free if s in i.skills}
        good = {
            i.id
            for i in free
            if i.id in teachers
            and (quality is None or (i.quality is not None and i.quality >= quality))
        }
        allowed[s] = good or teachers
    best = math.inf
    for size in range(len(free) + 1):
        for subset in itertools.combinations(free, size):
            chosen = {i.id for i in subset}
            if any(p not in chosen and p not in done for i in subset for p in i.prerequisites):
                continue
            if all(allowed[s] & chosen for s in teachable):
                best = min(best, math.fsum(i.cost(objective) for i in subset))
    return best


def bench_brute(count: int, seed: int) -> bool:
    rng = random.Random(seed)
    agree = 0
    for _ in range(count):
        catalog, need, have, done, quality, objective = _random_instance(rng)
        result = plan_path(
            catalog,
            need,
            have=have,
            have_achievements=done,
            objective=objective,
            min_quality=quality,
        )
        optimum = _brute_force(catalog, need, have, done, quality, objective)
        agree += result.optimal and math.isclose(result.total, optimum, abs_tol=1e-9)
    print(f"\nbrute force: planner cost = enumerated optimum on {agree}/{count} random instances")
    return agree == count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--gaps", type=int, default=12, help="gaps per size and objective")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--brute", type=int, default=300, help="brute-force instances")
    args = parser.parse_args()
    started = time.perf_counter()
    skills, occupations = esco_inputs()
    print(f"ESCO v1.2 loaded in {time.perf_counter() - started:.2f} s")
    results: dict[int, bool] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        results[size] = bench_size(size, args.seed, args.gaps, skills, occupations)
    brute_ok = bench_brute(args.brute, args.seed)
    if TARGET_SIZE in results:
        verdict = "MET" if results[TARGET_SIZE] else "NOT MET"
        print(
            f"\ntarget: proven-optimal plan for a {GAP}-skill gap over {TARGET_SIZE:,} "
            f"achievements in < {TARGET_SECONDS:.0f} s: {verdict}"
        )
    print(f"target: planner cost equals brute force: {'MET' if brute_ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
