"""RDF Dataset Canonicalization (RDFC-1.0), https://www.w3.org/TR/rdf-canon/.

Quads are tuples of already serialized N-Quads terms ``(subject, predicate, object, graph)``
with ``graph == ""`` for the default graph.  Build terms with :func:`iri_term`,
:func:`blank_term` and :func:`literal_term` so that literals are in canonical N-Quads form
(https://www.w3.org/TR/rdf-canon/#canonical-quads).

The common case (every blank node has a unique first degree hash) does no n-degree work.
Datasets that need too much n-degree work ("poison graphs") raise
``JsonLdError(code="CANONICALIZATION_LIMIT")``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from credstack.errors import JsonLdError

__all__ = [
    "Quad",
    "blank_term",
    "canonical_label_map",
    "canonicalize",
    "escape_string",
    "iri_term",
    "literal_term",
]

Quad = tuple[str, str, str, str]
"""(subject, predicate, object, graph) as serialized N-Quads terms; graph "" = default graph."""

XSD_STRING: Final = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_HASHES: Final[dict[str, Callable[[bytes], hashlib._Hash]]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
}

# --- canonical N-Quads terms -------------------------------------------------------------------

_ECHAR: Final = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
# Everything that is not written as itself: ECHAR characters, the other C0 controls, DEL,
# and code points outside XML 1.1 ``Char`` (NUL, surrogates, U+FFFE, U+FFFF).
_NEEDS_ESCAPE: Final = re.compile('[\x00-\x1f"\\\\\x7f\ud800-\udfff\ufffe\uffff]')
_IRI_FORBIDDEN: Final = re.compile('[\x00-\x20<>"{}|^`\\\\\ud800-\udfff]')
_IRI_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LANGTAG: Final = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*")
_BLANK_LABEL_FORBIDDEN: Final = re.compile('[\x00-\x20<>"{}|^`\\\\\x7f\ud800-\udfff]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


def escape_string(value: str) -> str:
    r"""Escape a literal's lexical form for ``STRING_LITERAL_QUOTE`` in canonical N-Quads.

    RDFC-1.0 appendix A "A Canonical form of N-Quads"
    (https://www.w3.org/TR/rdf-canon/#canonical-quads): BS, HT, LF, FF, CR, ``"`` and ``\``
    use ECHAR (``\b \t \n \f \r \" \\``); U+0000-U+0007, VT (U+000B), U+000E-U+001F, DEL
    (U+007F) and code points outside the XML 1.1 ``Char`` production (surrogates, U+FFFE,
    U+FFFF) use UCHAR (``\u`` and four upper-case hex digits); every other character is
    written as is.
    """
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def iri_term(iri: str) -> str:
    """Serialize an absolute IRI as an N-Quads ``IRIREF`` (``<iri>``), characters as is.

    Raises ``JsonLdError`` (RELATIVE_IRI_ERROR) without a scheme, and (JSONLD_ERROR) for
    characters that an IRI cannot contain (space, controls, ``<>"{}|^`\\``, surrogates).
    """
    if _IRI_SCHEME.match(iri) is None:
        raise JsonLdError(f"not an absolute IRI: {iri!r}", code="RELATIVE_IRI_ERROR")
    if _IRI_FORBIDDEN.search(iri) is not None:
        raise JsonLdError(f"IRI contains a forbidden character: {iri!r}", code="JSONLD_ERROR")
    return f"<{iri}>"


def blank_term(label: str) -> str:
    """Serialize a blank node label (without ``_:``) as ``_:label``."""
    if not label or _BLANK_LABEL_FORBIDDEN.search(label) is not None or label.startswith("_:"):
        raise JsonLdError(f"invalid blank node label: {label!r}", code="JSONLD_ERROR")
    return f"_:{label}"


def literal_term(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """Serialize a literal in canonical N-Quads form.

    ``xsd:string`` (or no datatype) gives a simple literal ``"value"``; a language gives
    ``"value"@tag`` (datatype must then be absent or ``rdf:langString``).  The language tag is
    written as given: RDFC-1.0 does not change its case.
    """
    body = '"' + escape_string(value) + '"'
    if language is not None:
        if datatype is not None and datatype != RDF_LANG_STRING:
            raise JsonLdError(
                f"a literal cannot have both language {language!r} and datatype {datatype!r}",
                code="JSONLD_ERROR",
            )
        if _LANGTAG.fullmatch(language) is None:
            raise JsonLdError(f"invalid language tag: {language!r}", code="JSONLD_ERROR")
        return f"{body}@{language}"
    if datatype is None or datatype == XSD_STRING:
        return body
    if datatype == RDF_LANG_STRING:
        raise JsonLdError("rdf:langString literal without a language tag", code="JSONLD_ERROR")
    return f"{body}^^{iri_term(datatype)}"


# --- the algorithm -----------------------------------------------------------------------------


def distinct_permutations(items: list[str]) -> Iterator[tuple[str, ...]]:
    """Every distinct ordering of ``items`` once, in lexicographic order.

    The related-node list of Hash N-Degree Quads can name one node several times (a node with
    many statements in a blank-node graph relates to the graph name once per statement).
    Orderings that differ only by swapping equal entries give the same path, so each distinct
    ordering is tried once, as the reference implementations do; a plain ``permutations``
    would try n! identical ones.
    """
    current = sorted(items)
    n = len(current)
    while True:
        yield tuple(current)
        # next lexicographic permutation (Narayana Pandita); stop after the last one
        i = n - 2
        while i >= 0 and current[i] >= current[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while current[j] <= current[i]:
            j -= 1
        current[i], current[j] = current[j], current[i]
        current[i + 1 :] = reversed(current[i + 1 :])


class _IdentifierIssuer:
    """Identifier issuer (https://www.w3.org/TR/rdf-canon/#issue-identifier).

    ``issued`` maps existing identifiers (``_:x`` terms) to issued labels without ``_:``, in
    issue order (dicts keep insertion order).
    """

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        label = self.issued.get(existing)
        if label is None:
            label = f"{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = label
        return label

    def copy(self) -> _IdentifierIssuer:
        clone = _IdentifierIssuer(self.prefix)
        clone.counter = self.counter
        clone.issued = self.issued.copy()
        return clone


class _Canonicalizer:
    """Canonicalization state (https://www.w3.org/TR/rdf-canon/#canon-state) plus a work meter."""

    __slots__ = ("bnode_quads", "canonical", "first_degree", "hasher", "max_work", "work")

    def __init__(
        self,
        bnode_quads: dict[str, list[Quad]],
        hasher: Callable[[bytes], hashlib._Hash],
        max_work: int,
    ) -> None:
        self.bnode_quads = bnode_quads
        self.canonical = _IdentifierIssuer("c14n")
        self.first_degree: dict[str, str] = {}
        self.hasher = hasher
        self.max_work = max_work
        self.work = 0

    def hash(self, data: str) -> str:
        return self.hasher(data.encode("utf-8")).hexdigest()

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > self.max_work:
            raise JsonLdError(
                f"RDFC-1.0 canonicalization needs more than {self.max_work} units of n-degree "
                "work (blank node structure too symmetric); refusing the dataset",
                code="CANONICALIZATION_LIMIT",
            )

    def hash_first_degree(self, reference: str) -> str:
        """Hash First Degree Quads (https://www.w3.org/TR/rdf-canon/#hash-1d-quads)."""
        nquads = []
        for s, p, o, g in self.bnode_quads[reference]:
            if s[0] == "_":
                s = "_:a" if s == reference else "_:z"
            if o[0] == "_":
                o = "_:a" if o == reference else "_:z"
            if g:
                if g[0] == "_":
                    g = "_:a" if g == reference else "_:z"
                nquads.append(f"{s} {p} {o} {g} .\n")
            else:
                nquads.append(f"{s} {p} {o} .\n")
        nquads.sort()
        result = self.hash("".join(nquads))
        self.first_degree[reference] = result
        return result

    def hash_related(
        self, related: str, predicate: str, issuer: _IdentifierIssuer, position: str
    ) -> str:
        """Hash Related Blank Node (https://www.w3.org/TR/rdf-canon/#hash-related-blank-node)."""
        label = self.canonical.issued.get(related) or issuer.issued.get(related)
        identifier = "_:" + label if label is not None else self.first_degree[related]
        if position == "g":
            return self.hash(position + identifier)
        return self.hash(position + predicate + identifier)

    def hash_n_degree(
        self, identifier: str, issuer: _IdentifierIssuer
    ) -> tuple[str, _IdentifierIssuer]:
        """Hash N-Degree Quads (https://www.w3.org/TR/rdf-canon/#hash-nd-quads)."""
        quads = self.bnode_quads[identifier]
        self.charge(1 + len(quads))
        related_map: dict[str, list[str]] = {}
        for s, p, o, g in quads:
            if s[0] == "_" and s != identifier:
                related_map.setdefault(self.hash_related(s, p, issuer, "s"), []).append(s)
            if o[0] == "_" and o != identifier:
                related_map.setdefault(self.hash_related(o, p, issuer, "o"), []).append(o)
            if g and g[0] == "_" and g != identifier:
                related_map.setdefault(self.hash_related(g, p, issuer, "g"), []).append(g)

        canonical = self.canonical.issued
        data_to_hash: list[str] = []
        for related_hash in sorted(related_map):
            data_to_hash.append(related_hash)
            chosen_path = ""
            chosen_issuer: _IdentifierIssuer | None = None
            for perm in distinct_permutations(related_map[related_hash]):
                # copying a large issuer is work too: charge a unit per 8 entries copied
                self.charge(len(perm) + (len(issuer.issued) >> 3))
                issuer_copy = issuer.copy()
                path = ""
                recursion_list: list[str] = []
                skip = False
                for related in perm:
                    label = canonical.get(related)
                    if label is None:
                        if related not in issuer_copy.issued:
                            recursion_list.append(related)
                        label = issuer_copy.issue(related)
                    path += "_:" + label
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion_list:
                    result_hash, issuer_copy = self.hash_n_degree(related, issuer_copy)
                    path += "_:" + issuer_copy.issue(related) + "<" + result_hash + ">"
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data_to_hash.append(chosen_path)
            if chosen_issuer is not None:
                issuer = chosen_issuer
        return self.hash("".join(data_to_hash)), issuer

    def label_blank_nodes(self) -> None:
        """Canonicalization algorithm steps 3-5 (https://www.w3.org/TR/rdf-canon/#canon-algo-algo)."""
        hash_to_bnodes: dict[str, list[str]] = {}
        for bnode in self.bnode_quads:
            hash_to_bnodes.setdefault(self.hash_first_degree(bnode), []).append(bnode)

        shared: list[list[str]] = []
        for first_hash in sorted(hash_to_bnodes):
            bnodes = hash_to_bnodes[first_hash]
            if len(bnodes) == 1:
                self.canonical.issue(bnodes[0])
            else:
                shared.append(bnodes)

        for bnodes in shared:
            hash_path_list: list[tuple[str, _IdentifierIssuer]] = []
            for bnode in bnodes:
                if bnode in self.canonical.issued:
                    continue
                temporary = _IdentifierIssuer("b")
                temporary.issue(bnode)
                hash_path_list.append(self.hash_n_degree(bnode, temporary))
            hash_path_list.sort(key=lambda result: result[0])
            for _, result_issuer in hash_path_list:
                for existing in result_issuer.issued:
                    self.canonical.issue(existing)


def _malformed(quad: object) -> JsonLdError:
    return JsonLdError(f"malformed quad for canonicalization: {quad!r}", code="JSONLD_ERROR")


def _run(
    quads: Iterable[Quad], max_blank_nodes: int, max_work: int, hash_algorithm: str
) -> tuple[list[str], dict[str, str]]:
    """Canonical N-Quads lines (sorted) and the issued identifiers map (labels without ``_:``)."""
    hasher = _HASHES.get(hash_algorithm)
    if hasher is None:
        raise JsonLdError(f"unsupported hash algorithm {hash_algorithm!r}", code="JSONLD_ERROR")
    lines: list[str] = []
    blank_quads: list[Quad] = []
    bnode_quads: dict[str, list[Quad]] = {}
    try:
        for quad in dict.fromkeys(quads):  # an RDF dataset is a set: drop duplicate quads
            s, p, o, g = quad
            s0, o0 = s[0], o[0]
            if p[0] != "<" or s0 not in "<_" or o0 not in '<_"' or (g and g[0] not in "<_"):
                raise _malformed(quad)
            blank = False
            if s0 == "_":
                bnode_quads.setdefault(s, []).append(quad)
                blank = True
            if o0 == "_" and o != s:
                bnode_quads.setdefault(o, []).append(quad)
                blank = True
            if g and g[0] == "_":
                if g != s and g != o:
                    bnode_quads.setdefault(g, []).append(quad)
                blank = True
            if blank:
                blank_quads.append(quad)
            else:
                lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    except (TypeError, ValueError, IndexError) as exc:
        raise JsonLdError(
            f"malformed quads for canonicalization: {exc}", code="JSONLD_ERROR"
        ) from exc

    if len(bnode_quads) > max_blank_nodes:
        raise JsonLdError(
            f"dataset has {len(bnode_quads)} blank nodes, more than the limit of "
            f"{max_blank_nodes}; refusing to canonicalize",
            code="CANONICALIZATION_LIMIT",
        )
    label_map: dict[str, str] = {}
    if bnode_quads:
        state = _Canonicalizer(bnode_quads, hasher, max_work)
        try:
            state.label_blank_nodes()
        except RecursionError as exc:
            raise JsonLdError(
                "RDFC-1.0 canonicalization recursed too deeply (blank node chain too long)",
                code="CANONICALIZATION_LIMIT",
            ) from exc
        except UnicodeEncodeError as exc:
            raise JsonLdError(
                f"quad term is not valid Unicode text: {exc}", code="JSONLD_ERROR"
            ) from exc
        label_map = state.canonical.issued
        terms = {bnode: "_:" + label for bnode, label in label_map.items()}
        get = terms.get
        for s, p, o, g in blank_quads:
            if g:
                lines.append(f"{get(s, s)} {p} {get(o, o)} {get(g, g)} .\n")
            else:
                lines.append(f"{get(s, s)} {p} {get(o, o)} .\n")
    lines.sort()
    return lines, label_map


def canonicalize(
    quads: Iterable[Quad],
    *,
    max_blank_nodes: int = 2000,
    max_work: int = 100_000,
    hash_algorithm: str = "sha256",
) -> str:
    """Return the RDFC-1.0 serialized canonical form (https://www.w3.org/TR/rdf-canon/#serialization).

    Each quad in canonical N-Quads form ending with LF, sorted in code point order, duplicates
    removed.  Raises ``JsonLdError(code="CANONICALIZATION_LIMIT")`` for more than
    ``max_blank_nodes`` blank nodes or more than ``max_work`` units of n-degree work (one unit
    per recursive call, per quad it scans, per permutation element it tries and per 8 issued
    identifiers it copies).
    """
    lines, _ = _run(quads, max_blank_nodes, max_work, hash_algorithm)
    return "".join(lines)


def canonical_label_map(
    quads: Iterable[Quad],
    *,
    max_blank_nodes: int = 2000,
    max_work: int = 100_000,
    hash_algorithm: str = "sha256",
) -> dict[str, str]:
    """Return the issued identifiers map: input blank label -> canonical label (no ``_:``)."""
    _, label_map = _run(quads, max_blank_nodes, max_work, hash_algorithm)
    return {bnode[2:]: label for bnode, label in label_map.items()}
