"""Property tests for the RDFC-1.0 canonicalizer against pyld's URDNA2015 and invariants."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pyld.canon import URDNA2015

from credstack.jsonld.rdfc import Quad, canonicalize, escape_string, iri_term, literal_term

MAX_WORK = 10**6  # random datasets have at most 6 blank nodes; never hit the poison guard here

BLANKS = [f"_:b{i}" for i in range(6)]
IRIS = [
    "<urn:ex:a>",
    "<urn:ex:b>",
    "<http://example.org/c>",
    "<urn:ex:∞>",
    "<urn:ex:🌃>",
]
PREDICATES = ["<urn:ex:p>", "<urn:ex:q>", "<http://example.org/r>"]
DATATYPES = [None, "http://www.w3.org/2001/XMLSchema#integer", "urn:ex:dt"]
LANGUAGES = [None, "en", "de-CH", "EN-us"]

# Characters on which pyld 3.3.0 and RDFC-1.0 escaping disagree (pyld writes them raw) or which
# pyld's line splitting (str.splitlines) mangles; compared with pyld only without them.
_PYLD_UNSAFE = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufffe",
    "\uffff",
}
_SPECIALS = ['"', "\\", "\t", "\n", "\r", "'", "\xa0", "é", "∞", "🌃", "\U0010fffd", "\ufffd"]
_HARD = [*sorted(_PYLD_UNSAFE), "\ud800", "\udfff"]

safe_text = st.text(
    st.one_of(
        st.characters(exclude_characters="".join(_PYLD_UNSAFE), exclude_categories=["Cs"]),
        st.sampled_from(_SPECIALS),
    ),
    max_size=10,
)
any_text = st.text(
    st.one_of(st.characters(), st.sampled_from(_SPECIALS), st.sampled_from(_HARD)), max_size=10
)


def literals(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda value, dt, lang: literal_term(value, None if lang else dt, lang),
        text,
        st.sampled_from(DATATYPES),
        st.sampled_from(LANGUAGES),
    )


def quads(text: st.SearchStrategy[str]) -> st.SearchStrategy[Quad]:
    blank = st.sampled_from(BLANKS)
    named = st.sampled_from(IRIS)
    return st.tuples(
        st.one_of(blank, named),
        st.sampled_from(PREDICATES),
        st.one_of(blank, named, literals(text)),
        st.one_of(st.just(""), named, blank),
    )


@st.composite
def symmetric_parts(draw: st.DrawFn) -> list[Quad]:
    """Zero or more copies of a blank node ring: structures that need the n-degree step."""
    size = draw(st.integers(2, 4))
    copies = draw(st.integers(0, 2))
    predicate = draw(st.sampled_from(PREDICATES))
    graph = draw(st.sampled_from(["", IRIS[0]]))
    out: list[Quad] = []
    for copy in range(copies):
        nodes = [f"_:s{copy}x{i}" for i in range(size)]
        out += [(nodes[i], predicate, nodes[(i + 1) % size], graph) for i in range(size)]
    return out


@st.composite
def datasets(draw: st.DrawFn, text: st.SearchStrategy[str], self_links: bool = True) -> list[Quad]:
    quad = quads(text)
    if not self_links:
        quad = quad.filter(_no_repeated_blank)
    return draw(st.lists(quad, max_size=10)) + draw(symmetric_parts())


def _no_repeated_blank(quad: Quad) -> bool:
    blanks = [t for t in (quad[0], quad[2], quad[3]) if t.startswith("_:")]
    return len(blanks) == len(set(blanks))


_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\^\^<([^>]*)>|@([A-Za-z0-9-]+))?')
_UNESCAPE = re.compile(r"\\(u[0-9A-F]{4}|[btnfr\"\\])")
_ECHAR_BACK = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def unescape(body: str) -> str:
    return _UNESCAPE.sub(
        lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) > 1 else _ECHAR_BACK[m.group(1)],
        body,
    )


def pyld_term(term: str) -> dict[str, str]:
    if term.startswith("<"):
        return {"type": "IRI", "value": term[1:-1]}
    if term.startswith("_:"):
        return {"type": "blank node", "value": term}
    match = _LITERAL.fullmatch(term)
    assert match is not None, term
    body, datatype, language = match.groups()
    out = {"type": "literal", "value": unescape(body)}
    if language is not None:
        out["datatype"] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
        out["language"] = language
    else:
        out["datatype"] = datatype or "http://www.w3.org/2001/XMLSchema#string"
    return out


def pyld_urdna2015(quad_list: list[Quad]) -> str:
    """pyld's URDNA2015 on the same dataset, built directly (pyld's N-Quads parser mis-reads
    escaped backslashes such as ``\\\\n``, so it is bypassed)."""
    dataset: dict[str, list[dict[str, dict[str, str]]]] = {}
    for s, p, o, g in dict.fromkeys(quad_list):
        triple = {"subject": pyld_term(s), "predicate": pyld_term(p), "object": pyld_term(o)}
        key = "@default" if not g else (g if g.startswith("_:") else g[1:-1])
        dataset.setdefault(key, []).append(triple)
    result: str = URDNA2015().main(dataset, {"format": "application/n-quads"})
    return result


_TERM = re.compile(r'<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?')


def parse_canonical(text: str) -> list[Quad]:
    out: list[Quad] = []
    for line in text.split("\n")[:-1]:
        terms = _TERM.findall(line)
        if len(terms) == 3:
            terms.append("")
        out.append((terms[0], terms[1], terms[2], terms[3]))
    return out


@settings(max_examples=150, deadline=None)
@given(datasets(safe_text, self_links=False))
def test_canonicalize_matches_pyld_urdna2015(quad_list: list[Quad]) -> None:
    # pyld 3.3.0 differs from RDFC-1.0 (and rdf-canonize) on quads naming one blank node twice
    # and on escaping of most control characters, so those are excluded here and covered by
    # the unit tests and the invariance properties below.
    assert canonicalize(quad_list, max_work=MAX_WORK) == pyld_urdna2015(quad_list)


@settings(max_examples=100, deadline=None)
@given(datasets(any_text), st.data())
def test_canonicalize_invariant_under_relabelling_and_reordering(
    quad_list: list[Quad], data: st.DataObject
) -> None:
    expected = canonicalize(quad_list, max_work=MAX_WORK)
    blanks = sorted({t for q in quad_list for t in q if t.startswith("_:")})
    fresh = data.draw(
        st.lists(
            st.from_regex(r"_:[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True),
            min_size=len(blanks),
            max_size=len(blanks),
            unique=True,
        )
    )
    mapping = dict(zip(blanks, fresh, strict=True))

    def term(t: str) -> str:
        return mapping.get(t, t)

    renamed = [(term(s), p, term(o), term(g)) for s, p, o, g in quad_list]
    shuffled = data.draw(st.permutations(renamed))
    doubled = shuffled + shuffled[: len(shuffled) // 2]
    assert canonicalize(doubled, max_work=MAX_WORK) == expected


@settings(max_examples=100, deadline=None)
@given(datasets(any_text))
def test_canonicalize_output_is_its_own_canonical_form(quad_list: list[Quad]) -> None:
    out = canonicalize(quad_list, max_work=MAX_WORK)
    lines = out.split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == sorted(set(lines[:-1]))
    assert len(lines) - 1 == len(set(quad_list))
    assert canonicalize(parse_canonical(out), max_work=MAX_WORK) == out


_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def spec_escape_char(char: str) -> str:
    """RDFC-1.0 appendix A rule for one character, written independently per code point."""
    if char in _ECHAR:
        return _ECHAR[char]
    code = ord(char)
    if code <= 0x1F or code == 0x7F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
        return "\\u" + format(code, "04X")
    return char


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_escape_string_follows_spec_rule_and_round_trips(value: str) -> None:
    escaped = escape_string(value)
    assert escaped == "".join(spec_escape_char(c) for c in value)
    assert unescape(escaped) == value
    assert not any(c in escaped for c in "\n\r\x00\x7f")


@settings(max_examples=100, deadline=None)
@given(safe_text, st.sampled_from(PREDICATES))
def test_literal_term_matches_pyld_serialization(value: str, predicate: str) -> None:
    quad = (iri_term("urn:ex:s"), predicate, literal_term(value), "")
    assert canonicalize([quad]) == pyld_urdna2015([quad])
