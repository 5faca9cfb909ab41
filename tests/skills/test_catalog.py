"""Catalog JSON Lines: parsing, validation with line numbers, bounds, round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from credstack.errors import InvalidInput, NotFound
from credstack.skills.catalog import (
    Achievement,
    Catalog,
    dump_catalog,
    find_cycles,
    load_catalog,
    parse_catalog,
)

S1 = "http://data.europa.eu/esco/skill/s1"
S2 = "http://data.europa.eu/esco/skill/s2"


def record(ident: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": ident,
        "name": f"Course {ident}",
        "skills": [S1],
        "hours": 10,
        "price": 100,
        "currency": "EUR",
        "prerequisites": [],
        "issuer": "Example Academy",
    }
    base.update(overrides)
    return base


def jsonl(*records: dict[str, Any] | str) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def problems_of(text: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_catalog(text, **kwargs)
    return caught.value.message


def test_parse_catalog_valid_keeps_file_order_and_fields() -> None:
    catalog = parse_catalog(
        jsonl(
            record("b", quality=0.8),
            record("a", skills=[S1, S2], prerequisites=["b"], price=0),
        )
    )
    assert [i.id for i in catalog] == ["b", "a"]
    assert catalog.get("a").prerequisites == ("b",)
    assert catalog.get("b").quality == 0.8
    assert catalog.get("a").quality is None
    assert catalog.teaching[S1] == ("b", "a")
    assert catalog.teaching[S2] == ("a",)


def test_parse_catalog_blank_lines_and_unknown_members_ignored() -> None:
    text = "\n" + jsonl(record("a", extra="kept out"), "   ", record("b"))
    assert len(parse_catalog(text)) == 2


def test_parse_catalog_optional_currency_and_quality_absent_ok() -> None:
    item = record("a")
    del item["currency"]
    catalog = parse_catalog(jsonl(item))
    assert catalog.get("a").currency is None
    assert catalog.currencies() == frozenset()


def test_parse_catalog_negative_hours_rejected_with_line_number() -> None:
    message = problems_of(jsonl(record("a"), record("b", hours=-3)))
    assert "line 2: hours must not be negative (-3)" in message


def test_parse_catalog_negative_price_rejected() -> None:
    assert "line 1: price must not be negative" in problems_of(jsonl(record("a", price=-0.5)))


def test_parse_catalog_duplicate_ids_rejected() -> None:
    message = problems_of(jsonl(record("a"), record("b"), record("a")))
    assert "line 3: duplicate id 'a' (first at line 1)" in message


def test_parse_catalog_missing_prerequisite_named() -> None:
    message = problems_of(jsonl(record("a", prerequisites=["ghost"])))
    assert "line 1: prerequisite 'ghost' of 'a' is not in the catalog" in message


def test_parse_catalog_prerequisite_on_a_bad_line_is_not_reported_missing() -> None:
    message = problems_of(jsonl(record("a", hours=-1), record("b", prerequisites=["a"])))
    assert message.startswith("the catalog has 1 problem:")
    assert "line 1: hours must not be negative" in message


def test_parse_catalog_prerequisite_cycle_named() -> None:
    message = problems_of(
        jsonl(
            record("c", prerequisites=["a"]),
            record("a", prerequisites=["b"]),
            record("b", prerequisites=["c"]),
            record("d", prerequisites=["a"]),
        )
    )
    assert "prerequisite cycle a -> b -> c -> a" in message
    assert message.count("cycle") == 1


def test_parse_catalog_self_prerequisite_is_a_cycle() -> None:
    assert "prerequisite cycle a -> a" in problems_of(jsonl(record("a", prerequisites=["a"])))


def test_parse_catalog_malformed_json_line_reported() -> None:
    message = problems_of(jsonl(record("a"), '{"id": "b",', "[1, 2]"))
    assert "line 2 is not valid JSON" in message
    assert "line 3: an achievement must be a JSON object" in message


def test_parse_catalog_duplicate_member_in_line_rejected() -> None:
    message = problems_of('{"id": "a", "id": "b"}\n')
    assert "line 1" in message
    assert "duplicate member" in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"skills": "http://x/s"}, "skills must be a list of skill URIs"),
        ({"skills": [1]}, "skills must be a list of skill URIs"),
        ({"prerequisites": [""]}, "prerequisites must be a list of achievement ids"),
        ({"hours": "10"}, "hours must be a number"),
        ({"hours": True}, "hours must be a number"),
        ({"price": None}, "price must be a number"),
        ({"quality": 1.5}, "quality must be a number from 0 to 1"),
        ({"quality": -0.1}, "quality must be a number from 0 to 1"),
        ({"ects": "5"}, "ects must be a number"),
        ({"ects": True}, "ects must be a number"),
        ({"ects": -1}, "ects must not be negative (-1)"),
        ({"currency": "euro"}, "currency must be an ISO 4217 code"),
        ({"id": ""}, "id must be a non-empty string"),
        ({"name": 3}, "name must be a non-empty string"),
        ({"issuer": ["x"]}, "issuer must be a non-empty string"),
    ],
)
def test_parse_catalog_wrong_types_rejected(overrides: dict[str, Any], expected: str) -> None:
    assert f"line 1: {expected}" in problems_of(jsonl(record("a", **overrides)))


def test_parse_catalog_missing_members_listed() -> None:
    message = problems_of(jsonl({"id": "a", "name": "x"}))
    assert "line 1: missing skills, hours, price, prerequisites, issuer" in message


def test_parse_catalog_collects_every_problem_in_one_error() -> None:
    message = problems_of(
        jsonl(record("a", hours=-1), record("b", price="free"), record("a"), "not json")
    )
    assert message.startswith("the catalog has 4 problems:")
    for line in ("line 1:", "line 2:", "line 3:", "line 4"):
        assert line in message


def test_parse_catalog_problem_list_is_bounded() -> None:
    message = problems_of(jsonl(*[record(f"x{n}", hours=-1) for n in range(40)]))
    assert "the catalog has 40 problems" in message
    assert "… and 15 more" in message
    assert "line 26:" not in message


def test_parse_catalog_too_many_bytes_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_catalog(jsonl(record("a"), record("b")), max_bytes=100)
    assert caught.value.code == "INPUT_TOO_LARGE"


def test_parse_catalog_too_many_lines_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_catalog(jsonl(record("a"), record("b"), record("c")), max_lines=2)
    assert caught.value.code == "INPUT_TOO_LARGE"


def test_parse_catalog_not_utf8_rejected() -> None:
    assert "not UTF-8" in problems_of(b"\xff\xfe{}")  # type: ignore[arg-type]


def test_parse_catalog_empty_rejected() -> None:
    assert "no achievements" in problems_of("\n\n")


class _Framework:
    def __init__(self, skills: set[str]) -> None:
        self.skills = dict.fromkeys(skills, object())


def test_parse_catalog_unknown_skill_against_framework_named() -> None:
    text = jsonl(record("a", skills=[S1, "http://data.europa.eu/esco/skill/nope"]))
    message = problems_of(text, framework=_Framework({S1}))
    assert "line 1: unknown skill URI http://data.europa.eu/esco/skill/nope" in message
    known = _Framework({S1, "http://data.europa.eu/esco/skill/nope"})
    assert len(parse_catalog(text, framework=known)) == 1


def test_parse_catalog_optional_ects_read_as_credits() -> None:
    catalog = parse_catalog(jsonl(record("a", ects=5), record("b"), record("c", ects=0)))
    assert catalog.get("a").ects == 5.0
    assert catalog.get("b").ects is None
    assert catalog.get("a").credits("ects") == 5.0
    assert catalog.get("b").credits("ects") == 0.0
    assert catalog.get("c").credits("hours") == 10
    assert "ects" not in catalog.get("b").to_json()


def test_dump_catalog_round_trips() -> None:
    original = parse_catalog(
        jsonl(record("a", quality=0.5, ects=2.5), record("b", prerequisites=["a"], hours=1.5))
    )
    out = io.StringIO()
    dump_catalog(original, out)
    again = parse_catalog(out.getvalue())
    assert list(again) == list(original)


def test_catalog_of_checks_duplicates_and_cycles() -> None:
    a = Achievement("a", "A", (S1,), 1, 1, "X", prerequisites=("b",))
    b = Achievement("b", "B", (S1,), 1, 1, "X", prerequisites=("a",))
    with pytest.raises(InvalidInput, match="prerequisite cycle a -> b -> a"):
        Catalog.of([a, b])
    with pytest.raises(InvalidInput, match="duplicate id 'a'"):
        Catalog.of([Achievement("a", "A", (), 1, 1, "X"), Achievement("a", "A", (), 1, 1, "X")])


def test_catalog_get_unknown_raises_not_found() -> None:
    with pytest.raises(NotFound):
        parse_catalog(jsonl(record("a"))).get("zzz")


def test_load_catalog_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read catalog"):
        load_catalog(tmp_path / "absent.jsonl")


def test_load_catalog_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cat.jsonl"
    path.write_text(jsonl(record("a", hours=-1)), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"cat\.jsonl: the catalog has 1 problem"):
        load_catalog(path)


def test_find_cycles_acyclic_graph_has_none() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": [], "d": ["a", "c"]}) == []
    assert find_cycles({"a": ["b"], "b": ["a"], "c": ["c"]}) == [["a", "b"], ["c"]]
