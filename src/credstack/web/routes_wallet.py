"""The learner's wallet pages: claiming from the e-mail link, the list of held credentials with
their verification status, details, import, collections, pathway progress and the portfolio
profile.

Every page is for the signed-in learner's own wallet: another learner's item or collection reads
as missing (404).  Credentials are verified again whenever they are shown, a page (20) at a time.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from credstack.api.context import Ctx
from credstack.api.problems import problem_response
from credstack.errors import Conflict, CredstackError, InvalidInput, NotFound
from credstack.platform import claims
from credstack.platform.accounts import Principal
from credstack.platform.domain import UserKind
from credstack.platform.wallet import (
    MAX_COLLECTION_NAME,
    MAX_CREDENTIAL_BYTES,
    MAX_ITEMS,
    Collection,
    PortfolioProfile,
    Visibility,
    WalletItem,
    WalletStore,
    check_handle,
    new_item,
    owned_item,
    set_visibility,
)
from credstack.web.core import (
    Web,
    WebDep,
    current,
    form,
    redirect,
    render,
    require,
    text,
    upload_bytes,
    web_state,
)
from credstack.web.errors import wants_html
from credstack.web.verification import PlatformLookup, explain
from credstack.web.wallet_import import (
    MAX_IMPORT_BYTES,
    MAX_URL_LENGTH,
    ImportRefused,
    Incoming,
    import_credential,
    read_file,
    read_pasted,
    read_url,
    url_fetcher,
)
from credstack.web.wallet_keys import wallet_did
from credstack.web.wallet_pathways import configured_pathways, wallet_progress
from credstack.web.wallet_verify import check_texts
from credstack.web.wallet_view import VISIBILITY, ItemRow, badge_src

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

#: credentials listed (and verified) per wallet page
PAGE_SIZE = 20
MAX_DISPLAY_NAME = 120
MAX_HEADLINE = 200
MAX_DID = 512
_NO_REFERRER = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _learner(web: Web) -> Principal:
    return require(web, UserKind.LEARNER)


def _store(web: Web) -> WalletStore:
    return web.state.wallet


def _rows(web: Web, items: list[WalletItem]) -> list[ItemRow]:
    checked = check_texts(web.ctx, [i.credential_json for i in items])
    return [
        ItemRow(item, result, badge_src(item.credential, web.ctx.base_url))
        for item, result in zip(items, checked, strict=True)
    ]


# ------------------------------------------------------------------------------ claim


def _claim_context(web: Web, view: claims.ClaimView, token: str) -> dict[str, Any]:
    principal = current(web)
    user = principal.user if principal is not None else None
    key = None
    if user is not None and user.kind is UserKind.LEARNER:
        key = _store(web).key_for(user.id)
    return {
        "view": view,
        "token": token,
        "user": user,
        "wallet_key": key,
        "error": None,
        "did": "",
        "own_did": "",
        "next": f"/claim/{token}",
    }


def _claim_gone(web: Web, error: claims.ClaimGone) -> Response:
    context = {"message": error.message}
    return render(web, "wallet/claim_gone.html", context, status=410, headers=_NO_REFERRER)


def _as_web(request: Request, ctx: Ctx) -> Web:
    request.scope["credstack.web"] = True
    return Web(request, ctx, web_state(request))


@router.get("/claim/{token}", response_class=HTMLResponse)
def claim_page(token: str, request: Request, ctx: Ctx) -> Response:
    """The page the claim e-mail links to.  An API client (not asking for HTML) gets its
    errors as problem+json; a browser gets error pages."""
    try:
        with ctx.work() as uow:
            view = claims.find_claim(uow, token, at=ctx.clock())
    except claims.ClaimGone as exc:
        if not wants_html(request):
            return problem_response(410, exc.message, exc.code)
        return _claim_gone(_as_web(request, ctx), exc)
    web = _as_web(request, ctx)
    return render(web, "wallet/claim.html", _claim_context(web, view, token), headers=_NO_REFERRER)


def _claim_again(web: Web, token: str, error: str, *, did: str = "", own_did: str = "") -> Response:
    """The claim page again, with what went wrong and the user's input."""
    try:
        with web.ctx.work() as uow:
            view = claims.find_claim(uow, token, at=web.now)
    except claims.ClaimGone as exc:
        return _claim_gone(web, exc)
    context = {**_claim_context(web, view, token), "error": error, "did": did, "own_did": own_did}
    return render(web, "wallet/claim.html", context, status=400, headers=_NO_REFERRER)


@router.post("/claim/{token}/wallet", response_class=HTMLResponse)
async def claim_into_wallet(token: str, web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    did = text(data, "did", max_length=MAX_DID)
    user = principal.user
    store = _store(web)

    def run() -> WalletItem:
        at = web.now
        with web.ctx.work() as uow:
            claims.find_claim(uow, token, at=at)  # a dead link makes no key
        if len(store.items_for(user.id)) >= MAX_ITEMS:
            raise InvalidInput(f"your wallet holds {MAX_ITEMS} credentials, its most")
        chosen = did or user.did
        if chosen is None:
            key, _ = wallet_did(store, web.ctx.custody, user.id, at=at)
            chosen = key.did
        with web.ctx.work() as uow:
            result = claims.claim_for_user(
                uow, web.ctx.custody, token, user, did=chosen, base_url=web.ctx.base_url, at=at
            )
        return new_item(store, user.id, result.claimed.credential_json, source="claim", at=at)

    try:
        item = await run_in_threadpool(run)
    except claims.ClaimGone as exc:
        return _claim_gone(web, exc)
    except InvalidInput as exc:
        return _claim_again(web, token, exc.message, did=did)
    return redirect(f"/wallet/{item.id}?claimed=1")


@router.post("/claim/{token}/did", response_class=HTMLResponse)
async def claim_with_own_did(token: str, web: WebDep) -> Response:
    """Claiming without an account: the credential is issued to a DID the person controls and
    shown for them to keep."""
    data = await form(web)
    did = text(data, "own_did", max_length=MAX_DID)

    def run() -> claims.ClaimResult:
        if not did:
            raise InvalidInput("give your DID (it starts with did:)")
        with web.ctx.work() as uow:
            return claims.claim_with_did(
                uow, web.ctx.custody, token, did, base_url=web.ctx.base_url, at=web.now
            )

    try:
        result = await run_in_threadpool(run)
    except claims.ClaimGone as exc:
        return _claim_gone(web, exc)
    except InvalidInput as exc:
        return _claim_again(web, token, exc.message, own_did=did)
    document = json.loads(result.claimed.credential_json)
    encoded = base64.b64encode(result.claimed.credential_json.encode()).decode()
    context = {
        "did": did,
        "achievement_name": _achievement_name(document),
        "credential_text": json.dumps(document, indent=2, ensure_ascii=False),
        "download_href": "data:application/ld+json;base64," + encoded,
    }
    return render(web, "wallet/claimed_did.html", context, headers=_NO_REFERRER)


def _achievement_name(document: dict[str, Any]) -> str:
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return name if isinstance(name, str) else "Your credential"


# ------------------------------------------------------------------------------ the list


@router.get("/wallet", response_class=HTMLResponse)
def wallet_home(web: WebDep, page: int = 1, deleted: int = 0) -> Response:
    principal = _learner(web)
    items = _store(web).items_for(principal.user.id)
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "rows": _rows(web, shown),
        "total": len(items),
        "page": page,
        "pages": pages,
        "deleted": bool(deleted),
    }
    return render(web, "wallet/list.html", context, principal=principal)


# ------------------------------------------------------------------------------ one item


def _detail(
    web: Web, principal: Principal, item: WalletItem, *, notice: str | None = None
) -> Response:
    row = _rows(web, [item])[0]
    view = explain(row.checked.report, item.credential, lookup=PlatformLookup(web.ctx), level=3)
    collections = [
        c for c in _store(web).collections_for(principal.user.id) if item.id in c.item_ids
    ]
    context = {
        "row": row,
        "item": item,
        "report": view,
        "visibilities": VISIBILITY,
        "notice": notice,
        "collections": collections,
    }
    return render(web, "wallet/item.html", context, principal=principal)


_NOTICES = {
    "claimed": "Claimed: the credential is now in your wallet, issued to your DID.",
    "added": "Imported: the credential verified and is now in your wallet.",
    "visibility": "Saved: who can see this credential was changed.",
}


@router.get("/wallet/{item_id:uuid}", response_class=HTMLResponse)
def item_page(item_id: uuid.UUID, web: WebDep, request: Request) -> Response:
    principal = _learner(web)
    item = owned_item(_store(web), principal.user.id, str(item_id))
    notice = next((text for key, text in _NOTICES.items() if key in request.query_params), None)
    return _detail(web, principal, item, notice=notice)


@router.post("/wallet/{item_id:uuid}/visibility", response_class=HTMLResponse)
async def change_visibility(item_id: uuid.UUID, web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    chosen = text(data, "visibility", max_length=20)
    try:
        visibility = Visibility(chosen)
    except ValueError:
        raise InvalidInput("choose public, link-only or private") from None
    set_visibility(_store(web), principal.user.id, str(item_id), visibility)
    return redirect(f"/wallet/{item_id}?visibility=1")


@router.get("/wallet/{item_id:uuid}/delete", response_class=HTMLResponse)
def delete_page(item_id: uuid.UUID, web: WebDep) -> Response:
    principal = _learner(web)
    item = owned_item(_store(web), principal.user.id, str(item_id))
    return render(web, "wallet/delete.html", {"item": item}, principal=principal)


@router.post("/wallet/{item_id:uuid}/delete", response_class=HTMLResponse)
async def delete_item(item_id: uuid.UUID, web: WebDep) -> Response:
    await form(web)
    principal = _learner(web)
    item = owned_item(_store(web), principal.user.id, str(item_id))
    _store(web).delete_item(item.id)
    return redirect("/wallet?deleted=1")


@router.get("/wallet/{item_id:uuid}/credential.json")
def download(item_id: uuid.UUID, web: WebDep) -> Response:
    principal = _learner(web)
    item = owned_item(_store(web), principal.user.id, str(item_id))
    headers = {
        "Content-Disposition": 'attachment; filename="credential.json"',
        "Cache-Control": "no-store",
    }
    return Response(item.credential_json, media_type="application/ld+json", headers=headers)


# ------------------------------------------------------------------------------ import


def _import_page(
    web: Web,
    principal: Principal,
    *,
    error: str | None = None,
    refused: ImportRefused | None = None,
    duplicate: WalletItem | None = None,
    pasted: str = "",
    url: str = "",
    status: int = 200,
) -> Response:
    report = None
    if refused is not None:
        lookup = PlatformLookup(web.ctx)
        report = explain(refused.checked.report, refused.document, lookup=lookup, level=3)
    context = {
        "error": error,
        "report": report,
        "duplicate": duplicate,
        "pasted": pasted,
        "url": url,
        "max_mb": MAX_IMPORT_BYTES // 1_048_576,
        "max_url": MAX_URL_LENGTH,
    }
    return render(web, "wallet/import.html", context, status=status, principal=principal)


@router.get("/wallet/import", response_class=HTMLResponse)
def import_page(web: WebDep) -> Response:
    return _import_page(web, _learner(web))


@router.post("/wallet/import", response_class=HTMLResponse)
async def import_post(web: WebDep) -> Response:
    principal = _learner(web)
    try:
        data = await form(web, max_bytes=MAX_IMPORT_BYTES + 64 * 1024, max_files=1)
    except InvalidInput as exc:  # over the size limit, or not a readable form
        return _import_page(web, principal, error=exc.message, status=400)
    try:
        return await _import(web, principal, data)
    finally:
        await data.close()  # the uploaded file's spool


async def _import(web: Web, principal: Principal, data: FormData) -> Response:
    pasted = url = ""
    incoming: Incoming | None = None
    fetcher = getattr(web.request.app.state, "wallet_fetcher", None) or url_fetcher()
    try:
        how = text(data, "how", max_length=20)
        if how == "file":
            content = await upload_bytes(data, "file", max_bytes=MAX_IMPORT_BYTES)
            if content is None:
                raise InvalidInput("choose a file to import")
            incoming = await run_in_threadpool(read_file, content)
        elif how == "paste":
            pasted = text(data, "json", max_length=MAX_CREDENTIAL_BYTES)
            incoming = read_pasted(pasted)
        elif how == "url":
            url = text(data, "url", max_length=MAX_URL_LENGTH)
            incoming = await run_in_threadpool(read_url, url, fetcher)
        else:
            raise InvalidInput("choose how to import: a file, pasted JSON or a web address")
        item, _ = await run_in_threadpool(
            import_credential, web.ctx, _store(web), principal.user.id, incoming, at=web.now
        )
    except ImportRefused as exc:
        refused = exc
        return await run_in_threadpool(
            lambda: _import_page(
                web,
                principal,
                error=refused.message,
                refused=refused,
                pasted=pasted,
                url=url,
                status=400,
            )
        )
    except Conflict as exc:
        held = None if incoming is None else _same_credential(web, principal, incoming)
        return _import_page(
            web, principal, error=exc.message, duplicate=held, pasted=pasted, url=url, status=409
        )
    except CredstackError as exc:
        return _import_page(web, principal, error=exc.message, pasted=pasted, url=url, status=400)
    return redirect(f"/wallet/{item.id}?added=1")


def _same_credential(web: Web, principal: Principal, incoming: Incoming) -> WalletItem | None:
    credential_id = json.loads(incoming.text).get("id")
    return next(
        (i for i in _store(web).items_for(principal.user.id) if i.credential_id == credential_id),
        None,
    )


# ------------------------------------------------------------------------------ collections


def _owned_collection(web: Web, principal: Principal, collection_id: uuid.UUID) -> Collection:
    for collection in _store(web).collections_for(principal.user.id):
        if collection.id == str(collection_id):
            return collection
    raise NotFound("no such collection in your wallet")


def _collections_page(
    web: Web, principal: Principal, *, error: str | None = None, name: str = "", status: int = 200
) -> Response:
    context = {
        "collections": _store(web).collections_for(principal.user.id),
        "error": error,
        "name": name,
        "max_name": MAX_COLLECTION_NAME,
    }
    return render(web, "wallet/collections.html", context, status=status, principal=principal)


@router.get("/wallet/collections", response_class=HTMLResponse)
def collections_page(web: WebDep) -> Response:
    return _collections_page(web, _learner(web))


@router.post("/wallet/collections", response_class=HTMLResponse)
async def create_collection(web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    name = text(data, "name", max_length=10_000)
    if not name:
        return _collections_page(web, principal, error="give the collection a name", status=400)
    if len(name) > MAX_COLLECTION_NAME:
        error = f"a collection name is at most {MAX_COLLECTION_NAME} characters"
        return _collections_page(web, principal, error=error, name=name, status=400)
    made = Collection(str(uuid.uuid4()), principal.user.id, name, web.now)
    _store(web).save_collection(made)
    return redirect(f"/wallet/collections/{made.id}")


@router.get("/wallet/collections/{collection_id:uuid}", response_class=HTMLResponse)
def collection_page(collection_id: uuid.UUID, web: WebDep) -> Response:
    principal = _learner(web)
    collection = _owned_collection(web, principal, collection_id)
    held = {i.id: i for i in _store(web).items_for(principal.user.id)}
    members = [held[i] for i in collection.item_ids if i in held]
    others = [i for i in held.values() if i.id not in collection.item_ids]
    context = {"collection": collection, "members": members, "others": others}
    return render(web, "wallet/collection.html", context, principal=principal)


@router.post("/wallet/collections/{collection_id:uuid}/items", response_class=HTMLResponse)
async def add_to_collection(collection_id: uuid.UUID, web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    collection = _owned_collection(web, principal, collection_id)
    item = owned_item(_store(web), principal.user.id, text(data, "item_id", max_length=64))
    if item.id not in collection.item_ids:
        collection = replace(collection, item_ids=(*collection.item_ids, item.id))
        _store(web).save_collection(collection)
    return redirect(f"/wallet/collections/{collection.id}")


@router.post("/wallet/collections/{collection_id:uuid}/remove", response_class=HTMLResponse)
async def remove_from_collection(collection_id: uuid.UUID, web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    collection = _owned_collection(web, principal, collection_id)
    item_id = text(data, "item_id", max_length=64)
    kept = tuple(i for i in collection.item_ids if i != item_id)
    _store(web).save_collection(replace(collection, item_ids=kept))
    return redirect(f"/wallet/collections/{collection.id}")


@router.post("/wallet/collections/{collection_id:uuid}/delete", response_class=HTMLResponse)
async def delete_collection(collection_id: uuid.UUID, web: WebDep) -> Response:
    await form(web)
    principal = _learner(web)
    collection = _owned_collection(web, principal, collection_id)
    _store(web).delete_collection(collection.id)
    return redirect("/wallet/collections")


# ------------------------------------------------------------------------------ pathways


@router.get("/wallet/pathways", response_class=HTMLResponse)
def pathways_page(web: WebDep) -> Response:
    principal = _learner(web)
    pathways = configured_pathways(web.request.app)
    result = None
    if pathways:
        store = _store(web)
        key = store.key_for(principal.user.id)
        result = wallet_progress(
            web.ctx,
            pathways,
            store.items_for(principal.user.id),
            recipient_did=principal.user.did or (key.did if key is not None else None),
            recipient_email=principal.user.email,
        )
    context = {"configured": bool(pathways), "result": result}
    return render(web, "wallet/pathways.html", context, principal=principal)


# ------------------------------------------------------------------------------ profile


def _profile_page(
    web: Web,
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    store = _store(web)
    profile = store.get_profile(principal.user.id)
    if values is None:
        values = {
            "handle": profile.handle if profile else "",
            "display_name": profile.display_name if profile else "",
            "headline": profile.headline if profile else "",
            "searchable": profile.searchable if profile else False,
        }
    context = {
        "profile": profile,
        "values": values,
        "views": store.views_for(principal.user.id)[:200],
        "error": error,
        "notice": notice,
        "max_name": MAX_DISPLAY_NAME,
        "max_headline": MAX_HEADLINE,
    }
    return render(web, "wallet/profile.html", context, status=status, principal=principal)


_PROFILE_NOTICES = {
    "saved": "Saved: your portfolio profile was updated.",
    "withdrawn": "Withdrawn: employers can no longer find you by your skills.",
}


@router.get("/wallet/profile", response_class=HTMLResponse)
def profile_page(web: WebDep, request: Request) -> Response:
    principal = _learner(web)
    notice = next((t for k, t in _PROFILE_NOTICES.items() if k in request.query_params), None)
    return _profile_page(web, principal, notice=notice)


@router.post("/wallet/profile", response_class=HTMLResponse)
async def save_profile(web: WebDep) -> Response:
    data = await form(web)
    principal = _learner(web)
    values: dict[str, Any] = {
        "handle": text(data, "handle", max_length=200),
        "display_name": text(data, "display_name", max_length=10_000),
        "headline": text(data, "headline", max_length=10_000),
        "searchable": data.get("searchable") == "on",
    }
    try:
        handle = check_handle(values["handle"])
        if not values["display_name"]:
            raise InvalidInput("give the name to show on your portfolio")
        if len(values["display_name"]) > MAX_DISPLAY_NAME:
            raise InvalidInput(f"the display name is at most {MAX_DISPLAY_NAME} characters")
        if len(values["headline"]) > MAX_HEADLINE:
            raise InvalidInput(f"the headline is at most {MAX_HEADLINE} characters")
        profile = PortfolioProfile(
            user_id=principal.user.id,
            handle=handle,
            display_name=values["display_name"],
            headline=values["headline"],
            searchable=values["searchable"],
            updated_at=web.now,
        )
        _store(web).save_profile(profile)
    except Conflict:
        error = f"the portfolio address {values['handle']} is taken; choose another"
        return _profile_page(web, principal, values=values, error=error, status=409)
    except InvalidInput as exc:
        return _profile_page(web, principal, values=values, error=exc.message, status=400)
    return redirect("/wallet/profile?saved=1")


@router.post("/wallet/profile/withdraw", response_class=HTMLResponse)
async def withdraw(web: WebDep) -> Response:
    await form(web)
    principal = _learner(web)
    store = _store(web)
    profile = store.get_profile(principal.user.id)
    if profile is not None and profile.searchable:
        store.save_profile(replace(profile, searchable=False, updated_at=web.now))
    return redirect("/wallet/profile?withdrawn=1")
