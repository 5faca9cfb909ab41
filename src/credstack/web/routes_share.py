"""Sharing: the learner's share page, and the public pages and downloads anyone may open.

* ``/wallet/{item}/share`` (the owner): "Add to LinkedIn", the short link and its QR code, an
  embed snippet, downloads; a private credential is first made public or link-only.
* ``/u/{handle}``: the learner's portfolio (public credentials only, each with its verdict),
  and ``/u/{handle}/resume.json`` (JSON Resume).
* ``/c/{code}``: one credential with its verification report and link-preview (Open Graph /
  Twitter card) tags; ``/s/{code}`` is its short form.  Downloads under it: ``badge.png`` and
  ``badge.svg`` (the credential baked in), ``certificate.pdf``, ``credential.json``.
* ``/embed/{code}``: a small card other sites may frame.

Visibility (:class:`~credstack.platform.wallet.Visibility`): a public credential is on the
portfolio and at its links; a link-only one only at its links; a private one nowhere — its
links answer 410 "withheld by its owner" (no data at all), unknown codes 404.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from credstack.errors import InvalidInput, NotFound
from credstack.platform.domain import UserKind
from credstack.platform.wallet import (
    PortfolioProfile,
    Visibility,
    WalletItem,
    check_handle,
    owned_item,
    set_visibility,
)
from credstack.quality import check_credential
from credstack.web.certificate import Certificate, certificate_pdf
from credstack.web.core import Web, WebDep, form, redirect, render, require, text
from credstack.web.linkedin import Certification, add_to_profile_url
from credstack.web.resume import json_resume
from credstack.web.routes_exports import exports_context
from credstack.web.routes_trust import endorsements_context, issuer_link
from credstack.web.share_badge import baked_png, baked_svg
from credstack.web.share_facts import CredentialView, credential_view
from credstack.web.share_verdicts import Checked, verdicts

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
PAGE_SIZE = 50
_EMBED_SIZE = (360, 220)


# ---------------------------------------------------------------------------- lookups


def _item(web: Web, code: str) -> WalletItem:
    """The wallet item shared under ``code`` (any visibility); :class:`NotFound` otherwise."""
    found = web.state.wallet.item_by_share_code(code) if _CODE.match(code) else None
    if found is None:
        raise NotFound("There is no shared credential at this address.")
    return found


def _profile(web: Web, handle: str) -> PortfolioProfile:
    try:
        handle = check_handle(handle)
    except InvalidInput:
        raise NotFound("There is no portfolio at this address.") from None
    found = web.state.wallet.profile_by_handle(handle)
    if found is None:
        raise NotFound("There is no portfolio at this address.")
    return found


def _withheld(web: Web, *, embed: bool = False) -> Response:
    """410 Gone: the owner made the credential private (nothing about it is shown)."""
    template = "share/embed.html" if embed else "share/withheld.html"
    return render(web, template, {"item": None}, status=410)


def _base(web: Web) -> str:
    return web.ctx.base_url.rstrip("/")


@dataclass(frozen=True, slots=True)
class _Links:
    public: str
    short: str
    embed: str
    png: str
    svg: str
    pdf: str
    json: str
    image: str  # the picture pages show (the issuer's SVG, else the PNG)


def _links(web: Web, item: WalletItem, view: CredentialView) -> _Links:
    base = f"{_base(web)}/c/{item.share_code}"
    return _Links(
        public=base,
        short=f"{_base(web)}/s/{item.share_code}",
        embed=f"{_base(web)}/embed/{item.share_code}",
        png=f"{base}/badge.png",
        svg=f"{base}/badge.svg",
        pdf=f"{base}/certificate.pdf",
        json=f"{base}/credential.json",
        image=f"/c/{item.share_code}/badge.{view.image_kind}",
    )


def _file_stem(item: WalletItem) -> str:
    """A download's file name: the achievement's name in safe characters."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", item.achievement_name).strip("-").lower()[:60]
    return stem or "credential"


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


def _check(web: Web, items: list[WalletItem]) -> list[Checked]:
    return verdicts(web.request.app).check(web.ctx, [i.credential_json for i in items], at=web.now)


# ---------------------------------------------------------------------------- owner


def _linkedin(item: WalletItem, view: CredentialView, links: _Links) -> str:
    return add_to_profile_url(
        Certification(
            name=item.achievement_name,
            organization_name=item.issuer_name,
            issued_at=item.issued_at,
            expires_at=view.expires_at,
            cert_url=links.short,
            cert_id=item.credential_id or item.share_code,
        )
    )


def _embed_snippet(item: WalletItem, links: _Links) -> str:
    title = html.escape(f"{item.achievement_name}: a verified credential", quote=True)
    width, height = _EMBED_SIZE
    return (
        f'<iframe src="{html.escape(links.embed, quote=True)}" title="{title}" '
        f'width="{width}" height="{height}" loading="lazy" style="border:0"></iframe>'
    )


def _qr_data_uri(url: str) -> str:
    import segno

    uri: str = segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=4)
    return uri


@router.get("/wallet/{item_id:uuid}/share", response_class=HTMLResponse)
def share_page(web: WebDep, item_id: uuid.UUID) -> Response:
    principal = require(web, UserKind.LEARNER)
    item = owned_item(web.state.wallet, principal.user.id, str(item_id))
    view = credential_view(item)
    links = _links(web, item, view)
    profile = web.state.wallet.get_profile(principal.user.id)
    context: dict[str, Any] = {
        "item": item,
        "view": view,
        "links": links,
        "profile": profile,
        "private": item.visibility is Visibility.PRIVATE,
        "linkedin": _linkedin(item, view, links),
        "embed": _embed_snippet(item, links),
        "qr": _qr_data_uri(links.short),
        **exports_context(web, item),
    }
    return render(web, "share/share.html", context, principal=principal)


@router.post("/wallet/{item_id:uuid}/share/visibility", response_class=HTMLResponse)
async def share_visibility(web: WebDep, item_id: uuid.UUID) -> Response:
    principal = require(web, UserKind.LEARNER)
    data = await form(web)
    chosen = text(data, "visibility", max_length=20)
    try:
        visibility = Visibility(chosen)
    except ValueError:
        raise InvalidInput("choose public, link-only or private") from None
    set_visibility(web.state.wallet, principal.user.id, str(item_id), visibility)
    return redirect(f"/wallet/{item_id}/share")


# ---------------------------------------------------------------------------- public pages


@router.get("/u/{handle}", response_class=HTMLResponse)
def portfolio(
    web: WebDep, handle: str, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> Response:
    profile = _profile(web, handle)
    public = [
        i for i in web.state.wallet.items_for(profile.user_id) if i.visibility is Visibility.PUBLIC
    ]
    public.sort(key=lambda i: (i.issued_at or i.added_at, i.id), reverse=True)
    pages = max(1, -(-len(public) // PAGE_SIZE))
    shown = public[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    checks = _check(web, shown)
    entries = []
    for item, checked in zip(shown, checks, strict=True):
        view = credential_view(item)
        entries.append(
            {"item": item, "view": view, "check": checked.view, "links": _links(web, item, view)}
        )
    context = {
        "profile": profile,
        "entries": entries,
        "total": len(public),
        "page": page,
        "pages": pages,
        "portfolio_url": f"{_base(web)}/u/{profile.handle}",
    }
    return render(web, "share/portfolio.html", context)


@router.get("/u/{handle}/resume.json")
def resume(web: WebDep, handle: str) -> Response:
    profile = _profile(web, handle)
    public = [
        i for i in web.state.wallet.items_for(profile.user_id) if i.visibility is Visibility.PUBLIC
    ]
    public.sort(key=lambda i: (i.issued_at or i.added_at, i.id), reverse=True)
    document = json_resume(profile, public, base_url=web.ctx.base_url, at=web.now)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _download(body, "application/json", f"{profile.handle}-resume.json")


@router.get("/s/{code}")
def short_link(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    return redirect(f"/c/{item.share_code}", status=302)


@router.get("/c/{code}", response_class=HTMLResponse)
def credential_page(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web)
    view = credential_view(item)
    checked = _check(web, [item])[0]
    profile = web.state.wallet.get_profile(item.user_id)
    context = {
        "item": item,
        "view": view,
        "report": replace(checked.view, level=3),  # under the page's "Verification" heading
        "links": _links(web, item, view),
        "profile": profile,
        "listed": item.visibility is Visibility.PUBLIC,
        **exports_context(web, item),
        "quality": check_credential(item.credential),
        **_endorsements(web, item),
    }
    return render(web, "share/credential.html", context)


def _endorsements(web: Web, item: WalletItem) -> dict[str, Any]:
    """Endorsements of the credential, its achievement and its issuer (each verified)."""
    subject = item.credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement_id = achievement.get("id") if isinstance(achievement, dict) else None
    subjects = {item.issuer_id: "the issuer"}
    if isinstance(achievement_id, str) and achievement_id:
        subjects[achievement_id] = "the achievement"
    if item.credential_id:
        subjects[item.credential_id] = "this credential"
    return {**endorsements_context(web, subjects), "issuer_page": issuer_link(web, item.issuer_id)}


@router.get("/embed/{code}", response_class=HTMLResponse)
def embed_card(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web, embed=True)
    view = credential_view(item)
    checked = _check(web, [item])[0]
    context = {"item": item, "view": view, "check": checked.view, "links": _links(web, item, view)}
    return render(web, "share/embed.html", context)


# ---------------------------------------------------------------------------- downloads


@router.get("/c/{code}/badge.png")
def badge_png(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web)
    return Response(
        baked_png(item),
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{_file_stem(item)}.png"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


#: an SVG opened on its own is a document: no scripts, no loads, no forms, no framing
_SVG_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@router.get("/c/{code}/badge.svg")
def badge_svg(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web)
    return Response(
        baked_svg(item),
        media_type="image/svg+xml",
        headers={
            "Content-Disposition": f'inline; filename="{_file_stem(item)}.svg"',
            "Content-Security-Policy": _SVG_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/c/{code}/certificate.pdf")
def certificate(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web)
    profile = web.state.wallet.get_profile(item.user_id)
    pdf = certificate_pdf(
        Certificate(
            achievement_name=item.achievement_name,
            issuer_name=item.issuer_name,
            issued_at=item.issued_at,
            public_url=f"{_base(web)}/c/{item.share_code}",
            credential_id=item.credential_id,
            holder_name=profile.display_name if profile is not None else None,
            printed_at=web.now,
        )
    )
    return _download(pdf, "application/pdf", f"{_file_stem(item)}-certificate.pdf")


@router.get("/c/{code}/credential.json")
def credential_json(web: WebDep, code: str) -> Response:
    item = _item(web, code)
    if item.visibility is Visibility.PRIVATE:
        return _withheld(web)
    return _download(item.credential_json, "application/json", f"{_file_stem(item)}.json")
