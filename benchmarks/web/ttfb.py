"""Time to first byte of the public sharing pages on a database of shared credentials.

Usage: ``.venv/bin/python benchmarks/web/ttfb.py [--credentials 10000] [--requests 300]``

Set-up (a fresh SQLite file): one issuer with 10 published achievements bulk-issues
``credentials`` credentials (the platform's bulk jobs: parse, store rows, sign, store) to
``credentials / 10`` learners, 10 each (one per achievement); every learner has a portfolio and
keeps their 10 credentials in the wallet: 8 public, 1 link-only, 1 private — so a portfolio page
lists and verifies 8 credentials.

The real server (the application of ``credstack serve``, uvicorn on loopback, in a thread as
the browser tests run it) answers sequential keep-alive requests from one client; time to
first byte is measured from sending the request to receiving the status line and headers:

* ``GET /u/{handle}`` — a portfolio (8 credentials verified),
* ``GET /c/{code}`` — one credential page with its full verification report,
* ``POST /verify`` — the verifier page with a pasted credential (never cached), when present.

Each page is measured three ways: with the verdict cache off (every request verifies, as
before the cache existed), on first visits with the cache on (cold: each portfolio/credential
seen for the first time) and on repeat visits (warm).  Requests go to ``--requests`` different
learners/credentials in random order, after a warm-up.  Target: p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import io
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import uvicorn  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from credstack.api import create_app  # noqa: E402
from credstack.platform.accounts import create_user  # noqa: E402
from credstack.platform.achievements import create_achievement, publish  # noqa: E402
from credstack.platform.bulk import create_job, run_job  # noqa: E402
from credstack.platform.bulkfile import parse_bulk  # noqa: E402
from credstack.platform.domain import UserKind  # noqa: E402
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys  # noqa: E402
from credstack.platform.organisations import create_organisation  # noqa: E402
from credstack.platform.wallet import (  # noqa: E402
    PortfolioProfile,
    Visibility,
    WalletItem,
    WalletStore,
    new_item,
)
from credstack.storage.session import SqlDatabase  # noqa: E402
from credstack.web.share_verdicts import VerdictCache  # noqa: E402

PER_LEARNER = 10
VISIBILITY = [Visibility.PUBLIC] * 8 + [Visibility.LINK, Visibility.PRIVATE]
TARGET_MS = 100.0
SKILLS = [
    ("2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f", "perform data analysis"),
    ("47a49cd6-097d-457a-9f7b-c290c14930d5", "analyse big data"),
    ("7ee4c2ea-b349-4bd2-81a3-ec31475d4833", "statistics"),
]


def design(number: int) -> dict[str, Any]:
    code, name = SKILLS[number % len(SKILLS)]
    return {
        "name": f"Data Analysis with Python, module {number + 1}",
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
        ],
    }


def step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def build(
    db: SqlDatabase, custody: KeyCustody, wallet: WalletStore, base_url: str, host: str, total: int
) -> tuple[list[str], list[WalletItem]]:
    """Issue ``total`` credentials and put them in learners' wallets; the learners' handles and
    every wallet item."""
    at = datetime.now(UTC) - timedelta(days=30)
    learners = total // PER_LEARNER
    started = time.perf_counter()
    uow = db.unit_of_work()
    org = create_organisation(
        uow, custody, host=host, slug="uni", name="Example University", at=at, country="NL"
    )
    versions = []
    for number in range(PER_LEARNER):
        draft = create_achievement(uow, org, design(number), base_url=base_url, at=at)
        versions.append(publish(uow, org, draft.id, at=at))
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users = [
        create_user(
            uow,
            email=f"learner{i}@example.org",
            password="correct horse battery staple",
            at=at,
            hasher=hasher,
            kind=UserKind.LEARNER,
        )
        for i in range(learners)
    ]
    uow.commit()
    started = step(f"organisation, {PER_LEARNER} achievements, {learners} learners", started)
    for number, version in enumerate(versions):
        rows = "".join(f"a{number}-l{i},learner{i}@example.org\n" for i in range(learners))
        upload = io.BytesIO(("idempotency_key,email\n" + rows).encode())
        uow = db.unit_of_work()
        job = create_job(
            uow, org, version.id, parse_bulk(upload, kind="csv", max_bytes=None), at=at
        )
        uow.commit()
        done = run_job(
            db.unit_of_work, custody, org.id, job.id, base_url=base_url, clock=lambda: at
        )
        assert done.issued == learners, done
    started = step(f"bulk-issued {learners * PER_LEARNER} credentials (10 jobs)", started)
    texts: dict[str, str] = {}
    uow = db.unit_of_work()
    offset = 0
    while True:
        page, _ = uow.credentials.for_organisation(org.id, limit=1000, offset=offset)
        if not page:
            break
        texts.update({c.idempotency_key or "": c.credential_json for c in page})
        offset += len(page)
    uow.rollback()
    handles = []
    items = []
    for i, user in enumerate(users):
        handle = f"learner-{i:05d}"
        wallet.save_profile(PortfolioProfile(user.id, handle, f"Learner {i}", "Data analyst"))
        handles.append(handle)
        for number in range(PER_LEARNER):
            items.append(
                new_item(
                    wallet,
                    user.id,
                    texts[f"a{number}-l{i}"],
                    source="claim",
                    at=at,
                    visibility=VISIBILITY[number],
                )
            )
    step(f"{len(items)} wallet items, {len(handles)} portfolios", started)
    return handles, items


class Client:
    """Sequential keep-alive HTTP/1.1 requests; the time to the status line and headers."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[float, int, bytes, http.client.HTTPResponse]:
        sent = {"Accept": "text/html", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()  # status line and headers received
        first_byte = time.perf_counter() - started
        content = response.read()
        return first_byte * 1000, response.status, content, response


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    p95 = q[94]
    verdict = "ok" if p95 < TARGET_MS else "OVER TARGET"
    return (
        f"n={len(values):4d}  p50 {q[49]:7.1f} ms  p95 {p95:7.1f} ms  p99 {q[98]:7.1f} ms  "
        f"max {ordered[-1]:7.1f} ms  [{verdict}]"
    )


def measure(name: str, paths: list[str], fetch: Callable[[str], tuple[float, int]]) -> list[float]:
    times = []
    for path in paths:
        elapsed, status = fetch(path)
        if status != 200:
            raise SystemExit(f"{name}: {path} answered {status}")
        times.append(elapsed)
    print(f"  {name:34s} {percentiles(times)}", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.credentials < PER_LEARNER * 10 or args.credentials % PER_LEARNER:
        raise SystemExit(f"--credentials is a multiple of {PER_LEARNER}, at least 100")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="credstack-ttfb-") as folder:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        database = SqlDatabase(f"sqlite:///{Path(folder) / 'credstack.db'}")
        database.migrate()
        custody = KeyCustody(KeyEncryptionKeys.generate())
        app = create_app(
            database=database,
            custody=custody,
            base_url=base_url,
            clock=lambda: datetime.now(UTC),
        )
        wallet: WalletStore = app.state.web.wallet
        print(f"building: {args.credentials} credentials, SQLite at {folder}", flush=True)
        handles, items = build(
            database, custody, wallet, base_url, f"127.0.0.1:{port}", args.credentials
        )
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise SystemExit("the server did not start")
            time.sleep(0.01)
        try:
            run(app, port, handles, items, args, rng)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def run(
    app: Any,
    port: int,
    handles: list[str],
    items: list[WalletItem],
    args: argparse.Namespace,
    rng: random.Random,
) -> None:
    client = Client(port)
    n = min(args.requests, len(handles))
    shown = [i for i in items if i.visibility is not Visibility.PRIVATE]
    portfolios = rng.sample(handles, n + args.warmup)
    credentials = rng.sample(shown, n + args.warmup)

    def get(path: str) -> tuple[float, int]:
        elapsed, status, _, _ = client.request("GET", path)
        return elapsed, status

    # the verifier page: a form with a CSRF token bound to this client's cookie
    _, status, page, response = client.request("GET", "/verify")
    verifier = status == 200
    token = ""
    if verifier:
        cookie = response.getheader("set-cookie") or ""
        client.cookie = cookie.split(";", 1)[0]
        found = re.search(rb'name="csrf" value="([0-9a-f]+)"', page)
        token = found.group(1).decode() if found else ""

    def verify(code: str) -> tuple[float, int]:
        item = next(i for i in credentials if i.share_code == code)
        body = urlencode({"csrf": token, "source": "paste", "json": item.credential_json})
        elapsed, status, _, _ = client.request(
            "POST",
            "/verify",
            body.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        return elapsed, status

    warm_u = [f"/u/{h}" for h in portfolios[: args.warmup]]
    warm_c = [f"/c/{i.share_code}" for i in credentials[: args.warmup]]
    paths_u = [f"/u/{h}" for h in portfolios[args.warmup :]]
    paths_c = [f"/c/{i.share_code}" for i in credentials[args.warmup :]]
    codes = [i.share_code for i in credentials[args.warmup :]]

    print(f"\nrequests: {n} per page, sequential, keep-alive; target p95 < {TARGET_MS:.0f} ms")
    print("verdict cache off (every request verifies: the figures before the cache)")
    app.state.share_verdicts = VerdictCache(capacity=0)
    for path in warm_u + warm_c:
        get(path)
    measure("GET /u/{handle} (8 credentials)", paths_u, get)
    measure("GET /c/{code}", paths_c, get)
    if verifier:
        for code in codes[: args.warmup]:
            verify(code)
        measure("POST /verify (pasted credential)", codes, verify)

    print("verdict cache on")
    cache = VerdictCache()
    app.state.share_verdicts = cache
    for path in warm_u + warm_c:
        get(path)
    cache.clear()
    measure("GET /u/{handle}, first visit", paths_u, get)
    cache.clear()
    measure("GET /c/{code}, first visit", paths_c, get)
    for path in paths_u:  # every portfolio seen once more: its verdicts are cached
        get(path)
    rng.shuffle(paths_u)
    rng.shuffle(paths_c)
    measure("GET /u/{handle}, repeat visit", paths_u, get)
    measure("GET /c/{code}, repeat visit", paths_c, get)
    print(f"  cache: {cache.hits} hits, {cache.misses} misses, {len(cache)} verdicts kept")


if __name__ == "__main__":
    main()
