"""Seeded demo data: catalogs that parse, determinism, coherent skills, postings with gold."""

from __future__ import annotations

from pathlib import Path

import pytest

from credstack.errors import FileExists, InvalidInput
from credstack.skills.catalog import load_catalog, parse_catalog
from credstack.skills.generate import (
    OccupationText,
    SkillText,
    esco_inputs,
    generate_catalog,
    generate_learners,
    generate_postings,
    main,
    write_catalog,
    write_jsonl,
)

SKILLS = [
    SkillText(
        f"http://x.example/skill/{n}",
        f"skill number {n}",
        f"Do task {n} well. More.",
        "knowledge" if n % 4 == 0 else "skill",
    )
    for n in range(60)
]
OCCUPATIONS = [
    OccupationText(
        f"http://x.example/occupation/{o}",
        f"occupation {o}",
        tuple(SKILLS[k].uri for k in range(o * 6, o * 6 + 8)),
        tuple(SKILLS[k].uri for k in range(o * 6 + 8, o * 6 + 12)),
    )
    for o in range(8)
]


def test_generate_catalog_same_seed_same_bytes(tmp_path: Path) -> None:
    write_catalog(tmp_path / "a.jsonl", generate_catalog(SKILLS, OCCUPATIONS, size=300, seed=7))
    write_catalog(tmp_path / "b.jsonl", generate_catalog(SKILLS, OCCUPATIONS, size=300, seed=7))
    write_catalog(tmp_path / "c.jsonl", generate_catalog(SKILLS, OCCUPATIONS, size=300, seed=8))
    first = (tmp_path / "a.jsonl").read_bytes()
    assert first == (tmp_path / "b.jsonl").read_bytes()
    assert first != (tmp_path / "c.jsonl").read_bytes()


def test_generate_catalog_input_order_does_not_matter() -> None:
    one = generate_catalog(SKILLS, OCCUPATIONS, size=50, seed=1)
    two = generate_catalog(SKILLS[::-1], OCCUPATIONS[::-1], size=50, seed=1)
    assert one == two


def test_generate_catalog_is_a_valid_coherent_catalog(tmp_path: Path) -> None:
    items = generate_catalog(SKILLS, OCCUPATIONS, size=400, seed=3)
    write_catalog(tmp_path / "cat.jsonl", items)
    catalog = load_catalog(tmp_path / "cat.jsonl")  # validates ids, prerequisites, no cycles
    assert len(catalog) == 400
    assert [i.id for i in catalog] == [i.id for i in items]
    skill_sets = [set(o.essential) | set(o.optional) for o in OCCUPATIONS]
    position = {i.id: n for n, i in enumerate(items)}
    for item in catalog:
        assert 3 <= len(item.skills) <= 6
        assert len(set(item.skills)) == len(item.skills)
        assert any(set(item.skills) <= skills for skills in skill_sets)
        assert all(position[p] < position[item.id] for p in item.prerequisites)
        assert item.hours >= 1
        assert item.price >= 0
        assert item.currency == "EUR"
        assert item.quality is None or 0 <= item.quality <= 1
    assert any(i.prerequisites for i in catalog)
    assert any(i.quality is None for i in catalog)
    assert len({i.issuer for i in catalog}) >= 5


def test_generate_catalog_names_read_like_courses() -> None:
    items = generate_catalog(SKILLS, OCCUPATIONS, size=100, seed=2)
    labels = {s.uri: s.label for s in SKILLS}
    for item in items:
        assert labels[item.skills[0]].lower() in item.name.lower()


@pytest.mark.parametrize("size", [0, -5, 10**7])
def test_generate_catalog_bad_size_rejected(size: int) -> None:
    with pytest.raises(InvalidInput, match="size must be"):
        generate_catalog(SKILLS, OCCUPATIONS, size=size, seed=1)


def test_generate_catalog_without_usable_occupations_rejected() -> None:
    tiny = [OccupationText("http://x.example/o", "o", (SKILLS[0].uri,))]
    with pytest.raises(InvalidInput, match="no occupation"):
        generate_catalog(SKILLS, tiny, size=10, seed=1)


def test_generate_postings_carry_gold_skills_woven_into_the_text() -> None:
    postings = generate_postings(SKILLS, OCCUPATIONS, count=40, seed=5)
    assert postings == generate_postings(SKILLS, OCCUPATIONS, count=40, seed=5)
    by_uri = {s.uri: s for s in SKILLS}
    for posting in postings:
        occupation = next(o for o in OCCUPATIONS if o.uri == posting.occupation)
        assert 5 <= len(posting.gold) <= 8
        assert set(posting.gold) <= set(occupation.essential)
        assert posting.gold_labels == tuple(by_uri[u].label for u in posting.gold)
        text = posting.text.lower()
        assert occupation.label in text
        for uri in posting.gold:
            skill = by_uri[uri]
            assert skill.label in text or skill.description.split(".")[0].lower() in text


def test_generate_postings_pad_to_a_word_count() -> None:
    postings = generate_postings(SKILLS, OCCUPATIONS, count=5, seed=1, min_words=300)
    assert all(len(p.text.split()) >= 300 for p in postings)


def test_generate_learners_hold_part_of_their_occupation() -> None:
    learners = generate_learners(OCCUPATIONS, count=30, seed=4)
    assert learners == generate_learners(OCCUPATIONS, count=30, seed=4)
    for learner in learners:
        current = next(o for o in OCCUPATIONS if o.uri == learner.current_occupation)
        target = next(o for o in OCCUPATIONS if o.uri == learner.target_occupation)
        allowed = set(current.essential) | set(current.optional) | set(target.essential)
        assert learner.have
        assert set(learner.have) <= allowed
        assert list(learner.have) == sorted(set(learner.have))


def test_write_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    items = generate_catalog(SKILLS, OCCUPATIONS, size=3, seed=1)
    write_catalog(path, items)
    with pytest.raises(FileExists):
        write_catalog(path, items)
    with pytest.raises(FileExists):
        write_jsonl(path, generate_learners(OCCUPATIONS, count=2, seed=1))
    write_jsonl(path, generate_learners(OCCUPATIONS, count=2, seed=1), force=True)
    assert path.read_text("utf-8").count("\n") == 2


def test_esco_inputs_are_the_real_framework() -> None:
    skills, occupations = esco_inputs()
    assert len(skills) == 13939
    assert len(occupations) == 3039
    assert sum(len(o.essential) + len(o.optional) for o in occupations) == 129004
    assert {s.kind for s in skills} == {"skill", "knowledge"}


def test_main_writes_esco_catalog_learners_and_postings(tmp_path: Path) -> None:
    paths = [tmp_path / n for n in ("cat.jsonl", "learners.jsonl", "postings.jsonl")]
    argv = ["--catalog", str(paths[0]), "--size", "200", "--seed", "9"]
    argv += ["--learners", str(paths[1]), "--postings", str(paths[2]), "--count", "4"]
    assert main(argv) == 0
    catalog = parse_catalog(paths[0].read_bytes())
    assert len(catalog) == 200
    assert all(s.startswith("http://data.europa.eu/esco/skill/") for i in catalog for s in i.skills)
    assert paths[1].read_text("utf-8").count("\n") == 4
    assert paths[2].read_text("utf-8").count("\n") == 4
    again = tmp_path / "again.jsonl"
    assert main(["--catalog", str(again), "--size", "200", "--seed", "9"]) == 0
    assert again.read_bytes() == paths[0].read_bytes()
    assert main(argv) == 2  # refuses to overwrite
