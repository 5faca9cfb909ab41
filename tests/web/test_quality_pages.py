"""The EU standard-element report in the browser: the console's achievement page lists what a
draft lacks before it is published (publishing stays allowed), a complete design shows 11 of 11,
and the public credential page carries a compact summary with the details one click away."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
from playwright.sync_api import Page, expect

from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import Visibility, WalletStore, new_item
from tests.unit.test_achievement_design import full_design_data
from tests.web.conftest import Site, check_page, sign_up
from tests.web.test_console import create_org, design
from tests.web.test_console import publish as publish_in_page


def _wallet(site: Site) -> WalletStore:
    store = site.app.state.web.wallet
    return store  # type: ignore[no-any-return]


def _add_full_design(site: Site, slug: str) -> str:
    """A draft achievement with every EU element in organisation ``slug``; its uuid."""
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    draft = create_achievement(
        uow, org, full_design_data(), base_url=site.base_url, at=site.clock()
    )
    uow.commit()
    return draft.achievement_id.rsplit("/", 1)[1]


def test_console_shows_the_checklist_and_what_publishing_lacks(site: Site, page: Page) -> None:
    sign_up(page, site, "staff")
    slug = create_org(page, site, "Quality College")
    url = design(page, site, slug, "Spreadsheet basics")

    section = page.locator("section.quality")
    expect(section.get_by_role("heading", name="EU standard elements")).to_be_visible()
    expect(section.locator(".quality-score")).to_contain_text("5 of 11 mandatory")
    expect(section.locator(".quality-score")).to_contain_text("0 of 5 optional")
    expect(section.locator("details")).to_have_attribute("open", "")
    title = section.locator('[data-element="title"]')
    expect(title).to_contain_text("Present")
    expect(title).to_contain_text("Spreadsheet basics")
    outcomes = section.locator('[data-element="learning-outcomes"]')
    expect(outcomes).to_contain_text("Missing")
    expect(outcomes).to_contain_text("ext:EULearningOutcome")
    expect(section.locator('[data-element="learner"]')).to_contain_text("Added at issuance")
    expect(section.locator('[data-element="country"]')).to_contain_text("NL")

    gaps = page.locator("#publish-gaps")
    expect(gaps).to_contain_text("lacks 6 of the 11 mandatory EU elements")
    expect(gaps).to_contain_text("Learning outcomes (missing)")
    expect(gaps).to_contain_text("You can still publish it")
    button = page.get_by_role("button", name="Publish version 1")
    expect(button).to_have_attribute("aria-describedby", "publish-gaps")
    check_page(page, "quality-console-draft")

    publish_in_page(page, 1)  # allowed all the same
    expect(page.locator("#publish-gaps")).to_have_count(0)  # nothing left to publish
    expect(page.locator("section.quality .quality-score")).to_contain_text("5 of 11 mandatory")

    page.goto(url.rsplit("/", 1)[0] + "/" + _add_full_design(site, slug))
    expect(page.locator("section.quality .quality-score")).to_contain_text("11 of 11 mandatory")
    expect(page.locator("section.quality .quality-gaps")).to_have_text(
        "Every mandatory element is stated."
    )
    expect(page.locator('[data-element="workload"]')).to_contain_text("7.5 ECTS; 187.5 hours")
    expect(page.locator("#publish-gaps")).to_have_count(0)
    check_page(page, "quality-console-complete")


def _shared(site: Site, data: dict[str, object], email: str) -> str:
    """A credential of ``data`` issued to ``email`` and shared publicly; its share code."""
    at = site.clock.now - timedelta(days=3)
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow,
        site.custody,
        host=site.app.state.credstack.host,
        slug=f"org-{uuid.uuid4().hex[:10]}",
        name="Example University",
        country="AT",
        at=at,
    )
    draft = create_achievement(uow, org, data, base_url=site.base_url, at=at)
    version = publish(uow, org, draft.id, at=at)
    issued = Issuer(uow, site.custody, org, site.base_url).issue(
        version, IssueRequest(email=email), at=at
    )
    uow.commit()
    user = site.database.unit_of_work().users.get_by_email(email)
    assert user is not None
    item = new_item(
        _wallet(site),
        user.id,
        issued.credential_json,
        source="claim",
        at=site.clock.now,
        visibility=Visibility.LINK,
    )
    return item.share_code


def test_public_credential_page_shows_the_summary(site: Site, page: Page, phone: Page) -> None:
    email = sign_up(page, site, "learner")
    full = _shared(site, full_design_data(), email)
    thin = _shared(
        site,
        {"name": "Thin badge", "description": "Little said.", "criteria_narrative": "Do it."},
        email,
    )

    phone.goto(site.url(f"/c/{full}"))
    section = phone.locator("section.quality")
    expect(section.get_by_role("heading", level=2, name="EU standard elements")).to_be_visible()
    expect(section.locator(".quality-score")).to_contain_text("11 of 11 mandatory")
    expect(section.locator(".quality-score")).to_contain_text("4 of 5 optional")  # no grade
    details = section.locator("details")
    expect(details).not_to_have_attribute("open", "")
    expect(section.locator('[data-element="level"]')).to_be_hidden()
    section.get_by_text("Element by element").click()
    expect(section.locator('[data-element="level"]')).to_contain_text("EQF level 6")
    expect(section.locator('[data-element="learner"]')).to_contain_text("hashed emailAddress")
    expect(section.locator('[data-element="learner"]')).not_to_contain_text(email)
    expect(section.locator('[data-element="grade"]')).to_contain_text("Missing")
    check_page(phone, "quality-public-complete-phone")

    page.goto(site.url(f"/c/{thin}"))
    summary = page.locator("section.quality")
    expect(summary.locator(".quality-score")).to_contain_text("5 of 11 mandatory")
    expect(summary.locator(".quality-gaps")).to_contain_text("6. Learning outcomes (missing)")
    check_page(page, "quality-public-thin")


def test_public_page_of_an_arbitrary_credential_degrades(site: Site, page: Page) -> None:
    email = sign_up(page, site, "learner")
    user = site.database.unit_of_work().users.get_by_email(email)
    assert user is not None
    plain = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:somebody",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alice", "achievement": ["<b>odd</b>"]},
    }
    item = new_item(
        _wallet(site),
        user.id,
        json.dumps(plain),
        source="import",
        at=site.clock.now,
        visibility=Visibility.LINK,
    )
    response = httpx.get(site.url(f"/c/{item.share_code}"))
    assert response.status_code == 200
    assert "2 of 11 mandatory" in response.text
    assert "<b>odd</b>" not in response.text  # what the document holds stays text
    assert "credentialSubject.achievement is an array, not an Achievement object" in response.text
