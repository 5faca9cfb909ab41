"""Bulk-issuance uploads, format v1: a streaming, validating CSV / JSON Lines parser.

Pure: it reads bytes and yields :class:`BulkRow` or :class:`RowError`; nothing is stored or
signed here.  The format is specified in ``docs/bulk-format.md``.  Memory use is bounded by
``max_row_bytes`` plus a small duplicate index (about 150 bytes per row), never by the file.

CSV follows RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180); JSON Lines follows
https://jsonlines.org/.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from difflib import get_close_matches
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlsplit

from credstack._json import parse_json
from credstack.errors import InvalidInput, Unavailable

Kind = Literal["csv", "jsonl"]

FORMAT_NAME: Final = "credstack-bulk"
FORMAT_VERSION: Final = 1
DEFAULT_MAX_ROW_BYTES: Final = 1_048_576
DEFAULT_MAX_ERRORS: Final = 1000
DEFAULT_PREVIEW_ROWS: Final = 20

MAX_KEY_CHARS: Final = 128
MAX_NAME_CHARS: Final = 256
MAX_NARRATIVE_CHARS: Final = 10_000
MAX_RESULT_CHARS: Final = 256
MAX_URL_CHARS: Final = 2048
MAX_DID_CHARS: Final = 2048

COLUMNS: Final = (
    "idempotency_key",
    "email",
    "did",
    "name",
    "valid_from",
    "issued_on",
    "valid_until",
    "narrative",
    "evidence_url",
    "result_value",
)
_KNOWN: Final = frozenset(COLUMNS)
_ALIASES: Final = {"issued_on": "valid_from"}

_CHUNK = 64 * 1024


class ByteSource(Protocol):
    """Anything with ``read(n) -> bytes``: an open binary file, ``io.BytesIO``, a raw stream."""

    def read(self, size: int, /) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One valid row.  ``line`` is the physical line where the record starts (1-based)."""

    line: int
    idempotency_key: str
    email: str | None  # domain lower-cased; the local part as written
    did: str | None
    name: str | None  # display name; only put in the credential if the issuer opts in
    valid_from: datetime | None  # timezone-aware, offset as written
    valid_until: datetime | None
    narrative: str | None  # Markdown
    evidence_url: str | None
    result_value: str | None
    raw: dict[str, str | None] = field(hash=False)  # the original cells, by column as written


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one record (or, when ``fatal``, with the whole file: parsing stopped)."""

    line: int
    column: str | None
    code: str
    message: str
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class DryRunReport:
    """What an upload would do, for the API/CLI dry-run table."""

    kind: Kind | None  # None when the file is empty or unreadable before its first record
    rows: int  # data records (blank lines, the version line and the CSV header not counted)
    valid: int
    invalid: int
    errors: tuple[RowError, ...]  # fatal errors always; the others up to max_errors
    errors_omitted: int  # non-fatal errors left out of ``errors``
    preview: tuple[BulkRow, ...]  # the first valid rows
    fatal: bool  # parsing stopped early; ``rows`` counts only what came before
    bytes_read: int


# ------------------------------------------------------------------------------ public API


def parse_bulk(
    stream: ByteSource,
    *,
    kind: Kind | None = None,
    max_bytes: int | None,
    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
) -> Iterator[BulkRow | RowError]:
    """Stream the rows of a bulk upload: for each record one :class:`BulkRow` or its errors.

    Fatal problems (unreadable encoding at the start, bad header, version line, total size over
    ``max_bytes``) are yielded as a ``RowError`` with ``fatal=True``, after which nothing more
    is yielded.  Arguments are checked now; the stream is read lazily, ``_CHUNK`` bytes at a time.
    """
    return iter(_Parser(stream, kind=kind, max_bytes=max_bytes, max_row_bytes=max_row_bytes))


def dry_run(
    stream: ByteSource,
    *,
    kind: Kind | None = None,
    max_bytes: int | None,
    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
    max_errors: int = DEFAULT_MAX_ERRORS,
    preview_rows: int = DEFAULT_PREVIEW_ROWS,
) -> DryRunReport:
    """Parse the whole upload and summarise it: counts, errors (capped), a preview of valid rows."""
    if max_errors < 0 or preview_rows < 0:
        raise InvalidInput("max_errors and preview_rows must not be negative")
    parser = _Parser(stream, kind=kind, max_bytes=max_bytes, max_row_bytes=max_row_bytes)
    errors: list[RowError] = []
    omitted = 0
    preview: list[BulkRow] = []
    fatal = False
    for item in parser:
        if isinstance(item, BulkRow):
            if len(preview) < preview_rows:
                preview.append(item)
        elif item.fatal:
            fatal = True
            errors.append(item)
        elif len(errors) < max_errors:
            errors.append(item)
        else:
            omitted += 1
    return DryRunReport(
        kind=parser.kind,
        rows=parser.valid + parser.invalid,
        valid=parser.valid,
        invalid=parser.invalid,
        errors=tuple(errors),
        errors_omitted=omitted,
        preview=tuple(preview),
        fatal=fatal,
        bytes_read=parser.bytes_read,
    )


# ------------------------------------------------------------------------- field checks

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL = re.compile(_ATEXT + r"(?:\." + _ATEXT + r")*@(?:" + _LABEL + r"\.)+" + _TLD)
_HOST = re.compile(r"(?:" + _LABEL + r"\.)+" + _TLD)
# https://www.w3.org/TR/did-core/#did-syntax (a DID, not a DID URL)
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(r"did:[a-z0-9]+:(?:" + _IDCHAR + r"*:)*" + _IDCHAR + r"+")
# RFC 3339 date-time (https://www.rfc-editor.org/rfc/rfc3339#section-5.6), as xsd:dateTimeStamp
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_LOCAL_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_VERSION_LINE = re.compile(r"#credstack-bulk[ \t]+v([0-9]+)[ \t]*")


def _email_problem(value: str) -> str | None:
    """Why ``value`` is not an address the strict practical pattern accepts, or None."""
    if value.count("@") != 1:
        return "must contain exactly one @" if "@" in value else "has no @"
    local, domain = value.split("@")
    if _SPACE_OR_CONTROL.search(value):
        return "contains whitespace"
    if not value.isascii():
        return "must be ASCII (write an internationalised domain in its xn-- form)"
    if not local:
        return "has nothing before the @"
    if not domain:
        return "has nothing after the @"
    if len(local) > 64:
        return "has more than 64 characters before the @"
    if len(value) > 254:
        return "is longer than 254 characters"
    if domain.startswith("[") or domain.replace(".", "").isdigit():
        return "must name a domain, not an IP address"
    if "." not in domain:
        return "domain has no dot"
    if _EMAIL.fullmatch(value) is None:
        return "is not a valid e-mail address"
    return None


def _url_problem(value: str) -> str | None:
    if len(value) > MAX_URL_CHARS:
        return f"is longer than {MAX_URL_CHARS} characters"
    if not value.isascii() or _SPACE_OR_CONTROL.search(value):
        return "must be ASCII without spaces (percent-encode other characters)"
    if not value[:8].lower() == "https://":
        return "must be an https:// URL"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    host = parts.hostname or ""
    if _HOST.fullmatch(host) is None or (port is not None and port == 0):
        return "must name a DNS host such as example.org"
    return None


def _date_problem(value: str) -> tuple[datetime | None, str | None]:
    if _DATETIME.fullmatch(value) is None:
        if _LOCAL_DATETIME.fullmatch(value):
            return None, "needs a time and a timezone, e.g. 2025-07-01T09:00:00Z or +02:00"
        return None, "is not an ISO 8601 date-time such as 2025-07-01T09:00:00Z"
    try:
        return datetime.fromisoformat(value), None
    except ValueError as exc:
        return None, f"is not a real date-time ({exc})"


def _describe_bad_bytes(data: bytes) -> str:
    """Name the likely encoding of bytes that are not UTF-8 (UTF-16 or Latin-1), if we can."""
    if b"\x00" in data:
        return "; it looks like UTF-16, save it as UTF-8"
    high = [ch for ch in data.decode("cp1252", errors="replace") if ord(ch) >= 0x80]
    if high and "\ufffd" not in high:
        return "; it looks like Latin-1 (ISO-8859-1) or Windows-1252, save it as UTF-8"
    return ""


# line-level CSV shapes (bytes), to tell a quoted line break from a stray quote
_Q_FIELD = rb'"[^"]*(?:""[^"]*)*"'
_ANY_FIELD = rb"(?:" + _Q_FIELD + rb'|[^",\r\n]*)'
_OPEN_FIELD = rb'"[^"]*(?:""[^"]*)*'
_OPENS_FIELD = re.compile(rb"(?:" + _ANY_FIELD + rb",)*" + _OPEN_FIELD)
_CLOSES_AND_OPENS = re.compile(rb'[^"]*(?:""[^"]*)*"(?:,' + _ANY_FIELD + rb")*," + _OPEN_FIELD)

_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_PLAIN = re.compile(r'[^",\r\n]*')


def _tokenise_csv(text: str) -> tuple[list[str], str | None]:
    """Split one CSV record (RFC 4180, comma, no terminator) into fields, or say why not."""
    fields: list[str] = []
    pos, end = 0, len(text)
    while True:
        quoted = _QUOTED.match(text, pos)
        match = quoted or _PLAIN.match(text, pos)
        assert match is not None  # _PLAIN matches the empty string
        fields.append(quoted.group(1).replace('""', '"') if quoted else match.group())
        pos, opened = match.end(), match.start()
        if pos == end:
            return fields, None
        if text[pos] == ",":
            pos += 1
            continue
        where = f"field {len(fields)}"
        if quoted is not None:
            return fields, f"{where}: text after the closing quote"
        if text[pos] in "\r\n":
            return fields, f"{where}: line break outside quotes"
        if pos == opened:
            return fields, f"{where}: the quoted field is not closed"
        return fields, (
            f"{where}: a double quote inside an unquoted field "
            '(quote the whole field and double the quote: "a ""b"" c")'
        )


# ------------------------------------------------------------------------------ the parser


@dataclass(slots=True)
class _Record:
    line: int  # first physical line
    data: bytes | None  # without the final terminator; None when over the cap
    closed: bool = True  # False: end of file inside a quoted field


class _Fatal(Exception):
    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _fatal(line: int, column: str | None, code: str, message: str) -> _Fatal:
    return _Fatal(RowError(line, column, code, message, fatal=True))


def _strip_terminator(data: bytes) -> bytes:
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data


class _Parser:
    """One pass over one upload; counters are read by :func:`dry_run` afterwards."""

    def __init__(
        self, stream: ByteSource, *, kind: Kind | None, max_bytes: int | None, max_row_bytes: int
    ) -> None:
        if kind not in (None, "csv", "jsonl"):
            raise InvalidInput(f"kind must be 'csv', 'jsonl' or None, not {kind!r}")
        if max_bytes is not None and max_bytes < 0:
            raise InvalidInput("max_bytes must not be negative")
        if max_row_bytes < 1:
            raise InvalidInput("max_row_bytes must be at least 1")
        self.stream = stream
        self.kind: Kind | None = kind
        self.max_bytes = max_bytes
        self.max_row_bytes = max_row_bytes
        self.bytes_read = 0
        self.valid = 0
        self.invalid = 0
        self._over_limit = False
        # blake2b-128 of the key -> (blake2b-64 of the row's cells) << 48 | first line
        self._seen: dict[int, int] = {}

    def __iter__(self) -> Iterator[BulkRow | RowError]:
        try:
            yield from self._run()
        except _Fatal as fatal:
            yield from fatal.errors

    # -- bytes -> physical lines -> records

    def _chunks(self) -> Iterator[bytes]:
        limit = self.max_bytes
        while True:
            want = _CHUNK if limit is None else min(_CHUNK, limit - self.bytes_read + 1)
            try:
                data = self.stream.read(want)
            except OSError as exc:
                raise Unavailable(f"reading the upload failed: {exc}") from exc
            if data is None:
                raise Unavailable("the upload stream has no data ready (non-blocking stream)")
            if not data:
                return
            self.bytes_read += len(data)
            if limit is not None and self.bytes_read > limit:
                self._over_limit = True
                keep = len(data) - (self.bytes_read - limit)
                if keep > 0:
                    yield data[:keep]
                return
            yield data

    def _sniff(self, chunks: Iterator[bytes]) -> bytes:
        head = b""
        for chunk in chunks:
            head += chunk
            if len(head) >= 4:
                break
        boms = (
            (b"\xff\xfe\x00\x00", "UTF-32 (little-endian byte-order mark FF FE 00 00)"),
            (b"\x00\x00\xfe\xff", "UTF-32 (big-endian byte-order mark 00 00 FE FF)"),
            (b"\xff\xfe", "UTF-16 (little-endian byte-order mark FF FE)"),
            (b"\xfe\xff", "UTF-16 (big-endian byte-order mark FE FF)"),
        )
        for bom, name in boms:
            if head.startswith(bom):
                raise _fatal(1, None, "ENCODING", f"the file must be UTF-8; it is {name}")
        return head[3:] if head.startswith(b"\xef\xbb\xbf") else head

    def _records(self) -> Iterator[_Record]:
        """Split the bytes into records, one pass, bounded memory.

        A record is one physical line, except that a CSV record goes on while a quoted field is
        open: an odd number of '"' so far, the last of them opening a field.  A record longer
        than the cap is dropped as it is read (``data=None``) but its quotes are still counted
        to find where it ends.  Blank lines are skipped.  The kind, when not given, is set from
        the first non-blank line.
        """
        cap = self.max_row_bytes
        chunks = self._chunks()
        number = start = 1
        parts: list[bytes] = []
        size = quotes = before = first_piece = 0  # before: quotes up to the current line
        dropped = False
        lead = b""  # the start of a dropped record, to tell CSV from JSON Lines
        for chunk in itertools.chain((self._sniff(chunks),), chunks):
            pos, end = 0, len(chunk)
            while pos < end:
                newline = chunk.find(b"\n", pos)
                stop = end if newline < 0 else newline + 1
                size += stop - pos
                if self.kind != "jsonl":
                    quotes += chunk.count(b'"', pos, stop)
                if not dropped:
                    if size > cap + 2:  # room for CR LF; the exact check is below
                        lead = (b"".join(parts) + chunk[pos : pos + 64]).lstrip()[:1]
                        dropped, parts = True, []
                    else:
                        parts.append(chunk[pos:stop])
                pos = stop
                if newline < 0:
                    break
                number += 1
                if quotes % 2 and self._still_open(
                    parts, first_piece, quotes, before, dropped, lead
                ):
                    before, first_piece = quotes, len(parts)
                    continue  # a quoted field spans the line break
                data = None if dropped else _strip_terminator(b"".join(parts))
                if data is None or data.strip(b" \t\r"):
                    if self.kind is None:
                        self._detect(lead if data is None else data)
                    yield _Record(start, None if data is None or len(data) > cap else data)
                start, parts, size, quotes, before, first_piece = number, [], 0, 0, 0, 0
                dropped, lead = False, b""
        if self._over_limit:
            raise _fatal(
                number,
                None,
                "INPUT_TOO_LARGE",
                f"the file is larger than the limit of {self.max_bytes} bytes; "
                f"reading stopped on line {number}",
            )
        if size:
            data = None if dropped else b"".join(parts)
            if data is not None and not data.strip(b" \t\r"):
                return
            is_open = quotes % 2 == 1 and self._still_open(
                parts, first_piece, quotes, before, dropped, lead
            )
            if self.kind is None:
                self._detect(lead if data is None else data)
            yield _Record(start, None if data is None or len(data) > cap else data, not is_open)

    def _still_open(
        self,
        parts: list[bytes],
        first_piece: int,
        quotes: int,
        before: int,
        dropped: bool,
        lead: bytes,
    ) -> bool:
        """At a line end with an odd quote count: is a CSV quoted field really open?

        Only if the line's quotes are well formed and the last one opens a field; otherwise a
        stray quote would swallow the following lines, so the record ends here instead and the
        tokeniser reports the quote.  Only the current line is scanned: linear in the input.
        """
        if self.kind is None and self._detect(lead if dropped else b"".join(parts)) == "jsonl":
            return False
        if self.kind != "csv":
            return False
        if dropped or quotes == before:  # no quote on this line: still inside the field
            return True
        pattern = _OPENS_FIELD if before % 2 == 0 else _CLOSES_AND_OPENS
        return pattern.fullmatch(b"".join(parts[first_piece:])) is not None

    def _detect(self, sample: bytes) -> Kind:
        """Set the kind from the first non-blank line: '{' or '[' starts JSON Lines, else CSV."""
        self.kind = "jsonl" if sample.lstrip()[:1] in (b"{", b"[") else "csv"
        return self.kind

    def _run(self) -> Iterator[BulkRow | RowError]:
        records = self._records()
        first = next(records, None)
        if first is None:
            raise _fatal(1, None, "EMPTY_FILE", "the file has no rows")
        if first.data is not None and b"\x00" in first.data:
            raise _fatal(
                first.line,
                None,
                "ENCODING",
                "the file must be UTF-8; it contains NUL bytes and looks like UTF-16 "
                "without a byte-order mark",
            )
        rest = itertools.chain((first,), records)
        if self.kind == "csv":
            yield from self._run_csv(rest)
        else:
            yield from self._run_jsonl(rest)

    def _decode(self, record: _Record, *, fatal: bool = False) -> str | RowError:
        """The record as text, or why not: unclosed quote, over the row cap, not UTF-8."""
        line, data = record.line, record.data
        if not record.closed:
            message = f"a quoted field opened on line {line} is never closed"
            return RowError(line, None, "CSV_SYNTAX", message, fatal)
        if data is None:
            message = (
                f"the record starting on line {line} is longer than {self.max_row_bytes} bytes"
            )
            return RowError(line, None, "ROW_TOO_LARGE", message, fatal)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            physical = line + data.count(b"\n", 0, exc.start)
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            message = (
                f"line {physical} is not valid UTF-8 (byte 0x{data[exc.start]:02X} at byte "
                f"{column} of the line); the file must be UTF-8" + _describe_bad_bytes(data)
            )
            return RowError(line, None, "ENCODING", message, fatal)
        if "\x00" in text:
            message = f"line {line} contains NUL bytes; the file must be UTF-8"
            return RowError(line, None, "ENCODING", message, fatal)
        return text

    def _count(self, outcome: BulkRow | list[RowError]) -> Iterator[BulkRow | RowError]:
        if isinstance(outcome, BulkRow):
            self.valid += 1
            yield outcome
        else:
            self.invalid += 1
            yield from outcome

    # -- CSV

    def _run_csv(self, records: Iterator[_Record]) -> Iterator[BulkRow | RowError]:
        header = next(records, None)
        if header is None:
            raise _fatal(1, None, "EMPTY_FILE", "the file has no header line")
        text = self._decode(header, fatal=True)
        if isinstance(text, RowError):
            raise _Fatal(text)
        if text.startswith("#credstack-bulk"):
            self._check_version_line(header.line, text)
            header = next(records, None)
            if header is None:
                raise _fatal(1, None, "EMPTY_FILE", "the file has no header line")
            text = self._decode(header, fatal=True)
            if isinstance(text, RowError):
                raise _Fatal(text)
        names = self._header(header.line, text)
        for record in records:
            decoded = self._decode(record)
            if isinstance(decoded, RowError):
                yield from self._count([decoded])
                continue
            fields, problem = _tokenise_csv(decoded)
            if problem is not None:
                yield from self._count(
                    [RowError(record.line, None, "CSV_SYNTAX", f"line {record.line}, {problem}")]
                )
                continue
            if not any(f.strip(" \t") for f in fields):
                continue  # a row of empty cells (",,,,"), as spreadsheets export blank rows
            if len(fields) != len(names):
                yield from self._count(
                    [
                        RowError(
                            record.line,
                            None,
                            "FIELD_COUNT",
                            f"the row has {len(fields)} fields; the header has {len(names)}",
                        )
                    ]
                )
                continue
            cells: dict[str, str | None] = dict(zip(names, fields, strict=True))
            yield from self._count(self._validate(record.line, cells, []))

    def _check_version_line(self, line: int, text: str) -> None:
        match = _VERSION_LINE.fullmatch(text)
        if match is None:
            raise _fatal(
                line,
                None,
                "BAD_VERSION_LINE",
                f"the version line must read '#credstack-bulk v{FORMAT_VERSION}'",
            )
        if int(match.group(1)) != FORMAT_VERSION:
            raise _fatal(
                line,
                None,
                "UNSUPPORTED_VERSION",
                f"format version {match.group(1)} is not supported; this parser reads "
                f"version {FORMAT_VERSION}",
            )

    def _header(self, line: int, text: str) -> list[str]:
        fields, problem = _tokenise_csv(text)
        if problem is not None:
            raise _fatal(line, None, "CSV_SYNTAX", f"header line {line}, {problem}")
        names = [f.strip(" \t") for f in fields]
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        for position, name in enumerate(names, start=1):
            canonical = _ALIASES.get(name, name)
            if name not in _KNOWN:
                errors.append(
                    RowError(line, name, "UNKNOWN_COLUMN", _unknown(name, position), True)
                )
            elif canonical in seen:
                first = names[seen[canonical] - 1]
                same = "" if first == name else f" ({name} is another name for {canonical})"
                errors.append(
                    RowError(
                        line,
                        name,
                        "DUPLICATE_COLUMN",
                        f"column {position} ({name}) repeats column {seen[canonical]}{same}",
                        True,
                    )
                )
            else:
                seen[canonical] = position
        if "idempotency_key" not in seen:
            errors.append(
                RowError(
                    line,
                    "idempotency_key",
                    "MISSING_COLUMN",
                    "the header has no idempotency_key column",
                    True,
                )
            )
        if "email" not in seen and "did" not in seen:
            errors.append(
                RowError(
                    line,
                    "email",
                    "MISSING_COLUMN",
                    "the header needs an email or a did column",
                    True,
                )
            )
        if errors:
            raise _Fatal(*errors)
        return names

    # -- JSON Lines

    def _run_jsonl(self, records: Iterator[_Record]) -> Iterator[BulkRow | RowError]:
        first = True
        for record in records:
            decoded = self._decode(record)
            if isinstance(decoded, RowError):
                first = False
                yield from self._count([decoded])
                continue
            try:
                value = parse_json(
                    decoded, what=f"line {record.line}", max_bytes=self.max_row_bytes
                )
            except InvalidInput as exc:
                first = False
                yield from self._count([RowError(record.line, None, "INVALID_JSON", exc.message)])
                continue
            if first and isinstance(value, dict) and "format" in value:
                self._check_version_object(record.line, value)
                first = False
                continue
            first = False
            if not isinstance(value, dict):
                message = f"line {record.line} must be a JSON object, not {type(value).__name__}"
                yield from self._count([RowError(record.line, None, "NOT_AN_OBJECT", message)])
                continue
            yield from self._count(self._jsonl_row(record.line, value))

    def _check_version_object(self, line: int, value: dict[str, Any]) -> None:
        version = value.get("version")
        expected = f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION}}}'
        if value.get("format") != FORMAT_NAME or set(value) != {"format", "version"}:
            raise _fatal(line, None, "BAD_VERSION_LINE", f"the version line must be {expected}")
        if not isinstance(version, int) or isinstance(version, bool):
            raise _fatal(line, None, "BAD_VERSION_LINE", f"the version line must be {expected}")
        if version != FORMAT_VERSION:
            raise _fatal(
                line,
                None,
                "UNSUPPORTED_VERSION",
                f"format version {version} is not supported; this parser reads "
                f"version {FORMAT_VERSION}",
            )

    def _jsonl_row(self, line: int, value: dict[str, Any]) -> BulkRow | list[RowError]:
        errors: list[RowError] = []
        cells: dict[str, str | None] = {}
        for position, (key, cell) in enumerate(value.items(), start=1):
            if key not in _KNOWN:
                errors.append(RowError(line, key, "UNKNOWN_COLUMN", _unknown(key, position)))
            elif cell is not None and not isinstance(cell, str):
                errors.append(
                    RowError(
                        line,
                        key,
                        "WRONG_TYPE",
                        f"{key} must be a string or null, not {type(cell).__name__}",
                    )
                )
            else:
                cells[key] = cell
        if "valid_from" in value and "issued_on" in value:
            errors.append(
                RowError(
                    line,
                    "issued_on",
                    "DUPLICATE_COLUMN",
                    "issued_on is another name for valid_from; give only one",
                )
            )
        return self._validate(line, cells, errors)

    # -- cells

    def _validate(
        self, line: int, raw: dict[str, str | None], errors: list[RowError]
    ) -> BulkRow | list[RowError]:
        """Check every cell of one row; every bad cell is reported, not only the first."""

        def bad(column: str, code: str, message: str) -> None:
            errors.append(RowError(line, column, code, message))

        def cell(column: str, *, text: bool = False, limit: int = 0) -> str | None:
            value = raw.get(column)
            if value is None or not value.strip(" \t\r\n"):
                return None
            if not text:
                value = value.strip(" \t")
            if limit and len(value) > limit:
                bad(column, "TOO_LONG", f"{column} is longer than {limit} characters")
                return None
            if (_CONTROL_IN_TEXT if text else _CONTROL).search(value):
                bad(column, "CONTROL_CHARACTER", f"{column} contains a control character")
                return None
            return value

        key = cell("idempotency_key", limit=MAX_KEY_CHARS)
        if key is None and not any(e.column == "idempotency_key" for e in errors):
            bad("idempotency_key", "MISSING_VALUE", "idempotency_key is missing or empty")

        email = cell("email")
        if email is not None:
            problem = _email_problem(email)
            if problem is None:
                local, _, domain = email.rpartition("@")
                email = f"{local}@{domain.lower()}"
            else:
                bad("email", "BAD_EMAIL", f"email {email!r} {problem}")
                email = None

        did = cell("did", limit=MAX_DID_CHARS)
        if did is not None and _DID.fullmatch(did) is None:
            bad("did", "BAD_DID", f"did {did!r} is not a DID (did:<method>:<identifier>)")
            did = None

        if not any(e.column in ("email", "did") for e in errors) and email is None and did is None:
            bad("email", "MISSING_RECIPIENT", "the row needs an email or a did")

        name = cell("name", limit=MAX_NAME_CHARS)

        dates: dict[str, datetime | None] = {}
        for column in ("valid_from", "issued_on", "valid_until"):
            value = cell(column)
            if value is None:
                continue
            parsed, problem = _date_problem(value)
            if problem is not None:
                bad(column, "BAD_DATE", f"{column} {value!r} {problem}")
            dates[_ALIASES.get(column, column)] = parsed
        valid_from, valid_until = dates.get("valid_from"), dates.get("valid_until")
        if valid_from is not None and valid_until is not None and valid_until <= valid_from:
            bad("valid_until", "BAD_DATE_RANGE", "valid_until must be later than valid_from")

        narrative = cell("narrative", text=True, limit=MAX_NARRATIVE_CHARS)

        evidence_url = cell("evidence_url")
        if evidence_url is not None:
            problem = _url_problem(evidence_url)
            if problem is not None:
                bad("evidence_url", "BAD_URL", f"evidence_url {evidence_url!r} {problem}")
                evidence_url = None

        result_value = cell("result_value", limit=MAX_RESULT_CHARS)

        if key is not None:
            self._check_duplicate(line, key, raw, errors)
        if errors:
            return errors
        assert key is not None
        return BulkRow(
            line=line,
            idempotency_key=key,
            email=email,
            did=did,
            name=name,
            valid_from=valid_from,
            valid_until=valid_until,
            narrative=narrative,
            evidence_url=evidence_url,
            result_value=result_value,
            raw=raw,
        )

    def _check_duplicate(
        self, line: int, key: str, raw: Mapping[str, str | None], errors: list[RowError]
    ) -> None:
        key_hash = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=16).digest())
        cells = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        row_hash = int.from_bytes(hashlib.blake2b(cells.encode(), digest_size=8).digest())
        previous = self._seen.get(key_hash)
        if previous is None:
            self._seen[key_hash] = row_hash << 48 | line
            return
        first_line = previous & (1 << 48) - 1
        if previous >> 48 == row_hash:
            errors.insert(
                0,
                RowError(line, None, "DUPLICATE_ROW", f"the row repeats line {first_line} exactly"),
            )
        else:
            errors.insert(
                0,
                RowError(
                    line,
                    "idempotency_key",
                    "DUPLICATE_KEY",
                    f"idempotency_key {key!r} is already used on line {first_line}",
                ),
            )


def _unknown(name: str, position: int) -> str:
    if not name:
        return f"column {position} has no name"
    message = f"unknown column {name!r}"
    if ";" in name or "\t" in name:
        return message + "; columns must be separated by commas"
    close = get_close_matches(name.lower(), COLUMNS, n=1)
    return message + (f"; did you mean {close[0]!r}?" if close else "")
