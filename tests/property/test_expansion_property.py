"""Property tests: the shape-memoised expansion equals plain pyld expansion.

Reference: ``Expander(memoize=False).expand_fresh`` (pyld, no memo of any kind).  Under test:
``expander().expand`` (shape memo), ``expander().check`` (safe-mode decision from the same
memo) and ``expander().expand_fresh`` (pyld with memoised context processing).  Results are
compared as exact JSON text (key order, 1 / 1.0 / True, 0.0 / -0.0), errors by code, class and
dropped terms.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from credstack.errors import CredstackError
from credstack.jsonld.loader import ContextVariant
from credstack.jsonld.processor import Expander, expander
from credstack.jsonld.shapes import NoShape, shape_of
from tests.property.strategies import (
    BASES,
    JsonDict,
    credentials,
    outcome,
    same_shape_variants,
)

VARIANTS = st.sampled_from([ContextVariant.PUBLISHED, ContextVariant.VALIDATOR])


def reference(doc: JsonDict, variant: ContextVariant) -> tuple[str, Any]:
    return outcome(Expander(variant, memoize=False).expand_fresh, copy.deepcopy(doc))


def ok_or_error(found: tuple[str, Any]) -> tuple[str, Any]:
    return found if found[0] == "error" else ("ok", None)


def check_outcome(exp: Expander, doc: JsonDict) -> tuple[str, Any]:
    return ok_or_error(outcome(exp.check, doc))


def shape_key(doc: JsonDict) -> Any:
    try:
        return shape_of(doc).key
    except NoShape:
        return None


@st.composite
def batches(draw: st.DrawFn, flip_zero: bool = False) -> list[JsonDict]:
    """A credential and 2-6 others of the same shape with different values."""
    doc = draw(credentials())
    count = draw(st.integers(2, 6))
    return [doc] + [draw(same_shape_variants(doc, flip_zero=flip_zero)) for _ in range(count)]


@settings(max_examples=300, deadline=None)
@given(doc=credentials(), variant=VARIANTS)
def test_expand_memoised_matches_fresh_pyld(doc: JsonDict, variant: ContextVariant) -> None:
    before = json.dumps(doc)
    expected = reference(doc, variant)
    event(f"reference: {expected[0]}")
    event("memoisable shape" if shape_key(doc) is not None else "no shape (expanded afresh)")
    # a cold memo (first document of its shape) and the shared, warm one
    assert outcome(Expander(variant).expand, doc) == expected
    assert outcome(expander(variant).expand, doc) == expected
    assert outcome(expander(variant).expand, doc) == expected  # served from the memo
    assert json.dumps(doc) == before


@settings(max_examples=150, deadline=None)
@given(doc=credentials(), variant=VARIANTS)
def test_expand_fresh_with_context_memo_matches_plain_pyld(
    doc: JsonDict, variant: ContextVariant
) -> None:
    before = json.dumps(doc)
    assert outcome(expander(variant).expand_fresh, doc) == reference(doc, variant)
    assert json.dumps(doc) == before


@settings(max_examples=300, deadline=None)
@given(doc=credentials(), variant=VARIANTS)
def test_check_raises_iff_fresh_expansion_raises(doc: JsonDict, variant: ContextVariant) -> None:
    before = json.dumps(doc)
    expected = ok_or_error(reference(doc, variant))
    assert check_outcome(Expander(variant), doc) == expected  # check fills a cold memo
    assert check_outcome(expander(variant), doc) == expected
    assert json.dumps(doc) == before


@settings(max_examples=100, deadline=None)
@given(docs=batches(), variant=VARIANTS)
def test_expand_same_shape_sequence_does_not_leak_values(
    docs: list[JsonDict], variant: ContextVariant
) -> None:
    keys = {json.dumps(shape_key(d), default=repr) for d in docs}
    assert len(keys) == 1  # the batch really shares one shape (or none is memoisable)
    cold = Expander(variant)
    snapshots = [json.dumps(d) for d in docs]
    event(f"first document: {reference(docs[0], variant)[0]}")
    for doc in docs:
        expected = reference(doc, variant)
        assert outcome(cold.expand, doc) == expected
        assert check_outcome(cold, doc) == ok_or_error(expected)
        assert outcome(expander(variant).expand, doc) == expected
    # and again, in reverse, against the now warm memo
    for doc in reversed(docs):
        assert outcome(cold.expand, doc) == reference(doc, variant)
    assert [json.dumps(d) for d in docs] == snapshots


@settings(max_examples=25, deadline=None)
@given(docs=batches(flip_zero=True))
def test_expand_same_shape_signed_zero_matches_fresh(docs: list[JsonDict]) -> None:
    """0.0 and -0.0 compare equal; the memo must still give each its own value."""
    cold = Expander()
    for doc in docs:
        assert outcome(cold.expand, doc) == reference(doc, ContextVariant.PUBLISHED)


def test_expand_negative_zero_after_zero_keeps_sign() -> None:
    """Minimal example of the signed-zero case (an ``xsd:double`` value)."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["urn:ex:p"] = {
        "@value": 0.0,
        "@type": "http://www.w3.org/2001/XMLSchema#double",
    }
    negative = copy.deepcopy(doc)
    negative["credentialSubject"]["urn:ex:p"]["@value"] = -0.0
    cold = Expander()
    cold.expand(doc)
    assert outcome(cold.expand, negative) == reference(negative, ContextVariant.PUBLISHED)


def test_expand_memo_templates_realistic_credential() -> None:
    """A realistic credential is served from a template (the memo is not bypassed)."""
    doc = copy.deepcopy(BASES["ob-unsigned"])
    exp = Expander()
    first = outcome(exp.expand, doc)
    assert len(exp._shapes) == 1
    assert isinstance(next(iter(exp._shapes.values())), tuple)  # a compiled template
    other = copy.deepcopy(doc)
    other["name"] = "Another learner's badge"
    assert outcome(exp.expand, other) == reference(other, ContextVariant.PUBLISHED)
    assert outcome(exp.expand, doc) == first == reference(doc, ContextVariant.PUBLISHED)


@settings(max_examples=20, deadline=None)
@given(
    depth=st.sampled_from([1, 10, 100, 5000]),
    in_list=st.booleans(),
    leaf=st.sampled_from(["text", "urn:ex:leaf", 1, None]),
)
def test_expand_deep_nesting_matches_fresh(depth: int, in_list: bool, leaf: Any) -> None:
    def build() -> JsonDict:
        value: Any = leaf
        for _ in range(depth):
            value = [value] if in_list else {"urn:ex:p": value}
        doc = copy.deepcopy(BASES["alumni"])
        doc["credentialSubject"]["urn:ex:p"] = value
        return doc

    expected = outcome(Expander(memoize=False).expand_fresh, build())
    exp = Expander()
    assert outcome(exp.expand, build()) == expected
    assert outcome(exp.expand, build()) == expected
    assert check_outcome(Expander(), build()) == ok_or_error(expected)


@settings(max_examples=30, deadline=None)
@given(
    number=st.one_of(st.integers(2**1024, 10**400), st.integers(-(10**400), -(2**1024))),
    memoize=st.booleans(),
)
def test_expand_integer_beyond_double_range_raises_credstack_error(
    number: int, memoize: bool
) -> None:
    """json.loads accepts any integer; expansion must fail with a credstack error, not leak
    pyld's OverflowError."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["urn:ex:p"] = number
    with pytest.raises(CredstackError):
        Expander(memoize=memoize).expand(doc)
