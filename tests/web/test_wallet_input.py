"""Wallet pages against bad input, without a browser: escaping, refused URLs, size limits,
other learners' items and CSRF.  Plain HTTP against the real test server."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest

from credstack.baking import bake_png
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.notify import deliver_outbox
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import WalletStore, new_item
from credstack.storage.wallet_memory import MemoryWalletStore
from credstack.storage.wallet_sql import SqlWalletStore
from tests.web.conftest import PASSWORD, Site, unique_email

HTML = {"accept": "text/html"}
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
SCRIPT = "<script>alert('x')</script>"


# ------------------------------------------------------------------ helpers (also used by
# test_wallet.py)


def issue(
    site: Site,
    *,
    email: str | None = None,
    did: str | None = None,
    name: str = "Data Analysis with Python",
    image: str | None = None,
    org_name: str = "Example University",
    valid_days: int | None = None,
) -> str:
    """A new organisation issues a new achievement (to an e-mail address or a DID); the claim
    e-mail goes out through the site's SMTP sink.  Returns the credential's JSON text."""
    host = site.app.state.credstack.host
    at = site.clock.now - timedelta(days=1)
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow, site.custody, host=host, slug=f"org-{uuid.uuid4().hex[:10]}", name=org_name, at=at
    )
    design = {
        "name": name,
        "description": "Cleans, analyses and visualises tabular data.",
        "criteria_narrative": "Pass the supervised practical assessment.",
        "language": "en",
    }
    if image is not None:
        design["image"] = image
    draft = create_achievement(uow, org, design, base_url=site.base_url, at=at)
    version = publish(uow, org, draft.id, at=at)
    until = None if valid_days is None else at + timedelta(days=valid_days)
    issued = Issuer(uow, site.custody, org, site.base_url).issue(
        version, IssueRequest(email=email, did=did, valid_until=until), at=at
    )
    uow.commit()
    deliver_outbox(site.smtp.mailer(), site.database.unit_of_work, clock=site.clock)
    return issued.credential_json


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def baked(credential_text: str) -> bytes:
    return bake_png(tiny_png(), json.loads(credential_text))


def forged(credential_text: str) -> str:
    """The credential with its achievement renamed after signing (its proof no longer holds)."""
    document = json.loads(credential_text)
    document["credentialSubject"]["achievement"]["name"] = "Doctor of Everything"
    return json.dumps(document)


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def learner(site: Site) -> tuple[httpx.Client, str]:
    """A new learner, signed in on an HTTP client; and their e-mail address."""
    client = httpx.Client(base_url=site.base_url, headers=HTML, timeout=30)
    email = unique_email("learner")
    page = client.get("/signup")
    response = client.post(
        "/signup",
        data={"csrf": csrf_of(page), "email": email, "password": PASSWORD, "kind": "learner"},
    )
    assert response.status_code == 303, response.text
    return client, email


def user_id(site: Site, email: str) -> str:
    found = site.database.unit_of_work().users.get_by_email(email)
    assert found is not None
    return found.id


def store(site: Site) -> WalletStore:
    found = site.app.state.web.wallet
    assert isinstance(found, (MemoryWalletStore, SqlWalletStore))
    return found


def post_form(
    client: httpx.Client, page_path: str, action: str, data: dict[str, str], **kw: object
) -> httpx.Response:
    """Post ``data`` to ``action`` with the CSRF token of ``page_path``."""
    token = csrf_of(client.get(page_path))
    return client.post(action, data={"csrf": token, **data}, **kw)  # type: ignore[arg-type]


People = Callable[[], tuple[httpx.Client, str]]


@pytest.fixture
def people(site: Site) -> Iterator[People]:
    """Makes signed-in learners (HTTP clients), closed after the test."""
    made: list[httpx.Client] = []

    def make() -> tuple[httpx.Client, str]:
        client, email = learner(site)
        made.append(client)
        return client, email

    yield make
    for client in made:
        client.close()


# ------------------------------------------------------------------ tests


def test_script_in_achievement_name_and_display_name_is_inert(site: Site, people: People) -> None:
    client, email = people()
    text = issue(site, email=email, name=f"Data {SCRIPT} Analysis", org_name=f"Uni {SCRIPT}")
    response = post_form(
        client,
        "/wallet/import",
        "/wallet/import",
        {"how": "paste", "json": text},
    )
    assert response.status_code == 303, response.text
    item_path = response.headers["location"].split("?")[0]
    for path in ("/wallet", item_path):
        page = client.get(path)
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
        assert "Valid" in page.text
    saved = post_form(
        client,
        "/wallet/profile",
        "/wallet/profile",
        {"handle": f"h{uuid.uuid4().hex[:10]}", "display_name": f"Ann {SCRIPT}", "headline": ""},
    )
    assert saved.status_code == 303
    profile = client.get("/wallet/profile")
    assert SCRIPT not in profile.text
    assert "Ann &lt;script&gt;" in profile.text


def test_url_import_of_private_addresses_is_refused(site: Site, people: People) -> None:
    client, email = people()
    for url in (
        "https://127.0.0.1/credential.json",
        site.url("/wallet"),  # this very server, over loopback http
        "https://10.1.2.3/credential.json",
        "https://[::ffff:10.0.0.1]/credential.json",
    ):
        response = post_form(client, "/wallet/import", "/wallet/import", {"how": "url", "url": url})
        assert response.status_code == 400, url
        assert "Fetch and import" in response.text  # the form again, with the message
        assert re.search(r"non-public address|only https", response.text), url
    assert store(site).items_for(user_id(site, email)) == []


def test_upload_over_5_mb_is_refused_and_nothing_is_added(site: Site, people: People) -> None:
    client, email = people()
    token = csrf_of(client.get("/wallet/import"))
    big = b"{" + b" " * (6 * 1_048_576) + b"}"
    response = client.post(
        "/wallet/import",
        data={"csrf": token, "how": "file"},
        files={"file": ("big.json", big, "application/json")},
    )
    assert response.status_code == 400
    assert "limit of 5" in response.text
    assert store(site).items_for(user_id(site, email)) == []


def test_forged_and_garbage_imports_are_refused_with_a_reason(site: Site, people: People) -> None:
    client, email = people()
    text = issue(site, email=email)
    token = csrf_of(client.get("/wallet/import"))
    png = client.post(
        "/wallet/import",
        data={"csrf": token, "how": "file"},
        files={"file": ("badge.png", baked(forged(text)), "image/png")},
    )
    assert png.status_code == 400
    assert "Why it was not added" in png.text
    assert "not valid" in png.text
    garbage = client.post(
        "/wallet/import",
        data={"csrf": token, "how": "file"},
        files={"file": ("x.json", b"\xff\xfe not json", "application/json")},
    )
    assert garbage.status_code == 400
    assert "neither a JSON credential" in garbage.text
    not_vc = post_form(
        client, "/wallet/import", "/wallet/import", {"how": "paste", "json": '{"a": 1}'}
    )
    assert not_vc.status_code == 400
    assert "not a verifiable credential" in not_vc.text
    assert store(site).items_for(user_id(site, email)) == []
    first = post_form(client, "/wallet/import", "/wallet/import", {"how": "paste", "json": text})
    assert first.status_code == 303
    again = post_form(client, "/wallet/import", "/wallet/import", {"how": "paste", "json": text})
    assert again.status_code == 409
    assert "in your wallet already" in again.text
    assert len(store(site).items_for(user_id(site, email))) == 1


def test_another_learners_item_is_a_404_page(site: Site, people: People) -> None:
    owner, owner_email = people()
    other, _ = people()
    text = issue(site, email=owner_email)
    item = new_item(store(site), user_id(site, owner_email), text, source="json", at=site.clock.now)
    assert owner.get(f"/wallet/{item.id}").status_code == 200
    for path in (f"/wallet/{item.id}", f"/wallet/{item.id}/credential.json"):
        response = other.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "no such credential in your wallet" in response.text
    changed = post_form(other, "/wallet", f"/wallet/{item.id}/visibility", {"visibility": "public"})
    assert changed.status_code == 404
    deleted = post_form(other, "/wallet", f"/wallet/{item.id}/delete", {})
    assert deleted.status_code == 404
    assert store(site).get_item(item.id) is not None
    assert store(site).get_item(item.id).visibility.value == "private"


def test_posts_without_csrf_token_are_refused(site: Site, people: People) -> None:
    client, email = people()
    text = issue(site, email=email)
    item = new_item(store(site), user_id(site, email), text, source="json", at=site.clock.now)
    for action, data in (
        (f"/wallet/{item.id}/visibility", {"visibility": "public"}),
        (f"/wallet/{item.id}/delete", {}),
        ("/wallet/collections", {"name": "Jobs"}),
        ("/wallet/profile/withdraw", {}),
        ("/wallet/import", {"how": "paste", "json": text}),
    ):
        response = client.post(action, data=data)
        assert response.status_code == 403, action
        assert "another site" in response.text
    kept = store(site).get_item(item.id)
    assert kept is not None
    assert kept.visibility.value == "private"
    assert store(site).collections_for(user_id(site, email)) == []


def test_bad_form_values_are_explained(site: Site, people: People) -> None:
    client, email = people()
    long_name = post_form(client, "/wallet/collections", "/wallet/collections", {"name": "x" * 121})
    assert long_name.status_code == 400
    assert "at most 120 characters" in long_name.text
    assert 'value="' + "x" * 121 + '"' in long_name.text  # the input is kept
    bad_handle = post_form(
        client,
        "/wallet/profile",
        "/wallet/profile",
        {"handle": "-No Good-", "display_name": "Ann"},
    )
    assert bad_handle.status_code == 400
    assert "lower-case letters" in bad_handle.text
    handle = f"taken-{uuid.uuid4().hex[:8]}"
    mine = post_form(
        client, "/wallet/profile", "/wallet/profile", {"handle": handle, "display_name": "Ann"}
    )
    assert mine.status_code == 303
    other, _ = people()
    taken = post_form(
        other, "/wallet/profile", "/wallet/profile", {"handle": handle, "display_name": "Bo"}
    )
    assert taken.status_code == 409
    assert "is taken" in taken.text
    unknown = post_form(client, "/wallet", "/wallet/import", {"how": "pigeon"})
    assert unknown.status_code == 400
    assert "choose how to import" in unknown.text
    assert store(site).items_for(user_id(site, email)) == []


def test_claim_links_answer_api_clients_in_json_and_browsers_in_html(
    site: Site, people: People
) -> None:
    email = unique_email("learner")
    issue(site, email=email)
    from tests.web.conftest import claim_link

    link = claim_link(site, email)
    page = httpx.get(link, headers=HTML)
    assert page.status_code == 200
    assert "Sign in to claim" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    unknown = httpx.get(site.url("/claim/" + "B" * 43))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    unknown_page = httpx.get(site.url("/claim/" + "B" * 43), headers=HTML)
    assert unknown_page.status_code == 404
    assert unknown_page.headers["content-type"].startswith("text/html")
    client, _ = people()
    token = csrf_of(client.get(link))
    bad_did = client.post(link + "/wallet", data={"csrf": token, "did": "not a did"})
    assert bad_did.status_code == 400
    assert "is not a DID" in bad_did.text
    assert "Claim into my wallet" in bad_did.text
    site.clock.advance(days=40)
    try:
        gone = httpx.get(link, headers=HTML)
        assert gone.status_code == 410
        assert "can no longer be used" in gone.text
        assert "expired" in gone.text
        api = httpx.get(link)
        assert api.status_code == 410
        assert api.headers["content-type"] == "application/problem+json"
    finally:
        site.clock.advance(days=-40)


def test_the_list_verifies_one_page_at_a_time(
    site: Site, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credstack.web import routes_wallet

    client, email = people()
    text = issue(site, email=email)
    owner = user_id(site, email)
    new_item(store(site), owner, text, source="json", at=site.clock.now)
    for _ in range(24):  # copies under other ids: they no longer verify
        copy = json.loads(text)
        copy["id"] = f"urn:uuid:{uuid.uuid4()}"
        new_item(store(site), owner, json.dumps(copy), source="json", at=site.clock.now)
    checked: list[int] = []
    real = routes_wallet.check_texts

    def counting(ctx: object, texts: list[str]) -> object:
        checked.append(len(texts))
        return real(ctx, texts)  # type: ignore[arg-type]

    monkeypatch.setattr(routes_wallet, "check_texts", counting)
    first = client.get("/wallet")
    assert first.status_code == 200
    assert first.text.count('class="wallet-card"') == 20
    assert "page 1 of 2" in first.text
    assert "Next page" in first.text
    second = client.get("/wallet?page=2")
    assert second.text.count('class="wallet-card"') == 5
    assert second.text.count(">Not valid<") + second.text.count(">Valid<") == 5
    assert checked == [20, 5]
    assert client.get("/wallet?page=99").status_code == 200  # clamped to the last page


def test_url_import_through_the_guarded_fetcher(site: Site, people: People) -> None:
    """A loopback origin the test allow-lists stands in for a public https site."""
    import http.server
    import threading

    from credstack.resolve.fetch import GuardedFetcher

    client, email = people()
    body = baked(issue(site, email=email, name="Remote Sensing"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.app.state.wallet_fetcher = GuardedFetcher(allow=[("http", "127.0.0.1", port)])
    try:
        url = f"http://127.0.0.1:{port}/badges/remote-sensing.png"
        response = post_form(client, "/wallet/import", "/wallet/import", {"how": "url", "url": url})
        assert response.status_code == 303, response.text
    finally:
        del site.app.state.wallet_fetcher
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    (item,) = store(site).items_for(user_id(site, email))
    assert item.source == "url"
    assert item.achievement_name == "Remote Sensing"


def test_claim_with_an_own_did_without_an_account(site: Site) -> None:
    from credstack.crypto.keys import KeyPair
    from tests.web.conftest import claim_link

    email = unique_email("learner")
    issue(site, email=email, name="Field Survey")
    link = claim_link(site, email)
    did = KeyPair.generate().did_key
    with httpx.Client(headers=HTML, timeout=30) as browser:
        page = browser.get(link)
        empty = browser.post(link + "/did", data={"csrf": csrf_of(page), "own_did": ""})
        assert empty.status_code == 400
        assert "give your DID" in empty.text
        done = browser.post(link + "/did", data={"csrf": csrf_of(page), "own_did": did})
        assert done.status_code == 200
        assert "Credential claimed" in done.text
        assert done.headers["cache-control"] == "no-store"
        shown = re.search(r'<textarea id="credential-text"[^>]*>([^<]*)</textarea>', done.text)
        assert shown is not None
        claimed = json.loads(html.unescape(shown.group(1)))
        assert claimed["credentialSubject"]["id"] == did
        again = browser.post(link + "/did", data={"csrf": csrf_of(page), "own_did": did})
        assert again.status_code == 410
        assert "can no longer be used" in again.text
