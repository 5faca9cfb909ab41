"""The platform's own identity: ``did:web:<host>``, served at ``/.well-known/did.json``.

Organisations sign credentials with their own keys (``did:web:<host>:orgs:<slug>``); the
platform signs what is the platform's word rather than an issuer's (the transparency log's
checkpoints, for one).  Its keys follow the same rules as an organisation's
(``docs/did-documents.md``): sealed with the key-encryption key, rotated keys stay in
``assertionMethod``, compromised ones leave it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, InvalidState
from credstack.platform.domain import PLATFORM_ID, KeyStatus, Organisation, SigningKey
from credstack.platform.keys import KeyCustody, did_document, new_key
from credstack.platform.organisations import _HOST
from credstack.platform.ports import UnitOfWork

__all__ = [
    "ensure_platform_key",
    "platform_did",
    "platform_did_document",
    "platform_identity",
    "platform_signing_key",
    "rotate_platform_key",
]


def platform_did(host: str) -> str:
    """``did:web:<host>`` (a port percent-encoded, as did:web requires)."""
    if not _HOST.match(host):
        raise InvalidInput(f"{host!r} is not a host name (with an optional port)")
    return f"did:web:{host.replace(':', '%3A')}"


def platform_identity(host: str, name: str = "credstack") -> Organisation:
    """The platform as the controller of its keys (not an organisation of the platform)."""
    return Organisation(id=PLATFORM_ID, slug="", name=name, did=platform_did(host))


def ensure_platform_key(
    uow: UnitOfWork, custody: KeyCustody, host: str, *, at: datetime
) -> SigningKey:
    """The active platform key, made (``key-1``) on first use."""
    keys = uow.platform_keys.all()
    for key in keys:
        if key.status is KeyStatus.ACTIVE:
            return key
    key = new_key(custody, platform_identity(host), f"key-{len(keys) + 1}", at)
    uow.platform_keys.add(key)
    return key


def rotate_platform_key(
    uow: UnitOfWork, custody: KeyCustody, host: str, *, at: datetime
) -> SigningKey:
    """Retire the active platform key (it stays in ``assertionMethod``); activate a new one."""
    keys = uow.platform_keys.all()
    for key in keys:
        if key.status is KeyStatus.ACTIVE:
            uow.platform_keys.update(replace(key, status=KeyStatus.RETIRED, retired_at=at))
    new = new_key(custody, platform_identity(host), f"key-{len(keys) + 1}", at)
    uow.platform_keys.add(new)
    return new


def platform_did_document(uow: UnitOfWork, host: str) -> dict[str, Any]:
    """The platform's did:web document; :class:`InvalidState` before its first key exists."""
    keys = uow.platform_keys.all()
    if not keys:
        raise InvalidState("the platform identity has no key yet (credstack serve makes it)")
    return did_document(platform_identity(host), keys)


def platform_signing_key(uow: UnitOfWork, custody: KeyCustody, host: str) -> KeyPair:
    """The active platform key, opened, with its ``did:web:<host>#key-n`` method id."""
    for key in uow.platform_keys.all():
        if key.status is KeyStatus.ACTIVE:
            return custody.open(key, platform_identity(host))
    raise InvalidState("the platform identity has no active key")
