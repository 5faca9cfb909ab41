"""Other formats of a shared credential: downloads under ``/c/{code}/export/`` and the
schema.org markup of the public credential page.

* ``/c/{code}/export/elm.jsonld`` — European Learning Model JSON-LD (unsealed: a European
  Digital Credential needs the issuer's eIDAS seal, which credstack cannot apply);
* ``/c/{code}/export/ctdl.json`` — Credential Engine CTDL description of the achievement;
* Open Badges 2.0: a link to the hosted assertion (``/ob2/assertions/...``), only for
  credentials issued on this server (a hosted assertion lives at its issuer).

The same visibility rules as the other downloads: a private credential answers 410.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from credstack.errors import InvalidInput, NotFound
from credstack.exports import ctdl, elm, schemaorg
from credstack.platform.exports import assertion_path
from credstack.platform.wallet import Visibility, WalletItem
from credstack.web.core import Web, WebDep, render

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")


@dataclass(frozen=True, slots=True)
class ExportLinks:
    """Where the other formats of one shared credential are."""

    elm: str
    ctdl: str
    ob2: str | None  # only for credentials issued here


def _page_url(web: Web, item: WalletItem) -> str:
    return f"{web.ctx.base_url.rstrip('/')}/c/{item.share_code}"


def _issued_here(web: Web, item: WalletItem) -> str | None:
    path = assertion_path(item.credential_id)
    if path is None or item.credential_id is None:
        return None
    with web.ctx.work() as uow:
        found = uow.credentials.get(item.credential_id)
    return f"{web.ctx.base_url.rstrip('/')}{path}" if found is not None else None


def exports_context(web: Web, item: WalletItem) -> dict[str, Any]:
    """``exports`` (download links, ``None`` for a credential that is not an Open Badge)
    and ``jsonld`` (the page's schema.org markup, or ``None``) for a share page."""
    try:
        markup = schemaorg.educational_credential(item.credential, page_url=_page_url(web, item))
    except InvalidInput:
        return {"exports": None, "jsonld": None}
    base = f"/c/{item.share_code}/export"
    links = ExportLinks(
        elm=f"{base}/elm.jsonld", ctdl=f"{base}/ctdl.json", ob2=_issued_here(web, item)
    )
    return {"exports": links, "jsonld": markup}


def _shared(web: Web, code: str) -> WalletItem | Response:
    found = web.state.wallet.item_by_share_code(code) if _CODE.match(code) else None
    if found is None:
        raise NotFound("There is no shared credential at this address.")
    if found.visibility is Visibility.PRIVATE:
        return render(web, "share/withheld.html", {"item": None}, status=410)
    return found


def _stem(item: WalletItem) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", item.achievement_name).strip("-").lower()[:60]
    return stem or "credential"


def _download(document: dict[str, Any], media_type: str, filename: str) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/c/{code}/export/elm.jsonld")
def export_elm(web: WebDep, code: str) -> Response:
    item = _shared(web, code)
    if isinstance(item, Response):
        return item
    document = elm.elm_credential(item.credential)
    return _download(document, "application/ld+json", f"{_stem(item)}-elm-unsealed.jsonld")


@router.get("/c/{code}/export/ctdl.json")
def export_ctdl(web: WebDep, code: str) -> Response:
    item = _shared(web, code)
    if isinstance(item, Response):
        return item
    document = ctdl.ctdl_description(item.credential, subject_webpage=_page_url(web, item))
    return _download(document, "application/ld+json", f"{_stem(item)}-ctdl.json")
