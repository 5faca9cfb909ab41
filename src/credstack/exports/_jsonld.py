"""Safe-mode JSON-LD expansion of exported documents, over vendored contexts only.

An export is checked by expanding it with the contexts its format publishes (copies in
``vendor/``, see ``vendor/ORIGIN.md``; credentials v1 comes from credstack's bundled
contexts).  A term no context defines, or a relative IRI, is reported: a consumer would
silently drop that data.  Nothing is ever fetched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from pyld.jsonld import JsonLdError as PyldError
from pyld.jsonld import JsonLdProcessor

from credstack.errors import CredstackError, JsonLdError
from credstack.jsonld.loader import is_bundled, load_context
from credstack.jsonld.processor import check_absolute_iris

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
EDC_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"

#: context URL -> vendored file
_VENDORED = {
    OB2_CONTEXT: "openbadges-v2-context.json",
    EDC_CONTEXT: "edc-ap-context.jsonld",
}


@cache
def vendored(name: str) -> Any:
    """A parsed file of ``credstack/exports/vendor``."""
    path = resources.files("credstack.exports").joinpath(f"vendor/{name}")
    return json.loads(path.read_text("utf-8"))


def _loader(url: str, options: Any = None) -> dict[str, Any]:
    if url in _VENDORED:
        document = vendored(_VENDORED[url])
    elif is_bundled(url):
        document = load_context(url)
    else:
        raise JsonLdError(
            f"context {url!r} is not vendored; remote contexts are never fetched",
            code="LOADING_DOCUMENT_FAILED",
        )
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
        "contentType": "application/ld+json",
    }


def expand(document: Mapping[str, Any]) -> tuple[list[Any], list[str]]:
    """``document`` expanded in safe mode: (expanded nodes, problems).  On a problem the
    expansion may be partial; the problems say what a JSON-LD consumer would lose."""
    dropped: list[str] = []
    processor = JsonLdProcessor(on_property_dropped=lambda term: dropped.append(str(term)))
    try:
        expanded = processor.expand(dict(document), {"documentLoader": _loader})
    except PyldError as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, CredstackError):
            cause = cause.__cause__ or cause.__context__
        detail = str(cause) if cause is not None else str(exc).splitlines()[0]
        return [], [f"JSON-LD processing failed: {detail}"]
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        return [], [f"JSON-LD processing failed: {type(exc).__name__}: {exc}"]
    problems = [
        f"term {term!r} is not defined by the document's @context (it would be dropped)"
        for term in sorted(set(dropped))
    ]
    nodes: list[Any] = expanded if isinstance(expanded, list) else [expanded]
    try:
        check_absolute_iris(nodes)
    except CredstackError as exc:
        problems.append(exc.message)
    return nodes, problems


def walk(expanded: list[Any]) -> Iterator[dict[str, Any]]:
    """Every node object (a dict with properties) in an expanded document, depth first."""
    stack: list[Any] = list(expanded)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "@value" in item:
                continue
            if "@list" in item:
                stack.append(item["@list"])
                continue
            yield item
            for key, value in item.items():
                if key not in ("@id", "@type"):
                    stack.append(value)
