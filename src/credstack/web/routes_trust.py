"""Trust pages: the registries an employer trusts, and public issuer pages.

* ``/employer/trust`` (employers): tick the deployment's registries to trust; the employer's
  verification and candidate pages then say which of them recognise each issuer.  Until an
  employer chooses, the deployment's default registries apply (as on the public verifier).
* ``/issuers/{slug}`` (public): an organisation's name and DID, which registries recognise it,
  the endorsements it and its achievements received (each verified; invalid ones shown as such
  and never counted) and its published achievements.

Helpers here give other pages the same facts: :func:`employer_registries`,
:func:`endorsements_context` (the ``templates/trust/_endorsements.html`` partial) and
:func:`issuer_lines`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from credstack.api.routes_trust import trust_store, trust_view
from credstack.errors import InvalidInput, NotFound
from credstack.platform.accounts import Principal
from credstack.platform.domain import AchievementStatus, AchievementVersion, UserKind
from credstack.platform.organisations import organisation_did
from credstack.platform.trust import (
    EndorsementView,
    TrustView,
    choose_registries,
    chosen_registries,
    endorsements_of,
    tally,
)
from credstack.platform.vcapi import is_placeholder
from credstack.trust.model import RegistrySource
from credstack.web.core import Web, WebDep, current, form, redirect, render, require, text
from credstack.web.trust_facts import recognition_line, trust_answer

router = APIRouter(include_in_schema=False)

_SOURCES = {
    RegistrySource.LOCAL: "kept by this server's operators",
    RegistrySource.SIGNED_LIST: "signed list",
    RegistrySource.DCC: "DCC issuer registry (unsigned)",
}
_MAX_ACHIEVEMENTS = 200  # published achievements listed on an issuer page
_DESCRIPTION = 400  # characters of an achievement's description shown there


# ------------------------------------------------------------------------- helpers


def employer_registries(web: Web, principal: Principal | None) -> tuple[str, ...] | None:
    """The registries an employer chose (None: not an employer, or never chose)."""
    if principal is None or principal.user.kind is not UserKind.EMPLOYER:
        return None
    return chosen_registries(trust_store(web.ctx), principal.user.id)


def issuer_lines(web: Web, principal: Principal | None, issuers: Iterable[str]) -> dict[str, str]:
    """For each issuer DID, one sentence on who recognises it (the employer's registries)."""
    chosen = employer_registries(web, principal)
    view = trust_view(web.ctx, chosen)
    return {
        did: recognition_line(view.recognise(did), chosen=chosen is not None)
        for did in dict.fromkeys(issuers)
        if did
    }


def issuer_link(web: Web, did: str) -> str | None:
    """The address of the issuer page of ``did``, when it is an organisation of this server."""
    if ":orgs:" not in did:
        return None
    slug = did.rsplit(":orgs:", 1)[1]
    try:
        if organisation_did(web.ctx.host, slug) != did:
            return None
    except InvalidInput:
        return None
    with web.ctx.work() as uow:
        found = uow.organisations.get_by_slug(slug)
    return f"/issuers/{slug}" if found is not None and found.did == did else None


def _endorsement_row(
    e: EndorsementView, subjects: Mapping[str, str], chosen: bool
) -> dict[str, Any]:
    return {
        "id": e.id,
        "endorser": e.endorser_name,
        "endorser_did": e.endorser,
        "title": e.name,
        "comment": e.comment,
        "created_at": e.created_at,
        "status": e.check.label,
        "tone": "ok" if e.counted else "bad",
        "counted": e.counted,
        "reason": e.check.reason if not e.counted else "",
        "subject": subjects.get(e.subject_id, ""),
        "recognition": recognition_line(e.recognition, chosen=chosen) if e.recognition else "",
    }


def endorsements_context(
    web: Web,
    subjects: Mapping[str, str],
    *,
    view: TrustView | None = None,
    chosen: bool = False,
) -> dict[str, Any]:
    """What ``trust/_endorsements.html`` shows: the endorsements of ``subjects`` (id → how
    to name it, e.g. "this credential"), each verified, and the tally of valid ones."""
    trust = view or trust_view(web.ctx)
    with web.ctx.work() as uow:
        views = endorsements_of(uow, list(subjects), trust.checker, trust)
    counts = tally(views)
    return {
        "endorsements": [_endorsement_row(e, subjects, chosen) for e in views],
        "endorsement_tally": counts.text() if views else "",
        "endorsement_counts": counts,
    }


# ------------------------------------------------------------------------- employers


def _registry_rows(web: Web) -> list[dict[str, Any]]:
    store = trust_store(web.ctx)
    counts = store.entry_counts()
    return [
        {
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "source": _SOURCES[r.source],
            "entries": counts.get(r.id, 0),
            "default": r.default,
            "publisher": r.publisher,
        }
        for r in store.registries()
    ]


def _trust_page(
    web: Web,
    principal: Principal,
    *,
    error: str | None = None,
    ticked: Sequence[str] | None = None,
    status: int = 200,
) -> Response:
    rows = _registry_rows(web)
    chosen = chosen_registries(trust_store(web.ctx), principal.user.id)
    if ticked is None:
        ticked = chosen if chosen is not None else [r["id"] for r in rows if r["default"]]
    context = {
        "registries": rows,
        "ticked": set(ticked),
        "chose": chosen is not None,
        "error": error,
        "saved": web.request.query_params.get("saved"),
    }
    return render(web, "trust/employer.html", context, principal=principal, status=status)


@router.get("/employer/trust", response_class=HTMLResponse)
def employer_trust(web: WebDep) -> Response:
    principal = require(web, UserKind.EMPLOYER)
    return _trust_page(web, principal)


@router.post("/employer/trust", response_class=HTMLResponse)
async def employer_trust_save(web: WebDep) -> Response:
    principal = require(web, UserKind.EMPLOYER)
    data = await form(web)
    ids = [v[:100] for v in data.getlist("registry") if isinstance(v, str)][:100]
    store = trust_store(web.ctx)
    if text(data, "action", max_length=20) == "defaults":
        store.clear_choice(principal.user.id)
        return redirect("/employer/trust?saved=defaults")
    try:
        choose_registries(store, principal.user.id, ids, at=web.now)
    except InvalidInput as exc:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        return _trust_page(web, principal, error=message, ticked=ids, status=400)
    return redirect("/employer/trust?saved=1")


# ------------------------------------------------------------------------- issuers


def _published(versions: Iterable[AchievementVersion]) -> list[dict[str, Any]]:
    rows = []
    for version in versions:
        data = version.data
        description = str(data.get("description", ""))
        image = data.get("image")
        rows.append(
            {
                "id": version.achievement_id,
                "name": str(data.get("name", "")),
                "type": str(data.get("achievement_type", "")),
                "description": description[:_DESCRIPTION]
                + ("…" if len(description) > _DESCRIPTION else ""),
                "image": image
                if isinstance(image, str) and image.startswith("data:image/")
                else None,
            }
        )
    return rows


def _issuer_page(web: Web, slug: str) -> dict[str, Any]:
    principal = current(web)
    with web.ctx.work() as uow:
        org = uow.organisations.get_by_slug(slug) if len(slug) <= 64 else None
        if org is None:
            raise NotFound("There is no issuer at this address.")
        published: list[AchievementVersion] = []
        for latest in uow.achievements.for_organisation(org.id)[:_MAX_ACHIEVEMENTS]:
            if is_placeholder(latest, web.ctx.base_url, org):
                continue
            found = next(
                (
                    v
                    for v in uow.achievements.versions(latest.achievement_id)
                    if v.status is AchievementStatus.PUBLISHED
                ),
                None,
            )
            if found is not None:
                published.append(found)
    chosen = employer_registries(web, principal)
    view = trust_view(web.ctx, chosen)
    subjects = {org.did: "the organisation"}
    for version in published:
        subjects[version.achievement_id] = f"the achievement “{version.data.get('name', '')}”"
    endorsements = endorsements_context(web, subjects, view=view, chosen=chosen is not None)
    answer = trust_answer(
        view,
        org.did,
        here=org.name,
        endorsements=endorsements["endorsement_counts"],
        chosen=chosen is not None,
    )
    return {
        "org": org,
        "answer": answer,
        "chosen": chosen is not None,
        "achievements": _published(published),
        **endorsements,
    }


@router.get("/issuers/{slug}", response_class=HTMLResponse)
async def issuer_page_route(web: WebDep, slug: str) -> Response:
    context = await run_in_threadpool(_issuer_page, web, slug)
    return render(web, "trust/issuer.html", context)
