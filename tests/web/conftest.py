"""Browser tests: the real server (uvicorn, SQLite, real SMTP sink) driven through Debian's
Chromium with Playwright; axe-core checks accessibility in every page.

Nothing here downloads a browser: Playwright launches ``/usr/bin/chromium`` (or
``$CREDSTACK_CHROMIUM``).  axe-core is injected through the DevTools protocol
(``page.evaluate``), so the Content-Security-Policy the app serves stays as strict as it is.
Screenshots go to ``artifacts/screenshots/`` (``$CREDSTACK_SCREENSHOTS`` to change).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from credstack.api import create_app
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.storage.session import SqlDatabase
from tests.platform.test_claims_endorsements import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "interop" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CREDSTACK_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("CREDSTACK_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
PASSWORD = "correct horse battery staple"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}


class Clock:
    """The server's clock: fixed, moved on by tests when they need time to pass."""

    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    """A running credstack server on loopback."""

    base_url: str
    app: FastAPI
    database: SqlDatabase
    custody: KeyCustody
    clock: Clock
    smtp: SmtpSink

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("site")
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    database = SqlDatabase(f"sqlite:///{data / 'credstack.db'}")
    database.migrate()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    smtp = SmtpSink()
    smtp.start()
    app = create_app(
        database=database,
        custody=custody,
        base_url=base_url,
        clock=clock,
        password_hasher=FAST_HASHER,
        mailer=smtp.mailer(),
    )
    configure = getattr(app.state, "configure_for_tests", None)
    if callable(configure):
        configure()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.01):  # readiness: uvicorn sets .started once listening
        if server.started:
            started.set()
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
    try:
        yield Site(base_url, app, database, custody, clock, smtp)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        smtp.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (scripts/bootstrap.sh does)")
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    """A second, independent browser (another person)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(15_000)
    return ctx, ctx.new_page()


# ------------------------------------------------------------------ accessibility & artifacts

_AXE_SOURCE: str | None = None


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (WCAG 2.0–2.2 A and AA rules) on the page."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE_SOURCE)  # DevTools evaluation: not subject to the page's CSP
    result: dict[str, Any] = page.evaluate(
        """async (WCAG) => await window.axe.run(document, {
            runOnly: {type: 'tag',
                      values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
            resultTypes: ['violations'],
        })""",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    )
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def assert_accessible(page: Page) -> None:
    found = axe_violations(page)
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
    ]
    assert not found, f"axe on {page.url}:\n" + "\n".join(summary)


def screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page: Page, name: str) -> None:
    """Every page: a CSP header was served, no serious axe violation, and a screenshot."""
    assert_accessible(page)
    screenshot(page, name)


# ------------------------------------------------------------------------------------ people

_counter = iter(range(1, 1_000_000))


def unique_email(kind: str) -> str:
    return f"{kind}{next(_counter)}-{os.getpid()}@example.org"


def sign_up(page: Page, site: Site, kind: str, email: str | None = None) -> str:
    """Create an account of ``kind`` (learner, employer, staff) through the sign-up page."""
    address = email or unique_email(kind)
    page.goto(site.url(f"/signup?kind={kind}"))
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    return address


def sign_in(page: Page, site: Site, email: str) -> None:
    page.goto(site.url("/signin"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def claim_link(site: Site, address: str) -> str:
    """The claim link in the last e-mail sent to ``address`` (through the real SMTP sink)."""
    for message in reversed(site.smtp.messages):
        if str(message["To"]) == address:
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    found = re.search(r"https?://\S+/claim/[A-Za-z0-9_-]+", payload.decode())
                    if found:
                        return found.group(0)
    raise AssertionError(f"no claim e-mail to {address}")
