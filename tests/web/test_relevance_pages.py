"""The console's relevance page in the browser: a generated sample of postings imported through
the platform (the real ESCO matcher), then each achievement's figures, trend and flags."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from credstack.api.routes_relevance import relevance_store
from credstack.platform.accounts import add_member
from credstack.platform.achievements import create_achievement
from credstack.platform.domain import Role
from credstack.platform.relevance import import_postings, organisation_relevance
from credstack.relevance.sample import SamplePosting, generate_sample
from credstack.skills.generate import esco_inputs
from credstack.skills.matching import SkillMatcher
from credstack.skills.service import SkillsService
from tests.skills.conftest import esco, matcher, skills_cache_dir  # noqa: F401
from tests.web.conftest import Site, check_page, new_page, sign_in, sign_up
from tests.web.test_console import create_org
from tests.web.test_console_input import Staff, org_slug

SAMPLE_END = date(2026, 10, 31)  # the month before the site's clock (2 November 2026)
UNALIGNED = "Unaligned <script>alert(1)</script>"


@pytest.fixture(scope="module")
def sample(site: Site, matcher: SkillMatcher) -> list[SamplePosting]:  # noqa: F811
    """240 postings over 12 months, two occupations: one declining, one rising (seed 1 gives
    a decline the trend test finds in the mapped skills)."""
    skills, occupations = esco_inputs()
    postings = generate_sample(
        skills, occupations, count=240, seed=1, end=SAMPLE_END, months=12, occupation_count=2
    )
    data = "\n".join(json.dumps(p.to_json()) for p in postings).encode()
    report = import_postings(
        relevance_store(site.app), matcher, data, at=site.clock(), imported_by="cli"
    )
    assert (report.new, report.invalid) == (240, 0)
    return postings


def _design(site: Site, slug: str, sample: list[SamplePosting]) -> str:
    """Two achievements: one aligned to the declining occupation's three most asked skills."""
    store = relevance_store(site.app)
    counted: Counter[str] = Counter()
    for p in sample:
        if p.trend == "declining":
            stored = store.get(f"id:{p.id}")
            assert stored is not None
            counted.update(h.uri for h in stored.skills)
    top = [uri for uri, _ in counted.most_common(3)]
    labels = store.skill_labels(top)
    name = f"{labels[top[0]].capitalize()} and more"
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    design = {
        "name": name,
        "description": "The most asked skills of one occupation.",
        "criteria_narrative": "Pass the assessment.",
        "skills": [{"url": uri, "name": labels[uri], "framework": "ESCO v1.2"} for uri in top],
    }
    create_achievement(uow, org, design, base_url=site.base_url, at=site.clock())
    plain = {**design, "name": UNALIGNED, "skills": []}
    create_achievement(uow, org, plain, base_url=site.base_url, at=site.clock())
    uow.commit()
    return name


def test_relevance_page_shows_each_achievements_figures(
    site: Site, page: Page, phone: Page, browser: Browser, sample: list[SamplePosting]
) -> None:
    staff = sign_up(page, site, "staff")
    slug = create_org(page, site, "Market Watch College")
    name = _design(site, slug, sample)
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    expected = {
        f.name: f
        for f in organisation_relevance(uow, relevance_store(site.app), org, at=site.clock())
    }
    uow.rollback()
    figures = expected[name]
    assert figures.declining
    assert figures.current > 0
    assert figures.paired

    page.get_by_role("link", name="Relevance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevance to the job market")
    expect(page.get_by_role("link", name="Relevance")).to_have_attribute("aria-current", "page")
    expect(page.locator("#pool-summary")).to_contain_text("The pool holds 240 postings")
    section = page.locator("section.relevance").filter(has_text=name)
    expect(section.get_by_role("heading", level=2)).to_contain_text(name)
    expect(section).to_contain_text(
        f"{figures.current} of {figures.pool_current} postings from the last 90 days ask for "
        "its skills."
    )
    expect(section).to_contain_text("Declining")
    expect(section).to_contain_text("Postings now pair these skills with yours")
    expect(section).to_contain_text(figures.paired[0].name)
    spark = section.get_by_role("img")
    expect(spark).to_have_attribute("aria-label", re.compile(r"Trend: declining"))
    monthly = ", ".join(str(c) for c in figures.monthly)
    expect(section.locator("figcaption")).to_contain_text(monthly)
    skills_table = section.get_by_role("table", name=f"Skills of {name}")
    expect(skills_table.get_by_role("row")).to_have_count(1 + len(figures.skills))
    first_skill = figures.skills[0]
    row = skills_table.get_by_role("row").filter(has_text=first_skill.name)
    expect(row).to_contain_text(str(first_skill.current))
    section.get_by_text("Monthly counts").click()
    months = section.get_by_role("table", name=re.compile("Postings a month"))
    expect(months.get_by_role("row")).to_have_count(13)
    expect(months.get_by_role("row").nth(12)).to_contain_text("October 2026")
    unaligned = page.locator("section.relevance").filter(has_text="Unaligned")
    expect(unaligned.get_by_role("heading", level=2)).to_contain_text(UNALIGNED)  # as text
    expect(unaligned).to_contain_text("No skills are aligned to this achievement")
    check_page(page, "console-relevance")

    page.get_by_label("Count postings as current when they are from the last").select_option("365")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"window=365"))
    year = page.locator("section.relevance").filter(has_text=name)
    expect(year).to_contain_text("postings from the last 365 days ask for its skills.")
    year_count = int(year.locator(".relevance-count strong").inner_text())
    assert year_count > figures.current
    check_page(page, "console-relevance-year")

    sign_in(phone, site, staff)
    phone.goto(site.url(f"/console/{slug}/relevance"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Relevance to the job market")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(phone, "console-relevance-phone")

    context, stranger = new_page(browser)
    try:
        sign_up(stranger, site, "staff")
        stranger.goto(site.url(f"/console/{slug}/relevance"))
        expect(stranger.get_by_role("heading", level=1)).to_contain_text("Forbidden")
        check_page(stranger, "console-relevance-forbidden")
    finally:
        context.close()


def _postings_file(*, missing_date_on_line: int, count: int = 3) -> bytes:
    """``count`` JSON Lines postings with fresh ids; the one on the given line has no date."""
    tag = uuid.uuid4().hex[:12]
    lines = []
    for n in range(1, count + 1):
        posting = {
            "id": f"upload-{tag}-{n}",
            "title": "Data analyst",
            "text": "Analyse data with SQL and Python, build dashboards and report to managers.",
            "date": "2026-10-20",
            "location": "Remote",
            "language": "en",
        }
        if n == missing_date_on_line:
            del posting["date"]
        lines.append(json.dumps(posting))
    return ("\n".join(lines) + "\n").encode()


def test_an_issuer_uploads_postings_on_the_page(
    site: Site,
    page: Page,
    matcher: SkillMatcher,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(site.app.state, "skills", SkillsService(matcher=matcher), raising=False)
    sign_up(page, site, "staff")
    slug = create_org(page, site, "Upload Works College")
    before = relevance_store(site.app).stats().total
    page.goto(site.url(f"/console/{slug}/relevance"))
    expect(page.get_by_text("No skills service is configured")).to_have_count(0)
    page.get_by_label("File of job postings").set_input_files(
        {
            "name": "postings.jsonl",
            "mimeType": "application/jsonl",
            "buffer": _postings_file(missing_date_on_line=2),
        }
    )
    page.get_by_role("button", name="Upload postings").click()
    summary = page.locator("section.upload-summary")
    expect(summary.get_by_role("heading", level=2)).to_have_text("Upload imported")
    expect(summary.get_by_role("status")).to_contain_text(
        "3 records read: 2 imported, 0 skipped as already in the pool, 1 refused."
    )
    refused = summary.get_by_role("table", name="Refused records").get_by_role("row")
    expect(refused).to_have_count(2)
    expect(refused.nth(1).get_by_role("rowheader")).to_have_text("2")
    expect(refused.nth(1)).to_contain_text("date is missing")
    expect(page.locator("#pool-summary")).to_contain_text(f"The pool holds {before + 2} postings")
    assert relevance_store(site.app).stats().total == before + 2
    check_page(page, "console-relevance-upload")


def test_postings_upload_is_for_issuers_with_a_csrf_token(site: Site) -> None:
    owner, viewer = Staff(site), Staff(site)
    try:
        slug = org_slug()
        owner.create_org(slug)
        uow = site.database.unit_of_work()
        org = uow.organisations.get_by_slug(slug)
        assert org is not None
        add_member(uow, org, email=viewer.email, role=Role.VIEWER)
        uow.commit()
        store = relevance_store(site.app)
        before = store.stats().total
        path = f"/console/{slug}/relevance"
        shown = viewer.client.get(path)
        assert shown.status_code == 200
        assert "Relevance to the job market" in shown.text
        assert "Upload job postings" not in shown.text
        data = _postings_file(missing_date_on_line=0, count=1)
        upload = {"file": ("postings.jsonl", data, "application/jsonl")}
        refused = viewer.post(path, {}, files=upload)
        assert refused.status_code == 403
        assert "Upload job postings" not in refused.text
        no_token = owner.client.post(path, files=upload)
        assert no_token.status_code == 403
        assert "Upload postings" in owner.client.get(path).text
        # this module's site has no skills service unless a test gives it one
        unmapped = owner.post(path, {}, files=upload)
        assert unmapped.status_code == 400
        assert "No skills service is configured on this server" in unmapped.text
        checked = owner.post(path, {"dry_run": "yes"}, files=upload)
        assert checked.status_code == 200
        assert "1 record read: <strong>1</strong> would be imported" in checked.text
        too_big = owner.post(
            path, {"dry_run": "yes"}, files={"file": ("big.jsonl", b"{" * (20 * 1_048_576 + 1))}
        )
        assert too_big.status_code == 400
        assert "The file is over 20 MB" in too_big.text
        assert store.stats().total == before
    finally:
        owner.client.close()
        viewer.client.close()
