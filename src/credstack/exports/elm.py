"""European Learning Model (ELM v3) / European Digital Credential JSON-LD, unsealed.

The mapping follows ``docs/exports.md`` (after the Commission's own micro-credential sample,
``Sample-MC-Annex1-unsigned.jsonld`` of european-commission-empl/European-Learning-Model):
the issuer becomes an ``Organisation``, the learner a ``Person`` whose ``hasClaim`` is a
``LearningAchievement`` awarded by an ``AwardingProcess`` and specified by a
``Qualification`` that carries the EU standard elements (learning outcomes with ESCO skills,
ECTS credit points, volume of learning, EQF/NQF level, mode, entry requirements); the
assessment (type, supervision and identity verification, grade) is a ``LearningAssessment``.
Controlled-vocabulary concepts are used where their URIs are known from the Commission's
examples; other values go into notes.

**Unsealed.**  A European Digital Credential is sealed with an eIDAS qualified electronic
seal (a JAdES signature) by an issuer holding a qualified certificate.  credstack cannot
apply one, so this document is an export for EDC tooling (e.g. the Europass credential
builder) to seal, not a credential Europass verifies; it says so in its display description.

:func:`validate` expands the document in safe mode with the vendored ``edc-ap`` context and
checks every node against the cardinalities of the EDC application profile's SHACL shapes
(``EDC-generic-no-cv``, v1.1.0) for the classes used here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credstack.exports._common import (
    Check,
    Source,
    compact,
    data_image,
    derived_id,
    duration,
    image_ref,
    is_http_url,
    is_uri,
    objects,
    read_source,
    text,
)
from credstack.exports._jsonld import CREDENTIALS_V1, EDC_CONTEXT, expand, walk
from credstack.exports._vocab import EU_COUNTRY, EU_LANGUAGE, country, language
from credstack.platform.achievement_design import EUElements, read_eu_elements

__all__ = ["EDC_PROFILE", "UNSEALED_NOTE", "elm_credential", "validate"]

FORMAT = "European Learning Model (EDC JSON-LD, unsealed)"
EDC_PROFILE = "http://data.europa.eu/snb/model/ap/edc-generic-full"
UNSEALED_NOTE = (
    "Unsealed export made by credstack from an Open Badges 3.0 credential. It carries no "
    "eIDAS qualified electronic seal (JAdES), so it is not a European Digital Credential that "
    "Europass verifies until an issuer with a qualified seal certificate seals it."
)
SEAL_GAP = (
    "not sealed: a European Digital Credential needs an eIDAS qualified electronic seal "
    "(JAdES) from the issuer, which credstack cannot apply"
)
LEGAL_ID_GAP = (
    "the issuer has no eIDAS legal identifier (elm:eidasLegalIdentifier, required of an EDC "
    "issuer); credstack holds none to give"
)

_SNB = "http://data.europa.eu/snb/"

# Concepts from the Commission's ELM v3 examples (URI, scheme, English label)
_GENERIC_PROFILE = (f"{_SNB}credential/e34929035b", f"{_SNB}credential/25831c2", "Generic")
_ECTS = (f"{_SNB}education-credit/6fcec5c5af", f"{_SNB}education-credit/25831c2",
         "European Credit Transfer System")  # fmt: skip
_BASE64 = (f"{_SNB}encoding/6146cde7dd", f"{_SNB}encoding/25831c2", "base64")
_MODE_SCHEME = f"{_SNB}learning-assessment/25831c2"
_MODES = {
    "online": (f"{_SNB}learning-assessment/920fbb3cbe", "Online"),
    "onsite": (f"{_SNB}learning-assessment/9191af2ed9", "Presential"),
    "blended": (f"{_SNB}learning-assessment/e92d221e4d", "Blended"),
}
_ID_SCHEME = f"{_SNB}supervision-verification/25831c2"
_ID_VERIFICATION = {
    "unsupervised-no-id": (f"{_SNB}supervision-verification/c598449d64",
                           "Unsupervised without ID Verification"),
    "supervised-with-id-online": (f"{_SNB}supervision-verification/70be69aaf9",
                                  "Supervised with ID Verification"),
    "supervised-with-id-onsite": (f"{_SNB}supervision-verification/70be69aaf9",
                                  "Supervised with ID Verification"),
}  # fmt: skip
_SUPERVISION_MODE = {"supervised-with-id-online": "online", "supervised-with-id-onsite": "onsite"}
_EQF_SCHEME = f"{_SNB}eqf/25831c2"
_ESCO_SKILLS = "http://data.europa.eu/esco/concept-scheme/skills"
_ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
_FILE_TYPES = {"png": "PNG", "jpeg": "JPEG"}
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type"

_LABELS = {
    "testing": "testing",
    "application-of-skill": "application of a skill",
    "portfolio": "portfolio",
    "recognition-of-prior-learning": "recognition of prior learning",
    "other": "other",
    "volunteering": "volunteering",
    "work-experience": "work experience",
    "supervised-no-id": "supervised, without identity verification",
}


def _concept(uri: str, scheme: str | None, label: str) -> dict[str, Any]:
    return compact(
        {
            "id": uri,
            "type": "Concept",
            "inScheme": {"id": scheme, "type": "ConceptScheme"} if scheme else None,
            "prefLabel": {"en": label},
        }
    )


class _Builder:
    """Builds one document; node ids are derived from the credential, so they are stable."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.lang = source.language
        self.base = source.credential_id or str(source.achievement.get("id") or source.name)
        self.counter = 0

    def nid(self, kind: str) -> str:
        self.counter += 1
        return derived_id(self.base, "elm", kind, str(self.counter))

    def local(self, value: str) -> dict[str, str]:
        """Issuer-written text, in the achievement's language."""
        return {self.lang: value}

    def note(self, value: str) -> dict[str, Any]:
        return {"id": self.nid("note"), "type": "Note", "noteLiteral": self.local(value)}

    def language_concept(self) -> dict[str, Any] | None:
        found = language(self.lang)
        return _concept(found[0], EU_LANGUAGE, found[1]) if found else None

    def organisation(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        profile_id = profile.get("id")
        name = text(profile.get("name"))
        url = profile.get("url")
        email = text(profile.get("email"))
        address = profile.get("address") if isinstance(profile.get("address"), Mapping) else {}
        assert isinstance(address, Mapping)
        location = None
        code = text(address.get("addressCountryCode"))
        found = country(code) if code else None
        if found:
            parts = [
                text(address.get(key))
                for key in ("streetAddress", "postalCode", "addressLocality", "addressRegion")
            ]
            full = ", ".join(p for p in parts if p)
            location = [
                {
                    "id": self.nid("location"),
                    "type": "Location",
                    "address": [
                        compact(
                            {
                                "id": self.nid("address"),
                                "type": "Address",
                                "countryCode": _concept(found[0], EU_COUNTRY, found[1]),
                                "fullAddress": self.note(full) if full else None,
                            }
                        )
                    ],
                }
            ]
        return compact(
            {
                "id": profile_id if is_uri(profile_id) else self.nid("organisation"),
                "type": "Organisation",
                "legalName": self.local(name) if name else None,
                "homepage": (
                    [{"id": self.nid("web"), "type": "WebResource", "contentURL": url}]
                    if is_http_url(url)
                    else None
                ),
                "location": location,
                "contactPoint": (
                    [
                        {
                            "id": self.nid("contact"),
                            "type": "ContactPoint",
                            "emailAddress": [{"id": f"mailto:{email}", "type": "Mailbox"}],
                        }
                    ]
                    if email and "@" in email and " " not in email
                    else None
                ),
                "logo": self.logo(profile.get("image")),
            }
        )

    def logo(self, image: Any) -> dict[str, Any] | None:
        data = data_image(image_ref(image))
        if data is None or data[0] not in _FILE_TYPES:
            return None
        kind = _FILE_TYPES[data[0]]
        return {
            "id": self.nid("media"),
            "type": "MediaObject",
            "content": data[1],
            "contentType": _concept(f"{_FILE_TYPE}/{kind}", _FILE_TYPE, kind),
            "contentEncoding": _concept(*_BASE64),
        }

    def learning_outcomes(self, eu: EUElements) -> list[dict[str, Any]]:
        skills = {s["url"]: s for s in eu["skills"]}
        linked: set[str] = set()
        out = []
        for outcome in eu["learning_outcomes"]:
            urls = [u for u in outcome["skills"] if u in skills]
            linked.update(urls)
            out.append(self.outcome(outcome["text"], [skills[u] for u in urls]))
        for skill in eu["skills"]:  # skills no outcome names: each an outcome of its own
            occupation = skill["type"] == "ext:ESCOOccupation"
            if skill["url"] not in linked and not occupation:
                out.append(self.outcome(skill["name"], [skill]))
        return out

    def outcome(self, title: str, skills: list[Any]) -> dict[str, Any]:
        esco = [s for s in skills if str(s["url"]).startswith(_ESCO_SKILL_PREFIX)]
        other = [s for s in skills if s not in esco and is_uri(s["url"])]
        return compact(
            {
                "id": self.nid("outcome"),
                "type": "LearningOutcome",
                "title": self.local(title),
                "relatedESCOSkill": [_concept(s["url"], _ESCO_SKILLS, s["name"]) for s in esco],
                "relatedSkill": [_concept(s["url"], None, s["name"]) for s in other],
            }
        )

    def qualification(self, eu: EUElements) -> dict[str, Any]:
        achievement = self.source.achievement
        achievement_id = achievement.get("id")
        notes: list[str] = []
        if eu["participation_form"] and eu["participation_form"] not in _MODES:
            form = eu["participation_form"]
            notes.append(f"Form of participation: {_LABELS.get(form, form)}")
        qa = eu["quality_assurance"]
        if qa:
            notes.append(
                f"Quality assurance: {qa['description']}" + (f" ({qa['url']})" if qa["url"] else "")
            )
        stack = eu["stackability"]
        if stack and stack["towards"]:
            towards = "; ".join(f"{t['name']} ({t['id']})" for t in stack["towards"])
            notes.append(f"Stackable towards: {towards}")
        if eu["further_information"]:
            notes.append(f"Further information: {eu['further_information']}")
        criteria = achievement.get("criteria")
        criteria_url = criteria.get("id") if isinstance(criteria, Mapping) else None
        mode = _MODES.get(eu["participation_form"] or "")
        nqf = eu["nqf_level"]
        lang = self.language_concept()
        return compact(
            {
                "id": achievement_id if is_uri(achievement_id) else self.nid("specification"),
                "type": "Qualification",
                "title": self.local(self.source.name),
                "description": (
                    self.local(self.source.description) if self.source.description else None
                ),
                "learningOutcome": self.learning_outcomes(eu),
                "creditPoint": (
                    [
                        {
                            "id": self.nid("credit"),
                            "type": "CreditPoint",
                            "framework": _concept(*_ECTS),
                            "point": _decimal(eu["ects"]),
                        }
                    ]
                    if eu["ects"] is not None
                    else None
                ),
                "volumeOfLearning": (
                    duration(eu["workload_hours"]) if eu["workload_hours"] is not None else None
                ),
                "eqfLevel": (
                    _concept(
                        f"{_SNB}eqf/{eu['eqf_level']}", _EQF_SCHEME, f"Level {eu['eqf_level']}"
                    )
                    if eu["eqf_level"] is not None
                    else None
                ),
                "nqfLevel": (
                    [_concept(nqf["url"], None, f"{nqf['framework']} level {nqf['level']}")]
                    if nqf
                    else None
                ),
                "mode": [_concept(mode[0], _MODE_SCHEME, mode[1])] if mode else None,
                "entryRequirement": (
                    self.note(eu["prerequisites"]) if eu["prerequisites"] else None
                ),
                "isPartialQualification": (
                    None
                    if stack is None
                    else stack["mode"] == "stackable" and bool(stack["towards"])
                ),
                "supplementaryDocument": (
                    [{"id": self.nid("web"), "type": "WebResource", "contentURL": criteria_url}]
                    if is_http_url(criteria_url)
                    else None
                ),
                "language": [lang] if lang else None,
                "additionalNote": [self.note(n) for n in notes],
            }
        )

    def grade(self, eu: EUElements) -> str:
        grade_id = f"{self.source.achievement.get('id')}#grade"
        for result in objects(self.source.subject.get("result")):
            value = text(result.get("value"))
            if value and (result.get("resultDescription") == grade_id or eu["grade_scale"]):
                return value
        return "Awarded (no grade recorded in the credential)"

    def assessment(self, eu: EUElements, awarding: dict[str, Any]) -> dict[str, Any] | None:
        types = eu["assessment_types"]
        supervision = eu["supervision"]
        scale = eu["grade_scale"]
        has_result = bool(objects(self.source.subject.get("result")))
        if not (types or eu["assessment_details"] or supervision or scale or has_result):
            return None
        title = "Assessment"
        if types:
            title += ": " + ", ".join(_LABELS.get(t, t) for t in types)
        notes = []
        if supervision and supervision not in _ID_VERIFICATION:
            notes.append(f"Supervision: {_LABELS.get(supervision, supervision)}")
        verification = _ID_VERIFICATION.get(supervision or "")
        mode = _MODES.get(_SUPERVISION_MODE.get(supervision or "", ""))
        scheme = None
        if scale:
            described = []
            if scale["allowed_values"]:
                described.append("values " + ", ".join(scale["allowed_values"]))
            if scale["required_value"]:
                described.append(f"pass mark {scale['required_value']}")
            scheme = compact(
                {
                    "id": self.nid("grading"),
                    "type": "GradingScheme",
                    "title": self.local(scale["name"]),
                    "description": {"en": "; ".join(described)} if described else None,
                }
            )
        specification = compact(
            {
                "id": self.nid("assessment-spec"),
                "type": "LearningAssessmentSpecification",
                "title": {"en": title},
                "description": (
                    self.local(eu["assessment_details"]) if eu["assessment_details"] else None
                ),
                "mode": [_concept(mode[0], _MODE_SCHEME, mode[1])] if mode else None,
                "gradingScheme": scheme,
            }
        )
        return compact(
            {
                "id": self.nid("assessment"),
                "type": "LearningAssessment",
                "title": {"en": title},
                "grade": {
                    "id": self.nid("note"),
                    "type": "Note",
                    "noteLiteral": {"en": self.grade(eu)},
                },
                "awardedBy": awarding,
                "idVerification": (
                    _concept(verification[0], _ID_SCHEME, verification[1]) if verification else None
                ),
                "specifiedBy": specification,
                "additionalNote": [self.note(n) for n in notes],
            }
        )

    def person(self, claim: dict[str, Any]) -> dict[str, Any]:
        subject = self.source.subject
        identifiers = []
        for identity in objects(subject.get("identifier")):
            value = text(identity.get("identityHash"))
            if value and identity.get("hashed") is True:
                kind = text(identity.get("identityType")) or "identifier"
                identifiers.append(
                    {
                        "id": self.nid("identifier"),
                        "type": "Identifier",
                        "notation": value,
                        "schemeName": f"Open Badges 3.0 salted hash ({kind})",
                    }
                )
        subject_id = subject.get("id")
        return compact(
            {
                "id": subject_id if is_uri(subject_id) else self.nid("person"),
                "type": "Person",
                "identifier": identifiers,
                "hasClaim": [claim],
            }
        )


def _decimal(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def elm_credential(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The unsealed ELM / EDC JSON-LD of an issued OB 3.0 credential (see module doc)."""
    source = read_source(credential)
    eu = read_eu_elements(source.achievement)
    build = _Builder(source)
    issuer = build.organisation(source.issuer)
    bodies = [issuer]
    creator = source.achievement.get("creator")
    if isinstance(creator, Mapping) and creator.get("id") not in (None, source.issuer.get("id")):
        bodies.append(build.organisation(creator))
    issued = source.awarded or source.valid_from
    awarding = compact(
        {
            "id": build.nid("awarding"),
            "type": "AwardingProcess",
            "awardingBody": bodies,
            "awardingDate": issued,
        }
    )
    assessment = build.assessment(eu, awarding)
    claim = compact(
        {
            "id": build.nid("achievement"),
            "type": "LearningAchievement",
            "title": build.local(source.name),
            "description": build.local(source.description) if source.description else None,
            "awardedBy": awarding,
            "specifiedBy": build.qualification(eu),
            "provenBy": [assessment] if assessment else None,
        }
    )
    lang = build.language_concept()
    display = compact(
        {
            "id": build.nid("display"),
            "type": "DisplayParameter",
            "title": build.local(source.name),
            "description": {"en": UNSEALED_NOTE},
            "primaryLanguage": lang,
            "language": [lang] if lang else None,
        }
    )
    identifier = (
        [
            {
                "id": build.nid("identifier"),
                "type": "Identifier",
                "notation": source.credential_id,
                "schemeName": "Open Badges 3.0 credential id",
            }
        ]
        if source.credential_id
        else None
    )
    return compact(
        {
            "@context": [CREDENTIALS_V1, EDC_CONTEXT],
            "id": derived_id(build.base, "elm", "credential"),
            "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
            "credentialSchema": [{"id": EDC_PROFILE, "type": "ShaclValidator2017"}],
            "credentialProfiles": [_concept(*_GENERIC_PROFILE)],
            "identifier": identifier,
            "displayParameter": display,
            "issuer": issuer,
            "issuanceDate": issued,
            "issued": issued,
            "validFrom": source.valid_from or issued,
            "validUntil": source.valid_until,
            "expirationDate": source.valid_until,
            "credentialSubject": build.person(claim),
        }
    )


# ---------------------------------------------------------------------------- checking

_ELM = "http://data.europa.eu/snb/model/elm/"
_DC = "http://purl.org/dc/terms/"
_CRED = "https://www.w3.org/2018/credentials#"
_ROV = "http://www.w3.org/ns/regorg#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"

#: cardinalities (min, max; None = unbounded) from the EDC application profile's SHACL
#: shapes (rdf/ap/edc/EDC-generic-no-cv.ttl, v1.1.0) for the classes this export emits
SHAPES: dict[str, dict[str, tuple[int, int | None]]] = {
    _ELM + "EuropeanDigitalCredential": {
        _ELM + "credentialProfiles": (1, None),
        _ELM + "displayParameter": (1, 1),
        _CRED + "issuer": (1, 1),
        _CRED + "credentialSubject": (1, 1),
        _CRED + "issuanceDate": (0, 1),
        _CRED + "issued": (1, 1),
        _CRED + "validFrom": (1, 1),
        _CRED + "expirationDate": (0, 1),
        _CRED + "validUntil": (0, 1),
        _CRED + "credentialSchema": (1, None),
    },
    _ELM + "DisplayParameter": {
        _DC + "title": (1, None),
        _ELM + "primaryLanguage": (1, 1),
        _DC + "language": (1, None),
        _ELM + "individualDisplay": (1, None),
    },
    _ELM + "Person": {_ELM + "hasClaim": (1, None)},
    _ELM + "LearningAchievement": {
        _DC + "title": (1, None),
        _ELM + "awardedBy": (1, 1),
        _ELM + "specifiedBy": (0, 1),
    },
    _ELM + "AwardingProcess": {_ELM + "awardingBody": (1, None), _ELM + "awardingDate": (0, 1)},
    _ELM + "Organisation": {
        _ROV + "legalName": (1, None),
        _ELM + "location": (1, None),
        _ELM + "logo": (0, 1),
    },
    _DC + "Location": {_ELM + "address": (1, None)},
    _ELM + "Address": {_ELM + "countryCode": (1, 1), _ELM + "fullAddress": (0, 1)},
    _ELM + "Qualification": {
        _DC + "title": (1, None),
        _ELM + "volumeOfLearning": (0, 1),
        _ELM + "entryRequirement": (0, 1),
        _ELM + "EQFLevel": (0, 1),
        _ELM + "isPartialQualification": (0, 1),
    },
    _ELM + "LearningOutcome": {_DC + "title": (1, None)},
    _ELM + "CreditPoint": {_ELM + "framework": (1, 1), _ELM + "point": (1, 1)},
    _ELM + "LearningAssessment": {
        _DC + "title": (1, None),
        _ELM + "grade": (1, 1),
        _ELM + "awardedBy": (1, 1),
        _ELM + "idVerification": (0, 1),
        _ELM + "specifiedBy": (0, 1),
    },
    _ELM + "LearningAssessmentSpecification": {
        _DC + "title": (1, None),
        _ELM + "gradingScheme": (0, 1),
    },
    _ELM + "GradingScheme": {_DC + "title": (1, None)},
    _ELM + "Note": {_ELM + "noteLiteral": (1, None)},
    _ELM + "WebResource": {_ELM + "contentUrl": (1, 1)},
    _ELM + "MediaObject": {
        _ELM + "contentType": (1, 1),
        _ELM + "contentEncoding": (1, 1),
        _ELM + "content": (1, 1),
    },
    _ELM + "Identifier": {_SKOS + "notation": (1, 1)},
    _ELM + "ContactPoint": {},
    _ELM + "Mailbox": {},
    _SKOS + "Concept": {},
    _SKOS + "ConceptScheme": {},
    _ELM + "ShaclValidator2017": {},
    _CRED + "VerifiableCredential": {},
}

#: requirements the source data may not meet: reported as gaps, not errors
_GAPS = {
    (_ELM + "DisplayParameter", _ELM + "individualDisplay"): (
        "no rendered image of the credential (displayParameter.individualDisplay); the "
        "EDC tooling that seals the credential adds one"
    ),
    (_ELM + "DisplayParameter", _ELM + "primaryLanguage"): (
        "the achievement's language has no EU language concept (displayParameter.primaryLanguage)"
    ),
    (_ELM + "DisplayParameter", _DC + "language"): (
        "the achievement's language has no EU language concept (displayParameter.language)"
    ),
    (_ELM + "Organisation", _ELM + "location"): (
        "an organisation has no country (address.addressCountryCode) with an EU country "
        "concept, so the country of the awarding body is missing (organisation.location)"
    ),
    (_ELM + "Organisation", _ROV + "legalName"): "an organisation has no name (legalName)",
}


def _short(iri: str) -> str:
    for prefix, name in ((_ELM, "elm:"), (_DC, "dc:"), (_CRED, "cred:"), (_ROV, "rov:"),
                         (_SKOS, "skos:")):  # fmt: skip
        if iri.startswith(prefix):
            return name + iri[len(prefix) :]
    return iri


def validate(document: Any) -> Check:
    """Check an ELM export: safe-mode JSON-LD with the EDC context, then the EDC SHACL
    cardinalities of every node (see :data:`SHAPES`); unmet requirements the source cannot
    fill, and the missing seal, are gaps."""
    if not isinstance(document, Mapping):
        return Check(FORMAT, ("an ELM document must be a JSON object",))
    errors: list[str] = []
    gaps: list[str] = [SEAL_GAP, LEGAL_ID_GAP]
    if document.get("@context") != [CREDENTIALS_V1, EDC_CONTEXT]:
        errors.append(f"@context must be [{CREDENTIALS_V1!r}, {EDC_CONTEXT!r}]")
    expanded, problems = expand(document)
    errors.extend(problems)
    roots = [n for n in walk(expanded) if _ELM + "EuropeanDigitalCredential" in n.get("@type", [])]
    if len(roots) != 1:
        errors.append("the document must hold exactly one EuropeanDigitalCredential")
    for node in walk(expanded):
        types = node.get("@type", [])
        if not types:
            errors.append(f"node {node.get('@id', '(no id)')} has no type")
        for cls in types:
            shape = SHAPES.get(cls)
            if shape is None:
                errors.append(f"{_short(cls)} is not a class this export may use")
                continue
            for path, (low, high) in shape.items():
                count = len(node.get(path, []))
                if low <= count and (high is None or count <= high):
                    continue
                gap = _GAPS.get((cls, path))
                message = (
                    f"{_short(cls)} {node.get('@id', '')}: {_short(path)} has {count} "
                    f"value(s), the EDC profile wants {low}..{high if high is not None else 'n'}"
                )
                if gap is not None and count < low:
                    gaps.append(gap)
                else:
                    errors.append(message)
    return Check(FORMAT, tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(gaps)))
