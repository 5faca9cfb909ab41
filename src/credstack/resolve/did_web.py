"""did:web: DID to URL, DID documents for publishing, and a caching resolver.

did:web method: https://w3c-ccg.github.io/did-method-web/ — ``did:web:example.com`` is read
from ``https://example.com/.well-known/did.json``, ``did:web:example.com:user:alice`` from
``https://example.com/user/alice/did.json``, and a port is written ``%3A``.

Documents use Multikey verification methods (W3C Controlled Identifiers 1.0,
https://www.w3.org/TR/cid-1.0/#multikey).  Nothing here opens a socket: fetching goes through
an injected :class:`~credstack.resolve.base.Fetcher`.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credstack._json import parse_json as _parse_json
from credstack.crypto.keys import public_key_from_multibase
from credstack.errors import FetchError, InvalidInput, ResolutionError
from credstack.resolve.base import Fetcher
from credstack.resolve.did_key import DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "DID_CONTEXT_V1",
    "MULTIKEY_CONTEXT_V1",
    "DidWebResolver",
    "DocumentFetcher",
    "did_web_to_url",
    "make_did_document",
    "parse_json",
]

DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024
DID_ACCEPT = "application/did+json, application/did+ld+json, application/json;q=0.9"

_PREFIX = "did:web:"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_SEGMENT_RE = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
_FRAGMENT_RE = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]+")
_DID_RE = re.compile(r"did:[a-z0-9]+:(?:[A-Za-z0-9._:-]|%[0-9A-Fa-f]{2})+")


def did_web_to_url(did: str) -> str:
    """The https URL of a did:web DID's document (did:web spec, "Read (Resolve)")."""
    if not isinstance(did, str) or not did.startswith(_PREFIX):
        raise ResolutionError(f"not a did:web DID: {did!r}", code="UNSUPPORTED_DID_METHOD")
    specific = did[len(_PREFIX) :]
    if not specific or any(ch in specific for ch in "/?#"):
        raise ResolutionError(f"malformed did:web DID: {did!r}", code="INVALID_INPUT")
    domain, *path = specific.split(":")
    host, sep, port = domain.replace("%3a", "%3A").partition("%3A")
    if not _HOST_RE.fullmatch(host) or len(host) > 253:
        raise ResolutionError(f"did:web domain {domain!r} is not a host name", code="INVALID_INPUT")
    if sep and (not port.isdigit() or not 0 < int(port) <= 65535 or len(port) > 5):
        raise ResolutionError(f"did:web port in {domain!r} is not valid", code="INVALID_INPUT")
    for segment in path:
        if not _SEGMENT_RE.fullmatch(segment) or segment in (".", ".."):
            raise ResolutionError(
                f"did:web path segment {segment!r} is not valid", code="INVALID_INPUT"
            )
    authority = f"{host.lower()}:{port}" if sep else host.lower()
    location = "/".join(path) if path else ".well-known"
    return f"https://{authority}/{location}/did.json"


def _check_identifier(identifier: str) -> None:
    if not isinstance(identifier, str) or not (
        _DID_RE.fullmatch(identifier) or re.fullmatch(r"https://[^\s#]+", identifier)
    ):
        raise InvalidInput(f"{identifier!r} is not a DID or https URL without a fragment")


def make_did_document(
    did: str,
    methods: Sequence[tuple[str, str]],
    assertion: Sequence[str],
    authentication: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A DID (or controller) document with Ed25519 Multikey methods.

    ``methods`` are ``(fragment, publicKeyMultibase)`` pairs; ``assertion`` and
    ``authentication`` name fragments of those methods.  Keys that are retired for signing
    can stay in ``assertion`` so credentials signed with them still verify.  ``extra`` adds
    members such as ``service`` or ``alsoKnownAs``; it may not replace generated ones.
    """
    _check_identifier(did)
    if not methods:
        raise InvalidInput("a DID document needs at least one verification method")
    vms: list[dict[str, Any]] = []
    fragments: set[str] = set()
    for fragment, public in methods:
        if not isinstance(fragment, str) or not _FRAGMENT_RE.fullmatch(fragment):
            raise InvalidInput(f"verification method fragment {fragment!r} is not valid")
        if fragment in fragments:
            raise InvalidInput(f"verification method fragment {fragment!r} is repeated")
        fragments.add(fragment)
        if not isinstance(public, str):
            raise InvalidInput(f"publicKeyMultibase of #{fragment} must be a string")
        public_key_from_multibase(public)  # raises InvalidKey for anything but Ed25519
        vms.append(
            {
                "id": f"{did}#{fragment}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public,
            }
        )
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": did,
        "verificationMethod": vms,
    }
    for name, listed in (("authentication", authentication), ("assertionMethod", assertion)):
        if isinstance(listed, str):
            raise InvalidInput(f"{name} must be a list of fragments, not a string")
        refs: list[str] = []
        for fragment in listed:
            if fragment not in fragments:
                raise InvalidInput(f"{name} names #{fragment}, which is not a verification method")
            if f"{did}#{fragment}" not in refs:
                refs.append(f"{did}#{fragment}")
        if refs:
            document[name] = refs
    for key, value in (extra or {}).items():
        if key in document:
            raise InvalidInput(f"extra member {key!r} would replace a generated one")
        document[key] = copy.deepcopy(value)
    return document


def parse_json(data: bytes, *, max_bytes: int, source: str) -> Any:
    """Strict JSON from UTF-8 bytes: size-capped, no duplicate members, no NaN/Infinity."""
    return _parse_json(data, what=source, max_bytes=max_bytes)


@dataclass(slots=True)
class _Entry:
    document: dict[str, Any]
    expires: datetime


class DocumentFetcher:
    """Fetches controller documents through a :class:`Fetcher`, checks and caches them.

    A document must be a JSON object no larger than ``max_bytes`` whose ``id`` is the
    identifier it was fetched for (https://www.w3.org/TR/cid-1.0/#retrieve-verification-method).
    Entries live ``ttl`` by the injected ``clock``; the oldest are dropped past ``max_entries``.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Callable[[], datetime],
        ttl: timedelta = timedelta(minutes=5),
        max_entries: int = 256,
        max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    ) -> None:
        if max_entries < 0 or max_bytes <= 0 or ttl < timedelta(0):
            raise InvalidInput("ttl and max_entries must not be negative, max_bytes positive")
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = ttl
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def get(self, url: str, expected_id: str, *, accept: str = DID_ACCEPT) -> dict[str, Any]:
        """The checked document at ``url`` whose ``id`` must be ``expected_id`` (a copy)."""
        key = (url, expected_id)
        now = self._clock()
        entry = self._cache.get(key)
        if entry is not None:
            if now < entry.expires:
                self._cache.move_to_end(key)
                return copy.deepcopy(entry.document)
            del self._cache[key]
        try:
            data = self._fetcher.fetch(url, accept=accept)
        except FetchError as exc:
            raise ResolutionError(
                f"cannot retrieve {expected_id}: {exc.diagnostics()}",
                code="UNRESOLVABLE_VERIFICATION_METHOD",
            ) from exc
        try:
            document = parse_json(data, max_bytes=self._max_bytes, source=f"document at {url}")
        except InvalidInput as exc:
            raise ResolutionError(
                exc.message, code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"
            ) from exc
        if not isinstance(document, dict):
            raise ResolutionError(
                f"document at {url} is not a JSON object",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT",
            )
        if document.get("id") != expected_id:
            raise ResolutionError(
                f"document at {url} has id {document.get('id')!r}, expected {expected_id!r}",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
            )
        if self._max_entries > 0 and self._ttl > timedelta(0):
            self._cache[key] = _Entry(document, now + self._ttl)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return copy.deepcopy(document)

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


class DidWebResolver(DocumentFetcher):
    """Resolves did:web DIDs to their documents, with a time-bounded cache."""

    def resolve_document(self, did: str) -> dict[str, Any]:
        """The DID document of ``did`` (a DID, not a DID URL)."""
        return self.get(did_web_to_url(did), did)
