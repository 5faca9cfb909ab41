"""Job postings: the record, and parsing of JSON Lines and CSV files with per-record errors.

Pure: bytes in, :class:`Posting` records and :class:`LineError` messages out; nothing is
stored or mapped here.  The format (``docs/relevance.md``):

* fields ``title``, ``text``, ``date``, ``location`` (required, non-empty strings) and ``id``,
  ``language`` (optional); other fields are ignored (the sample generator adds some);
* JSON Lines: one object per line; CSV (RFC 4180): a header row naming the fields, then one
  record per row (quoted cells may hold commas, quotes and line breaks);
* ``date``: an ISO 8601 date (``2026-03-01``) or date-time with a time zone
  (``2026-03-01T09:30:00Z``, read as its UTC day); never after the import day;
* ``text``: at most :data:`MAX_TEXT_CHARS` characters — a longer text is **refused**, not
  truncated (a cut text would be mapped on an arbitrary part of it);
* ``language``: a language tag (``en``, ``fr``, ``de-AT``); the posting's language decides
  whether it can be mapped to skills (:func:`language_of`).

A posting's identity is its ``id`` when it has one, else the SHA-256 of its content
(:attr:`Posting.key`), so importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from credstack._json import parse_json
from credstack.errors import InvalidInput
from credstack.skills.language import guess_language

__all__ = [
    "FIELDS",
    "MAX_FILE_BYTES",
    "MAX_POSTINGS",
    "MAX_TEXT_CHARS",
    "Kind",
    "LineError",
    "ParseResult",
    "Posting",
    "language_of",
    "parse_postings",
]

Kind = Literal["csv", "jsonl"]

FIELDS: Final = ("id", "title", "text", "date", "location", "language")
REQUIRED: Final = ("title", "text", "date", "location")
#: the skills matcher's own limit (credstack.skills.matching.MAX_TEXT_CHARS)
MAX_TEXT_CHARS: Final = 100_000
MAX_TITLE_CHARS: Final = 500
MAX_LOCATION_CHARS: Final = 200
MAX_ID_CHARS: Final = 200
MAX_LINE_BYTES: Final = 1_048_576 * 2
MAX_FILE_BYTES: Final = 256 * 1_048_576
MAX_POSTINGS: Final = 200_000
MAX_ERRORS: Final = 1000
EARLIEST: Final = date(1990, 1, 1)

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_ENGLISH_TAGS: Final = frozenset({"en", "eng"})


@dataclass(frozen=True, slots=True)
class Posting:
    """One valid job posting, as read from a file."""

    line: int  # where its record starts (1-based)
    id: str | None  # as given
    title: str
    text: str
    posted_on: date
    location: str
    language: str | None  # the declared tag, lower-cased

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the content: title, text, date, location and language."""
        content = [self.title, self.text, self.posted_on.isoformat(), self.location]
        content.append(self.language or "")
        data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        return hashlib.sha256(data).hexdigest()

    @property
    def key(self) -> str:
        """The posting's identity in the pool: ``id:<id>``, or ``sha256:<digest>``."""
        return f"id:{self.id}" if self.id is not None else f"sha256:{self.digest}"


@dataclass(frozen=True, slots=True)
class LineError:
    """Why the record starting on ``line`` was refused."""

    line: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParseResult:
    kind: Kind
    records: int  # records read (valid and refused)
    postings: list[Posting]
    errors: list[LineError]  # the first MAX_ERRORS
    errors_omitted: int = 0


def language_of(posting: Posting) -> tuple[str, bool]:
    """The posting's language and whether it is English (the skills index is English-only).

    A declared tag decides when it names a language other than English; otherwise the
    skills layer's detector does, and only a confident detection of another language counts
    (a posting declared English but plainly written in French is not English).
    """
    if posting.language is not None and posting.language.split("-")[0] not in _ENGLISH_TAGS:
        return posting.language, False
    guess = guess_language(posting.text)
    if guess.language != "English" and guess.confident:
        return guess.language, False
    return posting.language or "English", True


# ------------------------------------------------------------------------------ values


def _date(value: str, today: date) -> date | str:
    """The UTC day of an ISO 8601 date or zoned date-time, or the problem with it."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None or moment.utcoffset() is None:
                return f"date {value[:40]!r} has a time but no time zone (add Z or +01:00)"
            day = moment.astimezone(UTC).date()
    except ValueError:
        return (
            f"date {value[:40]!r} is not an ISO 8601 date such as 2026-03-01 "
            "(or a date-time with a time zone)"
        )
    if day > today:
        return f"date {day.isoformat()} is after the import day ({today.isoformat()})"
    if day < EARLIEST:
        return f"date {day.isoformat()} is before {EARLIEST.isoformat()}"
    return day


def _posting(line: int, record: Mapping[str, Any], today: date) -> Posting | list[str]:
    problems: list[str] = []
    values: dict[str, str | None] = {}
    limits = {
        "id": MAX_ID_CHARS,
        "title": MAX_TITLE_CHARS,
        "text": MAX_TEXT_CHARS,
        "location": MAX_LOCATION_CHARS,
        "date": 64,
        "language": 35,
    }
    for name in FIELDS:
        raw = record.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if name in REQUIRED:
                problems.append(f"{name} is missing")
            values[name] = None
            continue
        if not isinstance(raw, str):
            problems.append(f"{name} must be a string, not {type(raw).__name__}")
            values[name] = None
            continue
        value = raw.strip()
        if len(value) > limits[name]:
            problems.append(
                f"{name} has {len(value):,} characters; the limit is {limits[name]:,}"
                + (" (longer texts are refused, not truncated)" if name == "text" else "")
            )
            values[name] = None
            continue
        if "\x00" in value:
            problems.append(f"{name} contains a NUL character")
            values[name] = None
            continue
        values[name] = value
    posted_on: date | None = None
    if values["date"] is not None:
        found = _date(values["date"], today)
        if isinstance(found, str):
            problems.append(found)
        else:
            posted_on = found
    language = values["language"]
    if language is not None and not _TAG.match(language):
        problems.append(f"language {language[:40]!r} is not a language tag such as en or fr")
    if problems:
        return problems
    assert posted_on is not None
    return Posting(
        line=line,
        id=values["id"],
        title=values["title"] or "",
        text=values["text"] or "",
        posted_on=posted_on,
        location=values["location"] or "",
        language=language.lower() if language is not None else None,
    )


# ------------------------------------------------------------------------------ files


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"the file is not UTF-8 text (line {line}, byte {exc.start})") from None


def _detect(text: str) -> Kind:
    first = text.lstrip()[:1]
    return "jsonl" if first == "{" else "csv"


def _jsonl(text: str) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        if not raw.strip():
            continue
        size = len(raw.encode("utf-8", "surrogatepass"))
        if size > MAX_LINE_BYTES:
            yield number, f"the line has {size:,} bytes; the limit is {MAX_LINE_BYTES:,}"
            continue
        try:
            value = parse_json(raw, what=f"line {number}", max_bytes=MAX_LINE_BYTES)
        except InvalidInput as exc:
            yield number, f"not a JSON object: {exc.message}"
            continue
        if not isinstance(value, dict):
            yield number, f"a line must be a JSON object, not {type(value).__name__}"
            continue
        yield number, value


def _csv(text: str) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InvalidInput(f"line 1: the CSV header cannot be read: {exc}") from None
    names = [h.strip().lower() for h in header]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise InvalidInput(f"line 1: the CSV header repeats {', '.join(duplicated)}")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise InvalidInput(
            f"line 1: the CSV header must name {', '.join(REQUIRED)}; "
            f"missing: {', '.join(missing)} (found: {', '.join(names)[:200]})"
        )
    previous = reader.line_num
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous = reader.line_num
            if "field limit" in str(exc):
                yield (
                    start,
                    (
                        f"a cell has more than {csv.field_size_limit():,} characters; the text "
                        f"limit is {MAX_TEXT_CHARS:,} (longer texts are refused, not truncated)"
                    ),
                )
            else:
                yield start, f"the CSV record cannot be read: {exc}"
            continue
        previous = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield start, f"the record has {len(row)} cells; the header has {len(names)}"
            continue
        yield start, {n: cell for n, cell in zip(names, row, strict=True) if n}


def parse_postings(
    data: bytes,
    *,
    today: date,
    kind: Kind | None = None,
    max_postings: int = MAX_POSTINGS,
    max_bytes: int = MAX_FILE_BYTES,
) -> ParseResult:
    """Every record of a JSON Lines or CSV file (``kind``, else detected from the first
    character: ``{`` means JSON Lines).  A refused record becomes a :class:`LineError`; a file
    that cannot be read at all (not UTF-8, a CSV without the required header, over
    ``max_bytes`` or ``max_postings`` records, no record) raises :class:`InvalidInput`."""
    if len(data) > max_bytes:
        raise InvalidInput(
            f"the file has {len(data):,} bytes; the limit is {max_bytes:,}", code="INPUT_TOO_LARGE"
        )
    text = _decode(data)
    if not text.strip():
        raise InvalidInput("the file holds no job postings")
    chosen: Kind = kind if kind is not None else _detect(text)
    records = _jsonl(text) if chosen == "jsonl" else _csv(text)
    postings: list[Posting] = []
    errors: list[LineError] = []
    omitted = 0
    count = 0
    for line, record in records:
        count += 1
        if count > max_postings:
            raise InvalidInput(
                f"the file has more than {max_postings:,} postings; split it",
                code="INPUT_TOO_LARGE",
            )
        found = _posting(line, record, today) if not isinstance(record, str) else [record]
        if isinstance(found, Posting):
            postings.append(found)
        elif len(errors) < MAX_ERRORS:
            errors.append(LineError(line, "; ".join(found)))
        else:
            omitted += 1
    if count == 0:
        raise InvalidInput("the file holds no job postings")
    return ParseResult(chosen, count, postings, errors, omitted)
