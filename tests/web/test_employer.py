"""Employer pages in the browser: a verification request answered by a learner's wallet and
checked once; candidate search by verified skills; who may use which page; bad input."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Dialog, Page, expect

from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import (
    PortfolioProfile,
    Visibility,
    WalletStore,
    new_item,
)
from tests.web.conftest import Site, check_page, new_page, sign_up

HTML = {"accept": "text/html"}
SCRIPT = "<script>alert('x')</script>"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _store(site: Site) -> WalletStore:
    store = site.app.state.web.wallet
    return store  # type: ignore[no-any-return]


def _user_id(site: Site, email: str) -> str:
    user = site.database.unit_of_work().users.get_by_email(email)
    assert user is not None
    return user.id


def _issue(site: Site, skills: Sequence[tuple[str, str]], name: str, did: str) -> str:
    """A new organisation issues an achievement aligned to ``skills`` (name, url) to ``did``;
    the credential's JSON text."""
    at = site.clock.now - timedelta(days=1)
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow,
        site.custody,
        host=site.app.state.credstack.host,
        slug=f"org-{uuid.uuid4().hex[:10]}",
        name="Example University",
        at=at,
    )
    design = {
        "name": name,
        "description": "Practical skills, assessed.",
        "criteria_narrative": "Pass the supervised practical assessment.",
        "language": "en",
        "skills": [{"name": skill, "url": url} for skill, url in skills],
    }
    draft = create_achievement(uow, org, design, base_url=site.base_url, at=at)
    version = publish(uow, org, draft.id, at=at)
    issued = Issuer(uow, site.custody, org, site.base_url).issue(
        version, IssueRequest(did=did), at=at
    )
    uow.commit()
    return issued.credential_json


def _hold(
    site: Site,
    user_id: str,
    credentials: Sequence[tuple[str, Sequence[str]]],
    *,
    visibility: Visibility = Visibility.PUBLIC,
) -> None:
    """Put credentials (achievement name, skill names) into the learner's wallet."""
    for name, skills in credentials:
        aligned = [(s, f"https://skills.example/{uuid.uuid4().hex}") for s in skills]
        text = _issue(site, aligned, name, f"did:example:{user_id}")
        new_item(
            _store(site), user_id, text, source="claim", at=site.clock.now, visibility=visibility
        )


def _profile(site: Site, user_id: str, handle: str, name: str, *, searchable: bool) -> None:
    _store(site).save_profile(
        PortfolioProfile(user_id, handle, name, headline="Analyst", searchable=searchable)
    )


def _has_route(site: Site, path: str) -> bool:
    return any(getattr(r, "path", None) == path for r in site.app.routes)


def _request_link(page: Page, site: Site) -> str:
    page.goto(site.url("/employer"))
    page.get_by_role("button", name="Start a verification request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verification request")
    link = page.locator("#req-url").inner_text()
    assert link.startswith(site.url("/wallet/present?challenge="))
    return link


def _present(learner: Page, link: str, names: Sequence[str]) -> str:
    learner.goto(link)
    for name in names:
        learner.get_by_label(re.compile(re.escape(name))).check()
    learner.get_by_role("button", name="Create presentation").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Your presentation")
    return learner.get_by_label("Presentation (JSON)").input_value()


def _check(employer: Page, site: Site, presentation: str) -> None:
    employer.goto(site.url("/employer/verify"))
    employer.get_by_label("Presentation JSON").fill(presentation)
    employer.get_by_role("button", name="Check presentation").click()


# ------------------------------------------------------------------ verification requests


def test_request_answered_by_the_wallet_verifies_once(
    site: Site, page: Page, browser: Browser
) -> None:
    sign_up(page, site, "employer")
    expect(page).to_have_url(site.url("/employer"))
    check_page(page, "employer-home")
    link = _request_link(page, site)
    check_page(page, "employer-request")

    learner_ctx, learner = new_page(browser)
    try:
        learner_email = sign_up(learner, site, "learner")
        learner_id = _user_id(site, learner_email)
        _hold(
            site,
            learner_id,
            [("Data Analysis with Python", ["Python"]), ("Statistics for Research", ["R"])],
        )
        learner.goto(link)
        expect(learner.get_by_label("Challenge")).to_have_value(
            re.search(r"challenge=([^&]+)", link).group(1)  # type: ignore[union-attr]
        )
        check_page(learner, "wallet-present")
        presentation = _present(
            learner, link, ["Data Analysis with Python", "Statistics for Research"]
        )
        check_page(learner, "wallet-presented")
        vp = json.loads(presentation)
        assert vp["type"] == ["VerifiablePresentation"]
        wallet_key = _store(site).key_for(learner_id)  # made for the learner, who had none
        assert wallet_key is not None
        assert vp["holder"] == wallet_key.did
        assert vp["holder"].startswith("did:key:")
        assert vp["proof"]["proofPurpose"] == "authentication"
        assert vp["proof"]["domain"] == site.app.state.credstack.host
        assert len(vp["verifiableCredential"]) == 2
        with learner.expect_download() as download:
            learner.get_by_role("button", name="Download presentation.json").click()
        assert download.value.suggested_filename == "presentation.json"
        assert json.loads(Path(download.value.path()).read_text(encoding="utf-8")) == vp

        _check(page, site, presentation)
        expect(page.get_by_role("heading", level=1)).to_have_text("Presentation checked")
        expect(page.locator(".alert.ok")).to_contain_text("Valid")
        expect(page.locator(".alert.ok")).to_contain_text(vp["holder"])
        rows = page.locator("table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="Data Analysis with Python")).to_contain_text("Valid")
        expect(rows.filter(has_text="Statistics for Research")).to_contain_text("Valid")
        check_page(page, "employer-verified")

        _check(page, site, presentation)  # the same presentation again
        expect(page.get_by_role("alert")).to_contain_text("already used")
        expect(page.get_by_role("heading", level=1)).to_have_text("Check a presentation")
        check_page(page, "employer-verify-replayed")

        # a tampered presentation (answering a fresh request) is not valid
        tampered = json.loads(_present(learner, _request_link(page, site), ["Statistics"]))
        tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:thief"
        _check(page, site, json.dumps(tampered))
        expect(page.locator(".alert.error")).to_contain_text("Not valid")
        check_page(page, "employer-verified-tampered")
    finally:
        learner_ctx.close()


def test_bad_presentations_get_clear_messages(site: Site, page: Page) -> None:
    sign_up(page, site, "employer")
    _check(page, site, '{"type": ["VerifiablePresentation"], ')
    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    check_page(page, "employer-verify-malformed")
    _check(page, site, '{"@context": [], "type": ["VerifiablePresentation"]}')
    expect(page.get_by_role("alert")).to_contain_text("not signed over a challenge")

    page.goto(site.url("/employer/verify"))
    page.get_by_label("Or choose its file").set_input_files(
        {"name": "big.json", "mimeType": "application/json", "buffer": b" " * (6 * 1_048_576)}
    )
    page.get_by_role("button", name="Check presentation").click()
    expect(page.get_by_role("alert")).to_contain_text("over the limit of 5 MB")
    check_page(page, "employer-verify-too-big")


# ------------------------------------------------------------------ candidate search


def test_search_ranks_opted_in_learners_and_withdrawal_is_immediate(
    site: Site, page: Page, browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:6]
    kotlin, sql, cobol = f"Kotlin {tag}", f"SQL {tag}", f"COBOL {tag}"
    learner_ctx, learner = new_page(browser)
    try:
        ann_email = sign_up(learner, site, "learner")
        ann = _user_id(site, ann_email)
        _hold(site, ann, [(f"Mobile apps {tag}", [kotlin]), (f"Databases {tag}", [sql])])
        _profile(site, ann, f"ann-{tag}", f"Ann {SCRIPT}", searchable=True)
        bob = f"bob-{tag}"
        _hold(site, bob, [(f"Android basics {tag}", [kotlin])])
        _profile(site, bob, f"bob-{tag}", "Bob Builder", searchable=True)
        cid = f"cid-{tag}"  # holds everything, but did not opt in
        _hold(site, cid, [(f"Everything {tag}", [kotlin, sql, cobol])])
        _profile(site, cid, f"cid-{tag}", "Cid Hidden", searchable=False)
        dee = f"dee-{tag}"  # opted in, but keeps the credential private
        _hold(site, dee, [(f"Private {tag}", [kotlin])], visibility=Visibility.PRIVATE)
        _profile(site, dee, f"dee-{tag}", "Dee Private", searchable=True)

        employer_email = sign_up(page, site, "employer")
        dialogs: list[str] = []

        def dialog(d: Dialog) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(site.url("/employer/search"))
        check_page(page, "employer-search")
        page.get_by_label("Skills").fill(f"{kotlin.lower()}, {sql}, {SCRIPT}")
        page.get_by_role("button", name="Search").click()
        results = page.locator("ol.candidates > li")
        expect(results).to_have_count(2)
        expect(results.nth(0)).to_contain_text(f"Ann {SCRIPT}")  # shown as text, inert
        expect(results.nth(0)).to_contain_text("Covers 2 of 3 skills asked (67%)")
        expect(results.nth(0)).to_contain_text(f"Mobile apps {tag}")
        expect(results.nth(0)).to_contain_text(f"Databases {tag}")
        expect(results.nth(1)).to_contain_text("Bob Builder")
        expect(results.nth(1)).to_contain_text("Covers 1 of 3 skills asked (33%)")
        expect(page.locator("main")).not_to_contain_text("Cid Hidden")
        expect(page.locator("main")).not_to_contain_text("Dee Private")
        expect(page.get_by_label("Skills")).to_have_value(f"{kotlin.lower()}, {sql}, {SCRIPT}")
        assert page.locator("main script").count() == 0
        check_page(page, "employer-search-results")

        page.get_by_role("link", name=f"Ann {SCRIPT}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Ann {SCRIPT}")
        expect(page.locator("#cand-skills ~ ul")).to_contain_text(kotlin.lower())
        expect(page.locator("ul.cand-creds > li")).to_have_count(2)
        check_page(page, "employer-candidate")
        assert dialogs == []

        views = _store(site).views_for(ann)
        assert [(v.viewer_label, v.query) for v in views] == [
            (employer_email, f"{kotlin.lower()}, {sql}, {SCRIPT}")
        ]
        # Ann sees who looked, then withdraws: gone from the results, and her page, at once
        if _has_route(site, "/wallet/profile"):
            learner.goto(site.url("/wallet/profile"))
            expect(learner.locator("main")).to_contain_text(employer_email)
            check_page(learner, "wallet-profile-viewed")
            learner.get_by_role("button", name="Withdraw from search").click()
            expect(learner.get_by_role("button", name="Withdraw from search")).to_have_count(0)
        else:
            _profile(site, ann, f"ann-{tag}", f"Ann {SCRIPT}", searchable=False)
        assert all(p.user_id != ann for p in _store(site).searchable_profiles())
        page.goto(site.url(f"/employer/search?skills={kotlin}"))
        expect(page.locator("ol.candidates > li")).to_have_count(1)
        expect(page.locator("ol.candidates")).to_contain_text("Bob Builder")
        response = page.goto(site.url(f"/employer/candidates/ann-{tag}"))
        assert response is not None
        assert response.status == 404
        check_page(page, "employer-candidate-gone")
    finally:
        learner_ctx.close()


# ------------------------------------------------------------------ who may do what


def test_only_employers_use_employer_pages(site: Site, page: Page) -> None:
    for path in ("/employer", "/employer/verify", "/employer/search?skills=x"):
        answer = httpx.get(site.url(path), headers=HTML)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/signin?next=")
    link = httpx.get(site.url("/wallet/present?challenge=c1&domain=d1"), headers=HTML)
    assert link.status_code == 303  # a signed-out candidate signs in and comes back
    assert (
        link.headers["location"]
        == "/signin?next=%2Fwallet%2Fpresent%3Fchallenge%3Dc1%26domain%3Dd1"
    )
    sign_up(page, site, "learner")
    response = page.goto(site.url("/employer/search?skills=python"))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("employer accounts")
    check_page(page, "employer-forbidden")
    page.goto(site.url("/employer/verify"))
    expect(page.get_by_role("alert")).to_contain_text("employer accounts")


def test_employers_cannot_present_and_posts_need_csrf(site: Site, page: Page) -> None:
    sign_up(page, site, "employer")
    response = page.goto(site.url("/wallet/present?challenge=abc&domain=x"))
    assert response is not None
    assert response.status == 403
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    refused = httpx.post(site.url("/employer/requests"), cookies=cookies, headers=HTML)
    assert refused.status_code == 403
    assert "another site" in refused.text


def test_request_page_fits_a_phone(site: Site, phone: Page) -> None:
    sign_up(phone, site, "employer")
    _request_link(phone, site)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "the request page scrolls sideways on a phone"
    check_page(phone, "employer-request-phone")
    phone.goto(site.url("/employer/verify"))
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check_page(phone, "employer-verify-phone")


def test_present_and_download_refuse_bad_input(site: Site, page: Page) -> None:
    sign_up(page, site, "learner")
    page.goto(site.url("/wallet/present"))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    found = _CSRF.search(page.content())
    assert found is not None
    response = httpx.post(
        site.url("/wallet/present/download"),
        data={"csrf": found.group(1), "presentation": SCRIPT},
        cookies=cookies,
        headers=HTML,
    )
    assert response.status_code == 400
    assert SCRIPT not in response.text
    assert "not valid JSON" in response.text
    nothing_chosen = httpx.post(
        site.url("/wallet/present"),
        data={"csrf": found.group(1), "challenge": SCRIPT, "domain": "example.org"},
        cookies=cookies,
        headers=HTML,
    )
    assert nothing_chosen.status_code == 400
    assert "Choose at least one credential to present." in nothing_chosen.text
    assert SCRIPT not in nothing_chosen.text  # the challenge is kept, escaped
    assert "&lt;script&gt;" in nothing_chosen.text
