"""JSON Canonicalization Scheme (RFC 8785, https://www.rfc-editor.org/rfc/rfc8785).

Fast path: for JSON with no floating-point numbers, no integers of 16 digits or more and no
characters at or above U+E000, the RFC 8785 text is byte for byte what ``orjson`` writes with
sorted keys: the same string escapes (RFC 8785 §3.2.2.2), the same key order (UTF-16 and
code-point order agree below U+E000, §3.2.3) and the same integer form (§3.2.2.3).  The guard
runs on the output bytes; anything else, and any false alarm, goes to the general ``rfc8785``
implementation.  tests/property/test_jcs_property.py compares both on generated JSON.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import rfc8785

from credstack.errors import InvalidInput

# a number token that is not a small integer (a fraction or exponent, or 16+ digits); orjson
# writes no spaces, so a token sits between [:[,] and [,}\]] — text inside strings such as
# "urn:uuid:935e…" does not end like that and stays on the fast path
_NOT_SIMPLE_NUMBER = re.compile(
    rb"[:\[,]-?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)[,}\]]"
    rb"|[:\[,]-?[0-9]{16,}[,}\]]"
)
# lead bytes of UTF-8 sequences for U+E000 and above
_HIGH_CHARS = re.compile(rb"[\xee-\xf4]")
_SORT = orjson.OPT_SORT_KEYS
_NUMBER_START = frozenset(bytes([c]) for c in b"-0123456789")


def canonicalize_json_bytes(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of ``value``."""
    try:
        out: bytes = orjson.dumps(value, option=_SORT)
    except (TypeError, orjson.JSONEncodeError):
        return _general(value)
    if (
        _NOT_SIMPLE_NUMBER.search(out) is None
        and out[:1] not in _NUMBER_START  # a top-level number has no [:[,] before it
        and b"null" not in out  # orjson writes NaN and Infinity as null
        and (out.isascii() or _HIGH_CHARS.search(out) is None)
    ):
        return out
    return _general(value)


def canonicalize_json(value: Any) -> str:
    """RFC 8785 canonical JSON text of ``value``."""
    return canonicalize_json_bytes(value).decode("utf-8")


def _general(value: Any) -> bytes:
    try:
        out: bytes = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"cannot canonicalize JSON (RFC 8785): {exc}") from None
    return out


def canonicalize_json_general(value: Any) -> bytes:
    """The general RFC 8785 implementation, for tests and comparisons."""
    return _general(value)
