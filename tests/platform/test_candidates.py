"""Candidate search: who is found, how they rank, what counts, and what an employer's look
leaves behind."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from credstack.errors import InvalidInput, NotFound
from credstack.platform.candidates import (
    MAX_ASKED,
    AskedSkill,
    Concept,
    VerdictCache,
    ask,
    asked_from_concepts,
    candidate_profile,
    find_candidates,
    parse_skills,
    record_view,
    shared_credentials,
    skills_lookup,
)
from credstack.platform.wallet import (
    PortfolioProfile,
    Visibility,
    WalletItem,
    WalletStore,
    new_item,
)
from credstack.skills.matching import Match, MatchResult
from credstack.skills.service import SkillsService
from credstack.storage.wallet_memory import MemoryWalletStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DATA_ANALYSIS = "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"
_counter = iter(range(1, 1_000_000))


def _credential(name: str, skills: Sequence[tuple[str, str | None]]) -> str:
    alignment = []
    for skill, url in skills:
        entry: dict[str, Any] = {"targetName": skill, "targetType": "ext:ESCO"}
        if url is not None:
            entry["targetUrl"] = url
        alignment.append(entry)
    return json.dumps(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:00000000-0000-4000-8000-{next(_counter):012d}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:web:uni.example", "name": "Example University"},
            "validFrom": "2026-04-01T00:00:00Z",
            "credentialSubject": {"achievement": {"name": name, "alignment": alignment}},
        }
    )


def _learner(
    store: WalletStore,
    handle: str,
    credentials: Sequence[tuple[str, Sequence[tuple[str, str | None]]]],
    *,
    searchable: bool = True,
    visibility: Visibility = Visibility.PUBLIC,
) -> list[WalletItem]:
    user_id = f"user-{handle}"
    store.save_profile(
        PortfolioProfile(user_id, handle, f"Learner {handle}", searchable=searchable)
    )
    return [
        new_item(
            store, user_id, _credential(name, skills), source="json", at=T0, visibility=visibility
        )
        for name, skills in credentials
    ]


def _all_valid(items: Sequence[WalletItem]) -> Mapping[str, bool]:
    return {i.id: True for i in items}


def _handles(found: Sequence[Any]) -> list[str]:
    return [c.profile.handle for c in found]


@pytest.fixture
def store() -> MemoryWalletStore:
    return MemoryWalletStore()


def test_ranked_by_coverage_and_the_not_opted_in_are_never_found(store: WalletStore) -> None:
    _learner(store, "bea", [("Python basics", [("Python programming", None)])])
    _learner(
        store,
        "ann",
        [("Data analysis", [("perform data analysis", DATA_ANALYSIS), ("Python", None)])],
    )
    _learner(
        store,
        "hidden",
        [("Everything", [("Python", None), ("perform data analysis", None)])],
        searchable=False,
    )
    asked = ask(parse_skills("python, Perform Data Analysis"))
    found = find_candidates(store, asked, _all_valid)
    assert _handles(found) == ["ann", "bea"]
    ann, bea = found
    assert ann.coverage == 1.0
    assert ann.percent == 100
    assert ann.covered == ["python", "Perform Data Analysis"]
    assert bea.coverage == 0.5
    assert bea.missing == ["Perform Data Analysis"]
    [evidence] = bea.evidence_for("python")
    assert evidence.skill.name == "Python programming"  # a whole word inside a longer name
    assert evidence.item.achievement_name == "Python basics"


def test_ties_go_to_more_credentials_then_to_the_handle(store: WalletStore) -> None:
    one = [("Python I", [("Python", None)])]
    two = [("Python I", [("Python", None)]), ("Python II", [("python", None)])]
    _learner(store, "zed", two)
    _learner(store, "amy", one)
    _learner(store, "bob", one)
    found = find_candidates(store, ask(["python"]), _all_valid)
    assert _handles(found) == ["zed", "amy", "bob"]
    assert [len(c.credentials) for c in found] == [2, 1, 1]


def test_only_credentials_that_verify_and_are_shared_count(store: WalletStore) -> None:
    [good, revoked] = _learner(
        store,
        "cat",
        [("Python", [("Python", None)]), ("Statistics", [("statistics", None)])],
    )
    _learner(store, "dan", [("Stats", [("statistics", None)])], visibility=Visibility.PRIVATE)
    _learner(store, "eve", [("Stats", [("statistics", None)])], visibility=Visibility.LINK)

    def verdicts(items: Sequence[WalletItem]) -> Mapping[str, bool]:
        return {i.id: i.id != revoked.id for i in items}

    found = find_candidates(store, ask(["python", "statistics"]), verdicts)
    assert _handles(found) == ["cat", "eve"]  # dan's credential is private
    assert found[0].covered == ["python"]
    assert [i.id for i in found[0].credentials] == [good.id]


def test_names_match_whole_words_ignoring_case_only(store: WalletStore) -> None:
    _learner(store, "fay", [("Pythonic", [("Pythonic idioms", None)])])
    _learner(store, "gus", [("Java", [("JAVA (computer programming)", None)])])
    assert find_candidates(store, ask(["python"]), _all_valid) == []
    assert _handles(find_candidates(store, ask(["java"]), _all_valid)) == ["gus"]


def test_framework_concepts_match_by_url_whatever_the_name(store: WalletStore) -> None:
    _learner(store, "hal", [("Analytics", [("Analyse datasets", DATA_ANALYSIS)])])

    def lookup(phrase: str) -> Sequence[Concept]:
        if phrase == "number crunching":
            return (Concept(DATA_ANALYSIS, "perform data analysis"),)
        return ()

    assert find_candidates(store, ask(["number crunching"]), _all_valid) == []
    found = find_candidates(store, ask(["number crunching"], lookup), _all_valid)
    assert _handles(found) == ["hal"]
    assert found[0].evidence[0].skill.url == DATA_ANALYSIS


def test_occupation_seam_takes_concepts(store: WalletStore) -> None:
    _learner(store, "ivy", [("Analytics", [("whatever label", DATA_ANALYSIS)])])
    asked = asked_from_concepts(
        [Concept(DATA_ANALYSIS, "perform data analysis"), Concept("urn:x", "welding")]
    )
    assert asked[0] == AskedSkill("perform data analysis", (asked[0].concepts[0],))
    [found] = find_candidates(store, asked, _all_valid)
    assert found.covered == ["perform data analysis"]
    assert found.coverage == 0.5


def test_verdicts_are_cached_per_item(store: WalletStore) -> None:
    items = _learner(store, "jon", [("Python", [("Python", None)]), ("SQL", [("SQL", None)])])
    checked: list[str] = []

    def check(batch: Sequence[WalletItem]) -> list[bool]:
        checked.extend(i.id for i in batch)
        return [True for _ in batch]

    cache = VerdictCache(check)
    find_candidates(store, ask(["python"]), cache)
    find_candidates(store, ask(["python", "sql"]), cache)
    assert sorted(checked) == sorted(i.id for i in items)  # each item verified once
    assert cache([items[0], items[0]]) == {items[0].id: True}


def test_skills_are_parsed_bounded_and_deduplicated() -> None:
    assert parse_skills(" Python ,python, data   analysis,, ") == ["Python", "data analysis"]
    with pytest.raises(InvalidInput, match="at least one skill"):
        parse_skills(" , ")
    with pytest.raises(InvalidInput, match="at most"):
        parse_skills(",".join(f"skill {n}" for n in range(MAX_ASKED + 1)))
    with pytest.raises(InvalidInput, match="at most 100 characters"):
        parse_skills("x" * 101)
    with pytest.raises(InvalidInput, match="longer than"):
        parse_skills("a," * 1500)


def test_withdrawn_learner_is_gone_from_search_and_their_page(store: WalletStore) -> None:
    _learner(store, "kim", [("Python", [("Python", None)])])
    profile = candidate_profile(store, "KIM")
    assert profile.handle == "kim"
    store.save_profile(PortfolioProfile(profile.user_id, "kim", "Kim", searchable=False))
    assert find_candidates(store, ask(["python"]), _all_valid) == []
    with pytest.raises(NotFound):
        candidate_profile(store, "kim")
    with pytest.raises(NotFound):
        candidate_profile(store, "nobody")


def test_candidate_page_lists_matching_credentials_first_and_records_the_view(
    store: WalletStore,
) -> None:
    items = _learner(
        store,
        "lea",
        [("SQL", [("SQL", None)]), ("Python", [("Python", None)]), ("Bad", [("Python", None)])],
    )
    profile = candidate_profile(store, "lea")
    bad = items[2].id
    match, shown = shared_credentials(
        store, profile, ask(["python"]), lambda xs: {i.id: i.id != bad for i in xs}
    )
    assert match is not None
    assert match.covered == ["python"]
    assert [i.achievement_name for i in shown] == ["Python", "SQL"]
    nothing_asked, everything = shared_credentials(store, profile, [], _all_valid)
    assert nothing_asked is None
    assert len(everything) == 3
    view = record_view(
        store,
        profile,
        viewer_user_id="employer-1",
        viewer_label="hr@example.org",
        query="python",
        at=T0,
    )
    assert store.views_for(profile.user_id) == [view]
    assert view.viewer_label == "hr@example.org"
    assert view.query == "python"


def _result(matches: list[Match], notice: str | None = None) -> MatchResult:
    return MatchResult(matches, notice)


class _FakeService:
    def __init__(self, result: MatchResult) -> None:
        self.result = result

    def match(self, text: str, *, top: int = 10) -> MatchResult:
        return self.result


def test_skills_engine_lookup_keeps_only_a_confident_best_match() -> None:
    best = Match(DATA_ANALYSIS, "perform data analysis", 0.9)
    confident = skills_lookup(cast(SkillsService, _FakeService(_result([best]))))
    assert confident("data analysis") == (Concept(DATA_ANALYSIS, "perform data analysis"),)
    unsure = skills_lookup(cast(SkillsService, _FakeService(_result([best], "low confidence"))))
    assert unsure("xyzzy") == ()
