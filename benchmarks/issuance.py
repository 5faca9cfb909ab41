"""Bulk issuance end to end, and the verify endpoint under load, in one run.

Usage: ``.venv/bin/python benchmarks/issuance.py [--count 100000] [--backends sqlite,postgresql]
[--verify-seconds 20] [--rate 100]``

1. For each backend (SQLite file; a real PostgreSQL server started for the run), a fresh
   process bulk-issues ``count`` credentials end to end: parse a CSV upload, store the job rows,
   sign, allocate status entries, store credentials.  It prints credentials per second and its
   peak RSS (and its signing workers' peak).  In the same run, the signing-only throughput of
   the same credential (the core's ``add_proof`` alone, one process) gives the ratio the target
   is stated against (>= 70%).  By default the job signs in worker processes (one per core)
   while the storing process writes the previous batch; ``--sign-workers 0`` shows the
   single-process figure.
2. ``credstack serve`` runs in its own process on loopback; an open-loop load generator sends
   ``POST /credentials/verify`` at a fixed rate and prints latency percentiles and errors
   (target: p99 < 50 ms at 100 requests per second, no errors).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DESIGN = {
    "name": "Data Analysis with Python",
    "description": "Cleans, analyses and visualises tabular data with Python.",
    "criteria_narrative": "Pass the supervised practical assessment.",
    "ects": 3,
    "eqf_level": 6,
    "skills": [
        {
            "url": f"http://data.europa.eu/esco/skill/{code}",
            "name": name,
            "framework": "ESCO v1.2",
            "code": code,
        }
        for code, name in (
            ("2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f", "perform data analysis"),
            ("47a49cd6-097d-457a-9f7b-c290c14930d5", "analyse big data"),
            ("7ee4c2ea-b349-4bd2-81a3-ec31475d4833", "statistics"),
        )
    ],
}


def write_upload(path: Path, count: int) -> None:
    with path.open("w") as fh:
        fh.write("idempotency_key,email\n")
        for i in range(count):
            fh.write(f"row-{i},learner{i}@example.org\n")


def bulk_issue(url: str, count: int, upload: Path, workers: str) -> dict[str, Any]:
    worker = str(ROOT / "benchmarks" / "issuance_worker.py")
    result = subprocess.run(
        [sys.executable, worker, url, str(count), str(upload), json.dumps(DESIGN), workers],
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"bulk issuance failed: {result.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def verify_load(seconds: float, rate: float) -> dict[str, Any]:
    """Serve a demo deployment; POST /credentials/verify at ``rate`` per second (open loop)."""
    data = Path(tempfile.mkdtemp(prefix="credstack-bench-"))
    port = _free_port()
    env = {**os.environ, "CREDSTACK_DATA_DIR": str(data)}
    env.pop("CREDSTACK_DATABASE_URL", None)
    env.pop("CREDSTACK_KEK", None)
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "credstack.cli.main", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(
                        f"server did not start: {(data / 'server.log').read_text()}"
                    ) from None
                time.sleep(0.1)
        import sqlite3

        row = (
            sqlite3.connect(data / "credstack.db")
            .execute("select credential_json from issued_credentials limit 1")
            .fetchone()
        )
        body = json.dumps({"verifiableCredential": json.loads(row[0])}).encode()
        context = ssl.create_default_context(cafile=str(data / "tls" / "ca.pem"))
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        local = threading.local()
        connections: list[http.client.HTTPSConnection] = []

        def one() -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPSConnection(
                    "localhost", port, context=context, timeout=10
                )
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST", "/credentials/verify", body, {"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == 200 and json.loads(payload).get("verified") is True
            except (OSError, http.client.HTTPException) as exc:
                local.conn = None
                ok, payload = False, str(exc).encode()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(payload[:200].decode(errors="replace"))

        for _ in range(20):  # warm-up (not counted)
            one()
        latencies.clear()
        errors.clear()
        total = int(seconds * rate)
        start = time.perf_counter()
        threads: list[threading.Thread] = []
        for i in range(total):
            target = start + i / rate
            pause = target - time.perf_counter()
            if pause > 0:
                time.sleep(pause)  # pacing of the load generator itself, not a test wait
            thread = threading.Thread(target=one)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        for conn in connections:
            conn.close()
        ordered = sorted(latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

        return {
            "requests": len(latencies),
            "errors": len(errors),
            "achieved_rate": len(latencies) / wall,
            "p50_ms": pct(50),
            "p90_ms": pct(90),
            "p99_ms": pct(99),
            "max_ms": ordered[-1] * 1000,
            "mean_ms": statistics.mean(ordered) * 1000,
            "first_error": errors[0] if errors else None,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--verify-seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--sign-workers",
        default="auto",
        help="signing processes for the job: auto (the platform default) or a number; "
        "0 signs in the storing process",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="credstack-issuance-"))
    upload = work / "upload.csv"
    write_upload(upload, args.count)
    failures: list[str] = []
    print(
        f"bulk issuance of {args.count:,} credentials (CSV upload, 3 ESCO alignments, EU elements)"
    )
    for backend in [b for b in args.backends.split(",") if b]:
        if backend == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
            figures = bulk_issue(url, args.count, upload, args.sign_workers)
        elif backend == "postgresql":
            from tests.contract.pgserver import PostgresServer

            pg = PostgresServer()
            pg.start()
            try:
                figures = bulk_issue(
                    pg.create_database("bench"), args.count, upload, args.sign_workers
                )
            finally:
                pg.stop()
        else:
            raise SystemExit(f"unknown backend {backend!r}")
        ratio = figures["rate"] / figures["sign_rate"]
        workers = figures["workers_used"]
        peak = figures["max_rss_mb"] + workers * figures["worker_max_rss_mb"]  # all processes
        ok_rate, ok_mem = ratio >= 0.70, peak < 300
        if not ok_rate:
            failures.append(f"{backend} throughput")
        if not ok_mem:
            failures.append(f"{backend} memory")
        print(
            f"  {backend:10} {figures['rate']:8,.0f} credentials/s end to end "
            f"({figures['seconds']:.1f} s); signing only {figures['sign_rate']:,.0f}/s; "
            f"ratio {ratio:.0%} (target >= 70%: {'met' if ok_rate else 'NOT MET'}); "
            f"signing workers {workers}; peak RSS {figures['max_rss_mb']:.0f} MB "
            f"+ {workers} x {figures['worker_max_rss_mb']:.0f} MB = {peak:.0f} MB "
            f"(target < 300: {'met' if ok_mem else 'NOT MET'})"
        )
    if args.verify_seconds > 0:
        load = verify_load(args.verify_seconds, args.rate)
        ok = load["p99_ms"] < 50 and load["errors"] == 0
        if not ok:
            failures.append("verify endpoint latency")
        print(
            f"POST /credentials/verify at {args.rate:.0f}/s for {args.verify_seconds:.0f} s "
            f"(HTTPS, loopback): {load['requests']} requests, {load['errors']} errors, "
            f"achieved {load['achieved_rate']:.0f}/s; p50 {load['p50_ms']:.1f} ms, "
            f"p90 {load['p90_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, "
            f"max {load['max_ms']:.1f} ms "
            f"(target p99 < 50 ms, no errors: {'met' if ok else 'NOT MET'})"
        )
        if load["first_error"]:
            print(f"  first error: {load['first_error']}")
    print("all targets met" if not failures else "targets not met: " + ", ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
