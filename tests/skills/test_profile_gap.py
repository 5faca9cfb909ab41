"""Skill profiles from verified credentials, and gap analysis against ESCO occupations."""

from __future__ import annotations

import json

import pytest

from credstack.errors import NotFound
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.skills.framework import Framework
from credstack.skills.gap import gap_for_occupation, gap_for_skills
from credstack.skills.profile import build_profile
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.platform.conftest import BASE, DESIGN, T0, World, world  # noqa: F401
from tests.platform.test_issuance import NOW, _status_lists

ESCO = "http://data.europa.eu/esco/"
DATA_SCIENTIST = ESCO + "occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"
NORMALISE_DATA = ESCO + "skill/07889c08-7220-47c8-96f7-6068fbea00dc"
UNSTRUCTURED_DATA = ESCO + "skill/c5e8abde-d2ba-4e8e-a65e-720b71180666"
DATA_MINING = ESCO + "skill/25f0ea33-b4a2-4f31-b7b4-7d20e827b180"
MODELLING = ESCO + "skill/0760bfac-9a03-427a-ad84-ccd33a2f2ae8"


def _skill(esco: Framework, uri: str) -> dict[str, str]:
    return {"url": uri, "name": esco.label_of(uri), "framework": "ESCO v1.2"}


def _issue(world: World, esco: Framework, name: str, skills: list[str]) -> str:  # noqa: F811
    uow = world.db.unit_of_work()
    design = {**DESIGN, "name": name, "skills": [_skill(esco, u) for u in skills]}
    version = publish(
        uow, world.org, create_achievement(uow, world.org, design, base_url=BASE, at=T0).id, at=T0
    )
    issued = Issuer(uow, world.custody, world.org, BASE).issue(
        version, IssueRequest(did="did:example:learner"), at=T0
    )
    uow.commit()
    return issued.credential_json


def test_profile_traces_each_skill_to_verified_credentials(
    world: World,  # noqa: F811
    esco: Framework,
) -> None:
    first = _issue(world, esco, "Data wrangling", [DATA_MINING, UNSTRUCTURED_DATA])
    second = _issue(world, esco, "Data mining II", [DATA_MINING])
    verifier = Verifier(world.resolver())
    verified = []
    for text in (first, second):
        options = VerifyOptions(at=NOW, status_lists=_status_lists(world))
        report = verifier.verify(text, options)
        assert report.verified, report.render()
        verified.append(json.loads(text))
    profile = build_profile(verified, declared=[MODELLING, DATA_MINING])
    assert profile.proven == {DATA_MINING, UNSTRUCTURED_DATA}
    proofs = profile.verified[DATA_MINING]
    assert {p.achievement for p in proofs} == {"Data wrangling", "Data mining II"}
    assert {p.issuer_name for p in proofs} == {"Example University"}
    assert all(p.awarded.startswith("2026-03-01") for p in proofs)
    shown = profile.to_json()
    assert [d["uri"] for d in shown["declared"]] == [MODELLING]  # proven ones are not repeated
    assert profile.labels[UNSTRUCTURED_DATA] == "unstructured data"


def test_eu_element_alignments_are_not_skills(world: World, esco: Framework) -> None:  # noqa: F811
    credential = json.loads(_issue(world, esco, "One skill", [DATA_MINING]))
    profile = build_profile([credential])
    assert profile.proven == {DATA_MINING}  # not the EQF level alignment the design adds


def test_gap_for_occupation_covered_partial_missing(world: World, esco: Framework) -> None:  # noqa: F811
    credential = json.loads(_issue(world, esco, "Data wrangling", [DATA_MINING, UNSTRUCTURED_DATA]))
    profile = build_profile([credential], declared=[MODELLING])
    report = gap_for_occupation(esco, profile, DATA_SCIENTIST)
    occupation = esco.occupation(DATA_SCIENTIST)
    statuses = {i.uri: i for i in report.covered + report.partial + report.missing}
    assert set(statuses) == set(occupation.essential)
    assert statuses[DATA_MINING].status == "covered"
    assert "Data wrangling" in statuses[DATA_MINING].explanation
    assert statuses[MODELLING].status == "covered"
    assert "self-declared" in statuses[MODELLING].explanation
    # "normalise data" is linked in ESCO to "unstructured data", which the learner holds
    assert statuses[NORMALISE_DATA].status == "partial"
    assert UNSTRUCTURED_DATA in statuses[NORMALISE_DATA].via
    assert "unstructured data" in statuses[NORMALISE_DATA].explanation
    assert len(report.missing) > 40
    shown = report.to_json()
    assert 0 < shown["coverage"] < 0.2
    assert NORMALISE_DATA in report.missing_uris


def test_gap_with_optional_skills_marks_them(esco: Framework) -> None:
    profile = build_profile([])
    only = gap_for_occupation(esco, profile, DATA_SCIENTIST)
    both = gap_for_occupation(esco, profile, DATA_SCIENTIST, include_optional=True)
    assert len(both.missing) > len(only.missing)
    assert any(not i.essential for i in both.missing)
    assert all(i.essential for i in only.missing)


def test_gap_for_unknown_occupation_is_not_found(esco: Framework) -> None:
    with pytest.raises(NotFound, match="no occupation"):
        gap_for_occupation(esco, build_profile([]), ESCO + "occupation/nope")


def test_gap_for_posting_skills_keeps_evidence(esco: Framework) -> None:
    report = gap_for_skills(
        esco,
        build_profile([]),
        [(DATA_MINING, True), (DATA_MINING, True)],
        target="posting",
        target_label="pasted job posting",
        evidence={DATA_MINING: ["experience with data mining"]},
    )
    assert [i.uri for i in report.missing] == [DATA_MINING]  # duplicates folded
    assert report.missing[0].evidence == ("experience with data mining",)
