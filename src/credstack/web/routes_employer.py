"""Employers' pages, and the learner's side of a verification request.

* ``/employer``: start a verification request (a one-time challenge for this server's domain,
  from the same store ``POST /challenges`` uses) and send its link to the candidate;
* ``/wallet/present`` (learners): choose credentials and let the wallet sign a presentation
  over the request's challenge with the learner's wallet key; copy it or download it;
* ``/employer/verify``: paste or upload the presentation; its challenge is used up (a replay
  is refused) and the holder's signature and every credential with its status are checked,
  as ``POST /presentations/verify`` does;
* ``/employer/search`` and ``/employer/candidates/{handle}``: learners who opted in, ranked by
  how many of the asked skills their verified, shared credentials cover; opening a candidate
  is recorded for the learner to see.

Only employer accounts use ``/employer/*`` (learners and staff get the 403 page).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from credstack.api.routes_vcapi import verifier_inputs
from credstack.errors import InvalidInput
from credstack.platform.accounts import Principal
from credstack.platform.candidates import (
    AskedSkill,
    Candidate,
    VerdictCache,
    ask,
    candidate_profile,
    find_candidates,
    parse_skills,
    record_view,
    shared_credentials,
    skills_lookup,
)
from credstack.platform.domain import UserKind
from credstack.platform.presentations import (
    MAX_PRESENTATION_BYTES,
    MAX_PRESENTED,
    REQUEST_TTL,
    build_presentation,
    check_challenge,
    consume_challenge,
    new_challenge,
    open_learner_key,
    parse_presentation,
    presentation_answer,
    verify_presentation,
)
from credstack.platform.wallet import WalletItem, owned_item
from credstack.skills.service import SkillsService
from credstack.verify.verifier import Verifier
from credstack.web.core import Web, WebDep, form, render, require, text, upload_bytes
from credstack.web.routes_trust import employer_registries, issuer_lines
from credstack.web.verification import PlatformLookup, ReportView, explain
from credstack.web.wallet_keys import wallet_did
from credstack.web.wallet_verify import Verdict, check_texts

router = APIRouter(include_in_schema=False)

_LIMIT = f"{MAX_PRESENTATION_BYTES // 1_048_576} MB"
#: a verify form with the largest presentation, with room for its multipart envelope
MAX_VERIFY_FORM = MAX_PRESENTATION_BYTES + 256 * 1024
#: the present form: item ids, challenge and domain
MAX_PRESENT_FORM = 64 * 1024
#: credentials of a wallet verified on the present page (the newest; the rest show no verdict)
_VERDICTS_SHOWN = 200
#: pasted text kept in the form after an error (bigger pastes are not echoed back)
_KEEP_PASTE = 256 * 1024
_REPLAYED = (
    "This presentation cannot be checked: its request was already used (each presentation "
    "can be checked once), has expired, or was not made on this server. Ask the candidate "
    "to answer a new verification request."
)


def _employer(web: Web) -> Principal:
    return require(web, UserKind.EMPLOYER)


def _sentence(message: str) -> str:
    message = message.strip().rstrip(".")
    return message[:1].upper() + message[1:] + "."


async def _drain(web: Web) -> None:
    """Read (and drop) a body too big for the page, so the browser gets the answer instead
    of a reset connection; the body limit middleware bounds what is read."""
    async for _ in web.request.stream():
        pass


# ------------------------------------------------------------------------- requests


@router.get("/employer", response_class=HTMLResponse)
def employer_home(web: WebDep) -> Response:
    principal = _employer(web)
    return render(web, "employer/home.html", {"ttl_days": REQUEST_TTL.days}, principal=principal)


@router.post("/employer/requests", response_class=HTMLResponse)
async def new_request(web: WebDep) -> Response:
    principal = _employer(web)
    await form(web)
    with web.ctx.work() as uow:
        challenge = new_challenge(uow, domain=web.ctx.host, at=web.now, ttl=REQUEST_TTL)
    query = urlencode({"challenge": challenge.value, "domain": challenge.domain})
    context = {
        "challenge": challenge,
        "link": f"{web.ctx.base_url.rstrip('/')}/wallet/present?{query}",
    }
    return render(web, "employer/request.html", context, principal=principal, status=201)


# ------------------------------------------------------------------------- the learner


def _present_page(
    web: Web,
    principal: Principal,
    *,
    challenge: str,
    domain: str,
    chosen: Sequence[str] = (),
    error: str | None = None,
    status: int = 200,
) -> Response:
    items = web.state.wallet.items_for(principal.user.id)
    checked = check_texts(web.ctx, [i.credential_json for i in items[:_VERDICTS_SHOWN]])
    verdicts: list[Verdict | None] = [c.verdict for c in checked]
    verdicts += [None] * (len(items) - len(verdicts))
    rows = list(zip(items, verdicts, strict=True))
    context = {
        "rows": rows,
        "challenge": challenge,
        "domain": domain,
        "chosen": set(chosen),
        "error": error,
        "max_presented": MAX_PRESENTED,
    }
    return render(web, "employer/present.html", context, principal=principal, status=status)


@router.get("/wallet/present", response_class=HTMLResponse)
def present_page(web: WebDep, challenge: str = "", domain: str = "") -> Response:
    principal = require(web, UserKind.LEARNER)
    return _present_page(web, principal, challenge=challenge[:256], domain=domain[:256])


def _sign(web: Web, principal: Principal, ids: list[str], challenge: str, domain: str) -> str:
    store = web.state.wallet
    items = [owned_item(store, principal.user.id, item_id) for item_id in dict.fromkeys(ids)]
    if len(items) > MAX_PRESENTED:
        raise InvalidInput(f"a presentation holds at most {MAX_PRESENTED} credentials")
    key, _ = wallet_did(store, web.ctx.custody, principal.user.id, at=web.now)
    signed = build_presentation(
        [i.credential for i in items],
        open_learner_key(web.ctx.custody, key),
        challenge=challenge,
        domain=domain,
        at=web.now,
    )
    return json.dumps(signed, indent=2, ensure_ascii=False)


@router.post("/wallet/present", response_class=HTMLResponse)
async def present(web: WebDep) -> Response:
    principal = require(web, UserKind.LEARNER)
    data = await form(web, max_bytes=MAX_PRESENT_FORM)
    challenge = text(data, "challenge", max_length=256)
    domain = text(data, "domain", max_length=256)
    ids = [v for v in data.getlist("item") if isinstance(v, str)][: MAX_PRESENTED + 1]
    try:
        presentation = await run_in_threadpool(_sign, web, principal, ids, challenge, domain)
    except InvalidInput as exc:
        error = _sentence(exc.message)
        return await run_in_threadpool(
            lambda: _present_page(
                web,
                principal,
                challenge=challenge,
                domain=domain,
                chosen=ids,
                error=error,
                status=400,
            )
        )
    context = {"presentation": presentation, "domain": domain, "count": len(set(ids))}
    return render(web, "employer/presented.html", context, principal=principal)


@router.post("/wallet/present/download")
async def download_presentation(web: WebDep) -> Response:
    """The presentation just made, as a file (the page posts back what it shows)."""
    require(web, UserKind.LEARNER)
    data = await form(web, max_bytes=MAX_VERIFY_FORM)
    value = data.get("presentation")
    body = value if isinstance(value, str) else ""
    parse_presentation(body)  # only a presentation is echoed back, and never over the limit
    return Response(
        body.encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="presentation.json"',
            "Cache-Control": "no-store",
        },
    )


# ------------------------------------------------------------------------- verifying


def _verify_form(
    web: Web, principal: Principal, *, error: str | None = None, pasted: str = "", status: int
) -> Response:
    context = {
        "error": error,
        "pasted": pasted if len(pasted) <= _KEEP_PASTE else "",
        "limit": _LIMIT,
    }
    return render(web, "employer/verify.html", context, principal=principal, status=status)


@router.get("/employer/verify", response_class=HTMLResponse)
def verify_page(web: WebDep) -> Response:
    return _verify_form(web, _employer(web), status=200)


def _check(
    web: Web, raw: bytes | str, registries: Sequence[str] | None = None
) -> tuple[ReportView, dict[str, Any]]:
    """Verify a presentation answering one of this server's requests (challenge used up
    first, in its own committed unit of work: a replay finds it used)."""
    document = parse_presentation(raw)
    answer = presentation_answer(document)
    with web.ctx.work() as uow:
        consumed = consume_challenge(uow, answer.challenge, at=web.now)
    try:
        challenge = check_challenge(consumed, domain=web.ctx.host)
    except InvalidInput:
        raise InvalidInput(_REPLAYED, code="INVALID_CHALLENGE_ERROR") from None
    with web.ctx.work() as uow:
        resolver, lists = verifier_inputs(web.ctx, uow, document)
    report = verify_presentation(
        Verifier(resolver), document, challenge=challenge, at=web.now, status_lists=lists
    )
    lookup = PlatformLookup(web.ctx, registries=registries)  # the employer's trust registries
    return explain(report, document, lookup=lookup, level=3), document


@router.post("/employer/verify", response_class=HTMLResponse)
async def verify_submit(web: WebDep) -> Response:
    principal = _employer(web)
    declared = web.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_VERIFY_FORM:
        await _drain(web)
        error = f"The presentation is over the limit of {_LIMIT}."
        return _verify_form(web, principal, error=error, status=413)
    data = await form(web, max_bytes=MAX_VERIFY_FORM, max_files=1)
    value = data.get("presentation")
    pasted = value.strip() if isinstance(value, str) else ""
    try:
        try:
            uploaded = await upload_bytes(data, "file", max_bytes=MAX_PRESENTATION_BYTES)
        finally:
            await data.close()  # the uploaded file's spooled copy
        raw: bytes | str = uploaded if uploaded is not None else pasted
        chosen = employer_registries(web, principal)
        view, document = await run_in_threadpool(_check, web, raw, chosen)
    except InvalidInput as exc:
        return _verify_form(web, principal, error=_sentence(exc.message), pasted=pasted, status=400)
    holder = document.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    context = {"report": view, "holder": holder_id if isinstance(holder_id, str) else None}
    return render(web, "employer/verified.html", context, principal=principal)


# ------------------------------------------------------------------------- search


def _asked(web: Web, names: Sequence[str]) -> list[AskedSkill]:
    service = getattr(web.request.app.state, "skills", None)
    lookup = skills_lookup(service) if isinstance(service, SkillsService) else None
    return ask(names, lookup)


def _verdicts(web: Web) -> VerdictCache:
    """Each wallet item verified at most once in this request, as the wallet pages do."""

    def check(items: Sequence[WalletItem]) -> list[bool]:
        results = check_texts(web.ctx, [i.credential_json for i in items])
        return [r.verdict is Verdict.VALID for r in results]

    return VerdictCache(check)


def _search_link(handle: str, query: str) -> str:
    suffix = f"?{urlencode({'skills': query})}" if query else ""
    return f"/employer/candidates/{handle}{suffix}"


@router.get("/employer/search", response_class=HTMLResponse)
def search(web: WebDep, skills: str | None = None) -> Response:
    principal = _employer(web)
    query = (skills or "").strip()
    context: dict[str, Any] = {"query": query[:2000], "results": None, "error": None}
    if skills is None:
        return render(web, "employer/search.html", context, principal=principal)
    try:
        asked = _asked(web, parse_skills(query))
        results: list[Candidate] = find_candidates(web.state.wallet, asked, _verdicts(web))
    except InvalidInput as exc:
        context["error"] = _sentence(exc.message)
        return render(web, "employer/search.html", context, principal=principal, status=400)
    context.update(
        results=[(c, _search_link(c.profile.handle, query)) for c in results],
        asked=asked,
        framework=any(a.concepts for a in asked),
        recognised=issuer_lines(
            web, principal, [e.item.issuer_id for c in results for e in c.evidence]
        ),
    )
    return render(web, "employer/search.html", context, principal=principal)


@router.get("/employer/candidates/{handle}", response_class=HTMLResponse)
def candidate(web: WebDep, handle: str, skills: str | None = None) -> Response:
    principal = _employer(web)
    store = web.state.wallet
    profile = candidate_profile(store, handle)
    query = (skills or "").strip()
    asked = _asked(web, parse_skills(query)) if query else []
    match, credentials = shared_credentials(store, profile, asked, _verdicts(web))
    record_view(
        store,
        profile,
        viewer_user_id=principal.user.id,
        viewer_label=principal.user.email,
        query=query,
        at=web.now,
    )
    context = {
        "profile": profile,
        "match": match,
        "credentials": credentials,
        "query": query,
        "matched_ids": {i.id for i in match.credentials} if match else set(),
        "recognised": issuer_lines(web, principal, [i.issuer_id for i in credentials]),
    }
    return render(web, "employer/candidate.html", context, principal=principal)
