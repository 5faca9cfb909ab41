"""Versioned achievements: draft → published → retired.

A draft is edited in place.  Editing a published achievement makes a new draft version; the
published one keeps serving until the new version is published, which retires it.  Every
version keeps the achievement's stable id (the OB impl guide: same id from the same issuer =
versions of one achievement), and issued credentials embed the version they were issued
from, so they never change after the fact.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from credstack.errors import InvalidState, NotFound, PermissionDenied
from credstack.platform.achievement_design import AchievementDesign, to_achievement
from credstack.platform.domain import AchievementStatus, AchievementVersion, Organisation
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork


def _validated(design: dict[str, Any]) -> dict[str, Any]:
    """The design in its canonical form (raises InvalidInput with readable messages)."""
    return AchievementDesign.from_json(design).to_data()


def achievement_url(base_url: str, organisation: Organisation, achievement_uuid: str) -> str:
    return f"{base_url.rstrip('/')}/orgs/{organisation.slug}/achievements/{achievement_uuid}"


def create_achievement(
    uow: UnitOfWork,
    organisation: Organisation,
    design: dict[str, Any],
    *,
    base_url: str,
    at: datetime,
) -> AchievementVersion:
    version = AchievementVersion(
        id=str(uuid.uuid4()),
        achievement_id=achievement_url(base_url, organisation, str(uuid.uuid4())),
        organisation_id=organisation.id,
        version=1,
        status=AchievementStatus.DRAFT,
        data=_validated(design),
        created_at=at,
    )
    uow.achievements.add(version)
    return version


def _versions(
    uow: UnitOfWork, organisation: Organisation, achievement_id: str
) -> list[AchievementVersion]:
    versions = uow.achievements.versions(achievement_id)
    if not versions:
        raise NotFound(f"no achievement {achievement_id}")
    if versions[0].organisation_id != organisation.id:
        raise PermissionDenied(f"achievement {achievement_id} belongs to another organisation")
    return versions


def get_version(uow: UnitOfWork, organisation: Organisation, version_id: str) -> AchievementVersion:
    version = uow.achievements.get_version(version_id)
    if version is None:
        raise NotFound(f"no achievement version {version_id}")
    if version.organisation_id != organisation.id:
        raise PermissionDenied(f"achievement version {version_id} belongs to another organisation")
    return version


def revise(
    uow: UnitOfWork,
    organisation: Organisation,
    achievement_id: str,
    design: dict[str, Any],
    *,
    at: datetime,
) -> AchievementVersion:
    """Edit: a draft changes in place; otherwise a new draft version is made."""
    data = _validated(design)
    latest = _versions(uow, organisation, achievement_id)[-1]
    if latest.status is AchievementStatus.DRAFT:
        updated = replace(latest, data=data)
        uow.achievements.update(updated)
        return updated
    new = AchievementVersion(
        id=str(uuid.uuid4()),
        achievement_id=achievement_id,
        organisation_id=organisation.id,
        version=latest.version + 1,
        status=AchievementStatus.DRAFT,
        data=data,
        created_at=at,
    )
    uow.achievements.add(new)
    return new


def publish(
    uow: UnitOfWork, organisation: Organisation, version_id: str, *, at: datetime
) -> AchievementVersion:
    """Publish a draft; the previously published version of the achievement is retired."""
    version = get_version(uow, organisation, version_id)
    if version.status is not AchievementStatus.DRAFT:
        raise InvalidState(f"version {version.version} is {version.status}, not a draft")
    for other in uow.achievements.versions(version.achievement_id):
        if other.status is AchievementStatus.PUBLISHED:
            uow.achievements.update(replace(other, status=AchievementStatus.RETIRED))
    published = replace(version, status=AchievementStatus.PUBLISHED, published_at=at)
    uow.achievements.update(published)
    return published


def retire(
    uow: UnitOfWork, organisation: Organisation, version_id: str, *, at: datetime
) -> AchievementVersion:
    version = get_version(uow, organisation, version_id)
    if version.status is AchievementStatus.RETIRED:
        return version
    retired = replace(version, status=AchievementStatus.RETIRED)
    uow.achievements.update(retired)
    return retired


def issuable(uow: UnitOfWork, organisation: Organisation, version_id: str) -> AchievementVersion:
    version = get_version(uow, organisation, version_id)
    if version.status is not AchievementStatus.PUBLISHED:
        raise InvalidState(
            f"achievement version {version.version} is {version.status}; only a published "
            "version can be issued"
        )
    return version


def render_achievement(version: AchievementVersion, organisation: Organisation) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` JSON of a version (EU elements mapped per docs/eu-elements.md)."""
    achievement = to_achievement(
        AchievementDesign.from_json(version.data),
        achievement_id=version.achievement_id,
        issuer_profile=issuer_profile(organisation),
    )
    achievement.setdefault("version", str(version.version))
    return achievement
