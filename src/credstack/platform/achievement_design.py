"""What an issuer authors, and how it becomes an Open Badges 3.0 ``Achievement``.

The design carries the EU micro-credential standard elements (Council Recommendation
2022/C 243/02, Annex I: https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32022H0627(02))
and puts each one in an OB 3.0 field (https://www.imsglobal.org/spec/ob/v3p0/#achievement).
No extension context is needed: where OB has no field for an element, the value goes in an
``otherIdentifier`` or ``alignment`` whose ``identifierType`` / ``targetType`` is one of the
``ext:`` values below, which the OB schema allows and the OB context defines.  The full mapping,
with examples, is in ``docs/eu-elements.md``; :func:`read_eu_elements` reads it back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, Self, TypedDict

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from credstack.errors import InvalidInput
from credstack.models.ob import (
    Achievement,
    AchievementType,
    AlignmentTargetType,
    Profile,
    ResultType,
)
from credstack.models.vc import EXT_PATTERN, flatten_errors

__all__ = [
    "EQF_FRAMEWORK",
    "EU_FRAMEWORK",
    "AchievementDesign",
    "AssessmentType",
    "CreatorProfile",
    "EUElements",
    "GradeScale",
    "LearningOutcome",
    "NqfLevel",
    "ParticipationForm",
    "QualityAssurance",
    "RelatedVersion",
    "SkillAlignment",
    "StackTarget",
    "Stackability",
    "StackabilityMode",
    "Supervision",
    "eqf_uri",
    "read_eu_elements",
    "to_achievement",
]

# --------------------------------------------------------------------------------------------
# Vocabulary: the ext: values credstack documents (docs/eu-elements.md)

ESCO_SKILL = "ext:ESCOSkill"
"""``alignment.targetType`` of an ESCO skill (``targetUrl`` = the ESCO skill URI)."""
ESCO_OCCUPATION = "ext:ESCOOccupation"
"""``alignment.targetType`` of an ESCO occupation (``targetUrl`` = the ESCO occupation URI)."""
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"

EQF_LEVEL = "ext:EQFLevel"
EQF_FRAMEWORK = "European Qualifications Framework"
EQF_URI_PREFIX = "http://data.europa.eu/snb/eqf/"
NQF_LEVEL = "ext:NQFLevel"

EU_FRAMEWORK = "EU micro-credential standard elements (Council Recommendation 2022/C 243/02)"
"""``targetFramework`` of the alignments that carry EU elements without a concept of their own."""

# otherIdentifier.identifierType values (short codes and numbers)
CREDIT_SYSTEM = "ext:EUCreditSystem"
WORKLOAD_HOURS = "ext:EUWorkloadHours"
ASSESSMENT_TYPE = "ext:EUAssessmentType"
PARTICIPATION_FORM = "ext:EUParticipationForm"
SUPERVISION = "ext:EUSupervision"
STACKABILITY = "ext:EUStackability"

# alignment.targetType values (free text in targetDescription, or a link in targetUrl)
ASSESSMENT_DETAILS = "ext:EUAssessmentDetails"
QUALITY_ASSURANCE = "ext:EUQualityAssurance"
PREREQUISITES = "ext:EUPrerequisites"
FURTHER_INFORMATION = "ext:EUFurtherInformation"
STACKABLE_TOWARDS = "ext:EUStackableTowards"

# resultDescription.resultType of a learning outcome
LEARNING_OUTCOME = "ext:EULearningOutcome"

ECTS = "ECTS"
GRADE_FRAGMENT = "grade"

#: alignment targetTypes that are not skills
_ELEMENT_TARGET_TYPES = frozenset(
    {EQF_LEVEL, NQF_LEVEL, ASSESSMENT_DETAILS, QUALITY_ASSURANCE, PREREQUISITES,
     FURTHER_INFORMATION, STACKABLE_TOWARDS}
)  # fmt: skip

ELEMENT_TARGET_TYPES = _ELEMENT_TARGET_TYPES
"""The alignment targetTypes that carry an EU element, not a skill."""

#: text elements: targetType -> (targetName, fragment of the fallback targetUrl)
_TEXT_ELEMENTS = {
    ASSESSMENT_DETAILS: ("Type of assessment", "eu-assessment"),
    QUALITY_ASSURANCE: ("Quality assurance", "eu-quality-assurance"),
    PREREQUISITES: ("Prerequisites", "eu-prerequisites"),
    FURTHER_INFORMATION: ("Further information", "eu-further-information"),
}


def eqf_uri(level: int) -> str:
    """The EU concept URI of an EQF level (``http://data.europa.eu/snb/eqf/<n>``)."""
    return f"{EQF_URI_PREFIX}{level}"


# --------------------------------------------------------------------------------------------
# Enumerations of the EU elements


class AssessmentType(StrEnum):
    """Annex I element 9, "type of assessment"."""

    TESTING = "testing"
    APPLICATION_OF_SKILL = "application-of-skill"
    PORTFOLIO = "portfolio"
    RECOGNITION_OF_PRIOR_LEARNING = "recognition-of-prior-learning"
    OTHER = "other"


class ParticipationForm(StrEnum):
    """Annex I element 10, "form of participation in the learning activity"."""

    ONLINE = "online"
    ONSITE = "onsite"
    BLENDED = "blended"
    VOLUNTEERING = "volunteering"
    WORK_EXPERIENCE = "work-experience"


class Supervision(StrEnum):
    """Optional element "supervision and identity verification during assessment"."""

    UNSUPERVISED_NO_ID = "unsupervised-no-id"
    SUPERVISED_NO_ID = "supervised-no-id"
    SUPERVISED_WITH_ID_ONLINE = "supervised-with-id-online"
    SUPERVISED_WITH_ID_ONSITE = "supervised-with-id-onsite"


class StackabilityMode(StrEnum):
    """Optional element "integration / stackability options"."""

    STANDALONE = "standalone"
    STACKABLE = "stackable"


# --------------------------------------------------------------------------------------------
# Value checks

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
_DATA_IMAGE = re.compile(r"data:image/(png|svg\+xml|jpeg|gif|webp);base64,[A-Za-z0-9+/]+=*")
#: the BCP 47 subset the OB 3.0 data model uses for ``inLanguage`` (language-script-region)
_LANGUAGE = re.compile(r"[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def _uri(value: str) -> str:
    if not _URI.fullmatch(value):
        raise ValueError(f"{value!r} is not an absolute URI (scheme:..., no spaces)")
    return value


def _image(value: str) -> str:
    if value.startswith("data:"):
        if not _DATA_IMAGE.fullmatch(value):
            raise ValueError(
                "a data URI image must be data:image/<png|svg+xml|jpeg|gif|webp>;base64,<data>"
            )
        return value
    if not (value.startswith(("https://", "http://")) and _URI.fullmatch(value)):
        raise ValueError(f"{value!r} is neither an http(s) URL nor a data URI")
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a BCP 47 language tag of the form language[-Script][-REGION] "
            "(e.g. 'en', 'de-AT', 'sr-Latn-RS')"
        )
    return value


def _extensible(enum: type[StrEnum]) -> AfterValidator:
    def check(value: str) -> str:
        if value in enum._value2member_map_ or EXT_PATTERN.fullmatch(value):
            return value
        raise ValueError(f"{value!r} is not a {enum.__name__} value nor an 'ext:' extension")

    return AfterValidator(check)


Text = Annotated[str, Field(strict=True), AfterValidator(_not_blank)]
Uri = Annotated[str, Field(strict=True), AfterValidator(_uri)]
ImageRef = Annotated[str, Field(strict=True), AfterValidator(_image)]
Language = Annotated[str, Field(strict=True), AfterValidator(_language)]
Positive = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
EqfLevel = Annotated[int, Field(strict=True, ge=1, le=8)]
AchievementTypeValue = Annotated[str, Field(strict=True), _extensible(AchievementType)]
TargetTypeValue = Annotated[str, Field(strict=True), _extensible(AlignmentTargetType)]
ResultTypeValue = Annotated[str, Field(strict=True), _extensible(ResultType)]


def _number(value: float) -> int | float:
    """An integral float as int, so ``5.0`` and ``5`` serialise alike everywhere."""
    return int(value) if float(value).is_integer() else value


def _duplicates(values: Iterator[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


# --------------------------------------------------------------------------------------------
# Design models


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SkillAlignment(_Part):
    """A skill, competency or occupation of a framework (the skills alignment rule).

    ``url`` is the framework concept URI (for ESCO the skill URI: the join key everywhere),
    ``name`` its label, ``framework`` name and version (e.g. ``"ESCO v1.2"``), ``code`` its code.
    ``type`` defaults to ``ext:ESCOSkill`` / ``ext:ESCOOccupation`` for ESCO URIs.
    """

    url: Uri
    name: Text
    framework: Text | None = None
    code: Text | None = None
    type: TargetTypeValue | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _type_fits_url(self) -> Self:
        if self.type in _ELEMENT_TARGET_TYPES:
            raise ValueError(f"type {self.type!r} is reserved for an EU element, not a skill")
        expected = _esco_type(self.url)
        if expected is not None and self.type not in (None, expected):
            raise ValueError(f"an ESCO URI like {self.url!r} must have type {expected!r}")
        return self

    @property
    def target_type(self) -> str | None:
        """``type``, or the ESCO default for an ESCO URI."""
        return self.type if self.type is not None else _esco_type(self.url)


def _esco_type(url: str) -> str | None:
    if url.startswith(ESCO_SKILL_PREFIX):
        return ESCO_SKILL
    if url.startswith(ESCO_OCCUPATION_PREFIX):
        return ESCO_OCCUPATION
    return None


class LearningOutcome(_Part):
    """Annex I element 6: one learning outcome, optionally linked to skills of ``skills``."""

    text: Text
    skills: tuple[Uri, ...] = ()


class NqfLevel(_Part):
    """A national qualifications framework level; ``url`` is the level's concept URI."""

    level: Text
    framework: Text
    url: Uri


class QualityAssurance(_Part):
    """Annex I element 11: the type of quality assurance, and where it is documented."""

    description: Text
    url: Uri | None = None


class StackTarget(_Part):
    """An achievement this one stacks towards (its OB ``Achievement.id`` and name)."""

    id: Uri
    name: Text


class Stackability(_Part):
    """Stand-alone, or stackable (towards the named achievements, if known)."""

    mode: StackabilityMode
    towards: tuple[StackTarget, ...] = ()

    @model_validator(mode="after")
    def _targets_only_when_stackable(self) -> Self:
        if self.mode is StackabilityMode.STANDALONE and self.towards:
            raise ValueError("a standalone micro-credential stacks towards nothing")
        return self


class GradeScale(_Part):
    """How results are graded (becomes a ``ResultDescription``)."""

    name: Text
    result_type: ResultTypeValue
    allowed_values: tuple[Text, ...] = ()
    value_min: Text | None = None
    value_max: Text | None = None
    required_value: Text | None = None


class CreatorProfile(_Part):
    """A co-branding creator (``Achievement.creator``): a Profile with id, name, url, email."""

    id: Uri
    name: Text | None = None
    url: Uri | None = None
    email: Text | None = None


class RelatedVersion(_Part):
    """Another language edition or version of this achievement (``Achievement.related``)."""

    id: Uri
    language: Language | None = None
    version: Text | None = None


class SkillEntry(TypedDict):
    url: str
    name: str
    framework: str | None
    code: str | None
    type: str | None
    description: str | None


class LearningOutcomeEntry(TypedDict):
    text: str
    skills: list[str]


class NqfEntry(TypedDict):
    level: str
    framework: str
    url: str


class QualityAssuranceEntry(TypedDict):
    description: str
    url: str | None


class StackTargetEntry(TypedDict):
    id: str
    name: str


class StackabilityEntry(TypedDict):
    mode: str
    towards: list[StackTargetEntry]


class GradeScaleEntry(TypedDict):
    name: str
    result_type: str
    allowed_values: list[str]
    value_min: str | None
    value_max: str | None
    required_value: str | None


class EUElements(TypedDict):
    """The EU standard elements of one Achievement, as plain JSON values (``None`` = absent)."""

    title: str | None
    skills: list[SkillEntry]
    learning_outcomes: list[LearningOutcomeEntry]
    workload_hours: int | float | None
    ects: int | float | None
    eqf_level: int | None
    nqf_level: NqfEntry | None
    assessment_types: list[str]
    assessment_details: str | None
    participation_form: str | None
    quality_assurance: QualityAssuranceEntry | None
    supervision: str | None
    prerequisites: str | None
    stackability: StackabilityEntry | None
    further_information: str | None
    grade_scale: GradeScaleEntry | None


class AchievementDesign(_Part):
    """An achievement as an issuer authors it: OB fields plus the EU standard elements.

    Build it with :meth:`from_json` (readable ``InvalidInput`` errors); store :meth:`to_data`.
    Every EU element is optional so drafts can be saved; a quality score tells what is missing.
    """

    name: Text
    description: Text
    criteria_narrative: Text | None = None
    criteria_url: Uri | None = None
    achievement_type: AchievementTypeValue = AchievementType.MICRO_CREDENTIAL.value
    image: ImageRef | None = None
    image_caption: Text | None = None
    tags: tuple[Text, ...] = ()
    language: Language | None = None
    field_of_study: Text | None = None
    specialization: Text | None = None
    human_code: Text | None = None
    creator: CreatorProfile | None = None
    version: Text | None = None
    related: tuple[RelatedVersion, ...] = ()
    skills: tuple[SkillAlignment, ...] = ()
    # EU standard elements
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    workload_hours: Positive | None = None
    ects: Positive | None = None
    eqf_level: EqfLevel | None = None
    nqf_level: NqfLevel | None = None
    assessment_types: tuple[AssessmentType, ...] = ()
    assessment_details: Text | None = None
    participation_form: ParticipationForm | None = None
    quality_assurance: QualityAssurance | None = None
    supervision: Supervision | None = None
    prerequisites: Text | None = None
    stackability: Stackability | None = None
    further_information: Text | None = None
    grade_scale: GradeScale | None = None
    # issuing policy (not part of the Achievement JSON)
    suspendable: Annotated[bool, Field(strict=True)] = False
    """Credentials get a suspension status entry besides the revocation one, so the issuer can
    suspend and reinstate them (``credentialStatus`` becomes an array of both entries)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not (self.criteria_narrative or self.criteria_url or self.learning_outcomes):
            raise ValueError("criteria needs a narrative, a URL or at least one learning outcome")
        repeated = _duplicates(s.url for s in self.skills)
        if repeated:
            raise ValueError(f"skills list {repeated[0]!r} more than once")
        known = {s.url for s in self.skills}
        for number, outcome in enumerate(self.learning_outcomes, 1):
            for url in outcome.skills:
                if url not in known:
                    raise ValueError(
                        f"learning outcome {number} links {url!r}, which is not in skills"
                    )
        if _duplicates(iter(self.tags)):
            raise ValueError(f"tag {_duplicates(iter(self.tags))[0]!r} is given more than once")
        if _duplicates(a.value for a in self.assessment_types):
            raise ValueError("assessment_types lists a type more than once")
        if AssessmentType.OTHER in self.assessment_types and not self.assessment_details:
            raise ValueError("assessment type 'other' needs assessment_details text")
        if self.image_caption is not None and self.image is None:
            raise ValueError("image_caption needs an image")
        return self

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AchievementDesign:
        """Parse authored JSON (snake_case keys); raises ``InvalidInput`` naming each problem."""
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"an achievement design must be a JSON object, not {type(raw)}")
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            lines = flatten_errors(exc, raw)
            raise InvalidInput("invalid achievement design: " + "; ".join(lines)) from None
        except RecursionError as exc:
            raise InvalidInput("achievement design is nested too deeply") from exc

    def to_data(self) -> dict[str, Any]:
        """The JSON to store (``AchievementVersion.data``); :meth:`from_json` reads it back."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        if not self.suspendable:  # designs that never set it are stored as before
            del data["suspendable"]
        return data

    def eu_elements(self) -> EUElements:
        """The elements as :func:`read_eu_elements` reads them from :func:`to_achievement`."""
        qa = self.quality_assurance
        stack = self.stackability
        nqf = self.nqf_level
        grade = self.grade_scale
        return {
            "title": self.name,
            "skills": [_skill_entry(s) for s in self.skills],
            "learning_outcomes": [
                {"text": o.text, "skills": list(o.skills)} for o in self.learning_outcomes
            ],
            "workload_hours": None if self.workload_hours is None else _number(self.workload_hours),
            "ects": None if self.ects is None else _number(self.ects),
            "eqf_level": self.eqf_level,
            "nqf_level": None if nqf is None else {
                "level": nqf.level, "framework": nqf.framework, "url": nqf.url
            },
            "assessment_types": [a.value for a in self.assessment_types],
            "assessment_details": self.assessment_details,
            "participation_form": _value(self.participation_form),
            "quality_assurance": None if qa is None else {
                "description": qa.description, "url": qa.url
            },
            "supervision": _value(self.supervision),
            "prerequisites": self.prerequisites,
            "stackability": None if stack is None else {
                "mode": stack.mode.value,
                "towards": [{"id": t.id, "name": t.name} for t in stack.towards],
            },
            "further_information": self.further_information,
            "grade_scale": None if grade is None else {
                "name": grade.name,
                "result_type": grade.result_type,
                "allowed_values": list(grade.allowed_values),
                "value_min": grade.value_min,
                "value_max": grade.value_max,
                "required_value": grade.required_value,
            },
        }  # fmt: skip


def _value(item: StrEnum | None) -> str | None:
    return None if item is None else item.value


def _skill_entry(skill: SkillAlignment) -> SkillEntry:
    return {
        "url": skill.url,
        "name": skill.name,
        "framework": skill.framework,
        "code": skill.code,
        "type": skill.target_type,
        "description": skill.description,
    }


# --------------------------------------------------------------------------------------------
# Design -> Achievement


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None`` and empty lists (OB serialization: https://www.imsglobal.org/spec/ob/v3p0/#serialization)."""
    return {k: v for k, v in obj.items() if v is not None and v != []}


def _alignment(
    url: str,
    name: str,
    *,
    framework: str | None = None,
    code: str | None = None,
    target_type: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    return _compact(
        {
            "type": ["Alignment"],
            "targetName": name,
            "targetUrl": url,
            "targetDescription": description,
            "targetFramework": framework,
            "targetCode": code,
            "targetType": target_type,
        }
    )


def _skill_alignment(skill: SkillAlignment) -> dict[str, Any]:
    return _alignment(
        skill.url,
        skill.name,
        framework=skill.framework,
        code=skill.code,
        target_type=skill.target_type,
        description=skill.description,
    )


def _identifier(identifier_type: str, value: str) -> dict[str, Any]:
    return {"type": "IdentifierEntry", "identifier": value, "identifierType": identifier_type}


def _format_number(value: float) -> str:
    number = _number(value)
    return str(number) if isinstance(number, int) else repr(number)


def _criteria(design: AchievementDesign) -> dict[str, Any]:
    parts: list[str] = []
    if design.criteria_narrative:
        parts.append(design.criteria_narrative)
    if design.learning_outcomes:
        items = "\n".join(f"- {' '.join(o.text.split())}" for o in design.learning_outcomes)
        parts.append(f"**Learning outcomes**\n\n{items}")
    return _compact({"id": design.criteria_url, "narrative": "\n\n".join(parts) or None})


def _creator(design: AchievementDesign, issuer: Profile) -> dict[str, Any]:
    if design.creator is not None:
        creator = design.creator
        return _compact(
            {
                "id": creator.id,
                "type": ["Profile"],
                "name": creator.name,
                "url": creator.url,
                "email": creator.email,
            }
        )
    profile = issuer.to_json()
    profile.pop("endorsement", None)
    profile.pop("endorsementJwt", None)
    return profile


def _other_identifiers(design: AchievementDesign) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if design.ects is not None:
        out.append(_identifier(CREDIT_SYSTEM, ECTS))
    if design.workload_hours is not None:
        out.append(_identifier(WORKLOAD_HOURS, _format_number(design.workload_hours)))
    out.extend(_identifier(ASSESSMENT_TYPE, a.value) for a in design.assessment_types)
    if design.participation_form is not None:
        out.append(_identifier(PARTICIPATION_FORM, design.participation_form.value))
    if design.supervision is not None:
        out.append(_identifier(SUPERVISION, design.supervision.value))
    if design.stackability is not None:
        out.append(_identifier(STACKABILITY, design.stackability.mode.value))
    return out


def _alignments(design: AchievementDesign, achievement_id: str) -> list[dict[str, Any]]:
    out = [_skill_alignment(s) for s in design.skills]
    if design.eqf_level is not None:
        level = design.eqf_level
        out.append(
            _alignment(
                eqf_uri(level),
                f"EQF level {level}",
                framework=EQF_FRAMEWORK,
                code=str(level),
                target_type=EQF_LEVEL,
            )
        )
    if design.nqf_level is not None:
        nqf = design.nqf_level
        out.append(
            _alignment(
                nqf.url,
                f"{nqf.framework} level {nqf.level}",
                framework=nqf.framework,
                code=nqf.level,
                target_type=NQF_LEVEL,
            )
        )
    if design.stackability is not None:
        out.extend(
            _alignment(t.id, t.name, framework=EU_FRAMEWORK, target_type=STACKABLE_TOWARDS)
            for t in design.stackability.towards
        )
    qa = design.quality_assurance
    texts = (
        (ASSESSMENT_DETAILS, design.assessment_details, None),
        (QUALITY_ASSURANCE, qa.description if qa else None, qa.url if qa else None),
        (PREREQUISITES, design.prerequisites, None),
        (FURTHER_INFORMATION, design.further_information, None),
    )
    for target_type, text, url in texts:
        if text is None:
            continue
        name, fragment = _TEXT_ELEMENTS[target_type]
        out.append(
            _alignment(
                url or f"{achievement_id}#{fragment}",
                name,
                framework=EU_FRAMEWORK,
                target_type=target_type,
                description=text,
            )
        )
    return out


def _result_descriptions(design: AchievementDesign, achievement_id: str) -> list[dict[str, Any]]:
    skills = {s.url: s for s in design.skills}
    out = [
        _compact(
            {
                "id": f"{achievement_id}#learning-outcome-{number}",
                "type": ["ResultDescription"],
                "name": outcome.text,
                "resultType": LEARNING_OUTCOME,
                "alignment": [_skill_alignment(skills[url]) for url in outcome.skills],
            }
        )
        for number, outcome in enumerate(design.learning_outcomes, 1)
    ]
    grade = design.grade_scale
    if grade is not None:
        out.append(
            _compact(
                {
                    "id": f"{achievement_id}#{GRADE_FRAGMENT}",
                    "type": ["ResultDescription"],
                    "name": grade.name,
                    "resultType": grade.result_type,
                    "allowedValue": list(grade.allowed_values),
                    "valueMin": grade.value_min,
                    "valueMax": grade.value_max,
                    "requiredValue": grade.required_value,
                }
            )
        )
    return out


def to_achievement(
    design: AchievementDesign, *, achievement_id: str, issuer_profile: Mapping[str, Any]
) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` JSON for ``design`` (mapping: ``docs/eu-elements.md``).

    ``achievement_id`` is the Achievement's URI (no fragment: element ids are fragments of it);
    ``issuer_profile`` is the issuer's Profile, used as ``creator`` unless the design names one.
    Spec: https://www.imsglobal.org/spec/ob/v3p0/#achievement
    """
    if not isinstance(design, AchievementDesign):
        raise InvalidInput("design must be an AchievementDesign")
    if not isinstance(achievement_id, str) or not _URI.fullmatch(achievement_id):
        raise InvalidInput(f"achievement_id {achievement_id!r} is not an absolute URI")
    if "#" in achievement_id:
        raise InvalidInput("achievement_id must not have a fragment ('#')")
    issuer = Profile.from_json(issuer_profile)
    image = None
    if design.image is not None:
        image = _compact({"id": design.image, "type": "Image", "caption": design.image_caption})
    achievement = _compact(
        {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": design.achievement_type,
            "name": design.name,
            "description": design.description,
            "criteria": _criteria(design),
            "image": image,
            "creator": _creator(design, issuer),
            "creditsAvailable": None if design.ects is None else _number(design.ects),
            "fieldOfStudy": design.field_of_study,
            "specialization": design.specialization,
            "humanCode": design.human_code,
            "inLanguage": design.language,
            "version": design.version,
            "tag": list(design.tags),
            "alignment": _alignments(design, achievement_id),
            "resultDescription": _result_descriptions(design, achievement_id),
            "otherIdentifier": _other_identifiers(design),
            "related": [
                _compact(
                    {
                        "id": r.id,
                        "type": ["Related"],
                        "inLanguage": r.language,
                        "version": r.version,
                    }
                )
                for r in design.related
            ],
        }
    )
    Achievement.from_json(achievement)  # the OB model agrees (raises InvalidInput otherwise)
    return achievement


# --------------------------------------------------------------------------------------------
# Achievement -> EU elements


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a set given as an array or (JSON-LD compacted) a single object."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _parse_number(text: str | None) -> int | float | None:
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return _number(number) if math.isfinite(number) and number > 0 else None


def _target_type(alignment: Mapping[str, Any]) -> str | None:
    declared = _str(alignment.get("targetType"))
    url = _str(alignment.get("targetUrl")) or ""
    if declared is None and url.startswith(EQF_URI_PREFIX):
        return EQF_LEVEL
    return declared if declared is not None else _esco_type(url)


def _read_skill(alignment: Mapping[str, Any]) -> SkillEntry | None:
    url, name = _str(alignment.get("targetUrl")), _str(alignment.get("targetName"))
    if url is None or name is None:
        return None
    return {
        "url": url,
        "name": name,
        "framework": _str(alignment.get("targetFramework")),
        "code": _str(alignment.get("targetCode")),
        "type": _target_type(alignment),
        "description": _str(alignment.get("targetDescription")),
    }


def _read_eqf(alignments: list[dict[str, Any]]) -> int | None:
    for alignment in alignments:
        url = _str(alignment.get("targetUrl")) or ""
        match = re.fullmatch(r"https?://data\.europa\.eu/snb/eqf/([1-8])", url)
        if match:
            return int(match[1])
    return None


def _read_grade(description: Mapping[str, Any]) -> GradeScaleEntry | None:
    name, result_type = _str(description.get("name")), _str(description.get("resultType"))
    if name is None or result_type is None:
        return None
    allowed = description.get("allowedValue")
    values = allowed if isinstance(allowed, list) else [allowed]
    return {
        "name": name,
        "result_type": result_type,
        "allowed_values": [v for v in values if isinstance(v, str)],
        "value_min": _str(description.get("valueMin")),
        "value_max": _str(description.get("valueMax")),
        "required_value": _str(description.get("requiredValue")),
    }


def read_eu_elements(achievement: Mapping[str, Any]) -> EUElements:
    """Read the EU standard elements back from an OB 3.0 Achievement (``docs/eu-elements.md``).

    Lenient: malformed or foreign entries are skipped and missing elements are ``None`` / ``[]``,
    so any issuer's achievement can be scored.  EQF levels and ESCO skills are also recognised
    by their EU URIs when another issuer did not use credstack's ``targetType`` values.
    """
    if not isinstance(achievement, Mapping):
        raise InvalidInput("an Achievement must be a JSON object")
    alignments = _objects(achievement.get("alignment"))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for alignment in alignments:
        by_type.setdefault(_target_type(alignment) or "", []).append(alignment)
    identifiers: dict[str, list[str]] = {}
    for entry in _objects(achievement.get("otherIdentifier")):
        kind, value = _str(entry.get("identifierType")), _str(entry.get("identifier"))
        if kind is not None and value is not None:
            identifiers.setdefault(kind, []).append(value)

    def first_id(kind: str) -> str | None:
        values = identifiers.get(kind)
        return values[0] if values else None

    def text(kind: str) -> str | None:
        for alignment in by_type.get(kind, []):
            description = _str(alignment.get("targetDescription"))
            if description is not None:
                return description
        return None

    skills = [
        skill
        for alignment in alignments
        if _target_type(alignment) not in _ELEMENT_TARGET_TYPES
        and (skill := _read_skill(alignment)) is not None
    ]
    outcomes: list[LearningOutcomeEntry] = []
    grade: GradeScaleEntry | None = None
    for description in _objects(achievement.get("resultDescription")):
        if description.get("resultType") == LEARNING_OUTCOME:
            name = _str(description.get("name"))
            if name is not None:
                linked = _objects(description.get("alignment"))
                urls = [u for a in linked if (u := _str(a.get("targetUrl"))) is not None]
                outcomes.append({"text": name, "skills": urls})
        elif grade is None:
            grade = _read_grade(description)

    credits = achievement.get("creditsAvailable")
    ects: int | float | None = None
    if first_id(CREDIT_SYSTEM) == ECTS and isinstance(credits, int | float):
        if not isinstance(credits, bool) and math.isfinite(credits):
            ects = _number(credits)

    nqf: NqfEntry | None = None
    for alignment in by_type.get(NQF_LEVEL, []):
        level, framework = _str(alignment.get("targetCode")), _str(alignment.get("targetFramework"))
        url = _str(alignment.get("targetUrl"))
        if level is not None and framework is not None and url is not None:
            nqf = {"level": level, "framework": framework, "url": url}
            break

    qa: QualityAssuranceEntry | None = None
    qa_text = text(QUALITY_ASSURANCE)
    if qa_text is not None:
        qa_url = _str(by_type[QUALITY_ASSURANCE][0].get("targetUrl"))
        own = f"{achievement.get('id')}#{_TEXT_ELEMENTS[QUALITY_ASSURANCE][1]}"
        qa = {"description": qa_text, "url": None if qa_url == own else qa_url}

    stack: StackabilityEntry | None = None
    mode = first_id(STACKABILITY)
    targets: list[StackTargetEntry] = [
        {"id": target_id, "name": target_name}
        for a in by_type.get(STACKABLE_TOWARDS, [])
        if (target_id := _str(a.get("targetUrl"))) is not None
        and (target_name := _str(a.get("targetName"))) is not None
    ]
    if mode is not None or targets:
        stack = {"mode": mode or StackabilityMode.STACKABLE.value, "towards": targets}

    return {
        "title": _str(achievement.get("name")),
        "skills": skills,
        "learning_outcomes": outcomes,
        "workload_hours": _parse_number(first_id(WORKLOAD_HOURS)),
        "ects": ects,
        "eqf_level": _read_eqf(alignments),
        "nqf_level": nqf,
        "assessment_types": identifiers.get(ASSESSMENT_TYPE, []),
        "assessment_details": text(ASSESSMENT_DETAILS),
        "participation_form": first_id(PARTICIPATION_FORM),
        "quality_assurance": qa,
        "supervision": first_id(SUPERVISION),
        "prerequisites": text(PREREQUISITES),
        "stackability": stack,
        "further_information": text(FURTHER_INFORMATION),
        "grade_scale": grade,
    }
