"""Importing registries: credstack's signed trust lists, and DCC issuer-registry files.

**Signed trust list** (``docs/trust.md`` has a full example).  A W3C Verifiable Credential
2.0 signed with a Data Integrity proof by the list's publisher::

    {
      "@context": ["https://www.w3.org/ns/credentials/v2", TRUST_LIST_CONTEXT],
      "id": "urn:uuid:…",                      # this edition of the list
      "type": ["VerifiableCredential", "IssuerRegistryCredential"],
      "issuer": "did:…",                        # the publisher
      "validFrom": "…", "validUntil": "…",      # when this edition may be used
      "credentialSubject": {
        "id": "https://…/list",                 # the list itself, across editions
        "type": "IssuerRegistry",
        "name": "…", "description": "…",
        "entries": [{"id": "did:…", "name": "…", "role": "issuer" | "accreditor",
                     "listedFrom": "…", "listedUntil": "…",
                     "achievementTypes": ["…"], "url": "https://…"}]
      },
      "proof": {…}
    }

:func:`read_trust_list` refuses a list whose issuer is not the publisher the importer pinned,
or whose proof does not verify with the publisher's key (the project's verifier, offline:
did:key, or the DID documents the importer supplies), or that is outside its validity period.

**DCC issuer registry** (the Digital Credentials Consortium's "legacy" registry files, as read
by its ``issuer-registry-client``): an unsigned JSON object ``{"meta": {"created": …,
"updated": …}, "registry": {"did:…": {"name": …, "location": …, "url": …}}}`` (older files
say ``entries`` for ``registry``).  :func:`read_dcc_registry` reads one; it carries no
signature, so it is only as trustworthy as the copy the operator imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credstack.errors import CredstackError, InvalidInput, ProofError
from credstack.jsonld.loader import CREDENTIALS_V2
from credstack.proofs.dataintegrity import format_datetime, parse_datetime
from credstack.resolve.resolver import CompositeResolver
from credstack.trust.model import (
    MAX_DESCRIPTION,
    MAX_ENTRIES,
    MAX_NAME,
    EntryRole,
    RegistryEntry,
    check_did,
    new_entry,
)
from credstack.verify.report import StepName
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "TRUST_LIST_CONTEXT",
    "TRUST_LIST_SUBJECT",
    "TRUST_LIST_TYPE",
    "DccRegistry",
    "TrustList",
    "build_trust_list",
    "read_dcc_registry",
    "read_trust_list",
]

TRUST_LIST_TYPE = "IssuerRegistryCredential"
TRUST_LIST_SUBJECT = "IssuerRegistry"
_NS = "urn:credstack:trust#"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
#: the context a trust list embeds after the VC 2.0 context (exactly this: its terms' meaning
#: is fixed, and nothing is fetched)
TRUST_LIST_CONTEXT: dict[str, Any] = {
    TRUST_LIST_TYPE: _NS + TRUST_LIST_TYPE,
    TRUST_LIST_SUBJECT: _NS + TRUST_LIST_SUBJECT,
    "entries": {"@id": _NS + "entries", "@container": "@set"},
    "role": _NS + "role",
    "listedFrom": {"@id": _NS + "listedFrom", "@type": _XSD_DATETIME},
    "listedUntil": {"@id": _NS + "listedUntil", "@type": _XSD_DATETIME},
    "achievementTypes": {"@id": _NS + "achievementTypes", "@container": "@set"},
    "url": {"@id": "https://schema.org/url", "@type": "@id"},
}
_ENTRY_KEYS = frozenset(
    {"id", "name", "role", "listedFrom", "listedUntil", "achievementTypes", "url", "type"}
)


@dataclass(frozen=True, slots=True)
class TrustList:
    """A verified trust list: who published it, which edition, its entries."""

    list_id: str  # the list across editions (credentialSubject.id)
    edition: str  # this edition (the credential's id)
    publisher: str
    name: str
    description: str
    valid_from: datetime | None
    valid_until: datetime | None
    entries: tuple[RegistryEntry, ...]


def _time(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except (CredstackError, ValueError, OverflowError):
        raise InvalidInput(
            f"{what} is not a date and time with a zone: {str(value)[:60]!r}"
        ) from None


def build_trust_list(
    *,
    publisher: str,
    edition: str,
    list_id: str,
    name: str,
    entries: Sequence[RegistryEntry],
    valid_from: datetime,
    valid_until: datetime | None = None,
    description: str = "",
) -> dict[str, Any]:
    """An unsigned trust list; the publisher signs it (``credstack sign``, or
    :func:`credstack.proofs.dataintegrity.add_proof`)."""
    items: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {"id": entry.did, "name": entry.name, "role": entry.role.value}
        if entry.valid_from is not None:
            item["listedFrom"] = format_datetime(entry.valid_from)
        if entry.valid_until is not None:
            item["listedUntil"] = format_datetime(entry.valid_until)
        if entry.scope:
            item["achievementTypes"] = list(entry.scope)
        if entry.url is not None:
            item["url"] = entry.url
        items.append(item)
    subject: dict[str, Any] = {"id": list_id, "type": TRUST_LIST_SUBJECT, "name": name}
    if description:
        subject["description"] = description
    subject["entries"] = items
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, TRUST_LIST_CONTEXT],
        "id": edition,
        "type": ["VerifiableCredential", TRUST_LIST_TYPE],
        "issuer": publisher,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        document["validUntil"] = format_datetime(valid_until)
    document["credentialSubject"] = subject
    return document


def _issuer(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


_SIGNATURE_STEPS = frozenset({StepName.KEY_RESOLUTION, StepName.PROOF, StepName.CONTROLLER})


def read_trust_list(
    document: Any,
    *,
    publisher: str,
    at: datetime,
    documents: Iterable[dict[str, Any]] = (),
) -> TrustList:
    """Verify and read a signed trust list published by ``publisher`` (the DID the importer
    pinned; ``documents`` are DID documents for publishers other than did:key).

    Refused with :class:`~credstack.errors.ProofError` when another party published it, its
    proof does not verify or it is not valid at ``at``; with :class:`InvalidInput` when it is
    not a trust list."""
    if not isinstance(document, Mapping):
        raise InvalidInput("a trust list is a credential: a JSON object")
    types = document.get("type")
    if document.get("@context") != [CREDENTIALS_V2, TRUST_LIST_CONTEXT] or not (
        isinstance(types, list) and TRUST_LIST_TYPE in types
    ):
        raise InvalidInput(
            f"this is not a trust list: a trust list has type {TRUST_LIST_TYPE} and the "
            "@context given in docs/trust.md"
        )
    check_did(publisher, "the pinned publisher")
    issuer = _issuer(document)
    if issuer != publisher:
        raise ProofError(
            f"refused: the list is published by {str(issuer)[:200]!r}, not by the pinned "
            f"publisher {publisher}; import only lists of a publisher you trust",
            code="CONTROLLER_MISMATCH",
        )
    report = Verifier(CompositeResolver(documents=list(documents))).verify(
        dict(document), VerifyOptions(at=at, strict_controller=True)
    )
    failure = report.first_failure
    if failure is not None or not report.verified:
        if failure is not None and failure.name in _SIGNATURE_STEPS:
            raise ProofError(
                f"refused: the list's signature does not verify with {publisher}'s key: "
                f"{failure.message}"
            )
        if failure is not None and failure.name is StepName.VALIDITY:
            raise ProofError(f"refused: the list is not valid now: {failure.message}")
        raise ProofError(
            "refused: the list does not verify: "
            + (failure.message if failure is not None else "it carries no proof")
        )
    return _read_subject(document, publisher)


def _read_subject(document: Mapping[str, Any], publisher: str) -> TrustList:
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise InvalidInput("the trust list's credentialSubject must be one object")
    list_id = subject.get("id")
    if not isinstance(list_id, str) or not list_id or len(list_id) > 2048:
        raise InvalidInput("the trust list's credentialSubject needs an id (the list's URL)")
    name = subject.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("the trust list needs a name")
    description = subject.get("description", "")
    if not isinstance(description, str):
        raise InvalidInput("the trust list's description must be a string")
    raw = subject.get("entries", [])
    if not isinstance(raw, list):
        raise InvalidInput("the trust list's entries must be a list")
    if len(raw) > MAX_ENTRIES:
        raise InvalidInput(f"a trust list holds at most {MAX_ENTRIES} entries, not {len(raw)}")
    entries = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"entry {number} of the trust list is not an object")
        unknown = sorted(set(item) - _ENTRY_KEYS)
        if unknown:
            raise InvalidInput(f"entry {number} of the trust list has unknown members: {unknown}")
        try:
            entries.append(
                new_entry(
                    item.get("id"),
                    item.get("name"),
                    role=item.get("role", EntryRole.ISSUER.value),
                    valid_from=_time(item.get("listedFrom"), f"entry {number}'s listedFrom"),
                    valid_until=_time(item.get("listedUntil"), f"entry {number}'s listedUntil"),
                    scope=item.get("achievementTypes", []),
                    url=item.get("url"),
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(f"entry {number} of the trust list: {exc.message}") from None
    edition = document.get("id")
    return TrustList(
        list_id=list_id,
        edition=edition if isinstance(edition, str) else list_id,
        publisher=publisher,
        name=name.strip()[:MAX_NAME],
        description=description.strip()[:MAX_DESCRIPTION],
        valid_from=_time(document.get("validFrom"), "the list's validFrom"),
        valid_until=_time(document.get("validUntil"), "the list's validUntil"),
        entries=tuple(entries),
    )


@dataclass(frozen=True, slots=True)
class DccRegistry:
    updated: datetime | None
    entries: tuple[RegistryEntry, ...]


def read_dcc_registry(document: Any) -> DccRegistry:
    """Read a DCC issuer-registry file (see the module docs): every DID becomes an issuer
    entry with the given name and web site; the location is not kept."""
    if not isinstance(document, Mapping):
        raise InvalidInput("a DCC issuer registry is a JSON object")
    registry = document.get("registry", document.get("entries"))
    if not isinstance(registry, Mapping):
        raise InvalidInput("this is not a DCC issuer registry: it has no 'registry' object of DIDs")
    if len(registry) > MAX_ENTRIES:
        raise InvalidInput(f"a registry holds at most {MAX_ENTRIES} entries, not {len(registry)}")
    entries = []
    for did, item in registry.items():
        if not isinstance(item, Mapping):
            raise InvalidInput(f"the DCC entry of {str(did)[:120]!r} is not an object")
        name = item.get("name")
        url = item.get("url")
        try:
            entries.append(
                new_entry(
                    did,
                    name if isinstance(name, str) and name.strip() else did,
                    url=url if isinstance(url, str) and url.strip() else None,
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(f"the DCC registry: {exc.message}") from None
    meta = document.get("meta")
    updated = None
    if isinstance(meta, Mapping) and isinstance(meta.get("updated"), str):
        try:
            updated = parse_datetime(meta["updated"])
        except (CredstackError, ValueError, OverflowError):
            updated = None  # informational only
    return DccRegistry(updated, tuple(entries))
