"""The issuer console (``/console``): organisations, keys, the achievement designer, issuing
one by one or in bulk, credentials with revocation and suspension, endorsements.

Every page needs a signed-in staff user, and every organisation page checks the user's role
there with :func:`credstack.platform.accounts.authorise`, exactly as the JSON API does: a
viewer sees, an issuer also designs and issues, an owner also manages keys and the profile.
Pages only offer the actions the role allows.  Ids of another organisation's achievements,
versions, credentials and jobs are answered as missing (404), as in the API.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from credstack.api.context import foreign_as_missing
from credstack.api.routes_orgs import run_in_background
from credstack.api.routes_quality import achievement_report
from credstack.errors import (
    Conflict,
    CredstackError,
    InvalidInput,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from credstack.platform import achievements, bulk, bulkfile, endorsements, issuance
from credstack.platform.accounts import ROLE_ACTIONS, Action, Principal, authorise
from credstack.platform.domain import (
    AchievementStatus,
    AchievementVersion,
    Endorsement,
    IssuanceJob,
    IssuedCredential,
    JobStatus,
    Organisation,
    Role,
    UserKind,
)
from credstack.platform.keys import rotate_key
from credstack.platform.organisations import create_organisation, update_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.vcapi import is_placeholder
from credstack.quality import ElementReport
from credstack.skills.service import SkillsService, SkillSuggestion
from credstack.web import console_design
from credstack.web.console_design import DesignForm, kept_parts
from credstack.web.console_images import (
    MAX_IMAGE_BYTES,
    PALETTES,
    SVG,
    check_data_uri,
    check_image,
    data_uri,
    generated_badge,
)
from credstack.web.core import Web, WebDep, form, redirect, render, require, text, upload_bytes
from credstack.web.routes_trust import endorsements_context

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE_SIZE = 20
MAX_JOB_ERRORS_SHOWN = 200
MAX_IMAGE_FIELD = MAX_IMAGE_BYTES * 4 // 3 + 64  # a data: URI of the largest image
NOT_CONFIGURED = (
    "Skill suggestions are not available: no skills service is configured on this server. "
    "You can still save the design without them."
)
PREVIEW_ID = "urn:uuid:00000000-0000-4000-8000-000000000000"
PREVIEW_EMAIL = "learner@example.org"
PREVIEW_SALT = "0" * 32


# ------------------------------------------------------------------ access


@dataclass(frozen=True, slots=True)
class Member:
    """The signed-in user in one organisation, with the role that let them in."""

    principal: Principal
    org: Organisation
    role: Role

    def may(self, action: Action) -> bool:
        return action in ROLE_ACTIONS[self.role] and action.value in self.principal.token.scopes


@dataclass
class Fields:
    """A simple form's values and problems, for re-showing it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.problems)


def _member(web: Web, uow: UnitOfWork, principal: Principal, slug: str, action: Action) -> Member:
    org = web.ctx.organisation(uow, slug)
    return Member(principal, org, authorise(uow, principal, org, action))


def _staff(web: Web) -> Principal:
    return require(web, UserKind.STAFF)


def _page(
    web: Web,
    member: Member,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    values = {
        "org": member.org,
        "role": member.role.value,
        "can_issue": member.may(Action.ISSUE),
        "can_manage": member.may(Action.MANAGE),
        **(context or {}),
    }
    return render(web, template, values, status=status, principal=member.principal)


def _fields(data: FormData, limits: Mapping[str, int]) -> Fields:
    fields = Fields()
    for name, limit in limits.items():
        raw = data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if len(value) > limit:
            fields.errors[name] = f"at most {limit} characters"
        fields.values[name] = value[:limit]
    return fields


# ------------------------------------------------------------------ organisations

ORG_FIELDS = {"slug": 64, "name": 200, "url": 2048, "email": 254, "country": 2, "image": 2048}


def _profile_changes(fields: Fields) -> dict[str, Any]:
    for name in ("url", "image"):
        value = fields.value(name)
        if value and not value.startswith(("https://", "http://")):
            fields.errors[name] = "give an http(s) URL, e.g. https://example.org"
    return {
        "name": fields.value("name"),
        "url": fields.value("url") or None,
        "email": fields.value("email") or None,
        "country": fields.value("country").upper() or None,
        "image": fields.value("image") or None,
    }


@router.get("", response_class=HTMLResponse)
def console_home(web: WebDep) -> Response:
    principal = _staff(web)
    return _home(web, principal, Fields())


def _home(web: Web, principal: Principal, fields: Fields, status: int = 200) -> HTMLResponse:
    with web.ctx.work() as uow:
        memberships: list[tuple[Organisation, str]] = []
        for m in uow.users.memberships(principal.user.id):
            org = uow.organisations.get(m.organisation_id)
            if org is not None:
                memberships.append((org, m.role.value))
    memberships.sort(key=lambda item: item[0].name.lower())
    context = {"memberships": memberships, "fields": fields}
    return render(web, "console/index.html", context, status=status, principal=principal)


@router.post("", response_class=HTMLResponse)
async def create_org(web: WebDep) -> Response:
    principal = _staff(web)
    fields = _fields(await form(web), ORG_FIELDS)
    changes = _profile_changes(fields)
    if principal.token.organisation_id is not None:
        fields.problems.append("an organisation token cannot create organisations")
    if fields.has_errors:
        return _home(web, principal, fields, status=400)
    try:
        with web.ctx.work() as uow:
            org = create_organisation(
                uow,
                web.ctx.custody,
                host=web.ctx.host,
                slug=fields.value("slug"),
                at=web.now,
                owner=principal.user,
                **changes,
            )
    except (InvalidInput, Conflict) as exc:
        fields.problems.append(exc.message)
        return _home(web, principal, fields, status=400)
    return redirect(f"/console/{org.slug}")


@router.get("/{slug}", response_class=HTMLResponse)
def org_page(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    return _org_page(web, principal, slug, None)


def _org_page(
    web: Web, principal: Principal, slug: str, fields: Fields | None, status: int = 200
) -> HTMLResponse:
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        keys = sorted(
            uow.keys.for_organisation(m.org.id),
            key=lambda k: (k.activated_at, len(k.fragment), k.fragment),  # key-2 before key-10
        )
        latest = [
            v
            for v in uow.achievements.for_organisation(m.org.id)
            if not is_placeholder(v, web.ctx.base_url, m.org)
        ]
    if fields is None:
        fields = Fields(
            values={
                "name": m.org.name,
                "url": m.org.url or "",
                "email": m.org.email or "",
                "country": m.org.country or "",
                "image": m.org.image or "",
            }
        )
    context = {
        "keys": keys,
        "achievements": [_achievement_row(v) for v in latest],
        "fields": fields,
        "did_json": f"/orgs/{m.org.slug}/did.json",
        "saved": web.request.query_params.get("saved"),
    }
    return _page(web, m, "console/org.html", context, status=status)


@router.post("/{slug}/profile", response_class=HTMLResponse)
async def edit_profile(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    fields = _fields(await form(web), ORG_FIELDS)
    changes = _profile_changes(fields)
    if fields.has_errors:
        return _org_page(web, principal, slug, fields, status=400)
    try:
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.MANAGE)
            update_profile(uow, m.org.id, **changes)
    except InvalidInput as exc:
        fields.problems.append(exc.message)
        return _org_page(web, principal, slug, fields, status=400)
    return redirect(f"/console/{slug}?saved=profile")


@router.post("/{slug}/keys/rotate", response_class=HTMLResponse)
async def rotate(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    await form(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.MANAGE)
        rotate_key(uow, web.ctx.custody, m.org, web.now)
    return redirect(f"/console/{slug}?saved=key")


# ------------------------------------------------------------------ achievements


def _uuid(version: AchievementVersion) -> str:
    return version.achievement_id.rsplit("/", 1)[-1]


def _achievement_row(version: AchievementVersion) -> dict[str, Any]:
    return {
        "uuid": _uuid(version),
        "name": str(version.data.get("name", "")),
        "version": version.version,
        "status": version.status.value,
        "image": version.data.get("image"),
    }


def _versions(
    web: Web, uow: UnitOfWork, m: Member, achievement_uuid: str
) -> list[AchievementVersion]:
    achievement_id = achievements.achievement_url(web.ctx.base_url, m.org, achievement_uuid)
    versions = uow.achievements.versions(achievement_id)
    if (
        not versions
        or versions[0].organisation_id != m.org.id
        or is_placeholder(versions[0], web.ctx.base_url, m.org)
    ):
        raise NotFound("there is no such achievement in this organisation")
    return versions


def _published(versions: list[AchievementVersion]) -> AchievementVersion | None:
    return next((v for v in versions if v.status is AchievementStatus.PUBLISHED), None)


def _abbreviated(value: Any) -> Any:
    """The preview JSON with long ``data:`` URIs (embedded images) cut short for reading."""
    if isinstance(value, dict):
        return {k: _abbreviated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_abbreviated(v) for v in value]
    if isinstance(value, str) and value.startswith("data:") and len(value) > 120:
        return f"{value[:60]}… ({len(value):,} characters)"
    return value


def _preview(web: Web, org: Organisation, version: AchievementVersion) -> tuple[str, str | None]:
    """The credential a learner would get from ``version`` (unsigned, built by the issuing
    code) as indented JSON, and a warning if such a credential could not be issued."""
    try:
        achievement = achievements.render_achievement(version, org)
        credential = issuance.build_credential(
            org,
            achievement,
            issuance.IssueRequest(email=PREVIEW_EMAIL),
            credential_id=PREVIEW_ID,
            status=None,
            at=web.now,
            salt=PREVIEW_SALT,
        )
    except InvalidInput as exc:
        return "", f"This version cannot be issued: {exc.message}"
    warning = None
    try:
        issuance.serialize(credential)
    except InvalidInput as exc:
        warning = (
            f"Credentials of this version cannot be issued: {exc.message}. Use a smaller image."
        )
    return json.dumps(_abbreviated(credential), indent=2, ensure_ascii=False), warning


def _quality(org: Organisation, version: AchievementVersion) -> ElementReport | None:
    """The version's EU standard-element report (None if it cannot be rendered at all)."""
    try:
        return achievement_report(org, version)
    except InvalidInput:
        return None


def _design_context(
    f: DesignForm,
    *,
    action: str,
    suggestions: list[SkillSuggestion] | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    chosen = {s["url"] for s in f.skills}
    return {
        "f": f,
        "form_action": action,
        "suggestions": [s for s in suggestions or [] if s.url not in chosen],
        "suggest_notice": notice,
        "skill_value": console_design.skill_value,
        "labels": console_design.FIELD_LABELS,
        "achievement_types": _with_current(
            console_design.ACHIEVEMENT_TYPES, f.value("achievement_type")
        ),
        "result_types": _with_current(console_design.RESULT_TYPES, f.value("grade_result_type")),
        "assessment_choices": console_design.ASSESSMENT_TYPES,
        "participation_forms": console_design.PARTICIPATION_FORMS,
        "supervisions": console_design.SUPERVISIONS,
        "stackability_modes": console_design.STACKABILITY_MODES,
        "palettes": [(key, label) for key, (label, _, _) in PALETTES.items()],
        "max_image_mb": MAX_IMAGE_BYTES // 1_048_576,
    }


def _with_current(options: list[str], current: str) -> list[str]:
    return options if not current or current in options else [current, *options]


@router.get("/{slug}/achievements/new", response_class=HTMLResponse)
def new_achievement(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
    f = DesignForm(values={"achievement_type": "MicroCredential"})
    context = _design_context(f, action=f"/console/{slug}/achievements")
    return _page(web, m, "console/achievement_new.html", context)


@router.get("/{slug}/achievements/{achievement_uuid}", response_class=HTMLResponse)
def achievement_page(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        versions = _versions(web, uow, m, achievement_uuid)
    return _achievement_page(web, m, versions, DesignForm.from_design(versions[-1].data))


def _achievement_page(
    web: Web,
    m: Member,
    versions: list[AchievementVersion],
    f: DesignForm,
    *,
    status: int = 200,
    suggestions: list[SkillSuggestion] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    latest = versions[-1]
    preview, warning = _preview(web, m.org, latest)
    action = f"/console/{m.org.slug}/achievements/{_uuid(latest)}"
    context = {
        **_design_context(f, action=action, suggestions=suggestions, notice=notice),
        "versions": versions,
        "latest": latest,
        "published": _published(versions),
        "uuid": _uuid(latest),
        "design": latest.data,
        "preview": preview,
        "preview_warning": warning,
        "quality": _quality(m.org, latest),
        "saved": web.request.query_params.get("saved"),
        **endorsements_context(web, {latest.achievement_id: ""}),  # each verified
    }
    return _page(web, m, "console/achievement.html", context, status=status)


@router.post("/{slug}/achievements", response_class=HTMLResponse)
async def create_achievement(slug: str, web: WebDep) -> Response:
    return await _save_design(web, slug, None)


@router.post("/{slug}/achievements/{achievement_uuid}", response_class=HTMLResponse)
async def revise_achievement(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    return await _save_design(web, slug, achievement_uuid)


async def _save_design(web: Web, slug: str, achievement_uuid: str | None) -> Response:
    """Save the designer form (a new achievement, or a revision), or suggest skills for it."""
    principal = _staff(web)

    def load() -> tuple[Member, list[AchievementVersion]]:  # before the upload is read
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.ISSUE)
            return m, _versions(web, uow, m, achievement_uuid) if achievement_uuid else []

    m, versions = await run_in_threadpool(load)
    data = await form(web, max_bytes=web.ctx.limits.form_upload_bytes, max_files=1)
    try:
        return await _design_posted(web, m, versions, data)
    finally:
        await data.close()


async def _design_posted(
    web: Web, m: Member, versions: list[AchievementVersion], data: FormData
) -> Response:
    stored = versions[-1].data if versions else None
    f = DesignForm.from_form(data, kept_parts(stored))
    await _settle_image(f, data, stored.get("image") if stored else None)
    slug = m.org.slug

    def page(
        status: int,
        suggestions: list[SkillSuggestion] | None = None,
        notice: str | None = None,
    ) -> HTMLResponse:
        if versions:
            return _achievement_page(
                web, m, versions, f, status=status, suggestions=suggestions, notice=notice
            )
        context = _design_context(
            f, action=f"/console/{slug}/achievements", suggestions=suggestions, notice=notice
        )
        return _page(web, m, "console/achievement_new.html", context, status=status)

    if data.get("action") == "suggest":
        suggestions, notice = await _suggest(web, f)
        return page(200, suggestions, notice)
    design = f.design()
    if design is None:
        return page(400)

    def save() -> AchievementVersion:
        with web.ctx.work() as uow:
            if not versions:
                return achievements.create_achievement(
                    uow, m.org, design, base_url=web.ctx.base_url, at=web.now
                )
            return achievements.revise(uow, m.org, versions[0].achievement_id, design, at=web.now)

    try:
        saved = await run_in_threadpool(save)
    except InvalidInput as exc:
        f.problems.append(exc.message)
        return page(400)
    return redirect(f"/console/{slug}/achievements/{_uuid(saved)}?saved={saved.version}")


async def _settle_image(f: DesignForm, data: FormData, stored: str | None) -> None:
    """The design's image: a new upload, a generated badge, none, or the one it had (an
    image that came back through the form is checked again unless it is the stored one)."""
    try:
        upload = await upload_bytes(data, "image_file", max_bytes=MAX_IMAGE_BYTES)
    except InvalidInput as exc:
        f.errors["image_file"] = f"{exc.message}; choose a smaller image (nothing was saved)"
        upload = None
    current = data.get("image_current")
    f.image = None
    if upload is not None:
        try:
            f.image = data_uri(check_image(upload), upload)
        except InvalidInput as exc:
            f.errors["image_file"] = f"{exc.message} (nothing was saved)"
    elif data.get("generate_image") == "yes":
        colour = data.get("image_colour")
        palette = colour if isinstance(colour, str) and colour in PALETTES else "blue"
        f.image = data_uri(SVG, generated_badge(f.value("name") or "Badge", palette))
    elif data.get("remove_image") != "yes" and isinstance(current, str) and current:
        try:
            if len(current) > MAX_IMAGE_FIELD:
                raise InvalidInput("the image is too large")
            fresh = current != stored and current.startswith("data:")
            f.image = check_data_uri(current) if fresh else current
        except InvalidInput as exc:
            f.errors.setdefault("image_file", exc.message)


async def _suggest(web: Web, f: DesignForm) -> tuple[list[SkillSuggestion], str | None]:
    service = getattr(web.request.app.state, "skills", None)
    if not isinstance(service, SkillsService):
        return [], NOT_CONFIGURED
    words = f.value("skills_text") or " ".join(
        f.value(n) for n in ("name", "description", "criteria_narrative", "learning_outcomes")
    )
    if not words.strip():
        return [], "Describe the achievement (or fill in the text box) to get suggestions."
    try:
        return await run_in_threadpool(service.suggest, words, top=8)
    except CredstackError as exc:
        return [], exc.message


@router.post("/{slug}/achievements/{achievement_uuid}/publish", response_class=HTMLResponse)
async def publish_version(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    principal = _staff(web)
    version_id = text(await form(web), "version_id", max_length=64, required=True)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
        versions = _versions(web, uow, m, achievement_uuid)
        if version_id not in {v.id for v in versions}:
            raise NotFound("there is no such version of this achievement")
        published = achievements.publish(uow, m.org, version_id, at=web.now)
    return redirect(f"/console/{slug}/achievements/{achievement_uuid}?saved={published.version}")


@router.post("/{slug}/achievements/{achievement_uuid}/versions", response_class=HTMLResponse)
async def new_version(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    """A new draft version, a copy of the published one, to edit."""
    principal = _staff(web)
    await form(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
        versions = _versions(web, uow, m, achievement_uuid)
        if versions[-1].status is AchievementStatus.DRAFT:
            raise InvalidState(f"version {versions[-1].version} is a draft already: edit it")
        made = achievements.revise(
            uow, m.org, versions[-1].achievement_id, versions[-1].data, at=web.now
        )
    return redirect(f"/console/{slug}/achievements/{achievement_uuid}?saved={made.version}")


# ------------------------------------------------------------------ issuing one credential

ISSUE_FIELDS = {"email": 254, "narrative": 10_000, "request_key": 64}


@router.get("/{slug}/achievements/{achievement_uuid}/issue", response_class=HTMLResponse)
def issue_page(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
        versions = _versions(web, uow, m, achievement_uuid)
    fields = Fields(values={"request_key": secrets.token_urlsafe(18)})
    return _issue_page(web, m, versions, fields)


def _issue_page(
    web: Web, m: Member, versions: list[AchievementVersion], fields: Fields, status: int = 200
) -> HTMLResponse:
    context = {
        "fields": fields,
        "uuid": _uuid(versions[-1]),
        "name": versions[-1].data.get("name", ""),
        "published": _published(versions),
    }
    return _page(web, m, "console/issue.html", context, status=status)


@router.post("/{slug}/achievements/{achievement_uuid}/issue", response_class=HTMLResponse)
async def issue_one(slug: str, achievement_uuid: str, web: WebDep) -> Response:
    principal = _staff(web)
    fields = _fields(await form(web), ISSUE_FIELDS)
    if not fields.value("email"):
        fields.errors["email"] = "enter the learner's e-mail address"

    def issue() -> Response:
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.ISSUE)
            versions = _versions(web, uow, m, achievement_uuid)
        version = _published(versions)
        if fields.has_errors or version is None:
            return _issue_page(web, m, versions, fields, status=400)
        key = fields.value("request_key")
        request = issuance.IssueRequest(
            email=fields.value("email"),
            narrative=fields.value("narrative") or None,
            idempotency_key=f"console:{key}" if key else None,
        )
        try:
            with web.ctx.work() as uow:
                issuer = issuance.Issuer(uow, web.ctx.custody, m.org, web.ctx.base_url)
                issued = issuer.issue(version, request, at=web.now)
        except (InvalidInput, Conflict) as exc:
            fields.errors["email"] = exc.message
            return _issue_page(web, m, versions, fields, status=400)
        context = {"credential": issued, "email": request.email, "name": version.data["name"]}
        return _page(web, m, "console/issued.html", context)

    return await run_in_threadpool(issue)


# ------------------------------------------------------------------ bulk issuing


def _issuable_versions(web: Web, uow: UnitOfWork, m: Member) -> list[dict[str, Any]]:
    out = []
    for latest in uow.achievements.for_organisation(m.org.id):
        if is_placeholder(latest, web.ctx.base_url, m.org):
            continue
        version = _published(uow.achievements.versions(latest.achievement_id))
        if version is not None:
            out.append(
                {"id": version.id, "uuid": _uuid(version), "name": version.data.get("name", "")}
            )
    return sorted(out, key=lambda v: str(v["name"]).lower())


@router.get("/{slug}/jobs", response_class=HTMLResponse)
def jobs_page(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        jobs = sorted(uow.jobs.for_organisation(m.org.id), key=lambda j: j.created_at)[::-1]
        names = _version_names(uow, [j.achievement_version_id for j in jobs[:50]])
    return _page(web, m, "console/jobs.html", {"jobs": jobs[:50], "names": names})


def _version_names(uow: UnitOfWork, version_ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for version_id in dict.fromkeys(version_ids):
        version = uow.achievements.get_version(version_id)
        names[version_id] = str(version.data.get("name", "")) if version else ""
    return names


@router.get("/{slug}/jobs/new", response_class=HTMLResponse)
def new_job(slug: str, web: WebDep, achievement: str | None = None) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
        choices = _issuable_versions(web, uow, m)
    chosen = next((c["id"] for c in choices if c["uuid"] == achievement), "")
    context = {"choices": choices, "fields": Fields(values={"version": chosen}), "report": None}
    return _page(web, m, "console/job_new.html", context)


@router.post("/{slug}/jobs", response_class=HTMLResponse)
async def create_job(slug: str, web: WebDep) -> Response:
    """Upload a bulk file: a dry run shows each row's problems; a real run starts a job."""
    principal = _staff(web)

    def member() -> Member:  # before a byte of the upload is read
        with web.ctx.work() as uow:
            return _member(web, uow, principal, slug, Action.ISSUE)

    m = await run_in_threadpool(member)
    data = await form(web, max_bytes=web.ctx.limits.upload_bytes, max_files=1)
    try:
        return await _job_posted(web, m, data)
    finally:
        await data.close()


async def _job_posted(web: Web, m: Member, data: FormData) -> Response:
    limit = web.ctx.limits.upload_bytes
    fields = Fields(values={"version": text(data, "version", max_length=64)})
    dry = data.get("dry_run") == "yes"
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        fields.errors["file"] = "choose a CSV or JSON Lines file to upload"
    if not fields.value("version"):
        fields.errors["version"] = "choose the achievement to issue"

    def run() -> Response:
        with web.ctx.work() as uow:
            choices = _issuable_versions(web, uow, m)
            if not fields.has_errors:
                try:
                    with foreign_as_missing("achievement version"):
                        achievements.issuable(uow, m.org, fields.value("version"))
                except (NotFound, InvalidState) as exc:
                    fields.errors["version"] = exc.message
        context: dict[str, Any] = {"choices": choices, "fields": fields, "report": None}
        if fields.has_errors:
            return _page(web, m, "console/job_new.html", context, status=400)
        assert isinstance(upload, UploadFile)
        if dry:
            context["report"] = bulkfile.dry_run(upload.file, max_bytes=limit)
            context["dry_run"] = True
            return _page(web, m, "console/job_new.html", context)
        with web.ctx.work() as uow:
            job = bulk.create_job(
                uow,
                m.org,
                fields.value("version"),
                bulkfile.parse_bulk(upload.file, max_bytes=limit),
                at=web.now,
            )
        ctx = web.ctx
        ctx.run_job(lambda: run_in_background(ctx, m.org.id, job.id))
        return redirect(f"/console/{m.org.slug}/jobs/{job.id}")

    return await run_in_threadpool(run)


def _job_state(job: IssuanceJob) -> dict[str, Any]:
    done = job.issued + job.invalid
    finished = job.status in (JobStatus.DONE, JobStatus.FAILED)
    label = f"{done} of {job.total} rows done: {job.issued} issued, {job.invalid} with problems"
    if job.status is JobStatus.DONE:
        label += ". Finished."
    elif job.status is JobStatus.FAILED:
        label += f". The job failed: {job.error or 'unknown error'}."
    return {
        "total": job.total,
        "done": done,
        "label": label,
        "finished": finished,
        "reload": finished,
    }


@router.get("/{slug}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(slug: str, job_id: str, web: WebDep) -> Response:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        with foreign_as_missing("job"):
            job = bulk.get_job(uow, m.org, job_id)
        rows = list(itertools.islice(uow.jobs.rows(job_id, status="invalid"), MAX_JOB_ERRORS_SHOWN))
        name = _version_names(uow, [job.achievement_version_id])[job.achievement_version_id]
    context = {"job": job, "state": _job_state(job), "rows": rows, "name": name}
    return _page(web, m, "console/job.html", context)


@router.get("/{slug}/jobs/{job_id}/status.json")
def job_status(slug: str, job_id: str, web: WebDep) -> JSONResponse:
    principal = _staff(web)
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        with foreign_as_missing("job"):
            job = bulk.get_job(uow, m.org, job_id)
    return JSONResponse(_job_state(job), headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ credentials


def _credential_row(
    uow: UnitOfWork, credential: IssuedCredential, names: dict[str, str]
) -> dict[str, Any]:
    if credential.achievement_version_id not in names:
        names.update(_version_names(uow, [credential.achievement_version_id]))
    return {
        "credential": credential,
        "name": names[credential.achievement_version_id],
        "recipient": credential.recipient_did
        or ("an e-mail address (hashed)" if credential.recipient_email_hash else "—"),
    }


@router.get("/{slug}/credentials", response_class=HTMLResponse)
def credentials_page(
    slug: str,
    web: WebDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    principal = _staff(web)
    query = q.strip()
    names: dict[str, str] = {}
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        if query:
            found = uow.credentials.get(query)
            items = [found] if found is not None and found.organisation_id == m.org.id else []
            total = len(items)
        else:
            items, total = uow.credentials.for_organisation(
                m.org.id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        rows = [_credential_row(uow, c, names) for c in items]
    pages = max(1, -(-total // PAGE_SIZE))
    context = {"rows": rows, "total": total, "page": page, "pages": pages, "q": query}
    return _page(web, m, "console/credentials.html", context)


@router.get("/{slug}/credentials/{credential_id}", response_class=HTMLResponse)
def credential_page(slug: str, credential_id: str, web: WebDep) -> Response:
    principal = _staff(web)
    return _credential_page(web, principal, slug, credential_id, Fields())


def _credential_page(
    web: Web,
    principal: Principal,
    slug: str,
    credential_id: str,
    fields: Fields,
    *,
    template: str = "console/credential.html",
    status: int = 200,
) -> HTMLResponse:
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        with foreign_as_missing("credential"):
            credential = issuance.get_credential(uow, m.org, credential_id)
        row = _credential_row(uow, credential, {})
        version = uow.achievements.get_version(credential.achievement_version_id)
    document = json.loads(credential.credential_json)
    context = {
        **row,
        "uuid": _uuid(version) if version else None,
        "json": json.dumps(_abbreviated(document), indent=2, ensure_ascii=False),
        "fields": fields,
        "suspendable": issuance.suspension_entry(credential) is not None,
        "reinstated": web.request.query_params.get("reinstated") == "1",
        "max_suspension_reason": issuance.MAX_SUSPENSION_REASON,
    }
    return _page(web, m, template, context, status=status)


@router.post("/{slug}/credentials/{credential_id}/revoke", response_class=HTMLResponse)
async def revoke(slug: str, credential_id: str, web: WebDep) -> Response:
    """Step one shows what will happen and asks to confirm; step two revokes."""
    principal = _staff(web)
    data = await form(web)
    fields = _fields(data, {"reason": 1000})
    with web.ctx.work() as uow:  # the role is checked before anything is shown
        _member(web, uow, principal, slug, Action.ISSUE)
    if not fields.value("reason"):
        fields.errors["reason"] = "give the reason for revoking (it is recorded)"
    if fields.has_errors:
        return _credential_page(web, principal, slug, credential_id, fields, status=400)
    if data.get("confirm") != "yes":
        return _credential_page(
            web, principal, slug, credential_id, fields, template="console/revoke_confirm.html"
        )
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.ISSUE)
        with foreign_as_missing("credential"):
            issuance.revoke(uow, m.org, credential_id, reason=fields.value("reason"), at=web.now)
    return redirect(f"/console/{slug}/credentials/{credential_id}?revoked=1")


@router.post("/{slug}/credentials/{credential_id}/suspend", response_class=HTMLResponse)
async def suspend(slug: str, credential_id: str, web: WebDep) -> Response:
    """Step one shows what will happen and asks to confirm; step two suspends."""
    principal = _staff(web)
    data = await form(web)
    fields = _fields(data, {"suspension_reason": issuance.MAX_SUSPENSION_REASON})
    with web.ctx.work() as uow:  # the role is checked before anything is shown
        _member(web, uow, principal, slug, Action.ISSUE)
    if not fields.value("suspension_reason"):
        fields.errors["suspension_reason"] = "give the reason for suspending (it is recorded)"
    if fields.has_errors:
        return _credential_page(web, principal, slug, credential_id, fields, status=400)
    if data.get("confirm") != "yes":
        return _credential_page(
            web, principal, slug, credential_id, fields, template="console/suspend_confirm.html"
        )
    reason = fields.value("suspension_reason")
    try:
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.ISSUE)
            with foreign_as_missing("credential"):
                issuance.suspend(uow, m.org, credential_id, reason=reason, at=web.now)
    except InvalidState as exc:  # revoked meanwhile, or not suspendable
        fields.problems.append(exc.message)
        return _credential_page(web, principal, slug, credential_id, fields, status=409)
    return redirect(f"/console/{slug}/credentials/{credential_id}?suspended=1")


@router.post("/{slug}/credentials/{credential_id}/reinstate", response_class=HTMLResponse)
async def reinstate(slug: str, credential_id: str, web: WebDep) -> Response:
    """Lift the suspension (it can be suspended again, so no confirmation is asked)."""
    principal = _staff(web)
    await form(web)
    try:
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.ISSUE)
            with foreign_as_missing("credential"):
                issuance.reinstate(uow, m.org, credential_id, at=web.now)
    except InvalidState as exc:
        fields = Fields(problems=[exc.message])
        return _credential_page(web, principal, slug, credential_id, fields, status=409)
    return redirect(f"/console/{slug}/credentials/{credential_id}?reinstated=1")


# ------------------------------------------------------------------ endorsements

ENDORSE_FIELDS = {
    "subject_id": 2048,
    "comment": endorsements.MAX_COMMENT,
    "name": endorsements.MAX_NAME,
}


def _endorsement_row(uow: UnitOfWork, e: Endorsement, org: Organisation) -> dict[str, Any]:
    document = json.loads(e.credential_json)
    issuer = document.get("issuer", {})
    subject = document.get("credentialSubject", {})
    endorser = uow.organisations.get(e.endorser_organisation_id)
    return {
        "id": e.id,
        "endorser": endorser.name if endorser else str(issuer.get("name", "")),
        "subject": e.subject_id,
        "comment": str(subject.get("endorsementComment", "")),
        "created_at": e.created_at,
        "mine": e.endorser_organisation_id == org.id,
    }


@router.get("/{slug}/endorsements", response_class=HTMLResponse)
def endorsements_page(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    return _endorsements_page(web, principal, slug, Fields())


def _endorsements_page(
    web: Web, principal: Principal, slug: str, fields: Fields, status: int = 200
) -> HTMLResponse:
    with web.ctx.work() as uow:
        m = _member(web, uow, principal, slug, Action.READ)
        given = uow.endorsements.by_endorser(m.org.id)
        subjects = [m.org.did] + [
            v.achievement_id
            for v in uow.achievements.for_organisation(m.org.id)
            if not is_placeholder(v, web.ctx.base_url, m.org)
        ]
        received = [e for s in subjects for e in uow.endorsements.for_subject(s)]
        context = {
            "given": [_endorsement_row(uow, e, m.org) for e in given],
            "received": [_endorsement_row(uow, e, m.org) for e in received],
            "fields": fields,
            "endorsed": web.request.query_params.get("endorsed"),
        }
    return _page(web, m, "console/endorsements.html", context, status=status)


@router.post("/{slug}/endorsements", response_class=HTMLResponse)
async def endorse(slug: str, web: WebDep) -> Response:
    principal = _staff(web)
    fields = _fields(await form(web), ENDORSE_FIELDS)
    for name, message in (("subject_id", "what do you endorse?"), ("comment", "add a comment")):
        if not fields.value(name):
            fields.errors[name] = message
    if fields.has_errors:
        return _endorsements_page(web, principal, slug, fields, status=400)

    def sign() -> None:
        with web.ctx.work() as uow:
            m = _member(web, uow, principal, slug, Action.ISSUE)
            endorsements.endorse(
                uow,
                web.ctx.custody,
                m.org,
                subject_id=fields.value("subject_id"),
                comment=fields.value("comment"),
                name=fields.value("name") or None,
                at=web.now,
            )

    try:
        await run_in_threadpool(sign)
    except (InvalidInput, NotFound, ValidationFailed) as exc:
        fields.errors["subject_id"] = exc.message
        return _endorsements_page(web, principal, slug, fields, status=400)
    return redirect(f"/console/{slug}/endorsements?endorsed=1")
