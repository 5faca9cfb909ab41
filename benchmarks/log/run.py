"""Transparency-log benchmark (issue 5, item 6): append, proofs, verification, storage, memory.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/log/run.py [--leaves 1000000]
        [--backends memory,sqlite,postgresql]

For each backend, in a fresh forked process (so its peak RSS is its own):

* append ``--leaves`` credential-issued leaves in batches of ``--batch`` (10,000): for SQL,
  ``translog.append_events`` in one committed unit of work per batch (leaf encoding, leaf
  hashes, Merkle nodes, inserts); for memory, ``MerkleTree.append`` over a ``MemoryNodeStore``;
* 2,000 random inclusion proofs and 1,000 random consistency proofs at the full size, read
  through the store the way ``translog`` does (a ``MerkleTree`` over ``StoredNodes`` for the
  requested size, then the proof), with the node keys and round trips each one needed;
* RFC 9162 verification of each proof (``verify_inclusion`` / ``verify_consistency``);
* storage per leaf (SQLite: the database file after a WAL checkpoint; PostgreSQL:
  ``pg_total_relation_size`` of the log tables; memory: growth of the resident set);
* peak RSS (``resource.getrusage``).

Then offline bundle verification (``verify_bundle``) of a bundle holding a real signed
credential, built with the helpers of ``tests/log/test_bundle.py``.  Each target is printed
as met or NOT MET.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
for entry in (str(ROOT), str(ROOT / "src")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from credstack.log.leaf import EventType, encode_leaf  # noqa: E402
from credstack.log.merkle import (  # noqa: E402
    MemoryNodeStore,
    MerkleTree,
    Node,
    NodeKey,
    NodeStore,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

ISSUER = "did:web:issuer.example"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
LOG_TABLES = ("log_leaves", "log_nodes", "log_checkpoints", "log_cosignatures")
BACKENDS = ("memory", "sqlite", "postgresql")

APPEND_TARGET = 20_000.0  # leaves per second, in batches
INCLUSION_P99_TARGET_MS = 2.0
BUNDLE_P99_TARGET_MS = 20.0
FULL_SIZE = 1_000_000


# --- measurement helpers ----------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0..100) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_mb() -> float:
    """Peak resident set of this process, MB (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class CountingStore:
    """A :class:`NodeStore` wrapper counting node keys read and round trips (get_many calls)."""

    def __init__(self, inner: NodeStore) -> None:
        self.inner = inner
        self.keys = 0
        self.calls = 0

    def reset(self) -> None:
        self.keys = 0
        self.calls = 0

    def get(self, level: int, index: int) -> bytes:
        self.keys += 1
        self.calls += 1
        return self.inner.get(level, index)

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        self.keys += len(keys)
        self.calls += 1
        return self.inner.get_many(keys)

    def put_many(self, nodes: Iterable[Node]) -> None:
        self.inner.put_many(nodes)


@dataclass
class Stats:
    """Timings (ms) plus reads per operation."""

    times_ms: list[float] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)

    def line(self, label: str) -> str:
        text = (
            f"  {label:<22} p50 {percentile(self.times_ms, 50):7.3f} ms   "
            f"p99 {percentile(self.times_ms, 99):7.3f} ms"
        )
        if self.keys:
            text += (
                f"   node reads/proof: mean {sum(self.keys) / len(self.keys):.1f}, "
                f"max {max(self.keys)} in max {max(self.calls)} round trip(s)"
            )
        return text


@dataclass
class BackendResult:
    backend: str
    leaves: int
    append_rate: float
    inclusion_p99_ms: float
    inclusion_max_keys: int
    bytes_per_leaf: float
    peak_rss_mb: float


# --- workloads ----------------------------------------------------------------------------------


def leaf_events(start: int, count: int) -> list[tuple[datetime, bytes, str]]:
    """``(event time, credential digest, credential id)`` of leaves ``start ..``."""
    out = []
    for i in range(start, start + count):
        digest = hashlib.sha256(i.to_bytes(8, "big")).digest()
        out.append(
            (
                EPOCH + timedelta(milliseconds=i),
                digest,
                f"urn:uuid:00000000-0000-4000-8000-{i:012x}",
            )
        )
    return out


def run_proofs(
    make_tree: Callable[[CountingStore, int], MerkleTree],
    store: CountingStore,
    size: int,
    inclusions: int,
    consistencies: int,
    rng: random.Random,
    budget_s: float,
) -> tuple[Stats, Stats, Stats, Stats]:
    """Inclusion and consistency proofs at ``size`` and their verification; each kind stops
    early (with a note) once it has spent ``budget_s`` seconds, so a slow store cannot stall
    the run."""
    head = make_tree(store, size)
    root = head.root()
    incl, incl_verify = Stats(), Stats()
    deadline = time.perf_counter() + budget_s
    for _ in range(inclusions):
        if time.perf_counter() > deadline:
            break
        index = rng.randrange(size)
        store.reset()
        t0 = time.perf_counter_ns()
        proof = make_tree(store, size).inclusion_proof(index)
        t1 = time.perf_counter_ns()
        incl.times_ms.append((t1 - t0) / 1e6)
        incl.keys.append(store.keys)
        incl.calls.append(store.calls)
        leaf = store.inner.get(0, index)
        t0 = time.perf_counter_ns()
        verify_inclusion(index, size, leaf, proof, root)
        incl_verify.times_ms.append((time.perf_counter_ns() - t0) / 1e6)
    cons, cons_verify = Stats(), Stats()
    deadline = time.perf_counter() + budget_s
    for _ in range(consistencies):
        if time.perf_counter() > deadline:
            break
        old = rng.randrange(1, size)
        store.reset()
        t0 = time.perf_counter_ns()
        proof = make_tree(store, size).consistency_proof(old)
        t1 = time.perf_counter_ns()
        cons.times_ms.append((t1 - t0) / 1e6)
        cons.keys.append(store.keys)
        cons.calls.append(store.calls)
        old_root = head.root(old)
        t0 = time.perf_counter_ns()
        verify_consistency(old, size, proof, old_root, root)
        cons_verify.times_ms.append((time.perf_counter_ns() - t0) / 1e6)
    return incl, incl_verify, cons, cons_verify


@dataclass(frozen=True)
class Options:
    leaves: int
    batch: int
    inclusions: int
    consistencies: int
    seed: int
    workdir: str
    budget_s: float


def bench_memory(opts: Options) -> BackendResult:
    rss_before = current_rss_bytes()
    tree = MerkleTree(MemoryNodeStore())
    append_s = 0.0
    done = 0
    while done < opts.leaves:
        count = min(opts.batch, opts.leaves - done)
        t0 = time.perf_counter()
        hashes = [
            leaf_hash(encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, at, digest))
            for at, digest, _ in leaf_events(done, count)
        ]
        tree.append(hashes)
        append_s += time.perf_counter() - t0
        done += count
    rss_growth = current_rss_bytes() - rss_before
    store = CountingStore(tree.store)
    return report(
        "memory",
        opts,
        append_s,
        lambda s, size: MerkleTree(s, size),
        store,
        rss_growth / opts.leaves,
        "resident-set growth (nodes in a dict)",
    )


def bench_sql(backend: str, url: str, opts: Options, size_of: Callable[[], int]) -> BackendResult:
    from credstack.platform.translog import LogEvent, StoredNodes, append_events
    from credstack.storage.session import SqlDatabase

    db = SqlDatabase(url)
    db.migrate()
    append_s = 0.0
    done = 0
    recorded = EPOCH + timedelta(days=1)
    while done < opts.leaves:
        count = min(opts.batch, opts.leaves - done)
        t0 = time.perf_counter()
        events = [
            LogEvent(EventType.CREDENTIAL_ISSUED, ISSUER, at, digest, cid)
            for at, digest, cid in leaf_events(done, count)
        ]
        with db.unit_of_work() as uow:
            append_events(uow, events, recorded)
            uow.commit()
        append_s += time.perf_counter() - t0
        done += count
        if done % (10 * opts.batch) == 0 or done == opts.leaves:
            print(f"    [{backend}] {done:,} leaves, {done / append_s:,.0f}/s so far", flush=True)
    with db.unit_of_work() as uow:
        if uow.log.size() != opts.leaves:
            raise SystemExit(f"{backend}: the log holds {uow.log.size()} leaves")
        store = CountingStore(StoredNodes(uow.log))
        result = report(
            backend,
            opts,
            append_s,
            lambda s, size: MerkleTree(s, size),
            store,
            None,
            "",
            size_of=lambda: float(size_of()),
        )
    db.dispose()
    return result


def report(
    backend: str,
    opts: Options,
    append_s: float,
    make_tree: Callable[[CountingStore, int], MerkleTree],
    store: CountingStore,
    bytes_per_leaf: float | None,
    storage_note: str,
    size_of: Callable[[], float] | None = None,
) -> BackendResult:
    rate = opts.leaves / append_s
    print(f"  append                 {opts.leaves:,} leaves in {append_s:.1f} s: {rate:,.0f}/s")
    rng = random.Random(opts.seed)
    incl, incl_v, cons, cons_v = run_proofs(
        make_tree, store, opts.leaves, opts.inclusions, opts.consistencies, rng, opts.budget_s
    )
    for stats, wanted, what in (
        (incl, opts.inclusions, "inclusion"),
        (cons, opts.consistencies, "consistency"),
    ):
        if len(stats.times_ms) < wanted:
            print(
                f"  NOTE: {what} proofs stopped after {len(stats.times_ms):,} of {wanted:,} "
                f"(time budget {opts.budget_s:.0f} s)"
            )
    print(incl.line(f"inclusion proof (x{len(incl.times_ms)})"))
    print(incl_v.line("  verify"))
    print(cons.line(f"consistency proof (x{len(cons.times_ms)})"))
    print(cons_v.line("  verify"))
    if size_of is not None:
        total = size_of()
        bytes_per_leaf = total / opts.leaves
        storage_note = f"{total / 2**20:,.1f} MB in the database"
    assert bytes_per_leaf is not None
    print(f"  storage per leaf       {bytes_per_leaf:,.0f} bytes ({storage_note})")
    peak = peak_rss_mb()
    print(f"  peak RSS               {peak:,.0f} MB", flush=True)
    return BackendResult(
        backend,
        opts.leaves,
        rate,
        percentile(incl.times_ms, 99),
        max(incl.keys),
        bytes_per_leaf,
        peak,
    )


def sqlite_file_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def postgres_size(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            total = 0
            for table in LOG_TABLES:
                value = conn.execute(
                    text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table}
                ).scalar()
                total += int(value or 0)
            return total
    finally:
        engine.dispose()


def run_backend(backend: str, opts: Options) -> BackendResult:
    """One backend, start to finish (called in a fresh process)."""
    if backend == "memory":
        return bench_memory(opts)
    if backend == "sqlite":
        path = Path(opts.workdir) / "log.sqlite3"
        return bench_sql("sqlite", f"sqlite:///{path}", opts, lambda: sqlite_file_size(path))
    from tests.contract.pgserver import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        url = server.create_database("log_bench")
        return bench_sql("postgresql", url, opts, lambda: postgres_size(url))
    finally:
        server.stop()


# --- bundle verification ------------------------------------------------------------------------


def bench_bundle(runs: int) -> float:
    """p99 (ms) of ``verify_bundle`` on a bundle with a real signed credential."""
    from tests.log.test_bundle import NOW, TRUST, issued_scenario

    from credstack.log.bundle import verify_bundle

    bundle = issued_scenario().bundle
    if not verify_bundle(bundle, at=NOW, trust=TRUST).verified:
        raise SystemExit("the benchmark bundle does not verify")
    data = bundle.dumps()
    for _ in range(5):
        verify_bundle(data, at=NOW, trust=TRUST)
    stats = Stats()
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        verified = verify_bundle(data, at=NOW, trust=TRUST).verified
        stats.times_ms.append((time.perf_counter_ns() - t0) / 1e6)
        if not verified:
            raise SystemExit("bundle verification failed during the benchmark")
    print(f"bundle verification ({len(data):,} bytes, parse + every step, x{runs})")
    print(stats.line("verify_bundle"))
    return percentile(stats.times_ms, 99)


# --- main ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leaves", type=int, default=FULL_SIZE)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--inclusions", type=int, default=2_000)
    parser.add_argument("--consistencies", type=int, default=1_000)
    parser.add_argument("--bundle-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--proof-budget",
        type=float,
        default=60.0,
        help="seconds at most per proof kind and backend (default 60)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or args.leaves < 2 or args.batch < 1:
        parser.error(f"backends are {', '.join(BACKENDS)}; --leaves >= 2, --batch >= 1")

    print(f"credstack log benchmark: {args.leaves:,} leaves, batches of {args.batch:,}, ")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)", flush=True)
    results: list[BackendResult] = []
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="credstack-log-bench-") as workdir:
        opts = Options(
            args.leaves,
            args.batch,
            args.inclusions,
            args.consistencies,
            args.seed,
            workdir,
            args.proof_budget,
        )
        for backend in backends:
            print(f"\n[{backend}]", flush=True)
            started = time.perf_counter()
            with context.Pool(1) as pool:
                results.append(pool.apply(run_backend, (backend, opts)))
            print(f"  ({time.perf_counter() - started:.0f} s wall)", flush=True)
    print()
    bundle_p99 = bench_bundle(args.bundle_runs)

    print("\ntargets")
    at_size = "" if args.leaves == FULL_SIZE else f" (measured at {args.leaves:,} leaves)"
    log_bound = 2 * args.leaves.bit_length()
    for r in results:
        print(
            f"  {r.backend:<10} append >= {APPEND_TARGET:,.0f} leaves/s: "
            f"{r.append_rate:,.0f}/s  {verdict(r.append_rate >= APPEND_TARGET)}"
        )
        print(
            f"  {r.backend:<10} inclusion proof p99 < {INCLUSION_P99_TARGET_MS} ms{at_size}: "
            f"{r.inclusion_p99_ms:.3f} ms  {verdict(r.inclusion_p99_ms < INCLUSION_P99_TARGET_MS)}"
        )
        print(
            f"  {r.backend:<10} O(log n) reads (<= 2*log2(n) = {log_bound} nodes): "
            f"max {r.inclusion_max_keys}  {verdict(r.inclusion_max_keys <= log_bound)}"
        )
    print(
        f"  bundle verification p99 < {BUNDLE_P99_TARGET_MS} ms: {bundle_p99:.3f} ms  "
        f"{verdict(bundle_p99 < BUNDLE_P99_TARGET_MS)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
