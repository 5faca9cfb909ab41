"""Public-chain anchoring against an in-process chain (web3's EthereumTesterProvider, py-evm)."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import socket
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from eth_account import Account
from hexbytes import HexBytes
from hypothesis import given
from hypothesis import strategies as st
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

from credstack.crypto.keys import KeyPair
from credstack.errors import (
    ConfigurationError,
    InvalidInput,
    InvalidState,
    ProofError,
    Unavailable,
)
from credstack.log.anchor import (
    ANCHOR_MAGIC,
    ANCHOR_PAYLOAD_SIZE,
    AnchorRecord,
    anchor_checkpoint,
    anchor_due,
    anchor_payload,
    connect_rpc,
    decode_anchor_payload,
    verify_anchor,
)
from credstack.log.checkpoint import Checkpoint, sign_checkpoint
from credstack.log.merkle import leaf_hash, root
from credstack.log.note import NoteSigner

ORIGIN = "credstack.example/log"
AT = datetime(2025, 7, 1, 12, 0, 0, 123000, tzinfo=UTC)
SIGNER = NoteSigner(ORIGIN, KeyPair(bytes([7]) * 32))
OTHER_SIGNER = NoteSigner("other.example/log", KeyPair(bytes([8]) * 32))


def _root(n: int) -> bytes:
    return root([leaf_hash(bytes([i])) for i in range(n)])


def _note(size: int, root_hash: bytes | None = None, origin: str = ORIGIN) -> str:
    signer = SIGNER if origin == ORIGIN else OTHER_SIGNER
    return sign_checkpoint(origin, size, _root(size) if root_hash is None else root_hash, signer)


@pytest.fixture
def w3() -> Web3:
    return Web3(EthereumTesterProvider())


def _sender(w3: Web3) -> str:
    return str(w3.eth.accounts[0])


def _transfer(w3: Web3, to: str, value: Wei) -> bytes:
    return bytes(w3.eth.send_transaction({"from": _sender(w3), "to": to, "value": value}))


def _anchor(w3: Web3, size: int = 3) -> AnchorRecord:
    return anchor_checkpoint(_note(size), web3=w3, account=_sender(w3), at=AT)


# ---------------------------------------------------------------------------- payload


def test_payload_layout_matches_documentation() -> None:
    checkpoint = Checkpoint(ORIGIN, 3, bytes(range(32)))
    payload = anchor_payload(checkpoint)
    assert len(payload) == ANCHOR_PAYLOAD_SIZE == 95
    assert payload[:23] == b"credstack-log-anchor/v1"
    assert payload[23:31] == bytes([0, 0, 0, 0, 0, 0, 0, 3])
    assert payload[31:63] == bytes(range(32))
    assert payload[63:] == hashlib.sha256(ORIGIN.encode()).digest()


@given(
    size=st.integers(min_value=0, max_value=2**63 - 1),
    root_hash=st.binary(min_size=32, max_size=32),
)
def test_payload_round_trip_decodes_same_fields(size: int, root_hash: bytes) -> None:
    checkpoint = Checkpoint(ORIGIN, size, root_hash)
    decoded = decode_anchor_payload(anchor_payload(checkpoint))
    assert (decoded.tree_size, decoded.root_hash) == (size, root_hash)
    assert decoded.matches(checkpoint)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        ANCHOR_MAGIC + bytes(71),
        ANCHOR_MAGIC + bytes(73),
        b"credstack-log-anchor/v2" + bytes(72),
        ANCHOR_MAGIC + b"\x80" + bytes(71),
    ],
)
def test_decode_payload_malformed_refused(data: bytes) -> None:
    with pytest.raises(ProofError) as caught:
        decode_anchor_payload(data)
    assert caught.value.code == "MALFORMED_PROOF_ERROR"


# ---------------------------------------------------------------------------- records


def _record(**changes: Any) -> AnchorRecord:
    base = AnchorRecord(
        chain_id=131277322940537,
        tx_hash=bytes([1]) * 32,
        block_number=7,
        block_hash=bytes([2]) * 32,
        origin=ORIGIN,
        tree_size=3,
        root_hash=_root(3),
        anchored_at=AT,
    )
    return dataclasses.replace(base, **changes)


def test_record_json_round_trip_preserves_fields() -> None:
    record = _record()
    as_json = record.to_json()
    assert as_json["txHash"] == "0x" + "01" * 32
    assert as_json["anchoredAt"] == "2025-07-01T12:00:00.123Z"
    assert AnchorRecord.from_json(as_json) == record
    assert AnchorRecord.from_json(json.dumps(as_json)) == record


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("type", "Other"),
        ("version", 2),
        ("version", True),
        ("chainId", 0),
        ("chainId", "1"),
        ("blockNumber", -1),
        ("treeSize", 2**63),
        ("txHash", "0x" + "01" * 31),
        ("blockHash", "02" * 32),
        ("rootHash", "not base64"),
        ("origin", ""),
        ("anchoredAt", "2025-07-01T12:00:00"),
        ("extra", 1),
    ],
)
def test_record_from_json_malformed_refused(member: str, value: Any) -> None:
    as_json = _record().to_json()
    as_json[member] = value
    with pytest.raises(InvalidInput):
        AnchorRecord.from_json(as_json)


def test_record_from_json_missing_member_refused() -> None:
    as_json = _record().to_json()
    del as_json["blockHash"]
    with pytest.raises(InvalidInput, match="missing"):
        AnchorRecord.from_json(as_json)


def test_record_time_kept_in_utc_milliseconds() -> None:
    east = timezone(timedelta(hours=2))
    record = _record(anchored_at=datetime(2025, 7, 1, 14, 0, 0, 123456, tzinfo=east))
    assert record.anchored_at == AT
    assert record.anchored_at.tzinfo is UTC
    assert AnchorRecord.from_json(record.to_json()) == record


def test_record_naive_time_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        _record(anchored_at=datetime(2025, 7, 1))


# ---------------------------------------------------------------------------- anchor and verify


def test_anchor_then_verify_succeeds(w3: Web3) -> None:
    record = _anchor(w3)
    assert record.chain_id == w3.eth.chain_id
    assert (record.origin, record.tree_size, record.root_hash) == (ORIGIN, 3, _root(3))
    assert record.anchored_at == AT
    tx = w3.eth.get_transaction(HexBytes(record.tx_hash))
    assert bytes(tx["input"]) == anchor_payload(Checkpoint(ORIGIN, 3, _root(3)))
    check = verify_anchor(record, _note(3), web3=w3)
    assert check.confirmations == 1
    assert check.sender == _sender(w3)
    assert check.checkpoint.size == 3
    assert check.block_time.tzinfo is UTC


def test_verify_after_json_round_trip_succeeds(w3: Web3) -> None:
    record = AnchorRecord.from_json(json.dumps(_anchor(w3).to_json()))
    assert verify_anchor(record, _note(3), web3=w3).record == record


def test_verify_counts_confirmations(w3: Web3) -> None:
    record = _anchor(w3)
    for _ in range(3):  # eth-tester mines one block per transaction
        _transfer(w3, _sender(w3), Wei(1))
    assert verify_anchor(record, _note(3), web3=w3, min_confirmations=4).confirmations == 4
    with pytest.raises(InvalidState, match="4 confirmation"):
        verify_anchor(record, _note(3), web3=w3, min_confirmations=5)


def test_anchor_with_local_account_succeeds(w3: Web3) -> None:
    local = Account.create()
    _transfer(w3, local.address, Wei(10**18))
    record = anchor_checkpoint(_note(5), web3=w3, account=local, at=AT)
    check = verify_anchor(record, _note(5), web3=w3)
    assert check.sender == local.address


def test_anchor_unfunded_local_account_refused(w3: Web3) -> None:
    with pytest.raises(ProofError) as caught:
        anchor_checkpoint(_note(3), web3=w3, account=Account.create(), at=AT)
    assert caught.value.code == "PROOF_GENERATION_ERROR"


def test_anchor_unknown_node_account_refused(w3: Web3) -> None:
    with pytest.raises(ProofError) as caught:
        anchor_checkpoint(_note(3), web3=w3, account="0x" + "12" * 20, at=AT)
    assert caught.value.code == "PROOF_GENERATION_ERROR"


def test_anchor_naive_time_refused(w3: Web3) -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        anchor_checkpoint(_note(3), web3=w3, account=_sender(w3), at=datetime(2025, 7, 1))


def test_verify_tampered_root_refused(w3: Web3) -> None:
    record = _anchor(w3)
    forged_root = hashlib.sha256(b"forged").digest()
    forged = _note(3, forged_root)
    with pytest.raises(ProofError, match="root hash"):
        verify_anchor(record, forged, web3=w3)
    # a record edited to match the forged checkpoint still points at the real payload
    with pytest.raises(ProofError, match="another root hash"):
        verify_anchor(dataclasses.replace(record, root_hash=forged_root), forged, web3=w3)


def test_verify_tampered_size_refused(w3: Web3) -> None:
    record = _anchor(w3)
    with pytest.raises(ProofError, match="tree size"):
        verify_anchor(record, _note(4, _root(3)), web3=w3)
    with pytest.raises(ProofError, match="anchors tree size 3"):
        verify_anchor(dataclasses.replace(record, tree_size=4), _note(4, _root(3)), web3=w3)


def test_verify_other_origin_refused(w3: Web3) -> None:
    record = _anchor(w3)
    other = "other.example/log"
    with pytest.raises(ProofError, match="another log"):
        verify_anchor(dataclasses.replace(record, origin=other), _note(3, origin=other), web3=w3)


def test_verify_record_pointing_at_other_transaction_refused(w3: Web3) -> None:
    first = _anchor(w3, 3)
    second = _anchor(w3, 4)
    moved = dataclasses.replace(
        first,
        tx_hash=second.tx_hash,
        block_number=second.block_number,
        block_hash=second.block_hash,
    )
    with pytest.raises(ProofError, match="anchors tree size 4"):
        verify_anchor(moved, _note(3), web3=w3)


def test_verify_transfer_transaction_refused(w3: Web3) -> None:
    record = _anchor(w3)
    plain = _transfer(w3, _sender(w3), Wei(1))
    with pytest.raises(ProofError) as caught:
        verify_anchor(dataclasses.replace(record, tx_hash=bytes(plain)), _note(3), web3=w3)
    assert caught.value.code == "MALFORMED_PROOF_ERROR"


def test_verify_missing_transaction_refused(w3: Web3) -> None:
    record = dataclasses.replace(_anchor(w3), tx_hash=bytes([0xAB]) * 32)
    with pytest.raises(ProofError, match="is not on chain"):
        verify_anchor(record, _note(3), web3=w3)


def test_verify_wrong_block_refused(w3: Web3) -> None:
    record = _anchor(w3)
    with pytest.raises(ProofError, match="another block"):
        verify_anchor(dataclasses.replace(record, block_hash=bytes(32)), _note(3), web3=w3)
    with pytest.raises(ProofError, match="the record says"):
        verify_anchor(dataclasses.replace(record, block_number=0), _note(3), web3=w3)


def test_verify_chain_id_mismatch_refused(w3: Web3) -> None:
    record = dataclasses.replace(_anchor(w3), chain_id=1)
    with pytest.raises(ConfigurationError, match="chain id 1"):
        verify_anchor(record, _note(3), web3=w3)


def test_verify_min_confirmations_below_one_refused(w3: Web3) -> None:
    record = _anchor(w3)
    with pytest.raises(InvalidInput):
        verify_anchor(record, _note(3), web3=w3, min_confirmations=0)


def test_verify_unreachable_rpc_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    w3 = connect_rpc(f"http://127.0.0.1:{port}", timeout=2.0)
    with pytest.raises(Unavailable, match="unreachable"):
        verify_anchor(_record(), _note(3), web3=w3)


def test_connect_rpc_non_http_refused() -> None:
    with pytest.raises(ConfigurationError):
        connect_rpc("file:///etc/passwd")


# ---------------------------------------------------------------------------- scheduling


def test_anchor_due_follows_tree_growth_and_interval() -> None:
    every = timedelta(hours=1)
    last = _record()
    assert anchor_due(None, _note(3), at=AT, every=every)
    assert not anchor_due(last, _note(3), at=AT + timedelta(days=1), every=every)
    assert not anchor_due(last, _note(4), at=AT + timedelta(minutes=59), every=every)
    assert anchor_due(last, _note(4), at=AT + every, every=every)


def test_anchor_due_other_log_refused() -> None:
    with pytest.raises(InvalidInput):
        anchor_due(_record(), _note(4, origin="other.example/log"), at=AT, every=timedelta(0))


# ---------------------------------------------------------------------------- without web3


def test_module_imports_without_web3(monkeypatch: pytest.MonkeyPatch) -> None:
    import credstack.log

    monkeypatch.setitem(sys.modules, "web3", None)
    # importing again rebinds the package attribute too; put the original back afterwards
    monkeypatch.setattr(credstack.log, "anchor", sys.modules["credstack.log.anchor"])
    monkeypatch.delitem(sys.modules, "credstack.log.anchor")
    module = importlib.import_module("credstack.log.anchor")
    assert module.ANCHOR_MAGIC == ANCHOR_MAGIC
    assert module.AnchorRecord.from_json(_record().to_json()).tree_size == 3


def test_anchor_without_web3_names_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "web3", None)
    with pytest.raises(ConfigurationError, match=r"credstack\[anchor\]"):
        anchor_checkpoint(_note(3), web3=None, account="0x" + "12" * 20, at=AT)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"credstack\[anchor\]"):
        verify_anchor(_record(), _note(3), web3=None)  # type: ignore[arg-type]


def test_loading_web3_keeps_the_recursion_limit() -> None:
    import subprocess
    import sys

    code = (
        "import sys; before = sys.getrecursionlimit();"
        "from credstack.log.anchor import _web3_module; _web3_module();"
        "print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == out[1]
