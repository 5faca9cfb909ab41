"""Property tests: ``canonical_nquads`` equals the general algorithms.

References: pyld's URDNA2015 normalization of the document (restricted to documents without
the two cases where pyld departs from RDFC-1.0, see below), and RDFC-1.0 of ``to_quads`` of the
plain pyld expansion ``Expander(memoize=False).expand_fresh``.

pyld departs from RDFC-1.0 (https://www.w3.org/TR/rdf-canon/#canonical-quads) on control
characters other than TAB, LF, CR (written raw instead of ``\\b``, ``\\f`` or ``\\u`` with
four hex digits) and
on quads that name the same blank node twice; those are compared against the spec rule instead.
Where pyld writes output that is not N-Quads (IRIs with ``<>"{}|^`\\`` or spaces, malformed
language tags) or JSON literals RFC 8785 refuses (integers outside +-(2**53 - 1)), credstack must
raise instead.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from credstack.errors import JsonLdError
from credstack.jsonld.loader import StaticDocumentLoader
from credstack.jsonld.processor import Expander
from credstack.jsonld.rdf import canonical_nquads, to_quads
from credstack.jsonld.rdfc import canonicalize
from tests.property.strategies import (
    BASES,
    PYLD_RAW_CHARS,
    JsonDict,
    Options,
    absolute_iris,
    credentials,
    outcome,
    plain_text,
    same_shape_variants,
)

# IRIs that N-Quads cannot write (credstack refuses them; pyld writes them as they are)
_IRI_FORBIDDEN = re.compile('[\x00-\x20<>"{}|^`\\\\]')
# N-Quads LANGTAG (https://www.w3.org/TR/n-quads/#grammar-production-LANGTAG)
_LANGTAG = re.compile(r"[a-zA-Z]+(-[a-zA-Z0-9]+)*")
_PYLD_SAFE = Options(exclude=PYLD_RAW_CHARS)
_ALL_TEXT = Options(controls=True)


def error_code(found: tuple[str, Any]) -> str | None:
    return str(found[1][0]) if found[0] == "error" else None


def fresh(doc: JsonDict) -> list[Any]:
    return Expander(memoize=False).expand_fresh(copy.deepcopy(doc))


def via_fresh(doc: JsonDict) -> str:
    return canonicalize(to_quads(fresh(doc)))


def pyld_urdna2015(doc: JsonDict) -> str:
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "base": None,
        "documentLoader": StaticDocumentLoader(),
    }
    result: str = jsonld.normalize(copy.deepcopy(doc), options)
    return result


class Emitted:
    """What an expanded document writes into N-Quads: IRIs, language tags, JSON literals.

    A property whose IRI is a blank node identifier (generalized RDF) writes no statement,
    so its direct values write nothing; nodes nested in it still write their own statements
    (JSON-LD 1.1 Deserialize works on the node map).
    """

    def __init__(self, expanded: Any) -> None:
        self.iris: list[str] = []
        self.languages: list[Any] = []
        self.json_values: list[Any] = []
        self.blank_predicates = False
        self._walk(expanded, linked=True)

    def _walk(self, item: Any, linked: bool) -> None:
        if isinstance(item, list):
            for element in item:
                self._walk(element, linked)
            return
        if not isinstance(item, dict):
            return
        if "@value" in item:
            if linked:
                if item.get("@type") == "@json":
                    self.json_values.append(item["@value"])
                elif "@language" in item:
                    self.languages.append(item["@language"])
                elif isinstance(item.get("@type"), str):
                    self.iris.append(item["@type"])
            return
        if "@list" in item:
            self._walk(item["@list"], linked)
            return
        if linked or any(k != "@id" for k in item):
            node_id = item.get("@id")
            if isinstance(node_id, str):
                self.iris.append(node_id)
        for key, value in item.items():
            if key == "@type":
                self.iris.extend(t for t in value if isinstance(t, str))
            elif key in ("@graph", "@included"):
                self._walk(value, True)
            elif key == "@reverse":
                for prop, nodes in value.items():
                    self.iris.append(prop)
                    self._walk(nodes, True)
            elif not key.startswith("@"):
                blank = key.startswith("_:")
                self.blank_predicates |= blank
                if not blank:
                    self.iris.append(key)
                self._walk(value, not blank)


def has_unsafe_integer(value: Any) -> bool:
    """RFC 8785 (I-JSON) refuses integers outside ±(2**53 - 1); pyld writes their digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > 2**53 - 1
    if isinstance(value, dict):
        return any(has_unsafe_integer(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unsafe_integer(v) for v in value)
    return False


def names_a_blank_node_twice(doc: JsonDict) -> bool:
    for s, _, o, g in to_quads(fresh(doc)):
        blanks = [t for t in (s, o, g) if t.startswith("_:")]
        if len(blanks) != len(set(blanks)):
            return True
    return False


@settings(max_examples=250, deadline=None)
@given(doc=credentials(_ALL_TEXT))
def test_canonical_nquads_equals_canonicalized_fresh_expansion(doc: JsonDict) -> None:
    before = json.dumps(doc)
    assert outcome(canonical_nquads, doc) == outcome(via_fresh, doc)
    assert json.dumps(doc) == before


def _with_score(score: float) -> JsonDict:
    doc = copy.deepcopy(BASES["ob-unsigned"])
    doc["credentialSubject"]["urn:ex:score"] = score
    return doc


@settings(max_examples=300, deadline=None)
@given(doc=credentials(_PYLD_SAFE))
@example(doc=_with_score(0.85))
def test_canonical_nquads_matches_pyld_urdna2015(doc: JsonDict) -> None:
    before = json.dumps(doc)
    actual = outcome(canonical_nquads, doc)
    reference = outcome(fresh, doc)
    if reference[0] == "error":
        event("invalid document")
        assert error_code(actual) == reference[1][0]
        return
    emitted = Emitted(fresh(doc))
    if emitted.blank_predicates and actual[0] == "error":
        event("blank node predicate refused")
        return  # safe mode may refuse generalized RDF (a dropped statement) outright
    if any(_IRI_FORBIDDEN.search(iri) for iri in emitted.iris):
        event("IRI with a character N-Quads cannot write")
        assert error_code(actual) == "JSONLD_ERROR"
        return
    if not all(isinstance(t, str) and _LANGTAG.fullmatch(t) for t in emitted.languages):
        event("language tag that N-Quads cannot write")
        assert error_code(actual) == "JSONLD_ERROR"
        return
    if any(has_unsafe_integer(v) for v in emitted.json_values):
        event("JSON literal with an integer outside the I-JSON range")
        assert error_code(actual) == "INVALID_INPUT"
        return
    assert actual[0] == "ok", actual
    if names_a_blank_node_twice(doc):
        event("quad naming a blank node twice: pyld not comparable")
        return
    event("compared with pyld")
    assert actual[1] == pyld_urdna2015(doc)
    assert json.dumps(doc) == before


# --- control characters: the RDFC-1.0 rule applied to pyld's (unescaped) value -------------

_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_PYLD_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def rdfc_escape(value: str) -> str:
    """RDFC-1.0 canonical N-Quads string escaping, written out from the spec text."""
    out = []
    for char in value:
        if char in _ECHAR:
            out.append(_ECHAR[char])
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def pyld_lines_respelled(nquads: str) -> list[str]:
    """pyld's lines with each literal unescaped (pyld escapes only \\t \\n \\r \\" \\\\) and
    escaped again by the RDFC-1.0 rule."""
    lines = []
    for line in nquads.split("\n")[:-1]:
        if '"' in line:
            start, end = line.index('"'), line.rindex('"')
            raw = re.sub(r"\\(.)", lambda m: _PYLD_UNESCAPE[m.group(1)], line[start + 1 : end])
            line = line[: start + 1] + rdfc_escape(raw) + line[end:]
        lines.append(line)
    return lines


CONTROL_TEXT = st.text(
    st.one_of(
        st.characters(max_codepoint=0x1F),
        st.just("\x7f"),
        st.sampled_from(['"', "\\", "a", "é", "🌃", " "]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(name=CONTROL_TEXT, description=CONTROL_TEXT, alumni_of=CONTROL_TEXT)
def test_canonical_control_characters_follow_rdfc_escaping(
    name: str, description: str, alumni_of: str
) -> None:
    doc = copy.deepcopy(BASES["alumni"])  # every node has an id: no blank node labels
    doc["name"] = name
    doc["description"] = description
    doc["credentialSubject"]["alumniOf"] = alumni_of
    actual = canonical_nquads(doc)
    lines = actual.split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == sorted(lines[:-1])
    assert sorted(lines[:-1]) == sorted(pyld_lines_respelled(pyld_urdna2015(doc)))


# --- same shape, many values ----------------------------------------------------------------


@st.composite
def batches(draw: st.DrawFn) -> list[JsonDict]:
    doc = draw(credentials(_ALL_TEXT))
    return [doc] + [
        draw(same_shape_variants(doc, _ALL_TEXT)) for _ in range(draw(st.integers(2, 5)))
    ]


@settings(max_examples=80, deadline=None)
@given(docs=batches())
def test_canonical_same_shape_sequence_matches_fresh(docs: list[JsonDict]) -> None:
    for doc in docs + docs[::-1]:
        assert outcome(canonical_nquads, doc) == outcome(via_fresh, doc)


# --- numbers and JSON literals (RDF conversion of values) -------------------------------------


def subject_line(nquads: str) -> list[str]:
    return [line for line in nquads.split("\n") if "<urn:ex:p>" in line]


@settings(max_examples=100, deadline=None)
@given(
    number=st.one_of(
        st.integers(10**21, 10**300),
        st.integers(-(10**300), -(10**21)),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**60), 2**60),
    )
)
def test_canonical_number_literal_matches_pyld(number: Any) -> None:
    """JSON-LD 1.1 §8.6 step 2.6: magnitude >= 1e21 or a fraction gives xsd:double."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["urn:ex:p"] = number
    assert subject_line(canonical_nquads(doc)) == subject_line(pyld_urdna2015(doc))


def test_canonical_fractional_double_minimal_example() -> None:
    """A negative exponent is written without its leading zero: 0.5 is "5.0E-1"."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["urn:ex:p"] = 0.5
    assert subject_line(canonical_nquads(doc)) == [
        '<did:example:abcdefgh> <urn:ex:p> "5.0E-1"^^<http://www.w3.org/2001/XMLSchema#double> .'
    ]


def test_canonical_integer_1e21_minimal_example() -> None:
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["urn:ex:p"] = 10**21
    assert subject_line(canonical_nquads(doc)) == [
        '<did:example:abcdefgh> <urn:ex:p> "1.0E21"^^<http://www.w3.org/2001/XMLSchema#double> .'
    ]


@settings(max_examples=100, deadline=None)
@given(
    iri=absolute_iris(exclude=PYLD_RAW_CHARS).filter(
        lambda i: not _IRI_FORBIDDEN.search(i) and not i.startswith("_:")
    ),
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**53) + 1, 2**53 - 1),
        plain_text(exclude=PYLD_RAW_CHARS),
        st.booleans(),
        st.none(),
    ),
)
def test_canonical_json_literal_scalar_matches_pyld(iri: str, value: Any) -> None:
    """An ``@json`` value may be any JSON value, also a bare number."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSchema"] = {"id": iri, "type": "JsonSchema", "jsonSchema": value}
    try:
        fresh(doc)
    except JsonLdError:
        return  # e.g. a compact IRI that stays relative
    assert canonical_nquads(doc) == pyld_urdna2015(doc)


def test_canonical_json_literal_float_minimal_example() -> None:
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSchema"] = {"id": "urn:ex:s", "type": "JsonSchema", "jsonSchema": 1.0}
    assert '<urn:ex:s> <https://www.w3.org/2018/credentials#jsonSchema> "1"^^' in (
        canonical_nquads(doc)
    )


def test_canonical_blank_node_predicate_keeps_nested_node_statements() -> None:
    """A ``_:p`` property writes no statement, but the node inside it still has its own; if
    safe mode refuses the document instead, that is fine too."""
    doc = copy.deepcopy(BASES["alumni"])
    doc["credentialSubject"]["_:p"] = {"id": "urn:ex:n", "urn:ex:q": "kept"}
    actual = outcome(canonical_nquads, doc)
    if actual[0] == "ok":
        assert actual[1] == pyld_urdna2015(doc)
        assert '<urn:ex:n> <urn:ex:q> "kept" .' in actual[1]
    else:
        assert error_code(actual) in ("DATA_LOSS_DETECTION_ERROR", "JSONLD_ERROR")
