"""Tree heads as C2SP checkpoints: signed notes whose text is origin, size and root hash.

https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md

Body::

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <base64 root hash>\\n
    [<extension line>\\n ...]

signed with Ed25519 note signatures (:mod:`credstack.log.note`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from credstack.errors import InvalidInput, ProofError
from credstack.log.merkle import HASH_SIZE, MAX_TREE_SIZE
from credstack.log.note import (
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    b64decode_strict,
    check_note_text,
    open_note,
    parse_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: log origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The checkpoint note text, final newline included."""
        _check_line(self.origin, "origin")
        for line in self.extensions:
            _check_line(line, "extension line")
        if not isinstance(self.size, int) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidInput(f"checkpoint tree size {self.size!r} is out of range")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise InvalidInput(f"checkpoint root hash must be {HASH_SIZE} bytes")
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def _check_line(line: object, what: str) -> None:
    if not isinstance(line, str) or not line or "\n" in line:
        raise InvalidInput(f"checkpoint {what} must be a non-empty single line")
    check_note_text(line + "\n")


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint note text; anything off-format raises :class:`ProofError`."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise _malformed("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise _malformed("a checkpoint has an origin, a tree size and a root hash line")
    if any(not line for line in lines):
        raise _malformed("checkpoint lines must not be empty")
    origin, size_text, root_text, *extensions = lines
    if _SIZE.fullmatch(size_text) is None or int(size_text) > MAX_TREE_SIZE:
        raise _malformed(f"checkpoint tree size {size_text!r} is not a decimal tree size")
    try:
        root_hash = b64decode_strict(root_text, "checkpoint root hash")
    except InvalidInput as exc:
        raise _malformed(exc.message) from None
    if len(root_hash) != HASH_SIZE:
        raise _malformed(f"checkpoint root hash must be {HASH_SIZE} bytes")
    return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))


def _malformed(message: str) -> ProofError:
    return ProofError(message, code="MALFORMED_PROOF_ERROR")


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A parsed (not yet verified) checkpoint note."""

    checkpoint: Checkpoint
    note: Note

    @property
    def text(self) -> str:
        return self.note.format()


@dataclass(frozen=True, slots=True)
class VerifiedCheckpoint:
    """A checkpoint whose note carried at least ``required`` valid signatures from trusted keys."""

    checkpoint: Checkpoint
    note: Note
    verified: tuple[NoteSignature, ...]

    @property
    def signers(self) -> tuple[str, ...]:
        return tuple(sig.name for sig in self.verified)


def sign_checkpoint(
    origin: str,
    size: int,
    root_hash: bytes,
    signer: NoteSigner,
    extensions: Sequence[str] = (),
) -> str:
    """The signed checkpoint note for tree ``(size, root_hash)`` of log ``origin``."""
    body = Checkpoint(origin, size, root_hash, tuple(extensions)).body
    return Note(body, (signer.sign(body),)).format()


def parse_checkpoint(text: str | bytes) -> SignedCheckpoint:
    """Parse a checkpoint note (signatures not checked)."""
    note = parse_note(text)
    return SignedCheckpoint(parse_checkpoint_body(note.text), note)


def verify_checkpoint(
    text: str | bytes, verifiers: Iterable[NoteVerifier], *, required: int = 1
) -> VerifiedCheckpoint:
    """Verify a checkpoint against the log's trusted keys.

    Signatures by unknown keys (witness cosignatures, other logs) are ignored; a known key
    whose signature fails, or fewer than ``required`` verified keys, raise :class:`ProofError`.
    """
    parsed = parse_checkpoint(text)
    note, verified = open_note(parsed.note, verifiers, required=required)
    return VerifiedCheckpoint(parsed.checkpoint, note, verified)
