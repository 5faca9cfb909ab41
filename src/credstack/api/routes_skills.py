"""Skills intelligence over HTTP: text to skills, gap analysis, optimal learning paths,
pathway progress, and alignment suggestions for issuers.

Credentials sent here are verified first (offline, with this server's organisations and status
lists); only those that verify count, and the answer lists the others with the reason.  The
skills framework is ESCO v1.2 (attribution in ``GET /skills/frameworks``).
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from credstack.api.context import AppContext, Bearer, Ctx
from credstack.api.routes_vcapi import verifier_inputs
from credstack.errors import InvalidInput, NotFound
from credstack.platform.accounts import Action
from credstack.platform.domain import AchievementStatus
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import signing_key
from credstack.platform.organisations import issuer_profile
from credstack.skills.catalog import Achievement, Catalog
from credstack.skills.clr import clr_bundler
from credstack.skills.pathways import (
    Pathway,
    Progress,
    complete_pathway,
    parse_pathway,
    progress,
    verify_credentials,
)
from credstack.skills.profile import SkillProfile
from credstack.skills.service import ATTRIBUTIONS, SkillsService, catalog_item
from credstack.verify.verifier import Verifier, VerifyOptions

router = APIRouter(tags=["skills"])

MAX_TEXT = 100_000
MAX_CREDENTIALS = 200
MAX_URIS = 500
MAX_CATALOG = 50_000
_lock = threading.Lock()

Uri = Annotated[str, Field(min_length=1, max_length=512)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatchBody(_Body):
    text: str = Field(max_length=MAX_TEXT)
    top: int = Field(default=10, ge=1, le=50)


class GapBody(_Body):
    occupation: Uri | None = None
    posting: str | None = Field(default=None, max_length=MAX_TEXT)
    include_optional: bool = False
    credentials: list[Any] = Field(default_factory=list, max_length=MAX_CREDENTIALS)
    declared: list[Uri] = Field(default_factory=list, max_length=MAX_URIS)


class CatalogItem(_Body):
    id: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=500)
    skills: list[Uri] = Field(max_length=200)
    hours: float = Field(ge=0)
    price: float = Field(ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    prerequisites: list[str] = Field(default_factory=list, max_length=200)
    issuer: str = Field(min_length=1, max_length=500)
    quality: float | None = Field(default=None, ge=0, le=1)


class PlanBody(_Body):
    need: list[Uri] | None = Field(default=None, max_length=MAX_URIS)
    occupation: Uri | None = None
    include_optional: bool = False
    have: list[Uri] = Field(default_factory=list, max_length=MAX_URIS)
    credentials: list[Any] = Field(default_factory=list, max_length=MAX_CREDENTIALS)
    catalog: list[CatalogItem] | None = Field(default=None, max_length=MAX_CATALOG)
    minimize: Literal["hours", "price"] = "hours"
    min_quality: float | None = Field(default=None, ge=0, le=1)
    pathway: dict[str, Any] | None = None


class ProgressBody(_Body):
    rules: dict[str, Any]
    credentials: list[Any] = Field(max_length=MAX_CREDENTIALS)


class Recipient(_Body):
    email: str | None = Field(default=None, max_length=254)
    did: str | None = Field(default=None, max_length=512)


class CompleteBody(_Body):
    rules: dict[str, Any]
    credentials: list[Any] = Field(max_length=MAX_CREDENTIALS)
    recipient: Recipient
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)


class SuggestBody(_Body):
    text: str = Field(max_length=MAX_TEXT)
    top: int = Field(default=8, ge=1, le=30)


def configure(app: FastAPI, service: SkillsService) -> None:
    """Give the app its skills engine (one per process; the index is cached on disk)."""
    app.state.skills = service


def _service(request: Request) -> SkillsService:
    with _lock:
        found = getattr(request.app.state, "skills", None)
        if found is None:
            found = request.app.state.skills = SkillsService()
        assert isinstance(found, SkillsService)
        return found


def _verified(
    ctx: AppContext,
    credentials: list[Any],
    *,
    recipient_did: str | None = None,
    recipient_email: str | None = None,
) -> tuple[list[Any], list[Any], list[Any]]:
    """(verified documents, their summaries, rejected) — verified offline against this
    server's organisations and status lists (and, if given, issued to that recipient)."""
    with ctx.work() as uow:
        resolver, lists = verifier_inputs(ctx, uow, credentials)
    at = ctx.clock()
    earned, rejected = verify_credentials(
        ((f"credentials[{i}]", c) for i, c in enumerate(credentials)),
        at=at,
        verifier=Verifier(resolver),
        options=VerifyOptions(at=at, status_lists=lists),
        recipient_did=recipient_did,
        recipient_email=recipient_email,
    )
    documents = [e.document for e in earned if e.document is not None]
    return documents, earned, rejected


@router.get("/skills/frameworks", summary="The skills frameworks and their attribution")
def frameworks(request: Request) -> dict[str, Any]:
    framework = _service(request).framework
    return {
        "frameworks": [
            {
                "name": framework.name,
                "version": framework.version,
                "skills": len(framework.skills),
                "occupations": len(framework.occupations),
                "relations": framework.relation_count,
            }
        ],
        "attribution": [
            {"name": a.name, "version": a.version, "notice": a.notice} for a in ATTRIBUTIONS
        ],
    }


@router.post("/skills/match", summary="Text (course, posting, criteria, CV) to ranked skills")
def match(body: MatchBody, request: Request) -> dict[str, Any]:
    return _service(request).match(body.text, top=body.top).to_json()


@router.get("/skills/concept", summary="One skill: label, description, broader groups")
def concept(request: Request, uri: Annotated[str, Query(max_length=512)]) -> dict[str, Any]:
    framework = _service(request).framework
    skill = framework.skill(uri)
    return {
        "uri": skill.uri,
        "label": skill.label,
        "description": skill.description,
        "type": skill.skill_type,
        "altLabels": list(skill.alt_labels),
        "broader": [{"uri": g, "label": framework.label_of(g)} for g in skill.broader],
        "occupations": [
            {"uri": o, "label": framework.label_of(o)}
            for o in framework.occupations_needing(uri)[:50]
        ],
        "alignment": framework.alignment(uri),
    }


@router.get("/skills/occupation", summary="One occupation and the skills it needs")
def occupation(request: Request, uri: Annotated[str, Query(max_length=512)]) -> dict[str, Any]:
    framework = _service(request).framework
    found = framework.occupation(uri)
    return {
        "uri": found.uri,
        "label": found.label,
        "description": found.description,
        "iscoCode": found.isco_code,
        "essential": [{"uri": u, "label": framework.label_of(u)} for u in found.essential],
        "optional": [{"uri": u, "label": framework.label_of(u)} for u in found.optional],
    }


def _profile_json(profile: SkillProfile, rejected: list[Any]) -> dict[str, Any]:
    return {**profile.to_json(), "rejected": [r.to_json() for r in rejected]}


@router.post("/skills/gap", summary="Skill gap against an occupation or a job posting")
def gap(body: GapBody, ctx: Ctx, request: Request) -> dict[str, Any]:
    service = _service(request)
    documents, _, rejected = _verified(ctx, body.credentials)
    profile = service.profile(documents, body.declared)
    report, found = service.gap(
        profile,
        occupation=body.occupation,
        posting=body.posting,
        include_optional=body.include_optional,
    )
    out: dict[str, Any] = {"gap": report.to_json(), "profile": _profile_json(profile, rejected)}
    if found is not None and found.notice:
        out["notice"] = found.notice
    return out


def _platform_catalog(ctx: AppContext) -> Catalog:
    """Every published achievement of this server that names skills and a workload."""
    items: list[Achievement] = []
    with ctx.work() as uow:
        for org in uow.organisations.list():
            for version in uow.achievements.for_organisation(org.id):
                if version.status is not AchievementStatus.PUBLISHED:
                    continue
                item = catalog_item(version.achievement_id, version.data, org.name)
                if item is not None:
                    items.append(item)
    return Catalog.of(items)


@router.post("/skills/plan", summary="The optimal learning path to close a skill gap")
def plan(body: PlanBody, ctx: Ctx, request: Request) -> dict[str, Any]:
    service = _service(request)
    pathway = parse_pathway(body.pathway) if body.pathway is not None else None
    need = service.needed(
        need=body.need, occupation=body.occupation, include_optional=body.include_optional
    )
    if not need and pathway is None:
        raise InvalidInput("give the needed skills, an occupation URI or a pathway")
    documents, earned, rejected = _verified(ctx, body.credentials)
    held = set(body.have) | set(service.profile(documents).proven)
    if body.catalog is not None:
        catalog = Catalog.of(
            Achievement(
                id=i.id,
                name=i.name,
                skills=tuple(i.skills),
                hours=i.hours,
                price=i.price,
                issuer=i.issuer,
                prerequisites=tuple(i.prerequisites),
                currency=i.currency,
                quality=i.quality,
            )
            for i in body.catalog
        )
    else:
        catalog = _platform_catalog(ctx)
        if body.minimize == "price":
            raise InvalidInput("the platform catalog has no prices: minimize hours, or send one")
    result = service.plan(
        catalog,
        need,
        have=held,
        have_achievements=[e.achievement_id for e in earned],
        minimize=body.minimize,
        min_quality=body.min_quality,
        pathway=pathway,
    )
    return {**result.to_json(), "rejected": [r.to_json() for r in rejected]}


@router.post("/pathways/progress", summary="Progress on a stackable pathway")
def pathway_progress(body: ProgressBody, ctx: Ctx) -> dict[str, Any]:
    pathway = parse_pathway(body.rules)
    _, earned, rejected = _verified(ctx, body.credentials)
    result: dict[str, Any] = progress(pathway, earned, rejected=rejected).to_json()
    return result


@router.post(
    "/orgs/{slug}/skills/suggest",
    summary="Skills alignments suggested for an achievement's text (issuers)",
)
def suggest(
    slug: str, body: SuggestBody, ctx: Ctx, credentials: Bearer, request: Request
) -> dict[str, Any]:
    with ctx.work() as uow:
        ctx.member(uow, credentials, slug, Action.ISSUE)
    found, notice = _service(request).suggest(body.text, top=body.top)
    suggestions = [
        {
            "skill": {"url": s.url, "name": s.name, "framework": s.framework, "code": s.code},
            "score": s.score,
            "evidence": list(s.evidence),
        }
        for s in found
    ]
    out: dict[str, Any] = {"suggestions": suggestions}
    if notice:
        out["notice"] = notice
    return out


@router.post(
    "/orgs/{slug}/pathways/complete",
    status_code=201,
    summary="Award a pathway's qualification and a signed CLR 2.0 bundle (issuers)",
)
def complete(slug: str, body: CompleteBody, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    """The learner's credentials must verify and be issued to ``recipient``; the rule must be
    met (409 naming what is missing otherwise); the qualification (``issues.achievement``, a
    published achievement of this organisation) is issued once per idempotency key."""
    pathway = parse_pathway(body.rules)
    if pathway.qualification is None:
        raise InvalidInput("the pathway names no qualification to award (issues.achievement)")
    recipient = body.recipient
    if recipient.email is None and recipient.did is None:
        raise InvalidInput("the recipient needs an e-mail address or a DID")
    with ctx.work() as uow:  # authorise before verifying anything
        ctx.member(uow, credentials, slug, Action.ISSUE)
    _, earned, rejected = _verified(
        ctx, body.credentials, recipient_did=recipient.did, recipient_email=recipient.email
    )
    at = ctx.clock()
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.ISSUE)
        versions = [
            v
            for v in uow.achievements.versions(pathway.qualification)
            if v.organisation_id == org.id and v.status is AchievementStatus.PUBLISHED
        ]
        if not versions:
            raise NotFound(f"{slug} has no published achievement {pathway.qualification}")
        issuer = Issuer(uow, ctx.custody, org, ctx.base_url)
        request = IssueRequest(
            email=recipient.email, did=recipient.did, idempotency_key=body.idempotency_key
        )

        def award(_pathway: Pathway, _state: Progress) -> dict[str, Any]:
            issued = issuer.issue(versions[-1], request, at=at)
            document: dict[str, Any] = json.loads(issued.credential_json)
            return document

        done = complete_pathway(
            pathway,
            earned,
            rejected=rejected,
            issue=award,
            bundle=clr_bundler(
                signing_key(uow, ctx.custody, org),
                issuer=issuer_profile(org),
                at=at,
                subject_id=recipient.did,
            ),
        )
    return {
        "qualification": done.qualification,
        "clr": done.clr,
        "progress": done.progress.to_json(),
    }
