"""European Learning Model export: unsealed EDC JSON-LD that expands in safe mode with the
Commission's context and meets the EDC profile's cardinalities, with honest gaps."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from credstack.errors import InvalidInput
from credstack.exports import elm
from tests.exports.conftest import DID, bare_credential, full_credential, vcapi_credential

ELM_NS = "http://data.europa.eu/snb/"


def _find(node: Any, type_name: str) -> list[dict[str, Any]]:
    """Every object of ``type_name`` in a compact document."""
    found = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("type") == type_name:
                found.append(item)
            stack.extend(item.values())
    return found


def test_each_credential_exports_valid_elm_with_the_seal_gap(
    case: tuple[str, dict[str, Any]],
) -> None:
    name, credential = case
    document = elm.elm_credential(credential)
    check = elm.validate(document)
    assert check.ok, (name, check.errors)
    assert elm.SEAL_GAP in check.gaps
    assert elm.LEGAL_ID_GAP in check.gaps
    assert document["displayParameter"]["description"] == {"en": elm.UNSEALED_NOTE}
    assert document["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert document["credentialSchema"] == [{"id": elm.EDC_PROFILE, "type": "ShaclValidator2017"}]
    assert elm.elm_credential(credential) == document  # deterministic ids


def test_full_design_maps_every_eu_element() -> None:
    credential = full_credential()
    document = elm.elm_credential(credential)
    claim = document["credentialSubject"]["hasClaim"][0]
    spec = claim["specifiedBy"]
    assert spec["id"] == credential["credentialSubject"]["achievement"]["id"]
    assert spec["type"] == "Qualification"
    assert spec["title"] == {"en-GB": "Data Stewardship"}
    assert spec["eqfLevel"]["id"] == f"{ELM_NS}eqf/6"
    assert spec["nqfLevel"][0]["id"] == "https://nqr.example/levels/6"
    assert spec["creditPoint"][0]["point"] == "7.5"
    assert spec["creditPoint"][0]["framework"]["id"] == f"{ELM_NS}education-credit/6fcec5c5af"
    assert spec["volumeOfLearning"] == "PT187H30M"
    assert spec["mode"][0]["prefLabel"] == {"en": "Blended"}
    assert spec["entryRequirement"]["noteLiteral"]["en-GB"].startswith("A bachelor's degree")
    assert spec["isPartialQualification"] is True
    outcomes = spec["learningOutcome"]
    titles = [o["title"]["en-GB"] for o in outcomes]
    assert titles[0] == "Writes a data management plan for a funded project."
    assert outcomes[0]["relatedESCOSkill"][0]["id"].startswith("http://data.europa.eu/esco/skill/")
    assert "Document provenance" in titles  # a skill no outcome names becomes one
    assert "data steward" not in titles  # occupations are not learning outcomes
    notes = [n["noteLiteral"]["en-GB"] for n in spec["additionalNote"]]
    assert any(n.startswith("Quality assurance:") and "deqar" in n for n in notes)
    assert any(n.startswith("Stackable towards:") for n in notes)
    assessment = claim["provenBy"][0]
    assert assessment["grade"]["noteLiteral"] == {"en": "B"}
    assert assessment["idVerification"]["id"] == f"{ELM_NS}supervision-verification/70be69aaf9"
    assert assessment["title"] == {"en": "Assessment: testing, portfolio, other"}
    assert assessment["specifiedBy"]["gradingScheme"]["title"] == {"en-GB": "Final grade"}
    issuer = document["issuer"]
    assert issuer["legalName"] == {"en-GB": "Example University"}
    country = issuer["location"][0]["address"][0]["countryCode"]
    assert country["id"] == "http://publications.europa.eu/resource/authority/country/AUT"
    bodies = claim["awardedBy"]["awardingBody"]
    assert [b["id"] for b in bodies] == [issuer["id"], "https://partner.example/"]
    assert document["issued"] == credential["awardedDate"]
    assert document["validUntil"] == credential["validUntil"]
    person = document["credentialSubject"]
    assert person["identifier"][0]["notation"].startswith("sha256$")
    assert "ann@example.org" not in json.dumps(document)


def test_the_creators_missing_country_is_a_gap_not_an_error() -> None:
    check = elm.validate(elm.elm_credential(full_credential()))
    assert check.ok
    assert any("country" in gap for gap in check.gaps)


def test_bare_and_vcapi_credentials_stay_minimal() -> None:
    bare = elm.elm_credential(bare_credential())
    assert bare["credentialSubject"]["id"] == DID
    assert "provenBy" not in bare["credentialSubject"]["hasClaim"][0]
    assert "location" not in bare["issuer"]
    assert any("country" in gap for gap in elm.validate(bare).gaps)
    minimal = elm.elm_credential(vcapi_credential())
    spec = minimal["credentialSubject"]["hasClaim"][0]["specifiedBy"]
    assert spec["id"] == "urn:uuid:3e8b5f4d-0c6a-4f1b-8d74-8a5c9e1f2b43"
    assert spec["title"] == {"en": "Peer Tutor"}
    assert _find(minimal, "LearningOutcome") == []


def test_language_follows_the_achievement() -> None:
    credential = bare_credential()
    credential["credentialSubject"]["achievement"]["inLanguage"] = "de-AT"
    document = elm.elm_credential(credential)
    assert document["displayParameter"]["title"] == {"de-AT": "Library Orientation"}
    assert document["displayParameter"]["primaryLanguage"]["id"].endswith("/language/DEU")
    credential["credentialSubject"]["achievement"]["inLanguage"] = "qaa"
    unknown = elm.validate(elm.elm_credential(credential))
    assert unknown.ok
    assert any("language" in gap for gap in unknown.gaps)


def _errors(document: dict[str, Any]) -> list[str]:
    return list(elm.validate(document).errors)


def test_validate_reports_breakage() -> None:
    document = elm.elm_credential(full_credential())
    assert any("issued" in e for e in _errors({k: v for k, v in document.items() if k != "issued"}))
    assert any("'madeUp'" in e for e in _errors({**document, "madeUp": "x"}))
    assert any("@context" in e for e in _errors({**document, "@context": ["https://x.example"]}))
    broken = copy.deepcopy(document)
    broken["credentialSubject"]["hasClaim"][0].pop("awardedBy")
    assert any("awardedBy" in e for e in _errors(broken))
    typed = copy.deepcopy(document)
    typed["credentialSubject"]["hasClaim"][0]["specifiedBy"]["type"] = "Accreditation"
    assert any("not a class" in e for e in _errors(typed))
    assert elm.validate("nope").errors


def test_not_an_open_badge_is_refused() -> None:
    with pytest.raises(InvalidInput):
        elm.elm_credential({"type": ["VerifiableCredential"], "credentialSubject": {}})
