"""The issuer console in the browser: an organisation, an achievement designed with skills
and an image, versions, issuing to one learner (the claim e-mail arrives), bulk issuing with
a dry run and a live progress bar, revocation, and endorsements.  Every page is checked
for accessibility and photographed."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from credstack.api import routes_skills
from credstack.api.routes_orgs import run_in_background
from credstack.platform.bulk import create_job
from credstack.platform.bulkfile import parse_bulk
from credstack.skills.matching import SkillMatcher
from credstack.skills.service import SkillsService
from tests.skills.conftest import esco, matcher, skills_cache_dir  # noqa: F401
from tests.web.conftest import Site, check_page, claim_link, sign_in, sign_up, unique_email
from tests.web.test_console_input import png_bytes

PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture(scope="module", autouse=True)
def skills(site: Site, matcher: SkillMatcher) -> None:  # noqa: F811
    """This module's site has the skills engine (the cached ESCO matcher)."""
    routes_skills.configure(site.app, SkillsService(matcher=matcher))


def new_slug() -> str:
    return unique_email("org").split("@")[0].replace("org", "org-")


def create_org(page: Page, site: Site, name: str) -> str:
    slug = new_slug()
    page.goto(site.url("/console"))
    page.get_by_label(re.compile(r"^Slug")).fill(slug)
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label("Web site").fill("https://college.example")
    page.get_by_label("Country code").fill("NL")
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return slug


def design(page: Page, site: Site, slug: str, name: str) -> str:
    """A minimal draft achievement; its page's address."""
    page.goto(site.url(f"/console/{slug}/achievements/new"))
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label(re.compile(r"^Description")).fill("Cleans and analyses tabular data.")
    page.get_by_label(re.compile(r"^Criteria(?! URL)")).fill("Pass the practical assessment.")
    page.get_by_role("button", name="Save the design").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 was saved")
    return page.url.split("?")[0]


def publish(page: Page, version: int) -> None:
    page.get_by_role("button", name=f"Publish version {version}").click()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(version), exact=True)
    )
    expect(row).to_contain_text("Published")


def issue_one(page: Page, achievement_url: str, email: str) -> None:
    page.goto(achievement_url + "/issue")
    page.get_by_label("Learner's e-mail address").fill(email)
    page.get_by_label("Narrative").fill("Built a cleaning pipeline for the city's open data.")
    page.get_by_role("button", name="Issue the credential").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credential issued")


def org_id(site: Site, slug: str) -> str:
    uow = site.database.unit_of_work()
    try:
        org = uow.organisations.get_by_slug(slug)
        assert org is not None
        return org.id
    finally:
        uow.rollback()


def waiting_job(site: Site, slug: str, rows: str) -> str:
    """A bulk job of the published achievement of ``slug``, stored but not started."""
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    (latest,) = uow.achievements.for_organisation(org.id)
    upload = io.BytesIO(("idempotency_key,email,did\n" + rows).encode())
    job = create_job(uow, org, latest.id, parse_bulk(upload, max_bytes=None), at=site.clock())
    uow.commit()
    return job.id


def test_design_publish_and_issue_to_one_learner(site: Site, page: Page, phone: Page) -> None:
    staff = sign_up(page, site, "staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issuer console")
    check_page(page, "console-home")
    slug = create_org(page, site, "City College")
    did_json = page.get_by_role("link", name="DID document (did.json)")
    expect(did_json).to_have_attribute("href", f"/orgs/{slug}/did.json")
    keys = page.get_by_role("table", name=re.compile("Signing keys"))
    expect(keys).to_contain_text("Active")  # the first key
    page.get_by_role("button", name="Rotate the signing key").click()
    expect(page.get_by_role("status")).to_contain_text("A new signing key is active")
    expect(keys.get_by_role("row")).to_have_count(3)
    expect(keys.get_by_role("row").nth(1)).to_contain_text("#key-1Retired")
    expect(keys.get_by_role("row").nth(2)).to_contain_text("#key-2Active")
    check_page(page, "console-org")

    page.get_by_role("link", name="Design a new achievement").click()
    check_page(page, "console-design-new")
    name = "Python for Data Analysis"
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label(re.compile(r"^Description")).fill(
        "Writes Python programs that clean, analyse and plot tabular data."
    )
    page.get_by_label(re.compile(r"^Criteria(?! URL)")).fill("Pass the supervised practical.")
    page.get_by_label("Learning outcomes").fill("Writes tested Python functions\nCleans a dataset")
    page.get_by_label("Workload in hours").fill("50")
    page.get_by_label("EQF level").select_option("4")
    page.get_by_label("Testing").check()
    page.get_by_label("Text to suggest skills from").fill(
        "An introductory course in Python programming: functions, modules and testing."
    )
    page.get_by_role("button", name="Suggest skills").click()
    suggestion = page.get_by_role("checkbox", name=re.compile(r"^Python"))
    expect(suggestion.first).to_be_visible()
    check_page(page, "console-design-suggestions")
    suggestion.first.check()
    page.get_by_label("Upload an image").set_input_files(
        {"name": "badge.png", "mimeType": "image/png", "buffer": png_bytes(8, 8)}
    )
    page.get_by_role("button", name="Save the design").click()

    expect(page.get_by_role("status").first).to_contain_text("Version 1 was saved")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("img", name=name).first).to_be_visible()
    preview = page.locator("#credential-preview")
    expect(preview).to_contain_text(PYTHON)  # the chosen skill, as an alignment
    expect(preview).to_contain_text("ext:EUWorkloadHours")
    expect(preview).to_contain_text("data:image/png;base64,")
    expect(page.get_by_role("checkbox", name=re.compile(r"^Python")).first).to_be_checked()
    check_page(page, "console-achievement-draft")
    achievement_url = page.url.split("?")[0]

    publish(page, 1)
    page.get_by_role("button", name="Create a new version from version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 2 was saved")
    page.get_by_label(re.compile(r"^Description")).fill("Cleans, analyses and plots data.")
    page.get_by_role("button", name="Save the design").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 2 was saved")
    publish(page, 2)
    versions = page.get_by_role("table").first
    expect(versions).to_contain_text("Retired")  # version 1, replaced by version 2
    check_page(page, "console-achievement-published")

    page.get_by_role("link", name="Issue to a learner").click()
    check_page(page, "console-issue")
    learner = unique_email("learner")
    issue_one(page, achievement_url, learner)
    expect(page.get_by_role("status")).to_contain_text(learner)
    check_page(page, "console-issued")
    link = claim_link(site, learner)  # the claim e-mail reached the SMTP server
    assert link.startswith(site.url("/claim/"))
    page.get_by_role("link", name="View the credential").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Credential: {name}")
    expect(page.locator("pre")).to_contain_text("Cleans, analyses and plots data.")
    check_page(page, "console-credential")

    sign_in(phone, site, staff)
    phone.goto(achievement_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    check_page(phone, "console-achievement-phone")


def test_bulk_upload_dry_run_then_live_progress(site: Site, page: Page) -> None:
    sign_up(page, site, "staff")
    slug = create_org(page, site, "Bulk Academy")
    achievement_url = design(page, site, slug, "Spreadsheet Basics")
    publish(page, 1)
    page.get_by_role("link", name="Issue in bulk").click()
    check_page(page, "console-bulk-new")

    bad = (
        "idempotency_key,email,did\n"
        "r1,ann@example.org,\n"
        "r2,not-an-address,\n"
        "r3,,\n"
        "r1,bo@example.org,\n"
    )
    page.get_by_label(re.compile(r"^File")).set_input_files(
        {"name": "learners.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("checkbox", name=re.compile(r"^Dry run")).check()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Dry run: nothing was issued")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("1 valid row of 4; 3 with problems")
    problems = page.get_by_role("table", name="Problems by line")
    expect(problems.get_by_role("row")).to_have_count(4)  # a header and three problem rows
    expect(problems).to_contain_text("email")
    for line in ("3", "4", "5"):
        expect(problems.get_by_role("cell", name=line, exact=True)).to_be_visible()
    check_page(page, "console-bulk-dry-run")

    rows = "".join(f"k{n},learner{n}@example.org,\n" for n in range(12))
    page.get_by_label(re.compile(r"^File")).set_input_files(
        {
            "name": "learners.csv",
            "mimeType": "text/csv",
            "buffer": (b"idempotency_key,email,did\n" + rows.encode()),
        }
    )
    page.get_by_role("checkbox", name=re.compile(r"^Dry run")).uncheck()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk job: Spreadsheet Basics")
    label = page.locator("[data-job-label]")
    expect(label).to_contain_text("12 of 12 rows done: 12 issued, 0 with problems. Finished.")
    bar = page.locator("progress")
    expect(bar).to_have_attribute("max", "12")
    assert bar.evaluate("el => el.value") == 12
    check_page(page, "console-bulk-job")

    # a job still waiting when its page opens: the bar follows it live, without a reload by hand
    job_id = waiting_job(site, slug, "w0,wait0@example.org,\nw1,wait1@example.org,\n")
    page.goto(site.url(f"/console/{slug}/jobs/{job_id}"))
    expect(label).to_have_text("0 of 2 rows done: 0 issued, 0 with problems")
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()  # for a page without JS
    check_page(page, "console-bulk-job-waiting")
    run_in_background(site.app.state.credstack, org_id(site, slug), job_id)
    expect(label).to_contain_text("2 of 2 rows done: 2 issued, 0 with problems. Finished.")
    assert page.locator("progress").evaluate("el => el.value") == 2
    expect(page.get_by_role("link", name="Refresh")).to_have_count(0)

    page.get_by_role("link", name="Credentials", exact=True).click()
    expect(page.get_by_text("Page 1 of 1 (14 credentials)")).to_be_visible()
    check_page(page, "console-credentials")
    page.get_by_role("link", name="Bulk issuing").click()
    expect(page.get_by_role("table")).to_contain_text("Spreadsheet Basics")
    check_page(page, "console-jobs")
    assert achievement_url.startswith(site.url(f"/console/{slug}/achievements/"))


def test_revoke_with_a_reason_and_endorse(site: Site, page: Page) -> None:
    sign_up(page, site, "staff")
    slug = create_org(page, site, "Revoking College")
    achievement_url = design(page, site, slug, "Lab Safety")
    publish(page, 1)
    achievement_id = page.locator("#achievement-id").inner_text()
    issue_one(page, achievement_url, unique_email("learner"))
    page.get_by_role("link", name="View the credential").click()

    page.get_by_label(re.compile(r"^Reason")).fill("Issued to the wrong person")
    page.get_by_role("button", name="Revoke…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke this credential?")
    check_page(page, "console-revoke-confirm")
    page.get_by_role("button", name="Yes, revoke it").click()
    expect(page.get_by_role("status").first).to_contain_text("Reason: Issued to the wrong person")
    expect(page.get_by_role("button", name="Revoke…")).to_have_count(0)
    check_page(page, "console-credential-revoked")
    page.get_by_role("link", name="Credentials", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("Revoked")

    partner = create_org(page, site, "Partner Institute")
    page.get_by_role("link", name="Endorsements").click()
    check_page(page, "console-endorsements-empty")
    page.get_by_label(re.compile(r"^What you endorse")).fill(achievement_id)
    page.get_by_label(re.compile(r"^Comment")).fill("A rigorous, well assessed course.")
    page.get_by_role("button", name="Sign the endorsement").click()
    expect(page.get_by_role("status")).to_contain_text("signed and published")
    given = page.get_by_role("table", name="Endorsements given")
    expect(given).to_contain_text(achievement_id)
    expect(given).to_contain_text("A rigorous, well assessed course.")
    check_page(page, "console-endorsements")

    page.goto(site.url(f"/console/{slug}/endorsements"))
    received = page.get_by_role("table", name="Endorsements received")
    expect(received).to_contain_text("Partner Institute")
    expect(received).to_contain_text("A rigorous, well assessed course.")
    check_page(page, "console-endorsements-received")
    assert partner != slug
