"""AchievementDesign -> OB 3.0 Achievement with the EU standard elements, and back.

Mapping under test: docs/eu-elements.md.  EU elements: Council Recommendation 2022/C 243/02
Annex I; OB Achievement: https://www.imsglobal.org/spec/ob/v3p0/#achievement
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput
from credstack.models.validate import validate_credential
from credstack.platform.achievement_design import (
    EQF_FRAMEWORK,
    EU_FRAMEWORK,
    AchievementDesign,
    read_eu_elements,
    to_achievement,
)
from credstack.proofs.dataintegrity import add_proof
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import Outcome
from credstack.verify.verifier import Verifier, VerifyOptions

KEY = KeyPair(bytes(range(32)))
AT = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = datetime(2025, 7, 1, 12, 0, 0, tzinfo=UTC)
ACHIEVEMENT_ID = "https://university.example/achievements/data-stewardship"
SKILL_DMP = "http://data.europa.eu/esco/skill/6a1c5bd6-7e7e-4d43-9d5f-2a6b5f0c1e01"
SKILL_FAIR = "http://data.europa.eu/esco/skill/2f7d0c6e-1b0a-4b8e-8c43-8a9d3f6b4a02"
OCCUPATION = "http://data.europa.eu/esco/occupation/0d2f3c4b-5a69-4e7f-8a9b-0c1d2e3f4a03"
MASTER = "https://university.example/achievements/msc-data-science"


def issuer_profile() -> dict[str, Any]:
    return {
        "id": KEY.did_key,
        "type": ["Profile"],
        "name": "Example University of Applied Sciences",
        "url": "https://university.example/",
        "address": {"type": ["Address"], "addressCountryCode": "AT"},
    }


def full_design_data() -> dict[str, Any]:
    """Every field of the design, every EU element set."""
    return {
        "name": "Data Stewardship",
        "description": "Plans, documents and curates research data following FAIR.",
        "criteria_narrative": "Complete the module and pass the supervised final assessment.",
        "criteria_url": "https://university.example/achievements/data-stewardship/criteria",
        "achievement_type": "MicroCredential",
        "image": "https://university.example/badges/data-stewardship.png",
        "image_caption": "Data Stewardship badge",
        "tags": ["research data", "FAIR"],
        "language": "en-GB",
        "field_of_study": "Information science",
        "specialization": "Research data management",
        "human_code": "DS-101",
        "creator": {
            "id": "https://partner.example/",
            "name": "Partner Research Institute",
            "url": "https://partner.example/",
        },
        "version": "2025.1",
        "related": [
            {"id": "https://university.example/achievements/data-stewardship-de", "language": "de"}
        ],
        "skills": [
            {
                "url": SKILL_DMP,
                "name": "manage research data",
                "framework": "ESCO v1.2",
                "code": "S5.6.1",
            },
            {"url": SKILL_FAIR, "name": "apply FAIR data principles", "framework": "ESCO v1.2"},
            {
                "url": OCCUPATION,
                "name": "data steward",
                "framework": "ESCO v1.2",
                "code": "2511.9",
            },
            {
                "url": "https://frameworks.example/case/items/42",
                "name": "Document provenance",
                "framework": "Example CASE framework 2024",
                "type": "CFItem",
                "description": "Records where data came from.",
            },
        ],
        "learning_outcomes": [
            {"text": "Writes a data management plan for a funded project.", "skills": [SKILL_DMP]},
            {"text": "Assesses a data set against the FAIR principles.", "skills": [SKILL_FAIR]},
            {"text": "Explains the steward's role in a research group."},
        ],
        "workload_hours": 187.5,
        "ects": 7.5,
        "eqf_level": 6,
        "nqf_level": {
            "level": "6",
            "framework": "Austrian NQR",
            "url": "https://nqr.example/levels/6",
        },
        "assessment_types": ["testing", "portfolio", "other"],
        "assessment_details": "Oral defence of the data management plan.",
        "participation_form": "blended",
        "quality_assurance": {
            "description": "Internal QA under ESG 2015; institution accredited by AQ Austria.",
            "url": "https://deqar.example/reports/1234",
        },
        "supervision": "supervised-with-id-onsite",
        "prerequisites": "A bachelor's degree or two years of research support work.",
        "stackability": {"mode": "stackable", "towards": [{"id": MASTER, "name": "MSc Data"}]},
        "further_information": "https://university.example/micro-credentials/faq",
        "grade_scale": {
            "name": "Final grade",
            "result_type": "LetterGrade",
            "allowed_values": ["A", "B", "C", "D", "F"],
            "required_value": "D",
        },
    }


def full_design() -> AchievementDesign:
    return AchievementDesign.from_json(full_design_data())


def minimal_data() -> dict[str, Any]:
    return {"name": "Tiny", "description": "A badge.", "criteria_narrative": "Do it."}


def make_credential(achievement: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5d2f6b8c-0b5e-4c8e-9a41-7f3d2c1a9e10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(),
        "validFrom": "2025-09-01T09:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner-4711",
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
    }


def build(design: AchievementDesign | None = None) -> dict[str, Any]:
    return to_achievement(
        design or full_design(), achievement_id=ACHIEVEMENT_ID, issuer_profile=issuer_profile()
    )


def signed_credential(achievement: dict[str, Any]) -> dict[str, Any]:
    return add_proof(make_credential(achievement), KEY, created=CREATED)


def by_type(entries: list[dict[str, Any]], key: str, value: str) -> list[dict[str, Any]]:
    return [e for e in entries if e.get(key) == value]


# ------------------------------------------------------------------------- design validation


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"eqf_level": 9}, "/eqf_level: Input should be less than or equal to 8"),
        ({"eqf_level": 0}, "/eqf_level: Input should be greater than or equal to 1"),
        ({"eqf_level": "6"}, "/eqf_level: Input should be a valid integer"),
        ({"eqf_level": True}, "/eqf_level: Input should be a valid integer"),
        ({"ects": -5}, "/ects: Input should be greater than 0"),
        ({"ects": 0}, "/ects: Input should be greater than 0"),
        ({"ects": float("inf")}, "/ects: Input should be a finite number"),
        ({"workload_hours": -1}, "/workload_hours: Input should be greater than 0"),
        ({"language": "english"}, "/language: 'english' is not a BCP 47 language tag"),
        ({"language": "EN"}, "/language: 'EN' is not a BCP 47 language tag"),
        ({"assessment_types": ["quiz"]}, "/assessment_types/0: Input should be 'testing'"),
        ({"participation_form": "hybrid"}, "/participation_form: Input should be 'online'"),
        ({"supervision": "proctored"}, "/supervision: Input should be 'unsupervised-no-id'"),
        ({"achievement_type": "Trophy"}, "'Trophy' is not a AchievementType value"),
        ({"image": "ftp://x.example/a.png"}, "neither an http(s) URL nor a data URI"),
        ({"image": "data:text/html;base64,AAAA"}, "a data URI image must be data:image/"),
        ({"criteria_url": "not a url"}, "/criteria_url: 'not a url' is not an absolute URI"),
        ({"name": "   "}, "/name: must not be empty or only whitespace"),
        ({"colour": "blue"}, "/colour: Extra inputs are not permitted"),
        ({"tags": ["a", "a"]}, "tag 'a' is given more than once"),
        ({"image_caption": "x", "image": None}, "image_caption needs an image"),
    ],
)
def test_from_json_bad_field_raises_invalid_input(change: dict[str, Any], expected: str) -> None:
    data = full_design_data() | change
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InvalidInput) as caught:
        AchievementDesign.from_json(data)
    assert caught.value.code == "INVALID_INPUT"
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("skills", 0, "type"), "ext:ESCOOccupation", "must have type 'ext:ESCOSkill'"),
        (("skills", 2, "type"), "CFItem", "must have type 'ext:ESCOOccupation'"),
        (("skills", 3, "type"), "ext:EQFLevel", "is reserved for an EU element"),
        (("skills", 3, "type"), "Skill", "'Skill' is not a AlignmentTargetType value"),
        (("skills", 1, "url"), SKILL_DMP, f"skills list {SKILL_DMP!r} more than once"),
        (("learning_outcomes", 2, "skills"), [OCCUPATION + "x"], "which is not in skills"),
        (("nqf_level", "url"), "nqr level 6", "/nqf_level/url: 'nqr level 6' is not"),
        (("stackability", "mode"), "standalone", "a standalone micro-credential stacks"),
        (("grade_scale", "result_type"), "Stars", "'Stars' is not a ResultType value"),
        (("assessment_details",), None, "assessment type 'other' needs assessment_details"),
        (("related", 0, "language"), "german", "'german' is not a BCP 47 language tag"),
    ],
)
def test_from_json_bad_nested_value_raises_invalid_input(
    path: tuple[str | int, ...], value: Any, expected: str
) -> None:
    data = full_design_data()
    node: Any = data
    for step in path[:-1]:
        node = node[step]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    with pytest.raises(InvalidInput, match="invalid achievement design") as caught:
        AchievementDesign.from_json(data)
    assert expected in caught.value.message


def test_from_json_no_criteria_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="criteria needs a narrative, a URL or at least one"):
        AchievementDesign.from_json({"name": "x", "description": "y"})


def test_from_json_not_an_object_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        AchievementDesign.from_json(["name"])  # type: ignore[arg-type]


def test_from_json_learning_outcomes_alone_satisfy_criteria() -> None:
    design = AchievementDesign.from_json(
        {"name": "x", "description": "y", "learning_outcomes": [{"text": "Does z."}]}
    )
    assert build(design)["criteria"] == {"narrative": "**Learning outcomes**\n\n- Does z."}


def test_to_data_round_trips_through_from_json() -> None:
    design = full_design()
    assert AchievementDesign.from_json(design.to_data()) == design


def test_design_is_frozen() -> None:
    design = full_design()
    with pytest.raises(ValueError, match="frozen"):
        design.name = "other"


# ------------------------------------------------------------------------- where elements land


def test_to_achievement_core_fields_land_in_ob_fields() -> None:
    achievement = build()
    assert achievement["id"] == ACHIEVEMENT_ID
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["name"] == "Data Stewardship"
    assert achievement["criteria"]["id"].endswith("/criteria")
    assert achievement["image"] == {
        "id": "https://university.example/badges/data-stewardship.png",
        "type": "Image",
        "caption": "Data Stewardship badge",
    }
    assert achievement["inLanguage"] == "en-GB"
    assert achievement["tag"] == ["research data", "FAIR"]
    assert achievement["fieldOfStudy"] == "Information science"
    assert achievement["specialization"] == "Research data management"
    assert achievement["humanCode"] == "DS-101"
    assert achievement["version"] == "2025.1"
    assert achievement["related"] == [
        {
            "id": "https://university.example/achievements/data-stewardship-de",
            "type": ["Related"],
            "inLanguage": "de",
        }
    ]
    assert achievement["creator"] == {
        "id": "https://partner.example/",
        "type": ["Profile"],
        "name": "Partner Research Institute",
        "url": "https://partner.example/",
    }


def test_to_achievement_without_creator_uses_issuer_profile() -> None:
    design = AchievementDesign.from_json(minimal_data())
    assert build(design)["creator"] == issuer_profile()


def test_to_achievement_skills_follow_alignment_rule() -> None:
    alignments = build()["alignment"]
    assert alignments[0] == {
        "type": ["Alignment"],
        "targetName": "manage research data",
        "targetUrl": SKILL_DMP,
        "targetFramework": "ESCO v1.2",
        "targetCode": "S5.6.1",
        "targetType": "ext:ESCOSkill",
    }
    assert alignments[2]["targetType"] == "ext:ESCOOccupation"
    assert alignments[3]["targetType"] == "CFItem"
    assert alignments[3]["targetDescription"] == "Records where data came from."


def test_to_achievement_ects_lands_in_credits_available_with_unit_marker() -> None:
    achievement = build()
    assert achievement["creditsAvailable"] == 7.5
    marker = {
        "type": "IdentifierEntry",
        "identifier": "ECTS",
        "identifierType": "ext:EUCreditSystem",
    }
    assert marker in achievement["otherIdentifier"]


def test_to_achievement_integral_numbers_are_written_as_integers() -> None:
    design = AchievementDesign.from_json(minimal_data() | {"ects": 5.0, "workload_hours": 125.0})
    achievement = build(design)
    assert achievement["creditsAvailable"] == 5
    assert isinstance(achievement["creditsAvailable"], int)
    hours = by_type(achievement["otherIdentifier"], "identifierType", "ext:EUWorkloadHours")
    assert [h["identifier"] for h in hours] == ["125"]


def test_to_achievement_eqf_and_nqf_are_alignments() -> None:
    alignments = build()["alignment"]
    assert by_type(alignments, "targetType", "ext:EQFLevel") == [
        {
            "type": ["Alignment"],
            "targetName": "EQF level 6",
            "targetUrl": "http://data.europa.eu/snb/eqf/6",
            "targetFramework": EQF_FRAMEWORK,
            "targetCode": "6",
            "targetType": "ext:EQFLevel",
        }
    ]
    nqf = by_type(alignments, "targetType", "ext:NQFLevel")
    assert [(n["targetUrl"], n["targetCode"], n["targetFramework"]) for n in nqf] == [
        ("https://nqr.example/levels/6", "6", "Austrian NQR")
    ]


def test_to_achievement_coded_elements_are_ext_identifiers() -> None:
    entries = build()["otherIdentifier"]
    pairs = [(e["identifierType"], e["identifier"]) for e in entries]
    assert pairs == [
        ("ext:EUCreditSystem", "ECTS"),
        ("ext:EUWorkloadHours", "187.5"),
        ("ext:EUAssessmentType", "testing"),
        ("ext:EUAssessmentType", "portfolio"),
        ("ext:EUAssessmentType", "other"),
        ("ext:EUParticipationForm", "blended"),
        ("ext:EUSupervision", "supervised-with-id-onsite"),
        ("ext:EUStackability", "stackable"),
    ]
    assert all(e["type"] == "IdentifierEntry" for e in entries)


@pytest.mark.parametrize(
    ("target_type", "name", "url", "text"),
    [
        (
            "ext:EUAssessmentDetails",
            "Type of assessment",
            f"{ACHIEVEMENT_ID}#eu-assessment",
            "Oral defence of the data management plan.",
        ),
        (
            "ext:EUQualityAssurance",
            "Quality assurance",
            "https://deqar.example/reports/1234",
            "Internal QA under ESG 2015; institution accredited by AQ Austria.",
        ),
        (
            "ext:EUPrerequisites",
            "Prerequisites",
            f"{ACHIEVEMENT_ID}#eu-prerequisites",
            "A bachelor's degree or two years of research support work.",
        ),
        (
            "ext:EUFurtherInformation",
            "Further information",
            f"{ACHIEVEMENT_ID}#eu-further-information",
            "https://university.example/micro-credentials/faq",
        ),
    ],
)
def test_to_achievement_text_elements_are_ext_alignments(
    target_type: str, name: str, url: str, text: str
) -> None:
    found = by_type(build()["alignment"], "targetType", target_type)
    assert found == [
        {
            "type": ["Alignment"],
            "targetName": name,
            "targetUrl": url,
            "targetDescription": text,
            "targetFramework": EU_FRAMEWORK,
            "targetType": target_type,
        }
    ]


def test_to_achievement_stack_targets_are_alignments() -> None:
    found = by_type(build()["alignment"], "targetType", "ext:EUStackableTowards")
    assert [(a["targetUrl"], a["targetName"]) for a in found] == [(MASTER, "MSc Data")]


def test_to_achievement_learning_outcomes_are_result_descriptions_and_narrative() -> None:
    achievement = build()
    outcomes = by_type(achievement["resultDescription"], "resultType", "ext:EULearningOutcome")
    assert [o["id"] for o in outcomes] == [
        f"{ACHIEVEMENT_ID}#learning-outcome-{n}" for n in (1, 2, 3)
    ]
    assert outcomes[0]["name"] == "Writes a data management plan for a funded project."
    assert [a["targetUrl"] for a in outcomes[0]["alignment"]] == [SKILL_DMP]
    assert outcomes[0]["alignment"][0]["targetType"] == "ext:ESCOSkill"
    assert "alignment" not in outcomes[2]
    narrative = achievement["criteria"]["narrative"]
    assert narrative.startswith("Complete the module")
    assert "\n\n**Learning outcomes**\n\n- Writes a data management plan" in narrative
    assert narrative.endswith("- Explains the steward's role in a research group.")


def test_to_achievement_grade_scale_is_result_description() -> None:
    grades = [d for d in build()["resultDescription"] if d["id"].endswith("#grade")]
    assert grades == [
        {
            "id": f"{ACHIEVEMENT_ID}#grade",
            "type": ["ResultDescription"],
            "name": "Final grade",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C", "D", "F"],
            "requiredValue": "D",
        }
    ]


def test_to_achievement_minimal_design_has_no_eu_fields() -> None:
    achievement = build(AchievementDesign.from_json(minimal_data()))
    assert set(achievement) == {
        "id", "type", "achievementType", "name", "description", "criteria", "creator",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("achievement_id", "message"),
    [
        ("data-stewardship", "is not an absolute URI"),
        (f"{ACHIEVEMENT_ID}#v1", "must not have a fragment"),
    ],
)
def test_to_achievement_bad_id_raises_invalid_input(achievement_id: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        to_achievement(
            full_design(), achievement_id=achievement_id, issuer_profile=issuer_profile()
        )


def test_to_achievement_bad_issuer_profile_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="Profile"):
        to_achievement(
            full_design(), achievement_id=ACHIEVEMENT_ID, issuer_profile={"name": "no id"}
        )


# ------------------------------------------------------------------------- valid, signed, verified


@pytest.mark.parametrize("which", ["full", "minimal"])
def test_credential_with_achievement_passes_schema_and_rules(which: str) -> None:
    design = full_design() if which == "full" else AchievementDesign.from_json(minimal_data())
    assert validate_credential(make_credential(build(design))) == []


def test_credential_with_every_element_signs_and_verifies_in_safe_mode() -> None:
    signed = signed_credential(build())
    report = Verifier(CompositeResolver()).verify(signed, VerifyOptions(at=AT))
    assert report.verified, report.render()
    assert all(step.outcome is not Outcome.FAILED for step in report.steps)


@pytest.mark.parametrize(
    ("member", "index", "key", "forged"),
    [
        ("otherIdentifier", 1, "identifier", "18.75"),
        ("otherIdentifier", 5, "identifier", "online"),
        ("alignment", 4, "targetUrl", "http://data.europa.eu/snb/eqf/7"),
        ("alignment", 8, "targetDescription", "No QA."),
        ("resultDescription", 0, "name", "Writes anything."),
    ],
)
def test_tampered_eu_element_fails_verification(
    member: str, index: int, key: str, forged: str
) -> None:
    signed = signed_credential(build())
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"][member][index][key] = forged
    report = Verifier(CompositeResolver()).verify(tampered, VerifyOptions(at=AT))
    assert not report.verified
    failure = report.first_failure
    assert failure is not None
    assert failure.code == "PROOF_VERIFICATION_ERROR"


# ------------------------------------------------------------------------- reading back


def test_read_eu_elements_round_trips_full_design() -> None:
    design = full_design()
    assert read_eu_elements(build(design)) == design.eu_elements()


def test_read_eu_elements_round_trips_minimal_design() -> None:
    design = AchievementDesign.from_json(minimal_data())
    read = read_eu_elements(build(design))
    assert read == design.eu_elements()
    assert read["ects"] is None
    assert read["learning_outcomes"] == []


def test_read_eu_elements_from_signed_credential_subject() -> None:
    signed = signed_credential(build())
    read = read_eu_elements(signed["credentialSubject"]["achievement"])
    assert read["eqf_level"] == 6
    assert read["ects"] == 7.5
    assert read["workload_hours"] == 187.5
    assert read["quality_assurance"] == {
        "description": "Internal QA under ESG 2015; institution accredited by AQ Austria.",
        "url": "https://deqar.example/reports/1234",
    }


def test_read_eu_elements_qa_without_url_reads_none() -> None:
    data = full_design_data()
    data["quality_assurance"] = {"description": "Programme reviewed every 3 years."}
    read = read_eu_elements(build(AchievementDesign.from_json(data)))
    assert read["quality_assurance"] == {
        "description": "Programme reviewed every 3 years.",
        "url": None,
    }


def test_read_eu_elements_credits_without_ects_marker_are_not_ects() -> None:
    foreign = {"id": "urn:uuid:1", "name": "x", "creditsAvailable": 3.0}
    assert read_eu_elements(foreign)["ects"] is None


def test_read_eu_elements_reads_foreign_compacted_achievement() -> None:
    foreign = {
        "id": "https://other.example/a/1",
        "name": "Foreign",
        "alignment": {
            "type": "Alignment",
            "targetName": "Level 5",
            "targetUrl": "http://data.europa.eu/snb/eqf/5",
        },
        "otherIdentifier": {
            "type": "IdentifierEntry",
            "identifier": "online",
            "identifierType": "ext:EUParticipationForm",
        },
        "resultDescription": [{"id": "x", "resultType": "ext:EULearningOutcome"}, "junk"],
    }
    read = read_eu_elements(foreign)
    assert read["eqf_level"] == 5
    assert read["skills"] == []
    assert read["participation_form"] == "online"
    assert read["learning_outcomes"] == []


def test_read_eu_elements_foreign_esco_alignment_is_typed_as_skill() -> None:
    foreign = {"alignment": [{"targetName": "manage research data", "targetUrl": SKILL_DMP}]}
    assert read_eu_elements(foreign)["skills"][0]["type"] == "ext:ESCOSkill"


def test_read_eu_elements_not_an_object_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        read_eu_elements([])  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    ects=st.floats(min_value=0.1, max_value=240, allow_nan=False, allow_infinity=False),
    hours=st.floats(min_value=0.5, max_value=6000, allow_nan=False, allow_infinity=False),
    eqf=st.integers(min_value=1, max_value=8),
)
def test_read_eu_elements_round_trips_any_numbers(ects: float, hours: float, eqf: int) -> None:
    design = AchievementDesign.from_json(
        minimal_data() | {"ects": ects, "workload_hours": hours, "eqf_level": eqf}
    )
    achievement = build(design)
    read = read_eu_elements(achievement)
    assert (read["ects"], read["workload_hours"], read["eqf_level"]) == (
        design.eu_elements()["ects"],
        design.eu_elements()["workload_hours"],
        eqf,
    )
    assert read["ects"] == ects
    assert read["workload_hours"] == hours
