"""The posting pool behaves the same in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from credstack.errors import Conflict, InvalidInput
from credstack.platform.relevance import RelevanceStore, StoredPosting
from credstack.relevance.figures import PostingSkills
from credstack.relevance.mapping import SkillHit
from credstack.storage.memory import MemoryDatabase
from credstack.storage.relevance_memory import MemoryRelevanceStore
from credstack.storage.relevance_sql import SqlRelevanceStore
from credstack.storage.session import SqlDatabase
from tests.contract.conftest import Database

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PY, SQL, DOCKER, COBOL = "urn:s:python", "urn:s:sql", "urn:s:docker", "urn:s:cobol"


def _store(database: Database) -> RelevanceStore:
    if isinstance(database, MemoryDatabase):
        return MemoryRelevanceStore()
    assert isinstance(database, SqlDatabase)
    return SqlRelevanceStore(database)


def _posting(
    n: int, day: date, *skills: str, status: str = "mapped", text: str = "We need people."
) -> StoredPosting:
    return StoredPosting(
        key=f"id:p{n}",
        source_id=f"p{n}",
        digest=f"{n:064x}",
        title=f"Job <{n}>",
        text=text,
        location="Lisbon",
        posted_on=day,
        language="English" if status != "unmapped-language" else "French",
        status=status,
        imported_at=T0,
        imported_by="cli",
        skills=tuple(
            SkillHit(uri, uri.rsplit(":", 1)[-1].upper(), 0.9 - i / 100)
            for i, uri in enumerate(skills)
        ),
    )


def test_add_get_and_digests(database: Database) -> None:
    store = _store(database)
    first = _posting(1, date(2026, 10, 1), PY, SQL, text="ünïcode “quotes” \n and lines")
    second = _posting(2, date(2026, 9, 1), status="unmapped-language")
    assert store.add([first, second]) == 2
    assert store.get("id:p1") == first
    assert store.get("id:p2") == second
    assert store.get("id:nope") is None
    assert store.digests(["id:p1", "id:p2", "id:p3"]) == {
        "id:p1": first.digest,
        "id:p2": second.digest,
    }
    assert store.digests([]) == {}


def test_adding_a_stored_key_again_keeps_the_first(database: Database) -> None:
    store = _store(database)
    first = _posting(1, date(2026, 10, 1), PY)
    store.add([first])
    changed = replace(first, text="other", skills=(SkillHit(COBOL, "COBOL", 0.9),))
    assert store.add([changed, _posting(2, date(2026, 10, 2), SQL)]) == 1
    assert store.get("id:p1") == first
    assert store.postings_with_any([COBOL], date(2026, 1, 1), date(2026, 12, 31)) == []
    assert store.add([]) == 0


def test_a_repeated_skill_is_stored_once(database: Database) -> None:
    store = _store(database)
    doubled = _posting(1, date(2026, 10, 1), PY, SQL, PY)
    store.add([doubled])
    got = store.get("id:p1")
    assert got is not None
    assert [h.uri for h in got.skills] == [PY, SQL]


def test_stats_and_counts(database: Database) -> None:
    store = _store(database)
    empty = store.stats()
    assert (empty.total, empty.first, empty.last) == (0, None, None)
    store.add(
        [
            _posting(1, date(2026, 10, 1), PY),
            _posting(2, date(2025, 1, 31), SQL),
            _posting(3, date(2026, 10, 2), status="no-skills"),
            _posting(4, date(2026, 10, 3), status="unmapped-language"),
        ]
    )
    stats = store.stats()
    assert (stats.total, stats.mapped, stats.no_skills, stats.unmapped_language) == (4, 2, 1, 1)
    assert (stats.first, stats.last) == (date(2025, 1, 31), date(2026, 10, 3))
    assert stats.to_json()["from"] == "2025-01-31"
    assert store.count_mapped(date(2026, 10, 1), date(2026, 10, 31)) == 1
    assert store.count_mapped(date(2025, 1, 31), date(2026, 10, 1)) == 2
    assert store.count_mapped(date(2026, 10, 2), date(2026, 12, 1)) == 0


def test_postings_with_any_return_every_skill_of_the_postings_in_range(database: Database) -> None:
    store = _store(database)
    store.add(
        [
            _posting(1, date(2026, 10, 1), PY, DOCKER),
            _posting(2, date(2026, 10, 5), SQL),
            _posting(3, date(2026, 6, 1), PY),  # before the range
            _posting(4, date(2026, 10, 9), COBOL, SQL, PY),
            _posting(5, date(2026, 10, 31), DOCKER),  # asks for neither
        ]
    )
    found = store.postings_with_any([PY, SQL], date(2026, 9, 1), date(2026, 10, 31))
    assert found == [
        PostingSkills("id:p1", date(2026, 10, 1), frozenset({PY, DOCKER})),
        PostingSkills("id:p2", date(2026, 10, 5), frozenset({SQL})),
        PostingSkills("id:p4", date(2026, 10, 9), frozenset({COBOL, SQL, PY})),
    ]
    assert store.postings_with_any(["urn:s:none"], date(2026, 1, 1), date(2026, 12, 31)) == []
    edge = store.postings_with_any([DOCKER], date(2026, 10, 1), date(2026, 10, 1))
    assert [p.key for p in edge] == ["id:p1"]  # both bounds included
    assert store.skill_labels([DOCKER, COBOL, "urn:s:none"]) == {
        DOCKER: "DOCKER",
        COBOL: "COBOL",
    }


def test_many_skills_and_keys_in_one_call(database: Database) -> None:
    store = _store(database)
    store.add([_posting(n, date(2026, 10, 1 + n % 28), f"urn:s:k{n}") for n in range(1200)])
    uris = [f"urn:s:k{n}" for n in range(0, 1200, 2)] + [f"urn:s:x{n}" for n in range(700)]
    found = store.postings_with_any(uris, date(2026, 1, 1), date(2026, 12, 31))
    assert len(found) == 600
    keys = [f"id:p{n}" for n in range(1300)]
    assert len(store.digests(keys)) == 1200


def test_naive_times_are_refused_and_nothing_is_stored(database: Database) -> None:
    store = _store(database)
    naive = replace(_posting(1, date(2026, 10, 1), PY), imported_at=datetime(2026, 10, 1))
    with pytest.raises(InvalidInput, match="naive"):
        store.add([_posting(2, date(2026, 10, 1), SQL), naive])
    assert store.stats().total == 0


def test_sql_batches_are_all_or_nothing(sql_database: SqlDatabase) -> None:
    store = SqlRelevanceStore(sql_database)
    store.add([_posting(1, date(2026, 10, 1), PY)])
    # a posting row whose skill row breaks the batch (label None is refused by NOT NULL)
    broken = replace(
        _posting(2, date(2026, 10, 1), SQL),
        skills=(SkillHit(SQL, None, 0.9),),  # type: ignore[arg-type]
    )
    with pytest.raises(Conflict):
        store.add([_posting(3, date(2026, 10, 2), PY), broken])
    assert store.get("id:p3") is None  # the whole batch was rolled back
    assert store.stats().total == 1
