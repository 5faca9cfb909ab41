"""Log leaf encoding, version 1: what credstack appends to its issuance log.

A leaf records one event: its type, the issuer DID, a time and a SHA-256 digest of the
credential or DID document concerned.  No personal data: a digest does not reveal the
credential, so erasure requests never touch the log.  Byte layout (all integers big-endian)::

    offset  size  field
    0       1     version      0x01
    1       1     event type   see EventType
    2       8     time         uint64, ms since 1970-01-01T00:00:00Z, at most year 9999
    10      2     issuer len   uint16 L, 1 <= L <= 2048
    12      L     issuer       DID, ASCII (a subset of UTF-8), DID Core syntax
    12+L    32    digest       SHA-256, see credential_digest / did_document_digest / key_digest

Total ``44 + L`` bytes; nothing may follow.  The Merkle leaf hash is
``SHA-256(0x00 || leaf)`` (RFC 9162 §2.1.1).  Full description: docs/transparency-log.md.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from credstack.crypto.jcs import canonicalize_json_bytes
from credstack.crypto.multibase import decode_multibase
from credstack.errors import InvalidInput, InvalidKey
from credstack.log.merkle import leaf_hash

LEAF_VERSION = 1
DIGEST_SIZE = 32
MAX_ISSUER_BYTES = 2048
_HEADER = struct.Struct(">BBQH")  # version, event type, time ms, issuer length
MAX_LEAF_BYTES = _HEADER.size + MAX_ISSUER_BYTES + DIGEST_SIZE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
MAX_TIME_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // _MS
# DID Core §3.1 syntax: did:<method-name>:<method-specific-id>, idchar = ALPHA DIGIT . - _ %HH
_DID = re.compile(
    r"did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+"
)


class EventType(IntEnum):
    """Leaf event types (one byte).  Numbers are fixed forever; new ones only get added."""

    CREDENTIAL_ISSUED = 0x01
    """digest = credential_digest(the signed credential)"""
    CREDENTIAL_REVOKED = 0x02
    """digest = credential_digest(the revoked credential)"""
    CREDENTIAL_SUSPENDED = 0x03
    """digest = credential_digest(the suspended credential); time = from when it is suspended"""
    CREDENTIAL_REINSTATED = 0x04
    """digest = credential_digest(the credential); time = from when its suspension is lifted"""
    KEY_ACTIVATED = 0x10
    """digest = key_digest(publicKeyMultibase); time = from when it signs"""
    KEY_RETIRED = 0x11
    """digest = key_digest(...); time = from when it no longer signs"""
    KEY_COMPROMISED = 0x12
    """digest = key_digest(...); time = from when signatures by it are untrusted"""
    DID_DOCUMENT = 0x20
    """digest = did_document_digest(the new DID document version)"""


@dataclass(frozen=True, slots=True)
class LogLeaf:
    """A decoded version-1 leaf."""

    event: EventType
    issuer: str
    time_ms: int
    digest: bytes

    @property
    def time(self) -> datetime:
        """``time_ms`` as an aware UTC datetime."""
        return _EPOCH + self.time_ms * _MS

    def encode(self) -> bytes:
        """The leaf bytes (see the module docstring)."""
        if not isinstance(self.event, EventType):
            raise InvalidInput(f"unknown log event type {self.event!r}")
        _check_issuer(self.issuer)
        if not isinstance(self.time_ms, int) or not 0 <= self.time_ms <= MAX_TIME_MS:
            raise InvalidInput("leaf time must be between 1970 and the end of year 9999 (in ms)")
        if not isinstance(self.digest, bytes) or len(self.digest) != DIGEST_SIZE:
            raise InvalidInput(f"leaf digest must be {DIGEST_SIZE} bytes (SHA-256)")
        issuer = self.issuer.encode("ascii")
        head = _HEADER.pack(LEAF_VERSION, self.event, self.time_ms, len(issuer))
        return head + issuer + self.digest

    @property
    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash of :meth:`encode`."""
        return leaf_hash(self.encode())


def time_to_ms(at: datetime) -> int:
    """Milliseconds since the Unix epoch of an aware datetime (sub-millisecond part dropped)."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("leaf time must be a timezone-aware datetime")
    ms = (at - _EPOCH) // _MS
    if not 0 <= ms <= MAX_TIME_MS:
        raise InvalidInput("leaf time must not be before 1970-01-01T00:00:00Z")
    return ms


def encode_leaf(event: EventType, issuer: str, at: datetime, digest: bytes) -> bytes:
    """Encode a version-1 leaf; ``at`` is an aware datetime, kept to the millisecond."""
    try:
        event = EventType(event)
    except ValueError:
        raise InvalidInput(f"unknown log event type {event!r}") from None
    return LogLeaf(event, issuer, time_to_ms(at), digest).encode()


def decode_leaf(data: bytes) -> LogLeaf:
    """Decode and check a version-1 leaf; truncated, oversized or malformed input is refused."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInput("a log leaf is bytes")
    data = bytes(data)
    if len(data) > MAX_LEAF_BYTES:
        raise InvalidInput(
            f"log leaf is {len(data)} bytes; at most {MAX_LEAF_BYTES}", code="INPUT_TOO_LARGE"
        )
    if len(data) < _HEADER.size:
        raise InvalidInput(f"log leaf is truncated ({len(data)} bytes)")
    version, event, time_ms, issuer_len = _HEADER.unpack_from(data)
    if version != LEAF_VERSION:
        raise InvalidInput(f"unsupported log leaf version {version}")
    try:
        event_type = EventType(event)
    except ValueError:
        raise InvalidInput(f"unknown log event type 0x{event:02x}") from None
    if time_ms > MAX_TIME_MS:
        raise InvalidInput("log leaf time is out of range")
    if not 1 <= issuer_len <= MAX_ISSUER_BYTES:
        raise InvalidInput(f"log leaf issuer length {issuer_len} is out of range")
    expected = _HEADER.size + issuer_len + DIGEST_SIZE
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "followed by extra bytes"
        raise InvalidInput(f"log leaf is {state} ({len(data)} bytes, expected {expected})")
    end = _HEADER.size + issuer_len
    try:
        issuer = data[_HEADER.size : end].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidInput("log leaf issuer is not an ASCII DID") from None
    _check_issuer(issuer)
    return LogLeaf(event_type, issuer, time_ms, data[end:])


def _check_issuer(issuer: object) -> None:
    if not isinstance(issuer, str) or _DID.fullmatch(issuer) is None:
        raise InvalidInput(f"leaf issuer must be a DID (did:<method>:<id>), got {issuer!r}")
    if len(issuer) > MAX_ISSUER_BYTES:
        raise InvalidInput(
            f"leaf issuer is longer than {MAX_ISSUER_BYTES} bytes", code="INPUT_TOO_LARGE"
        )


def _json_digest(value: Any, what: str) -> bytes:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a JSON object")
    return hashlib.sha256(canonicalize_json_bytes(dict(value))).digest()


def credential_digest(credential: Mapping[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 (JCS) form of the *signed* credential JSON object, proof included.

    https://www.rfc-editor.org/rfc/rfc8785 — the parsed object is hashed, so whitespace and
    member order in transport do not matter, while any change to a value or to the proof does.
    """
    return _json_digest(credential, "a credential")


def did_document_digest(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 (JCS) form of a DID document JSON object."""
    return _json_digest(document, "a DID document")


def key_digest(public_key_multibase: str) -> bytes:
    """SHA-256 of the decoded ``publicKeyMultibase`` bytes (multicodec header + raw key).

    For Ed25519 that is ``SHA-256(0xed 0x01 || 32-byte public key)``.
    """
    if not isinstance(public_key_multibase, str) or len(public_key_multibase) > 256:
        raise InvalidKey("publicKeyMultibase must be a string of at most 256 characters")
    try:
        raw = decode_multibase(public_key_multibase)
    except InvalidInput as exc:
        raise InvalidKey(f"publicKeyMultibase: {exc.message}") from None
    return hashlib.sha256(raw).digest()
