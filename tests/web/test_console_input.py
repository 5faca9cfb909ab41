"""The issuer console against bad input: markup in a design stays text, non-images and huge
images are refused with nothing stored, forms without a CSRF token are refused, a viewer
cannot issue, and another organisation's ids are missing (404).

Most checks talk HTTP to the real server with a signed-in ``httpx`` client (fast); the
escaping check runs in the browser, where a script that got through would actually run.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from credstack.platform.accounts import add_member
from credstack.platform.domain import Role
from tests.web.conftest import PASSWORD, Site, check_page, sign_up, unique_email

DESIGN = {
    "name": "Data Stewardship",
    "description": "Plans, documents and shares research data.",
    "criteria_narrative": "Write and defend a data management plan.",
    "achievement_type": "MicroCredential",
}


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small, valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Staff:
    """A signed-in staff user speaking HTTP to the site (cookies kept, redirects not followed)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.client = httpx.Client(
            base_url=site.base_url, headers={"accept": "text/html"}, timeout=30
        )
        self.email = unique_email("staff")
        self.csrf = csrf_of(self.client.get("/signup?kind=staff").text)
        answer = self.client.post(
            "/signup",
            data={"csrf": self.csrf, "kind": "staff", "email": self.email, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text

    def post(
        self, path: str, data: dict[str, Any], files: dict[str, Any] | None = None
    ) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf, **data}, files=files)

    def create_org(self, slug: str) -> None:
        answer = self.post("/console", {"slug": slug, "name": f"Org {slug}"})
        assert answer.status_code == 303, answer.text

    def design(
        self, slug: str, design: dict[str, Any], files: dict[str, Any] | None = None
    ) -> httpx.Response:
        return self.post(f"/console/{slug}/achievements", {**design, "action": "save"}, files)

    def published_achievement(self, slug: str) -> str:
        """A published achievement of ``slug``; its uuid."""
        answer = self.design(slug, DESIGN)
        assert answer.status_code == 303, answer.text
        uuid = answer.headers["location"].split("/")[-1].split("?")[0]
        page = self.client.get(f"/console/{slug}/achievements/{uuid}").text
        version_id = re.search(r'name="version_id" value="([^"]+)"', page)
        assert version_id is not None
        published = self.post(
            f"/console/{slug}/achievements/{uuid}/publish", {"version_id": version_id.group(1)}
        )
        assert published.status_code == 303, published.text
        return uuid


@pytest.fixture
def people(site: Site) -> Iterator[Callable[[], Staff]]:
    """Makes signed-in staff users; their connections are closed afterwards."""
    made: list[Staff] = []

    def make() -> Staff:
        made.append(Staff(site))
        return made[-1]

    yield make
    for person in made:
        person.client.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


def org_slug() -> str:
    return unique_email("org").split("@")[0].replace("org", "org-")


def stored_achievements(site: Site, slug: str) -> int:
    uow = site.database.unit_of_work()
    try:
        org = uow.organisations.get_by_slug(slug)
        assert org is not None
        return len(uow.achievements.for_organisation(org.id))
    finally:
        uow.rollback()


# ------------------------------------------------------------------ escaping


def test_markup_in_a_design_is_shown_as_text_and_never_runs(site: Site, page: Page) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_up(page, site, "staff")
    slug = org_slug()
    page.goto(site.url("/console"))
    page.get_by_label("Slug").fill(slug)
    page.get_by_label(re.compile(r"^Name")).fill('Evil <script>alert("org")</script> Org')
    page.get_by_role("button", name="Create organisation").click()
    name = '<script>alert("name")</script>'
    description = '<img src=x onerror=alert("description")>'
    criteria = '"><script>alert("criteria")</script>'
    page.get_by_role("link", name="Design a new achievement").click()
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label("Description").fill(description)
    page.get_by_label(re.compile(r"^Criteria(?! URL)")).fill(criteria)
    page.get_by_label("Or generate a badge").check()
    page.get_by_role("button", name="Save the design").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("dd", has_text=description)).to_have_count(1)
    expect(page.locator("#credential-preview")).to_contain_text(json.dumps(criteria)[1:-1])
    expect(page.locator("#f-criteria_narrative")).to_have_value(criteria)
    # the generated badge's alt text and picture are the name as text
    expect(page.get_by_role("img", name=name).first).to_be_visible()
    scripts = page.eval_on_selector_all("script", "nodes => nodes.map(n => n.src)")
    assert scripts == [site.url("/static/credstack.js")]
    assert page.locator("img[src=x]").count() == 0
    check_page(page, "console-escaping")
    page.goto(site.url(f"/console/{slug}"))
    expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        'Evil <script>alert("org")</script> Org'
    )
    assert dialogs == []


# ------------------------------------------------------------------ images


def test_a_file_that_is_not_an_image_is_refused_and_nothing_saved(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    bad_png = bytearray(png_bytes())
    bad_png[20] ^= 0xFF  # a damaged IHDR: its CRC no longer matches
    scripted = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    handler = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    entity = b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>'
    cases = [
        (b"GIF89a not a png at all", "image/png", "not a PNG or SVG image"),
        (b"%PDF-1.7 pretending", "image/svg+xml", "not a PNG or SVG image"),
        (bytes(bad_png), "image/png", "damaged"),
        (scripted, "image/svg+xml", "may not contain &lt;script&gt;"),
        (handler, "image/svg+xml", "event handler"),
        (entity, "image/svg+xml", "DTD"),
        (b"<html><body>hi</body></html>", "image/svg+xml", "not an SVG image"),
    ]
    for content, media, message in cases:
        answer = staff.design(slug, DESIGN, files={"image_file": ("badge.png", content, media)})
        assert answer.status_code == 400, (message, answer.text[:500])
        assert message in answer.text
        assert "Nothing was saved" in answer.text
        assert 'value="Data Stewardship"' in answer.text  # the user's input is kept
    assert stored_achievements(site, slug) == 0
    good = staff.design(slug, DESIGN, files={"image_file": ("b.png", png_bytes(), "image/png")})
    assert good.status_code == 303
    assert stored_achievements(site, slug) == 1


def test_an_image_over_two_megabytes_is_refused_on_the_form(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    big = png_bytes() + b"\x00" * (3 * 1_048_576)
    answer = staff.design(slug, DESIGN, files={"image_file": ("big.png", big, "image/png")})
    assert answer.status_code == 400
    assert "over the limit of 2 MB" in answer.text
    assert stored_achievements(site, slug) == 0


def test_an_image_of_100_megabytes_is_refused_before_it_is_read(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    boundary = "credstackboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{staff.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nHuge\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image_file"; '
        'filename="huge.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    size = 100 * 1_048_576
    cookies = "; ".join(f"{k}={v}" for k, v in staff.client.cookies.items())
    address = urlsplit(site.base_url)
    request = (
        f"POST /console/{slug}/achievements HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {size}\r\nAccept: text/html\r\nCookie: {cookies}\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request + head + png_bytes())  # the rest of the 100 MB never has to go
        answer = b""
        while b"</html>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line
    assert b"too large" in rest
    assert b"Nothing was saved" in rest
    assert stored_achievements(site, slug) == 0


# ------------------------------------------------------------------ design problems


def test_design_problems_are_shown_beside_their_fields(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    bad = {
        **DESIGN,
        "name": "   ",
        "criteria_url": "not a url",
        "workload_hours": "lots",
        "nqf_level": "6",
        "grade_result_type": "LetterGrade",
        "language": "English please",
    }
    answer = staff.design(slug, bad)
    assert answer.status_code == 400
    text = answer.text
    assert re.search(r'id="e-name">.*must not be empty', text)
    assert re.search(r'id="e-criteria_url">.*is not an absolute URI', text)
    assert re.search(r'id="e-workload_hours">.*positive number', text)
    assert re.search(r'id="e-nqf_framework">.*must not be empty', text)
    assert re.search(r'id="e-grade_name">.*must not be empty', text)
    assert re.search(r'id="e-language">.*BCP 47', text)
    assert 'aria-invalid="true"' in text
    assert stored_achievements(site, slug) == 0


def test_suggesting_skills_without_a_skills_service_says_so(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    answer = staff.post(
        f"/console/{slug}/achievements", {**DESIGN, "action": "suggest", "skills_text": "Python"}
    )
    assert answer.status_code == 200
    assert "no skills service is configured" in answer.text
    assert 'value="Data Stewardship"' in answer.text
    assert stored_achievements(site, slug) == 0


# ------------------------------------------------------------------ CSRF and roles


def test_console_post_without_csrf_token_is_refused(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    answer = staff.client.post("/console", data={"slug": slug, "name": "No token"})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "another site" in answer.text
    forged = staff.client.post("/console", data={"slug": slug, "name": "x", "csrf": "0" * 64})
    assert forged.status_code == 403
    uow = site.database.unit_of_work()
    assert uow.organisations.get_by_slug(slug) is None
    uow.rollback()


def test_a_viewer_sees_but_cannot_issue(site: Site, people: Callable[[], Staff]) -> None:
    owner = people()
    slug = org_slug()
    owner.create_org(slug)
    uuid = owner.published_achievement(slug)
    viewer = people()
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    add_member(uow, org, email=viewer.email, role=Role.VIEWER)
    uow.commit()
    page = viewer.client.get(f"/console/{slug}/achievements/{uuid}")
    assert page.status_code == 200
    assert "Data Stewardship" in page.text
    assert "Issue to a learner" not in page.text
    assert "Save the design" not in page.text
    assert "Publish version" not in page.text
    assert "Rotate the signing key" not in viewer.client.get(f"/console/{slug}").text
    form = viewer.client.get(f"/console/{slug}/achievements/{uuid}/issue")
    assert form.status_code == 403
    assert "viewer role may not issue" in form.text
    issued = viewer.post(
        f"/console/{slug}/achievements/{uuid}/issue", {"email": "learner@example.org"}
    )
    assert issued.status_code == 403
    rotated = viewer.post(f"/console/{slug}/keys/rotate", {})
    assert rotated.status_code == 403
    uow = site.database.unit_of_work()
    _, total = uow.credentials.for_organisation(org.id, limit=10, offset=0)
    assert total == 0
    assert len(uow.keys.for_organisation(org.id)) == 1
    uow.rollback()


def test_another_organisations_ids_are_not_found(
    site: Site, page: Page, people: Callable[[], Staff]
) -> None:
    alice, bob = people(), people()
    a_slug, b_slug = org_slug(), org_slug()
    alice.create_org(a_slug)
    bob.create_org(b_slug)
    a_uuid = alice.published_achievement(a_slug)
    b_uuid = bob.published_achievement(b_slug)
    missing = bob.client.get(f"/console/{b_slug}/achievements/{a_uuid}")
    assert missing.status_code == 404
    assert "no such achievement" in missing.text
    assert bob.client.get(f"/console/{b_slug}/achievements/{a_uuid}/issue").status_code == 404
    versions = alice.post(f"/console/{a_slug}/achievements/{a_uuid}/versions", {})
    assert versions.status_code == 303
    a_page = alice.client.get(f"/console/{a_slug}/achievements/{a_uuid}").text
    version = re.search(r'name="version_id" value="([^"]+)"', a_page)
    assert version is not None
    stolen = bob.post(
        f"/console/{b_slug}/achievements/{b_uuid}/publish", {"version_id": version.group(1)}
    )
    assert stolen.status_code == 404
    assert bob.client.get(f"/console/{a_slug}").status_code == 403  # not a member there
    # the 404 page in the browser
    page.goto(site.url("/signin"))
    page.get_by_label("E-mail address").fill(bob.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Console")).to_be_visible()
    response = page.goto(site.url(f"/console/{b_slug}/achievements/{a_uuid}"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    check_page(page, "console-404")


# ------------------------------------------------------------------ other forms


def test_profile_changes_are_checked(site: Site, people: Callable[[], Staff]) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    bad = staff.post(f"/console/{slug}/profile", {"name": "Renamed", "url": "javascript:x"})
    assert bad.status_code == 400
    assert re.search(r'id="e-url">.*http\(s\) URL', bad.text)
    wrong_country = staff.post(f"/console/{slug}/profile", {"name": "Renamed", "country": "N1"})
    assert wrong_country.status_code == 400
    assert "ISO 3166-1" in wrong_country.text
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    uow.rollback()
    assert org is not None
    assert org.name == f"Org {slug}"
    good = staff.post(
        f"/console/{slug}/profile",
        {"name": "Renamed", "url": "https://renamed.example", "country": "be"},
    )
    assert good.status_code == 303
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    uow.rollback()
    assert org is not None
    assert (org.name, org.url, org.country) == ("Renamed", "https://renamed.example", "BE")


def test_issuing_checks_the_address_and_never_issues_twice(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    uuid = staff.published_achievement(slug)
    path = f"/console/{slug}/achievements/{uuid}/issue"
    bad = staff.post(path, {"email": "not an address", "request_key": "k1"})
    assert bad.status_code == 400
    assert "is not an e-mail address" in bad.text
    assert 'value="not an address"' in bad.text
    first = staff.post(path, {"email": "ann@example.org", "request_key": "k1"})
    again = staff.post(path, {"email": "ann@example.org", "request_key": "k1"})  # resubmitted
    assert first.status_code == again.status_code == 200
    ids = [re.findall(r"urn:uuid:[0-9a-f-]{36}", a.text)[0] for a in (first, again)]
    assert ids[0] == ids[1]
    uow = site.database.unit_of_work()
    org = uow.organisations.get_by_slug(slug)
    assert org is not None
    _, total = uow.credentials.for_organisation(org.id, limit=10, offset=0)
    uow.rollback()
    assert total == 1


def test_revoking_needs_a_reason_and_a_confirmation(
    site: Site, people: Callable[[], Staff]
) -> None:
    staff = people()
    slug = org_slug()
    staff.create_org(slug)
    uuid = staff.published_achievement(slug)
    issued = staff.post(f"/console/{slug}/achievements/{uuid}/issue", {"email": "bo@example.org"})
    credential_id = re.findall(r"urn:uuid:[0-9a-f-]{36}", issued.text)[0]
    path = f"/console/{slug}/credentials/{credential_id}/revoke"
    no_reason = staff.post(path, {"reason": "  "})
    assert no_reason.status_code == 400
    assert "give the reason" in no_reason.text
    asked = staff.post(path, {"reason": "Issued by mistake"})
    assert asked.status_code == 200
    assert "Revoke this credential?" in asked.text
    uow = site.database.unit_of_work()
    stored = uow.credentials.get(credential_id)
    uow.rollback()
    assert stored is not None
    assert stored.revoked_at is None  # not before the confirmation
    done = staff.post(path, {"reason": "Issued by mistake", "confirm": "yes"})
    assert done.status_code == 303
    uow = site.database.unit_of_work()
    stored = uow.credentials.get(credential_id)
    uow.rollback()
    assert stored is not None
    assert stored.revoked_at is not None
    assert stored.revocation_reason == "Issued by mistake"
