"""A key resolver for did:key, did:web and https controller documents.

Follows "Retrieve Verification Method" of W3C Controlled Identifiers 1.0
(https://www.w3.org/TR/cid-1.0/#retrieve-verification-method): the document is the method
id without its fragment, its ``id`` must be that URL, the method is found in it by id, and
the method's ``controller`` must be the document.  did:key is resolved offline; other
documents come first from documents supplied up front (``--did-document``) and only then,
when a fetcher was given, from the network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from credstack.crypto.multibase import decode_multibase
from credstack.errors import InvalidInput, ResolutionError
from credstack.resolve.base import Fetcher, ResolvedMethod, VerificationMethod
from credstack.resolve.did_key import resolve_did_key
from credstack.resolve.did_web import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DidWebResolver,
    did_web_to_url,
    parse_json,
)

__all__ = ["RELATIONSHIPS", "SUPPORTED_METHOD_TYPES", "CompositeResolver", "load_documents"]

RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
MULTIBASE_TYPES = frozenset({"Multikey", "Ed25519VerificationKey2020"})
JWK_TYPES = frozenset({"JsonWebKey2020", "JsonWebKey"})
SUPPORTED_METHOD_TYPES = MULTIBASE_TYPES | JWK_TYPES
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CONTROLLER_ACCEPT = "application/ld+json, application/json;q=0.9"


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _is_bare_method(document: dict[str, Any]) -> bool:
    """A lone verification method document rather than a controller document."""
    return (
        "controller" in document
        and "type" in document
        and "verificationMethod" not in document
        and not any(name in document for name in RELATIONSHIPS)
    )


def _absolute(reference: str, document_id: str) -> str:
    return document_id + reference if reference.startswith("#") else reference


def _as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict | str):
        return [value]
    raise ResolutionError(f"{what} must be a list", code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT")


def _method_id(node: dict[str, Any], document_id: str) -> str:
    vm_id = node.get("id")
    if not isinstance(vm_id, str) or not vm_id:
        raise ResolutionError(
            f"a verification method in {document_id} has no id",
            code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
        )
    return _absolute(vm_id, document_id)


def _normal(node: dict[str, Any], document_id: str) -> dict[str, Any]:
    """A method's JSON for comparison: no ``@context``, absolute ``id`` and ``controller``."""
    out = {key: value for key, value in node.items() if key != "@context"}
    for key in ("id", "controller"):
        if isinstance(out.get(key), str):
            out[key] = _absolute(out[key], document_id)
    return out


def _find_method(
    document: dict[str, Any], method_id: str, lone: dict[str, Any] | None = None
) -> tuple[dict[str, Any], frozenset[str]]:
    """The method ``method_id`` in ``document`` and the relationships that list it.

    ``lone`` is the method's own document when it was dereferenced on its own; the
    controller document may then list it by reference only.
    """
    document_id = document["id"]
    found: list[dict[str, Any]] = []
    for node in _as_list(document.get("verificationMethod"), "verificationMethod"):
        if not isinstance(node, dict):
            raise ResolutionError(
                f"verificationMethod entries in {document_id} must be objects",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
            )
        if _method_id(node, document_id) == method_id:
            found.append(node)
    relationships: set[str] = set()
    for name in RELATIONSHIPS:
        for entry in _as_list(document.get(name), name):
            if isinstance(entry, str):
                if _absolute(entry, document_id) == method_id:
                    relationships.add(name)
            elif isinstance(entry, dict):
                if _method_id(entry, document_id) == method_id:
                    relationships.add(name)
                    found.append(entry)
            else:
                raise ResolutionError(
                    f"{name} entries in {document_id} must be ids or objects",
                    code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
                )
    if lone is not None:
        found.append(lone)
    if not found:
        raise ResolutionError(
            f"{document_id} has no verification method {method_id}",
            code="UNRESOLVABLE_VERIFICATION_METHOD",
        )
    first = _normal(found[0], document_id)
    for other in found[1:]:
        if _normal(other, document_id) != first:
            raise ResolutionError(
                f"{method_id} is described differently in {document_id}",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
            )
    if lone is not None and len(found) == 1 and not relationships:
        raise ResolutionError(
            f"{document_id} does not list {method_id}",
            code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
        )
    return found[0], frozenset(relationships)


def _method(node: dict[str, Any], method_id: str, document_id: str) -> VerificationMethod:
    """A :class:`VerificationMethod` from its JSON, with type, key and controller checked."""
    vm_type = node.get("type")
    if not isinstance(vm_type, str) or vm_type not in SUPPORTED_METHOD_TYPES:
        raise ResolutionError(
            f"{method_id} has unsupported type {vm_type!r}", code="INVALID_VERIFICATION_METHOD"
        )
    controller = node.get("controller")
    if not isinstance(controller, str) or _absolute(controller, document_id) != document_id:
        raise ResolutionError(
            f"{method_id} is controlled by {controller!r}, not by its document {document_id}",
            code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
        )
    if "secretKeyMultibase" in node or "privateKeyMultibase" in node:
        raise ResolutionError(f"{method_id} publishes a secret key", code="INVALID_KEY")
    multibase: str | None = None
    jwk: dict[str, Any] | None = None
    if vm_type in MULTIBASE_TYPES:
        value = node.get("publicKeyMultibase")
        if not isinstance(value, str):
            raise ResolutionError(f"{method_id} has no publicKeyMultibase", code="INVALID_KEY")
        try:
            decode_multibase(value)
        except InvalidInput as exc:
            raise ResolutionError(f"{method_id}: {exc.message}", code="INVALID_KEY") from exc
        multibase = value
    else:
        value = node.get("publicKeyJwk")
        if not isinstance(value, dict) or not isinstance(value.get("kty"), str):
            raise ResolutionError(f"{method_id} has no publicKeyJwk with a kty", code="INVALID_KEY")
        if _PRIVATE_JWK_MEMBERS & value.keys():
            raise ResolutionError(f"{method_id} publishes private JWK members", code="INVALID_KEY")
        jwk = copy.deepcopy(value)
    return VerificationMethod(
        id=method_id,
        type=vm_type,
        controller=document_id,
        public_key_multibase=multibase,
        public_key_jwk=jwk,
        raw=copy.deepcopy(node),
    )


def _document_id(method_id: str) -> tuple[str, str | None]:
    base, sep, fragment = method_id.partition("#")
    return base, fragment if sep else None


class CompositeResolver:
    """Resolves did:key offline, and did:web / https methods from supplied or fetched documents.

    ``documents`` are DID documents, https controller documents, or lone verification-method
    documents (``{"id", "type", "controller", "publicKeyMultibase"}``) whose controller
    document is supplied too or fetched.  Without ``fetcher`` nothing is fetched.
    """

    def __init__(
        self,
        *,
        documents: Iterable[dict[str, Any]] = (),
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = _system_clock,
        ttl: timedelta = timedelta(minutes=5),
        max_entries: int = 256,
        max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    ) -> None:
        self._controllers: dict[str, dict[str, Any]] = {}
        self._lone: dict[str, dict[str, Any]] = {}
        for document in documents:
            self._add(document)
        self._remote = (
            DidWebResolver(
                fetcher, clock=clock, ttl=ttl, max_entries=max_entries, max_bytes=max_document_bytes
            )
            if fetcher is not None
            else None
        )

    def _add(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise InvalidInput("a supplied document must be a JSON object")
        doc_id = document.get("id")
        if not isinstance(doc_id, str) or not doc_id:
            raise InvalidInput("a supplied document has no id")
        if not doc_id.startswith(("did:", "https://")):
            raise InvalidInput(f"supplied document id {doc_id!r} is not a DID or https URL")
        target = self._lone if _is_bare_method(document) else self._controllers
        if target is self._controllers and "#" in doc_id:
            raise InvalidInput(f"controller document id {doc_id!r} has a fragment")
        existing = target.get(doc_id)
        if existing is not None and existing != document:
            raise InvalidInput(f"two different documents were supplied for {doc_id}")
        target[doc_id] = copy.deepcopy(document)

    def _controller_document(self, document_id: str) -> dict[str, Any]:
        supplied = self._controllers.get(document_id)
        if supplied is not None:
            return supplied
        if self._remote is None:
            raise ResolutionError(
                f"the document of {document_id} was not supplied and network access is off",
                code="UNRESOLVABLE_VERIFICATION_METHOD",
            )
        if document_id.startswith("did:web:"):
            return self._remote.resolve_document(document_id)
        return self._remote.get(document_id, document_id, accept=_CONTROLLER_ACCEPT)

    def _lone_method(self, method_id: str) -> dict[str, Any]:
        supplied = self._lone.get(method_id)
        if supplied is not None:
            return supplied
        if self._remote is None:
            raise ResolutionError(
                f"the document of {method_id} was not supplied and network access is off",
                code="UNRESOLVABLE_VERIFICATION_METHOD",
            )
        node = self._remote.get(method_id, method_id, accept=_CONTROLLER_ACCEPT)
        if not _is_bare_method(node):
            raise ResolutionError(
                f"{method_id} is not a verification method", code="INVALID_VERIFICATION_METHOD"
            )
        return node

    def resolve(self, method_id: str) -> ResolvedMethod:
        """The verification method ``method_id`` with its controller document."""
        if not isinstance(method_id, str) or not method_id:
            raise ResolutionError(
                "a verification method id must be a non-empty string",
                code="INVALID_VERIFICATION_METHOD",
            )
        if method_id.startswith("did:key:"):
            return resolve_did_key(method_id)
        base, fragment = _document_id(method_id)
        if method_id.startswith("did:web:"):
            did_web_to_url(base)  # syntax check before any look-up
            if not fragment:
                raise ResolutionError(
                    f"{method_id} names a DID, not a verification method",
                    code="INVALID_VERIFICATION_METHOD",
                )
        elif method_id.startswith("https://"):
            if fragment == "":
                raise ResolutionError(
                    f"{method_id} has an empty fragment", code="INVALID_VERIFICATION_METHOD"
                )
        elif method_id.startswith("did:"):
            method = method_id.split(":", 2)[1]
            raise ResolutionError(
                f"DID method {method!r} is not supported", code="UNSUPPORTED_DID_METHOD"
            )
        else:
            raise ResolutionError(
                f"{method_id!r} is not a DID URL or https URL", code="INVALID_VERIFICATION_METHOD"
            )

        lone: dict[str, Any] | None = None
        if fragment is None:  # an https URL that names a lone verification method
            lone = self._lone_method(method_id)
            controller = lone.get("controller")
            if not isinstance(controller, str) or "#" in controller:
                raise ResolutionError(
                    f"{method_id} has no usable controller",
                    code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
                )
            base = controller
        document = self._controller_document(base)
        if document.get("id") != base:
            raise ResolutionError(
                f"document for {base} has id {document.get('id')!r}",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
            )
        node, relationships = _find_method(document, method_id, lone)
        return ResolvedMethod(
            method=_method(node, method_id, base),
            controller_document=copy.deepcopy(document),
            relationships=relationships,
        )


def load_documents(
    paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
) -> list[dict[str, Any]]:
    """Read documents for :class:`CompositeResolver` from JSON files.

    Each file holds one document (a JSON object) or a JSON array of them.
    """
    documents: list[dict[str, Any]] = []
    for entry in paths:
        path = Path(entry)
        try:
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
        value = parse_json(data, max_bytes=max_bytes, source=str(path))
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                raise InvalidInput(f"{path} must hold a JSON object or an array of objects")
            documents.append(item)
    return documents
