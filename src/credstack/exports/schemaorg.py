"""schema.org ``EducationalOccupationalCredential`` markup for a public credential page.

Search engines and link previews read JSON-LD in a page's ``<head>``
(``<script type="application/ld+json">``).  The markup describes the *kind* of credential
(what the achievement is, its level, the skills it requires, who awards it) and never the
holder: no recipient identifier is included.  Embed it with a JSON encoder that escapes
``<``, ``>`` and ``&`` (Jinja's ``tojson`` filter does), so text such as ``</script>`` in an
achievement name cannot end the script element.

:func:`validate` checks the document against a small vendored subset of the schema.org
vocabulary (``vendor/schemaorg-subset.json``): every type known, every property defined for
its type (or a parent type), every value of an expected type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from credstack.exports._common import (
    Check,
    compact,
    duration,
    image_ref,
    is_http_url,
    read_source,
    strings,
    text,
)
from credstack.exports._jsonld import vendored
from credstack.platform.achievement_design import read_eu_elements

__all__ = ["SCHEMA_CONTEXT", "educational_credential", "validate"]

FORMAT = "schema.org EducationalOccupationalCredential"
SCHEMA_CONTEXT = "https://schema.org"
ACHIEVEMENT_TYPES = "https://purl.imsglobal.org/spec/ob/v3p0/vocab.html#AchievementType"
_ESCO_SKILLS = "http://data.europa.eu/esco/concept-scheme/skills"
_EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
_DURATION = re.compile(
    r"P(?!\Z)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?!\Z)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z"
)


def _category(achievement_type: Any) -> dict[str, Any] | None:
    if not isinstance(achievement_type, str) or not achievement_type:
        return None
    code = achievement_type.removeprefix("ext:")
    label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", code)
    return {
        "@type": "DefinedTerm",
        "name": label,
        "termCode": achievement_type,
        "inDefinedTermSet": ACHIEVEMENT_TYPES,
    }


def educational_credential(credential: Mapping[str, Any], *, page_url: str) -> dict[str, Any]:
    """The ``EducationalOccupationalCredential`` JSON-LD for the page at ``page_url``."""
    source = read_source(credential)
    eu = read_eu_elements(source.achievement)
    achievement = source.achievement
    competencies = []
    for skill in eu["skills"]:
        if skill["type"] == "ext:ESCOOccupation":
            continue
        esco = skill["type"] == "ext:ESCOSkill"
        framework = skill["framework"]
        competencies.append(
            compact(
                {
                    "@type": "DefinedTerm",
                    "name": skill["name"],
                    "url": skill["url"] if is_http_url(skill["url"]) else None,
                    "termCode": skill["code"],
                    "inDefinedTermSet": (
                        _ESCO_SKILLS
                        if esco
                        else {"@type": "DefinedTermSet", "name": framework}
                        if framework
                        else None
                    ),
                }
            )
        )
    level = eu["eqf_level"]
    issuer_url = source.issuer.get("url")
    image = image_ref(achievement.get("image"))
    achievement_id = achievement.get("id")
    return compact(
        {
            "@context": SCHEMA_CONTEXT,
            "@type": "EducationalOccupationalCredential",
            "@id": achievement_id if is_http_url(achievement_id) else None,
            "name": source.name,
            "description": source.description,
            "url": page_url,
            "image": image if is_http_url(image) else None,
            "inLanguage": text(achievement.get("inLanguage")),
            "credentialCategory": _category(achievement.get("achievementType")),
            "educationalLevel": (
                {
                    "@type": "DefinedTerm",
                    "name": f"EQF level {level}",
                    "termCode": str(level),
                    "url": f"http://data.europa.eu/snb/eqf/{level}",
                    "inDefinedTermSet": _EQF_SCHEME,
                }
                if level is not None
                else None
            ),
            "competencyRequired": competencies,
            "timeRequired": (
                duration(eu["workload_hours"]) if eu["workload_hours"] is not None else None
            ),
            "keywords": strings(achievement.get("tag")),
            "recognizedBy": compact(
                {
                    "@type": "Organization",
                    "name": source.issuer_name or str(source.issuer["id"]),
                    "url": issuer_url if is_http_url(issuer_url) else None,
                }
            ),
        }
    )


# ---------------------------------------------------------------------------- checking


def _types() -> Mapping[str, Any]:
    types: Mapping[str, Any] = vendored("schemaorg-subset.json")["types"]
    return types


def _ancestors(name: str) -> list[str]:
    chain = []
    current: str | None = name
    while current is not None:
        chain.append(current)
        current = _types()[current]["parent"]
    return chain


def _range(cls: str, prop: str) -> list[str] | None:
    for ancestor in _ancestors(cls):
        found = _types()[ancestor]["properties"].get(prop)
        if found is not None:
            result: list[str] = found
            return result
    return None


def _literal_ok(value: Any, expected: list[str]) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return "Number" in expected
    if not isinstance(value, str):
        return False
    if "Duration" in expected and _DURATION.match(value):
        return True
    if "URL" in expected and is_http_url(value):
        return True
    return "Text" in expected and bool(value.strip())


def _check_node(node: Mapping[str, Any], where: str, errors: list[str]) -> None:
    cls = node.get("@type")
    if not isinstance(cls, str) or cls not in _types():
        errors.append(f"{where}: @type {cls!r} is not a known schema.org type here")
        return
    for prop, value in node.items():
        if prop in ("@type", "@id", "@context"):
            continue
        expected = _range(cls, prop)
        if expected is None:
            errors.append(f"{where}: {prop} is not a property of {cls}")
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                item_type = item.get("@type")
                allowed = {t for t in expected if t in _types()}
                if not isinstance(item_type, str) or not allowed.intersection(
                    _ancestors(item_type) if item_type in _types() else [item_type]
                ):
                    errors.append(f"{where}.{prop}: expected {' or '.join(expected)}")
                    continue
                _check_node(item, f"{where}.{prop}", errors)
            elif not _literal_ok(item, expected):
                errors.append(f"{where}.{prop}: {item!r} is not a {' or '.join(expected)}")


def validate(document: Any) -> Check:
    """Check the markup against the vendored vocabulary subset (see the module doc)."""
    if not isinstance(document, Mapping):
        return Check(FORMAT, ("schema.org markup must be a JSON object",))
    errors: list[str] = []
    if document.get("@context") != SCHEMA_CONTEXT:
        errors.append(f"@context must be {SCHEMA_CONTEXT!r}")
    if document.get("@type") != "EducationalOccupationalCredential":
        errors.append("@type must be EducationalOccupationalCredential")
    if text(document.get("name")) is None:
        errors.append("name is required")
    if not is_http_url(document.get("url")):
        errors.append("url (the page) is required and must be an http(s) URL")
    if "@id" in document and not is_http_url(document["@id"]):
        errors.append("@id must be an http(s) URL")
    _check_node(document, "credential", errors)
    return Check(FORMAT, tuple(dict.fromkeys(errors)))
