"""The shipped frameworks: ESCO v1.2 counts and lookups, O*NET, custom lists, alignments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credstack.errors import InvalidInput, NotFound
from credstack.platform.achievement_design import SkillAlignment
from credstack.skills.framework import (
    ESCO_ATTRIBUTION,
    ONET_ATTRIBUTION,
    Framework,
    load_custom,
    load_esco,
    load_onet,
)

SKILL = "http://data.europa.eu/esco/skill/"
PYTHON = SKILL + "ccd0a1d9-afda-43d9-b901-96344886e14d"
DATA_ANALYSIS = SKILL + "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"
TECHNICAL_DIRECTOR = "http://data.europa.eu/esco/occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"


def test_load_esco_counts_match_v1_2(esco: Framework) -> None:
    assert len(esco.skills) == 13_939
    assert len(esco.occupations) == 3_039
    assert esco.relation_count == 129_004
    assert len(esco.links) == 5_818
    assert len(esco.groups) == 640
    assert esco.title == "ESCO v1.2"
    assert load_esco() is esco  # cached


def test_esco_skill_has_labels_type_hierarchy(esco: Framework) -> None:
    python = esco.skill(PYTHON)
    assert python.label == "Python (computer programming)"
    assert "Python" in python.alt_labels
    assert python.skill_type == "knowledge"
    assert python.code == "ccd0a1d9-afda-43d9-b901-96344886e14d"
    assert python.broader
    assert all(esco.label_of(b) != b for b in python.broader)


def test_esco_occupation_has_isco_and_skills(esco: Framework) -> None:
    occupation = esco.occupation(TECHNICAL_DIRECTOR)
    assert occupation.label == "technical director"
    assert occupation.isco_code == "2654"
    assert occupation.code == "2654.1.7"
    assert occupation.essential
    assert all(u in esco.skills for u in occupation.essential)
    first = occupation.essential[0]
    assert TECHNICAL_DIRECTOR in esco.occupations_needing(first)


def test_skill_unknown_uri_raises_not_found(esco: Framework) -> None:
    with pytest.raises(NotFound, match="has no skill"):
        esco.skill(SKILL + "nope")


def test_occupation_unknown_uri_raises_not_found(esco: Framework) -> None:
    with pytest.raises(NotFound, match="has no occupation"):
        esco.occupation("http://data.europa.eu/esco/occupation/nope")
    with pytest.raises(NotFound):
        esco.occupations_needing(SKILL + "nope")


def test_related_links_point_at_known_skills(esco: Framework) -> None:
    assert esco.related
    for source, targets in list(esco.related.items())[:200]:
        assert source in esco.skills
        assert all(t in esco.skills for t in targets)


def test_alignment_follows_the_skills_alignment_rule(esco: Framework) -> None:
    aligned = esco.alignment(DATA_ANALYSIS)
    assert aligned["type"] == ["Alignment"]
    assert aligned["targetUrl"] == DATA_ANALYSIS
    assert aligned["targetName"] == "perform data analysis"
    assert aligned["targetFramework"] == "ESCO v1.2"
    assert aligned["targetCode"] == "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"
    assert aligned["targetType"] == "ext:ESCOSkill"
    # the issuance side accepts it as a skill alignment
    accepted = SkillAlignment(
        url=aligned["targetUrl"],
        name=aligned["targetName"],
        framework=aligned["targetFramework"],
        code=aligned["targetCode"],
        type=aligned["targetType"],
    )
    assert accepted.target_type == "ext:ESCOSkill"


def test_occupation_alignment_uses_esco_code(esco: Framework) -> None:
    aligned = esco.alignment(TECHNICAL_DIRECTOR)
    assert aligned["targetType"] == "ext:ESCOOccupation"
    assert aligned["targetCode"] == "2654.1.7"


def test_attributions_are_the_required_lines() -> None:
    assert ESCO_ATTRIBUTION == (
        "This service uses the ESCO classification of the European Commission."
    )
    assert ONET_ATTRIBUTION.startswith("This product includes information from the O*NET 29.2")
    assert "CC BY 4.0" in ONET_ATTRIBUTION


def test_load_onet_has_tasks_technologies_ratings() -> None:
    onet = load_onet()
    assert onet.version == "29.2"
    assert len(onet.occupations) == 1_016
    ceo = onet.occupation("11-1011.00")
    assert ceo.title == "Chief Executives"
    assert ceo.job_zone == 5
    assert ceo.tasks
    assert ceo.tasks[0].task_type in {"Core", "Supplemental"}
    assert ceo.hot_technologies
    reading = next(r for r in ceo.skills if r.name == "Reading Comprehension")
    assert reading.importance == pytest.approx(4.12)
    assert ceo.knowledge
    with pytest.raises(NotFound):
        onet.occupation("99-9999.99")


def test_load_custom_jsonl_builds_a_framework(tmp_path: Path) -> None:
    path = tmp_path / "acme.jsonl"
    lines = [
        {"uri": "https://acme.example/skills/1", "label": "widget assembly",
         "alt_labels": ["assemble widgets"], "description": "Put widgets together."},
        {"uri": "https://acme.example/skills/2", "label": "gizmo repair"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    framework = load_custom(path, name="ACME skills", version="2")
    assert framework.title == "ACME skills v2"
    assert framework.skill("https://acme.example/skills/1").alt_labels == ("assemble widgets",)
    aligned = framework.alignment("https://acme.example/skills/2")
    assert aligned["targetFramework"] == "ACME skills v2"
    assert "targetType" not in aligned


def test_load_custom_csv_splits_alt_labels(tmp_path: Path) -> None:
    path = tmp_path / "acme.csv"
    path.write_text(
        'uri,label,alt_labels,description\nu:1,welding,"arc welding|mig welding",Join metal.\n',
        encoding="utf-8",
    )
    skill = load_custom(path).skill("u:1")
    assert skill.alt_labels == ("arc welding", "mig welding")
    assert skill.description == "Join metal."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"uri": "u:1", "label": "a"}\n{"uri": "u:1", "label": "b"}\n', "duplicate uri"),
        ('{"uri": "u:1"}\n', "needs a uri and a label"),
        ("not json\n", "is not JSON"),
        ("[1, 2]\n", "not a JSON object"),
        ('{"uri": "u:1", "label": "a", "alt_labels": 5}\n', "alt_labels"),
        ("\n", "has no skills"),
    ],
)
def test_load_custom_malformed_raises_invalid_input(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_custom(path)


def test_load_custom_missing_file_raises_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_custom(tmp_path / "absent.jsonl")
