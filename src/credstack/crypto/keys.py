"""Ed25519 keys as Multikey (``z6Mk…`` public, ``z3u2…`` secret), and did:key identifiers.

Low-level ("hazmat") layer: bytes and keys only, nothing about credentials.
Signing and verification use libsodium through PyNaCl (the fastest Ed25519 available
here); ``cryptography`` is used for the other JOSE algorithms.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing

from credstack.crypto.multibase import (
    ED25519_PRIV_HEADER,
    ED25519_PUB_HEADER,
    decode_multibase,
    encode_multibase,
)
from credstack.errors import FileExists, InvalidInput, InvalidKey


def public_key_from_multibase(value: str) -> bytes:
    """Raw 32-byte Ed25519 public key from a Multikey ``publicKeyMultibase`` (``z6Mk…``)."""
    try:
        raw = decode_multibase(value)
    except InvalidInput as exc:
        raise InvalidKey(f"publicKeyMultibase: {exc.message}") from None
    if raw[:2] != ED25519_PUB_HEADER or len(raw) != 34:
        raise InvalidKey(
            "publicKeyMultibase is not an Ed25519 Multikey (expected header 0xed01 and 32 bytes)"
        )
    return raw[2:]


def secret_key_from_multibase(value: str) -> bytes:
    """Raw 32-byte Ed25519 seed from a Multikey ``secretKeyMultibase`` (``z3u2…``)."""
    try:
        raw = decode_multibase(value)
    except InvalidInput as exc:
        raise InvalidKey(f"secretKeyMultibase: {exc.message}") from None
    if raw[:2] != ED25519_PRIV_HEADER or len(raw) != 34:
        raise InvalidKey(
            "secretKeyMultibase is not an Ed25519 secret Multikey "
            "(expected header 0x8026 and 32 bytes)"
        )
    return raw[2:]


def public_key_to_multibase(raw: bytes) -> str:
    return encode_multibase(ED25519_PUB_HEADER + raw)


def secret_key_to_multibase(seed: bytes) -> str:
    return encode_multibase(ED25519_PRIV_HEADER + seed)


def did_key_from_public(public_multibase: str) -> str:
    return f"did:key:{public_multibase}"


def did_key_verification_method(public_multibase: str) -> str:
    return f"did:key:{public_multibase}#{public_multibase}"


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``."""
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key with a fast verifier."""

    raw: bytes

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        return cls(public_key_from_multibase(value))

    @property
    def multibase(self) -> str:
        return public_key_to_multibase(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        return verify_ed25519(self.raw, signature, message)


class KeyPair:
    """An Ed25519 signing key, with optional verification-method ``id`` and ``controller``."""

    __slots__ = ("_signer", "controller", "id", "public")

    def __init__(
        self, seed: bytes, *, id: str | None = None, controller: str | None = None
    ) -> None:
        if len(seed) != 32:
            raise InvalidKey("an Ed25519 secret key is 32 bytes")
        self._signer = nacl.signing.SigningKey(seed)
        self.public = PublicKey(bytes(self._signer.verify_key))
        self.id = id
        self.controller = controller

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(os.urandom(32))

    @classmethod
    def from_multikey(cls, data: dict[str, Any]) -> KeyPair:
        """Read a Multikey key file object.

        The secret is ``secretKeyMultibase`` (the Multikey name) or ``privateKeyMultibase``
        (the name in the W3C vectors' ``keyPair.json``).  A secret that does not match
        ``publicKeyMultibase`` is refused.
        """
        if not isinstance(data, dict):
            raise InvalidKey("a key file must hold a JSON object")
        secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
        if not isinstance(secret, str):
            raise InvalidKey("key file has no secretKeyMultibase (or privateKeyMultibase)")
        pair = cls(secret_key_from_multibase(secret))
        public = data.get("publicKeyMultibase")
        if public is not None:
            if not isinstance(public, str):
                raise InvalidKey("publicKeyMultibase must be a string")
            if public_key_from_multibase(public) != pair.public.raw:
                raise InvalidKey("the secret key does not match publicKeyMultibase")
        vm_id = data.get("id")
        controller = data.get("controller")
        if vm_id is not None and not isinstance(vm_id, str):
            raise InvalidKey("key id must be a string")
        if controller is not None and not isinstance(controller, str):
            raise InvalidKey("key controller must be a string")
        pair.id = vm_id
        pair.controller = controller
        return pair

    @property
    def seed(self) -> bytes:
        return bytes(self._signer)

    @property
    def did_key(self) -> str:
        return did_key_from_public(self.public.multibase)

    @property
    def verification_method(self) -> str:
        """The key's own ``id`` if set, else its did:key verification method."""
        return self.id or did_key_verification_method(self.public.multibase)

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message).signature

    def to_multikey(self, *, include_secret: bool = True) -> dict[str, str]:
        out: dict[str, str] = {"type": "Multikey"}
        if self.id:
            out["id"] = self.id
        if self.controller:
            out["controller"] = self.controller
        out["publicKeyMultibase"] = self.public.multibase
        if include_secret:
            out["secretKeyMultibase"] = secret_key_to_multibase(self.seed)
        return out

    def __repr__(self) -> str:  # never print the secret
        return f"KeyPair(public={self.public.multibase!r}, id={self.id!r})"


def write_key_file(pair: KeyPair, path: Path) -> None:
    """Write a Multikey key file with mode 0600; refuses to overwrite."""
    data = (json.dumps(pair.to_multikey(), indent=2) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileExists(f"{path} exists; refusing to overwrite a key file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
