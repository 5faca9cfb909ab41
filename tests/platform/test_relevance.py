"""The posting pool: each posting mapped once, re-imports skipped, figures from what is stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from credstack.errors import InvalidInput
from credstack.platform.achievements import create_achievement
from credstack.platform.relevance import (
    StoredPosting,
    achievement_relevance,
    import_postings,
    organisation_relevance,
)
from credstack.relevance.mapping import SkillHit
from credstack.storage.relevance_memory import MemoryRelevanceStore
from tests.platform.conftest import BASE, World
from tests.relevance.fakes import FakeMatcher

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COBOL = "urn:skill:cobol"
SQL = "urn:skill:sql"
DOCKER = "urn:skill:docker"


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def posting(n: int, text: str, day: date, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"p-{n}",
        "title": "Developer",
        "text": text,
        "date": day.isoformat(),
        "location": "Ghent",
        **extra,
    }


def months_back(k: int, at: datetime = AT) -> date:
    """The 10th of the k-th complete month before ``at`` (k = 1: October 2026 for AT)."""
    total = at.year * 12 + at.month - 1 - k
    return date(total // 12, total % 12 + 1, 10)


def declining_file(at: datetime = AT) -> bytes:
    """COBOL falls from 12 to 1 a month over 12 months; SQL steady at 4; Docker joins COBOL
    in the last three months; one French posting; one with no skill."""
    records: list[dict[str, Any]] = []
    n = 0
    for k in range(12, 0, -1):
        for _ in range(k):
            n += 1
            text = "Maintain COBOL batch jobs."
            if k <= 3:
                text += " We deploy with Docker."
            records.append(posting(n, text, months_back(k, at)))
        for _ in range(4):
            n += 1
            records.append(posting(n, "Write SQL reports for finance.", months_back(k, at)))
    n += 1
    french = (
        "Nous recherchons un développeur COBOL pour notre équipe. Vous serez responsable de "
        "la maintenance des traitements et vous travaillerez avec les équipes."
    )
    records.append(posting(n, french, months_back(1, at)))
    records.append(posting(n + 1, "Friendly team, good coffee.", months_back(1, at)))
    return jsonl(records)


def test_a_second_import_maps_nothing_new() -> None:
    store = MemoryRelevanceStore()
    matcher = FakeMatcher()
    data = declining_file()
    first = import_postings(store, matcher, data, at=AT, imported_by="cli", batch_size=7)
    assert first.errors == []
    assert first.records == first.new == 78 + 48 + 2
    assert first.unmapped_language == 1
    assert first.no_skills == 1
    assert first.mapped == 126
    assert len(matcher.calls) == 127  # every English posting once; the French one never
    again = import_postings(store, matcher, data, at=AT, imported_by="cli")
    assert (again.new, again.skipped, again.mapped) == (0, 128, 0)
    assert len(matcher.calls) == 127  # nothing mapped again
    stats = store.stats()
    assert (stats.total, stats.mapped, stats.unmapped_language, stats.no_skills) == (
        128,
        126,
        1,
        1,
    )
    # one new posting in a bigger file: only it is mapped
    more = data + b"\n" + jsonl([posting(999, "Python and SQL", months_back(1))])
    third = import_postings(store, matcher, more, at=AT, imported_by="org:uni")
    assert (third.new, third.skipped) == (1, 128)
    assert matcher.calls[-1] == "Python and SQL"
    assert len(matcher.calls) == 128
    stored = store.get("id:p-999")
    assert stored is not None
    assert stored.imported_by == "org:uni"
    assert [h.uri for h in stored.skills] == ["urn:skill:python", SQL]


def test_postings_without_id_are_known_by_their_content() -> None:
    store = MemoryRelevanceStore()
    matcher = FakeMatcher()
    record = {"title": "T", "text": "SQL", "date": "2026-10-01", "location": "Porto"}
    data = jsonl([record, record])  # the same posting twice in one file
    report = import_postings(store, matcher, data, at=AT, imported_by="cli")
    assert (report.new, report.skipped) == (1, 1)
    assert len(matcher.calls) == 1
    again = import_postings(store, matcher, jsonl([record]), at=AT, imported_by="cli")
    assert (again.new, again.skipped) == (0, 1)


def test_a_reused_id_with_other_content_is_refused() -> None:
    store = MemoryRelevanceStore()
    matcher = FakeMatcher()
    import_postings(
        store, matcher, jsonl([posting(1, "SQL", months_back(1))]), at=AT, imported_by="cli"
    )
    changed = jsonl([posting(1, "COBOL", months_back(1)), posting(2, "Docker", months_back(1))])
    report = import_postings(store, matcher, changed, at=AT, imported_by="cli")
    assert report.new == 1
    [error] = report.errors
    assert error.line == 1
    assert "imported before with other content" in error.message
    stored = store.get("id:p-1")
    assert stored is not None
    assert stored.text == "SQL"  # unchanged
    inside = jsonl([posting(5, "SQL", months_back(1)), posting(5, "COBOL", months_back(2))])
    report = import_postings(store, matcher, inside, at=AT, imported_by="cli")
    assert [(e.line, "used on line 1" in e.message) for e in report.errors] == [(2, True)]


def test_dry_run_stores_and_maps_nothing() -> None:
    store = MemoryRelevanceStore()
    report = import_postings(store, None, declining_file(), at=AT, imported_by="cli", dry_run=True)
    assert report.dry_run
    assert report.new == 128
    assert report.unmapped_language == 1
    assert store.stats().total == 0
    with pytest.raises(InvalidInput, match="no skills matcher"):
        import_postings(store, None, declining_file(), at=AT, imported_by="cli")


def test_an_unusable_file_stores_nothing() -> None:
    store = MemoryRelevanceStore()
    bad = declining_file() + b"\n\xff\xfe"
    with pytest.raises(InvalidInput, match="not UTF-8"):
        import_postings(store, FakeMatcher(), bad, at=AT, imported_by="cli")
    assert store.stats().total == 0


def test_bad_records_are_listed_and_the_rest_imported() -> None:
    store = MemoryRelevanceStore()
    data = jsonl(
        [
            posting(1, "SQL", months_back(1)),
            {"title": "no date", "text": "SQL", "location": "x"},
            posting(3, "SQL " * 30_000, months_back(1)),  # 120,000 characters
        ]
    )
    report = import_postings(store, FakeMatcher(), data, at=AT, imported_by="cli")
    assert report.new == 1
    assert [e.line for e in report.errors] == [2, 3]
    assert report.invalid == 2
    assert report.to_json()["errors"][0] == {"line": 2, "message": "date is missing"}


def test_figures_per_achievement_from_stored_mappings(world: World) -> None:
    store = MemoryRelevanceStore()
    import_postings(store, FakeMatcher(), declining_file(), at=AT, imported_by="cli")
    uow = world.db.unit_of_work()
    design = {
        "name": "Mainframe maintenance",
        "description": "COBOL on mainframes.",
        "criteria_narrative": "Pass.",
        "skills": [{"url": COBOL, "name": "COBOL"}, {"url": SQL, "name": "SQL"}],
    }
    mainframe = create_achievement(uow, world.org, design, base_url=BASE, at=AT)
    uow.commit()
    figures = organisation_relevance(world.db.unit_of_work(), store, world.org, at=AT)
    by_name = {f.name: f for f in figures}
    assert set(by_name) == {"Data Analysis with Python", "Mainframe maintenance"}
    other = by_name["Data Analysis with Python"]
    assert other.current == 0  # its ESCO skill is in no posting
    f = by_name["Mainframe maintenance"]
    assert f.achievement_id == mainframe.achievement_id
    cobol, sql = f.skills
    assert cobol.monthly == list(range(12, 0, -1))
    assert cobol.trend.direction == "declining"
    assert sql.monthly == [4] * 12
    assert sql.trend.direction == "steady"
    assert [s.name for s in f.declining_skills] == ["COBOL"]
    # current = the last 90 days (from 5 August): Aug (3 + 4), Sep (2 + 4), Oct (1 + 4)
    assert f.current == (3 + 4) + (2 + 4) + (1 + 4)
    assert f.pool_current == f.current  # the French and the skill-less postings are not mapped
    # Docker is in every current COBOL posting: 6 of 18 (33 %), at least 3 → paired
    [paired] = f.paired
    assert (paired.uri, paired.name, paired.count) == (DOCKER, "use Docker", 6)
    # the same figures for one version, asked directly
    [one] = achievement_relevance(store, [mainframe], at=AT)
    assert one.to_json() == f.to_json()


def test_memory_store_refuses_naive_times() -> None:
    store = MemoryRelevanceStore()
    naive = StoredPosting(
        key="k",
        source_id=None,
        digest="d",
        title="t",
        text="x",
        location="l",
        posted_on=date(2026, 1, 1),
        language="English",
        status="mapped",
        imported_at=datetime(2026, 1, 1),  # naive: the point of the test
        imported_by="cli",
        skills=(SkillHit(SQL, "SQL", 0.9),),
    )
    with pytest.raises(InvalidInput, match="naive"):
        store.add([naive])
    assert store.stats().total == 0
    assert store.add([replace(naive, imported_at=AT)]) == 1
    assert store.add([replace(naive, imported_at=AT)]) == 0  # a stored key is left alone
