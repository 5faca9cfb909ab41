"""The learner's wallet in the browser: claim from the e-mail link, the list with live
verification status, visibility, import (baked PNG, JSON file, a forged PNG refused),
collections, pathways and the portfolio profile with employer-search opt-in."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from credstack.platform.issuance import revoke
from credstack.platform.presentations import open_learner_key
from credstack.platform.wallet import ProfileView
from credstack.skills.pathways import parse_pathway
from credstack.web.wallet_pathways import configure_pathways
from tests.web.conftest import Site, check_page, claim_link, sign_in, sign_up, unique_email
from tests.web.test_wallet_input import baked, forged, issue, store, tiny_png, user_id

BADGE = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()


def _item_id(page: Page) -> str:
    return page.url.split("/wallet/")[1].split("?")[0]


def _revoke(site: Site, credential_text: str) -> None:
    document = json.loads(credential_text)
    uow = site.database.unit_of_work()
    issuer = document["issuer"]["id"]
    organisation = next(o for o in uow.organisations.list() if o.did == issuer)
    revoke(uow, organisation, document["id"], reason="issued in error", at=site.clock.now)
    uow.commit()


def _achievement_id(credential_text: str) -> str:
    return str(json.loads(credential_text)["credentialSubject"]["achievement"]["id"])


def test_claim_from_email_into_a_new_wallet(site: Site, page: Page, phone: Page) -> None:
    email = unique_email("learner")
    issue(site, email=email, name="Data Analysis with Python", image=BADGE)
    link = claim_link(site, email)

    page.goto(link)
    expect(page.get_by_role("heading", name="Data Analysis with Python")).to_be_visible()
    expect(page.get_by_text("Example University").first).to_be_visible()
    check_page(page, "wallet-claim-signed-out")
    sign_in_link = page.get_by_role("link", name="Sign in to claim")
    expect(sign_in_link).to_have_attribute("href", f"/signin?next=%2Fclaim%2F{link.split('/')[-1]}")

    page.get_by_role("link", name="Create a wallet").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(link)
    expect(page.get_by_text("hold its key for you")).to_be_visible()
    expect(page.get_by_label("Your own DID (optional)")).to_be_empty()
    check_page(page, "wallet-claim-learner")

    page.get_by_role("button", name="Claim into my wallet").click()
    expect(page.get_by_role("status").filter(has_text="Claimed")).to_be_visible()
    item_id = _item_id(page)
    held = store(site).get_item(item_id)
    assert held is not None
    assert held.source == "claim"
    key = store(site).key_for(user_id(site, email))
    assert key is not None
    assert key.did.startswith("did:key:z6Mk")
    assert held.credential["credentialSubject"]["id"] == key.did  # bound to the wallet's DID
    assert open_learner_key(site.custody, key).did_key == key.did  # the sealed seed opens
    expect(page.locator(".wallet-head .status")).to_have_text("Valid")
    expect(page.locator(".vreport .verdict")).to_contain_text("Valid")
    check_page(page, "wallet-item")

    # the used link is gone (410), with a page that says what to do
    response = page.goto(link)
    assert response is not None
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This claim link can no longer be used"
    )
    check_page(page, "wallet-claim-used")

    page.goto(site.url("/wallet"))
    card = page.locator(".wallet-card").filter(has_text="Data Analysis with Python")
    expect(card.get_by_role("img", name="Data Analysis with Python")).to_be_visible()
    expect(card.locator(".status")).to_have_text("Valid")
    expect(card).to_contain_text("Private")
    check_page(page, "wallet-list")

    # visibility: public, then its explanation is on the page
    page.goto(site.url(f"/wallet/{item_id}"))
    expect(page.get_by_text("Only you can see it.")).to_be_visible()
    page.get_by_label("Public").check()
    page.get_by_role("button", name="Save visibility").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.get_by_label("Public")).to_be_checked()
    saved = store(site).get_item(item_id)
    assert saved is not None
    assert saved.visibility.value == "public"
    expect(page.get_by_role("link", name="Share")).to_have_attribute(
        "href", f"/wallet/{item_id}/share"
    )

    # revoked by the issuer: the list says so at the next look
    _revoke(site, held.credential_json)
    page.goto(site.url("/wallet"))
    expect(card.locator(".status")).to_have_text("Revoked")

    # the phone layout: no sideways scrolling
    sign_in(phone, site, email)
    phone.goto(site.url("/wallet"))
    expect(phone.locator(".wallet-card")).to_have_count(1)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check_page(phone, "wallet-list-phone")

    # delete, after a confirmation page
    page.goto(site.url(f"/wallet/{item_id}"))
    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete")
    check_page(page, "wallet-delete")
    page.get_by_role("button", name="Delete from my wallet").click()
    expect(page.get_by_role("status").filter(has_text="Deleted")).to_be_visible()
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()
    assert store(site).get_item(item_id) is None
    check_page(page, "wallet-empty")


def test_import_baked_png_and_json_and_refuse_a_forgery(
    site: Site, page: Page, tmp_path: Path
) -> None:
    email = sign_up(page, site, "learner")
    png_text = issue(site, email=email, name="Statistics", org_name="Open College")
    json_text = issue(site, email=email, name="Machine Learning", org_name="Open College")
    png = tmp_path / "statistics.png"
    png.write_bytes(baked(png_text))
    document = tmp_path / "machine-learning.json"
    document.write_text(json_text)
    fake = tmp_path / "fake.png"
    fake.write_bytes(baked(forged(png_text)))

    page.goto(site.url("/wallet/import"))
    check_page(page, "wallet-import")
    page.get_by_label("Credential file").set_input_files(str(png))
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_role("status").filter(has_text="Imported")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    assert store(site).get_item(_item_id(page)) is not None

    page.goto(site.url("/wallet/import"))
    page.get_by_label("Credential file").set_input_files(str(document))
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Machine Learning")

    page.goto(site.url("/wallet/import"))
    page.get_by_label("Credential file").set_input_files(str(fake))
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_role("alert").first).to_contain_text("not valid, so it was not added")
    expect(page.get_by_role("heading", name="Why it was not added")).to_be_visible()
    expect(page.locator(".vreport .verdict")).to_contain_text("Not valid")
    check_page(page, "wallet-import-refused")

    page.goto(site.url("/wallet/import"))
    page.get_by_label("Credential JSON").fill(json_text)
    page.get_by_role("button", name="Import the pasted credential").click()
    expect(page.get_by_role("alert").first).to_contain_text("in your wallet already")
    expect(page.get_by_role("link", name="Open “Machine Learning” in your wallet")).to_be_visible()
    check_page(page, "wallet-import-duplicate")

    held = store(site).items_for(user_id(site, email))
    assert sorted((i.achievement_name, i.source) for i in held) == [
        ("Machine Learning", "file"),
        ("Statistics", "png"),
    ]
    page.goto(site.url("/wallet"))
    expect(page.locator(".wallet-card .status")).to_have_text(["Valid", "Valid"])
    expect(page.locator(".badge-placeholder")).to_have_count(2)  # no image: a placeholder


def test_collections_pathways_and_profile(site: Site, page: Page) -> None:
    email = sign_up(page, site, "learner")
    first = issue(site, email=email, name="Python Basics")
    second = issue(site, email=email, name="SQL Basics")
    for text in (first, second):
        page.goto(site.url("/wallet/import"))
        page.get_by_label("Credential JSON").fill(text)
        page.get_by_role("button", name="Import the pasted credential").click()
        expect(page.get_by_role("status").filter(has_text="Imported")).to_be_visible()

    # collections: create, add, remove, delete
    page.goto(site.url("/wallet/collections"))
    expect(page.get_by_text("You have no collections yet.")).to_be_visible()
    page.get_by_label("Collection name").fill("Job applications")
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Job applications")
    page.get_by_label("Credential").select_option(label="Python Basics (Example University)")
    page.get_by_role("button", name="Add to collection").click()
    expect(page.get_by_role("link", name="Python Basics")).to_be_visible()
    page.get_by_label("Credential").select_option(label="SQL Basics (Example University)")
    page.get_by_role("button", name="Add to collection").click()
    expect(page.locator(".collection-items li")).to_have_count(2)
    check_page(page, "wallet-collection")
    page.get_by_role("button", name="Remove Python Basics from this collection").click()
    expect(page.locator(".collection-items li")).to_have_count(1)
    (collection,) = store(site).collections_for(user_id(site, email))
    assert len(collection.item_ids) == 1
    page.goto(site.url("/wallet/collections"))
    expect(page.get_by_role("link", name="Job applications")).to_be_visible()
    check_page(page, "wallet-collections")
    page.get_by_role("link", name="Job applications").click()
    page.get_by_role("button", name="Delete collection").click()
    expect(page.get_by_text("You have no collections yet.")).to_be_visible()
    assert store(site).collections_for(user_id(site, email)) == []

    # pathways: none configured, then one
    page.goto(site.url("/wallet/pathways"))
    expect(page.get_by_text("No pathways are set up on this site yet")).to_be_visible()
    check_page(page, "wallet-pathways-none")
    pathway = parse_pathway(
        {
            "version": 1,
            "id": "urn:pathway:data",
            "name": "Data Foundations",
            "rule": {
                "allOf": [
                    {"achievement": _achievement_id(first)},
                    {"achievement": _achievement_id(second)},
                    {"achievement": "https://elsewhere.example/achievements/statistics"},
                ]
            },
        }
    )
    configure_pathways(site.app, [pathway])
    try:
        page.goto(site.url("/wallet/pathways"))
        section = page.locator("section.pathway")
        expect(section.get_by_role("heading", name="Data Foundations")).to_be_visible()
        expect(section.get_by_text("67% complete")).to_be_visible()
        expect(section.get_by_role("progressbar")).to_have_attribute("value", "67")
        expect(section).to_contain_text("https://elsewhere.example/achievements/statistics")
        expect(section).to_contain_text("Python Basics")
        check_page(page, "wallet-pathways")
    finally:
        configure_pathways(site.app, [])

    # the portfolio profile, employer search opt-in, who looked, withdraw
    handle = f"ann-{uuid.uuid4().hex[:8]}"
    page.goto(site.url("/wallet/profile"))
    check_page(page, "wallet-profile-new")
    page.get_by_label("Portfolio address").fill(handle)
    page.get_by_label("Display name").fill("Ann Example")
    page.get_by_label("Headline (optional)").fill("Data analyst, Python and SQL")
    page.get_by_label("Let employers find me by my verified skills").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.get_by_role("link", name=f"/u/{handle}")).to_be_visible()
    profile = store(site).get_profile(user_id(site, email))
    assert profile is not None
    assert profile.searchable
    assert profile.handle == handle
    store(site).add_view(
        ProfileView(
            id=str(uuid.uuid4()),
            learner_user_id=user_id(site, email),
            viewer_user_id="employer-1",
            viewer_label="hiring@acme.example",
            query="Python, SQL",
            at=site.clock.now,
        )
    )
    page.reload()
    row = page.get_by_role("row").filter(has_text="hiring@acme.example")
    expect(row).to_contain_text("Python, SQL")
    check_page(page, "wallet-profile")
    page.get_by_role("button", name="Withdraw from search").click()
    expect(page.get_by_role("status").filter(has_text="Withdrawn")).to_be_visible()
    expect(page.get_by_label("Let employers find me by my verified skills")).not_to_be_checked()
    profile = store(site).get_profile(user_id(site, email))
    assert profile is not None
    assert not profile.searchable
    assert all(p.user_id != profile.user_id for p in store(site).searchable_profiles())
