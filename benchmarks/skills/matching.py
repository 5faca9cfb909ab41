"""Text → skills benchmark: mapping quality (recall@1/@5) and speed, fast and quality options.

    .venv/bin/python -m benchmarks.skills.matching [--no-quality] [--tune] [--cache-dir DIR]

Tasks (fixed seeds and sizes):

(a) aliases: an ESCO alternative label as the query, against an index built WITHOUT
    alternative labels (labels and descriptions only; 2,000 queries, seed 0).  An alias that
    several skills carry (or that is another skill's label) accepts any of them;
(b) descriptions: a skill's description as the query, against an index built WITHOUT
    descriptions (labels and alternative labels only; 2,000 queries, seed 0);
(c) held-out: ``heldout.jsonl`` (hand-written course, posting and criteria texts with 1–4
    gold ESCO skills each; never used for tuning).  R@1 = the top match is gold; R@5 = share
    of the gold skills in the top 5.

``--tune`` grid-searches the fusion weights of each option on a development split (seed 1, 300
alias and 300 description queries disjoint from the evaluation samples) and prints the best
settings by mean R@5 (+ a quarter of mean R@1); the evaluation queries are never used.
Speed: texts/s over the held-out texts and p95 latency of a 300-word posting (fast default),
and the index build time of the whole framework.  The first quality run embeds ~100,000
texts with MiniLM (several minutes on 2 cores); later runs load the cached indexes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from credstack.errors import ConfigurationError
from credstack.skills.embed import Embedder, OnnxMiniLM, StaticEmbedder
from credstack.skills.framework import Framework, load_esco
from credstack.skills.matching import (
    ALL_FIELDS,
    DEFAULT_WEIGHTS,
    Field,
    Quality,
    SkillMatcher,
    Weights,
    _Segment,
    _segments,
)

HERE = Path(__file__).resolve().parent
EVAL_SIZE = 2000
DEV_SIZE = 300
TARGETS = {
    "alias_r5_quality": 0.95,
    "description_r5_quality": 0.85,
    "p95_ms_fast": 50.0,
    "build_s_fast": 60.0,
}

POSTING = """Senior Data Engineer (hybrid, Lisbon)

About the role: our analytics team is growing and we are hiring a senior data engineer to
design, build and run the data platform that powers reporting for 3,000 retail stores.
You will own batch and streaming pipelines end to end and work closely with analysts,
product managers and the machine learning team.

What you will do:
- Design and maintain ETL pipelines in Python and SQL that load sales, stock and web data
  into our cloud data warehouse.
- Model data for reporting and make sure the data quality checks catch errors early.
- Build dashboards with the analysts and explain the results to non-technical colleagues.
- Automate deployments with continuous integration, write unit tests and review code.
- Keep the platform secure: manage access rights and follow our information security policy.
- Mentor two junior engineers and help them plan their work.

What you bring:
- Five years of experience in software development, including strong Python programming and
  advanced SQL.
- Experience with cloud services, containers and version control with Git.
- Knowledge of statistics and of data mining methods; experience with machine learning
  models in production is a plus.
- Good communication skills in English; Portuguese is an advantage.
- A structured way of working, attention to detail and the ability to manage your time across
  several projects.

We offer a permanent contract, a training budget, flexible hours and a friendly team that
values learning. Apply with your CV and a short note about a data project you are proud of."""


class MemoEmbedder:
    """Wraps an embedder so that texts shared between indexes are embedded once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.memo: dict[str, npt.NDArray[np.float32]] = {}

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if todo:
            for text, vector in zip(todo, self.inner.encode(todo), strict=True):
                self.memo[text] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


@dataclass(frozen=True)
class Query:
    text: str
    gold: tuple[str, ...]
    any_of: bool = False
    """True: any one gold skill in the top k is a hit (an alias shared by several skills)."""


def alias_queries(framework: Framework) -> tuple[list[Query], list[Query]]:
    """(evaluation, development) alias queries; a pair is in at most one of them."""
    pairs = sorted(
        (alt, uri)
        for uri, skill in framework.skills.items()
        for alt in skill.alt_labels
        if alt.lower() != skill.label.lower()
    )
    random.Random(0).shuffle(pairs)
    named: dict[str, set[str]] = {}
    for uri, skill in framework.skills.items():
        for name in (skill.label, *skill.alt_labels):
            named.setdefault(name.lower(), set()).add(uri)

    def query(alias: str, uri: str) -> Query:
        others = sorted(named[alias.lower()] - {uri})
        return Query(alias, (uri, *others), any_of=True)

    evaluation = [query(a, u) for a, u in pairs[:EVAL_SIZE]]
    rest = pairs[EVAL_SIZE:]
    random.Random(1).shuffle(rest)
    return evaluation, [query(a, u) for a, u in rest[:DEV_SIZE]]


def description_queries(framework: Framework) -> tuple[list[Query], list[Query]]:
    """(evaluation, development) description queries over disjoint skills."""
    uris = sorted(u for u, s in framework.skills.items() if s.description)
    random.Random(0).shuffle(uris)
    evaluation = [Query(framework.skills[u].description, (u,)) for u in uris[:EVAL_SIZE]]
    rest = uris[EVAL_SIZE:]
    random.Random(1).shuffle(rest)
    dev = [Query(framework.skills[u].description, (u,)) for u in rest[:DEV_SIZE]]
    return evaluation, dev


def heldout_queries() -> list[Query]:
    out: list[Query] = []
    with (HERE / "heldout.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                out.append(Query(item["text"], tuple(item["gold"])))
    return out


def recall(matcher: SkillMatcher, queries: Sequence[Query]) -> tuple[float, float]:
    """(R@1, R@5): the top match is gold; the share of gold skills in the top 5."""
    r1 = r5 = 0.0
    for query in queries:
        found = [m.uri for m in matcher.match(query.text, top=5).matches]
        r1 += 1.0 if found[:1] and found[0] in query.gold else 0.0
        hits = len(set(found) & set(query.gold))
        r5 += min(1, hits) if query.any_of else hits / min(5, len(query.gold))
    return r1 / len(queries), r5 / len(queries)


def build(
    framework: Framework,
    quality: Quality,
    fields: frozenset[Field],
    cache_dir: Path,
    embedder: Embedder,
    weights: Weights | None = None,
) -> tuple[SkillMatcher, float]:
    start = time.perf_counter()
    matcher = SkillMatcher.build(
        framework,
        cache_dir=cache_dir,
        quality=quality,
        fields=fields,
        weights=weights,
        embedder=embedder,
    )
    return matcher, time.perf_counter() - start


# ------------------------------------------------------------------------------ tuning


Arr = npt.NDArray[np.float32]
Signals = list[tuple[tuple[Arr, Arr, Arr, Arr, Arr], npt.NDArray[np.bool_]]]


def _signals(matcher: SkillMatcher, queries: Sequence[Query]) -> Signals:
    out: Signals = []
    for query in queries:
        segments = _segments(query.text) or [_Segment(query.text, 0)]
        clause = np.array([s.clause for s in segments], dtype=np.bool_)
        out.append((matcher.signals([s.text for s in segments]), clause))
    return out


def _recall(
    matcher: SkillMatcher, signals: Signals, queries: Sequence[Query]
) -> tuple[float, float]:
    """(R@1, R@5) from precomputed signals (single-gold development queries)."""
    gold_index = {u: i for i, u in enumerate(matcher.uris)}
    r1 = r5 = 0
    for (arrays, clause), query in zip(signals, queries, strict=True):
        best = matcher.fuse(*arrays, clause).max(axis=0)
        golds = [gold_index[u] for u in query.gold]
        rank = min(int((best > best[g]).sum()) for g in golds)
        r1 += rank < 1
        r5 += rank < 5
    return r1 / len(queries), r5 / len(queries)


def tune(framework: Framework, quality: Quality, cache_dir: Path, embedder: Embedder) -> None:
    _, alias_dev = alias_queries(framework)
    _, desc_dev = description_queries(framework)
    no_alt = frozenset(ALL_FIELDS - {"alt_labels"})
    no_desc = frozenset(ALL_FIELDS - {"description"})
    grid = [i / 10 for i in range(11)]
    results: list[tuple[float, tuple[float, float], tuple[float, float], Weights]] = []
    # signals with the description cosine computed (kept apart from ``cos``)
    base = replace(DEFAULT_WEIGHTS[quality], desc=0.1, cos_with_description=False)
    m_alias, _ = build(framework, quality, no_alt, cache_dir, embedder, base)
    m_desc, _ = build(framework, quality, no_desc, cache_dir, embedder, base)
    s_alias = {w: _with_description(_signals(m_alias, alias_dev), w) for w in (False, True)}
    s_desc = {w: _with_description(_signals(m_desc, desc_dev), w) for w in (False, True)}
    for wc, wd, wl, floor, with_desc in itertools.product(
        grid, grid, grid, (0.0, 0.2), (False, True)
    ):
        if wc + wd + wl > 1.0 + 1e-9 or wc < 0.3:
            continue
        weights = replace(
            base,
            cos=round(wc, 2),
            desc=round(wd, 2),
            lex=round(wl, 2),
            cover=round(1 - wc - wd - wl, 2),
            cos_floor=floor,
            cos_with_description=with_desc,
        )
        m_alias.weights = m_desc.weights = weights
        a = _recall(m_alias, s_alias[with_desc], alias_dev)
        d = _recall(m_desc, s_desc[with_desc], desc_dev)
        results.append(((a[1] + d[1]) / 2 + (a[0] + d[0]) / 8, a, d, weights))
    results.sort(key=lambda r: -r[0])
    print(f"tuning ({quality}) on the development split, best 5 by mean R@5 + R@1/4:")
    for _, a, d, w in results[:5]:
        print(
            f"  alias R@1 {a[0]:.3f} R@5 {a[1]:.3f} description R@1 {d[0]:.3f} R@5 {d[1]:.3f}  {w}"
        )


def _with_description(signals: Signals, with_desc: bool) -> Signals:
    """The signals with ``cos`` replaced by max(cos, desc) when ``with_desc``."""
    if not with_desc:
        return signals
    return [
        ((np.maximum(cos, desc), desc, bm25, cover, mass), clause)
        for (cos, desc, bm25, cover, mass), clause in signals
    ]


# ------------------------------------------------------------------------------ main


def speed(matcher: SkillMatcher, texts: Sequence[str], runs: int) -> tuple[float, float]:
    """(texts per second over ``texts``, p95 latency in ms of the 300-word posting)."""
    matcher.match(POSTING)
    start = time.perf_counter()
    for text in texts:
        matcher.match(text)
    rate = len(texts) / (time.perf_counter() - start)
    latencies = []
    for _ in range(runs):
        t0 = time.perf_counter()
        matcher.match(POSTING)
        latencies.append((time.perf_counter() - t0) * 1000)
    return rate, statistics.quantiles(latencies, n=20)[-1]


def evaluate(
    framework: Framework,
    quality: Quality,
    cache_dir: Path,
    embedder: Embedder,
    m_full: SkillMatcher,
    runs: int,
) -> dict[str, float]:
    alias_eval, _ = alias_queries(framework)
    desc_eval, _ = description_queries(framework)
    held = heldout_queries()
    m_alias, _ = build(framework, quality, frozenset({"label", "description"}), cache_dir, embedder)
    m_desc, _ = build(framework, quality, frozenset({"label", "alt_labels"}), cache_dir, embedder)
    out: dict[str, float] = {}
    out["alias_r1"], out["alias_r5"] = recall(m_alias, alias_eval)
    out["description_r1"], out["description_r5"] = recall(m_desc, desc_eval)
    out["heldout_r1"], out["heldout_r5"] = recall(m_full, held)
    # speed without the memo wrapper (it would serve repeated texts from memory)
    raw = embedder.inner if isinstance(embedder, MemoEmbedder) else embedder
    timed = SkillMatcher.build(framework, cache_dir=cache_dir, quality=quality, embedder=raw)
    out["texts_per_s"], out["p95_ms"] = speed(timed, [q.text for q in held] * 3, runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-quality", action="store_true", help="skip the MiniLM option")
    parser.add_argument("--tune", action="store_true", help="grid-search weights on dev split")
    parser.add_argument("--runs", type=int, default=200, help="posting latency runs")
    default_cache = Path(os.environ.get("CREDSTACK_CACHE_DIR", "~/.cache/credstack")).expanduser()
    parser.add_argument("--cache-dir", type=Path, default=default_cache / "skills-bench")
    args = parser.parse_args()
    framework = load_esco()
    print(f"{framework!r}")
    qualities: list[Quality] = ["fast"] if args.no_quality else ["fast", "quality"]
    figures: dict[str, dict[str, float]] = {}
    for quality in qualities:
        try:
            inner: Embedder = OnnxMiniLM() if quality == "quality" else StaticEmbedder()
        except ConfigurationError as exc:
            print(f"{quality}: skipped ({exc.message})")
            continue
        embedder = MemoEmbedder(inner)
        if args.tune:
            tune(framework, quality, args.cache_dir / "tune", embedder)
            continue
        with_cache = args.cache_dir / quality
        start = time.perf_counter()
        full = SkillMatcher.build(
            framework, cache_dir=with_cache, quality=quality, embedder=embedder
        )
        build_s = time.perf_counter() - start
        build_note = "uncached"
        if full.stats.loaded_from_cache:
            if quality == "fast":
                start = time.perf_counter()
                SkillMatcher.build(framework, cache_dir=None, quality=quality, embedder=inner)
                build_s = time.perf_counter() - start
            else:
                build_note = "loaded from cache; delete the cache to time a build"
        result = evaluate(framework, quality, with_cache, embedder, full, args.runs)
        result["build_s"] = build_s
        figures[quality] = result
        print(
            f"{quality:8s} alias R@1 {result['alias_r1']:.3f} R@5 {result['alias_r5']:.3f} | "
            f"description R@1 {result['description_r1']:.3f} R@5 {result['description_r5']:.3f} | "
            f"held-out R@1 {result['heldout_r1']:.3f} R@5 {result['heldout_r5']:.3f}"
        )
        print(
            f"{'':8s} {result['texts_per_s']:.0f} texts/s, 300-word posting p95 "
            f"{result['p95_ms']:.1f} ms, full index build {result['build_s']:.1f} s ({build_note})"
        )
    if args.tune:
        return
    print("targets:")
    checks = [
        ("alias R@5 >= 0.95 (quality)", figures.get("quality", {}).get("alias_r5"), 0.95, True),
        ("description R@5 >= 0.85 (quality)", figures.get("quality", {}).get("description_r5"),
         0.85, True),
        ("posting p95 < 50 ms (fast)", figures.get("fast", {}).get("p95_ms"), 50.0, False),
        ("index build < 60 s (fast)", figures.get("fast", {}).get("build_s"), 60.0, False),
    ]  # fmt: skip
    for name, value, target, higher in checks:
        if value is None:
            print(f"  {name}: not measured")
            continue
        met = value >= target if higher else value < target
        print(f"  {name}: {value:.3f} -> {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
