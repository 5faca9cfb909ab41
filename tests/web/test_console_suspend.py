"""Suspension in the browser: an achievement designed as suspendable, a credential suspended
with a reason (after a confirmation) and reinstated from the console, and the public verifier
page saying "suspended", then valid again.  Every page is checked for accessibility."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from credstack.platform.platform_identity import ensure_platform_key
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.web.wallet_verify import Verdict, verdict_of
from tests.web.conftest import Site, check_page, sign_up, unique_email
from tests.web.test_console import create_org, issue_one, publish
from tests.web.test_verify_page import paste, step, verdict


def _signed(site: Site, credential_id: str) -> str:
    uow = site.database.unit_of_work()
    try:
        found = uow.credentials.get(credential_id)
        assert found is not None
        return found.credential_json
    finally:
        uow.rollback()


def test_suspend_with_a_reason_then_reinstate(site: Site, page: Page) -> None:
    sign_up(page, site, "staff")
    slug = create_org(page, site, "Suspending College")
    page.goto(site.url(f"/console/{slug}/achievements/new"))
    page.get_by_label(re.compile(r"^Name")).fill("Forklift Operation")
    page.get_by_label(re.compile(r"^Description")).fill("Operates a forklift safely.")
    page.get_by_label(re.compile(r"^Criteria(?! URL)")).fill("Pass the practical test.")
    page.get_by_label("Credentials can be suspended").check()
    page.get_by_role("button", name="Save the design").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 was saved")
    expect(page.get_by_label("Credentials can be suspended")).to_be_checked()
    achievement_url = page.url.split("?")[0]
    publish(page, 1)
    issue_one(page, achievement_url, unique_email("learner"))
    page.get_by_role("link", name="View the credential").click()
    credential_id = page.locator("dd code").first.inner_text()
    expect(page.get_by_role("heading", name="Suspend", exact=True)).to_be_visible()

    page.get_by_label("Reason for suspending").fill("   ")  # passes `required`, not the server
    page.get_by_role("button", name="Suspend…").click()
    expect(page.get_by_role("alert")).to_contain_text("give the reason for suspending")
    check_page(page, "console-suspend-no-reason")
    page.get_by_label("Reason for suspending").fill("Licence check <pending>")
    page.get_by_role("button", name="Suspend…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspend this credential?")
    check_page(page, "console-suspend-confirm")
    page.get_by_role("button", name="Yes, suspend it").click()
    expect(page.get_by_role("status").first).to_contain_text("Reason: Licence check <pending>")
    expect(page.get_by_role("button", name="Reinstate")).to_be_visible()
    expect(page.get_by_role("button", name="Suspend…")).to_have_count(0)
    check_page(page, "console-credential-suspended")
    page.get_by_role("link", name="Credentials", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("Suspended")

    signed = _signed(site, credential_id)
    uow = site.database.unit_of_work()  # a log key, so the verifier checks the log too
    ensure_platform_key(uow, site.custody, urlsplit(site.base_url).netloc, at=site.clock())
    uow.commit()
    assert paste(page, site, signed) == 200
    expect(verdict(page)).to_contain_text("Not valid: it is suspended by its issuer")
    suspension = step(page, "Has it been revoked or suspended?")
    expect(suspension).to_contain_text("Failed")
    expect(suspension).to_contain_text("the issuer can lift a suspension")
    expect(suspension).to_contain_text("Suspension list")
    expect(step(page, "Is it in the transparency log?")).to_contain_text("Suspension recorded")
    check_page(page, "verify-suspended")

    page.goto(site.url(f"/console/{slug}/credentials/{credential_id}"))
    page.get_by_role("button", name="Reinstate").click()
    expect(page.get_by_role("status").first).to_contain_text("The suspension was lifted")
    expect(page.get_by_role("button", name="Suspend…")).to_be_visible()
    check_page(page, "console-credential-reinstated")
    assert _signed(site, credential_id) == signed  # the credential itself never changed
    assert paste(page, site, signed) == 200
    expect(verdict(page)).to_have_text(re.compile(r"^Valid"))
    expect(step(page, "Has it been revoked or suspended?")).to_contain_text(
        "Not revoked or suspended"
    )
    expect(step(page, "Is it in the transparency log?")).to_contain_text("Reinstatement recorded")
    check_page(page, "verify-reinstated")


def test_wallet_label_says_a_suspension_can_be_lifted() -> None:
    report = VerificationReport(kind="open-badge")
    report.add(StepName.PROOF, Outcome.PASSED, "valid signature")
    report.add(StepName.STATUS, Outcome.PASSED, "not flagged for revocation")
    report.add(StepName.STATUS, Outcome.FAILED, "suspended", "CREDENTIAL_SUSPENDED")
    found = verdict_of(report)
    assert found is Verdict.SUSPENDED
    assert found.value == "Suspended (can be lifted by the issuer)"
    assert found.tone == "warn"
    revoked = VerificationReport(kind="open-badge")
    revoked.add(StepName.PROOF, Outcome.PASSED, "valid signature")
    revoked.add(StepName.STATUS, Outcome.FAILED, "revoked", "CREDENTIAL_REVOKED")
    revoked.add(StepName.STATUS, Outcome.FAILED, "suspended", "CREDENTIAL_SUSPENDED")
    assert verdict_of(revoked) is Verdict.REVOKED  # revocation is final: it wins
