"""Trust in the browser: an employer chooses registries and the verification of a candidate's
presentation says which recognise the issuer; the public issuer page, the public credential
page and the console's achievement page show endorsements with their own status."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import httpx
from playwright.sync_api import Browser, Page, expect

from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import Membership, Organisation, Role
from credstack.platform.endorsements import endorse
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.organisations import create_organisation
from credstack.platform.trust import EmployerChoice, add_entry, add_local_registry
from credstack.platform.wallet import PortfolioProfile, Visibility, new_item
from credstack.storage.trust_sql import SqlTrustStore
from credstack.trust import new_entry
from tests.web.conftest import Site, check_page, new_page, sign_in, sign_up
from tests.web.test_employer import _check, _hold, _present, _request_link, _store, _user_id

HTML = {"accept": "text/html"}
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _trust(site: Site) -> SqlTrustStore:
    return SqlTrustStore(site.database)


def _org(site: Site, name: str) -> Organisation:
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow,
        site.custody,
        host=site.app.state.credstack.host,
        slug=f"org-{uuid.uuid4().hex[:10]}",
        name=name,
        at=site.clock.now - timedelta(days=2),
    )
    uow.commit()
    return org


def test_employer_chooses_registries_and_the_verification_says_who_recognises(
    site: Site, page: Page, browser: Browser
) -> None:
    suffix = uuid.uuid4().hex[:6]
    partners, elsewhere = f"partners-{suffix}", f"elsewhere-{suffix}"
    store = _trust(site)
    at = site.clock.now
    add_local_registry(store, partners, f"Partner universities {suffix}", at=at)
    add_local_registry(store, elsewhere, f"Another list {suffix}", at=at, default=True)

    employer_email = sign_up(page, site, "employer")
    expect(page.get_by_role("link", name="Choose registries")).to_be_visible()
    page.get_by_role("link", name="Choose registries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registries you trust")
    mine = page.get_by_label(f"Partner universities {suffix}")
    other = page.get_by_label(f"Another list {suffix}")
    expect(mine).not_to_be_checked()
    expect(other).to_be_checked()  # a default, until the employer chooses
    check_page(page, "trust-employer")
    mine.check()
    other.uncheck()
    page.get_by_role("button", name="Save my registries").click()
    expect(page.get_by_role("status")).to_contain_text("Your choice was saved")
    expect(page.get_by_label(f"Partner universities {suffix}")).to_be_checked()
    expect(page.get_by_label(f"Another list {suffix}")).not_to_be_checked()
    check_page(page, "trust-employer-saved")

    learner_ctx, learner = new_page(browser)
    try:
        learner_email = sign_up(learner, site, "learner")
        learner_id = _user_id(site, learner_email)
        _hold(site, learner_id, [("Trusted Data Skills", ["Python"]), ("Unlisted Skills", ["R"])])
        items = {i.achievement_name: i for i in _store(site).items_for(learner_id)}
        listed = items["Trusted Data Skills"].issuer_id
        add_entry(store, partners, new_entry(listed, "University of Partners"), at=at)
        link = _request_link(page, site)
        presentation = _present(learner, link, ["Trusted Data Skills", "Unlisted Skills"])
    finally:
        learner_ctx.close()

    _check(page, site, presentation)
    expect(page.get_by_role("heading", level=1)).to_have_text("Presentation checked")
    trusted = page.locator(".vreport", has_text="Trusted Data Skills").last
    expect(trusted.locator('li[data-step="trust"]')).to_contain_text(
        f"Recognised by Partner universities {suffix}"
    )
    unlisted = page.locator(".vreport", has_text="Unlisted Skills").last
    expect(unlisted.locator('li[data-step="trust"]')).to_contain_text(
        "Not recognised by the registries you trust"
    )
    check_page(page, "trust-employer-verified")

    # candidate search and the candidate page say the same, for the employer's registries
    _store(site).save_profile(
        PortfolioProfile(learner_id, f"cand-{suffix}", "Casey", searchable=True)
    )
    page.goto(site.url("/employer/search?skills=Python"))
    found = page.locator("ol.candidates li", has_text="Casey")
    expect(found).to_contain_text(f"Recognised by Partner universities {suffix}")
    check_page(page, "trust-employer-search")
    found.get_by_role("link", name="Casey").click()
    card = page.locator("li.card", has_text="Unlisted Skills")
    expect(card).to_contain_text("Not recognised by the registries you trust")
    expect(page.locator("li.card", has_text="Trusted Data Skills")).to_contain_text(
        f"Recognised by Partner universities {suffix}"
    )

    # another employer who never chose gets the defaults (where no one is listed)
    other_ctx, second = new_page(browser)
    try:
        sign_up(second, site, "employer")
        second.goto(site.url("/employer/trust"))
        expect(second.get_by_label(f"Another list {suffix}")).to_be_checked()
        expect(second.get_by_label(f"Partner universities {suffix}")).not_to_be_checked()
    finally:
        other_ctx.close()
    assert _trust(site).get_choice(_user_id(site, employer_email)) is not None


def test_issuer_credential_and_console_pages_show_endorsements_with_status(
    site: Site, page: Page
) -> None:
    suffix = uuid.uuid4().hex[:6]
    issuer = _org(site, f"Issuing College {suffix}")
    endorser = _org(site, f"Endorsing Guild {suffix}")
    at = site.clock.now - timedelta(days=1)
    uow = site.database.unit_of_work()
    design = {
        "name": f"Welding Basics {suffix}",
        "description": "Safe welding in the workshop.",
        "criteria_narrative": "Pass the practical test.",
        "language": "en",
    }
    version = publish(
        uow,
        issuer,
        create_achievement(uow, issuer, design, base_url=site.base_url, at=at).id,
        at=at,
    )
    learner_did = f"did:example:{uuid.uuid4().hex}"
    issued = Issuer(uow, site.custody, issuer, site.base_url).issue(
        version, IssueRequest(did=learner_did), at=at
    )
    endorse(uow, site.custody, endorser, subject_id=issuer.did, comment="Careful assessors.", at=at)
    endorse(uow, site.custody, endorser, subject_id=issued.id, comment="We checked it.", at=at)
    bad = endorse(
        uow, site.custody, endorser, subject_id=version.achievement_id, comment="Solid.", at=at
    )
    uow.endorsements.add(  # a copy altered after signing: shown as not valid, never counted
        replace(
            bad,
            id=f"urn:uuid:{uuid.uuid4()}",
            credential_json=bad.credential_json.replace("Solid.", "The best <b>ever</b>."),
        )
    )
    uow.commit()
    registry = f"guilds-{suffix}"
    add_local_registry(_trust(site), registry, f"Guild register {suffix}", at=at, default=True)
    add_entry(_trust(site), registry, new_entry(endorser.did, "Endorsing Guild"), at=at)

    page.goto(site.url(f"/issuers/{issuer.slug}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Issuing College {suffix}")
    expect(page.get_by_text(issuer.did)).to_be_visible()
    expect(page.locator(".trust-summary")).to_contain_text("This server knows the issuer")
    section = page.locator("section.endorsements")
    expect(section.locator(".endorsement-tally")).to_have_text(
        "Endorsed by 1 organisation, 1 recognised (1 endorsement not valid, not counted)."
    )
    cards = section.locator("li.card")
    expect(cards).to_have_count(3)
    expect(cards.filter(has_text="The best <b>ever</b>.")).to_contain_text("Not valid")
    expect(cards.filter(has_text="Careful assessors.")).to_contain_text("Verified")
    expect(cards.filter(has_text="Careful assessors.")).to_contain_text(
        f"Recognised by Guild register {suffix}"
    )
    expect(page.get_by_role("heading", name=f"Welding Basics {suffix}")).to_be_visible()
    check_page(page, "trust-issuer")

    # the credential's public page: endorsements of it, its achievement and its issuer
    learner_email = sign_up(page, site, "learner")
    learner_id = _user_id(site, learner_email)
    item = new_item(
        _store(site),
        learner_id,
        issued.credential_json,
        source="claim",
        at=site.clock.now,
        visibility=Visibility.PUBLIC,
    )
    _store(site).save_profile(PortfolioProfile(learner_id, f"l-{suffix}", "Lee"))
    page.goto(site.url(f"/c/{item.share_code}"))
    section = page.locator("section.endorsements")
    expect(section.locator("li.card")).to_have_count(4)  # of the issuer, achievement, credential
    expect(section.locator("li.card", has_text="We checked it.")).to_contain_text(
        "endorses this credential"
    )
    expect(section.locator("li.card", has_text="We checked it.")).to_contain_text("Verified")
    expect(page.locator('li[data-step="trust"]')).to_contain_text("This server knows the issuer")
    expect(page.locator('li[data-step="trust"]')).to_contain_text(
        "Endorsed by 1 organisation, 1 recognised"
    )
    issuer_link = page.get_by_role(
        "link", name=f"Recognition and endorsements of Issuing College {suffix}"
    )
    expect(issuer_link).to_have_attribute("href", f"/issuers/{issuer.slug}")
    check_page(page, "trust-credential-page")

    # the console's achievement page, for a member of the issuer
    staff_email = sign_up(page, site, "staff")
    uow = site.database.unit_of_work()
    staff = uow.users.get_by_email(staff_email)
    assert staff is not None
    uow.users.add_membership(Membership(staff.id, issuer.id, Role.VIEWER))
    uow.commit()
    sign_in(page, site, staff_email)
    achievement_uuid = version.achievement_id.rsplit("/", 1)[-1]
    page.goto(site.url(f"/console/{issuer.slug}/achievements/{achievement_uuid}"))
    section = page.locator("section.endorsements")
    expect(section.locator("li.card")).to_have_count(2)
    expect(section.locator("li.card", has_text="Solid.")).to_contain_text("Verified")
    expect(section.locator("li.card", has_text="ever")).to_contain_text("Not valid")
    check_page(page, "trust-console-achievement")


def test_pages_refuse_bad_input_and_escape(site: Site) -> None:
    org = _org(site, "<script>alert('x')</script> College")
    with httpx.Client(base_url=site.base_url, headers=HTML) as client:
        shown = client.get(f"/issuers/{org.slug}")
        assert shown.status_code == 200
        assert "<script>alert" not in shown.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; College" in shown.text
        assert client.get("/issuers/no-such-issuer").status_code == 404
        assert client.get("/issuers/" + "a" * 300).status_code == 404
        # /employer/trust: employers only
        assert client.get("/employer/trust", follow_redirects=False).status_code == 303
    with httpx.Client(base_url=site.base_url, headers=HTML) as client:
        page = client.get("/signup?kind=employer")
        token = _CSRF.search(page.text)
        assert token is not None
        email = f"emp-{uuid.uuid4().hex[:8]}@example.org"
        made = client.post(
            "/signup",
            data={
                "kind": "employer",
                "email": email,
                "password": "correct horse battery staple",
                "csrf": token.group(1),
            },
        )
        assert made.status_code in (200, 303)
        form = client.get("/employer/trust")
        token = _CSRF.search(form.text)
        assert token is not None
        refused = client.post(
            "/employer/trust",
            data={"registry": "<b>ghost</b>", "action": "save", "csrf": token.group(1)},
        )
        assert refused.status_code == 400
        assert "There is no trust registry" in refused.text
        assert "<b>ghost</b>" not in refused.text
        no_csrf = client.post("/employer/trust", data={"registry": "x", "action": "save"})
        assert no_csrf.status_code == 403
        user = site.database.unit_of_work().users.get_by_email(email)
        assert user is not None
        _trust(site).save_choice(EmployerChoice(user.id, (), site.clock.now))
        reset = client.post(
            "/employer/trust",
            data={"action": "defaults", "csrf": token.group(1)},
            follow_redirects=False,
        )
        assert reset.status_code == 303
        assert reset.headers["location"] == "/employer/trust?saved=defaults"
        assert _trust(site).get_choice(user.id) is None
