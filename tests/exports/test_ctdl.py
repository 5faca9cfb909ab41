"""CTDL export: the achievement as a Credential Engine credential with its organisation,
deterministic CTIDs, and the structural rules of Credential Engine's validation schema."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from credstack.errors import InvalidInput
from credstack.exports import ctdl, ctid
from tests.exports.conftest import BASE, bare_credential, full_credential, vcapi_credential

PAGE = f"{BASE}/c/abcdefgh1234"


def test_each_credential_gives_a_valid_ctdl_graph(case: tuple[str, dict[str, Any]]) -> None:
    name, credential = case
    document = ctdl.ctdl_description(credential, subject_webpage=PAGE)
    check = ctdl.validate(document)
    assert check.ok, (name, check.errors)
    assert document["@context"] == ctdl.CTDL_CONTEXT
    node, organisation = document["@graph"][:2]
    assert node["ceterms:subjectWebpage"] == PAGE
    assert node["ceterms:ownedBy"] == [organisation["@id"]]
    assert organisation["@type"] == "ceterms:CredentialOrganization"
    assert ctdl.ctdl_description(credential, subject_webpage=PAGE) == document


def test_ctid_is_ce_plus_a_name_based_uuid_of_the_achievement_id() -> None:
    credential = full_credential()
    achievement_id = credential["credentialSubject"]["achievement"]["id"]
    node = ctdl.ctdl_description(credential)["@graph"][0]
    assert node["ceterms:ctid"] == f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, achievement_id)}"
    assert node["ceterms:ctid"] == ctid(achievement_id)
    assert ctid("https://a.example/1") != ctid("https://a.example/2")


def test_full_design_maps_criteria_skills_occupations_and_workload() -> None:
    node = ctdl.ctdl_description(full_credential())["@graph"][0]
    assert node["@type"] == "ceterms:MicroCredential"
    assert node["ceterms:subjectWebpage"] == node["@id"]  # the achievement's own URL
    assert node["ceterms:inLanguage"] == ["en-GB"]
    condition = node["ceterms:requires"][0]
    assert condition["ceterms:subjectWebpage"].endswith("/criteria")
    assert len(condition["ceterms:condition"]["en-GB"]) == 3
    targets = [c["ceterms:targetNode"] for c in condition["ceterms:targetCompetency"]]
    assert len(targets) == 3
    assert not any("/occupation/" in t for t in targets)
    occupation = node["ceterms:occupationType"][0]
    assert occupation["ceterms:targetNode"].startswith("http://data.europa.eu/esco/occupation/")
    assert node["ceterms:estimatedDuration"][0]["ceterms:exactDuration"] == "PT187H30M"
    assert node["ceterms:creditValue"][0]["ceterms:value"] == 7.5
    assert node["ceterms:isPartOf"] == ["https://university.example/achievements/msc-data-science"]
    assert node["ceterms:keyword"] == {"en-GB": ["research data", "FAIR"]}


@pytest.mark.parametrize(
    ("achievement_type", "expected"),
    [
        ("MicroCredential", "ceterms:MicroCredential"),
        ("Badge", "ceterms:Badge"),
        ("Certificate", "ceterms:Certificate"),
        ("BachelorDegree", "ceterms:BachelorDegree"),
        ("Course", "ceterms:Badge"),
        ("ext:Workshop", "ceterms:Badge"),
        (None, "ceterms:Badge"),
    ],
)
def test_achievement_type_picks_the_ctdl_class(achievement_type: Any, expected: str) -> None:
    credential = bare_credential()
    credential["credentialSubject"]["achievement"]["achievementType"] = achievement_type
    node = ctdl.ctdl_description(credential)["@graph"][0]
    assert node["@type"] == expected
    assert ctdl.validate(ctdl.ctdl_description(credential)).ok


def test_a_web_page_is_required_and_found_or_given() -> None:
    with pytest.raises(InvalidInput, match="web page"):
        ctdl.ctdl_description(vcapi_credential())  # urn ids, no issuer homepage
    document = ctdl.ctdl_description(vcapi_credential(), subject_webpage=PAGE)
    assert ctdl.validate(document).ok
    gaps = ctdl.validate(document).gaps
    assert any("web page" in gap for gap in gaps)  # the issuer gives no homepage


def _errors(document: dict[str, Any]) -> list[str]:
    return list(ctdl.validate(document).errors)


def test_validate_reports_breakage() -> None:
    document = ctdl.ctdl_description(full_credential())

    def with_node(**changes: Any) -> dict[str, Any]:
        changed = copy.deepcopy(document)
        changed["@graph"][0].update(changes)
        return changed

    without_ctid = copy.deepcopy(document)
    del without_ctid["@graph"][0]["ceterms:ctid"]
    assert any("ctid" in e for e in _errors(without_ctid))
    assert any("ctid" in e for e in _errors(with_node(**{"ceterms:ctid": "ce-NOT-A-UUID"})))
    assert any("madeUp" in e for e in _errors(with_node(**{"ceterms:madeUp": 1})))
    assert any("language map" in e for e in _errors(with_node(**{"ceterms:name": "plain"})))
    assert any(
        "not described" in e
        for e in _errors(with_node(**{"ceterms:ownedBy": ["https://x.example/"]}))
    )
    assert any("credential" in e for e in _errors(with_node(**{"@type": "ceterms:Course"})))
    broken_duration = {"@type": "ceterms:DurationProfile", "ceterms:exactDuration": "187.5 hours"}
    assert any(
        "ISO 8601" in e
        for e in _errors(with_node(**{"ceterms:estimatedDuration": [broken_duration]}))
    )
    assert any("@graph" in e for e in _errors({"@context": ctdl.CTDL_CONTEXT, "@graph": []}))
    assert any("@context" in e for e in _errors({**document, "@context": "https://schema.org"}))
