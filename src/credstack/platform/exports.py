"""The exported forms of stored credentials: OB 2.0 hosted assertions, badges and issuers.

OB 2.0 hosted assertions are public by design (a verifier fetches the assertion URL), so one
is served for every credential issued here, with the recipient only as a salted hash (the
OB 3.0 credential's own hash for e-mail recipients).  A revoked credential answers 410 with
the OB 2.0 revoked form; so does a suspended one (OB 2.0 knows no suspension) until it is
reinstated.  The published revocation reason is a fixed text, never the recorded one.

Paths (under the server's base URL):

* ``/ob2/assertions/{uuid}`` — the Assertion of credential ``urn:uuid:{uuid}``;
* ``/ob2/badges/{version id}`` — the BadgeClass of an achievement version;
* ``/ob2/assertions/{uuid}/badge`` — the BadgeClass of a credential supplied whole through
  the VC-API (its achievement is the one inside the credential, not a stored version);
* ``/ob2/issuers/{slug}`` — the organisation's issuer Profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from credstack.errors import InvalidInput, NotFound
from credstack.exports import ob2
from credstack.platform.achievements import render_achievement
from credstack.platform.domain import AchievementStatus, IssuedCredential, Organisation
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.vcapi import is_placeholder

__all__ = [
    "HostedDocument",
    "assertion_path",
    "hosted_assertion",
    "hosted_badge",
    "hosted_credential_badge",
    "hosted_issuer",
]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


@dataclass(frozen=True, slots=True)
class HostedDocument:
    """An OB 2.0 document and the HTTP status it is served with (200, or 410 when revoked)."""

    status: int
    document: dict[str, Any]


def assertion_path(credential_id: str | None) -> str | None:
    """``/ob2/assertions/{uuid}`` for a ``urn:uuid:`` credential id, else ``None``."""
    if credential_id is None or not credential_id.startswith("urn:uuid:"):
        return None
    value = credential_id.removeprefix("urn:uuid:").lower()
    return f"/ob2/assertions/{value}" if _UUID.match(value) else None


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def _issuer_url(base_url: str, organisation: Organisation) -> str:
    return f"{_base(base_url)}/ob2/issuers/{organisation.slug}"


def _credential(uow: UnitOfWork, credential_uuid: str) -> IssuedCredential:
    value = credential_uuid.lower()
    found = uow.credentials.get(f"urn:uuid:{value}") if _UUID.match(value) else None
    if found is None:
        raise NotFound("no credential issued here has this assertion address")
    return found


def _organisation(uow: UnitOfWork, organisation_id: str) -> Organisation:
    found = uow.organisations.get(organisation_id)
    if found is None:
        raise NotFound("the credential's organisation no longer exists")
    return found


def _document(credential: IssuedCredential) -> dict[str, Any]:
    document = orjson.loads(credential.credential_json)
    if not isinstance(document, dict):
        raise InvalidInput("the stored credential is not a JSON object")
    return document


def _badge_url(uow: UnitOfWork, base_url: str, credential: IssuedCredential) -> str:
    version = uow.achievements.get_version(credential.achievement_version_id)
    organisation = _organisation(uow, credential.organisation_id)
    path = assertion_path(credential.id)
    if version is None or is_placeholder(version, base_url, organisation):
        return f"{_base(base_url)}{path}/badge"
    return f"{_base(base_url)}/ob2/badges/{version.id}"


def hosted_assertion(uow: UnitOfWork, *, base_url: str, credential_uuid: str) -> HostedDocument:
    """The Assertion of a credential issued here (410 + revoked form when it is revoked or
    suspended); :class:`NotFound` for any other id."""
    credential = _credential(uow, credential_uuid)
    url = f"{_base(base_url)}{assertion_path(credential.id)}"
    if credential.revoked_at is not None:
        return HostedDocument(410, ob2.revoked_assertion(url))
    if credential.suspended_at is not None:
        return HostedDocument(410, ob2.revoked_assertion(url, reason=ob2.SUSPENDED_REASON))
    organisation = _organisation(uow, credential.organisation_id)
    urls = ob2.HostedUrls(
        assertion=url,
        badge=_badge_url(uow, base_url, credential),
        issuer=_issuer_url(base_url, organisation),
    )
    return HostedDocument(200, ob2.assertion(_document(credential), urls=urls))


def hosted_badge(uow: UnitOfWork, *, base_url: str, version_id: str) -> dict[str, Any]:
    """The BadgeClass of a published (or retired) achievement version."""
    version = uow.achievements.get_version(version_id) if _UUID.match(version_id) else None
    if version is None or version.status is AchievementStatus.DRAFT:
        raise NotFound("there is no badge at this address")
    organisation = _organisation(uow, version.organisation_id)
    if is_placeholder(version, base_url, organisation):
        raise NotFound("there is no badge at this address")
    return ob2.badge_class(
        render_achievement(version, organisation),
        badge_url=f"{_base(base_url)}/ob2/badges/{version.id}",
        issuer_url=_issuer_url(base_url, organisation),
    )


def hosted_credential_badge(
    uow: UnitOfWork, *, base_url: str, credential_uuid: str
) -> dict[str, Any]:
    """The BadgeClass made from the achievement inside one credential (VC-API credentials;
    for others it equals the version's badge)."""
    credential = _credential(uow, credential_uuid)
    organisation = _organisation(uow, credential.organisation_id)
    document = _document(credential)
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        raise NotFound("this credential is not an Open Badge")
    return ob2.badge_class(
        achievement,
        badge_url=f"{_base(base_url)}{assertion_path(credential.id)}/badge",
        issuer_url=_issuer_url(base_url, organisation),
    )


def hosted_issuer(
    uow: UnitOfWork, *, base_url: str, slug: str, contact_email: str | None = None
) -> dict[str, Any]:
    """The organisation's OB 2.0 issuer Profile.  Its homepage is the organisation's URL
    (else this server); its e-mail the organisation's (else ``contact_email``, e.g. the
    server's mail sender): OB 2.0 requires both."""
    organisation = uow.organisations.get_by_slug(slug)
    if organisation is None:
        raise NotFound("there is no issuer at this address")
    return ob2.issuer_profile(
        issuer_profile(organisation),
        issuer_url=_issuer_url(base_url, organisation),
        homepage=_base(base_url) + "/",
        contact_email=contact_email,
        assertions_prefix=f"{_base(base_url)}/ob2/assertions/",
    )
