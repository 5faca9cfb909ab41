"""The public verifier page (/verify) in Chromium: paste, upload (JSON and baked images) and
web addresses (through the guarded fetcher), with every step shown in plain language."""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from credstack.baking import bake_png
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import Organisation
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.organisations import create_organisation
from credstack.platform.platform_identity import ensure_platform_key
from credstack.platform.translog import credential_bundle
from credstack.resolve.fetch import GuardedFetcher
from tests.web.conftest import Site, check_page

PNG = (  # a 1x1 transparent PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7"
    b"\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)
QUESTIONS = [
    "Is it a readable credential?",
    "Who issued it?",
    "Who received it?",
    "When is it valid?",
    "What was achieved?",
    "Which skills does it show?",
    "Is the signature valid?",
    "Has it been revoked?",
    "Is the issuer trusted?",
    "Is it in the transparency log?",
]
_orgs = itertools.count(1)


def issue(
    site: Site, name: str = "Data Analysis with Python"
) -> tuple[Organisation, dict[str, Any]]:
    """A new organisation of the site issues one credential (through the platform)."""
    host = urlsplit(site.base_url).netloc
    at = site.clock()
    design = {
        "name": name,
        "description": "Cleans, analyses and visualises tabular data.",
        "criteria_narrative": "Pass the supervised practical assessment.",
        "skills": [
            {
                "url": "http://data.europa.eu/esco/skill/aaaa-bbbb",
                "name": "analyse data",
                "framework": "ESCO v1.2",
            }
        ],
    }
    uow = site.database.unit_of_work()
    try:
        ensure_platform_key(uow, site.custody, host, at=at)
        slug = f"verify-org-{next(_orgs)}"
        org = create_organisation(
            uow, site.custody, host=host, slug=slug, name=f"Verifier Test College {slug}", at=at
        )
        achievement = create_achievement(uow, org, design, base_url=site.base_url, at=at)
        version = publish(uow, org, achievement.id, at=at)
        issued = Issuer(uow, site.custody, org, site.base_url).issue(
            version, IssueRequest(email="ann@example.org"), at=at
        )
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    return org, json.loads(issued.credential_json)


def verdict(page: Page) -> Any:
    return page.locator(".verdict-text").first


def step(page: Page, question: str) -> Any:
    return page.locator("ol.vsteps > li").filter(has=page.get_by_role("heading", name=question))


def paste(page: Page, site: Site, text: str) -> int:
    """Paste ``text`` into the form and verify it; the status of the answer."""
    page.goto(site.url("/verify"))
    page.get_by_label("Credential JSON").fill(text)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Verify pasted JSON").click()
    page.wait_for_load_state()
    return answer.value.status


def upload(page: Page, site: Site, name: str, mime: str, data: bytes) -> int:
    page.goto(site.url("/verify"))
    page.get_by_label("Credential file").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Verify file").click()
    page.wait_for_load_state()
    return answer.value.status


def address(page: Page, site: Site, url: str) -> int:
    page.goto(site.url("/verify"))
    page.get_by_label("Web address of the credential").fill(url)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Verify address").click()
    page.wait_for_load_state()
    return answer.value.status


def test_pasted_credential_is_valid_with_every_step(page: Page, site: Site) -> None:
    org, credential = issue(site)
    page.goto(site.url("/verify"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a credential")
    check_page(page, "verify-form")
    assert paste(page, site, json.dumps(credential, indent=2)) == 200
    expect(verdict(page)).to_have_text("Valid")
    for question in QUESTIONS:
        expect(step(page, question)).to_have_count(1)
    expect(step(page, "Who issued it?")).to_contain_text(org.name)
    expect(step(page, "Who issued it?")).to_contain_text(org.did)
    expect(step(page, "Who issued it?")).to_contain_text("an organisation on this platform")
    expect(step(page, "Who received it?")).to_contain_text("an e-mail address (hashed)")
    expect(step(page, "Which skills does it show?")).to_contain_text("analyse data (ESCO v1.2)")
    expect(step(page, "Is the signature valid?")).to_contain_text("Passed")
    expect(step(page, "Has it been revoked?")).to_contain_text("Not revoked")
    expect(step(page, "Is the issuer trusted?")).to_contain_text("This server knows the issuer")
    expect(step(page, "Is it in the transparency log?")).to_contain_text(
        "inclusion proof against the latest signed checkpoint verifies"
    )
    page.get_by_text("Machine-readable report (JSON)").click()
    expect(page.locator(".vraw pre").nth(1)).to_contain_text('"verified": true')
    check_page(page, "verify-valid")


def test_on_a_phone(phone: Page, site: Site) -> None:
    _, credential = issue(site)
    phone.goto(site.url("/verify"))
    check_page(phone, "verify-form-phone")
    assert paste(phone, site, json.dumps(credential)) == 200
    expect(verdict(phone)).to_have_text("Valid")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(phone, "verify-valid-phone")


def test_baked_png_valid_and_forged_not(page: Page, site: Site) -> None:
    _, credential = issue(site)
    assert upload(page, site, "badge.png", "image/png", bake_png(PNG, credential)) == 200
    expect(verdict(page)).to_have_text("Valid")
    expect(page.get_by_text("Checked: the file badge.png (PNG image)")).to_be_visible()
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Doctorate in Everything"
    forged["name"] = "Doctorate in Everything"
    assert upload(page, site, "forged.png", "image/png", bake_png(PNG, forged)) == 200
    expect(verdict(page)).to_contain_text("Not valid: the signature does not match")
    signature = step(page, "Is the signature valid?")
    expect(signature).to_contain_text("Failed")
    expect(signature).to_contain_text("the credential was changed after it was signed")
    expect(step(page, "Is it in the transparency log?")).to_contain_text("this copy was changed")
    check_page(page, "verify-forged")


def test_a_revoked_credential_is_not_valid(page: Page, site: Site) -> None:
    org, credential = issue(site)
    uow = site.database.unit_of_work()
    revoke(uow, org, credential["id"], reason="issued in error", at=site.clock())
    uow.commit()
    assert paste(page, site, json.dumps(credential)) == 200
    expect(verdict(page)).to_contain_text("Not valid: it was revoked by its issuer")
    revocation = step(page, "Has it been revoked?")
    expect(revocation).to_contain_text("Failed")
    expect(revocation).to_contain_text("List as of")
    check_page(page, "verify-revoked")


def test_private_addresses_are_refused(page: Page, site: Site) -> None:
    for url, where in (
        ("https://127.0.0.1/credential.json", "127.0.0.1"),
        ("https://10.0.0.1/credential.json", "10.0.0.1"),
        (site.url("/verify"), "only https URLs are fetched"),
    ):
        assert address(page, site, url) == 400
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("This address is not fetched")
        expect(alert).to_contain_text(where)
        expect(page.get_by_label("Web address of the credential")).to_have_value(url)
    expect(page.get_by_role("alert")).to_contain_text("Only public https addresses are fetched")


class _Serve(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def served(site: Site) -> Iterator[tuple[str, type[_Serve]]]:
    """A loopback server for one document, allowed (only it) by the verifier's fetcher."""
    handler = type("Handler", (_Serve,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.app.state.verify_fetcher = GuardedFetcher(
        allow=[("http", "127.0.0.1", port)], max_bytes=10 * 1024 * 1024
    )
    try:
        yield f"http://127.0.0.1:{port}/badge.json", handler
    finally:
        del site.app.state.verify_fetcher
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_credential_at_a_web_address(
    page: Page, site: Site, served: tuple[str, type[_Serve]]
) -> None:
    url, handler = served
    _, credential = issue(site)
    handler.body = json.dumps(credential).encode()
    assert address(page, site, url) == 200
    expect(verdict(page)).to_have_text("Valid")
    expect(page.get_by_text(f"Checked: {url}")).to_be_visible()
    # the allowance is for that origin only: private addresses stay refused
    assert address(page, site, "https://10.0.0.1/x.json") == 400
    expect(page.get_by_role("alert")).to_contain_text("non-public address 10.0.0.1")


def test_malformed_and_non_credentials(page: Page, site: Site) -> None:
    broken = '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": '
    assert paste(page, site, broken) == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not verified. The pasted text is not valid JSON")
    expect(alert).to_contain_text("line 1 column")
    expect(page.get_by_label("Credential JSON")).to_have_value(broken)  # kept to correct
    check_page(page, "verify-malformed")
    assert paste(page, site, '{"name": "just some JSON"}') == 400
    expect(page.get_by_role("alert")).to_contain_text(
        "Not verified. This is not a credential: it has no @context or type"
    )
    assert upload(page, site, "notes.txt", "text/plain", b"\x00\xff\xfe binary") == 400
    expect(page.get_by_role("alert")).to_contain_text("neither a badge image")


def test_markup_in_a_credential_is_shown_as_text(page: Page, site: Site) -> None:
    name = '<script>alert("name")</script><img src=x onerror=alert(1)>'
    _, credential = issue(site, name=name)
    dialogs: list[Dialog] = []

    def opened(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss()

    page.on("dialog", opened)
    assert paste(page, site, json.dumps(credential)) == 200
    expect(verdict(page)).to_have_text("Valid")
    expect(page.get_by_role("heading", level=2).first).to_have_text(name)
    expect(step(page, "What was achieved?")).to_contain_text(name)
    assert page.locator("main script, main img[src='x']").count() == 0
    assert dialogs == []


def test_an_upload_over_10_mb_is_refused(page: Page, site: Site) -> None:
    big = b"{" + b" " * (11 * 1024 * 1024) + b"}"
    assert upload(page, site, "big.json", "application/json", big) == 413
    expect(page.get_by_role("alert")).to_contain_text("The file is over the limit of 10 MB")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a credential")


def _post(site: Site, **fields: str) -> httpx.Response:
    """POST the verifier form without a browser (CSRF token and cookie from its GET)."""
    with httpx.Client(base_url=site.base_url) as client:
        form = client.get("/verify")
        found = re.search(r'name="(csrf[^"]*)" value="([^"]+)"', form.text)
        assert found is not None
        return client.post("/verify", data={found.group(1): found.group(2), **fields})


def test_a_presentation_and_a_bundle_on_the_page(site: Site) -> None:
    prefilled = httpx.get(site.url("/verify?url=https%3A%2F%2Fbadges.example%2Fb.json"))
    assert 'value="https://badges.example/b.json"' in prefilled.text  # filled in, not fetched
    org, credential = issue(site)
    forged = copy.deepcopy(credential)
    forged["validFrom"] = "2020-01-01T00:00:00Z"
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential, forged],
    }
    answer = _post(site, source="paste", json=json.dumps(presentation))
    assert answer.status_code == 200
    page = answer.text
    assert "1 of 2 presented credentials is valid." in page
    assert page.count('class="vreport ') == 3  # the presentation and each credential
    assert '<h3 class="vreport-title">Data Analysis with Python</h3>' in page
    uow = site.database.unit_of_work()
    stored = uow.credentials.get(credential["id"])
    assert stored is not None
    host = urlsplit(site.base_url).netloc
    bundle = credential_bundle(uow, site.custody, host, site.base_url, org, stored, site.clock())
    uow.commit()
    answer = _post(site, source="paste", json=bundle.dumps().decode())
    assert answer.status_code == 200
    assert "Checked: the pasted text (verification bundle)" in answer.text
    assert "signed by this server&#39;s log key verifies" in answer.text
    assert '<strong class="verdict-text">Valid</strong>' in answer.text
