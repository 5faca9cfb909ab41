"""Relevance: mapping job postings into the pool, full and incremental (issue 7, item 6).

Usage: ``.venv/bin/python benchmarks/quality/relevance.py [--count 1000] [--new 20]
[--cache-dir DIR]``

Two dated samples of ``--count`` postings each are generated (``credstack.relevance.sample``,
different seeds, the same sizes and occupations mix).  The script times, in one run:

* **engine** — the skills engine's own fast mapping path, ``SkillMatcher.match`` (the static
  model2vec option, top 15) over every text of the first sample: texts per second.  This is
  the ceiling for relevance, which maps with that very call;
* **full rebuild** — ``import_postings`` of the second sample into an empty pool on a fresh
  SQLite file: parse, validate, language check, dedupe, map every posting, store it with its
  skills in batches of 200.  Postings per second, and the ratio to the engine's figure (the
  two alternate in five slices, so load from other processes weighs on both alike);
* **re-import** — the same file again: every posting is skipped, nothing is mapped;
* **incremental** — ``--new`` times: a one-posting file with a posting not yet in the pool
  (p50 / p95), and the whole file plus one new posting (the usual daily feed);
* **figures** — ``achievement_relevance`` for 10 achievements of 4 skills each, from the
  stored mappings (no matcher).

Every import counts the matcher's calls: the incremental ones must map exactly one posting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "src"))

from credstack.platform.domain import AchievementStatus, AchievementVersion  # noqa: E402
from credstack.platform.relevance import achievement_relevance, import_postings  # noqa: E402
from credstack.relevance.mapping import TOP  # noqa: E402
from credstack.relevance.sample import SamplePosting, generate_sample  # noqa: E402
from credstack.skills.framework import load_esco  # noqa: E402
from credstack.skills.generate import esco_inputs  # noqa: E402
from credstack.skills.matching import MatchResult, SkillMatcher  # noqa: E402
from credstack.storage.relevance_sql import SqlRelevanceStore  # noqa: E402
from credstack.storage.session import SqlDatabase  # noqa: E402

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
END = date(2026, 10, 31)
SLICES = 5


class Counting:
    """The real matcher, counting its calls."""

    def __init__(self, matcher: SkillMatcher) -> None:
        self.matcher = matcher
        self.calls = 0

    def match(self, text: str, *, top: int = 10) -> MatchResult:
        self.calls += 1
        return self.matcher.match(text, top=top)


def _file(postings: list[SamplePosting]) -> bytes:
    return "\n".join(json.dumps(p.to_json()) for p in postings).encode()


def _fresh_posting(n: int) -> bytes:
    record = {
        "id": f"bench-new-{n}",
        "title": "Data analyst",
        "text": (
            f"Our team number {n} in Lisbon is looking for a data analyst. You will perform "
            "data analysis, use spreadsheets software and write SQL queries. Solid knowledge "
            "of statistics is required. We offer a yearly learning budget."
        ),
        "date": "2026-10-15",
        "location": "Lisbon",
    }
    return json.dumps(record).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="postings per sample")
    parser.add_argument("--new", type=int, default=20, help="incremental runs")
    default_cache = Path.home() / ".cache" / "credstack"
    parser.add_argument("--cache-dir", type=Path, default=default_cache / "skills-bench")
    args = parser.parse_args()

    started = time.perf_counter()
    matcher = SkillMatcher.build(load_esco(), cache_dir=args.cache_dir)
    print(
        f"matcher ready in {time.perf_counter() - started:.1f} s "
        f"(from cache: {matcher.stats.loaded_from_cache})"
    )
    skills, occupations = esco_inputs()
    engine_sample = generate_sample(skills, occupations, count=args.count, seed=11, end=END)
    pool_sample = generate_sample(skills, occupations, count=args.count, seed=12, end=END)
    words = statistics.mean(len(p.text.split()) for p in pool_sample)
    print(f"samples: 2 × {args.count} postings, {words:.0f} words on average")

    for p in engine_sample[:20]:  # warm-up (first-call costs)
        matcher.match(p.text, top=TOP)

    with tempfile.TemporaryDirectory() as tmp:
        database = SqlDatabase(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        database.migrate()
        store = SqlRelevanceStore(database)
        counting = Counting(matcher)
        data = _file(pool_sample)
        # engine and rebuild alternate in five slices, so a busy machine slows both alike
        engine_s = full_s = 0.0
        new = mapped = 0
        step = -(-args.count // SLICES)
        for first in range(0, args.count, step):
            started = time.perf_counter()
            for p in engine_sample[first : first + step]:
                matcher.match(p.text, top=TOP)
            engine_s += time.perf_counter() - started
            part = _file(pool_sample[first : first + step])
            started = time.perf_counter()
            report = import_postings(store, counting, part, at=AT, imported_by="bench")
            full_s += time.perf_counter() - started
            new += report.new
            mapped += report.mapped
        engine_rate = len(engine_sample) / engine_s
        full_rate = new / full_s
        print(f"engine  SkillMatcher.match: {engine_rate:7.1f} texts/s ({engine_s:.1f} s)")
        print(
            f"full rebuild (SQLite):     {full_rate:7.1f} postings/s ({full_s:.1f} s; "
            f"{new} new, {mapped} mapped, {counting.calls} matcher calls)"
        )
        print(f"ratio full rebuild / engine: {full_rate / engine_rate:.2f}")

        calls = counting.calls
        started = time.perf_counter()
        again = import_postings(store, counting, data, at=AT, imported_by="bench")
        print(
            f"re-import of the same file: {time.perf_counter() - started:.3f} s "
            f"({again.skipped} skipped, {counting.calls - calls} matcher calls)"
        )

        single: list[float] = []
        daily: list[float] = []
        for n in range(args.new):
            calls = counting.calls
            started = time.perf_counter()
            one = import_postings(store, counting, _fresh_posting(n), at=AT, imported_by="b")
            single.append(time.perf_counter() - started)
            assert one.new == 1
            assert counting.calls == calls + 1
            calls = counting.calls
            started = time.perf_counter()
            feed = data + b"\n" + _fresh_posting(10_000 + n)
            more = import_postings(store, counting, feed, at=AT, imported_by="b")
            daily.append(time.perf_counter() - started)
            assert more.new == 1
            assert counting.calls == calls + 1

        def spread(values: list[float]) -> str:
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            return f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"

        print(f"incremental, one new posting: {spread(single)} (1 matcher call each)")
        print(
            f"incremental, file of {len(pool_sample)} + 1 new: {spread(daily)} "
            "(1 matcher call each)"
        )

        top_skills: list[str] = []
        for p in pool_sample[:200]:
            stored = store.get(f"id:{p.id}")
            if stored is not None:
                top_skills.extend(h.uri for h in stored.skills[:2])
        versions = [
            AchievementVersion(
                id=f"v{i}",
                achievement_id=f"https://bench.example/a/{i}",
                organisation_id="o",
                version=1,
                status=AchievementStatus.PUBLISHED,
                data={
                    "name": f"Achievement {i}",
                    "skills": [{"url": u, "name": u} for u in top_skills[i * 4 : i * 4 + 4]],
                },
                created_at=AT,
            )
            for i in range(10)
        ]
        times: list[float] = []
        for _ in range(10):
            started = time.perf_counter()
            figures = achievement_relevance(store, versions, at=AT)
            times.append(time.perf_counter() - started)
        asked = sum(f.current for f in figures)
        print(f"figures for 10 achievements: {spread(times)} ({asked} current postings counted)")
        database.dispose()


if __name__ == "__main__":
    main()
