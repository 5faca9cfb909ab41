"""The 1EdTech Open Badges 3.0 OpenAPI document (vendored; see ``ORIGIN.md``).

https://www.imsglobal.org/spec/ob/v3p0/#api — the service description document served at
``/ims/ob/v3p0/discovery`` is this document with the server's own URLs filled in.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["OB_SCOPES", "openapi_document", "service_description"]

SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
OB_SCOPES = frozenset(
    SCOPE_PREFIX + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)


@cache
def _text() -> str:
    return (files(__name__) / "imsob_v3p0.json").read_text(encoding="utf-8")


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the vendored OpenAPI 3.0 document."""
    document: dict[str, Any] = json.loads(_text())
    return document


def service_description(
    *,
    api_base: str,
    registration_url: str,
    authorization_url: str,
    token_url: str,
    terms_of_service_url: str,
    privacy_policy_url: str,
    name: str,
) -> dict[str, Any]:
    """The document with ``servers`` and the ``OAuth2ACG`` URLs pointing at this server
    (https://www.imsglobal.org/spec/ob/v3p0/#getservicedescription)."""
    document = openapi_document()
    document["servers"] = [{"url": api_base, "description": name}]
    info = document["info"]
    info["termsOfService"] = terms_of_service_url
    info["x-imssf-privacyPolicyUrl"] = privacy_policy_url
    scheme = copy.deepcopy(document["components"]["securitySchemes"]["OAuth2ACG"])
    scheme["x-imssf-name"] = name
    scheme["x-imssf-registrationUrl"] = registration_url
    flow = scheme["flows"]["authorizationCode"]
    flow["authorizationUrl"] = authorization_url
    flow["tokenUrl"] = token_url
    flow["refreshUrl"] = token_url
    document["components"]["securitySchemes"]["OAuth2ACG"] = scheme
    return document
