"""Helpers shared by the memory and SQL stores (standard library only)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from credstack.errors import InvalidInput

R = TypeVar("R")

MAX_PAGE = 10_000


def utc(value: datetime, what: str) -> datetime:
    """``value`` as a UTC datetime; naive datetimes are refused (their instant is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware datetime, got a naive one")
    return value.astimezone(UTC)


def utc_record(record: R) -> R:
    """``record`` with every datetime field converted to UTC (naive ones refused)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            changes[f.name] = utc(value, f"{type(record).__name__}.{f.name}")
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]


def json_text(value: Any, what: str) -> str:
    """``value`` as compact JSON text (key order kept); InvalidInput if it is not JSON."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not storable as JSON: {exc}") from exc


def json_copy(value: Any, what: str) -> Any:
    """``value`` as it comes back from storage: through JSON text and back."""
    return json.loads(json_text(value, what))


def check_page(limit: int, offset: int) -> None:
    """Refuse a negative offset or a limit outside 1..MAX_PAGE."""
    if not 0 < limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must not be negative, got {offset}")


def check_limit(limit: int) -> None:
    """Refuse a limit outside 1..MAX_PAGE."""
    if not 0 < limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")


MAX_BIGINT = 2**63 - 1


def check_bigint(value: int, what: str) -> None:
    """Refuse an integer a signed 64-bit column cannot hold."""
    if not 0 <= value <= MAX_BIGINT:
        raise InvalidInput(f"{what} {value} does not fit a 64-bit column (at most 2^63-1)")
