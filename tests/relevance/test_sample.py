"""The dated sample: real ESCO skills, dates over the months asked, trends that can be found."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from credstack.errors import FileExists, InvalidInput
from credstack.relevance.figures import PostingSkills, month_starts, trend
from credstack.relevance.postings import parse_postings
from credstack.relevance.sample import generate_sample, write_sample
from credstack.skills.framework import Framework
from credstack.skills.generate import OccupationText, SkillText, esco_inputs
from tests.skills.conftest import esco  # noqa: F401

END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def inputs() -> tuple[list[SkillText], list[OccupationText]]:
    return esco_inputs()


def test_the_sample_is_dated_trended_and_made_of_real_skills(
    inputs: tuple[list[SkillText], list[OccupationText]],
    esco: Framework,  # noqa: F811
) -> None:
    skills, occupations = inputs
    sample = generate_sample(skills, occupations, count=900, seed=1, end=END, months=24)
    assert len(sample) == 900
    assert len({p.id for p in sample}) == 900
    days = [p.posted_on for p in sample]
    assert days == sorted(days)
    assert min(days) >= date(2024, 11, 1)
    assert max(days) <= END
    by_occupation = Counter(p.occupation for p in sample)
    assert len(by_occupation) == 6
    assert set(by_occupation.values()) == {150}
    assert {p.trend for p in sample} == {"declining", "rising", "steady"}
    for posting in sample[:50]:
        assert posting.location in posting.text
        occupation = esco.occupations[posting.occupation]
        assert set(posting.gold) <= set(occupation.essential)  # occupation → skill relations
        assert any(esco.skills[u].label in posting.text for u in posting.gold)
    # the gold skills of each occupation show its built-in trend over the last 12 months
    starts = month_starts(date(2026, 11, 2), 12)
    found: dict[str, str] = {}
    for uri in by_occupation:
        own = [
            PostingSkills(p.id, p.posted_on, frozenset(p.gold))
            for p in sample
            if p.occupation == uri
        ]
        index = {(d.year, d.month): i for i, d in enumerate(starts)}
        counts = [0] * 12
        for p in own:
            if (p.posted_on.year, p.posted_on.month) in index:
                counts[index[(p.posted_on.year, p.posted_on.month)]] += 1
        found[uri] = trend(counts).direction
    expected = {p.occupation: p.trend for p in sample}
    declining = [u for u, t in expected.items() if t == "declining"]
    assert declining
    assert all(found[u] == "declining" for u in declining)
    assert all(found[u] != "declining" for u, t in expected.items() if t != "declining")


def test_same_seed_same_sample_and_it_parses_back(
    inputs: tuple[list[SkillText], list[OccupationText]], tmp_path: Path
) -> None:
    skills, occupations = inputs
    first = generate_sample(skills, occupations, count=30, seed=9, end=END, occupation_count=3)
    again = generate_sample(skills, occupations, count=30, seed=9, end=END, occupation_count=3)
    assert first == again
    path = tmp_path / "sample.jsonl"
    assert write_sample(path, first) == 30
    with pytest.raises(FileExists):
        write_sample(path, first)
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert {"id", "title", "text", "date", "location", "language"} <= record.keys()
    parsed = parse_postings(path.read_bytes(), today=END)
    assert parsed.errors == []
    assert [p.id for p in parsed.postings] == [p.id for p in first]


def test_chosen_occupations_and_bad_arguments(
    inputs: tuple[list[SkillText], list[OccupationText]],
) -> None:
    skills, occupations = inputs
    usable = next(o for o in occupations if len(o.essential) >= 6)
    sample = generate_sample(skills, occupations, count=5, seed=1, end=END, chosen=[usable.uri])
    assert {p.occupation for p in sample} == {usable.uri}
    with pytest.raises(InvalidInput, match="not an occupation"):
        generate_sample(skills, occupations, count=5, seed=1, end=END, chosen=["urn:nope"])
    with pytest.raises(InvalidInput, match="count"):
        generate_sample(skills, occupations, count=0, seed=1, end=END)
    with pytest.raises(InvalidInput, match="months"):
        generate_sample(skills, occupations, count=5, seed=1, end=END, months=1)
