"""Property tests: the orjson fast path of RFC 8785 equals the general ``rfc8785`` package.

``canonicalize_json_bytes`` must give the bytes of ``canonicalize_json_general`` for every JSON
value, and raise ``InvalidInput`` exactly when the general implementation does (lone
surrogates, NaN / infinities, integers outside the IEEE 754 safe range).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.crypto.jcs import canonicalize_json_bytes, canonicalize_json_general
from credstack.errors import InvalidInput
from tests.property.strategies import (
    JCS_TEXT,
    embed,
    jcs_documents,
    jcs_scalars,
    nesting_paths,
)

SAFE = 2**53 - 1


def jcs_outcome(function: Any, value: Any) -> tuple[str, Any]:
    try:
        return ("ok", function(value))
    except InvalidInput as exc:
        return ("error", exc.code)


def utf16_key(text: str) -> bytes:
    return text.encode("utf-16-be")


def keys_sorted_utf16(value: Any) -> bool:
    if isinstance(value, dict):
        keys = list(value)
        return keys == sorted(keys, key=utf16_key) and all(
            keys_sorted_utf16(v) for v in value.values()
        )
    if isinstance(value, list):
        return all(keys_sorted_utf16(v) for v in value)
    return True


@settings(max_examples=1200, deadline=None)
@given(value=jcs_documents())
def test_jcs_fast_path_equals_general_for_json_documents(value: Any) -> None:
    fast = canonicalize_json_bytes(value)
    assert fast == canonicalize_json_general(value)
    # and it is RFC 8785 text: the same JSON value (numbers are IEEE 754 doubles, so an
    # integral double may come back as shortest-digits integer text), keys in UTF-16 order
    parsed = json.loads(fast.decode("utf-8"), parse_int=float)
    assert parsed == value
    assert keys_sorted_utf16(parsed)


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        jcs_scalars(),
        st.integers(SAFE - 2, 2**64 + 2),
        st.integers(-(2**64) - 2, -SAFE + 2),
    )
)
def test_jcs_fast_path_equals_general_for_top_level_scalars(value: Any) -> None:
    """A bare number, string, boolean or null is JSON too (RFC 8259 §2)."""
    assert jcs_outcome(canonicalize_json_bytes, value) == jcs_outcome(
        canonicalize_json_general, value
    )


def test_jcs_top_level_float_minimal_example() -> None:
    assert canonicalize_json_bytes(1.0) == canonicalize_json_general(1.0) == b"1"


@settings(max_examples=300, deadline=None)
@given(
    path=nesting_paths(),
    number=st.sampled_from([math.nan, math.inf, -math.inf]),
)
def test_jcs_non_finite_numbers_raise_invalid_input(
    path: list[tuple[bool, str]], number: float
) -> None:
    value = embed(number, path)
    assert jcs_outcome(canonicalize_json_general, value) == ("error", "INVALID_INPUT")
    assert jcs_outcome(canonicalize_json_bytes, value) == ("error", "INVALID_INPUT")


@settings(max_examples=300, deadline=None)
@given(
    path=nesting_paths(),
    before=JCS_TEXT,
    after=JCS_TEXT,
    surrogate=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    as_key=st.booleans(),
)
def test_jcs_lone_surrogates_raise_invalid_input(
    path: list[tuple[bool, str]], before: str, after: str, surrogate: str, as_key: bool
) -> None:
    text = before + surrogate + after
    value = embed({text: 1} if as_key else text, path)
    assert jcs_outcome(canonicalize_json_general, value) == ("error", "INVALID_INPUT")
    assert jcs_outcome(canonicalize_json_bytes, value) == ("error", "INVALID_INPUT")


@settings(max_examples=300, deadline=None)
@given(
    path=nesting_paths().filter(bool),
    number=st.one_of(
        st.integers(SAFE + 1, SAFE + 10),
        st.integers(-SAFE - 10, -SAFE - 1),
        st.integers(SAFE + 1, 10**40),
        st.integers(-(10**40), -SAFE - 1),
    ),
)
def test_jcs_out_of_range_integers_raise_invalid_input(
    path: list[tuple[bool, str]], number: int
) -> None:
    value = embed(number, path)
    assert jcs_outcome(canonicalize_json_general, value) == ("error", "INVALID_INPUT")
    assert jcs_outcome(canonicalize_json_bytes, value) == ("error", "INVALID_INPUT")


def test_jcs_nested_nan_minimal_example() -> None:
    assert jcs_outcome(canonicalize_json_bytes, {"a": math.nan}) == ("error", "INVALID_INPUT")
