"""Sharing in the browser: the portfolio and credential pages signed out, link previews, the
share page (LinkedIn, short link, embed, downloads), withholding a credential, the embed card
in a frame from another origin, and hostile names staying inert everywhere."""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from credstack.baking import extract_png, extract_svg
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import (
    PortfolioProfile,
    Visibility,
    WalletItem,
    WalletStore,
    new_item,
)
from tests.web.conftest import Site, check_page, new_page, sign_up
from tests.web.test_share_units import pdf_text

#: script, HTML and every character a query string or a PDF could trip over
NAME = "<script>alert('name')</script> C# & \"Data\" 'Analysis' 100% 日本語 Ärger"
DISPLAY = "Ada <img src=x onerror=alert('display')> Lovelace"


@dataclass
class Learner:
    email: str
    user_id: str
    handle: str
    items: dict[str, WalletItem]


def _wallet(site: Site) -> WalletStore:
    store = site.app.state.web.wallet
    return store  # type: ignore[no-any-return]


def _issue(site: Site, email: str, name: str, *, valid_days: int | None = None) -> str:
    at = site.clock.now - timedelta(days=40)
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow,
        site.custody,
        host=site.app.state.credstack.host,
        slug=f"org-{uuid.uuid4().hex[:10]}",
        name="Example University & Partners",
        url="https://university.example.org",
        at=at,
    )
    design = {
        "name": name,
        "description": "Cleans, analyses and visualises tabular data.\nWith pandas.",
        "criteria_narrative": "Pass the supervised practical assessment.",
        "skills": [
            {
                "url": "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
                "name": "perform data analysis",
                "framework": "ESCO v1.2",
            }
        ],
    }
    draft = create_achievement(uow, org, design, base_url=site.base_url, at=at)
    version = publish(uow, org, draft.id, at=at)
    until = None if valid_days is None else at + timedelta(days=valid_days)
    issued = Issuer(uow, site.custody, org, site.base_url).issue(
        version, IssueRequest(email=email, valid_until=until), at=at
    )
    uow.commit()
    return issued.credential_json


def _learner(site: Site, page: Page) -> Learner:
    """A learner signed in on ``page`` with a portfolio and three credentials in the wallet:
    one public (hostile name), one link-only, one private."""
    email = sign_up(page, site, "learner")
    user = site.database.unit_of_work().users.get_by_email(email)
    assert user is not None
    store = _wallet(site)
    handle = f"ada-{uuid.uuid4().hex[:8]}"
    store.save_profile(PortfolioProfile(user.id, handle, DISPLAY, "Data analyst <b>bold</b>"))
    items = {}
    for key, name, visibility, days in (
        ("public", NAME, Visibility.PUBLIC, 3 * 365),
        ("link", "Link-only Statistics", Visibility.LINK, None),
        ("private", "Private Modelling", Visibility.PRIVATE, None),
    ):
        text = _issue(site, email, name, valid_days=days)
        items[key] = new_item(
            store, user.id, text, source="claim", at=site.clock.now, visibility=visibility
        )
    return Learner(email, user.id, handle, items)


def _no_dialogs(page: Page) -> list[str]:
    """Messages of any JavaScript dialog the page opens (a hostile name that ran)."""
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def _meta(page: Page, key: str) -> str | None:
    selector = f'meta[property="{key}"]' if key.startswith("og:") else f'meta[name="{key}"]'
    return page.locator(selector).get_attribute("content")


def test_public_pages_signed_out_share_page_and_downloads(
    site: Site, page: Page, phone: Page, browser: Browser
) -> None:
    owner = _learner(site, page)
    item = owner.items["public"]
    code = item.share_code
    visitor_context, visitor = new_page(browser)
    dialogs = _no_dialogs(visitor) + _no_dialogs(page)
    try:
        # the portfolio, signed out: public credentials only, each verified
        visitor.goto(site.url(f"/u/{owner.handle}"))
        expect(visitor.get_by_role("heading", level=1)).to_have_text(DISPLAY)
        entry = visitor.locator(".share-entry")
        expect(entry).to_have_count(1)
        expect(entry.get_by_role("heading", level=2)).to_have_text(NAME)
        expect(entry.locator(".status")).to_have_text("Valid")
        expect(entry).to_contain_text("Example University & Partners")
        expect(entry).to_contain_text("perform data analysis")
        expect(visitor.get_by_text("Link-only Statistics")).to_have_count(0)
        expect(visitor.get_by_text("Private Modelling")).to_have_count(0)
        check_page(visitor, "share-portfolio")

        # the credential page, reached from the portfolio
        entry.get_by_role("link", name=NAME).click()
        expect(visitor).to_have_url(site.url(f"/c/{code}"))
        expect(visitor.get_by_role("heading", level=1)).to_have_text(NAME)
        expect(visitor.locator(".verdict")).to_contain_text("Valid")
        expect(visitor.locator('[data-step="signature"] .status')).to_have_text("Passed")
        expect(visitor.locator('[data-step="revocation"] .status')).to_have_text("Passed")
        expect(visitor.get_by_role("link", name=DISPLAY)).to_have_attribute(
            "href", f"/u/{owner.handle}"
        )
        assert _meta(visitor, "og:title") == NAME
        assert _meta(visitor, "og:url") == site.url(f"/c/{code}")
        assert _meta(visitor, "og:image") == site.url(f"/c/{code}/badge.png")
        assert _meta(visitor, "twitter:card") == "summary"
        assert _meta(visitor, "twitter:title") == NAME
        assert "Example University & Partners" in (_meta(visitor, "og:description") or "")
        check_page(visitor, "share-credential")

        # once on a phone: no sideways scrolling
        phone.goto(site.url(f"/c/{code}"))
        expect(phone.get_by_role("heading", level=1)).to_have_text(NAME)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        check_page(phone, "share-credential-phone")

        # the owner's share page
        page.goto(site.url(f"/wallet/{item.id}/share"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
        href = page.get_by_role("link", name="Add to LinkedIn").get_attribute("href")
        assert href is not None
        parts = urlsplit(href)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://www.linkedin.com/profile/add"
        )
        query = parse_qs(parts.query, strict_parsing=True)
        issued = item.issued_at
        assert issued is not None
        expires = issued + timedelta(days=3 * 365)
        assert query == {
            "startTask": ["CERTIFICATION_NAME"],
            "name": [NAME],
            "organizationName": ["Example University & Partners"],
            "issueYear": [str(issued.year)],
            "issueMonth": [str(issued.month)],
            "expirationYear": [str(expires.year)],
            "expirationMonth": [str(expires.month)],
            "certUrl": [site.url(f"/s/{code}")],
            "certId": [item.credential_id],
        }
        expect(page.get_by_label("Short link to its public page")).to_have_value(
            site.url(f"/s/{code}")
        )
        expect(
            page.get_by_role("img", name=f"QR code of the link {site.url(f'/s/{code}')}")
        ).to_be_visible()
        snippet = page.get_by_label("HTML to paste into your site").input_value()
        assert snippet.startswith(f'<iframe src="{site.url(f"/embed/{code}")}" title="')
        assert html.escape(NAME, quote=True) in snippet
        assert "<script>" not in snippet
        expect(page.get_by_role("button", name="Copy embed code")).to_be_visible()
        check_page(page, "share-page")

        # downloads through the page's links
        stored = json.loads(item.credential_json)
        files: dict[str, bytes] = {}
        for label in (
            "Badge image (PNG)",
            "Badge image (SVG)",
            "Certificate (PDF)",
            "Credential (Open Badges 3.0 JSON)",
        ):
            with page.expect_download() as info:
                page.get_by_role("link", name=label).click()
            path = info.value.path()
            files[label] = Path(path).read_bytes()
        assert extract_png(files["Badge image (PNG)"]) == (stored, None)
        assert extract_svg(files["Badge image (SVG)"]) == (stored, None)
        pdf = files["Certificate (PDF)"]
        assert pdf.startswith(b"%PDF")
        assert f"({site.url(f'/c/{code}')})".encode() in pdf_text(pdf)
        assert files["Credential (Open Badges 3.0 JSON)"].decode() == item.credential_json

        # the short link leads to the page
        visitor.goto(site.url(f"/s/{code}"))
        expect(visitor).to_have_url(site.url(f"/c/{code}"))

        # withheld: the owner makes it private, the old link says so (410, nothing leaked)
        page.get_by_role("button", name="Make it private").click()
        expect(page.get_by_text("This credential is private.")).to_be_visible()
        check_page(page, "share-page-private")
        response = visitor.goto(site.url(f"/c/{code}"))
        assert response is not None
        assert response.status == 410
        expect(visitor.get_by_role("heading", level=1)).to_have_text(
            "This credential was withheld by its owner"
        )
        expect(visitor.get_by_text("Example University")).to_have_count(0)
        check_page(visitor, "share-withheld")
        visitor.goto(site.url(f"/u/{owner.handle}"))
        expect(visitor.get_by_text("No public credentials yet.")).to_be_visible()
        check_page(visitor, "share-portfolio-empty")

        # public again: the embed card may be framed by another site
        page.get_by_role("button", name="Make it public").click()
        expect(page.get_by_role("link", name="Add to LinkedIn")).to_be_visible()
        response = visitor.goto(site.url(f"/embed/{code}"))
        assert response is not None
        assert response.status == 200
        assert "x-frame-options" not in response.headers
        assert "frame-ancestors *" in response.headers["content-security-policy"]
        expect(visitor.locator(".status")).to_have_text("Valid")
        check_page(visitor, "share-embed")
        visitor.set_content(f'<iframe src="{site.url(f"/embed/{code}")}" title="card"></iframe>')
        framed = visitor.frame_locator("iframe")
        expect(framed.get_by_role("heading", level=1)).to_have_text(NAME)
        assert dialogs == [], f"a name ran as script: {dialogs}"
    finally:
        visitor_context.close()


def test_private_credential_share_page_offers_link_only(site: Site, page: Page) -> None:
    owner = _learner(site, page)
    item = owner.items["private"]
    page.goto(site.url(f"/wallet/{item.id}/share"))
    expect(page.get_by_text("This credential is private.")).to_be_visible()
    expect(page.get_by_role("link", name="Add to LinkedIn")).to_have_count(0)
    expect(page.get_by_role("link", name="Certificate (PDF)")).to_have_count(0)
    check_page(page, "share-page-needs-visibility")
    assert httpx.get(site.url(f"/c/{item.share_code}/credential.json")).status_code == 410
    page.get_by_role("button", name="Make it link-only").click()
    expect(page.get_by_text("Link-only:")).to_be_visible()
    expect(page.get_by_role("link", name="Certificate (PDF)")).to_be_visible()
    check_page(page, "share-page-link-only")
    # reachable at its link, still not on the portfolio
    reached = httpx.get(site.url(f"/c/{item.share_code}"))
    assert reached.status_code == 200
    assert "Private Modelling" in reached.text
    portfolio = httpx.get(site.url(f"/u/{owner.handle}"))
    assert "Private Modelling" not in portfolio.text
    assert "Link-only Statistics" not in portfolio.text
    # another learner cannot open this share page
    other_context, other = new_page(page.context.browser)  # type: ignore[arg-type]
    try:
        sign_up(other, site, "learner")
        response = other.goto(site.url(f"/wallet/{item.id}/share"))
        assert response is not None
        assert response.status == 404
    finally:
        other_context.close()
