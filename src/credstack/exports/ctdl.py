"""Credential Engine CTDL description of the achievement behind an issued credential.

CTDL (Credential Transparency Description Language, https://credreg.net/ctdl/terms) describes
credentials *as offered*, for the Credential Registry and the Credential Finder.  The export
is a JSON-LD graph: the credential class that fits the OB ``achievementType``
(``ceterms:MicroCredential``, ``ceterms:Badge``, ``ceterms:Certificate``, ...) and the
issuing ``ceterms:CredentialOrganization``.  CTIDs are derived deterministically
(``ce-`` + a name-based UUID of the achievement / issuer id), so re-exporting gives the
same identifiers; they are *not* registered: publishing to the Registry is done with
Credential Engine's own tools and account.

Criteria, learning outcomes and skills become a ``ceterms:requires`` condition profile with
``ceterms:targetCompetency`` alignments; ESCO occupations ``ceterms:occupationType``;
workload ``ceterms:estimatedDuration`` (hours) and ``ceterms:creditValue`` (ECTS).

:func:`validate` is a structural check written from Credential Engine's JSON validation
schema for credentials (CredentialEngine/CTDL_Json_Validation_Schema, Schema-2019-06-30:
required ``@type``, ``@id``, ``ceterms:ctid``, ``ceterms:name``, ``ceterms:description``,
``ceterms:subjectWebpage``, ``ceterms:credentialStatusType`` and ``ownedBy`` or
``offeredBy``; no properties outside the class's list).  That schema has no licence, so it is
not vendored; the rules are restated in code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from credstack.errors import InvalidInput
from credstack.exports._common import (
    Check,
    Source,
    compact,
    ctid,
    derived_id,
    duration,
    image_ref,
    is_http_url,
    is_uri,
    read_source,
    strings,
    text,
)
from credstack.platform.achievement_design import EUElements, read_eu_elements

__all__ = ["CTDL_CONTEXT", "ctdl_description", "validate"]

FORMAT = "Credential Engine CTDL"
CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"
_ESCO_OCCUPATIONS = "http://data.europa.eu/esco/concept-scheme/occupations"
_ESCO_SKILLS = "http://data.europa.eu/esco/concept-scheme/skills"
_CTID = re.compile(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_DURATION = re.compile(
    r"P(?!\Z)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?!\Z)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z"
)

#: OB achievementType -> CTDL credential class (the rest: ceterms:Badge, an OB badge)
_CLASSES = {
    name: f"ceterms:{name}"
    for name in (
        "ApprenticeshipCertificate",
        "AssociateDegree",
        "BachelorDegree",
        "Badge",
        "Certificate",
        "Certification",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "License",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    )
}
_CLASSES["CertificateOfCompletion"] = "ceterms:Certificate"
CREDENTIAL_CLASSES = frozenset(_CLASSES.values()) | {"ceterms:DigitalBadge", "ceterms:OpenBadge"}


def credential_class(achievement_type: Any) -> str:
    """The CTDL class for an OB ``achievementType`` (``ceterms:Badge`` when none fits)."""
    if isinstance(achievement_type, str):
        return _CLASSES.get(achievement_type, "ceterms:Badge")
    return "ceterms:Badge"


def _alignment(url: str, name: str, lang: str, **extra: Any) -> dict[str, Any]:
    return compact(
        {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:targetNode": url,
            "ceterms:targetNodeName": {lang: name},
            **extra,
        }
    )


def _organisation(profile: Mapping[str, Any], lang: str) -> dict[str, Any]:
    profile_id = str(profile.get("id"))
    name = text(profile.get("name")) or profile_id
    address = profile.get("address")
    place = None
    if isinstance(address, Mapping):
        place = compact(
            {
                "@type": "ceterms:Place",
                "ceterms:streetAddress": _local(address.get("streetAddress"), lang),
                "ceterms:postalCode": text(address.get("postalCode")),
                "ceterms:addressLocality": _local(address.get("addressLocality"), lang),
                "ceterms:addressRegion": _local(address.get("addressRegion"), lang),
                "ceterms:addressCountry": _local(address.get("addressCountryCode"), lang),
            }
        )
    email = text(profile.get("email"))
    url = profile.get("url")
    return compact(
        {
            "@type": "ceterms:CredentialOrganization",
            "@id": profile_id,
            "ceterms:ctid": ctid(profile_id),
            "ceterms:name": {lang: name},
            "ceterms:description": _local(profile.get("description"), lang),
            "ceterms:subjectWebpage": url if is_http_url(url) else None,
            "ceterms:email": [email] if email else None,
            "ceterms:address": [place] if place and len(place) > 1 else None,
        }
    )


def _local(value: Any, lang: str) -> dict[str, str] | None:
    found = text(value)
    return {lang: found} if found else None


def _requires(source: Source, eu: EUElements, lang: str) -> dict[str, Any]:
    criteria = source.achievement.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    narrative = text(criteria.get("narrative"))
    criteria_url = criteria.get("id")
    competencies = []
    for skill in eu["skills"]:
        if skill["type"] == "ext:ESCOOccupation" or not is_uri(skill["url"]):
            continue
        esco = skill["type"] == "ext:ESCOSkill"
        competencies.append(
            _alignment(
                skill["url"],
                skill["name"],
                lang,
                **{
                    "ceterms:framework": _ESCO_SKILLS if esco else None,
                    "ceterms:frameworkName": _local(skill["framework"], lang),
                    "ceterms:codedNotation": skill["code"],
                    "ceterms:targetNodeDescription": _local(skill["description"], lang),
                },
            )
        )
    outcomes = [o["text"] for o in eu["learning_outcomes"]]
    return compact(
        {
            "@type": "ceterms:ConditionProfile",
            "ceterms:name": {"en": "Requirements"},
            "ceterms:description": {
                lang: narrative or f"What a learner shows to earn {source.name}."
            },
            "ceterms:subjectWebpage": criteria_url if is_http_url(criteria_url) else None,
            "ceterms:condition": {lang: outcomes} if outcomes else None,
            "ceterms:targetCompetency": competencies,
        }
    )


def ctdl_description(
    credential: Mapping[str, Any], *, subject_webpage: str | None = None
) -> dict[str, Any]:
    """The CTDL graph (credential + organisation) for the achievement of ``credential``.

    ``subject_webpage`` is the page describing the credential (CTDL requires one); without
    it the achievement id, its criteria URL or the issuer's homepage is used, whichever is
    an http(s) URL first.
    """
    source = read_source(credential)
    eu = read_eu_elements(source.achievement)
    lang = source.language
    achievement = source.achievement
    achievement_id = achievement.get("id")
    if not is_uri(achievement_id):
        achievement_id = derived_id(str(source.issuer["id"]), "ctdl", source.name)
    criteria = achievement.get("criteria")
    criteria_url = criteria.get("id") if isinstance(criteria, Mapping) else None
    webpage = next(
        (
            url
            for url in (subject_webpage, achievement_id, criteria_url, source.issuer.get("url"))
            if is_http_url(url)
        ),
        None,
    )
    if webpage is None:
        raise InvalidInput("a CTDL description needs a web page about the credential")
    organisations = [_organisation(source.issuer, lang)]
    creator = achievement.get("creator")
    if isinstance(creator, Mapping) and is_uri(creator.get("id")):
        if creator.get("id") != source.issuer.get("id"):
            organisations.append(_organisation(creator, lang))
    image = image_ref(achievement.get("image"))
    stack = eu["stackability"]
    occupations = [
        _alignment(s["url"], s["name"], lang, **{"ceterms:framework": _ESCO_OCCUPATIONS})
        for s in eu["skills"]
        if s["type"] == "ext:ESCOOccupation"
    ]
    node = compact(
        {
            "@type": credential_class(achievement.get("achievementType")),
            "@id": achievement_id,
            "ceterms:ctid": ctid(str(achievement_id)),
            "ceterms:name": {lang: source.name},
            "ceterms:description": {lang: source.description or source.name},
            "ceterms:subjectWebpage": webpage,
            "ceterms:credentialStatusType": {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": "https://credreg.net/ctdl/terms/CredentialStatus",
                "ceterms:targetNode": "credentialStat:Active",
                "ceterms:frameworkName": {"en": "Credential Status"},
                "ceterms:targetNodeName": {"en": "Active"},
            },
            "ceterms:inLanguage": [lang],
            "ceterms:ownedBy": [organisations[0]["@id"]],
            "ceterms:offeredBy": [o["@id"] for o in organisations],
            "ceterms:image": image if is_http_url(image) else None,
            "ceterms:keyword": (
                {lang: strings(achievement.get("tag"))} if strings(achievement.get("tag")) else None
            ),
            "ceterms:codedNotation": text(achievement.get("humanCode")),
            "ceterms:requires": [_requires(source, eu, lang)],
            "ceterms:estimatedDuration": (
                [
                    {
                        "@type": "ceterms:DurationProfile",
                        "ceterms:exactDuration": duration(eu["workload_hours"]),
                        "ceterms:description": {"en": "Notional workload"},
                    }
                ]
                if eu["workload_hours"] is not None
                else None
            ),
            "ceterms:creditValue": (
                [
                    {
                        "@type": "ceterms:ValueProfile",
                        "ceterms:value": eu["ects"],
                        "ceterms:description": {"en": "ECTS credits"},
                    }
                ]
                if eu["ects"] is not None
                else None
            ),
            "ceterms:occupationType": occupations,
            "ceterms:isPartOf": [t["id"] for t in stack["towards"]] if stack else None,
        }
    )
    return {"@context": CTDL_CONTEXT, "@graph": [node, *organisations]}


# ---------------------------------------------------------------------------- checking

#: per class: properties allowed (a subset of Credential Engine's lists) and required
_ALLOWED: dict[str, frozenset[str]] = {
    "credential": frozenset(
        {
            "@type", "@id", "ceterms:ctid", "ceterms:name", "ceterms:description",
            "ceterms:subjectWebpage", "ceterms:credentialStatusType", "ceterms:inLanguage",
            "ceterms:ownedBy", "ceterms:offeredBy", "ceterms:image", "ceterms:keyword",
            "ceterms:codedNotation", "ceterms:requires", "ceterms:estimatedDuration",
            "ceterms:creditValue", "ceterms:occupationType", "ceterms:isPartOf",
        }
    ),
    "ceterms:CredentialOrganization": frozenset(
        {
            "@type", "@id", "ceterms:ctid", "ceterms:name", "ceterms:description",
            "ceterms:subjectWebpage", "ceterms:email", "ceterms:address",
        }
    ),
    "ceterms:ConditionProfile": frozenset(
        {
            "@type", "ceterms:name", "ceterms:description", "ceterms:subjectWebpage",
            "ceterms:condition", "ceterms:targetCompetency",
        }
    ),
    "ceterms:CredentialAlignmentObject": frozenset(
        {
            "@type", "ceterms:targetNode", "ceterms:targetNodeName",
            "ceterms:targetNodeDescription", "ceterms:framework", "ceterms:frameworkName",
            "ceterms:codedNotation",
        }
    ),
    "ceterms:DurationProfile": frozenset(
        {"@type", "ceterms:description", "ceterms:exactDuration"}
    ),
    "ceterms:ValueProfile": frozenset({"@type", "ceterms:description", "ceterms:value"}),
    "ceterms:Place": frozenset(
        {
            "@type", "ceterms:streetAddress", "ceterms:postalCode", "ceterms:addressLocality",
            "ceterms:addressRegion", "ceterms:addressCountry",
        }
    ),
}  # fmt: skip
_REQUIRED_CREDENTIAL = (
    "@type", "@id", "ceterms:ctid", "ceterms:name", "ceterms:description",
    "ceterms:subjectWebpage", "ceterms:credentialStatusType",
)  # fmt: skip
_LANGUAGE_MAPS = frozenset(
    {
        "ceterms:name", "ceterms:description", "ceterms:targetNodeName",
        "ceterms:targetNodeDescription", "ceterms:frameworkName", "ceterms:streetAddress",
        "ceterms:addressLocality", "ceterms:addressRegion", "ceterms:addressCountry",
    }
)  # fmt: skip


def _is_language_map(value: Any, *, lists: bool = False) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    for key, item in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", key):
            return False
        items = item if lists and isinstance(item, list) else [item]
        if not items or not all(isinstance(i, str) and i.strip() for i in items):
            return False
    return True


def _check_object(value: Any, cls: str, where: str, errors: list[str]) -> None:
    if not isinstance(value, Mapping):
        errors.append(f"{where}: expected a {cls} object")
        return
    if value.get("@type") != cls:
        errors.append(f"{where}: @type must be {cls}")
    for key in value:
        if key not in _ALLOWED[cls]:
            errors.append(f"{where}: {key} is not a property of {cls}")
    for key in _LANGUAGE_MAPS & set(value):
        if not _is_language_map(value[key]):
            errors.append(f"{where}.{key}: expected a language map of non-empty strings")
    if cls == "ceterms:CredentialAlignmentObject":
        node = value.get("ceterms:targetNode")
        if node is not None and not is_uri(node):
            errors.append(f"{where}: ceterms:targetNode must be a URI")
        framework = value.get("ceterms:framework")
        if framework is not None and not is_uri(framework):
            errors.append(f"{where}: ceterms:framework must be a URI")
    elif cls == "ceterms:ConditionProfile":
        if "ceterms:description" not in value:
            errors.append(f"{where}: ceterms:description is required")
        if "ceterms:condition" in value and not _is_language_map(
            value["ceterms:condition"], lists=True
        ):
            errors.append(f"{where}.ceterms:condition: expected a language map of string lists")
        for n, item in enumerate(_list(value.get("ceterms:targetCompetency"))):
            _check_object(
                item, "ceterms:CredentialAlignmentObject", f"{where}.competency[{n}]", errors
            )
    elif cls == "ceterms:DurationProfile":
        exact = value.get("ceterms:exactDuration")
        if not isinstance(exact, str) or not _DURATION.match(exact):
            errors.append(f"{where}: ceterms:exactDuration must be an ISO 8601 duration")
    elif cls == "ceterms:ValueProfile":
        number = value.get("ceterms:value")
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            errors.append(f"{where}: ceterms:value must be a positive number")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def validate(document: Any) -> Check:
    """Structural check of a CTDL export (see the module doc for the source of the rules)."""
    if not isinstance(document, Mapping):
        return Check(FORMAT, ("a CTDL document must be a JSON object",))
    errors: list[str] = []
    gaps: list[str] = []
    if document.get("@context") != CTDL_CONTEXT:
        errors.append(f"@context must be {CTDL_CONTEXT!r}")
    graph = document.get("@graph")
    if not isinstance(graph, list) or not graph or not all(isinstance(n, Mapping) for n in graph):
        return Check(FORMAT, (*errors, "@graph must be a non-empty list of objects"))
    credential, *rest = graph
    organisations = {o.get("@id"): o for o in rest}
    if credential.get("@type") not in CREDENTIAL_CLASSES:
        errors.append(f"@graph[0]: @type {credential.get('@type')!r} is not a CTDL credential")
    for key in _REQUIRED_CREDENTIAL:
        if key not in credential:
            errors.append(f"credential: {key} is required")
    for key in credential:
        if key not in _ALLOWED["credential"]:
            errors.append(f"credential: {key} is not a property of a CTDL credential")
    if not is_uri(credential.get("@id")):
        errors.append("credential: @id must be an absolute URI")
    if not _CTID.match(str(credential.get("ceterms:ctid", ""))):
        errors.append("credential: ceterms:ctid must be 'ce-' followed by a lower-case UUID")
    for key in ("ceterms:name", "ceterms:description"):
        if key in credential and not _is_language_map(credential[key]):
            errors.append(f"credential: {key} must be a language map of non-empty strings")
    if "ceterms:subjectWebpage" in credential and not is_http_url(
        credential["ceterms:subjectWebpage"]
    ):
        errors.append("credential: ceterms:subjectWebpage must be an http(s) URL")
    status = credential.get("ceterms:credentialStatusType")
    if status is not None:
        _check_object(status, "ceterms:CredentialAlignmentObject", "credentialStatusType", errors)
    agents = _list(credential.get("ceterms:ownedBy")) + _list(credential.get("ceterms:offeredBy"))
    if not agents:
        errors.append("credential: ceterms:ownedBy or ceterms:offeredBy is required")
    for agent in agents:
        if not is_uri(agent):
            errors.append(f"credential: agent {agent!r} is not a URI")
        elif agent not in organisations:
            errors.append(f"credential: agent {agent} is not described in the graph")
    if "ceterms:keyword" in credential and not _is_language_map(
        credential["ceterms:keyword"], lists=True
    ):
        errors.append("credential: ceterms:keyword must be a language map of string lists")
    if "ceterms:image" in credential and not is_http_url(credential["ceterms:image"]):
        errors.append("credential: ceterms:image must be an http(s) URL")
    for key, cls in (
        ("ceterms:requires", "ceterms:ConditionProfile"),
        ("ceterms:estimatedDuration", "ceterms:DurationProfile"),
        ("ceterms:creditValue", "ceterms:ValueProfile"),
        ("ceterms:occupationType", "ceterms:CredentialAlignmentObject"),
    ):
        for n, item in enumerate(_list(credential.get(key))):
            _check_object(item, cls, f"{key}[{n}]", errors)
    for n, organisation in enumerate(rest):
        where = f"@graph[{n + 1}]"
        _check_object(organisation, "ceterms:CredentialOrganization", where, errors)
        if not is_uri(organisation.get("@id")):
            errors.append(f"{where}: @id must be an absolute URI")
        if not _CTID.match(str(organisation.get("ceterms:ctid", ""))):
            errors.append(f"{where}: ceterms:ctid must be 'ce-' followed by a lower-case UUID")
        if "ceterms:name" not in organisation:
            errors.append(f"{where}: ceterms:name is required")
        for n_place, place in enumerate(_list(organisation.get("ceterms:address"))):
            _check_object(place, "ceterms:Place", f"{where}.address[{n_place}]", errors)
        if "ceterms:subjectWebpage" not in organisation:
            gaps.append(f"organisation {organisation.get('@id')} has no web page (subjectWebpage)")
        if "ceterms:description" not in organisation:
            gaps.append(f"organisation {organisation.get('@id')} has no description")
    return Check(FORMAT, tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(gaps)))
