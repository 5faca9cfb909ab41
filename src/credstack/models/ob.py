"""Open Badges 3.0 data model.

Spec: https://www.imsglobal.org/spec/ob/v3p0/#data-model (classes of the same names).
Serialization rules: https://www.imsglobal.org/spec/ob/v3p0/#serialization
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, model_validator

from credstack.models.vc import (
    VC_V2_CONTEXT,
    CredentialSchema,
    CredentialStatus,
    Date,
    DateTime,
    DateTimeZ,
    Model,
    OneOrMany,
    Proof,
    RefreshService,
    TermsOfUse,
    TopLevel,
    enum_value,
    uri_or_object,
)

__all__ = [
    "OB_CONTEXT",
    "OB_CONTEXT_PATTERN",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "AchievementType",
    "Address",
    "Alignment",
    "AlignmentTargetType",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentifierType",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Related",
    "Result",
    "ResultDescription",
    "ResultStatus",
    "ResultType",
    "RubricCriterionLevel",
]

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
"""The current Open Badges 3.0 JSON-LD context."""

OB_CONTEXT_PATTERN = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json"
)
"""``@context[1]`` of an OB 3.0 credential (match in full)."""

IDENTITY_HASH_PATTERN = re.compile(r"sha256\$[0-9a-fA-F]{64}|md5\$[0-9a-fA-F]{32}")
"""Format of a hashed ``IdentityObject.identityHash`` (match in full)."""


class AchievementType(StrEnum):
    """https://www.imsglobal.org/spec/ob/v3p0/#achievementtype-enumeration (extensible)."""

    ACHIEVEMENT = "Achievement"
    APPRENTICESHIP_CERTIFICATE = "ApprenticeshipCertificate"
    ASSESSMENT = "Assessment"
    ASSIGNMENT = "Assignment"
    ASSOCIATE_DEGREE = "AssociateDegree"
    AWARD = "Award"
    BADGE = "Badge"
    BACHELOR_DEGREE = "BachelorDegree"
    CERTIFICATE = "Certificate"
    CERTIFICATE_OF_COMPLETION = "CertificateOfCompletion"
    CERTIFICATION = "Certification"
    COMMUNITY_SERVICE = "CommunityService"
    COMPETENCY = "Competency"
    COURSE = "Course"
    CO_CURRICULAR = "CoCurricular"
    DEGREE = "Degree"
    DIPLOMA = "Diploma"
    DOCTORAL_DEGREE = "DoctoralDegree"
    FIELDWORK = "Fieldwork"
    GENERAL_EDUCATION_DEVELOPMENT = "GeneralEducationDevelopment"
    JOURNEYMAN_CERTIFICATE = "JourneymanCertificate"
    LEARNING_PROGRAM = "LearningProgram"
    LICENSE = "License"
    MEMBERSHIP = "Membership"
    PROFESSIONAL_DOCTORATE = "ProfessionalDoctorate"
    QUALITY_ASSURANCE_CREDENTIAL = "QualityAssuranceCredential"
    MASTER_CERTIFICATE = "MasterCertificate"
    MASTER_DEGREE = "MasterDegree"
    MICRO_CREDENTIAL = "MicroCredential"
    RESEARCH_DOCTORATE = "ResearchDoctorate"
    SECONDARY_SCHOOL_DIPLOMA = "SecondarySchoolDiploma"


class AlignmentTargetType(StrEnum):
    """https://www.imsglobal.org/spec/ob/v3p0/#alignmenttargettype-enumeration (extensible)."""

    CEASN_COMPETENCY = "ceasn:Competency"
    CETERMS_CREDENTIAL = "ceterms:Credential"
    CF_ITEM = "CFItem"
    CF_RUBRIC = "CFRubric"
    CF_RUBRIC_CRITERION = "CFRubricCriterion"
    CF_RUBRIC_CRITERION_LEVEL = "CFRubricCriterionLevel"
    CTDL = "CTDL"


class ResultType(StrEnum):
    """https://www.imsglobal.org/spec/ob/v3p0/#resulttype-enumeration (extensible)."""

    GRADE_POINT_AVERAGE = "GradePointAverage"
    LETTER_GRADE = "LetterGrade"
    PERCENT = "Percent"
    PERFORMANCE_LEVEL = "PerformanceLevel"
    PREDICTED_SCORE = "PredictedScore"
    RAW_SCORE = "RawScore"
    RESULT = "Result"
    RUBRIC_CRITERION = "RubricCriterion"
    RUBRIC_CRITERION_LEVEL = "RubricCriterionLevel"
    RUBRIC_SCORE = "RubricScore"
    SCALED_SCORE = "ScaledScore"
    STATUS = "Status"


class ResultStatus(StrEnum):
    """https://www.imsglobal.org/spec/ob/v3p0/#resultstatustype-enumeration."""

    COMPLETED = "Completed"
    ENROLLED = "Enrolled"
    FAILED = "Failed"
    IN_PROGRESS = "InProgress"
    ON_HOLD = "OnHold"
    PROVISIONAL = "Provisional"
    WITHDREW = "Withdrew"


class IdentifierType(StrEnum):
    """https://www.imsglobal.org/spec/ob/v3p0/#identifiertypeenum-enumeration (extensible)."""

    NAME = "name"
    SOURCED_ID = "sourcedId"
    SYSTEM_ID = "systemId"
    PRODUCT_ID = "productId"
    USER_NAME = "userName"
    ACCOUNT_ID = "accountId"
    EMAIL_ADDRESS = "emailAddress"
    NATIONAL_IDENTITY_NUMBER = "nationalIdentityNumber"
    ISBN = "isbn"
    ISSN = "issn"
    LIS_SOURCED_ID = "lisSourcedId"
    ONE_ROSTER_SOURCED_ID = "oneRosterSourcedId"
    SIS_SOURCED_ID = "sisSourcedId"
    LTI_CONTEXT_ID = "ltiContextId"
    LTI_DEPLOYMENT_ID = "ltiDeploymentId"
    LTI_TOOL_ID = "ltiToolId"
    LTI_PLATFORM_ID = "ltiPlatformId"
    LTI_USER_ID = "ltiUserId"
    IDENTIFIER = "identifier"


AchievementTypeValue = Annotated[
    AchievementType | str, enum_value(AchievementType, extensible=True)
]
AlignmentTargetTypeValue = Annotated[
    AlignmentTargetType | str, enum_value(AlignmentTargetType, extensible=True)
]
ResultTypeValue = Annotated[ResultType | str, enum_value(ResultType, extensible=True)]
IdentifierTypeValue = Annotated[IdentifierType | str, enum_value(IdentifierType, extensible=True)]
ResultStatusValue = Annotated[ResultStatus, enum_value(ResultStatus, extensible=False)]

_LANGUAGE = r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
_COMPACT_JWS = r"^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$"
Language = Annotated[str, Field(pattern=_LANGUAGE)]
CompactJws = Annotated[str, Field(pattern=_COMPACT_JWS)]


# --------------------------------------------------------------------------------------------
# Profile


class Image(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#image"""

    id: str
    type: Literal["Image"] = "Image"
    caption: str | None = None


class GeoCoordinates(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#geocoordinates"""

    type: Literal["GeoCoordinates"] = "GeoCoordinates"
    latitude: int | float
    longitude: int | float


class Address(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#address"""

    _required_types = (("Address",),)

    type: OneOrMany[str] = Field(default_factory=lambda: ["Address"])
    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class IdentifierEntry(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#identifierentry"""

    type: Literal["IdentifierEntry"] = "IdentifierEntry"
    identifier: str
    identifier_type: IdentifierTypeValue


class Profile(TopLevel):
    """An issuer, creator, endorser or assessor: https://www.imsglobal.org/spec/ob/v3p0/#profile"""

    _required_types = (("Profile",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["Profile"])
    name: str | None = None
    url: str | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: OneOrMany[EndorsementCredential] | None = None
    endorsement_jwt: OneOrMany[CompactJws] | None = None
    image: Image | None = None
    email: str | None = None
    address: Address | None = None
    other_identifier: OneOrMany[IdentifierEntry] | None = None
    official: str | None = None
    parent_org: Profile | None = None
    family_name: str | None = None
    given_name: str | None = None
    additional_name: str | None = None
    patronymic_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    family_name_prefix: str | None = None
    date_of_birth: Date | None = None


ProfileRef = Annotated[
    Annotated[str, Tag("uri")] | Annotated[Profile, Tag("object")],
    Discriminator(uri_or_object),
]
"""An issuer: a URI or a Profile."""


# --------------------------------------------------------------------------------------------
# Achievement


class Criteria(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#criteria: a criteria URL and/or a narrative."""

    id: str | None = None
    narrative: str | None = None

    @model_validator(mode="after")
    def _id_or_narrative(self) -> Self:
        if self.id is None and self.narrative is None:
            raise ValueError("criteria needs an id or a narrative")
        return self


class Alignment(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#alignment: link to a skill or framework item."""

    _required_types = (("Alignment",),)

    type: OneOrMany[str] = Field(default_factory=lambda: ["Alignment"])
    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: AlignmentTargetTypeValue | None = None


class RubricCriterionLevel(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#rubriccriterionlevel"""

    _required_types = (("RubricCriterionLevel",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["RubricCriterionLevel"])
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None
    alignment: OneOrMany[Alignment] | None = None


class ResultDescription(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#resultdescription"""

    _required_types = (("ResultDescription",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["ResultDescription"])
    name: str
    result_type: ResultTypeValue
    allowed_value: OneOrMany[str] | None = None
    required_level: str | None = None
    required_value: str | None = None
    rubric_criterion_level: OneOrMany[RubricCriterionLevel] | None = None
    value_min: str | None = None
    value_max: str | None = None
    alignment: OneOrMany[Alignment] | None = None


class Related(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#related: another version or language."""

    _required_types = (("Related",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["Related"])
    in_language: Language | None = None
    version: str | None = None


class Achievement(Model):
    """The badge definition: https://www.imsglobal.org/spec/ob/v3p0/#achievement"""

    _required_types = (("Achievement",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["Achievement"])
    name: str
    description: str
    criteria: Criteria
    achievement_type: AchievementTypeValue | None = None
    alignment: OneOrMany[Alignment] | None = None
    creator: Profile | None = None
    credits_available: int | float | None = None
    endorsement: OneOrMany[EndorsementCredential] | None = None
    endorsement_jwt: OneOrMany[CompactJws] | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | None = None
    in_language: Language | None = None
    other_identifier: OneOrMany[IdentifierEntry] | None = None
    related: OneOrMany[Related] | None = None
    result_description: OneOrMany[ResultDescription] | None = None
    specialization: str | None = None
    tag: OneOrMany[str] | None = None
    version: str | None = None


# --------------------------------------------------------------------------------------------
# Subject


class IdentityObject(Model):
    """A recipient identifier, plain or salted-hashed.

    Spec: https://www.imsglobal.org/spec/ob/v3p0/#identityobject
    """

    type: Literal["IdentityObject"] = "IdentityObject"
    hashed: bool
    identity_hash: str
    identity_type: IdentifierTypeValue
    salt: str | None = None

    @model_validator(mode="after")
    def _hash_format(self) -> Self:
        if self.hashed and not IDENTITY_HASH_PATTERN.fullmatch(self.identity_hash):
            raise ValueError("a hashed identityHash must be 'sha256$<64 hex>' or 'md5$<32 hex>'")
        return self

    @classmethod
    def hashed_email(cls, email: str, salt: str) -> IdentityObject:
        """A salted SHA-256 ``emailAddress`` identity: ``sha256$`` + hex(SHA-256(email + salt))."""
        digest = hashlib.sha256((email + salt).encode("utf-8")).hexdigest()
        return cls(
            hashed=True,
            identity_hash=f"sha256${digest}",
            identity_type=IdentifierType.EMAIL_ADDRESS,
            salt=salt,
        )

    def matches(self, identifier: str) -> bool:
        """Whether ``identifier`` is the recipient this object names (constant-time compare)."""
        if not self.hashed:
            return hmac.compare_digest(self.identity_hash.encode(), identifier.encode())
        algorithm, _, expected = self.identity_hash.partition("$")
        if algorithm not in ("sha256", "md5"):
            return False
        data = (identifier + (self.salt or "")).encode("utf-8")
        digest = hashlib.new(algorithm, data, usedforsecurity=algorithm == "sha256").hexdigest()
        return hmac.compare_digest(digest, expected.lower())


class Result(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#result"""

    _required_types = (("Result",),)

    type: OneOrMany[str] = Field(default_factory=lambda: ["Result"])
    achieved_level: str | None = None
    alignment: OneOrMany[Alignment] | None = None
    result_description: str | None = None
    status: ResultStatusValue | None = None
    value: str | None = None


class AchievementSubject(Model):
    """The recipient and what they achieved: https://www.imsglobal.org/spec/ob/v3p0/#achievementsubject"""

    _required_types = (("AchievementSubject",),)

    id: str | None = None
    type: OneOrMany[str] = Field(default_factory=lambda: ["AchievementSubject"])
    achievement: Achievement
    identifier: OneOrMany[IdentityObject] | None = None
    activity_start_date: DateTime | None = None
    activity_end_date: DateTime | None = None
    credits_earned: int | float | None = None
    image: Image | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: OneOrMany[Result] | None = None
    role: str | None = None
    source: Profile | None = None
    term: str | None = None

    @model_validator(mode="after")
    def _id_or_identifier(self) -> Self:
        if self.id is None and not self.identifier:
            raise ValueError("credentialSubject needs an id or at least one identifier")
        return self


class Evidence(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#evidence"""

    _required_types = (("Evidence",),)

    id: str | None = None
    type: OneOrMany[str] = Field(default_factory=lambda: ["Evidence"])
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class EndorsementSubject(Model):
    """https://www.imsglobal.org/spec/ob/v3p0/#endorsementsubject"""

    _required_types = (("EndorsementSubject",),)

    id: str
    type: OneOrMany[str] = Field(default_factory=lambda: ["EndorsementSubject"])
    endorsement_comment: str | None = None


# --------------------------------------------------------------------------------------------
# Credentials


def _default_context() -> list[str | dict[str, object]]:
    return [VC_V2_CONTEXT, OB_CONTEXT]


_ENVELOPE_ORDER = (
    "@context", "id", "type", "name", "description", "image", "issuer", "validFrom",
    "validUntil", "awardedDate", "credentialSubject", "evidence", "endorsement", "endorsementJwt",
)  # fmt: skip


class _Credential(TopLevel):
    """The VC 2.0 envelope as profiled by OB 3.0 (context, dates, proof, status ...)."""

    context: OneOrMany[str | dict[str, object]] = Field(
        default_factory=_default_context, alias="@context"
    )
    id: str
    type: OneOrMany[str]
    issuer: ProfileRef
    valid_from: DateTimeZ
    valid_until: DateTimeZ | None = None
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    awarded_date: DateTimeZ | None = None
    proof: OneOrMany[Proof] | None = None
    credential_schema: OneOrMany[CredentialSchema] | None = None
    credential_status: CredentialStatus | None = None
    refresh_service: RefreshService | None = None
    terms_of_use: OneOrMany[TermsOfUse] | None = None

    def to_json(self) -> dict[str, Any]:
        """Spec JSON with the envelope in reading order (subject before status, proof last)."""
        out = super().to_json()
        head = {key: out[key] for key in _ENVELOPE_ORDER if key in out}
        return head | {key: value for key, value in out.items() if key not in head}

    @property
    def issuer_id(self) -> str:
        """The issuer's id whether ``issuer`` is a URI or a Profile."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @model_validator(mode="after")
    def _envelope_rules(self) -> Self:
        if len(self.context) < 2 or self.context[0] != VC_V2_CONTEXT:
            raise ValueError(f"@context must start with {VC_V2_CONTEXT!r} and the OB context")
        second = self.context[1]
        if not isinstance(second, str) or not OB_CONTEXT_PATTERN.fullmatch(second):
            raise ValueError("@context[1] must be an Open Badges 3.0 context URL")
        if self.valid_until is not None and self.valid_from > self.valid_until:
            raise ValueError("validFrom is later than validUntil")
        return self


class EndorsementCredential(_Credential):
    """https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential"""

    _required_types = (("VerifiableCredential",), ("EndorsementCredential",))

    type: OneOrMany[str] = Field(
        default_factory=lambda: ["VerifiableCredential", "EndorsementCredential"]
    )
    name: str
    credential_subject: EndorsementSubject


class OpenBadgeCredential(_Credential):
    """An awarded badge (also accepts type ``AchievementCredential``).

    Spec: https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential
    """

    _required_types = (
        ("VerifiableCredential",),
        ("OpenBadgeCredential", "AchievementCredential"),
    )

    type: OneOrMany[str] = Field(
        default_factory=lambda: ["VerifiableCredential", "OpenBadgeCredential"]
    )
    credential_subject: AchievementSubject
    evidence: OneOrMany[Evidence] | None = None
    endorsement: OneOrMany[EndorsementCredential] | None = None
    endorsement_jwt: OneOrMany[CompactJws] | None = None


AchievementCredential = OpenBadgeCredential
"""The spec's other name for ``OpenBadgeCredential``."""

Profile.model_rebuild()
Achievement.model_rebuild()
AchievementSubject.model_rebuild()
