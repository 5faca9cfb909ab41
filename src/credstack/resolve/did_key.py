"""did:key resolution for Ed25519 keys, fully offline.

https://w3c-ccg.github.io/did-key-spec/ — the DID is ``did:key:`` followed by the key's
Multikey ``publicKeyMultibase`` (``z6Mk…`` for Ed25519).  The document built here has the
shape @digitalbazaar/did-method-key 5 produces for a Multikey: contexts did/v1 and
multikey/v1, one ``Multikey`` method ``did:key:z6Mk…#z6Mk…`` controlled by the DID and listed
in ``authentication``, ``assertionMethod``, ``capabilityDelegation`` and
``capabilityInvocation``.  Other key types are refused.
"""

from __future__ import annotations

from typing import Any

from credstack.crypto.keys import did_key_verification_method
from credstack.crypto.multibase import ED25519_PUB_HEADER, decode_multibase
from credstack.errors import InvalidInput, ResolutionError
from credstack.resolve.base import ResolvedMethod, VerificationMethod

__all__ = ["DID_KEY_RELATIONSHIPS", "did_key_document", "resolve_did_key"]

DID_CONTEXT_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT_V1 = "https://w3id.org/security/multikey/v1"
DID_KEY_RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "capabilityDelegation",
    "capabilityInvocation",
)
_PREFIX = "did:key:"

# multicodec headers (varint-encoded) of key types that did:key allows but credstack does not
_OTHER_KEY_TYPES = {
    b"\xec\x01": "X25519",
    b"\xe7\x01": "secp256k1",
    b"\x80\x24": "P-256",
    b"\x81\x24": "P-384",
    b"\x82\x24": "P-521",
    b"\x85\x24": "RSA",
    b"\xea\x01": "BLS12-381 G1",
    b"\xeb\x01": "BLS12-381 G2",
}


def _split(did_or_url: str) -> tuple[str, str | None]:
    """The DID and the fragment (``None`` when absent) of a did:key DID or DID URL."""
    if not isinstance(did_or_url, str) or not did_or_url.startswith(_PREFIX):
        raise ResolutionError(
            f"not a did:key identifier: {did_or_url!r}", code="UNSUPPORTED_DID_METHOD"
        )
    did, sep, fragment = did_or_url.partition("#")
    if any(ch in did for ch in "/?;") or any(ch.isspace() for ch in did_or_url):
        raise ResolutionError(f"malformed did:key identifier: {did_or_url!r}", code="INVALID_KEY")
    return did, fragment if sep else None


def _public_multibase(did: str) -> str:
    """The checked ``publicKeyMultibase`` of an Ed25519 did:key."""
    value = did[len(_PREFIX) :]
    if ":" in value:  # did:key:<version>:<key> forms are not supported
        raise ResolutionError(f"malformed did:key identifier: {did!r}", code="INVALID_KEY")
    try:
        raw = decode_multibase(value)
    except InvalidInput as exc:
        raise ResolutionError(
            f"did:key value is not base58btc multibase: {exc.message}", code="INVALID_KEY"
        ) from exc
    header = raw[:2]
    if header != ED25519_PUB_HEADER:
        kind = _OTHER_KEY_TYPES.get(header)
        if kind is not None:
            raise ResolutionError(
                f"did:key with a {kind} key is not supported (Ed25519 only)",
                code="UNSUPPORTED_DID_METHOD",
            )
        raise ResolutionError(
            "did:key value is not an Ed25519 Multikey (header 0xed01)", code="INVALID_KEY"
        )
    if len(raw) != 34:
        raise ResolutionError("did:key Ed25519 key must be 32 bytes", code="INVALID_KEY")
    return value


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of an Ed25519 did:key (no fragment allowed)."""
    base, fragment = _split(did)
    if fragment is not None:
        raise ResolutionError(
            "a DID document is resolved from a DID, not a DID URL", code="INVALID_INPUT"
        )
    public = _public_multibase(base)
    vm_id = did_key_verification_method(public)
    return {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": base,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": base, "publicKeyMultibase": public}
        ],
        **{relationship: [vm_id] for relationship in DID_KEY_RELATIONSHIPS},
    }


def resolve_did_key(did_or_url: str) -> ResolvedMethod:
    """Resolve a did:key DID, or its ``#z6Mk…`` verification method, to its one key."""
    base, fragment = _split(did_or_url)
    public = _public_multibase(base)
    if fragment is not None and fragment != public:
        raise ResolutionError(
            f"{did_or_url!r}: a did:key has one verification method, #{public}",
            code="UNRESOLVABLE_VERIFICATION_METHOD",
        )
    document = did_key_document(base)
    raw = dict(document["verificationMethod"][0])
    method = VerificationMethod(
        id=raw["id"],
        type="Multikey",
        controller=base,
        public_key_multibase=public,
        raw=raw,
    )
    return ResolvedMethod(
        method=method,
        controller_document=document,
        relationships=frozenset(DID_KEY_RELATIONSHIPS),
    )
