"""Resolution interfaces shared by every resolver (did:key, did:web, https controller documents).

A verifier asks a :class:`KeyResolver` for a verification method by its id (a DID URL or an
https URL).  It gets back a :class:`ResolvedMethod`: the method, the controller document it
came from, and the verification relationships (``assertionMethod``, ``authentication`` …)
that list it.  Nothing here touches the network; fetching goes through a :class:`Fetcher`
that callers inject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """A verification method as found in a controller (DID) document."""

    id: str
    type: str
    controller: str
    public_key_multibase: str | None = None
    public_key_jwk: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResolvedMethod:
    """A verification method with the document that controls it."""

    method: VerificationMethod
    controller_document: dict[str, Any]
    relationships: frozenset[str]  # e.g. {"assertionMethod", "authentication"}

    def allows(self, purpose: str) -> bool:
        return purpose in self.relationships


class KeyResolver(Protocol):
    """Resolves a verification-method id to the method and its controller document.

    Raises :class:`credstack.errors.ResolutionError` when it cannot.
    """

    def resolve(self, method_id: str) -> ResolvedMethod: ...


class Fetcher(Protocol):
    """Fetches a URL's body as bytes, enforcing scheme, address, size and time limits.

    Raises :class:`credstack.errors.FetchError` on refusal or failure.
    """

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes: ...
