"""Bulk-issuance upload format v1: CSV and JSON Lines parsing, validation, limits, streaming."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credstack.errors import InvalidInput
from credstack.platform.bulkfile import (
    COLUMNS,
    MAX_NARRATIVE_CHARS,
    BulkRow,
    DryRunReport,
    RowError,
    dry_run,
    parse_bulk,
)

HEADER = "idempotency_key,email,did,name,valid_from,valid_until,narrative,evidence_url,result_value"


def parse(data: bytes | str, **options: Any) -> list[BulkRow | RowError]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    options.setdefault("max_bytes", None)
    return list(parse_bulk(io.BytesIO(raw), **options))


def rows_of(items: list[BulkRow | RowError]) -> list[BulkRow]:
    return [item for item in items if isinstance(item, BulkRow)]


def errors_of(items: list[BulkRow | RowError]) -> list[RowError]:
    return [item for item in items if isinstance(item, RowError)]


def csv_file(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join((header, *rows)) + "\r\n"


def one_error(items: list[BulkRow | RowError]) -> RowError:
    errors = errors_of(items)
    assert len(errors) == 1, errors
    return errors[0]


class GeneratedRows(io.RawIOBase):
    """A read-only stream of ``count`` CSV rows made on demand; never held in memory at once."""

    def __init__(self, count: int, narrative_chars: int = 4000) -> None:
        super().__init__()
        self.count = count
        self.made = 0
        self.produced = 0
        self._buffer = (HEADER + "\r\n").encode()
        self._pos = 0
        prose = ('Completed the module with distinction; "quoted", reflective text. ' * 80)[
            : narrative_chars // 2
        ]
        narrative = (prose + "\n\n" + "x" * (narrative_chars // 2)).replace('"', '""')
        self._template = (
            "key-{0},learner{0}@Example.org,,Learner {0},2025-07-01T09:00:00Z,,"
            f'"{narrative}",https://example.org/evidence/{{0}},pass\r\n'
        )

    def readable(self) -> bool:
        return True

    def readall(self) -> bytes:
        raise AssertionError("the parser must never read the whole stream")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view):
            if self._pos >= len(self._buffer):
                if self.made >= self.count:
                    break
                self._buffer = self._template.format(self.made).encode()
                self._pos = 0
                self.made += 1
            take = min(len(view) - written, len(self._buffer) - self._pos)
            view[written : written + take] = self._buffer[self._pos : self._pos + take]
            written += take
            self._pos += take
        self.produced += written
        return written


class OneByteAtATime(io.RawIOBase):
    """Short reads: every read returns at most one byte."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._pos >= len(self._data) or len(buffer) == 0:
            return 0
        buffer[0] = self._data[self._pos]
        self._pos += 1
        return 1


# ------------------------------------------------------------------------------ valid files

VALID_CSV = (
    "#credstack-bulk v1\r\n"
    f"{HEADER}\r\n"
    "k-1,Ann.Lee@Example.ORG,,Ann Lee,2025-07-01T09:00:00Z,2030-07-01T09:00:00+02:00,"
    "Built a *bridge*.,https://example.org/evidence/1,pass\r\n"
    "k-2,,did:example:123456789abcdefghi,,,,,,\r\n"
    "k-3,bo@example.org,did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK,"
    ",2025-07-01T09:00:00.250-05:30,,,,\r\n"
)


def test_parse_csv_valid_file_yields_normalised_rows() -> None:
    items = parse(VALID_CSV)
    assert errors_of(items) == []
    first, second, third = rows_of(items)
    assert first.line == 3
    assert first.idempotency_key == "k-1"
    assert first.email == "Ann.Lee@example.org"  # domain lower-cased, local part kept
    assert first.name == "Ann Lee"
    assert first.valid_from == datetime(2025, 7, 1, 9, tzinfo=UTC)
    assert first.valid_until == datetime(2030, 7, 1, 7, tzinfo=UTC)
    assert first.narrative == "Built a *bridge*."
    assert first.evidence_url == "https://example.org/evidence/1"
    assert first.result_value == "pass"
    assert first.raw["email"] == "Ann.Lee@Example.ORG"
    assert (second.line, second.email, second.did) == (4, None, "did:example:123456789abcdefghi")
    assert second.name is None
    assert second.narrative is None
    assert third.valid_from == datetime(2025, 7, 1, 14, 30, 0, 250000, tzinfo=UTC)


def test_parse_csv_issued_on_is_an_alias_of_valid_from() -> None:
    items = parse(
        csv_file("k,a@b.org,2025-07-01T09:00:00Z", header="idempotency_key,email,issued_on")
    )
    (row,) = rows_of(items)
    assert row.valid_from == datetime(2025, 7, 1, 9, tzinfo=UTC)
    assert row.raw == {
        "idempotency_key": "k",
        "email": "a@b.org",
        "issued_on": "2025-07-01T09:00:00Z",
    }


def test_parse_jsonl_valid_file_yields_rows() -> None:
    lines = [
        {"format": "credstack-bulk", "version": 1},
        {"idempotency_key": "j-1", "email": "ann@EXAMPLE.org", "narrative": "Two\nlines"},
        {"idempotency_key": "j-2", "did": "did:web:example.org:people:bo", "name": None},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    items = parse(text)
    assert errors_of(items) == []
    first, second = rows_of(items)
    assert (first.line, first.email, first.narrative) == (2, "ann@example.org", "Two\nlines")
    assert (second.line, second.did, second.name) == (3, "did:web:example.org:people:bo", None)


def test_parse_kind_is_detected_from_first_bytes() -> None:
    jsonl = b'\n  {"idempotency_key": "a", "email": "a@b.org"}\n'
    report = dry_run(io.BytesIO(jsonl), max_bytes=None)
    assert (report.kind, report.valid) == ("jsonl", 1)
    report = dry_run(io.BytesIO(csv_file("a,a@b.org,,,,,,,").encode()), max_bytes=None)
    assert (report.kind, report.valid) == ("csv", 1)


def test_parse_explicit_kind_overrides_detection() -> None:
    items = parse(csv_file("a,a@b.org,,,,,,,"), kind="jsonl")
    assert {e.code for e in errors_of(items)} == {"INVALID_JSON"}


def test_parse_csv_quoted_newlines_keep_physical_start_lines() -> None:
    text = csv_file(
        'k-1,a@b.org,,,,,"first\nsecond\r\nthird",,',
        'k-2,c@d.org,,"Name, with comma",,,"say ""hi""",,',
        'k-3,e@f.org,,,,,"\n\n",,',
        "k-4,g@h.org,,,,,,,",
    )
    items = parse(text)
    assert errors_of(items) == []
    rows = rows_of(items)
    assert [r.line for r in rows] == [2, 5, 6, 9]
    assert rows[0].narrative == "first\nsecond\r\nthird"
    assert rows[1].name == "Name, with comma"
    assert rows[1].narrative == 'say "hi"'
    assert rows[2].narrative is None  # only line breaks: blank


def test_parse_blank_lines_and_empty_rows_are_ignored() -> None:
    text = f"\r\n{HEADER}\r\n\r\nk-1,a@b.org,,,,,,,\r\n,,,,,,,,\r\n   \r\nk-2,c@d.org,,,,,,,"
    report = dry_run(io.BytesIO(text.encode()), max_bytes=None)
    assert (report.rows, report.valid, report.invalid) == (2, 2, 0)
    assert [r.line for r in report.preview] == [4, 7]  # the last line has no line break


def test_parse_utf8_bom_is_accepted() -> None:
    items = parse(b"\xef\xbb\xbf" + csv_file("k,a@b.org,,,,,,,").encode())
    (row,) = rows_of(items)
    assert row.idempotency_key == "k"
    assert "idempotency_key" in row.raw  # the BOM is not part of the first column's name


def test_parse_short_reads_give_the_same_result() -> None:
    data = VALID_CSV.encode()
    expected = parse(data)
    assert list(parse_bulk(OneByteAtATime(data), max_bytes=None)) == expected


# ---------------------------------------------------------------------------------- encoding


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_parse_utf16_file_is_fatal_and_names_the_encoding(encoding: str) -> None:
    data = csv_file("k,é@b.org,,,,,,,").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    items = parse(data)
    (error,) = items
    assert isinstance(error, RowError)
    assert (error.line, error.code, error.fatal) == (1, "ENCODING", True)
    assert "UTF-8" in error.message
    assert encoding[:6].upper() in error.message


def test_parse_utf16_without_bom_is_fatal() -> None:
    items = parse(csv_file("k,a@b.org,,,,,,,").encode("utf-16-le"))
    error = one_error(items)
    assert (error.code, error.fatal) == ("ENCODING", True)
    assert "UTF-16" in error.message


def test_parse_latin1_row_reports_encoding_error_with_line() -> None:
    text = csv_file("k-1,a@b.org,,Ann,,,,,", "k-2,c@d.org,,René,,,,,", "k-3,e@f.org,,,,,,,")
    items = parse(text.encode("latin-1"))
    error = one_error(items)
    assert (error.line, error.code, error.fatal) == (3, "ENCODING", False)
    assert "0xE9" in error.message
    assert "must be UTF-8" in error.message
    assert "Latin-1" in error.message
    assert [r.idempotency_key for r in rows_of(items)] == ["k-1", "k-3"]


def test_parse_invalid_utf8_inside_multiline_record_names_physical_line() -> None:
    data = csv_file('k-1,a@b.org,,,,,"one\ntwo \xff",,').encode("latin-1")
    error = one_error(parse(data))
    assert (error.line, error.code) == (2, "ENCODING")
    assert "line 3 " in error.message


def test_parse_latin1_header_is_fatal() -> None:
    data = (HEADER + ",café\r\nk,a@b.org,,,,,,,,x\r\n").encode("latin-1")
    error = one_error(parse(data))
    assert (error.line, error.code, error.fatal) == (1, "ENCODING", True)


def test_parse_jsonl_latin1_line_is_a_row_error() -> None:
    data = '{"idempotency_key": "k", "name": "René", "email": "a@b.org"}\n'.encode("latin-1")
    error = one_error(parse(data))
    assert (error.line, error.code, error.fatal) == (1, "ENCODING", False)
    assert "Latin-1" in error.message


# ----------------------------------------------------------------------------------- headers


def test_parse_header_missing_key_column_is_fatal() -> None:
    items = parse(csv_file("a@b.org,Ann", header="email,name"))
    error = one_error(items)
    assert (error.line, error.column, error.code, error.fatal) == (
        1,
        "idempotency_key",
        "MISSING_COLUMN",
        True,
    )


def test_parse_header_missing_recipient_columns_is_fatal() -> None:
    error = one_error(parse(csv_file("k,Ann", header="idempotency_key,name")))
    assert (error.code, error.fatal) == ("MISSING_COLUMN", True)
    assert "email or a did" in error.message


def test_parse_header_unknown_column_is_fatal_with_suggestion() -> None:
    items = parse(csv_file("k,a@b.org,x", header="idempotency_key,email,narative"))
    error = one_error(items)
    assert (error.line, error.column, error.code, error.fatal) == (
        1,
        "narative",
        "UNKNOWN_COLUMN",
        True,
    )
    assert "'narrative'" in error.message


def test_parse_header_with_semicolons_hints_at_the_delimiter() -> None:
    error, *_ = errors_of(parse("idempotency_key;email\r\nk;a@b.org\r\n"))
    assert (error.code, error.fatal) == ("UNKNOWN_COLUMN", True)
    assert "commas" in error.message


def test_parse_header_duplicate_column_is_fatal() -> None:
    items = parse(csv_file("k,a@b.org,b@c.org", header="idempotency_key,email,email"))
    error = one_error(items)
    assert (error.line, error.column, error.code, error.fatal) == (
        1,
        "email",
        "DUPLICATE_COLUMN",
        True,
    )


def test_parse_header_alias_and_name_together_is_a_duplicate() -> None:
    header = "idempotency_key,email,issued_on,valid_from"
    error = one_error(parse(csv_file("k,a@b.org,,", header=header)))
    assert (error.code, error.column) == ("DUPLICATE_COLUMN", "valid_from")


def test_parse_header_reports_every_problem_then_stops() -> None:
    items = parse(csv_file("a,b,c,d", header="name,name,colour,"))
    assert all(isinstance(i, RowError) and i.fatal and i.line == 1 for i in items)
    assert sorted(e.code for e in errors_of(items)) == [
        "DUPLICATE_COLUMN",
        "MISSING_COLUMN",
        "MISSING_COLUMN",
        "UNKNOWN_COLUMN",
        "UNKNOWN_COLUMN",
    ]


def test_parse_header_after_version_line_reports_line_two() -> None:
    error = one_error(parse("#credstack-bulk v1\r\nidempotency_key,email,bogus\r\n"))
    assert (error.line, error.code) == (2, "UNKNOWN_COLUMN")


@pytest.mark.parametrize(
    ("first_line", "code"),
    [("#credstack-bulk v2", "UNSUPPORTED_VERSION"), ("#credstack-bulk 1", "BAD_VERSION_LINE")],
)
def test_parse_csv_bad_version_line_is_fatal(first_line: str, code: str) -> None:
    error = one_error(parse(f"{first_line}\r\n{HEADER}\r\nk,a@b.org,,,,,,,\r\n"))
    assert (error.line, error.code, error.fatal) == (1, code, True)


@pytest.mark.parametrize(
    ("first_line", "code"),
    [
        ({"format": "credstack-bulk", "version": 2}, "UNSUPPORTED_VERSION"),
        ({"format": "credstack-bulk", "version": "1"}, "BAD_VERSION_LINE"),
        ({"format": "other", "version": 1}, "BAD_VERSION_LINE"),
        ({"format": "credstack-bulk", "version": 1, "x": 1}, "BAD_VERSION_LINE"),
    ],
)
def test_parse_jsonl_bad_version_line_is_fatal(first_line: dict[str, Any], code: str) -> None:
    text = json.dumps(first_line) + '\n{"idempotency_key": "k", "email": "a@b.org"}\n'
    error = one_error(parse(text))
    assert (error.line, error.code, error.fatal) == (1, code, True)


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n  \n", b"\xef\xbb\xbf"])
def test_parse_empty_file_is_fatal(data: bytes) -> None:
    error = one_error(parse(data))
    assert (error.code, error.fatal) == ("EMPTY_FILE", True)


def test_parse_header_only_file_has_no_rows() -> None:
    report = dry_run(io.BytesIO(f"{HEADER}\r\n".encode()), max_bytes=None)
    assert (report.rows, report.errors, report.fatal) == (0, (), False)


# ------------------------------------------------------------------------------------ cells


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress",
        "two@@example.org",
        "a@b@example.org",
        "@example.org",
        "ann@",
        "ann@localhost",
        "ann.@example.org",
        ".ann@example.org",
        "an..n@example.org",
        "ann lee@example.org",
        "ann@exa mple.org",
        "ann@-example.org",
        "ann@example-.org",
        "ann@example..org",
        "ann@example.org.",
        "ann@example.c",
        "ann@example.123",
        "ann@[192.0.2.1]",
        "ann@192.0.2.1",
        '"ann lee"@example.org',
        "Ann Lee <ann@example.org>",
        "josé@example.org",
        "ann@exämple.org",
        "a" * 65 + "@example.org",
        "ann@" + "a" * 250 + ".org",
    ],
)
def test_parse_bad_email_is_reported(email: str) -> None:
    items = parse(json.dumps({"idempotency_key": "k", "email": email}) + "\n")
    error = one_error(items)
    assert (error.line, error.column, error.code) == (1, "email", "BAD_EMAIL")


@pytest.mark.parametrize(
    ("email", "normalised"),
    [
        ("ann@example.org", "ann@example.org"),
        ("Ann.Lee+badges@Mail.Example.CO.UK", "Ann.Lee+badges@mail.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
        ("  padded@example.org\t", "padded@example.org"),
    ],
)
def test_parse_good_email_is_normalised(email: str, normalised: str) -> None:
    (row,) = rows_of(parse(json.dumps({"idempotency_key": "k", "email": email}) + "\n"))
    assert row.email == normalised


@pytest.mark.parametrize(
    "did",
    [
        "did:example",
        "did:Example:123",
        "did::123",
        "did:example:",
        "DID:example:123",
        "did:example:12 3",
        "did:example:123#key-1",
        "did:example:123?service=x",
        "did:example:123/path",
        "did:example:%zz",
        "example:123",
        "did:example:ab:",
    ],
)
def test_parse_bad_did_is_reported(did: str) -> None:
    error = one_error(parse(json.dumps({"idempotency_key": "k", "did": did}) + "\n"))
    assert (error.column, error.code) == ("did", "BAD_DID")


@pytest.mark.parametrize(
    "value",
    [
        "2025-07-01",
        "2025-07-01T09:00:00",
        "2025-07-01 09:00:00Z",
        "2025-07-01T09:00Z",
        "2025-02-30T09:00:00Z",
        "2025-07-01T25:00:00Z",
        "2025-07-01T09:00:00+2",
        "01/07/2025 09:00",
        "20250701T090000Z",
        "yesterday",
    ],
)
def test_parse_bad_date_is_reported(value: str) -> None:
    line = {"idempotency_key": "k", "email": "a@b.org", "valid_from": value}
    error = one_error(parse(json.dumps(line) + "\n"))
    assert (error.column, error.code) == ("valid_from", "BAD_DATE")


def test_parse_date_without_timezone_says_so() -> None:
    error = one_error(parse(csv_file("k,a@b.org,,,2025-07-01T09:00:00,,,,")))
    assert error.code == "BAD_DATE"
    assert "timezone" in error.message


def test_parse_valid_until_before_valid_from_is_reported() -> None:
    row = "k,a@b.org,,,2025-07-01T09:00:00Z,2025-07-01T10:00:00+02:00,,,"
    error = one_error(parse(csv_file(row)))
    assert (error.column, error.code) == ("valid_until", "BAD_DATE_RANGE")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/e",
        "ftp://example.org/e",
        "example.org/e",
        "https://",
        "https://localhost/e",
        "https://192.0.2.1/e",
        "https://user:pw@example.org/e",
        "https://example.org/a b",
        "https://example.org/é",
        "https://example.org:99999/e",
        "https://exa_mple.org/e",
        "javascript:alert(1)",
    ],
)
def test_parse_bad_evidence_url_is_reported(url: str) -> None:
    line = {"idempotency_key": "k", "email": "a@b.org", "evidence_url": url}
    error = one_error(parse(json.dumps(line) + "\n"))
    assert (error.column, error.code) == ("evidence_url", "BAD_URL")


def test_parse_reports_every_bad_cell_of_a_row() -> None:
    row = "k,not-an-email,did:nope,,2025-07-01,2025-07-02,,http://x.org,"
    items = parse(csv_file(row))
    assert rows_of(items) == []
    found = {(e.column, e.code) for e in errors_of(items)}
    assert found == {
        ("email", "BAD_EMAIL"),
        ("did", "BAD_DID"),
        ("valid_from", "BAD_DATE"),
        ("valid_until", "BAD_DATE"),
        ("evidence_url", "BAD_URL"),
    }
    assert {e.line for e in errors_of(items)} == {2}


def test_parse_missing_key_and_recipient_are_reported() -> None:
    items = parse(csv_file(",,,Ann,,,,,"))
    assert {(e.column, e.code) for e in errors_of(items)} == {
        ("idempotency_key", "MISSING_VALUE"),
        ("email", "MISSING_RECIPIENT"),
    }


def test_parse_limits_on_lengths_and_control_characters() -> None:
    line = {
        "idempotency_key": "k" * 129,
        "email": "a@b.org",
        "name": "Ann\x07",
        "narrative": "n" * (MAX_NARRATIVE_CHARS + 1),
        "result_value": "ok\x85",
    }
    items = parse(json.dumps(line) + "\n")
    assert {(e.column, e.code) for e in errors_of(items)} == {
        ("idempotency_key", "TOO_LONG"),
        ("name", "CONTROL_CHARACTER"),
        ("narrative", "TOO_LONG"),
        ("result_value", "CONTROL_CHARACTER"),
    }
    ok = {"idempotency_key": "k" * 128, "email": "a@b.org", "narrative": "n" * MAX_NARRATIVE_CHARS}
    (row,) = rows_of(parse(json.dumps(ok) + "\n"))
    assert row.narrative == "n" * MAX_NARRATIVE_CHARS


# ------------------------------------------------------------------------------- duplicates


def test_parse_duplicate_key_names_the_first_line() -> None:
    items = parse(csv_file("k-1,a@b.org,,,,,,,", "k-2,c@d.org,,,,,,,", "k-1,e@f.org,,,,,,,"))
    error = one_error(items)
    assert (error.line, error.column, error.code) == (4, "idempotency_key", "DUPLICATE_KEY")
    assert "line 2" in error.message
    assert [r.line for r in rows_of(items)] == [2, 3]


def test_parse_duplicate_key_with_padding_is_still_a_duplicate() -> None:
    error = one_error(parse(csv_file("k-1,a@b.org,,,,,,,", " k-1 ,e@f.org,,,,,,,")))
    assert error.code == "DUPLICATE_KEY"


def test_parse_exact_duplicate_row_is_reported_as_such() -> None:
    row = "k-1,a@b.org,,Ann,,,,,"
    error = one_error(parse(csv_file(row, "k-2,c@d.org,,,,,,,", row)))
    assert (error.line, error.code) == (4, "DUPLICATE_ROW")
    assert "line 2" in error.message


def test_parse_jsonl_duplicate_row_ignores_member_order() -> None:
    text = (
        '{"idempotency_key": "k", "email": "a@b.org"}\n'
        '{"email": "a@b.org", "idempotency_key": "k"}\n'
    )
    assert one_error(parse(text)).code == "DUPLICATE_ROW"


# ------------------------------------------------------------------------------- CSV syntax


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ('k,a@b.org,,An"n,,,,,', "unquoted field"),
        ('k,a@b.org,,"Ann"x,,,,,', "after the closing quote"),
        ("k,a@b.org,,Ann\r,,,,,", "line break"),
    ],
)
def test_parse_csv_syntax_error_is_a_row_error(row: str, fragment: str) -> None:
    items = parse(csv_file(row, "k-2,c@d.org,,,,,,,"))
    error = one_error(items)
    assert (error.line, error.code) == (2, "CSV_SYNTAX")
    assert fragment in error.message
    assert [r.idempotency_key for r in rows_of(items)] == ["k-2"]


def test_parse_csv_unclosed_quote_at_end_of_file_is_reported() -> None:
    items = parse(csv_file("k-1,a@b.org,,,,,,,", 'k-2,c@d.org,,"Ann,,,,,', "k-3,e@f.org,,,,,,,"))
    error = one_error(items)
    assert (error.line, error.code) == (3, "CSV_SYNTAX")
    assert "never closed" in error.message


def test_parse_csv_wrong_field_count_is_reported() -> None:
    error = one_error(parse(csv_file("k,a@b.org,,,,,,,", "k2,a@b.org,,,,,,,,")))
    assert (error.line, error.code) == (3, "FIELD_COUNT")
    assert "10 fields" in error.message


# ----------------------------------------------------------------------------- JSONL syntax


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('{"idempotency_key": "k", "email": "a@b.org"', "INVALID_JSON"),
        ('{"idempotency_key": "k", "email": "a@b.org", "email": "c@d.org"}', "INVALID_JSON"),
        ('{"idempotency_key": "k", "email": "a@b.org", "result_value": NaN}', "INVALID_JSON"),
        ('["k", "a@b.org"]', "NOT_AN_OBJECT"),
        ('{"idempotency_key": "k", "email": "a@b.org", "Email": "a@b.org"}', "UNKNOWN_COLUMN"),
        ('{"idempotency_key": "k", "email": "a@b.org", "result_value": 3}', "WRONG_TYPE"),
        ('{"idempotency_key": 7, "email": "a@b.org"}', "WRONG_TYPE"),
        (
            '{"idempotency_key": "k", "email": "a@b.org", "issued_on": null, "valid_from": null}',
            "DUPLICATE_COLUMN",
        ),
    ],
)
def test_parse_jsonl_bad_line_is_a_row_error(line: str, code: str) -> None:
    items = parse(line + '\n{"idempotency_key": "ok", "email": "a@b.org"}\n')
    error = one_error(items)
    assert (error.line, error.code, error.fatal) == (1, code, False)
    assert [r.idempotency_key for r in rows_of(items)] == ["ok"]


# ----------------------------------------------------------------------------------- limits


def test_parse_row_over_the_cap_is_reported_and_parsing_goes_on() -> None:
    cap = 200
    prefix = "k-1,a@b.org,,,,,"
    exactly = prefix + "n" * (cap - len(prefix) - 2) + ",,"
    assert len(exactly) == cap
    too_big = "k-2,c@d.org,,,,,,,".replace(",,,,,,,", ",,,,," + '"' + "x\n" * cap + '",,')
    items = parse(csv_file(exactly, too_big, "k-3,e@f.org,,,,,,,"), max_row_bytes=cap)
    error = one_error(items)
    assert (error.line, error.code, error.fatal) == (3, "ROW_TOO_LARGE", False)
    assert [r.line for r in rows_of(items)] == [2, 3 + cap + 1]


def test_parse_jsonl_row_over_the_cap_is_reported() -> None:
    big = json.dumps({"idempotency_key": "k", "email": "a@b.org", "narrative": "x" * 500})
    items = parse(big + '\n{"idempotency_key": "k2", "email": "a@b.org"}\n', max_row_bytes=400)
    error = one_error(items)
    assert (error.line, error.code) == (1, "ROW_TOO_LARGE")
    assert len(rows_of(items)) == 1


def test_parse_total_size_over_the_limit_stops_with_a_fatal_error() -> None:
    text = csv_file(*(f"k-{i},a{i}@b.org,,,,,,," for i in range(100)))
    limit = len(text.encode()) // 2
    items = parse(text, max_bytes=limit)
    *before, last = items
    assert isinstance(last, RowError)
    assert (last.code, last.fatal) == ("INPUT_TOO_LARGE", True)
    assert all(isinstance(i, BulkRow) for i in before)
    assert 0 < len(before) < 100
    consumed = (
        len(HEADER) + 2 + sum(len(f"k-{i},a{i}@b.org,,,,,,,\r\n") for i in range(len(before)))
    )
    assert consumed <= limit


def test_parse_file_exactly_at_the_limit_is_accepted() -> None:
    data = csv_file("k,a@b.org,,,,,,,").encode()
    assert errors_of(parse(data, max_bytes=len(data))) == []
    assert one_error(parse(data, max_bytes=len(data) - 1)).code == "INPUT_TOO_LARGE"


def test_parse_synthetic_gigabyte_stream_stops_at_max_bytes() -> None:
    stream = GeneratedRows(count=250_000)  # about 1 GB if it were all read
    limit = 2 * 1024 * 1024
    items = parse_bulk(stream, max_bytes=limit)
    valid = 0
    last: BulkRow | RowError | None = None
    for item in items:
        last = item
        valid += isinstance(item, BulkRow)
    assert isinstance(last, RowError)
    assert (last.code, last.fatal) == ("INPUT_TOO_LARGE", True)
    assert stream.produced <= limit + 1
    assert stream.made < 1000
    assert valid > 100


def test_parse_memory_stays_bounded_on_a_large_stream() -> None:
    stream = GeneratedRows(count=25_000, narrative_chars=8000)  # ~205 MB, made while read
    tracemalloc.start()
    try:
        valid = invalid = 0
        for item in parse_bulk(stream, max_bytes=None):
            if isinstance(item, BulkRow):
                valid += 1
            else:
                invalid += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (valid, invalid) == (25_000, 0)
    assert stream.produced > 200_000_000
    assert peak < 50 * 1024 * 1024


def test_parse_huge_single_line_is_not_buffered() -> None:
    class NoNewlines(io.RawIOBase):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            n = min(len(buffer), self.left)
            buffer[:n] = b"a" * n
            self.left -= n
            return n

    stream = NoNewlines(64 * 1024 * 1024)
    head = io.BytesIO(f"{HEADER}\r\n".encode())

    class Joined(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            return head.readinto(buffer) or stream.readinto(buffer)

    tracemalloc.start()
    try:
        items = list(parse_bulk(Joined(), max_bytes=None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = one_error(items)
    assert (error.line, error.code) == (2, "ROW_TOO_LARGE")
    assert stream.left == 0
    assert peak < 8 * 1024 * 1024


def test_parse_bad_arguments_raise_at_call_time() -> None:
    with pytest.raises(InvalidInput):
        parse_bulk(io.BytesIO(b""), kind="xml", max_bytes=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        parse_bulk(io.BytesIO(b""), max_bytes=-1)
    with pytest.raises(InvalidInput):
        parse_bulk(io.BytesIO(b""), max_bytes=None, max_row_bytes=0)
    with pytest.raises(InvalidInput):
        dry_run(io.BytesIO(b""), max_bytes=None, max_errors=-1)


# ---------------------------------------------------------------------------------- dry run


def test_dry_run_counts_rows_and_caps_errors() -> None:
    rows = [f"k-{i},a{i}@b.org,,,,,,," for i in range(30)]
    rows += [f"bad-{i},nope,,,,,,http://x.org," for i in range(10)]  # two errors each
    report = dry_run(
        io.BytesIO(csv_file(*rows).encode()), max_bytes=None, max_errors=5, preview_rows=3
    )
    assert isinstance(report, DryRunReport)
    assert (report.kind, report.rows, report.valid, report.invalid) == ("csv", 40, 30, 10)
    assert len(report.errors) == 5
    assert report.errors_omitted == 15
    assert [r.idempotency_key for r in report.preview] == ["k-0", "k-1", "k-2"]
    assert report.fatal is False
    assert report.bytes_read == len(csv_file(*rows).encode())


def test_dry_run_keeps_fatal_errors_past_the_cap() -> None:
    rows = [f"bad-{i},nope,,,,,,," for i in range(10)]
    data = csv_file(*rows).encode()
    report = dry_run(io.BytesIO(data), max_bytes=len(data) - 5, max_errors=2)
    assert report.fatal is True
    assert report.errors[-1].code == "INPUT_TOO_LARGE"
    assert len(report.errors) == 3
    assert report.invalid == 9
    assert report.errors_omitted == 7


def test_dry_run_header_error_reports_no_rows() -> None:
    report = dry_run(io.BytesIO(b"email,name\r\na@b.org,Ann\r\n"), max_bytes=None)
    assert (report.rows, report.fatal) == (0, True)
    assert [e.code for e in report.errors] == ["MISSING_COLUMN"]


# --------------------------------------------------------------------------- round trip

_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_NO_CONTROL = st.characters(exclude_categories=["Cc", "Cs"])
_TEXT_CHARS = st.characters(exclude_categories=["Cc", "Cs"], include_characters="\t\n\r")
_ZONES = [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]


def _stripped(s: str) -> bool:
    return s == s.strip(" \t") and bool(s.strip(" \t\r\n"))


_keys = st.text(_NO_CONTROL, min_size=1, max_size=128).filter(_stripped)
_plain = st.text(_NO_CONTROL, min_size=1, max_size=60).filter(_stripped)
_label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_domain = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True),
)
_emails = st.builds(
    lambda atoms, domain: ".".join(atoms) + "@" + domain,
    st.lists(st.text(_ATEXT, min_size=1, max_size=8), min_size=1, max_size=3),
    _domain,
)
_dids = st.from_regex(
    r"did:[a-z0-9]{1,8}:([A-Za-z0-9._-]{1,8}:){0,2}[A-Za-z0-9._-]{1,20}", fullmatch=True
)
_urls = st.builds(
    lambda host, path: f"https://{host.lower()}/{path}",
    _domain,
    st.from_regex(r"[A-Za-z0-9/._~-]{0,20}", fullmatch=True),
)
_times = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from(_ZONES),
)


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    email = draw(st.none() | _emails)
    did = draw(_dids) if email is None else draw(st.none() | _dids)
    valid_from = draw(st.none() | _times)
    valid_until = None
    if valid_from is not None and draw(st.booleans()):
        valid_until = valid_from + timedelta(seconds=draw(st.integers(1, 10**8)))
    return {
        "email": email,
        "did": did,
        "name": draw(st.none() | _plain),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "narrative": draw(st.none() | st.text(_TEXT_CHARS, max_size=200).filter(str.strip)),
        "evidence_url": draw(st.none() | _urls),
        "result_value": draw(st.none() | _plain),
    }


_tables = st.lists(st.tuples(_keys, _rows()), min_size=1, max_size=8, unique_by=lambda kv: kv[0])


def _cell(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return value if value is None else str(value)


def _write_csv(table: list[tuple[str, dict[str, Any]]], versioned: bool) -> tuple[bytes, list[int]]:
    out = io.StringIO()
    if versioned:
        out.write("#credstack-bulk v1\r\n")
    columns = [c for c in COLUMNS if c != "issued_on"]
    writer = csv.writer(out)
    writer.writerow(columns)
    lines = []
    for key, row in table:
        lines.append(out.getvalue().count("\n") + 1)
        cells = {"idempotency_key": key, **{k: _cell(v) for k, v in row.items()}}
        writer.writerow(["" if cells[c] is None else cells[c] for c in columns])
    return out.getvalue().encode(), lines


def _write_jsonl(
    table: list[tuple[str, dict[str, Any]]], versioned: bool, ascii_only: bool
) -> tuple[bytes, list[int]]:
    lines = [json.dumps({"format": "credstack-bulk", "version": 1})] if versioned else []
    numbers = []
    for key, row in table:
        numbers.append(len(lines) + 1)
        obj = {"idempotency_key": key, **{k: _cell(v) for k, v in row.items() if v is not None}}
        lines.append(json.dumps(obj, ensure_ascii=ascii_only))
    return ("\n".join(lines) + "\n").encode(), numbers


def _check_round_trip(
    items: list[BulkRow | RowError], table: list[tuple[str, dict[str, Any]]], lines: list[int]
) -> None:
    assert errors_of(items) == []
    parsed = rows_of(items)
    assert [r.line for r in parsed] == lines
    for (key, row), got in zip(table, parsed, strict=True):
        email = row["email"]
        if email is not None:
            local, _, domain = email.partition("@")
            email = f"{local}@{domain.lower()}"
        assert got.idempotency_key == key
        assert got.email == email
        assert (got.did, got.name, got.narrative) == (row["did"], row["name"], row["narrative"])
        assert (got.valid_from, got.valid_until) == (row["valid_from"], row["valid_until"])
        assert (got.evidence_url, got.result_value) == (row["evidence_url"], row["result_value"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_tables, versioned=st.booleans(), bom=st.booleans())
def test_round_trip_csv_rows_parse_back_unchanged(
    table: list[tuple[str, dict[str, Any]]], versioned: bool, bom: bool
) -> None:
    data, lines = _write_csv(table, versioned)
    if bom:
        data = b"\xef\xbb\xbf" + data
    _check_round_trip(parse(data), table, lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_tables, versioned=st.booleans(), ascii_only=st.booleans())
def test_round_trip_jsonl_rows_parse_back_unchanged(
    table: list[tuple[str, dict[str, Any]]], versioned: bool, ascii_only: bool
) -> None:
    data, lines = _write_jsonl(table, versioned, ascii_only)
    _check_round_trip(parse(data), table, lines)


@settings(max_examples=60, deadline=None)
@given(table=_tables, cut=st.integers(1, 7))
def test_round_trip_any_read_size_gives_the_same_rows(
    table: list[tuple[str, dict[str, Any]]], cut: int
) -> None:
    data, _ = _write_csv(table, versioned=False)

    class Chunked(io.RawIOBase):
        def __init__(self) -> None:
            super().__init__()
            self.pos = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            piece = data[self.pos : self.pos + min(cut, len(buffer))]
            buffer[: len(piece)] = piece
            self.pos += len(piece)
            return len(piece)

    assert list(parse_bulk(Chunked(), max_bytes=None)) == parse(data)
