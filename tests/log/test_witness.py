"""The witness library: consistent growth is cosigned, equivocation and rewritten history alarm."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, ProofError
from credstack.log.checkpoint import sign_checkpoint
from credstack.log.cosign import cosignature_verifier, verify_cosignatures
from credstack.log.merkle import MemoryNodeStore, MerkleTree, leaf_hash
from credstack.log.note import NoteSigner
from credstack.log.witness import (
    Verdict,
    WitnessState,
    cosign_head,
    has_cosignature,
    load_state,
    observe,
    save_state,
)

ORIGIN = "log.example/log"
LOG = NoteSigner(ORIGIN, KeyPair(bytes([7]) * 32))
WITNESS = KeyPair(bytes([9]) * 32)
WITNESS_NAME = "witness.example/w1"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Log:
    """A Merkle tree with a signing key and a record of proof requests."""

    def __init__(self, prefix: bytes = b"leaf") -> None:
        self.tree = MerkleTree(MemoryNodeStore())
        self.prefix = prefix
        self.requests: list[tuple[int, int]] = []

    def grow(self, count: int) -> str:
        start = self.tree.size
        self.tree.append([leaf_hash(self.prefix + b"%d" % i) for i in range(start, start + count)])
        return sign_checkpoint(ORIGIN, self.tree.size, self.tree.root(), LOG)

    def proof(self, size1: int, size2: int) -> list[bytes]:
        self.requests.append((size1, size2))
        return self.tree.consistency_proof(size1, size2)


def _no_proof(size1: int, size2: int) -> list[bytes]:
    raise AssertionError(f"no proof expected ({size1}, {size2})")


def test_observe_consistent_growth_accepted_and_cosigned() -> None:
    log = Log()
    first = observe(None, log.grow(3), _no_proof, [LOG.verifier], T0)
    assert first.verdict is Verdict.FIRST
    assert first.state.size == 3
    second = observe(first.state, log.grow(5), log.proof, [LOG.verifier], T0)
    assert second.verdict is Verdict.ADVANCED
    assert second.alarm is None
    assert log.requests == [(3, 8)]
    assert second.state.size == 8
    assert second.state.root_hash == log.tree.root()
    cosigned = cosign_head(second, WITNESS, WITNESS_NAME, T0 + timedelta(seconds=5))
    assert cosigned.size == 8
    verifier = cosignature_verifier(WITNESS_NAME, WITNESS.public)
    head, sigs = verify_cosignatures(cosigned.checkpoint, [verifier], required_n=1)
    assert head.size == 8
    assert sigs[0].time == T0 + timedelta(seconds=5)
    assert cosigned.checkpoint.endswith(cosigned.line)
    assert has_cosignature(cosigned.checkpoint, verifier)
    assert not has_cosignature(second.text, verifier)


def test_observe_same_head_again_unchanged_and_recosigned() -> None:
    log = Log()
    text = log.grow(4)
    first = observe(None, text, _no_proof, [LOG.verifier], T0)
    once = cosign_head(first, WITNESS, WITNESS_NAME, T0)
    again = observe(first.state, once.checkpoint, _no_proof, [LOG.verifier], T0)
    assert again.verdict is Verdict.UNCHANGED
    later = cosign_head(again, WITNESS, WITNESS_NAME, T0 + timedelta(minutes=1))
    assert later.line != once.line  # the old cosignature is replaced, not duplicated
    assert later.checkpoint.count(WITNESS_NAME) == 1


def test_observe_planted_equivocation_raises_alarm() -> None:
    honest, forked = Log(b"a"), Log(b"b")
    seen = observe(None, honest.grow(6), _no_proof, [LOG.verifier], T0)
    other = forked.grow(6)  # same size, same key, another root
    obs = observe(seen.state, other, _no_proof, [LOG.verifier], T0)
    assert obs.verdict is Verdict.EQUIVOCATION
    assert obs.alarm is not None
    assert obs.alarm.known.root_hash == honest.tree.root()
    assert obs.alarm.seen.root_hash == forked.tree.root()
    assert obs.alarm.seen_text == other
    assert obs.state == seen.state  # the last good head is kept
    with pytest.raises(InvalidInput):
        cosign_head(obs, WITNESS, WITNESS_NAME, T0)


def test_observe_rewritten_history_raises_alarm() -> None:
    honest, rewritten = Log(b"a"), Log(b"b")
    seen = observe(None, honest.grow(5), _no_proof, [LOG.verifier], T0)
    honest.grow(4)
    bigger = rewritten.grow(9)

    def proof_from_rewritten_log(size1: int, size2: int) -> list[bytes]:
        return rewritten.proof(size1, size2)

    obs = observe(seen.state, bigger, proof_from_rewritten_log, [LOG.verifier], T0)
    assert obs.verdict is Verdict.INCONSISTENT
    assert obs.alarm is not None
    assert "not consistent" in obs.alarm.message
    assert obs.state.size == 5
    # the honest log's proof for the honest head is accepted
    good = sign_checkpoint(ORIGIN, 9, honest.tree.root(), LOG)
    assert observe(seen.state, good, honest.proof, [LOG.verifier], T0).verdict is Verdict.ADVANCED


def test_observe_truncated_proof_raises_alarm() -> None:
    log = Log()
    seen = observe(None, log.grow(3), _no_proof, [LOG.verifier], T0)
    text = log.grow(10)
    obs = observe(seen.state, text, lambda a, b: log.proof(a, b)[:-1], [LOG.verifier], T0)
    assert obs.verdict is Verdict.INCONSISTENT


def test_observe_older_head_is_stale_and_state_never_goes_back() -> None:
    log = Log()
    old = log.grow(2)
    new = log.grow(6)
    seen = observe(None, new, _no_proof, [LOG.verifier], T0)
    obs = observe(seen.state, old, log.proof, [LOG.verifier], T0)
    assert obs.verdict is Verdict.STALE
    assert log.requests == [(2, 8)]
    assert obs.state == seen.state
    with pytest.raises(InvalidInput):
        cosign_head(obs, WITNESS, WITNESS_NAME, T0)


def test_observe_bad_log_signature_refused() -> None:
    impostor = NoteSigner(ORIGIN, KeyPair(bytes([8]) * 32))
    log = Log()
    log.grow(3)
    forged = sign_checkpoint(ORIGIN, 3, log.tree.root(), impostor)
    with pytest.raises(ProofError):
        observe(None, forged, _no_proof, [LOG.verifier], T0)
    text = log.grow(1)
    body, _, sig = text.rpartition("\u2014 ")
    tampered = body.replace("\n4\n", "\n5\n") + "\u2014 " + sig
    with pytest.raises(ProofError):
        observe(None, tampered, _no_proof, [LOG.verifier], T0)


def test_observe_other_origin_refused() -> None:
    log = Log()
    seen = observe(None, log.grow(3), _no_proof, [LOG.verifier], T0)
    elsewhere = NoteSigner("other.example/log", LOG.key)
    text = sign_checkpoint("other.example/log", 4, log.tree.root(), elsewhere)
    with pytest.raises(InvalidInput, match="follows"):
        observe(seen.state, text, _no_proof, [elsewhere.verifier], T0)


def test_state_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    assert load_state(path) is None
    log = Log()
    state = observe(None, log.grow(7), _no_proof, [LOG.verifier], T0).state
    save_state(state, path)
    assert load_state(path) == state
    data = json.loads(path.read_text())
    assert (data["version"], data["size"], data["origin"]) == (1, 7, ORIGIN)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"size": 0},
        {"size": True},
        {"root_hash": "not base64!"},
        {"root_hash": "AAAA"},
        {"origin": ""},
    ],
)
def test_state_file_malformed_refused(tmp_path: Path, change: dict[str, object]) -> None:
    state = WitnessState(ORIGIN, 1, hashlib.sha256(b"x").digest(), "text\n")
    path = tmp_path / "state.json"
    path.write_text(json.dumps({**state.to_json(), **change}))
    with pytest.raises(InvalidInput):
        load_state(path)


def test_state_file_not_json_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{")
    with pytest.raises(InvalidInput):
        load_state(path)
