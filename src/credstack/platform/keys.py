"""Signing keys of organisations: encrypted at rest, rotated, listed in the DID document.

* Secrets are sealed with AES-256-GCM under a key-encryption key (KEK) from configuration;
  the key id is bound as associated data, so a sealed secret cannot be moved to another key
  record.  Several KEKs can be configured: the first seals, all open, and
  :func:`rewrap_keys` moves every secret to the current KEK (KEK rotation).
* Rotation retires the active key and makes a new one.  Retired keys stay in the DID
  document's ``assertionMethod`` so every credential signed before still verifies anywhere;
  a key marked compromised leaves ``assertionMethod`` (and the document).
* Every key event (activated, retired, compromised: from the compromise time) and the DID
  document version it makes is appended to the transparency log in the same unit of work
  (:mod:`credstack.platform.translog`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credstack.crypto.keys import KeyPair
from credstack.errors import ConfigurationError, InvalidState, NotFound
from credstack.log.leaf import EventType
from credstack.platform.domain import KeyStatus, Organisation, SigningKey
from credstack.platform.ports import UnitOfWork
from credstack.platform.translog import LogEvent, append_events, did_document_event, key_event
from credstack.resolve.did_web import make_did_document

_NONCE = 12


@dataclass(frozen=True, slots=True)
class KeyEncryptionKeys:
    """Configured KEKs: ``current`` seals; every one listed can open."""

    current: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ConfigurationError(
                f"the current key-encryption key {self.current!r} is not configured"
            )
        for kek_id, key in self.keys.items():
            if len(key) != 32:
                raise ConfigurationError(f"key-encryption key {kek_id!r} must be 32 bytes")

    @classmethod
    def parse(cls, spec: str) -> KeyEncryptionKeys:
        """Parse ``"id1:<base64 32 bytes>,id2:<base64>"``; the first one is current."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            kek_id, sep, encoded = part.partition(":")
            if not sep or not kek_id:
                raise ConfigurationError(
                    "key-encryption keys are written id:base64key[,id:base64key]"
                )
            try:
                keys[kek_id] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ConfigurationError(f"key-encryption key {kek_id!r} is not base64") from None
            order.append(kek_id)
        if not order:
            raise ConfigurationError("no key-encryption key is configured")
        return cls(order[0], keys)

    @classmethod
    def generate(cls, kek_id: str = "kek-1") -> KeyEncryptionKeys:
        return cls(kek_id, {kek_id: os.urandom(32)})

    def describe(self) -> str:
        """The configuration string for these keys (a secret: never log it)."""
        return ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in self.keys.items())


class KeyCustody:
    """Seals and opens organisation signing keys with the configured KEKs."""

    def __init__(self, keks: KeyEncryptionKeys) -> None:
        self._keks = keks

    @property
    def current_kek(self) -> str:
        return self._keks.current

    def derive(self, purpose: str) -> bytes:
        """A 32-byte secret for ``purpose`` (e.g. CSRF tokens), derived from the current KEK
        with HMAC-SHA256, so every process of one deployment derives the same one."""
        kek = self._keks.keys[self._keks.current]
        return hmac.new(kek, b"credstack-derive:" + purpose.encode(), hashlib.sha256).digest()

    def seal(self, seed: bytes, key_id: str) -> tuple[bytes, str]:
        nonce = os.urandom(_NONCE)
        kek = self._keks.keys[self._keks.current]
        return nonce + AESGCM(kek).encrypt(nonce, seed, key_id.encode()), self._keks.current

    def open_seed(
        self, sealed: bytes, kek_id: str, associated: str, *, name: str | None = None
    ) -> bytes:
        """The secret :meth:`seal` sealed with ``associated`` as its key id (any sealed seed:
        an organisation's key, a learner's wallet key)."""
        label = name or f"key {associated}"
        kek = self._keks.keys.get(kek_id)
        if kek is None:
            raise ConfigurationError(
                f"{label} is sealed with key-encryption key {kek_id!r}, which is not configured"
            )
        try:
            return AESGCM(kek).decrypt(sealed[:_NONCE], sealed[_NONCE:], associated.encode())
        except InvalidTag:
            raise ConfigurationError(
                f"{label} does not open with key-encryption key {kek_id!r}"
            ) from None

    def open(self, key: SigningKey, organisation: Organisation) -> KeyPair:
        seed = self.open_seed(
            key.encrypted_secret, key.kek_id, key.id, name=f"signing key {key.id}"
        )
        pair = KeyPair(seed, id=f"{organisation.did}#{key.fragment}", controller=organisation.did)
        if pair.public.multibase != key.public_key_multibase:
            raise ConfigurationError(f"signing key {key.id} does not match its public key")
        return pair


def new_key(
    custody: KeyCustody, organisation: Organisation, fragment: str, at: datetime
) -> SigningKey:
    pair = KeyPair.generate()
    key_id = str(uuid.uuid4())
    sealed, kek_id = custody.seal(pair.seed, key_id)
    return SigningKey(
        id=key_id,
        organisation_id=organisation.id,
        fragment=fragment,
        public_key_multibase=pair.public.multibase,
        encrypted_secret=sealed,
        kek_id=kek_id,
        status=KeyStatus.ACTIVE,
        activated_at=at,
    )


def create_first_key(
    uow: UnitOfWork, custody: KeyCustody, organisation: Organisation, at: datetime
) -> SigningKey:
    if uow.keys.for_organisation(organisation.id):
        raise InvalidState(f"organisation {organisation.slug} already has keys; rotate instead")
    key = new_key(custody, organisation, "key-1", at)
    uow.keys.add(key)
    _log_key_events(
        uow, organisation, [key_event(EventType.KEY_ACTIVATED, organisation.did, key, at)], at
    )
    return key


def _log_key_events(
    uow: UnitOfWork, organisation: Organisation, events: list[LogEvent], at: datetime
) -> None:
    """Append the key events and the DID document version they make, as of ``at``."""
    document = did_document(organisation, uow.keys.for_organisation(organisation.id))
    append_events(uow, [*events, did_document_event(organisation.did, document, at)], at)


def rotate_key(
    uow: UnitOfWork, custody: KeyCustody, organisation: Organisation, at: datetime
) -> SigningKey:
    """Retire the active key (it stays in assertionMethod) and activate a new one."""
    keys = uow.keys.for_organisation(organisation.id)
    events: list[LogEvent] = []
    for key in keys:
        if key.status is KeyStatus.ACTIVE:
            uow.keys.update(replace(key, status=KeyStatus.RETIRED, retired_at=at))
            events.append(key_event(EventType.KEY_RETIRED, organisation.did, key, at))
    new = new_key(custody, organisation, f"key-{len(keys) + 1}", at)
    uow.keys.add(new)
    events.append(key_event(EventType.KEY_ACTIVATED, organisation.did, new, at))
    _log_key_events(uow, organisation, events, at)
    return new


def mark_compromised(
    uow: UnitOfWork,
    custody: KeyCustody,
    organisation: Organisation,
    key_id: str,
    *,
    since: datetime,
    at: datetime,
) -> SigningKey | None:
    """Mark a key compromised from ``since``: it leaves assertionMethod.  If it was the active
    key, a new key is activated and returned.  The log records the compromise as of ``since``
    (signatures by the key from then on are untrusted)."""
    keys = uow.keys.for_organisation(organisation.id)
    key = next((k for k in keys if k.id == key_id), None)
    if key is None:
        raise NotFound(f"organisation {organisation.slug} has no key {key_id}")
    was_active = key.status is KeyStatus.ACTIVE
    uow.keys.update(
        replace(
            key,
            status=KeyStatus.COMPROMISED,
            compromised_since=since,
            retired_at=key.retired_at or at,
        )
    )
    events = [key_event(EventType.KEY_COMPROMISED, organisation.did, key, since)]
    new: SigningKey | None = None
    if was_active:
        new = new_key(custody, organisation, f"key-{len(keys) + 1}", at)
        uow.keys.add(new)
        events.append(key_event(EventType.KEY_ACTIVATED, organisation.did, new, at))
    _log_key_events(uow, organisation, events, at)
    return new


def active_key(uow: UnitOfWork, organisation: Organisation) -> SigningKey:
    for key in uow.keys.for_organisation(organisation.id):
        if key.status is KeyStatus.ACTIVE:
            return key
    raise InvalidState(f"organisation {organisation.slug} has no active signing key")


def signing_key(uow: UnitOfWork, custody: KeyCustody, organisation: Organisation) -> KeyPair:
    """The organisation's active key, opened, with its did:web verification method id."""
    return custody.open(active_key(uow, organisation), organisation)


def did_document(organisation: Organisation, keys: list[SigningKey]) -> dict[str, Any]:
    """The organisation's did:web document (layout in docs/did-documents.md)."""
    listed = [k for k in keys if k.status is not KeyStatus.COMPROMISED]
    if not listed:
        raise InvalidState(f"organisation {organisation.slug} has no usable key")
    methods = [(k.fragment, k.public_key_multibase) for k in listed]
    active = [k.fragment for k in listed if k.status is KeyStatus.ACTIVE]
    extra: dict[str, Any] = {}
    if organisation.url:
        extra["alsoKnownAs"] = [organisation.url]
    return make_did_document(
        organisation.did,
        methods,
        assertion=[k.fragment for k in listed],
        authentication=active,
        extra=extra,
    )


def rewrap_keys(uow: UnitOfWork, custody: KeyCustody, organisations: list[Organisation]) -> int:
    """KEK rotation: re-seal every key not sealed with the current KEK; returns how many."""
    count = 0
    for organisation in organisations:
        for key in uow.keys.for_organisation(organisation.id):
            if key.kek_id == custody.current_kek or key.status is KeyStatus.COMPROMISED:
                continue
            seed = custody.open(key, organisation).seed
            sealed, kek_id = custody.seal(seed, key.id)
            uow.keys.update(replace(key, encrypted_secret=sealed, kek_id=kek_id))
            count += 1
    return count
