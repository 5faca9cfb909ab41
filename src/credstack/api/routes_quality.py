"""The EU standard-element report (:mod:`credstack.quality`) of an organisation's achievements
and issued credentials, for its members (role ``viewer`` and up).  Rules: ``docs/quality.md``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from credstack.api.context import Bearer, Ctx, foreign_as_missing
from credstack.errors import NotFound
from credstack.platform import achievements, issuance
from credstack.platform.accounts import Action
from credstack.platform.domain import AchievementVersion, Organisation
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.vcapi import is_placeholder
from credstack.quality import ElementReport, check_achievement, check_credential

router = APIRouter(prefix="/orgs/{slug}", tags=["quality"])


def achievement_report(organisation: Organisation, version: AchievementVersion) -> ElementReport:
    """The element report of one version, as its credentials will carry it (the organisation's
    profile is the issuer)."""
    profile = issuer_profile(organisation)
    return check_achievement(
        achievements.render_achievement(version, organisation), issuer_profile=profile
    )


def _version(
    uow: UnitOfWork, org: Organisation, achievement_id: str, number: int | None, base_url: str
) -> AchievementVersion:
    versions = uow.achievements.versions(achievement_id)
    if (
        not versions
        or versions[0].organisation_id != org.id
        or is_placeholder(versions[0], base_url, org)
    ):
        raise NotFound(f"no achievement {achievement_id}")
    if number is None:
        return versions[-1]
    for version in versions:
        if version.version == number:
            return version
    raise NotFound(f"achievement {achievement_id} has no version {number}")


@router.get(
    "/achievements/{achievement_uuid}/quality",
    summary="EU standard elements of an achievement version (the latest unless ?version=N)",
)
def achievement_quality(
    slug: str,
    achievement_uuid: str,
    ctx: Ctx,
    credentials: Bearer,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        achievement_id = achievements.achievement_url(ctx.base_url, org, achievement_uuid)
        found = _version(uow, org, achievement_id, version, ctx.base_url)
    report = achievement_report(org, found)
    return {
        "achievement": found.achievement_id,
        "versionId": found.id,
        "version": found.version,
        "status": found.status.value,
        **report.to_json(),
    }


@router.get(
    "/credentials/{credential_id}/quality",
    summary="EU standard elements of an issued credential",
)
def credential_quality(
    slug: str, credential_id: str, ctx: Ctx, credentials: Bearer
) -> dict[str, Any]:
    with ctx.work() as uow:
        _, org = ctx.member(uow, credentials, slug, Action.READ)
        with foreign_as_missing("credential"):
            found = issuance.get_credential(uow, org, credential_id)
    report = check_credential(json.loads(found.credential_json))
    return {"credential": found.id, **report.to_json()}
