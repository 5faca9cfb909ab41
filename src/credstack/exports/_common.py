"""What every export reads from an issued Open Badges 3.0 credential, and how it reports.

The exports are pure functions of the credential JSON (plus a few URLs or contact details the
caller supplies).  :func:`read_source` picks out the parts they share and refuses, with a
clear :class:`~credstack.errors.InvalidInput`, anything that is not an Open Badge; every
optional field may be missing.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from credstack.errors import InvalidInput

__all__ = [
    "Check",
    "Source",
    "ctid",
    "derived_id",
    "objects",
    "read_source",
    "text",
]

_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+\Z")
_HTTP_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+\Z")
_DATA_IMAGE = re.compile(r"data:image/([a-z+.\-]+);base64,([A-Za-z0-9+/]+=*)\Z")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*\Z")
DEFAULT_LANGUAGE = "en"
"""Language of texts when the achievement names none, and of the texts credstack writes."""

#: UUID namespace of the identifiers the exports derive (fixed: the same input, the same id)
_NAMESPACE = uuid.UUID("6f0c3c8e-5b7a-4c1e-9d8e-2a4b6c8d0e1f")


@dataclass(frozen=True, slots=True)
class Check:
    """The result of checking one exported document.

    ``errors`` break the format's rules (the export is not valid).  ``gaps`` are requirements
    of the target format that the source credential has no data for, or that credstack cannot
    meet (for ELM: a legal identifier and the eIDAS seal); they are listed, not hidden.
    """

    format: str
    errors: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Source:
    """The parts of one OB 3.0 credential the exports use (each a plain JSON value)."""

    credential: Mapping[str, Any]
    credential_id: str | None
    achievement: Mapping[str, Any]
    issuer: Mapping[str, Any]  # the issuer Profile ({"id": ...} when given as a string)
    subject: Mapping[str, Any]
    valid_from: str | None
    awarded: str | None
    valid_until: str | None

    @property
    def language(self) -> str:
        """The achievement's ``inLanguage`` (BCP 47), else :data:`DEFAULT_LANGUAGE`."""
        value = self.achievement.get("inLanguage")
        return value if isinstance(value, str) and _LANGUAGE.match(value) else DEFAULT_LANGUAGE

    @property
    def name(self) -> str:
        name = text(self.achievement.get("name"))
        assert name is not None  # read_source insists on it
        return name

    @property
    def description(self) -> str | None:
        return text(self.achievement.get("description"))

    @property
    def issuer_name(self) -> str | None:
        return text(self.issuer.get("name"))


def text(value: Any) -> str | None:
    """A non-blank string value (a JSON-LD value object's ``@value`` too), else ``None``."""
    if isinstance(value, Mapping):
        value = value.get("@value")
    if isinstance(value, str) and value.strip():
        return value
    return None


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a set given as an array or (JSON-LD compacted) a single object."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, Mapping)]


def strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str) and item.strip()]


def is_uri(value: Any) -> bool:
    return isinstance(value, str) and _ABSOLUTE_URI.match(value) is not None


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and _HTTP_URL.match(value) is not None


def data_image(value: Any) -> tuple[str, str] | None:
    """(subtype, base64 data) of a ``data:image/...;base64,`` URI, else ``None``."""
    if not isinstance(value, str):
        return None
    match = _DATA_IMAGE.match(value)
    return (match[1], match[2]) if match else None


def image_ref(value: Any) -> str | None:
    """An OB ``image`` (a string or an ``Image`` object) as its URL or data URI."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def derived_id(*parts: str) -> str:
    """A stable ``urn:uuid:`` for a node an export makes up (same parts, same id)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, chr(31).join(parts))}"


def ctid(identifier: str) -> str:
    """A Credential Engine CTID (``ce-`` + UUID) derived from ``identifier`` (stable)."""
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}"


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    for subject in objects(credential.get("credentialSubject")):
        if isinstance(subject.get("achievement"), Mapping):
            return subject
    raise InvalidInput(
        "the credential is not an Open Badge: its credentialSubject has no achievement"
    )


def _date(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_source(credential: Mapping[str, Any]) -> Source:
    """The shared view of an OB 3.0 credential; :class:`InvalidInput` if it is not one."""
    if not isinstance(credential, Mapping):
        raise InvalidInput("a credential must be a JSON object")
    subject = _subject(credential)
    achievement = subject["achievement"]
    if text(achievement.get("name")) is None:
        raise InvalidInput("the credential's achievement has no name")
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        issuer = {"id": issuer}
    if not isinstance(issuer, Mapping) or not is_uri(issuer.get("id")):
        raise InvalidInput("the credential names no issuer (issuer.id)")
    credential_id = credential.get("id")
    return Source(
        credential=credential,
        credential_id=credential_id if is_uri(credential_id) else None,
        achievement=achievement,
        issuer=issuer,
        subject=subject,
        valid_from=_date(credential.get("validFrom")),
        awarded=_date(credential.get("awardedDate")),
        valid_until=_date(credential.get("validUntil")),
    )


def compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` without ``None`` values and empty lists or objects."""
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}


def duration(hours: float) -> str:
    """Hours as an ISO 8601 / ``xsd:duration`` (only seconds may be fractional there):
    ``187.5`` -> ``PT187H30M``."""
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError("a workload is a positive number of hours")
    seconds = round(hours * 3600)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
