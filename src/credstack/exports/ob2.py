"""Open Badges 2.0 hosted Assertion, BadgeClass and Issuer Profile from an OB 3.0 credential.

OB 2.0 (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html) is still
what many backpacks and LMS plug-ins read.  A *hosted* assertion is verified by fetching its
``id``: the platform serves the three documents (``credstack.api.routes_exports``) and a
revoked assertion answers ``410 Gone`` with :func:`revoked_assertion`.  The OB 3.0 proof does
not carry over; what vouches for an OB 2.0 hosted badge is the issuer's web origin.

Recipient: OB 3.0's salted e-mail hash (``identityHash`` = ``sha256$`` + hex SHA-256 of the
address followed by the salt) is the same scheme as OB 2.0's ``identity`` + ``salt``, so it
is reused as it is.  A DID (or other URI) recipient has no OB 2.0 identity type; credstack
writes it as a hashed ``url`` identity (a DID is a URI), with a salt derived from the
credential id.  No plain recipient identifier is ever published.

:func:`validate` checks a document against the vendored OB 2.0 JSON-LD context (safe mode:
every term defined) and the class rules of the 2.0 specification as the 1EdTech validator
(openbadges-validator-core) applies them: required properties, value types, identity hashes,
and the hosted-verification scope (:func:`check_hosted`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from credstack.errors import InvalidInput
from credstack.exports._common import (
    Check,
    Source,
    compact,
    data_image,
    image_ref,
    is_http_url,
    is_uri,
    objects,
    read_source,
    strings,
    text,
)
from credstack.exports._jsonld import OB2_CONTEXT, expand
from credstack.platform.achievement_design import (
    ASSESSMENT_DETAILS,
    FURTHER_INFORMATION,
    PREREQUISITES,
    QUALITY_ASSURANCE,
)

__all__ = [
    "MEDIA_TYPE",
    "OB2_CONTEXT",
    "HostedUrls",
    "assertion",
    "badge_class",
    "check_hosted",
    "issuer_profile",
    "revoked_assertion",
    "validate",
]

MEDIA_TYPE = "application/ld+json"
FORMAT = "Open Badges 2.0"
REVOKED_REASON = "Revoked by the issuer."
SUSPENDED_REASON = "Suspended by the issuer; it may be reinstated."

#: OB 3.0 alignments that carry free-text EU elements, not objectives: OB 2.0 has no place
_TEXT_ELEMENTS = frozenset(
    {ASSESSMENT_DETAILS, QUALITY_ASSURANCE, PREREQUISITES, FURTHER_INFORMATION}
)
_HASH = re.compile(r"(sha256\$[0-9a-fA-F]{64}|md5\$[0-9a-fA-F]{32})\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\Z")
_TELEPHONE = re.compile(r"\+?[1-9]\d{1,14}(;ext=\d+)?\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)\Z")
_URN_UUID = re.compile(
    r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z", re.I
)
_HOSTNAME = re.compile(r"((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,63}(:\d{1,5})?\Z")


@dataclass(frozen=True, slots=True)
class HostedUrls:
    """Where the three hosted documents of one assertion are served."""

    assertion: str
    badge: str
    issuer: str


# ---------------------------------------------------------------------------- building


def _salt(credential_id: str | None, kind: str) -> str:
    """A salt for a recipient the credential did not hash itself: derived from the
    credential id, so the served assertion is the same on every request."""
    seed = f"credstack-ob2-recipient:{credential_id or ''}:{kind}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def _hashed(kind: str, identity: str, salt: str) -> dict[str, Any]:
    digest = hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()
    return {"type": kind, "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


def recipient(source: Source) -> dict[str, Any]:
    """The OB 2.0 ``IdentityObject`` of the credential's recipient (always hashed)."""
    for identity in objects(source.subject.get("identifier")):
        if identity.get("identityType") != "emailAddress":
            continue
        value, salt = text(identity.get("identityHash")), text(identity.get("salt"))
        if value is None:
            continue
        if identity.get("hashed") is True and _HASH.match(value):
            return compact({"type": "email", "hashed": True, "salt": salt, "identity": value})
        if identity.get("hashed") is False and _EMAIL.match(value):
            return _hashed("email", value, _salt(source.credential_id, "email"))
    subject_id = source.subject.get("id")
    if isinstance(subject_id, str) and is_uri(subject_id):
        return _hashed("url", subject_id, _salt(source.credential_id, "url"))
    raise InvalidInput(
        "the credential names no recipient that Open Badges 2.0 can express "
        "(it needs an e-mail identifier or a subject id)"
    )


def _evidence(source: Source) -> list[dict[str, Any]]:
    out = []
    for item in objects(source.credential.get("evidence")):
        evidence_id = item.get("id")
        entry = compact(
            {
                "id": evidence_id if _is_iri(evidence_id) else None,
                "narrative": text(item.get("narrative")),
                "name": text(item.get("name")),
                "description": text(item.get("description")),
                "genre": text(item.get("genre")),
                "audience": text(item.get("audience")),
            }
        )
        if entry:
            out.append({"type": "Evidence", **entry})
    return out


def assertion(credential: Mapping[str, Any], *, urls: HostedUrls) -> dict[str, Any]:
    """The hosted OB 2.0 ``Assertion`` of an issued OB 3.0 credential.

    ``issuedOn`` is the credential's ``awardedDate`` (else ``validFrom``), ``expires`` its
    ``validUntil``; the badge is referenced by ``urls.badge``.
    """
    source = read_source(credential)
    issued = source.awarded or source.valid_from
    if issued is None:
        raise InvalidInput("the credential has neither awardedDate nor validFrom")
    narrative = text(source.subject.get("narrative"))
    return compact(
        {
            "@context": OB2_CONTEXT,
            "type": "Assertion",
            "id": urls.assertion,
            "recipient": recipient(source),
            "badge": urls.badge,
            "verification": {"type": "HostedBadge"},
            "issuedOn": issued,
            "expires": source.valid_until,
            "narrative": narrative,
            "evidence": _evidence(source),
        }
    )


def revoked_assertion(assertion_url: str, *, reason: str | None = REVOKED_REASON) -> dict[str, Any]:
    """What a revoked hosted assertion answers (with HTTP 410 Gone): only ``id`` and
    ``revoked`` are required; ``revocationReason`` is public, so it is a fixed text, never
    the reason the issuer recorded (which may name the learner)."""
    return compact(
        {
            "@context": OB2_CONTEXT,
            "type": "Assertion",
            "id": assertion_url,
            "revoked": True,
            "revocationReason": reason,
        }
    )


def _initials(name: str) -> str:
    words = [w for w in re.split(r"\s+", name) if w and w[0].isalnum()]
    return "".join(w[0].upper() for w in words[:2]) or "B"


def placeholder_image(name: str) -> str:
    """A plain SVG badge (a data URI) for an achievement without a usable image."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        '<circle cx="128" cy="128" r="124" fill="#1f4e8c"/>'
        '<circle cx="128" cy="128" r="100" fill="none" stroke="#ffffff" stroke-width="6"/>'
        '<text x="128" y="150" font-family="sans-serif" font-size="64" text-anchor="middle" '
        f'fill="#ffffff">{html.escape(_initials(name))}</text></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _badge_image(achievement: Mapping[str, Any], name: str, fallback: str | None) -> str:
    image = image_ref(achievement.get("image"))
    data = data_image(image)
    if data is not None and data[0] in ("png", "svg+xml"):
        assert image is not None
        return image
    if data is None and is_http_url(image):
        assert image is not None
        return image
    return fallback or placeholder_image(name)


def _alignments(achievement: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for alignment in objects(achievement.get("alignment")):
        name, url = text(alignment.get("targetName")), alignment.get("targetUrl")
        if name is None or not is_http_url(url) or alignment.get("targetType") in _TEXT_ELEMENTS:
            continue
        out.append(
            compact(
                {
                    "targetName": name,
                    "targetUrl": url,
                    "targetDescription": text(alignment.get("targetDescription")),
                    "targetFramework": text(alignment.get("targetFramework")),
                    "targetCode": text(alignment.get("targetCode")),
                }
            )
        )
    return out


def badge_class(
    achievement: Mapping[str, Any],
    *,
    badge_url: str,
    issuer_url: str,
    image: str | None = None,
) -> dict[str, Any]:
    """The OB 2.0 ``BadgeClass`` of an OB 3.0 ``Achievement``.

    ``image`` is used when the achievement has no PNG or SVG image of its own (OB 2.0 allows
    only those); without one a plain generated SVG stands in.  A missing description or
    criteria is filled from the other fields, since OB 2.0 requires both.
    """
    if not isinstance(achievement, Mapping) or text(achievement.get("name")) is None:
        raise InvalidInput("an achievement must be a JSON object with a name")
    name = text(achievement.get("name"))
    assert name is not None
    description = text(achievement.get("description")) or name
    criteria = achievement.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    criteria_url = criteria.get("id")
    narrative = text(criteria.get("narrative"))
    if narrative is None and not is_http_url(criteria_url):
        narrative = description
    return compact(
        {
            "@context": OB2_CONTEXT,
            "type": "BadgeClass",
            "id": badge_url,
            "name": name,
            "description": description,
            "image": _badge_image(achievement, name, image),
            "criteria": compact(
                {"id": criteria_url if is_http_url(criteria_url) else None, "narrative": narrative}
            ),
            "issuer": issuer_url,
            "alignment": _alignments(achievement),
            "tags": strings(achievement.get("tag")),
        }
    )


def issuer_profile(
    profile: Mapping[str, Any],
    *,
    issuer_url: str,
    homepage: str | None = None,
    contact_email: str | None = None,
    assertions_prefix: str | None = None,
) -> dict[str, Any]:
    """The OB 2.0 issuer ``Profile`` of an OB 3.0 issuer Profile.

    OB 2.0 requires ``url`` and ``email``: ``homepage`` and ``contact_email`` fill them when
    the profile has none.  With ``assertions_prefix``, the profile's verification object
    limits hosted assertions to ids under that prefix (``startsWith``).
    """
    if not isinstance(profile, Mapping):
        raise InvalidInput("an issuer profile must be a JSON object")
    name = text(profile.get("name"))
    if name is None:
        raise InvalidInput("the issuer profile has no name")
    url = profile.get("url") if is_http_url(profile.get("url")) else homepage
    email = text(profile.get("email"))
    image = image_ref(profile.get("image"))
    data = data_image(image)
    image_ok = (data is not None and data[0] in ("png", "svg+xml")) or (
        data is None and is_http_url(image)
    )
    phone = text(profile.get("phone"))
    return compact(
        {
            "@context": OB2_CONTEXT,
            "type": "Issuer",
            "id": issuer_url,
            "name": name,
            "url": url,
            "email": email if email and _EMAIL.match(email) else contact_email,
            "description": text(profile.get("description")),
            "image": image if image_ok else None,
            "telephone": phone if phone and _TELEPHONE.match(phone) else None,
            "verification": (
                {"type": "VerificationObject", "startsWith": assertions_prefix}
                if assertions_prefix
                else None
            ),
        }
    )


# ---------------------------------------------------------------------------- checking


def _is_iri(value: Any) -> bool:
    """An IRI as OB 2.0 validators accept it: http(s) URL, blank node or ``urn:uuid``."""
    return isinstance(value, str) and (
        is_http_url(value) or value.startswith("_:") or _URN_UUID.match(value) is not None
    )


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_image(value: Any) -> bool:
    data = data_image(value)
    return (data is not None and data[0] in ("png", "svg+xml")) or (
        data is None and is_http_url(value)
    )


_KINDS: dict[str, Callable[[Any], bool]] = {
    "iri": _is_iri,
    "url": is_http_url,
    "text": lambda v: isinstance(v, str),
    "text_or_number": lambda v: isinstance(v, str | int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "datetime": _is_datetime,
    "email": lambda v: isinstance(v, str) and _EMAIL.match(v) is not None,
    "telephone": lambda v: isinstance(v, str) and _TELEPHONE.match(v) is not None,
    "image": _is_image,
    "authority": lambda v: isinstance(v, str) and _HOSTNAME.match(v) is not None,
}


@dataclass(frozen=True, slots=True)
class _Prop:
    name: str
    kind: str  # a key of _KINDS, "node" (IRI or embedded object) or "object" (embedded only)
    required: bool = False
    many: bool = False
    node: str | None = None  # the class an embedded object must satisfy


#: class -> its rules; types each class accepts (first = default when optional)
_RULES: dict[str, tuple[_Prop, ...]] = {
    "Assertion": (
        _Prop("id", "iri", True),
        _Prop("recipient", "object", True, node="IdentityObject"),
        _Prop("badge", "node", True, node="BadgeClass"),
        _Prop("verification", "object", True, node="VerificationObjectAssertion"),
        _Prop("issuedOn", "datetime", True),
        _Prop("expires", "datetime"),
        _Prop("image", "node", node="Image"),
        _Prop("narrative", "text"),
        _Prop("evidence", "node", many=True, node="Evidence"),
        _Prop("revoked", "boolean"),
        _Prop("revocationReason", "text"),
    ),
    "BadgeClass": (
        _Prop("id", "iri", True),
        _Prop("issuer", "node", True, node="Profile"),
        _Prop("name", "text", True),
        _Prop("description", "text", True),
        _Prop("image", "node", True, node="Image"),
        _Prop("criteria", "node", True, node="Criteria"),
        _Prop("alignment", "object", many=True, node="AlignmentObject"),
        _Prop("tags", "text", many=True),
        _Prop("version", "text_or_number"),
    ),
    "Profile": (
        _Prop("id", "iri", True),
        _Prop("name", "text", True),
        _Prop("url", "url", True),
        _Prop("email", "email", True),
        _Prop("description", "text"),
        _Prop("image", "node", node="Image"),
        _Prop("telephone", "telephone"),
        _Prop("verification", "object", node="VerificationObjectIssuer"),
    ),
    "IdentityObject": (
        _Prop("identity", "text", True),
        _Prop("hashed", "boolean", True),
        _Prop("salt", "text"),
    ),
    "VerificationObjectAssertion": (),
    "VerificationObjectIssuer": (
        _Prop("verificationProperty", "text"),
        _Prop("startsWith", "url", many=True),
        _Prop("allowedOrigins", "authority", many=True),
    ),
    "Criteria": (_Prop("id", "iri"), _Prop("narrative", "text")),
    "Image": (_Prop("id", "image", True), _Prop("caption", "text"), _Prop("author", "iri")),
    "Evidence": (
        _Prop("id", "iri"),
        _Prop("narrative", "text"),
        _Prop("name", "text"),
        _Prop("description", "text"),
        _Prop("genre", "text"),
        _Prop("audience", "text"),
    ),
    "AlignmentObject": (
        _Prop("targetName", "text", True),
        _Prop("targetUrl", "url", True),
        _Prop("targetDescription", "text"),
        _Prop("targetFramework", "text"),
        _Prop("targetCode", "text"),
    ),
}

#: class -> (allowed types, whether "type" is required)
_TYPES: dict[str, tuple[frozenset[str], bool]] = {
    "Assertion": (frozenset({"Assertion"}), True),
    "BadgeClass": (frozenset({"BadgeClass"}), True),
    "Profile": (frozenset({"Issuer", "Profile"}), True),
    "IdentityObject": (frozenset({"id", "email", "url", "telephone"}), True),
    "VerificationObjectAssertion": (
        frozenset({"HostedBadge", "SignedBadge", "hosted", "signed"}),
        True,
    ),
    "VerificationObjectIssuer": (frozenset({"VerificationObject"}), False),
    "Criteria": (frozenset({"Criteria"}), False),
    "Image": (frozenset({"Image", "schema:ImageObject"}), False),
    "Evidence": (frozenset({"Evidence"}), False),
    "AlignmentObject": (frozenset({"AlignmentObject"}), False),
}


def _check_node(node: Mapping[str, Any], cls: str, where: str, errors: list[str]) -> None:
    allowed, type_required = _TYPES[cls]
    declared = node.get("type")
    types = strings(declared)
    if declared is None:
        if type_required:
            errors.append(f"{where}: required property type is missing ({cls})")
    elif not types or not allowed.intersection(types):
        errors.append(f"{where}: type {declared!r} is not one of {sorted(allowed)}")
    elif cls in ("IdentityObject", "VerificationObjectAssertion") and len(types) > 1:
        errors.append(f"{where}: type must be a single value")
    if cls == "Assertion" and node.get("revoked") is True:
        rules = tuple(p for p in _RULES[cls] if p.name in ("id", "revoked", "revocationReason"))
    else:
        rules = _RULES[cls]
    for prop in rules:
        _check_prop(node, prop, f"{where}.{prop.name}", errors)
    if cls == "IdentityObject":
        _check_identity(node, where, errors)
    elif cls == "Criteria" and not _is_iri(node.get("id")) and text(node.get("narrative")) is None:
        errors.append(f"{where}: criteria need an id (a URL) or a narrative")
    elif cls == "Profile" and not is_http_url(node.get("id")):
        errors.append(f"{where}: an issuer Profile id must be an http(s) URL")
    elif cls == "Assertion":
        issued, expires = node.get("issuedOn"), node.get("expires")
        if (
            isinstance(issued, str)
            and isinstance(expires, str)
            and _is_datetime(issued)
            and _is_datetime(expires)
            and _when(expires) < _when(issued)
        ):
            errors.append(f"{where}: expires is before issuedOn")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _check_prop(node: Mapping[str, Any], prop: _Prop, where: str, errors: list[str]) -> None:
    if prop.name not in node or node[prop.name] is None:
        if prop.required:
            errors.append(f"{where}: required property is missing")
        return
    value = node[prop.name]
    values = value if isinstance(value, list) else [value]
    if not values:
        if prop.required:
            errors.append(f"{where}: required property is empty")
        return
    if len(values) > 1 and not prop.many:
        errors.append(f"{where}: only one value is allowed")
    for index, item in enumerate(values):
        at = f"{where}[{index}]" if isinstance(value, list) else where
        if prop.kind in ("node", "object"):
            if isinstance(item, Mapping):
                assert prop.node is not None
                _check_node(item, prop.node, at, errors)
            elif prop.kind == "object" or not (
                _is_iri(item) or (prop.node == "Image" and _is_image(item))
            ):
                errors.append(f"{at}: expected {prop.node} (an embedded object or an IRI)")
        elif not _KINDS[prop.kind](item):
            errors.append(f"{at}: {item!r} is not a valid {prop.kind}")


def _check_identity(node: Mapping[str, Any], where: str, errors: list[str]) -> None:
    identity, hashed = node.get("identity"), node.get("hashed")
    if not isinstance(identity, str):
        return
    looks_hashed = _HASH.match(identity) is not None
    if hashed is True and not looks_hashed:
        errors.append(f"{where}: a hashed identity must be 'sha256$<64 hex>' or 'md5$<32 hex>'")
    elif hashed is False and looks_hashed:
        errors.append(f"{where}: the identity looks hashed but hashed is false")
    elif hashed is False and "email" in strings(node.get("type")) and not _EMAIL.match(identity):
        errors.append(f"{where}: an email identity must be an e-mail address")


def _class_of(document: Mapping[str, Any]) -> str | None:
    types = set(strings(document.get("type")))
    for cls in ("Assertion", "BadgeClass", "Profile"):
        if _TYPES[cls][0] & types:
            return cls
    return None


def validate(document: Any) -> Check:
    """Check an OB 2.0 Assertion, BadgeClass or issuer Profile (embedded objects too)."""
    if not isinstance(document, Mapping):
        return Check(FORMAT, ("a badge object must be a JSON object",))
    errors: list[str] = []
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != OB2_CONTEXT:
        errors.append(f"@context must be {OB2_CONTEXT!r} (first)")
    else:
        errors.extend(expand(document)[1])
    cls = _class_of(document)
    if cls is None:
        errors.append("type must be Assertion, BadgeClass, Issuer or Profile")
    else:
        _check_node(document, cls, cls, errors)
    return Check(FORMAT, tuple(errors))


def _origin(url: Any) -> str | None:
    if not is_http_url(url):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_hosted(
    assertion_doc: Mapping[str, Any], badge: Mapping[str, Any], issuer: Mapping[str, Any]
) -> Check:
    """The three hosted documents together: each valid, linked to the next, and the
    assertion within the issuer's verification scope (``startsWith`` if declared, else the
    issuer id's origin)."""
    errors = [
        f"{name}: {error}"
        for name, doc in (("assertion", assertion_doc), ("badge", badge), ("issuer", issuer))
        for error in validate(doc).errors
    ]
    if assertion_doc.get("badge") != badge.get("id"):
        errors.append("assertion.badge is not the BadgeClass id")
    if badge.get("issuer") != issuer.get("id"):
        errors.append("badge.issuer is not the issuer Profile id")
    assertion_id = assertion_doc.get("id")
    verification = issuer.get("verification")
    prefixes = strings(verification.get("startsWith")) if isinstance(verification, Mapping) else []
    if prefixes:
        if not any(isinstance(assertion_id, str) and assertion_id.startswith(p) for p in prefixes):
            errors.append("the assertion id is outside the issuer's startsWith scope")
    elif _origin(assertion_id) is None or _origin(assertion_id) != _origin(issuer.get("id")):
        errors.append("the assertion is not hosted on the issuer Profile's origin")
    if _origin(badge.get("id")) != _origin(issuer.get("id")):
        errors.append("the BadgeClass is not hosted on the issuer Profile's origin")
    return Check(FORMAT, tuple(errors))
