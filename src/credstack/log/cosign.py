"""Witness cosignatures on checkpoints, C2SP tlog-cosignature (Ed25519, ``cosignature/v1``).

https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md

A cosignature is a note signature line whose key ID uses type byte ``0x04``::

    key ID    = SHA-256(<name> || 0x0A || 0x04 || 32-byte public key)[:4]
    signature = uint64 big-endian timestamp (POSIX seconds) || Ed25519 signature (64 bytes)
    message   = "cosignature/v1\\n" || "time <timestamp>\\n" || checkpoint body

It states that, at that time, this was the largest consistent tree head the witness saw for
the log.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from credstack.crypto.keys import KeyPair, PublicKey
from credstack.errors import InvalidInput, ProofError
from credstack.log.checkpoint import Checkpoint, parse_checkpoint_body
from credstack.log.note import (
    COSIGNATURE_V1,
    MAX_TIMESTAMP,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    parse_note,
    verifier_index,
)

_TS = struct.Struct(">Q")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def cosignature_verifier(name: str, public_key: PublicKey | bytes) -> NoteVerifier:
    """The verifier of witness ``name`` (key ID computed with type 0x04)."""
    return NoteVerifier.for_key(name, public_key, COSIGNATURE_V1)


def cosignature_signer(name: str, key: KeyPair) -> NoteSigner:
    """A witness signer (type 0x04)."""
    return NoteSigner(name, key, COSIGNATURE_V1)


def posix_seconds(at: datetime) -> int:
    """POSIX seconds of an aware datetime (fractions dropped)."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("cosignature time must be a timezone-aware datetime")
    seconds = (at - _EPOCH) // _SECOND
    if not 0 <= seconds <= MAX_TIMESTAMP:
        raise InvalidInput("cosignature time must not be before 1970-01-01T00:00:00Z")
    return seconds


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified witness cosignature."""

    name: str
    key_id: int
    timestamp: int

    @property
    def time(self) -> datetime:
        """The timestamp as an aware UTC datetime (InvalidInput past year 9999)."""
        try:
            return _EPOCH + self.timestamp * _SECOND
        except OverflowError:
            raise InvalidInput(f"timestamp {self.timestamp} is beyond year 9999") from None


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The timestamp carried by a cosignature line (not verified)."""
    if len(signature.signature) != _TS.size + 64:
        raise ProofError(
            "a cosignature is an 8-byte timestamp and a 64-byte signature",
            code="MALFORMED_PROOF_ERROR",
        )
    (timestamp,) = _TS.unpack_from(signature.signature)
    if timestamp > MAX_TIMESTAMP:
        raise ProofError("cosignature timestamp exceeds 2**63-1", code="MALFORMED_PROOF_ERROR")
    return int(timestamp)


def cosign(
    checkpoint_text: str | bytes, witness_key: KeyPair | NoteSigner, name: str, at: datetime
) -> str:
    """Add witness ``name``'s cosignature, made at ``at``, to a checkpoint note.

    The body must be a well-formed checkpoint; checking the log's signature and consistency
    with earlier heads is the witness's job before calling this.
    """
    note = parse_note(checkpoint_text)
    parse_checkpoint_body(note.text)
    if isinstance(witness_key, NoteSigner):
        if witness_key.sig_type != COSIGNATURE_V1 or witness_key.name != name:
            raise InvalidInput("a witness signer must be a type 0x04 key named like the witness")
        signer = witness_key
    else:
        signer = cosignature_signer(name, witness_key)
    if any(s.name == signer.name and s.key_id == signer.key_id for s in note.signatures):
        raise InvalidInput(f"the checkpoint already carries a cosignature by {name!r}")
    sig = signer.sign(note.text, timestamp=posix_seconds(at))
    return Note(note.text, (*note.signatures, sig)).format()


def verify_cosignatures(
    text: str | bytes,
    witness_verifiers: Iterable[NoteVerifier],
    *,
    required_n: int,
    now: datetime | None = None,
) -> tuple[Checkpoint, tuple[Cosignature, ...]]:
    """Check that at least ``required_n`` trusted witnesses cosigned the checkpoint.

    Lines from other keys (the log's own signature included) are ignored; a trusted witness
    whose cosignature fails rejects the checkpoint.  With ``now``, a cosignature dated in the
    future is refused.  Returns the checkpoint and the verified cosignatures.
    """
    verifiers = list(witness_verifiers)
    for v in verifiers:
        if v.sig_type != COSIGNATURE_V1:
            raise InvalidInput(f"witness key {v.name!r} is not a cosignature (type 0x04) key")
    index = verifier_index(verifiers)
    note = parse_note(text)
    checkpoint = parse_checkpoint_body(note.text)
    limit = None if now is None else posix_seconds(now)
    out: list[Cosignature] = []
    for sig in note.signatures:
        verifier = index.get((sig.name, sig.key_id))
        if verifier is None:
            continue  # not a trusted witness (or the log's own signature): ignored
        if not verifier.verify(note.text, sig.signature):
            raise ProofError(f"cosignature by {sig.name!r} ({sig.key_id:08x}) does not verify")
        timestamp = cosignature_timestamp(sig)
        if limit is not None and timestamp > limit:
            raise ProofError(f"cosignature by {sig.name!r} is dated in the future")
        out.append(Cosignature(sig.name, sig.key_id, timestamp))
    if len(out) < required_n:
        raise ProofError(
            f"checkpoint has {len(out)} valid cosignature(s) from trusted witnesses; "
            f"{required_n} required"
        )
    return checkpoint, tuple(out)
