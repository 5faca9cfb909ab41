"""One hardened Expat set-up for every SVG credstack reads (baked badges, uploaded images)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from credstack.errors import InvalidInput

__all__ = ["hardened_parser"]

_DECLARED_ENCODING = re.compile(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")


def hardened_parser(
    data: bytes, refuse: Callable[..., Any], *, not_utf8: str
) -> expat.XMLParserType:
    """An Expat parser for ``data``: UTF-8 only (``not_utf8`` is the :class:`InvalidInput`
    message otherwise), namespaces split by a space, parameter entities never read, and
    ``refuse`` called (it should raise) on any DTD, entity or notation declaration, external
    entity or skipped entity: no entity expansion, no file or network access."""
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
        raise InvalidInput(not_utf8)
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SkippedEntityHandler = refuse
    return parser
