"""LinkedIn's "Add to profile" link for a certification (Licenses & Certifications).

The link opens LinkedIn's pre-filled form; nothing is sent to LinkedIn until the member saves
it.  Every value is percent-encoded (spaces as ``%20``, as LinkedIn's own generator does), so
a title holding ``&``, ``#``, quotes or any script arrives exactly as written.  Months are
1-based (January is 1).  ``organizationId`` (a LinkedIn company page) is preferred when known;
otherwise ``organizationName`` names the issuer in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

__all__ = ["ADD_TO_PROFILE", "Certification", "add_to_profile_url"]

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
#: LinkedIn's form fields are short; longer values are cut (never split inside a character)
_MAX_TEXT = 250


@dataclass(frozen=True, slots=True)
class Certification:
    """What LinkedIn's certification form is pre-filled with."""

    name: str
    cert_url: str  # the public page the entry's "Show credential" button opens
    cert_id: str  # the credential's stable id
    organization_name: str | None = None
    organization_id: str | None = None  # numeric id of the issuer's LinkedIn page
    issued_at: datetime | None = None
    expires_at: datetime | None = None


def _cut(value: str) -> str:
    return value.strip()[:_MAX_TEXT]


def add_to_profile_url(certification: Certification) -> str:
    """The ``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&...`` link."""
    c = certification
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", _cut(c.name)),
    ]
    if c.organization_id and c.organization_id.isdigit():
        params.append(("organizationId", c.organization_id))
    elif c.organization_name:
        params.append(("organizationName", _cut(c.organization_name)))
    if c.issued_at is not None:
        params += [("issueYear", str(c.issued_at.year)), ("issueMonth", str(c.issued_at.month))]
    if c.expires_at is not None:
        params += [
            ("expirationYear", str(c.expires_at.year)),
            ("expirationMonth", str(c.expires_at.month)),
        ]
    params += [("certUrl", c.cert_url), ("certId", _cut(c.cert_id))]
    return f"{ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"
