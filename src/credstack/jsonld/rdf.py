"""JSON-LD expanded form → RDF quads, and canonical N-Quads (RDFC-1.0) of a document.

``to_quads`` follows JSON-LD 1.1 "Deserialize JSON-LD to RDF"
(https://www.w3.org/TR/json-ld11-api/#deserialize-json-ld-to-rdf-algorithm) directly on the
expanded form (with ``rdfDirection`` null and no generalized RDF), producing quads whose terms
are already N-Quads text, which is what the RDFC-1.0 canonicalizer consumes.
"""

from __future__ import annotations

import math
import re
from typing import Any

from credstack.crypto.jcs import canonicalize_json
from credstack.errors import JsonLdError
from credstack.jsonld.loader import ContextVariant
from credstack.jsonld.processor import expand
from credstack.jsonld.rdfc import Quad, canonicalize, iri_term, literal_term

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = iri_term(RDF + "type")
_RDF_FIRST = iri_term(RDF + "first")
_RDF_REST = iri_term(RDF + "rest")
_RDF_NIL = iri_term(RDF + "nil")
XSD_INTEGER = XSD + "integer"
XSD_DOUBLE = XSD + "double"
XSD_BOOLEAN = XSD + "boolean"
RDF_JSON = RDF + "JSON"
# canonical xsd:double as JSON-LD writes it: "%1.15E" without trailing zeros, "+" or exponent zeros
_DOUBLE_RE = re.compile(r"(\d)0*E\+?(-)?0*(\d)")

MAX_QUADS = 20_000


class _Builder:
    """Walks an expanded document once, emitting quads."""

    __slots__ = ("_counter", "_labels", "quads")

    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self._labels: dict[str, str] = {}
        self._counter = 0

    def _new_blank(self) -> str:
        label = f"_:b{self._counter}"
        self._counter += 1
        return label

    def _subject(self, node_id: str | None) -> str:
        if node_id is None:
            return self._new_blank()
        if node_id.startswith("_:"):
            found = self._labels.get(node_id)
            if found is None:
                found = self._labels[node_id] = self._new_blank()
            return found
        return iri_term(node_id)

    def _emit(self, s: str, p: str, o: str, g: str) -> None:
        quads = self.quads
        quads.append((s, p, o, g))
        if len(quads) > MAX_QUADS:
            raise JsonLdError(
                f"document expands to more than {MAX_QUADS} RDF statements",
                code="CANONICALIZATION_LIMIT",
            )

    def node(self, node: dict[str, Any], graph: str) -> str:
        """Emit a node object's statements in ``graph``; returns its subject term."""
        if "@graph" in node and not any(k not in ("@id", "@graph", "@index") for k in node):
            # a graph object: its @id (or a new blank node) names a graph
            name = self._subject(node.get("@id"))
            for item in node["@graph"]:
                if isinstance(item, dict):
                    self.node(item, name)
            return name
        subject = self._subject(node.get("@id"))
        for key, values in node.items():
            if key[0] == "@":
                if key == "@type":
                    for t in values:
                        self._emit(subject, _RDF_TYPE, self._subject(t), graph)
                elif key == "@graph":
                    # a node with properties and a named graph of its own
                    for item in values:
                        if isinstance(item, dict):
                            self.node(item, subject)
                elif key == "@reverse":
                    for prop, items in values.items():
                        p = iri_term(prop)
                        for item in items:
                            s = self.node(item, graph)
                            self._emit(s, p, subject, graph)
                elif key == "@included":
                    for item in values:
                        self.node(item, graph)
                continue
            p = iri_term(key)
            for item in values:
                obj = self.object(item, graph)
                if obj is not None:
                    self._emit(subject, p, obj, graph)
        return subject

    def object(self, item: Any, graph: str) -> str | None:
        if not isinstance(item, dict):
            return None
        if "@value" in item:
            return _literal(item)
        if "@list" in item:
            return self.list(item["@list"], graph)
        return self.node(item, graph)

    def list(self, items: list[Any], graph: str) -> str:
        if not items:
            return _RDF_NIL
        heads = [self._new_blank() for _ in items]
        for i, item in enumerate(items):
            obj = self.object(item, graph)
            if obj is not None:
                self._emit(heads[i], _RDF_FIRST, obj, graph)
            self._emit(heads[i], _RDF_REST, heads[i + 1] if i + 1 < len(items) else _RDF_NIL, graph)
        return heads[0]


def _literal(item: dict[str, Any]) -> str | None:
    value = item["@value"]
    datatype = item.get("@type")
    language = item.get("@language")
    if datatype == "@json":
        return literal_term(canonicalize_json(value), RDF_JSON)
    if isinstance(value, bool):
        return literal_term("true" if value else "false", datatype or XSD_BOOLEAN)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise JsonLdError("non-finite numbers cannot be expressed in RDF", code="JSONLD_ERROR")
        if (
            (isinstance(value, float) and not value.is_integer())
            or abs(value) >= 1e21
            or datatype == XSD_DOUBLE
        ):
            try:
                text = _DOUBLE_RE.sub(r"\1E\2\3", f"{float(value):1.15E}")
            except OverflowError:
                raise JsonLdError(
                    f"number {value} is outside the range of xsd:double", code="JSONLD_ERROR"
                ) from None
            return literal_term(text, datatype or XSD_DOUBLE)
        return literal_term(str(int(value)), datatype or XSD_INTEGER)
    if value is None:
        return None
    if not isinstance(value, str):
        raise JsonLdError(f"unexpected @value {value!r}", code="JSONLD_ERROR")
    if language is not None and datatype is None:
        return literal_term(value, None, language)
    return literal_term(value, datatype)


def to_quads(expanded: list[Any]) -> list[Quad]:
    """RDF quads of an expanded JSON-LD document (blank node labels are arbitrary)."""
    builder = _Builder()
    for node in expanded:
        if isinstance(node, dict) and "@value" not in node and "@list" not in node:
            builder.node(node, "")
    return builder.quads


def canonical_nquads(
    document: dict[str, Any], variant: ContextVariant = ContextVariant.PUBLISHED
) -> str:
    """Safe-mode expansion, RDF conversion and RDFC-1.0 canonicalization of ``document``."""
    return canonicalize(to_quads(expand(document, variant)))
