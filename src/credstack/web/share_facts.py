"""What the public credential pages, the certificate and the link previews show about a wallet
item: read from the credential's own JSON (its verification is reported separately).

Nothing here is trusted for anything but display: every string is escaped by the templates,
links are kept only when they are ``http(s)`` URLs, and long values are cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credstack.platform.wallet import Skill, WalletItem

__all__ = ["CredentialView", "Recipient", "credential_view", "http_url"]

_MAX_TEXT = 2_000
_MAX_RECIPIENTS = 5


@dataclass(frozen=True, slots=True)
class Recipient:
    """One way the credential names its recipient, as shown to a visitor."""

    label: str  # "DID", "e-mail address", ...
    value: str | None  # None when only a hash is in the credential (not shown)


@dataclass(frozen=True, slots=True)
class CredentialView:
    achievement_name: str
    description: str | None
    criteria: str | None
    criteria_url: str | None
    achievement_type: str | None
    issuer_name: str
    issuer_id: str
    issuer_url: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    credential_id: str | None
    recipients: tuple[Recipient, ...]
    skills: tuple[Skill, ...]
    image_kind: str  # "svg" when the issuer's own image is an SVG, else "png"

    def summary(self) -> str:
        """One line for link previews (Open Graph description)."""
        text = f"{self.achievement_name}, issued by {self.issuer_name}"
        if self.issued_at is not None:
            text += f" on {self.issued_at.strftime('%-d %B %Y')}"
        return text + ". Verify it online."


def http_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL fit to be a link, else None."""
    if not isinstance(value, str) or len(value) > 2_000:
        return None
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        return None
    return value


def _text(value: Any, limit: int = _MAX_TEXT) -> str | None:
    """A display string from a string or a language map (its first string)."""
    if isinstance(value, Mapping):
        value = next((v for v in value.values() if isinstance(v, str)), None)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    return subject if isinstance(subject, Mapping) else {}


def _date(value: Any) -> datetime | None:
    from credstack.proofs.dataintegrity import parse_datetime

    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except Exception:  # shown as unknown; the verification report names the problem
        return None


_IDENTITY_LABELS = {
    "emailAddress": "e-mail address",
    "name": "name",
    "studentId": "student ID",
    "nationalIdentityNumber": "national identity number",
    "phoneNumber": "phone number",
    "sourcedId": "sourced ID",
    "systemId": "system ID",
    "lisSourcedId": "LIS sourced ID",
    "identifier": "identifier",
}


def _recipients(subject: Mapping[str, Any]) -> tuple[Recipient, ...]:
    found: list[Recipient] = []
    if isinstance(subject.get("id"), str):
        found.append(Recipient("DID" if subject["id"].startswith("did:") else "id", subject["id"]))
    identifiers = subject.get("identifier")
    if isinstance(identifiers, Mapping):
        identifiers = [identifiers]
    for entry in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind = entry.get("identityType")
        label = _IDENTITY_LABELS.get(kind, str(kind)[:60]) if isinstance(kind, str) else "identity"
        hashed = entry.get("hashed") is not False
        value = entry.get("identityHash")
        shown = None if hashed or not isinstance(value, str) else value[:300]
        found.append(Recipient(label, shown))
    return tuple(found[:_MAX_RECIPIENTS])


def _image_kind(achievement: Mapping[str, Any]) -> str:
    image = achievement.get("image")
    source = image.get("id") if isinstance(image, Mapping) else image
    if isinstance(source, str) and source.startswith("data:image/svg+xml;base64,"):
        return "svg"
    return "png"


def credential_view(item: WalletItem) -> CredentialView:
    credential = item.credential
    subject = _subject(credential)
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    criteria = achievement.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    issuer = credential.get("issuer")
    issuer = issuer if isinstance(issuer, Mapping) else {}
    kind = achievement.get("achievementType")
    return CredentialView(
        achievement_name=item.achievement_name,
        description=_text(achievement.get("description")),
        criteria=_text(criteria.get("narrative")),
        criteria_url=http_url(criteria.get("id")),
        achievement_type=kind[:100] if isinstance(kind, str) else None,
        issuer_name=item.issuer_name,
        issuer_id=item.issuer_id,
        issuer_url=http_url(issuer.get("url")),
        issued_at=item.issued_at,
        expires_at=_date(credential.get("validUntil")),
        credential_id=item.credential_id,
        recipients=_recipients(subject),
        skills=item.skills,
        image_kind=_image_kind(achievement),
    )
