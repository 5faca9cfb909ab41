"""Strict, bounded JSON parsing: every untrusted JSON input goes through here.

Strict: no duplicate members (different parsers keep different duplicates, a classic way to
make two verifiers see two credentials), no NaN or Infinity.  Bounded: size and nesting depth.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from credstack.errors import InvalidInput

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64


class _Refused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused(f"duplicate member {duplicate!r}")
    return out


#: the C JSON decoder recurses once per nesting level and trusts the interpreter's recursion
#: limit; some libraries raise that limit process-wide (py_ecc sets 100,000), which would let a
#: deeply nested document overflow the C stack.  Parsing runs under at most this limit.
SAFE_RECURSION_LIMIT = 4000


@contextmanager
def _bounded_recursion() -> Iterator[None]:
    previous = sys.getrecursionlimit()
    if previous <= SAFE_RECURSION_LIMIT:
        yield
        return
    try:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    except RecursionError:  # already deeper than that: keep the limit as it is
        yield
        return
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``INPUT_TOO_DEEP`` if ``value`` nests objects/arrays deeper than ``max_depth``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise InvalidInput(f"JSON nests deeper than {max_depth} levels", code="INPUT_TOO_DEEP")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))


def parse_json(
    data: bytes | str,
    *,
    what: str = "document",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse strict JSON with a size and nesting bound; every error is :class:`InvalidInput`."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise InvalidInput(
            f"{what} is {size} bytes; the limit is {max_bytes} bytes", code="INPUT_TOO_LARGE"
        )
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        with _bounded_recursion():
            value = json.loads(
                text, object_pairs_hook=_unique_members, parse_constant=_refuse_constant
            )
    except RecursionError:
        raise InvalidInput(f"{what} nests too deeply to parse", code="INPUT_TOO_DEEP") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} is not UTF-8: {exc.reason}", code="INVALID_JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            code="INVALID_JSON",
        ) from None
    except _Refused as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}", code="INVALID_JSON") from None
    check_depth(value, max_depth)
    return value


def parse_json_object(
    data: bytes | str, *, what: str = "document", **limits: int
) -> dict[str, Any]:
    value = parse_json(data, what=what, **limits)
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, not {type(value).__name__}")
    return value
