"""Sharing without a browser: the LinkedIn link, JSON Resume, the PDF certificate, baked badge
images, link-preview tags, visibility of the public pages and the verdict cache."""

from __future__ import annotations

import base64
import json
import re
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fpdf import FPDF
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from credstack.api import create_app
from credstack.baking import extract_png, extract_svg
from credstack.platform.accounts import create_token, create_user
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import Organisation, UserKind
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import (
    PortfolioProfile,
    Visibility,
    WalletItem,
    WalletStore,
    new_item,
)
from credstack.storage.memory import MemoryDatabase
from credstack.web.certificate import (
    Certificate,
    _Writer,
    certificate_pdf,
    close_fonts,
    unicode_font,
)
from credstack.web.linkedin import Certification, add_to_profile_url
from credstack.web.resume import SCHEMA, json_resume
from credstack.web.security import SESSION_COOKIE
from credstack.web.share_badge import baked_png, baked_svg, generated_png, generated_svg
from credstack.web.share_verdicts import VerdictCache, verdicts
from tests.web.conftest import FAST_HASHER, PASSWORD, Clock

BASE = "https://credstack.example"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
TRICKY = "C# & <Go> \"quoted\" 'single' #1 100% 日本語 Ärger = ok?"
SCRIPT = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def design(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Cleans, analyses and visualises tabular data.",
        "criteria_narrative": "Pass the supervised practical assessment.",
        "skills": [
            {
                "url": "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
                "name": "perform data analysis",
                "framework": "ESCO v1.2",
            }
        ],
        **extra,
    }


# ------------------------------------------------------------------------------ pure parts


def test_linkedin_link_has_the_documented_shape() -> None:
    url = add_to_profile_url(
        Certification(
            name="Data Analysis Fundamentals",
            organization_name="Example University",
            issued_at=datetime(2026, 3, 5, tzinfo=UTC),
            expires_at=datetime(2029, 3, 5, tzinfo=UTC),
            cert_url="https://creds.example.org/s/ab12cd",
            cert_id="urn:uuid:ab12cd",
        )
    )
    assert url == (
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME"
        "&name=Data%20Analysis%20Fundamentals&organizationName=Example%20University"
        "&issueYear=2026&issueMonth=3&expirationYear=2029&expirationMonth=3"
        "&certUrl=https%3A%2F%2Fcreds.example.org%2Fs%2Fab12cd&certId=urn%3Auuid%3Aab12cd"
    )


def test_linkedin_link_round_trips_every_character_and_months_are_one_based() -> None:
    url = add_to_profile_url(
        Certification(
            name=TRICKY,
            organization_name="Ünïversity & Co #2",
            issued_at=datetime(2026, 1, 31, tzinfo=UTC),
            cert_url="https://creds.example.org/s/x?y=1&z=2#frag",
            cert_id="id&with#chars",
        )
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parts.fragment == ""  # a '#' in a value never ends the query
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [TRICKY],
        "organizationName": ["Ünïversity & Co #2"],
        "issueYear": ["2026"],
        "issueMonth": ["1"],
        "certUrl": ["https://creds.example.org/s/x?y=1&z=2#frag"],
        "certId": ["id&with#chars"],
    }
    assert "+" not in parts.query  # spaces as %20, like LinkedIn's own generator


def test_linkedin_prefers_the_organisation_page_id() -> None:
    url = add_to_profile_url(
        Certification(
            name="X",
            organization_name="Example",
            organization_id="1337",
            cert_url="https://e.org/s/1",
            cert_id="1",
        )
    )
    query = parse_qs(urlsplit(url).query)
    assert query["organizationId"] == ["1337"]
    assert "organizationName" not in query
    assert "issueYear" not in query
    assert "expirationYear" not in query


def _item(name: str, *, issued: datetime | None, code: str) -> WalletItem:
    return WalletItem(
        id=code,
        user_id="u1",
        credential_json="{}",
        credential_id=f"urn:uuid:{code}",
        issuer_id="did:web:x",
        issuer_name="Example University",
        achievement_name=name,
        issued_at=issued,
        source="claim",
        added_at=T0,
        share_code=code,
        visibility=Visibility.PUBLIC,
    )


def test_json_resume_lists_certificates_with_name_date_issuer_url() -> None:
    profile = PortfolioProfile("u1", "ada-l", "Ada Lovelace", "Analyst", updated_at=T0)
    items = [
        _item(TRICKY, issued=datetime(2026, 2, 3, 10, tzinfo=UTC), code="code0001"),
        _item("Undated", issued=None, code="code0002"),
    ]
    resume = json_resume(profile, items, base_url=BASE + "/", at=T0 + timedelta(days=9))
    assert resume["$schema"] == SCHEMA
    assert resume["basics"] == {
        "name": "Ada Lovelace",
        "url": f"{BASE}/u/ada-l",
        "label": "Analyst",
    }
    assert resume["certificates"] == [
        {
            "name": TRICKY,
            "issuer": "Example University",
            "date": "2026-02-03",
            "url": f"{BASE}/c/code0001",
        },
        {"name": "Undated", "issuer": "Example University", "url": f"{BASE}/c/code0002"},
    ]
    assert resume["meta"]["version"] == "v1.0.0"
    json.dumps(resume)  # plain JSON


def pdf_text(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (to search printed ASCII text)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


def _certificate(**changes: Any) -> Certificate:
    base = Certificate(
        achievement_name="Data Analysis",
        issuer_name="Example University",
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
        public_url=f"{BASE}/c/AbCdEfGh1234",
        credential_id="urn:uuid:0f0f",
        holder_name="Ada Lovelace",
        printed_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    return replace(base, **changes)


def test_certificate_is_a_one_page_pdf_with_the_verification_address_in_text() -> None:
    pdf = certificate_pdf(_certificate())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = pdf_text(pdf)
    assert f"({BASE}/c/AbCdEfGh1234)".encode() in text  # printed beside the QR code
    assert f"/URI ({BASE}/c/AbCdEfGh1234)".encode() in text  # and a link
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") == 1
    )
    assert certificate_pdf(_certificate()) == pdf  # same input, same bytes (time passed in)


def test_certificate_keeps_script_as_text_and_handles_any_script() -> None:
    pdf = certificate_pdf(
        _certificate(
            achievement_name=SCRIPT + " " + "Очень длинное название " * 20,
            holder_name="李小龍 Zoë שלום",
            issuer_name=TRICKY,
        )
    )
    assert pdf.startswith(b"%PDF-")
    for active in (b"/JavaScript", b"/JS ", b"/OpenAction <<", b"/Launch", b"/AA "):
        assert active not in pdf
    if unicode_font() is not None:
        assert b"DejaVu" in pdf  # the Unicode font is embedded


def test_certificate_text_replaces_what_its_font_cannot_draw() -> None:
    pdf = FPDF()
    try:
        writer = _Writer(pdf)
        assert writer.clean("Zoë  Ärger\n\tok", 100) == "Zoë Ärger ok"
        assert not writer.replaced
        if unicode_font() is not None:
            assert writer.clean("Привет Ελλάδα", 100) == "Привет Ελλάδα"
        assert writer.clean("李 שלום x", 100) == "? ???? x"  # no CJK glyphs; no RTL shaping
        assert writer.replaced
        assert writer.clean("a" * 50, 10) == "a" * 9 + ("…" if unicode_font() else "...")
    finally:
        close_fonts(pdf)


def test_generated_badges_are_deterministic_and_titles_escaped() -> None:
    assert generated_png("A", "did:x") == generated_png("A", "did:x")
    assert generated_png("A", "did:x").startswith(b"\x89PNG")
    svg = generated_svg(SCRIPT, "did:x").decode()
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert generated_svg("A", "did:x") == generated_svg("A", "did:x")


# ------------------------------------------------------------------------------ the app


@dataclass
class Env:
    client: TestClient
    db: MemoryDatabase
    clock: Clock
    wallet: WalletStore
    org: Organisation
    custody: KeyCustody
    user_id: str
    session: str
    items: dict[str, WalletItem]

    def issue(self, name: str, *, at: datetime = T0, **request: Any) -> str:
        uow = self.db.unit_of_work()
        draft = create_achievement(
            uow, self.org, design(name, **request.pop("d", {})), base_url=BASE, at=at
        )
        version = publish(uow, self.org, draft.id, at=at)
        issued = Issuer(uow, self.custody, self.org, BASE).issue(
            version, IssueRequest(email="ada@example.org", **request), at=at
        )
        uow.commit()
        return issued.credential_json


PNG_1PX = base64.b64encode(generated_png("own image", "did:own")).decode()
SVG_OWN = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" '
    b'height="10" fill="#123456"/></svg>'
).decode()


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    clock = Clock(T0 + timedelta(days=30))
    app = create_app(
        database=db, custody=custody, base_url=BASE, clock=clock, password_hasher=FAST_HASHER
    )
    wallet: WalletStore = app.state.web.wallet
    uow = db.unit_of_work()
    org = create_organisation(
        uow, custody, host="credstack.example", slug="uni", name="Example University", at=T0
    )
    user = create_user(
        uow,
        email="ada@example.org",
        password=PASSWORD,
        at=T0,
        hasher=FAST_HASHER,
        kind=UserKind.LEARNER,
    )
    _, secret = create_token(uow, user, at=clock(), lifetime=timedelta(days=365))
    uow.commit()
    wallet.save_profile(PortfolioProfile(user.id, "ada-l", "Ada " + SCRIPT, "Data " + SCRIPT))
    with TestClient(app, base_url=BASE) as client:
        e = Env(client, db, clock, wallet, org, custody, user.id, secret, {})
        specs = {
            "public": (
                SCRIPT + " " + TRICKY,
                Visibility.PUBLIC,
                {"valid_until": T0 + timedelta(days=3 * 365)},
            ),
            "link": ("Link-only Achievement", Visibility.LINK, {}),
            "private": ("Private Achievement", Visibility.PRIVATE, {}),
            "own-png": (
                "Own PNG",
                Visibility.PUBLIC,
                {"d": {"image": f"data:image/png;base64,{PNG_1PX}"}},
            ),
            "own-svg": (
                "Own SVG",
                Visibility.PUBLIC,
                {"d": {"image": f"data:image/svg+xml;base64,{SVG_OWN}"}},
            ),
            "revoked": ("Revoked Achievement", Visibility.PUBLIC, {}),
        }
        for key, (name, visibility, request) in specs.items():
            text = e.issue(name, **request)
            e.items[key] = new_item(
                wallet, user.id, text, source="claim", at=T0, visibility=visibility
            )
        yield e


def head_meta(page: str) -> dict[str, str]:
    found: dict[str, str] = {}

    class Meta(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            key = values.get("property") or values.get("name")
            if tag == "meta" and key and values.get("content") is not None:
                found[key] = values["content"] or ""

    Meta().feed(page)
    return found


def test_credential_page_has_link_preview_tags_and_a_valid_report(env: Env) -> None:
    item = env.items["public"]
    page = env.client.get(f"/c/{item.share_code}")
    assert page.status_code == 200
    meta = head_meta(page.text)
    assert meta["og:title"] == item.achievement_name  # exact, after unescaping
    assert meta["og:url"] == f"{BASE}/c/{item.share_code}"
    assert meta["og:image"] == f"{BASE}/c/{item.share_code}/badge.png"
    assert meta["twitter:card"] == "summary"
    assert meta["twitter:image"] == meta["og:image"]
    assert "Example University" in meta["og:description"]
    assert "robots" not in meta  # public: may be indexed
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert" in page.text
    assert 'data-step="signature"' in page.text
    assert "Valid" in page.text
    assert "content-security-policy" in page.headers
    assert page.headers["x-frame-options"] == "DENY"


def test_portfolio_lists_public_credentials_only(env: Env) -> None:
    page = env.client.get("/u/ada-l")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert f"/c/{env.items['public'].share_code}" in page.text
    assert f"/c/{env.items['link'].share_code}" not in page.text
    assert f"/c/{env.items['private'].share_code}" not in page.text
    assert "Link-only Achievement" not in page.text
    assert "Private Achievement" not in page.text
    resume = env.client.get("/u/ADA-L/resume.json")
    assert resume.status_code == 200
    assert resume.headers["content-type"].startswith("application/json")
    names = [c["name"] for c in resume.json()["certificates"]]
    assert env.items["public"].achievement_name in names
    assert "Link-only Achievement" not in names
    assert "Private Achievement" not in names
    assert resume.json()["basics"]["name"] == "Ada " + SCRIPT


def test_unknown_addresses_are_404_pages(env: Env) -> None:
    for path in (
        "/c/NoSuchCode1234",
        "/c/%3Cscript%3E",
        "/u/nobody-here",
        "/u/x",
        "/s/nosuchcode99",
        "/embed/NoSuchCode1234",
        "/c/NoSuchCode1234/badge.png",
    ):
        response = env.client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")


def test_private_credential_is_withheld_everywhere_without_leaking(env: Env) -> None:
    item = env.items["private"]
    code = item.share_code
    for path in (
        f"/c/{code}",
        f"/c/{code}/badge.png",
        f"/c/{code}/badge.svg",
        f"/c/{code}/certificate.pdf",
        f"/c/{code}/credential.json",
        f"/embed/{code}",
    ):
        response = env.client.get(path)
        assert response.status_code == 410, path
        assert "withheld by its owner" in response.text
        assert "Private Achievement" not in response.text
        assert "Example University" not in response.text
    assert env.client.get(f"/s/{code}", follow_redirects=False).headers["location"] == f"/c/{code}"


def test_link_only_credential_is_reachable_by_its_link_but_not_indexed(env: Env) -> None:
    item = env.items["link"]
    page = env.client.get(f"/c/{item.share_code}")
    assert page.status_code == 200
    assert head_meta(page.text)["robots"] == "noindex"
    short = env.client.get(f"/s/{item.share_code}", follow_redirects=False)
    assert short.status_code in (302, 303)
    assert short.headers["location"] == f"/c/{item.share_code}"


def test_downloads_carry_the_exact_credential(env: Env) -> None:
    item = env.items["public"]
    code = item.share_code
    stored = json.loads(item.credential_json)
    raw = env.client.get(f"/c/{code}/credential.json")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.text == item.credential_json  # the exact stored text
    png = env.client.get(f"/c/{code}/badge.png")
    assert png.headers["content-type"] == "image/png"
    assert extract_png(png.content) == (stored, None)
    svg = env.client.get(f"/c/{code}/badge.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in svg.headers["content-security-policy"]
    assert extract_svg(svg.content) == (stored, None)
    assert b"<script>" not in svg.content.split(b"<openbadges:credential>")[0]
    pdf = env.client.get(f"/c/{code}/certificate.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f"({BASE}/c/{code})".encode() in pdf_text(pdf.content)


def test_the_issuers_own_image_is_used_when_it_fits(env: Env) -> None:
    png = env.client.get(f"/c/{env.items['own-png'].share_code}/badge.png").content
    assert png == baked_png(env.items["own-png"])
    own = base64.b64decode(PNG_1PX)
    assert png[:33] == own[:33]  # signature and IHDR of the issuer's picture
    svg = env.client.get(f"/c/{env.items['own-svg'].share_code}/badge.svg").content
    assert b'fill="#123456"' in svg
    assert svg == baked_svg(env.items["own-svg"])
    page = env.client.get(f"/c/{env.items['own-svg'].share_code}")
    assert f"/c/{env.items['own-svg'].share_code}/badge.svg" in page.text


def test_embed_card_may_be_framed_and_other_pages_may_not(env: Env) -> None:
    item = env.items["public"]
    card = env.client.get(f"/embed/{item.share_code}")
    assert card.status_code == 200
    assert "x-frame-options" not in card.headers
    assert "frame-ancestors *" in card.headers["content-security-policy"]
    assert "<script>alert" not in card.text
    page = env.client.get(f"/c/{item.share_code}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def _signed_in(env: Env) -> TestClient:
    env.client.cookies.set(SESSION_COOKIE, env.session)
    return env.client


def test_share_page_needs_the_owner_and_builds_an_exact_linkedin_link(env: Env) -> None:
    item = env.items["public"]
    env.client.cookies.clear()
    anonymous = env.client.get(f"/wallet/{item.id}/share", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin?next=")
    client = _signed_in(env)
    try:
        page = client.get(f"/wallet/{item.id}/share")
        assert page.status_code == 200
        href = re.search(r'id="linkedin-add" href="([^"]+)"', page.text)
        assert href is not None
        import html as html_module

        query = parse_qs(urlsplit(html_module.unescape(href.group(1))).query)
        assert query["name"] == [item.achievement_name]
        assert query["organizationName"] == ["Example University"]
        assert query["issueYear"] == ["2026"]
        assert query["issueMonth"] == ["1"]
        assert query["expirationYear"] == ["2029"]
        assert query["expirationMonth"] == ["1"]
        assert query["certUrl"] == [f"{BASE}/s/{item.share_code}"]
        assert query["certId"] == [item.credential_id]
        assert f"{BASE}/embed/{item.share_code}" in page.text
        missing = client.get(f"/wallet/{'0' * 8}-0000-4000-8000-{'0' * 12}/share")
        assert missing.status_code == 404
        private = client.get(f"/wallet/{env.items['private'].id}/share")
        assert "This credential is private" in private.text
        assert "linkedin.com" not in private.text
        assert "/certificate.pdf" not in private.text
    finally:
        env.client.cookies.clear()


def test_visibility_form_needs_csrf_and_a_known_choice(env: Env) -> None:
    item = env.items["link"]
    client = _signed_in(env)
    try:
        refused = client.post(
            f"/wallet/{item.id}/share/visibility",
            data={"visibility": "public"},
            headers={"accept": "text/html"},
        )
        assert refused.status_code == 403
        assert env.wallet.get_item(item.id).visibility is Visibility.LINK  # type: ignore[union-attr]
    finally:
        env.client.cookies.clear()


def test_verdicts_are_cached_until_a_revocation_changes_the_status_list(env: Env) -> None:
    item = env.items["revoked"]
    cache = verdicts(env.client.app)  # type: ignore[arg-type]
    first = env.client.get(f"/c/{item.share_code}")
    assert "Valid" in first.text
    hits = cache.hits
    env.client.get(f"/c/{item.share_code}")
    assert cache.hits == hits + 1
    uow = env.db.unit_of_work()
    revoke(uow, env.org, item.credential_id or "", reason="test", at=env.clock())
    uow.commit()
    after = env.client.get(f"/c/{item.share_code}")
    assert "Not valid" in after.text
    assert "revoked" in after.text.lower()
    portfolio = env.client.get("/u/ada-l")
    assert "Not valid" in portfolio.text


def test_verdict_cache_expires_with_the_clock_and_validity(env: Env) -> None:
    text = env.items["link"].credential_json
    cache = VerdictCache(ttl=timedelta(minutes=5))
    ctx = env.client.app.state.credstack  # type: ignore[attr-defined]
    now = env.clock()
    cache.check(ctx, [text], at=now)
    cache.check(ctx, [text], at=now + timedelta(minutes=4))
    assert (cache.hits, cache.misses) == (1, 1)
    cache.check(ctx, [text], at=now + timedelta(minutes=6))
    assert cache.misses == 2
    cache.check(ctx, [text], at=now - timedelta(minutes=1))  # the clock went back
    assert cache.misses == 3
    expiring = env.items["public"].credential_json  # validUntil in 2029
    until = T0 + timedelta(days=3 * 365)
    cache.check(ctx, [expiring], at=until - timedelta(minutes=1))
    late = cache.check(ctx, [expiring], at=until + timedelta(seconds=1))[0]
    assert not late.report.verified  # crossed validUntil: checked again, now expired
    off = VerdictCache(capacity=0)
    off.check(ctx, [text, text], at=now)
    assert (off.hits, off.misses, len(off)) == (0, 2, 0)
