"""schema.org markup of the public credential page: valid against the vendored vocabulary
subset, about the achievement only (never the holder), and inert inside a script element."""

from __future__ import annotations

import copy
import json
from typing import Any

from jinja2 import Environment

from credstack.exports import schemaorg
from tests.exports.conftest import DID, EMAIL, bare_credential, full_credential

PAGE = "https://credstack.example/c/abcdefgh1234"
HOSTILE = "</script><script>alert(1)</script>"


def test_each_credential_gives_valid_markup_without_the_holder(
    case: tuple[str, dict[str, Any]],
) -> None:
    name, credential = case
    markup = schemaorg.educational_credential(credential, page_url=PAGE)
    check = schemaorg.validate(markup)
    assert check.ok, (name, check.errors)
    text = json.dumps(markup)
    assert DID not in text
    assert "sha256$" not in text
    assert EMAIL not in text
    assert markup["url"] == PAGE
    assert markup["recognizedBy"]["@type"] == "Organization"


def test_full_design_gives_level_category_and_skills() -> None:
    markup = schemaorg.educational_credential(full_credential(), page_url=PAGE)
    assert markup["educationalLevel"]["url"] == "http://data.europa.eu/snb/eqf/6"
    assert markup["credentialCategory"]["termCode"] == "MicroCredential"
    assert markup["credentialCategory"]["name"] == "Micro Credential"
    names = [c["name"] for c in markup["competencyRequired"]]
    assert names == ["manage research data", "apply FAIR data principles", "Document provenance"]
    assert markup["timeRequired"] == "PT187H30M"
    assert markup["recognizedBy"] == {
        "@type": "Organization",
        "name": "Example University",
        "url": "https://university.example/",
    }


def test_validate_reports_unknown_properties_and_wrong_types() -> None:
    markup = schemaorg.educational_credential(full_credential(), page_url=PAGE)
    assert any("madeUp" in e for e in schemaorg.validate({**markup, "madeUp": 1}).errors)
    person = {"@type": "Person", "name": "x"}
    assert any(
        "recognizedBy" in e for e in schemaorg.validate({**markup, "recognizedBy": person}).errors
    )
    assert any(
        "name" in e
        for e in schemaorg.validate({k: v for k, v in markup.items() if k != "name"}).errors
    )
    assert any(
        "url" in e for e in schemaorg.validate({**markup, "url": "javascript:alert(1)"}).errors
    )
    broken = copy.deepcopy(markup)
    broken["competencyRequired"][0]["termCode"] = 5
    assert any("termCode" in e for e in schemaorg.validate(broken).errors)
    assert any(
        "timeRequired" in e for e in schemaorg.validate({**markup, "timeRequired": "long"}).errors
    )


def test_a_hostile_name_cannot_end_the_script_element_when_encoded_with_tojson() -> None:
    credential = bare_credential()
    credential["credentialSubject"]["achievement"]["name"] = HOSTILE
    markup = schemaorg.educational_credential(credential, page_url=PAGE)
    html = (
        Environment(autoescape=True)
        .from_string('<script type="application/ld+json">{{ doc|tojson }}</script>')
        .render(doc=markup)
    )
    body = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in body
    assert ">" not in body
    assert json.loads(body)["name"] == HOSTILE
