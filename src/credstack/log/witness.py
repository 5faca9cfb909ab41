"""A witness for a transparency log: follow its tree heads, check each new one is consistent
with the last one seen, cosign accepted heads, and raise the alarm on equivocation.

https://github.com/C2SP/C2SP/blob/main/tlog-witness.md (witness duties) and
https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md (what a cosignature states).

The witness remembers one head per log (:class:`WitnessState`, a small JSON file).  For each
fetched checkpoint, :func:`observe`:

1. verifies the log's signature (:func:`~credstack.log.checkpoint.verify_checkpoint`) and that
   the origin is the one followed;
2. same size as the last head: the roots must match, else two signed heads exist for one size
   (:attr:`Verdict.EQUIVOCATION`);
3. larger: an RFC 9162 consistency proof from the last head must verify, else the log rewrote
   its history (:attr:`Verdict.INCONSISTENT`);
4. smaller (a stale cache, or a rollback): it must be consistent with the last head too; it is
   never cosigned and the state never goes backwards.

Alarms are outcomes carrying both heads, not exceptions: a caller must see them, and the
state stays at the last good head.  Bad input (a bad signature, another origin) raises.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, ProofError
from credstack.log.checkpoint import Checkpoint, verify_checkpoint
from credstack.log.cosign import cosign, cosignature_signer, posix_seconds
from credstack.log.merkle import HASH_SIZE, MAX_TREE_SIZE, verify_consistency
from credstack.log.note import (
    COSIGNATURE_V1,
    MAX_NOTE_BYTES,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    parse_note,
)

__all__ = [
    "STATE_VERSION",
    "Alarm",
    "ConsistencyProofFetcher",
    "Observation",
    "Verdict",
    "WitnessCosignature",
    "WitnessState",
    "cosign_head",
    "has_cosignature",
    "load_state",
    "observe",
    "save_state",
]

STATE_VERSION = 1
MAX_STATE_BYTES = MAX_NOTE_BYTES * 2
ConsistencyProofFetcher = Callable[[int, int], Sequence[bytes]]
"""``fetch(size1, size2)`` returns the consistency proof hashes between two tree sizes."""


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last head a witness accepted for one log: origin, size, root and signed text."""

    origin: str
    size: int
    root_hash: bytes
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "origin": self.origin,
            "size": self.size,
            "root_hash": base64.b64encode(self.root_hash).decode("ascii"),
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, data: object) -> WitnessState:
        """Read :meth:`to_json` output; anything else is :class:`InvalidInput`."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise InvalidInput(f"witness state must be a version {STATE_VERSION} JSON object")
        origin, size = data.get("origin"), data.get("size")
        root_text, text = data.get("root_hash"), data.get("checkpoint")
        if not isinstance(origin, str) or not origin:
            raise InvalidInput("witness state: origin must be a non-empty string")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_TREE_SIZE:
            raise InvalidInput("witness state: size must be a positive tree size")
        if not isinstance(root_text, str) or not isinstance(text, str):
            raise InvalidInput("witness state: root_hash and checkpoint must be strings")
        try:
            root_hash = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise InvalidInput("witness state: root_hash is not base64") from None
        if len(root_hash) != HASH_SIZE:
            raise InvalidInput(f"witness state: root_hash must be {HASH_SIZE} bytes")
        return cls(origin, size, root_hash, text)


def load_state(path: Path) -> WitnessState | None:
    """The state saved at ``path``, or None when there is no file yet (first use)."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(f"cannot read witness state {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_STATE_BYTES:
        raise InvalidInput(f"witness state {path} is too large", code="INPUT_TOO_LARGE")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(f"witness state {path} is not JSON", code="INVALID_JSON") from None
    return WitnessState.from_json(data)


def save_state(state: WitnessState, path: Path) -> None:
    """Write the state atomically (temporary file, then rename): a crash keeps the old one."""
    data = (json.dumps(state.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".witness-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInput(f"cannot write witness state {path}: {exc.strerror or exc}") from None


class Verdict(Enum):
    """What one observation found."""

    FIRST = "first"  # nothing seen before: trusted on first use
    ADVANCED = "advanced"  # a larger head, proved consistent
    UNCHANGED = "unchanged"  # the same head again
    STALE = "stale"  # an older head, consistent with the last one (not cosigned)
    EQUIVOCATION = "equivocation"  # two different signed heads of one size
    INCONSISTENT = "inconsistent"  # no valid consistency proof between the heads

    @property
    def accepted(self) -> bool:
        """Heads the witness may cosign."""
        return self in (Verdict.FIRST, Verdict.ADVANCED, Verdict.UNCHANGED)

    @property
    def alarm(self) -> bool:
        return self in (Verdict.EQUIVOCATION, Verdict.INCONSISTENT)


@dataclass(frozen=True, slots=True)
class Alarm:
    """Evidence of log misbehaviour: the head the witness knew and the conflicting one."""

    verdict: Verdict
    message: str
    known: WitnessState
    seen: Checkpoint
    seen_text: str


@dataclass(frozen=True, slots=True)
class Observation:
    """The outcome of :func:`observe`: the verdict, the head seen and the state to keep."""

    verdict: Verdict
    checkpoint: Checkpoint
    text: str
    previous: WitnessState | None
    state: WitnessState
    alarm: Alarm | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted


def observe(
    state: WitnessState | None,
    checkpoint_text: str | bytes,
    consistency_proof_fetcher: ConsistencyProofFetcher,
    log_verifiers: Iterable[NoteVerifier],
    at: datetime,
) -> Observation:
    """Check a fetched checkpoint against the last accepted head (see the module docstring).

    ``at`` is the observation time (checked to be aware; the state records no time).  A bad
    log signature or a malformed note raises :class:`ProofError`; another origin than the
    state's raises :class:`InvalidInput`; fetcher errors propagate.
    """
    posix_seconds(at)
    verified = verify_checkpoint(checkpoint_text, log_verifiers)
    head = verified.checkpoint
    text = verified.note.format()
    seen = WitnessState(head.origin, head.size, head.root_hash, text)
    if head.size == 0:
        raise InvalidInput("an empty tree head proves nothing and is not witnessed")
    if state is None:
        return Observation(Verdict.FIRST, head, text, None, seen)
    if head.origin != state.origin:
        raise InvalidInput(
            f"checkpoint is for log {head.origin!r}; this witness state follows {state.origin!r}"
        )

    def outcome(verdict: Verdict, message: str = "") -> Observation:
        if verdict.alarm:
            alarm = Alarm(verdict, message, state, head, text)
            return Observation(verdict, head, text, state, state, alarm)
        keep = seen if verdict in (Verdict.ADVANCED, Verdict.UNCHANGED) else state
        return Observation(verdict, head, text, state, keep)

    if head.size == state.size:
        if head.root_hash != state.root_hash:
            return outcome(
                Verdict.EQUIVOCATION,
                f"log {head.origin!r} signed two different tree heads of size {head.size}",
            )
        return outcome(Verdict.UNCHANGED)
    small, large = sorted((state, seen), key=lambda s: s.size)
    proof = list(consistency_proof_fetcher(small.size, large.size))
    try:
        verify_consistency(small.size, large.size, proof, small.root_hash, large.root_hash)
    except ProofError as exc:
        return outcome(
            Verdict.INCONSISTENT,
            f"log {head.origin!r}: the head of size {head.size} is not consistent with the "
            f"head of size {state.size} seen before ({exc.message})",
        )
    return outcome(Verdict.ADVANCED if head.size > state.size else Verdict.STALE)


@dataclass(frozen=True, slots=True)
class WitnessCosignature:
    """A cosignature on an accepted head: the signature line and the cosigned note."""

    size: int
    line: str
    checkpoint: str


def _signer(witness_key: KeyPair | NoteSigner, name: str) -> NoteSigner:
    if isinstance(witness_key, NoteSigner):
        if witness_key.sig_type != COSIGNATURE_V1 or witness_key.name != name:
            raise InvalidInput("a witness signer must be a type 0x04 key named like the witness")
        return witness_key
    return cosignature_signer(name, witness_key)


def has_cosignature(checkpoint_text: str | bytes, witness: NoteVerifier) -> bool:
    """True when the note already carries a valid cosignature by ``witness``."""
    note = parse_note(checkpoint_text)
    return any(
        sig.name == witness.name
        and sig.key_id == witness.key_id
        and witness.verify(note.text, sig.signature)
        for sig in note.signatures
    )


def cosign_head(
    observation: Observation, witness_key: KeyPair | NoteSigner, name: str, at: datetime
) -> WitnessCosignature:
    """Cosign an accepted head at ``at``; alarms and stale heads are :class:`InvalidInput`.

    Any earlier cosignature by this witness on the note is replaced by the new one.
    """
    if not observation.accepted:
        raise InvalidInput(
            f"a witness cosigns only accepted heads, not a {observation.verdict.value} one"
        )
    signer = _signer(witness_key, name)
    note = parse_note(observation.text)
    own = (signer.name, signer.key_id)
    others = tuple(s for s in note.signatures if (s.name, s.key_id) != own)
    if not others:
        raise InvalidInput("the checkpoint carries no log signature")
    cosigned = cosign(note.text + "\n" + "".join(s.line for s in others), signer, name, at)
    mine: NoteSignature = parse_note(cosigned).signatures[-1]
    return WitnessCosignature(observation.checkpoint.size, mine.line, cosigned)
