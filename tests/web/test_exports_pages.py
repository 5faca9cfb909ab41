"""Exports on the sharing pages: the schema.org JSON-LD in the head of /c/{code} (inert even
for a hostile achievement name), the Export links and the ELM / CTDL downloads, the OB 2.0
link only for credentials issued here, and visibility rules; one browser check."""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from credstack.api import create_app
from credstack.exports import ctdl, elm, ob2, schemaorg
from credstack.platform.accounts import create_token, create_user
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import UserKind
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.platform.wallet import Visibility, WalletItem, WalletStore, new_item
from credstack.storage.memory import MemoryDatabase
from credstack.web.security import SESSION_COOKIE
from tests.exports.conftest import vcapi_credential
from tests.web.conftest import FAST_HASHER, PASSWORD, Clock, Site, check_page, sign_up

BASE = "https://credstack.example"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
HOSTILE = "</script><script>alert(1)</script> Data <b>Stewardship</b>"
DESIGN: dict[str, Any] = {
    "description": "Plans and curates research data.",
    "criteria_narrative": "Pass the supervised assessment.",
    "eqf_level": 5,
    "workload_hours": 50,
    "skills": [
        {
            "url": "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
            "name": "perform data analysis",
            "framework": "ESCO v1.2",
        }
    ],
}


@dataclass
class Env:
    client: TestClient
    items: dict[str, WalletItem]
    session: str  # the owner's session token


def _issue(db: MemoryDatabase, custody: KeyCustody, name: str) -> str:
    uow = db.unit_of_work()
    org = create_organisation(
        uow,
        custody,
        host="credstack.example",
        slug=f"org-{uuid.uuid4().hex[:8]}",
        name="Example University",
        url="https://university.example/",
        email="badges@university.example",
        country="AT",
        at=T0,
    )
    draft = create_achievement(uow, org, {"name": name, **DESIGN}, base_url=BASE, at=T0)
    version = publish(uow, org, draft.id, at=T0)
    issued = Issuer(uow, custody, org, BASE).issue(
        version, IssueRequest(email="ada@example.org"), at=T0
    )
    uow.commit()
    return issued.credential_json


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    app = create_app(
        database=db,
        custody=custody,
        base_url=BASE,
        clock=Clock(T0 + timedelta(days=3)),
        password_hasher=FAST_HASHER,
    )
    wallet: WalletStore = app.state.web.wallet
    uow = db.unit_of_work()
    owner = create_user(
        uow, email="ada@example.org", password=PASSWORD, at=T0, hasher=FAST_HASHER,
        kind=UserKind.LEARNER,
    )  # fmt: skip
    _, session = create_token(uow, owner, at=T0, lifetime=timedelta(days=365))
    uow.commit()
    user = owner.id
    with TestClient(app, base_url=BASE) as client:
        items = {
            "public": new_item(
                wallet, user, _issue(db, custody, HOSTILE), source="claim", at=T0,
                visibility=Visibility.PUBLIC,
            ),
            "private": new_item(
                wallet, user, _issue(db, custody, "Private Badge"), source="claim", at=T0,
                visibility=Visibility.PRIVATE,
            ),
            "elsewhere": new_item(
                wallet, user, json.dumps(vcapi_credential()), source="json", at=T0,
                visibility=Visibility.LINK,
            ),
        }  # fmt: skip
        yield Env(client, items, session)


class _Scripts(HTMLParser):
    """The <script> elements of a page: (attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.found.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _scripts(page: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(page)
    return parser.found


def test_credential_page_embeds_inert_valid_schemaorg_markup(env: Env) -> None:
    item = env.items["public"]
    response = env.client.get(f"/c/{item.share_code}")
    assert response.status_code == 200
    scripts = _scripts(response.text)
    # the page's own script and the data block; the hostile name added no element
    assert [attrs.get("type") for attrs, _ in scripts] == [None, "application/ld+json"]
    assert [attrs.get("src") for attrs, _ in scripts] == ["/static/credstack.js", None]
    data = scripts[1][1]
    assert "<" not in data
    markup = json.loads(data)
    assert markup["name"] == HOSTILE
    assert markup["url"] == f"{BASE}/c/{item.share_code}"
    assert schemaorg.validate(markup).ok
    assert "ada@example.org" not in data
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_export_links_and_downloads_validate(env: Env) -> None:
    item = env.items["public"]
    page = env.client.get(f"/c/{item.share_code}").text
    assert "ELM (unsealed)" in page
    assert "CTDL (achievement)" in page
    ob2_link = f"{BASE}/ob2/assertions/{item.credential_id.removeprefix('urn:uuid:')}"  # type: ignore[union-attr]
    assert f'href="{ob2_link}"' in page
    assertion = env.client.get(ob2_link.removeprefix(BASE))
    assert assertion.status_code == 200
    assert ob2.validate(assertion.json()).ok
    download = env.client.get(f"/c/{item.share_code}/export/elm.jsonld")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/ld+json")
    assert "elm-unsealed.jsonld" in download.headers["content-disposition"]
    document = download.json()
    check = elm.validate(document)
    assert check.ok, check.errors
    assert document["displayParameter"]["description"] == {"en": elm.UNSEALED_NOTE}
    described = env.client.get(f"/c/{item.share_code}/export/ctdl.json")
    assert described.status_code == 200
    graph = described.json()
    assert ctdl.validate(graph).ok
    assert graph["@graph"][0]["ceterms:subjectWebpage"] == f"{BASE}/c/{item.share_code}"


def test_owner_share_page_lists_the_exports_too(env: Env) -> None:
    item = env.items["public"]
    signed_out = env.client.get(f"/wallet/{item.id}/share", follow_redirects=False)
    assert signed_out.status_code == 303
    env.client.cookies.set(SESSION_COOKIE, env.session)
    try:
        page = env.client.get(f"/wallet/{item.id}/share")
    finally:
        env.client.cookies.clear()
    assert page.status_code == 200
    assert f'href="/c/{item.share_code}/export/elm.jsonld"' in page.text
    assert f'href="/c/{item.share_code}/export/ctdl.json"' in page.text
    assert "/ob2/assertions/" in page.text


def test_credential_from_another_issuer_has_no_ob2_link(env: Env) -> None:
    item = env.items["elsewhere"]
    page = env.client.get(f"/c/{item.share_code}").text
    assert "ELM (unsealed)" in page
    assert "/ob2/assertions/" not in page
    assert elm.validate(env.client.get(f"/c/{item.share_code}/export/elm.jsonld").json()).ok
    assert ctdl.validate(env.client.get(f"/c/{item.share_code}/export/ctdl.json").json()).ok


@pytest.mark.parametrize("kind", ["elm.jsonld", "ctdl.json"])
def test_private_and_unknown_credentials_export_nothing(env: Env, kind: str) -> None:
    private = env.client.get(f"/c/{env.items['private'].share_code}/export/{kind}")
    assert private.status_code == 410
    assert "Private Badge" not in private.text
    assert env.client.get(f"/c/nosuchcode123/export/{kind}").status_code == 404
    assert env.client.get(f"/c/bad!/export/{kind}").status_code == 404


def test_browser_sees_the_json_ld_block_and_the_export_links(site: Site, page: Page) -> None:
    email = sign_up(page, site, "learner")
    user = site.database.unit_of_work().users.get_by_email(email)
    assert user is not None
    uow = site.database.unit_of_work()
    org = create_organisation(
        uow,
        site.custody,
        host=site.app.state.credstack.host,
        slug=f"org-{uuid.uuid4().hex[:10]}",
        name="Example University",
        url="https://university.example/",
        email="badges@university.example",
        at=site.clock.now - timedelta(days=5),
    )
    at = site.clock.now - timedelta(days=5)
    draft = create_achievement(uow, org, {"name": HOSTILE, **DESIGN}, base_url=site.base_url, at=at)
    version = publish(uow, org, draft.id, at=at)
    issued = Issuer(uow, site.custody, org, site.base_url).issue(
        version, IssueRequest(email=email), at=at
    )
    uow.commit()
    store: WalletStore = site.app.state.web.wallet
    item = new_item(
        store, user.id, issued.credential_json, source="claim", at=at, visibility=Visibility.PUBLIC
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.url(f"/c/{item.share_code}"))
    block = page.locator('script[type="application/ld+json"]')
    expect(block).to_have_count(1)
    markup = json.loads(block.text_content() or "")
    assert markup["name"] == HOSTILE
    assert schemaorg.validate(markup).ok
    expect(page.get_by_role("link", name="ELM (unsealed)")).to_be_visible()
    expect(page.get_by_role("link", name="CTDL (achievement)")).to_be_visible()
    expect(page.get_by_role("link", name="OB 2.0")).to_have_attribute(
        "href", site.url(f"/ob2/assertions/{issued.id.removeprefix('urn:uuid:')}")
    )
    check_page(page, "exports-credential-page")
    assert dialogs == []
