"""Shape memo for safe-mode JSON-LD expansion.

Bulk issuance signs thousands of credentials that differ only in their values (learner ids,
names, dates).  JSON-LD expansion of such documents depends on the *shape* of the document,
not on most of its values:

* keys, nesting, value kinds, numbers, booleans and nulls;
* verbatim strings where they act as vocabulary terms or keywords (values of ``type`` and of
  every ``@type: @vocab`` term or keyword key of the bundled contexts, and any string
  starting with ``@``);
* for every other string, only whether it is an absolute IRI, and if so its scheme and
  whether ``//`` follows: IRI expansion of a non-vocabulary value looks at exactly that (a
  prefix before ``:`` may be replaced by the prefix's IRI; the rest is copied).

So one expansion of a *marker* document, where every such string is replaced by a unique
marker of the same class, gives the expansion of every document of that shape by putting the
values back where the markers landed.  Documents that embed a context object, or whose
markers do not each land exactly once, are never templated.  The property tests in
tests/property/test_expansion_property.py compare this with a fresh expansion.
"""

from __future__ import annotations

import re
from typing import Any

from credstack.jsonld.loader import (
    OB_V3P0_CONTEXT,
    ContextVariant,
    bundled_urls,
    load_context,
)

_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*|_):(//)?[^\s]*\Z")
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARKER = re.compile("\ue000([0-9]+)\ue001")
_DICT, _LIST = "{", "["
_REL = ("rel",)


class NoShape(Exception):
    """The document cannot be memoised by shape (embedded context, marker characters)."""


def vocab_sensitive_terms() -> frozenset[str]:
    """Terms whose string values expand as vocabulary terms (``@type: @vocab``) or that alias
    a keyword, across every bundled context at every nesting level."""
    found: set[str] = {"@type", "type"}
    stack: list[Any] = [load_context(url) for url in bundled_urls()]
    stack.append(load_context(OB_V3P0_CONTEXT, ContextVariant.VALIDATOR))
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                aliases_keyword = (
                    isinstance(value, str) and value.startswith("@") and value != "@id"
                )
                definition = isinstance(value, dict) and (
                    value.get("@type") == "@vocab"
                    or (
                        isinstance(value.get("@id"), str)
                        and value["@id"].startswith("@")
                        and value["@id"] != "@id"
                    )
                )
                if aliases_keyword or definition:
                    found.add(key)
                if isinstance(value, (dict, list)):
                    stack.append(value)
    return frozenset(found)


_SENSITIVE: frozenset[str] | None = None


def _sensitive() -> frozenset[str]:
    global _SENSITIVE
    if _SENSITIVE is None:
        _SENSITIVE = vocab_sensitive_terms()
    return _SENSITIVE


def _context_key(context: Any) -> Any:
    if isinstance(context, str):
        return context
    if isinstance(context, list) and all(isinstance(c, str) for c in context):
        return tuple(context)
    raise NoShape


class Shape:
    """A document's shape and the values that the shape abstracts away, in walk order."""

    __slots__ = ("key", "values")

    def __init__(self, key: Any, values: list[str]) -> None:
        self.key = key
        self.values = values


def shape_of(document: dict[str, Any]) -> Shape:
    values: list[str] = []
    sensitive = _sensitive()
    absolute = _ABSOLUTE.match

    def walk(value: Any, verbatim: bool) -> Any:
        if isinstance(value, str):
            if verbatim or value[:1] == "@":
                if _MARK_OPEN in value:
                    raise NoShape
                return value
            m = absolute(value)
            if m is None:
                values.append(value)
                return _REL
            head = m.end(1) + 1 + (2 if m.group(2) else 0)
            values.append(value[head:])
            return ("abs", value[:head])
        if isinstance(value, dict):
            items = []
            for k, v in value.items():
                if k == "@context":
                    items.append((k, _context_key(v)))
                else:
                    items.append((k, walk(v, k in sensitive or k[:1] == "@")))
            return (_DICT, *items)
        if isinstance(value, list):
            return (_LIST, *[walk(v, verbatim) for v in value])
        if isinstance(value, float):
            return ("float", repr(value))  # keeps -0.0 apart from 0.0 (they compare equal)
        return (type(value).__name__, value)

    return Shape(walk(document, False), values)


def marker_document(document: dict[str, Any]) -> Any:
    """The document with every abstracted string replaced by its marker (same walk order)."""
    sensitive = _sensitive()
    absolute = _ABSOLUTE.match
    counter = 0

    def walk(value: Any, verbatim: bool) -> Any:
        nonlocal counter
        if isinstance(value, str):
            if verbatim or value[:1] == "@":
                return value
            marker = f"{_MARK_OPEN}{counter}{_MARK_CLOSE}"
            counter += 1
            m = absolute(value)
            if m is None:
                return marker
            head = m.end(1) + 1 + (2 if m.group(2) else 0)
            return value[:head] + marker
        if isinstance(value, dict):
            return {
                k: v if k == "@context" else walk(v, k in sensitive or k[:1] == "@")
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v, verbatim) for v in value]
        return value

    return walk(document, False)


# A compiled template: ("c", constant) | ("s", before, index, after) | ("d", [(k, t)]) | ("l", [t])
Template = tuple[Any, ...]


def compile_template(expanded: Any, count: int) -> Template | None:
    """Compile the marker expansion; ``None`` when markers do not each land exactly once."""
    seen: list[int] = []

    def walk(node: Any) -> tuple[Template, bool]:
        if isinstance(node, str):
            found = _MARKER.findall(node)
            if not found:
                if _MARK_OPEN in node or _MARK_CLOSE in node:
                    raise NoShape
                return ("c", node), False
            if len(found) != 1:
                raise NoShape
            m = _MARKER.search(node)
            assert m is not None
            index = int(m.group(1))
            seen.append(index)
            return ("s", node[: m.start()], index, node[m.end() :]), True
        if isinstance(node, dict):
            parts = [(k, *walk(v)) for k, v in node.items()]
            if any(p[2] for p in parts):
                return ("d", [(k, t) for k, t, _ in parts]), True
            return ("c", node), False
        if isinstance(node, list):
            items = [walk(v) for v in node]
            if any(dynamic for _, dynamic in items):
                return ("l", [t for t, _ in items]), True
            return ("c", node), False
        return ("c", node), False

    try:
        template, _ = walk(expanded)
    except NoShape:
        return None
    if sorted(seen) != list(range(count)):
        return None
    return template


def instantiate(template: Template, values: list[str]) -> Any:
    """The expanded form for a document of the template's shape with these values.

    Constant subtrees are shared between instances; callers must not mutate the result.
    """
    kind = template[0]
    if kind == "c":
        return template[1]
    if kind == "s":
        return template[1] + values[template[2]] + template[3]
    if kind == "d":
        return {k: instantiate(t, values) for k, t in template[1]}
    return [instantiate(t, values) for t in template[1]]
