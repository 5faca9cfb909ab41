"""Parsing job-posting files: good records, and every kind of bad one with its line."""

from __future__ import annotations

import json
from datetime import date

import pytest

from credstack.errors import InvalidInput
from credstack.relevance.mapping import map_posting
from credstack.relevance.postings import MAX_TEXT_CHARS, language_of, parse_postings
from tests.relevance.fakes import FakeMatcher

TODAY = date(2026, 11, 2)


def jsonl(*records: object) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def good(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "title": "Data analyst",
        "text": "You will use Python and SQL to analyse data for our customers.",
        "date": "2026-10-01",
        "location": "Lisbon",
    }
    record.update(changes)
    return record


def test_jsonl_records_are_read_with_their_lines_and_extra_fields_ignored() -> None:
    data = jsonl(good(id="a-1", occupation="x", gold=["y"]), good(date="2026-09-30T23:30:00-02:00"))
    result = parse_postings(data, today=TODAY)
    assert result.kind == "jsonl"
    assert result.records == 2
    assert result.errors == []
    first, second = result.postings
    assert (first.line, first.id, first.title, first.location) == (
        1,
        "a-1",
        "Data analyst",
        "Lisbon",
    )
    assert first.key == "id:a-1"
    assert second.posted_on == date(2026, 10, 1)  # 23:30 at UTC-2 is the next UTC day
    assert second.key == f"sha256:{second.digest}"
    assert len(second.digest) == 64


def test_missing_fields_are_named_per_line() -> None:
    data = jsonl(
        good(),
        {"title": "No text", "date": "2026-10-01", "location": "Ghent"},
        good(location="   "),
        {"text": "x"},
    )
    result = parse_postings(data, today=TODAY)
    assert [p.line for p in result.postings] == [1]
    messages = {e.line: e.message for e in result.errors}
    assert messages[2] == "text is missing"
    assert messages[3] == "location is missing"
    assert "title is missing" in messages[4]
    assert "date is missing" in messages[4]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/12/2025", "not an ISO 8601 date"),
        ("2026-02-30", "not an ISO 8601 date"),
        ("2026-10-01T09:00:00", "no time zone"),
        ("2026-12-01", "after the import day"),
        ("1970-01-01", "before 1990-01-01"),
    ],
)
def test_bad_dates_are_refused_with_the_reason(value: str, expected: str) -> None:
    result = parse_postings(jsonl(good(date=value)), today=TODAY)
    assert result.postings == []
    [error] = result.errors
    assert error.line == 1
    assert expected in error.message


def test_wrong_types_and_bad_json_lines() -> None:
    data = b'{"title": 5, "text": "t", "date": "2026-10-01", "location": "x"}\nnot json\n[1, 2]\n'
    result = parse_postings(data, today=TODAY)
    messages = {e.line: e.message for e in result.errors}
    assert messages[1] == "title must be a string, not int"
    assert messages[2].startswith("not a JSON object")
    assert messages[3] == "a line must be a JSON object, not list"


def test_a_one_megabyte_text_is_refused_not_truncated() -> None:
    huge = "Python developer wanted. " * 42_000  # just over 1 MB
    assert len(huge) > 1_000_000
    result = parse_postings(jsonl(good(), good(text=huge)), today=TODAY)
    assert [p.line for p in result.postings] == [1]
    [error] = result.errors
    assert error.line == 2
    assert f"the limit is {MAX_TEXT_CHARS:,}" in error.message
    assert "refused, not truncated" in error.message


def test_a_one_megabyte_csv_cell_is_refused_and_the_next_record_still_read() -> None:
    huge = "y" * 1_100_000
    data = (
        f'title,text,date,location\nBig,"{huge}",2026-10-01,Porto\nSmall,Python,2026-10-02,Porto\n'
    ).encode()
    result = parse_postings(data, today=TODAY)
    assert [(p.line, p.title) for p in result.postings] == [(3, "Small")]
    [error] = result.errors
    assert error.line == 2
    assert "refused, not truncated" in error.message


def test_csv_with_quotes_commas_and_line_breaks() -> None:
    data = (
        b"id,title,text,date,location,language\r\n"
        b'7,"Analyst, senior","He said ""SQL"".\nAlso Python,\r\nand Excel.",2026-10-01,'
        b'"Brno, CZ",en\r\n'
        b"8,Dev,Docker,2026-10-02,Aarhus,\r\n"
        b"9,Only three cells,2026-10-03\r\n"
    )
    result = parse_postings(data, today=TODAY)
    assert result.kind == "csv"
    first, second = result.postings
    assert first.title == "Analyst, senior"
    assert first.text == 'He said "SQL".\nAlso Python,\r\nand Excel.'
    assert first.location == "Brno, CZ"
    assert first.language == "en"
    assert (second.line, second.id, second.language) == (5, "8", None)
    [error] = result.errors
    assert error.line == 6
    assert "3 cells; the header has 6" in error.message


def test_csv_without_the_required_header_is_unusable() -> None:
    with pytest.raises(InvalidInput, match="missing: date, location"):
        parse_postings(b"title,text\nA,B\n", today=TODAY)
    with pytest.raises(InvalidInput, match="repeats title"):
        parse_postings(b"title,title,text,date,location\n", today=TODAY)


def test_unusable_files() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        parse_postings(b'{"title": "caf\xe9"}\n', today=TODAY)
    with pytest.raises(InvalidInput, match="no job postings"):
        parse_postings(b"\n\n", today=TODAY)
    with pytest.raises(InvalidInput, match="more than 2"):
        parse_postings(jsonl(good(), good(), good()), today=TODAY, max_postings=2)
    with pytest.raises(InvalidInput, match="limit is 10"):
        parse_postings(jsonl(good()), today=TODAY, max_bytes=10)


def test_a_bad_language_tag_is_refused() -> None:
    result = parse_postings(jsonl(good(language="English language")), today=TODAY)
    assert "not a language tag" in result.errors[0].message


def test_non_english_postings_are_detected_and_not_mapped() -> None:
    french = (
        "Nous recherchons un analyste de données pour notre équipe à Lyon. Vous serez "
        "responsable de la qualité des données et vous travaillerez avec les équipes."
    )
    data = jsonl(
        good(text=french),  # detected
        good(language="de"),  # declared, English text: the declaration decides
        good(language="en-GB"),
        good(text="Python and SQL in our team, with the customers of the group."),
    )
    french_p, german_p, british_p, plain_p = parse_postings(data, today=TODAY).postings
    assert language_of(french_p) == ("French", False)
    assert language_of(german_p) == ("de", False)
    assert language_of(british_p) == ("en-gb", True)
    assert language_of(plain_p) == ("English", True)
    matcher = FakeMatcher()
    mapped = map_posting(matcher, french_p)
    assert mapped.status == "unmapped-language"
    assert mapped.skills == ()
    assert "English-only" in (mapped.note or "")
    assert map_posting(matcher, german_p).status == "unmapped-language"
    assert matcher.calls == []  # the matcher is never asked about them
    english = map_posting(matcher, plain_p)
    assert english.status == "mapped"
    assert [h.uri for h in english.skills] == ["urn:skill:python", "urn:skill:sql"]


def test_weak_matches_are_dropped_and_no_skill_is_its_own_status() -> None:
    [posting] = parse_postings(jsonl(good(text="Only a weak hint here.")), today=TODAY).postings
    mapped = map_posting(FakeMatcher(), posting)
    assert mapped.status == "no-skills"
    assert mapped.skills == ()


def test_the_same_content_has_the_same_key_and_a_change_changes_it() -> None:
    a, b, c = parse_postings(jsonl(good(), good(), good(location="Porto")), today=TODAY).postings
    assert a.key == b.key
    assert a.key != c.key
