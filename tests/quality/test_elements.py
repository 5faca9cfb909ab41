"""The EU standard-element check (credstack.quality): each of the 16 elements present, missing
and malformed, scores, paths, and robustness against any JSON.

Elements: Council Recommendation 2022/C 243/02, Annex I; where each is read: docs/eu-elements.md;
statuses and the score: docs/quality.md.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.platform import issuance
from credstack.platform.achievement_design import (
    AchievementDesign,
    read_eu_elements,
    to_achievement,
)
from credstack.platform.domain import Organisation
from credstack.platform.organisations import issuer_profile
from credstack.proofs.dataintegrity import add_proof
from credstack.quality import (
    ELEMENTS,
    MANDATORY_COUNT,
    OPTIONAL_COUNT,
    ElementReport,
    Status,
    check_achievement,
    check_credential,
)
from credstack.quality.elements import MAX_PATHS, MAX_VALUE_CHARS
from credstack.resolve.resolver import CompositeResolver
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.unit.test_achievement_design import ACHIEVEMENT_ID, full_design_data, minimal_data

KEY = KeyPair(bytes(range(32)))
AT = datetime(2026, 1, 1, tzinfo=UTC)
ORG = Organisation(
    id="org-1",
    slug="uni",
    name="Example University",
    did=KEY.did_key,
    url="https://university.example/",
    country="AT",
)
SUBJECT = "credentialSubject"
ACH = "credentialSubject.achievement"

Json = dict[str, Any]


def achievement(data: Json | None = None) -> Json:
    design = AchievementDesign.from_json(data or full_design_data())
    return to_achievement(design, achievement_id=ACHIEVEMENT_ID, issuer_profile=issuer_profile(ORG))


def credential(data: Json | None = None, *, grade: str | None = "B") -> Json:
    """A credential as the platform's issuing code builds it (unsigned), with a grade."""
    extra: Json = {}
    if grade is not None:
        extra["result"] = [
            {"type": ["Result"], "resultDescription": f"{ACHIEVEMENT_ID}#grade", "value": grade}
        ]
    return issuance.build_credential(
        ORG,
        achievement(data),
        issuance.IssueRequest(email="learner@example.org", extra_subject=extra),
        credential_id="urn:uuid:6b1f0a4e-0000-4000-8000-000000000001",
        status=None,
        at=AT,
        salt="0" * 32,
    )


def statuses(report: ElementReport) -> dict[str, Status]:
    return {f.element.id: f.status for f in report.findings}


def resolve(document: Any, path: str) -> Any:
    """The value at a path of the form ``a.b[0].c`` (what the report gives for found values)."""
    value = document
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            value = value[int(part[1:-1])]
        elif part:
            value = value[part]
    return value


# ------------------------------------------------------------------------- the element list


def test_sixteen_elements_eleven_mandatory_in_annex_order() -> None:
    assert (len(ELEMENTS), MANDATORY_COUNT, OPTIONAL_COUNT) == (16, 11, 5)
    assert len({e.id for e in ELEMENTS}) == 16
    mandatory = [e for e in ELEMENTS if e.mandatory]
    assert [e.number for e in mandatory] == list(range(1, 12))
    assert all(e.number is None for e in ELEMENTS if not e.mandatory)
    assert mandatory[0].name == "Identification of the learner"
    assert mandatory[10].name == "Type of quality assurance used to underpin the micro-credential"


# ------------------------------------------------------------------------- full documents


def test_credential_from_full_design_scores_eleven_of_eleven() -> None:
    document = credential()
    report = check_credential(document)
    assert report.subject == "credential"
    assert all(s is Status.PRESENT for s in statuses(report).values())
    assert (report.mandatory.met, report.mandatory.total, report.optional.met) == (11, 11, 5)
    assert report.score == 1.0
    assert report.complete
    assert report.gaps == ()
    assert report.summary() == "11 of 11 mandatory EU elements, 5 of 5 optional ones"
    for finding in report.findings:  # every path names the value it was read from
        assert finding.paths
        for path in finding.paths:
            resolve(document, path)
    assert report.finding("workload").value == "7.5 ECTS; 187.5 hours"
    assert report.finding("level").value == "EQF level 6; Austrian NQR level 6"
    assert report.finding("country").value == "AT"
    assert report.finding("learner").value == "hashed emailAddress"  # never the address
    assert report.finding("awarding-body").value == (
        "Example University with Partner Research Institute"
    )


def test_credential_issued_and_signed_by_the_platform_scores_the_same() -> None:
    signed = add_proof(credential(), KEY, created=AT)
    assert Verifier(CompositeResolver()).verify(signed, VerifyOptions(at=AT)).verified
    assert statuses(check_credential(signed)) == statuses(check_credential(credential()))


def test_achievement_of_full_design_leaves_learner_and_date_to_issuance() -> None:
    report = check_achievement(achievement(), issuer_profile=issuer_profile(ORG))
    assert report.subject == "achievement"
    found = statuses(report)
    assert found["learner"] is found["date-of-issuing"] is Status.AT_ISSUANCE
    assert sum(s is Status.PRESENT for s in found.values()) == 14
    assert (report.mandatory.met, report.mandatory.present, report.mandatory.at_issuance) == (
        11,
        9,
        2,
    )
    assert report.complete
    assert report.finding("country").paths == ("issuer.address.addressCountryCode",)


def test_achievement_without_issuer_reads_the_creator() -> None:
    data = full_design_data()
    del data["creator"]
    report = check_achievement(achievement(data))  # creator = the issuer profile
    assert report.finding("awarding-body").value == "Example University"
    assert report.finding("country").paths == ("creator.address.addressCountryCode",)
    assert report.finding("country").status is Status.PRESENT
    partner = check_achievement(achievement())  # a co-branding creator with no address
    assert partner.finding("country").status is Status.MISSING


def test_design_is_checked_like_its_achievement() -> None:
    design = AchievementDesign.from_json(full_design_data())
    profile = issuer_profile(ORG)
    assert statuses(check_achievement(design, issuer_profile=profile)) == statuses(
        check_achievement(achievement(), issuer_profile=profile)
    )
    bare = check_achievement(AchievementDesign.from_json(minimal_data()))
    found = statuses(bare)
    assert found["awarding-body"] is found["country"] is Status.AT_ISSUANCE  # no creator yet
    assert found["title"] is Status.PRESENT
    assert bare.mandatory.met == 5  # learner, title, country, awarding body, date
    assert [g.element.id for g in bare.gaps] == [
        "learning-outcomes",
        "workload",
        "level",
        "assessment",
        "participation",
        "quality-assurance",
    ]


def test_achievement_grade_is_the_scale() -> None:
    report = check_achievement(achievement())
    assert report.finding("grade").value == "Final grade (LetterGrade: A, B, C, D, F)"
    broken = achievement()
    broken["resultDescription"][3]["name"] = ""
    assert check_achievement(broken).finding("grade").status is Status.MALFORMED


# ------------------------------------------------------------------------- element by element


def _alignment(doc: Json, target_type: str) -> Json:
    found: Json = next(
        a for a in doc[SUBJECT]["achievement"]["alignment"] if a.get("targetType") == target_type
    )
    return found


def _identifier(doc: Json, identifier_type: str) -> Json:
    found: Json = next(
        i
        for i in doc[SUBJECT]["achievement"]["otherIdentifier"]
        if i["identifierType"] == identifier_type
    )
    return found


def _drop_alignments(doc: Json, *target_types: str) -> None:
    a = doc[SUBJECT]["achievement"]
    a["alignment"] = [x for x in a["alignment"] if x.get("targetType") not in target_types]


def _drop_identifiers(doc: Json, *identifier_types: str) -> None:
    a = doc[SUBJECT]["achievement"]
    a["otherIdentifier"] = [
        x for x in a["otherIdentifier"] if x["identifierType"] not in identifier_types
    ]


def _set(path: str, value: Any) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        *parents, last = path.split(".")
        target = doc
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _delete(path: str) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        *parents, last = path.split(".")
        target = doc
        for key in parents:
            target = target[key]
        del target[last]

    return change


def _outcomes(change: Callable[[list[Json]], list[Json]]) -> Callable[[Json], None]:
    def apply(doc: Json) -> None:
        a = doc[SUBJECT]["achievement"]
        a["resultDescription"] = change(a["resultDescription"])

    return apply


def _no_learner(doc: Json) -> None:
    del doc[SUBJECT]["identifier"]


def _eqf(url: str) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        _alignment(doc, "ext:EQFLevel")["targetUrl"] = url
        _drop_alignments(doc, "ext:NQFLevel")

    return change


def _no_level(doc: Json) -> None:
    _drop_alignments(doc, "ext:EQFLevel", "ext:NQFLevel")


def _eqf_without_type(doc: Json) -> None:  # another issuer's badge: recognised by the EU URI
    del _alignment(doc, "ext:EQFLevel")["targetType"]
    _drop_alignments(doc, "ext:NQFLevel")


def _nqf_without_code(doc: Json) -> None:
    del _alignment(doc, "ext:NQFLevel")["targetCode"]


def _code(identifier_type: str, value: Any) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        _identifier(doc, identifier_type)["identifier"] = value

    return change


def _no_codes(*identifier_types: str) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        _drop_identifiers(doc, *identifier_types)

    return change


def _no_alignments(*target_types: str) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        _drop_alignments(doc, *target_types)

    return change


def _text(target_type: str, key: str, value: Any) -> Callable[[Json], None]:
    def change(doc: Json) -> None:
        _alignment(doc, target_type)[key] = value

    return change


def _only_details(doc: Json) -> None:
    _drop_identifiers(doc, "ext:EUAssessmentType")


def _other_without_details(doc: Json) -> None:
    _drop_alignments(doc, "ext:EUAssessmentDetails")


def _no_workload(doc: Json) -> None:
    del doc[SUBJECT]["achievement"]["creditsAvailable"]
    _drop_identifiers(doc, "ext:EUCreditSystem", "ext:EUWorkloadHours")


def _credits_without_unit(doc: Json) -> None:
    _drop_identifiers(doc, "ext:EUCreditSystem", "ext:EUWorkloadHours")


def _unit_without_credits(doc: Json) -> None:
    del doc[SUBJECT]["achievement"]["creditsAvailable"]


def _hours_only(doc: Json) -> None:
    del doc[SUBJECT]["achievement"]["creditsAvailable"]
    _drop_identifiers(doc, "ext:EUCreditSystem")


def _standalone_with_targets(doc: Json) -> None:
    _identifier(doc, "ext:EUStackability")["identifier"] = "standalone"


def _targets_only(doc: Json) -> None:
    _drop_identifiers(doc, "ext:EUStackability")


def _issuer_without_address(doc: Json) -> None:
    del doc["issuer"]["address"]


def _issuer_only_did(doc: Json) -> None:
    doc["issuer"] = KEY.did_key


def _no_assessment(doc: Json) -> None:
    _drop_identifiers(doc, "ext:EUAssessmentType")
    _drop_alignments(doc, "ext:EUAssessmentDetails")


def _no_stackability(doc: Json) -> None:
    _drop_identifiers(doc, "ext:EUStackability")
    _drop_alignments(doc, "ext:EUStackableTowards")


def _no_grade(doc: Json) -> None:
    del doc[SUBJECT]["result"]


P, M, X = Status.PRESENT, Status.MISSING, Status.MALFORMED

CASES: list[tuple[str, str, Callable[[Json], None], Status, str]] = [
    # (element, case, change, expected status, a word the reason or value must contain)
    ("learner", "did", _set(f"{SUBJECT}.id", "did:example:learner-4711"), P, "did:example"),
    ("learner", "none", _no_learner, M, "neither an id nor an identifier"),
    ("learner", "id not a URI", _set(f"{SUBJECT}.id", 42), X, "not a URI"),
    ("learner", "identifier no hash", _set(f"{SUBJECT}.identifier", [{"identityType": "x"}]), X,
     "identityHash"),
    ("learner", "identifier text", _set(f"{SUBJECT}.identifier", "ann@example.org"), X,
     "not identity objects"),
    ("title", "none", _delete(f"{ACH}.name"), M, "no name"),
    ("title", "blank", _set(f"{ACH}.name", "  "), X, "empty string"),
    ("title", "language map", _set(f"{ACH}.name", {"en": "Data"}), X, "an object"),
    ("country", "no address", _issuer_without_address, M, "no address"),
    ("country", "no code", _delete("issuer.address.addressCountryCode"), M, "addressCountryCode"),
    ("country", "a name", _set("issuer.address.addressCountryCode", "Austria"), X, "ISO 3166-1"),
    ("country", "lower case", _set("issuer.address.addressCountryCode", "at"), X, "ISO 3166-1"),
    ("country", "address text", _set("issuer.address", "Vienna, AT"), X, "not an address"),
    ("awarding-body", "none", _delete("issuer"), M, "no issuer"),
    ("awarding-body", "only a DID", _issuer_only_did, X, "without a name"),
    ("awarding-body", "no name", _delete("issuer.name"), X, "has no name"),
    ("awarding-body", "bad id", _set("issuer.id", "not a uri"), X, "not a URI"),
    ("date-of-issuing", "none", _delete("validFrom"), M, "no validFrom"),
    ("date-of-issuing", "date only", _set("validFrom", "2026-01-01"), X, "time zone"),
    ("date-of-issuing", "no zone", _set("validFrom", "2026-01-01T09:00:00"), X, "time zone"),
    ("date-of-issuing", "words", _set("validFrom", "yesterday"), X, "'yesterday'"),
    ("learning-outcomes", "none", _outcomes(lambda rds: rds[3:]), M, "ext:EULearningOutcome"),
    ("learning-outcomes", "nameless", _outcomes(lambda rds: [{**rds[0], "name": ""}, *rds[1:]]),
     X, "resultDescription[0]"),
    ("workload", "hours only", _hours_only, P, "187.5 hours"),
    ("workload", "none", _no_workload, M, "no creditsAvailable"),
    ("workload", "credits without unit", _credits_without_unit, M, "no credit system"),
    ("workload", "unit without credits", _unit_without_credits, X, "no creditsAvailable"),
    ("workload", "credits text", _set(f"{ACH}.creditsAvailable", "7.5"), X, "positive number"),
    ("workload", "credits negative", _set(f"{ACH}.creditsAvailable", -1), X, "positive number"),
    ("workload", "hours words", _code("ext:EUWorkloadHours", "lots"), X, "positive decimal"),
    ("workload", "hours zero", _code("ext:EUWorkloadHours", "0"), X, "positive decimal"),
    ("level", "EQF of another issuer", _eqf_without_type, P, "EQF level 6"),
    ("level", "none", _no_level, M, "if one applies"),
    ("level", "EQF 9", _eqf("http://data.europa.eu/snb/eqf/9"), X, "eqf/<1-8>"),
    ("level", "NQF without code", _nqf_without_code, X, "targetCode"),
    ("assessment", "details only", _only_details, P, "Oral defence"),
    ("assessment", "none", _no_codes("ext:EUAssessmentType"), P, "Oral defence"),
    ("assessment", "neither", _no_assessment, M, "no assessment type"),
    ("assessment", "unknown type", _code("ext:EUAssessmentType", "exam"), X, "'exam'"),
    ("assessment", "other without details", _other_without_details, X, "'other' needs"),
    ("assessment", "details blank", _text("ext:EUAssessmentDetails", "targetDescription", ""),
     X, "targetDescription"),
    ("participation", "none", _no_codes("ext:EUParticipationForm"), M, "no form"),
    ("participation", "unknown", _code("ext:EUParticipationForm", "hybrid"), X, "'hybrid'"),
    ("participation", "a number", _code("ext:EUParticipationForm", 3), X, "a number"),
    ("quality-assurance", "none", _no_alignments("ext:EUQualityAssurance"), M, "no quality"),
    ("quality-assurance", "no text", _text("ext:EUQualityAssurance", "targetDescription", None),
     X, "null"),
    ("quality-assurance", "bad URL", _text("ext:EUQualityAssurance", "targetUrl", "see report"),
     X, "not an absolute URI"),
    ("prerequisites", "none", _no_alignments("ext:EUPrerequisites"), M, "no prerequisites"),
    ("prerequisites", "no text", _text("ext:EUPrerequisites", "targetDescription", ["x"]), X,
     "an array"),
    ("supervision", "none", _no_codes("ext:EUSupervision"), M, "no supervision"),
    ("supervision", "unknown", _code("ext:EUSupervision", "proctored"), X, "'proctored'"),
    ("grade", "none", _no_grade, M, "defines a grade scale"),
    ("grade", "not allowed", _set(f"{SUBJECT}.result", [{"resultDescription":
     f"{ACHIEVEMENT_ID}#grade", "value": "Z"}]), X, "not an allowed value"),
    ("grade", "a number", _set(f"{SUBJECT}.result", [{"value": 3}]), X, "a number"),
    ("stackability", "targets only", _targets_only, P, "towards MSc Data"),
    ("stackability", "none", _no_codes("ext:EUStackability"), P, "towards MSc Data"),
    ("stackability", "neither", _no_stackability, M, "no stackability"),
    ("stackability", "unknown mode", _code("ext:EUStackability", "maybe"), X, "'maybe'"),
    ("stackability", "standalone with targets", _standalone_with_targets, X, "stacks towards"),
    ("stackability", "target without name", _text("ext:EUStackableTowards", "targetName", ""), X,
     "targetName"),
    ("further-information", "none", _no_alignments("ext:EUFurtherInformation"), M,
     "no further information"),
    ("further-information", "no text", _text("ext:EUFurtherInformation", "targetDescription", 1),
     X, "a number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("element", "change", "expected", "word"),
    [pytest.param(e, c, s, w, id=f"{e}: {name}") for e, name, c, s, w in CASES],
)
def test_each_element_present_missing_malformed(
    element: str, change: Callable[[Json], None], expected: Status, word: str
) -> None:
    document = credential()
    change(document)
    report = check_credential(document)
    finding = report.finding(element)
    assert finding.status is expected, finding
    assert word in f"{finding.reason} {finding.value}", finding
    assert finding.paths
    if expected is Status.PRESENT:
        for path in finding.paths:
            resolve(document, path)
    else:
        assert finding.value is None
    others = {k: v for k, v in statuses(report).items() if k != element}
    lost = 0 if expected is Status.PRESENT else 1
    if word in ("no issuer", "without a name"):  # no issuer profile: no address either
        assert others.pop("country") is Status.MISSING
        lost += 1
    assert set(others.values()) == {Status.PRESENT}, others  # nothing else is affected
    group = report.mandatory if finding.element.mandatory else report.optional
    assert group.met == group.total - lost


def test_malformed_finding_lists_every_bad_entry() -> None:
    document = credential()
    for entry in document[SUBJECT]["achievement"]["otherIdentifier"]:
        if entry["identifierType"] == "ext:EUAssessmentType":
            entry["identifier"] = "exam"
    finding = check_credential(document).finding("assessment")
    assert finding.status is Status.MALFORMED
    assert "(2 more such entries)" in finding.reason
    assert len(finding.paths) == 3


def test_missing_findings_name_where_they_looked() -> None:
    report = check_credential(credential(minimal_data(), grade=None))
    workload = report.finding("workload")
    assert workload.status is Status.MISSING
    assert workload.paths == (
        f"{ACH}.creditsAvailable",
        f"{ACH}.otherIdentifier[?(@.identifierType=='ext:EUWorkloadHours')]",
    )
    assert report.finding("grade").reason == f"no grade: {SUBJECT}.result holds no value"


# ------------------------------------------------------------------------- score


def test_scores_count_present_and_issuance_only() -> None:
    document = credential()
    _no_level(document)
    _code("ext:EUParticipationForm", "hybrid")(document)
    _no_grade(document)
    report = check_credential(document)
    mandatory = report.mandatory
    assert (mandatory.present, mandatory.missing, mandatory.malformed) == (9, 1, 1)
    assert report.score == pytest.approx(9 / 11)
    assert not report.complete
    assert [g.element.id for g in report.gaps] == ["level", "participation"]
    assert report.optional.met == 4
    assert report.summary() == (
        "9 of 11 mandatory EU elements, 4 of 5 optional ones "
        "(1 mandatory missing, 1 mandatory malformed)"
    )
    data = report.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["mandatory"] == {
        "met": 9,
        "total": 11,
        "score": round(9 / 11, 4),
        "present": 9,
        "atIssuance": 0,
        "missing": 1,
        "malformed": 1,
    }
    level = next(e for e in data["elements"] if e["id"] == "level")
    assert (level["number"], level["mandatory"], level["status"]) == (8, True, "missing")
    assert "value" not in level


def test_empty_ish_credential_scores_low() -> None:
    bare = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alice"},
    }
    report = check_credential(bare)
    assert report.mandatory.met == 2  # the learner and the date
    assert report.finding("awarding-body").status is Status.MALFORMED
    assert report.finding("title").reason == f"the credential has no {ACH}"
    assert report.optional.met == 0


@pytest.mark.parametrize("value", [None, [], "text", 3, [{"credentialSubject": {}}]])
def test_non_object_input_is_all_missing(value: Any) -> None:
    for report in (check_credential(value), check_achievement(value)):
        assert all(f.status is Status.MISSING and f.paths == ("$",) for f in report.findings)
        assert report.score == 0


def test_several_subjects_read_the_first() -> None:
    document = credential()
    subject = document[SUBJECT]
    document[SUBJECT] = ["not a subject", subject, {"id": "did:example:other"}]
    report = check_credential(document)
    assert report.mandatory.met == 11
    assert report.finding("title").paths == ("credentialSubject[1].achievement.name",)


def test_achievement_by_reference_is_malformed() -> None:
    document = credential()
    document[SUBJECT]["achievement"] = "https://elsewhere.example/achievements/1"
    report = check_credential(document)
    assert report.finding("workload").status is Status.MALFORMED
    assert "not an Achievement object" in report.finding("workload").reason
    assert report.finding("learner").status is Status.PRESENT


def test_values_and_paths_are_bounded() -> None:
    document = credential()
    document[SUBJECT]["achievement"]["name"] = "word " * 5_000
    rds = document[SUBJECT]["achievement"]["resultDescription"]
    rds[:3] = [{**rds[0], "name": f"Outcome {i}"} for i in range(1_000)]
    report = check_credential(document)
    assert len(report.finding("title").value or "") == MAX_VALUE_CHARS
    outcomes = report.finding("learning-outcomes")
    assert len(outcomes.paths) == MAX_PATHS
    assert (outcomes.value or "").startswith("1000 outcomes: Outcome 0")


# ------------------------------------------------------------------------- agreement and fuzzing

_REMOVABLE = {
    "learning-outcomes": ("learning_outcomes",),
    "workload": ("ects", "workload_hours"),
    "level": ("eqf_level", "nqf_level"),
    "assessment": ("assessment_types", "assessment_details"),
    "participation": ("participation_form",),
    "quality-assurance": ("quality_assurance",),
    "prerequisites": ("prerequisites",),
    "supervision": ("supervision",),
    "stackability": ("stackability",),
    "further-information": ("further_information",),
    "grade": ("grade_scale",),
}
_FIELDS = sorted({f for fields in _REMOVABLE.values() for f in fields})


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(_FIELDS)))
def test_present_exactly_when_the_design_sets_the_element(removed: set[str]) -> None:
    data = full_design_data()
    if "assessment_details" in removed:
        data["assessment_types"] = ["testing"]  # 'other' needs the details
    for name in removed:
        data.pop(name, None)
    design = AchievementDesign.from_json(data)
    rendered = achievement(data)
    report = check_achievement(rendered, issuer_profile=issuer_profile(ORG))
    elements = read_eu_elements(rendered)
    for element, fields in _REMOVABLE.items():
        expected = any(f not in removed for f in fields)
        assert (report.finding(element).status is Status.PRESENT) is expected, element
        assert all(not elements[f] for f in fields if f in removed)
    assert statuses(check_achievement(design, issuer_profile=issuer_profile(ORG))) == statuses(
        report
    )


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["ext:EULearningOutcome", "did:example:x", "http://data.europa.eu/snb/eqf/4",
                       "2026-01-01T00:00:00Z", "AT", "other", "ECTS", "1.5"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip

_KEYS = [
    "issuer", "issuer.address", "issuer.address.addressCountryCode", "validFrom", SUBJECT,
    f"{SUBJECT}.id", f"{SUBJECT}.identifier", f"{SUBJECT}.result", f"{SUBJECT}.achievement",
    f"{ACH}.name", f"{ACH}.creator", f"{ACH}.creditsAvailable", f"{ACH}.alignment",
    f"{ACH}.otherIdentifier", f"{ACH}.resultDescription",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_json_never_raises(value: Any) -> None:
    for report in (check_credential(value), check_achievement(value)):
        assert len(report.findings) == 16
        json.dumps(report.to_json(), allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _json), min_size=1, max_size=4))
def test_random_values_at_the_mapped_places_never_raise(changes: list[tuple[str, Any]]) -> None:
    document = credential()
    for path, value in changes:
        try:
            _set(path, value)(document)
        except (KeyError, TypeError, IndexError):
            continue  # an earlier change replaced a parent: that shape is tested as it is
    report = check_credential(copy.deepcopy(document))
    json.dumps(report.to_json(), allow_nan=False)
    for finding in report.findings:
        if finding.status is Status.PRESENT:
            for path in finding.paths:
                resolve(document, path)
    subject = document.get(SUBJECT)
    inner = subject.get("achievement") if isinstance(subject, dict) else subject
    achievement_report = check_achievement(inner)
    assert len(achievement_report.findings) == 16


def test_reasons_read_as_sentences_without_touching_paths() -> None:
    report = check_credential({"credentialSubject": {"achievement": []}})
    assert report.finding("supervision").sentence == (
        "credentialSubject.achievement is an array, not an Achievement object."
    )
    assert report.finding("awarding-body").sentence == "The credential has no issuer."
    dated = check_credential({"validFrom": "soon"}).finding("date-of-issuing")
    assert dated.sentence == "validFrom 'soon' is not a date and time with a time zone."
