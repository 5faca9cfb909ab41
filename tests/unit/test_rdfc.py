"""Unit tests for the RDFC-1.0 canonicalizer (credstack.jsonld.rdfc)."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest
from pyld import jsonld

from credstack.errors import JsonLdError
from credstack.jsonld.rdfc import (
    Quad,
    blank_term,
    canonical_label_map,
    canonicalize,
    escape_string,
    iri_term,
    literal_term,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "vc-di-eddsa" / "eddsa-rdfc-2022"
VECTORS = [
    ASSETS / "canonDocDataInt.txt",
    ASSETS / "proofCanonDataInt.txt",
    ASSETS / "employ" / "canonDocDataInt.txt",
    ASSETS / "employ" / "proofCanonDataInt.txt",
]
EX = "http://example.org/vocab#"

_TERM = re.compile(r'<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?')


def parse_canonical(text: str) -> list[Quad]:
    """Split canonical N-Quads lines into already serialized terms."""
    quads: list[Quad] = []
    for line in text.splitlines():
        terms = _TERM.findall(line)
        assert line.endswith(" ."), line
        if len(terms) == 3:
            terms.append("")
        assert len(terms) == 4, line
        quads.append((terms[0], terms[1], terms[2], terms[3]))
    return quads


def serialize(quads: list[Quad]) -> str:
    return "".join(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n" for s, p, o, g in quads)


def relabel(quads: list[Quad], mapping: dict[str, str]) -> list[Quad]:
    def term(t: str) -> str:
        return mapping.get(t, t)

    return [(term(s), p, term(o), term(g)) for s, p, o, g in quads]


def scramble(quads: list[Quad], seed: int) -> list[Quad]:
    """Rename every blank node to an arbitrary label and shuffle the quads."""
    rng = random.Random(seed)
    blanks = sorted({t for q in quads for t in q if t.startswith("_:")})
    names = [f"_:x{rng.randrange(10**6)}n{i}" for i in range(len(blanks))]
    rng.shuffle(names)
    out = relabel(quads, dict(zip(blanks, names, strict=True)))
    rng.shuffle(out)
    return out


def pyld_urdna2015(quads: list[Quad]) -> str:
    result: str = jsonld.normalize(
        serialize(quads),
        {
            "algorithm": "URDNA2015",
            "inputFormat": "application/n-quads",
            "format": "application/n-quads",
        },
    )
    return result


def iri(name: str) -> str:
    return f"<{EX}{name}>"


def ring(labels: list[str], predicate: str = "next", graph: str = "") -> list[Quad]:
    return [
        (labels[i], iri(predicate), labels[(i + 1) % len(labels)], graph)
        for i in range(len(labels))
    ]


def clique(size: int) -> list[Quad]:
    nodes = [f"_:n{i}" for i in range(size)]
    return [(a, iri("p"), b, "") for a in nodes for b in nodes if a != b]


# --- escape_string: RDFC-1.0 appendix A, https://www.w3.org/TR/rdf-canon/#canonical-quads ---

CONTROL_ESCAPES = [
    ("\x00", "\\u0000"),
    ("\x01", "\\u0001"),
    ("\x02", "\\u0002"),
    ("\x03", "\\u0003"),
    ("\x04", "\\u0004"),
    ("\x05", "\\u0005"),
    ("\x06", "\\u0006"),
    ("\x07", "\\u0007"),
    ("\x08", "\\b"),
    ("\x09", "\\t"),
    ("\x0a", "\\n"),
    ("\x0b", "\\u000B"),
    ("\x0c", "\\f"),
    ("\x0d", "\\r"),
    ("\x0e", "\\u000E"),
    ("\x0f", "\\u000F"),
    ("\x10", "\\u0010"),
    ("\x11", "\\u0011"),
    ("\x12", "\\u0012"),
    ("\x13", "\\u0013"),
    ("\x14", "\\u0014"),
    ("\x15", "\\u0015"),
    ("\x16", "\\u0016"),
    ("\x17", "\\u0017"),
    ("\x18", "\\u0018"),
    ("\x19", "\\u0019"),
    ("\x1a", "\\u001A"),
    ("\x1b", "\\u001B"),
    ("\x1c", "\\u001C"),
    ("\x1d", "\\u001D"),
    ("\x1e", "\\u001E"),
    ("\x1f", "\\u001F"),
    ("\x7f", "\\u007F"),
]


@pytest.mark.parametrize(("char", "expected"), CONTROL_ESCAPES)
def test_escape_string_control_character_uses_spec_form(char: str, expected: str) -> None:
    assert escape_string(char) == expected
    assert escape_string(f"a{char}b") == f"a{expected}b"


def test_escape_string_control_table_covers_c0_and_del() -> None:
    assert [ord(c) for c, _ in CONTROL_ESCAPES] == [*range(0x20), 0x7F]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"', '\\"'),
        ("\\", "\\\\"),
        ('say "hi" \\o/', 'say \\"hi\\" \\\\o/'),
        ("\ufffe", "\\uFFFE"),
        ("\uffff", "\\uFFFF"),
        ("\ud800", "\\uD800"),
        ("\udfff", "\\uDFFF"),
    ],
)
def test_escape_string_quote_backslash_and_non_chars_escaped(value: str, expected: str) -> None:
    assert escape_string(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "'",
        " ",
        "~",
        "\x80",
        "\x85",
        "\xa0",
        "\u2028",
        "\ue000",
        "\ufffd",
        "🌃",
        "∞ é 日本",
    ],
)
def test_escape_string_other_characters_kept_native(value: str) -> None:
    assert escape_string(value) == value


# --- term builders ------------------------------------------------------------------------------


def test_literal_term_xsd_string_omits_datatype() -> None:
    assert literal_term("a\nb") == '"a\\nb"'
    assert literal_term("x", "http://www.w3.org/2001/XMLSchema#string") == '"x"'


def test_literal_term_datatype_and_language_serialized() -> None:
    dt = "http://www.w3.org/2001/XMLSchema#dateTime"
    assert literal_term("2023-01-01T00:00:00Z", dt) == f'"2023-01-01T00:00:00Z"^^<{dt}>'
    assert literal_term("Hallo", language="de-CH") == '"Hallo"@de-CH'
    lang_string = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
    assert literal_term("hi", lang_string, "en") == '"hi"@en'


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"language": "en", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
        {"datatype": "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"},
        {"language": "en us"},
        {"language": ""},
        {"datatype": "relative"},
    ],
)
def test_literal_term_invalid_combination_raises(kwargs: dict[str, str]) -> None:
    with pytest.raises(JsonLdError):
        literal_term("v", **kwargs)


def test_iri_term_absolute_iri_wrapped() -> None:
    assert iri_term("did:key:z6Mk#z6Mk") == "<did:key:z6Mk#z6Mk>"
    assert iri_term("urn:ex:∞") == "<urn:ex:∞>"


def test_iri_term_relative_iri_raises_relative_iri_error() -> None:
    with pytest.raises(JsonLdError) as info:
        iri_term("foo/bar")
    assert info.value.code == "RELATIVE_IRI_ERROR"


@pytest.mark.parametrize(
    "bad", ["http://ex/a b", "http://ex/<x>", 'http://ex/"', "http://ex/\n", "urn:\ud800"]
)
def test_iri_term_forbidden_character_raises(bad: str) -> None:
    with pytest.raises(JsonLdError):
        iri_term(bad)


def test_blank_term_label_prefixed() -> None:
    assert blank_term("b0") == "_:b0"


@pytest.mark.parametrize("bad", ["", "a b", "_:b0", "x>"])
def test_blank_term_invalid_label_raises(bad: str) -> None:
    with pytest.raises(JsonLdError):
        blank_term(bad)


# --- W3C vc-di-eddsa vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_canonicalize_w3c_vector_scrambled_reproduced(path: Path, seed: int) -> None:
    expected = path.read_text(encoding="utf-8")
    quads = scramble(parse_canonical(expected), seed)
    assert canonicalize(quads) == expected


def test_canonicalize_employ_vector_has_blank_nodes() -> None:
    text = (ASSETS / "employ" / "canonDocDataInt.txt").read_text(encoding="utf-8")
    quads = parse_canonical(text)
    renamed = relabel(quads, {"_:c14n0": "_:x9", "_:c14n1": "_:c14n0", "_:c14n2": "_:q"})
    assert canonical_label_map(renamed) == {"x9": "c14n0", "c14n0": "c14n1", "q": "c14n2"}
    assert canonicalize(reversed(renamed)) == text


# --- structure --------------------------------------------------------------------------------


def test_canonicalize_empty_dataset_returns_empty_string() -> None:
    assert canonicalize([]) == ""


def test_canonicalize_duplicates_removed_and_lines_sorted() -> None:
    quads = [
        (iri("s"), iri("p"), '"b"', ""),
        ("_:x", iri("p"), iri("o"), iri("g")),
        (iri("s"), iri("p"), '"a"', ""),
        (iri("s"), iri("p"), '"b"', ""),
        ("_:x", iri("p"), iri("o"), iri("g")),
    ]
    assert canonicalize(quads) == (
        f'{iri("s")} {iri("p")} "a" .\n'
        f'{iri("s")} {iri("p")} "b" .\n'
        f"_:c14n0 {iri('p')} {iri('o')} {iri('g')} .\n"
    )


def test_canonicalize_sorts_in_code_point_order() -> None:
    # U+FF5E sorts before U+1F303 in code points but after it in UTF-16 code units.
    quads = [(iri("s"), iri("p"), '"🌃"', ""), (iri("s"), iri("p"), '"～"', "")]
    assert canonicalize(quads).splitlines() == [
        f'{iri("s")} {iri("p")} "～" .',
        f'{iri("s")} {iri("p")} "🌃" .',
    ]


def test_canonicalize_self_link_counted_once_per_quad() -> None:
    # Spec (and rdf-canonize): a quad is added once to each blank node it mentions, so the
    # first degree hash of _:x covers one line; pyld 3.3.0 adds it twice and labels differ.
    x_once = hashlib.sha256(b"_:a <urn:p> _:a .\n").hexdigest()
    x_twice = hashlib.sha256(b"_:a <urn:p> _:a .\n" * 2).hexdigest()
    y = hashlib.sha256(b"_:a <urn:p> <urn:o1> .\n").hexdigest()
    assert x_twice < y < x_once
    quads = [("_:x", "<urn:p>", "_:x", ""), ("_:y", "<urn:p>", "<urn:o1>", "")]
    assert canonicalize(quads) == "_:c14n0 <urn:p> <urn:o1> .\n_:c14n1 <urn:p> _:c14n1 .\n"


def test_canonicalize_sha384_changes_labels_as_in_w3c_test075() -> None:
    # W3C rdf-canon test suite, test020 / test075 "blank node - diamond" (BSD-3 licence).
    quads = [
        (iri("test"), iri("A"), "_:e0", ""),
        (iri("test"), iri("B"), "_:e1", ""),
        ("_:e0", iri("next"), "_:e2", ""),
        ("_:e1", iri("next"), "_:e2", ""),
    ]
    sha256 = canonicalize(quads)
    sha384 = canonicalize(quads, hash_algorithm="sha384")
    assert sha256.splitlines()[:2] == [
        f"{iri('test')} {iri('A')} _:c14n2 .",
        f"{iri('test')} {iri('B')} _:c14n0 .",
    ]
    assert sha384.splitlines()[:2] == [
        f"{iri('test')} {iri('A')} _:c14n0 .",
        f"{iri('test')} {iri('B')} _:c14n2 .",
    ]


def test_canonicalize_unknown_hash_algorithm_raises() -> None:
    with pytest.raises(JsonLdError):
        canonicalize([], hash_algorithm="md5")


@pytest.mark.parametrize(
    "bad",
    [
        [("<urn:s>", "<urn:p>", "<urn:o>")],
        [("<urn:s>", '"p"', "<urn:o>", "")],
        [('"s"', "<urn:p>", "<urn:o>", "")],
        [("<urn:s>", "<urn:p>", "", "")],
        [("<urn:s>", "<urn:p>", "<urn:o>", '"g"')],
        [["<urn:s>", "<urn:p>", "<urn:o>", ""]],
        [None],
    ],
)
def test_canonicalize_malformed_quad_raises_jsonld_error(bad: list[Quad]) -> None:
    with pytest.raises(JsonLdError) as info:
        canonicalize(bad)
    assert info.value.code == "JSONLD_ERROR"


# --- n-degree graphs against pyld's URDNA2015 ---------------------------------------------------


def twin_forks() -> list[Quad]:
    """Two copies of a blank fork whose branches differ only two hops away: the chosen gossip
    path (smallest of the permutations) decides which branch is labelled first."""
    quads: list[Quad] = []
    for k, (left, right) in enumerate([("1", "2"), ("3", "4")]):
        x, a, b, c, d = (f"_:{name}{k}" for name in "XABCD")
        quads += [
            (x, iri("p"), a, ""),
            (x, iri("p"), b, ""),
            (a, iri("q"), c, ""),
            (b, iri("q"), d, ""),
            (c, iri("v"), f'"{left}"', ""),
            (d, iri("v"), f'"{right}"', ""),
        ]
    return quads


N_DEGREE_GRAPHS: dict[str, list[Quad]] = {
    "twin forks": twin_forks(),
    "ring of 4": ring([f"_:r{i}" for i in range(4)]),
    "ring of 7": ring([f"_:r{i}" for i in range(7)]),
    "two isomorphic rings": ring(["_:a0", "_:a1", "_:a2"]) + ring(["_:b0", "_:b1", "_:b2"]),
    "double ring": ring(["_:a", "_:b", "_:c", "_:d"])
    + ring(["_:d", "_:c", "_:b", "_:a"], predicate="prev"),
    "rings in named graphs": ring(["_:a", "_:b", "_:c"], graph=iri("g1"))
    + ring(["_:d", "_:e", "_:f"], graph=iri("g2")),
    "ring in blank graph": [
        *ring(["_:a", "_:b", "_:c"], graph="_:g"),
        ("_:g", iri("label"), '"graph"', ""),
    ],
    "clique of 4": clique(4),
    "bipartite K3,3": [(f"_:l{i}", iri("p"), f"_:r{j}", "") for i in range(3) for j in range(3)],
    "identical leaves under a blank hub": [
        ("_:hub", iri("has"), f"_:leaf{i}", "") for i in range(4)
    ]
    + [(f"_:leaf{i}", iri("value"), '"same"', "") for i in range(4)],
    "list with repeated values": [
        ("_:l0", iri("first"), '"1"', ""),
        ("_:l0", iri("rest"), "_:l1", ""),
        ("_:l1", iri("first"), '"1"', ""),
        ("_:l1", iri("rest"), "_:l2", ""),
        ("_:l2", iri("first"), '"1"', ""),
        ("_:l2", iri("rest"), "_:l3", ""),
        ("_:l3", iri("first"), '"1"', ""),
        ("_:l3", iri("rest"), iri("nil"), ""),
        (iri("s"), iri("list"), "_:l0", ""),
    ],
    "disjoint identical stars": [
        (f"_:c{k}", iri("p"), f"_:c{k}x{i}", "") for k in range(2) for i in range(3)
    ],
}


@pytest.mark.parametrize("name", sorted(N_DEGREE_GRAPHS))
def test_canonicalize_n_degree_graph_matches_pyld(name: str) -> None:
    quads = N_DEGREE_GRAPHS[name]
    expected = pyld_urdna2015(quads)
    assert canonicalize(quads) == expected
    for seed in range(4):
        assert canonicalize(scramble(quads, seed)) == expected


def test_canonical_label_map_ring_assigns_every_blank_node() -> None:
    labels = [f"_:r{i}" for i in range(5)]
    mapping = canonical_label_map(ring(labels))
    assert sorted(mapping) == [label[2:] for label in labels]
    assert sorted(mapping.values()) == [f"c14n{i}" for i in range(5)]


# --- canonicalisation bombs -----------------------------------------------------------------------


def test_canonicalize_w3c_poison_clique_raises_limit() -> None:
    with pytest.raises(JsonLdError) as info:
        canonicalize(clique(10))
    assert info.value.code == "CANONICALIZATION_LIMIT"


def test_canonicalize_large_clique_raises_limit() -> None:
    with pytest.raises(JsonLdError) as info:
        canonicalize(clique(40))
    assert info.value.code == "CANONICALIZATION_LIMIT"
    assert "work" in info.value.message


def test_canonicalize_identical_stars_raise_limit() -> None:
    # Two blank hubs with identical leaves: every hub permutes all its leaves.
    stars = [(f"_:h{k}", iri("has"), f"_:h{k}l{i}", "") for k in range(2) for i in range(300)]
    with pytest.raises(JsonLdError) as info:
        canonicalize(stars)
    assert info.value.code == "CANONICALIZATION_LIMIT"


def test_canonicalize_too_many_blank_nodes_raises_limit() -> None:
    quads = [(f"_:b{i}", iri("p"), f'"{i}"', "") for i in range(11)]
    assert canonicalize(quads[:10], max_blank_nodes=10).count("_:c14n") == 10
    with pytest.raises(JsonLdError) as info:
        canonicalize(quads, max_blank_nodes=10)
    assert info.value.code == "CANONICALIZATION_LIMIT"
    assert "11 blank nodes" in info.value.message


def test_canonicalize_work_limit_is_configurable() -> None:
    quads = ring([f"_:r{i}" for i in range(6)])
    assert canonicalize(quads, max_work=10_000) == pyld_urdna2015(quads)
    with pytest.raises(JsonLdError) as info:
        canonicalize(quads, max_work=20)
    assert info.value.code == "CANONICALIZATION_LIMIT"


def test_canonicalize_deep_recursion_raises_limit() -> None:
    quads = ring([f"_:r{i}" for i in range(5000)])
    with pytest.raises(JsonLdError) as info:
        canonicalize(quads, max_blank_nodes=10_000, max_work=10**9)
    assert info.value.code == "CANONICALIZATION_LIMIT"


def test_canonicalize_unique_blank_nodes_need_no_work_budget() -> None:
    quads = [(f"_:b{i}", iri("p"), f'"{i}"', "") for i in range(50)]
    out = canonicalize(quads, max_work=0)
    assert out.count("_:c14n") == 50
