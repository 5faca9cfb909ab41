"""The bundled JSON-LD contexts and the only document loader credstack uses.

Contexts ship inside the package (``contexts/``, origins in ``contexts/ORIGIN.md``).  Any URL
that is not bundled is refused with ``LOADING_DOCUMENT_FAILED``: credstack never fetches a
context from the network.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from credstack.errors import JsonLdError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"

_VALIDATOR_VARIANT_FILE = "ob-v3p0-context-3.0.3.1edtech-validator-variant.json"


class ContextVariant(StrEnum):
    """Which copy of the OB 3.0.3 context to serve.

    ``published`` is the file 1EdTech publishes; ``validator`` is the 1EdTech validator's copy,
    which adds the top-level terms ``jti`` and ``endorsementJwt``.  Both are in use.
    """

    PUBLISHED = "published"
    VALIDATOR = "validator"


#: terms only the validator variant defines
VALIDATOR_ONLY_TERMS = frozenset({"jti", "endorsementJwt"})


@cache
def _index() -> dict[str, str]:
    text = resources.files("credstack.jsonld").joinpath("contexts/index.json").read_text("utf-8")
    index: dict[str, str] = json.loads(text)
    return index


@cache
def _load_file(name: str) -> Any:
    text = resources.files("credstack.jsonld").joinpath(f"contexts/{name}").read_text("utf-8")
    return json.loads(text)


def bundled_urls() -> frozenset[str]:
    """Every context URL credstack can load."""
    return frozenset(_index())


def is_bundled(url: str) -> bool:
    return url in _index()


def load_context(url: str, variant: ContextVariant = ContextVariant.PUBLISHED) -> Any:
    """The parsed bundled context for ``url``; refuses anything not bundled."""
    if variant is ContextVariant.VALIDATOR and url == OB_V3P0_CONTEXT:
        return _load_file(_VALIDATOR_VARIANT_FILE)
    name = _index().get(url)
    if name is None:
        raise JsonLdError(
            f"context {url!r} is not one of credstack's bundled contexts; "
            "remote contexts are never fetched",
            code="LOADING_DOCUMENT_FAILED",
        )
    return _load_file(name)


class StaticDocumentLoader:
    """A pyld document loader that serves only the bundled contexts."""

    def __init__(self, variant: ContextVariant = ContextVariant.PUBLISHED) -> None:
        self.variant = variant

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": load_context(url, self.variant),
            "contentType": "application/ld+json",
        }
