"""Sign-up, sign-in and sign-out in the browser; headers, CSRF and accessibility."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    PASSWORD,
    Site,
    axe_violations,
    check_page,
    sign_up,
    unique_email,
)


def test_home_is_accessible_on_desktop_and_phone(site: Site, page: Page, phone: Page) -> None:
    response = page.goto(site.url("/"))
    assert response is not None
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, "home")
    phone.goto(site.url("/"))
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "the home page scrolls sideways on a phone"
    check_page(phone, "home-phone")


def test_sign_up_then_out_then_in(site: Site, page: Page) -> None:
    email = sign_up(page, site, "learner")
    assert page.url.endswith("/wallet") or "/wallet" in page.url
    page.goto(site.url("/"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(site.url("/signin"))
    check_page(page, "signin")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong e-mail address or password")
    check_page(page, "signin-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_signup_shows_errors_in_the_page(site: Site, page: Page) -> None:
    page.goto(site.url("/signup"))
    page.get_by_label("E-mail address").fill(unique_email("x"))
    page.get_by_label("Password").fill("short-pass")  # passes the browser, fails the server
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("12 to")
    check_page(page, "signup-error")


def test_form_post_without_csrf_token_is_refused(site: Site) -> None:
    response = httpx.post(
        site.url("/signin"),
        data={"email": "a@example.org", "password": PASSWORD},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403
    assert "another site" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_unknown_page_is_an_html_404_for_browsers_and_json_for_apis(site: Site) -> None:
    page = httpx.get(site.url("/no/such/page"), headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "There is no page" in page.text
    api = httpx.get(site.url("/no/such/page"))
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_next_parameter_never_leaves_the_site(site: Site, page: Page) -> None:
    email = sign_up(page, site, "employer")
    page.get_by_role("button", name="Sign out").click()
    page.goto(site.url("/signin?next=//evil.example/x"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.startswith(site.base_url)


def test_the_accessibility_check_catches_a_real_violation(site: Site, page: Page) -> None:
    page.goto(site.url("/"))
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/static/x.png';"
        " document.querySelector('main').appendChild(i); }"
    )
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
