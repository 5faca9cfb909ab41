"""Public-chain anchors in verification bundles: format, assembly checks, the offline
consistency check, and the on-chain check through an anchor verifier (eth-tester in process)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
from web3 import EthereumTesterProvider, Web3

from credstack.errors import ConfigurationError, InvalidInput, ProofError, Unavailable
from credstack.log.anchor import (
    AnchorCheck,
    AnchorRecord,
    anchor_checkpoint,
    rpc_anchor_verifier,
    verify_anchor,
)
from credstack.log.bundle import (
    MAX_ANCHORS,
    AnchorEvidence,
    Bundle,
    BundleStepName,
    TrustAnchors,
    build_bundle,
    parse_bundle,
    verify_bundle,
)
from credstack.log.checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint
from credstack.log.leaf import leaf_hash
from credstack.log.merkle import root
from credstack.verify.report import Outcome
from tests.log.test_bundle import (
    LOG,
    NOW,
    ORIGIN,
    TRUST,
    FakeLog,
    Scenario,
    issued_scenario,
)

AT = datetime.fromisoformat("2025-07-02T00:00:00+00:00")


def _root_at(log: FakeLog, size: int) -> bytes:
    return root([leaf_hash(leaf) for leaf in log.leaves[:size]])


def _note(log: FakeLog, size: int) -> str:
    return sign_checkpoint(ORIGIN, size, _root_at(log, size), LOG)


def _record(log: FakeLog, size: int, n: int = 1, origin: str = ORIGIN) -> AnchorRecord:
    return AnchorRecord(
        chain_id=1,
        tx_hash=bytes([n]) * 32,
        block_number=10 + n,
        block_hash=bytes([n + 100]) * 32,
        origin=origin,
        tree_size=size,
        root_hash=_root_at(log, size),
        anchored_at=AT,
    )


def _evidence(log: FakeLog, record: AnchorRecord) -> AnchorEvidence:
    return AnchorEvidence(record, tuple(log.tree.consistency_proof(record.tree_size)))


def _with_anchors(scenario: Scenario, anchors: list[AnchorEvidence]) -> Bundle:
    b = scenario.bundle
    return build_bundle(
        credential=b.credential,
        did_document=b.did_document,
        checkpoint=b.checkpoint,
        credential_log=b.credential_log,
        did_document_log=b.did_document_log,
        status_list=b.status_list,
        status_checked_at=b.status_checked_at,
        key_history=b.key_history,
        anchors=anchors,
    )


def _anchored(w3: Web3 | None = None) -> tuple[Scenario, Bundle, list[AnchorRecord]]:
    """The issued scenario (5 leaves, credential leaf 3) with anchors at sizes 4 and 5."""
    scenario = issued_scenario()
    log = scenario.log
    if w3 is None:
        records = [_record(log, 4, 1), _record(log, 5, 2)]
    else:
        sender = str(w3.eth.accounts[0])
        records = [
            anchor_checkpoint(_note(log, size), web3=w3, account=sender, at=AT) for size in (4, 5)
        ]
    bundle = _with_anchors(scenario, [_evidence(log, r) for r in records])
    return scenario, bundle, records


def _step(bundle: Any, **options: Any) -> tuple[Outcome, str, str | None, bool]:
    report = verify_bundle(bundle, at=NOW, **{"trust": TRUST, **options})
    step = report.step(BundleStepName.ANCHORS)
    assert step is not None
    return step.outcome, step.message, step.code, report.verified


# ---------------------------------------------------------------------------- format


def test_bundle_anchors_round_trip_in_json() -> None:
    _, bundle, records = _anchored()
    data = json.loads(bundle.dumps())
    assert [a["record"] for a in data["anchors"]] == [r.to_json() for r in records]
    assert len(data["anchors"][0]["consistency"]) > 0
    assert data["anchors"][1]["consistency"] == []  # the checkpoint's own size
    parsed = parse_bundle(data)
    assert parsed.anchors == bundle.anchors
    assert "anchors" not in json.loads(issued_scenario().bundle.dumps())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(anchors={}),
        lambda d: d.update(anchors=[d["anchors"][0]] * (MAX_ANCHORS + 1)),
        lambda d: d["anchors"][0].update(extra=1),
        lambda d: d["anchors"][0].pop("consistency"),
        lambda d: d["anchors"][0].update(consistency=["AAAA"]),
        lambda d: d["anchors"][0].update(consistency="not a list"),
        lambda d: d["anchors"][0]["record"].update(treeSize=-1),
        lambda d: d["anchors"][0].update(record="text"),
    ],
)
def test_parse_bundle_refuses_malformed_anchors(mutate: Any) -> None:
    data = json.loads(_anchored()[1].dumps())
    mutate(data)
    with pytest.raises(InvalidInput):
        parse_bundle(data)
    assert verify_bundle(data, at=NOW, trust=TRUST).unusable


def test_build_bundle_refuses_anchors_that_do_not_fit() -> None:
    scenario = issued_scenario()
    log = scenario.log
    other_log = _record(log, 4, origin="other.example/log")
    too_large = AnchorEvidence(
        AnchorRecord(1, bytes(32), 1, bytes(32), ORIGIN, 6, bytes(32), AT), ()
    )
    forged_root = AnchorEvidence(
        AnchorRecord(1, bytes(32), 1, bytes(32), ORIGIN, 3, bytes([9]) * 32, AT),
        tuple(log.tree.consistency_proof(3)),
    )
    for anchor, reason in (
        (_evidence(log, other_log), "other.example/log"),
        (too_large, "tree size 6"),
        (forged_root, "not consistent"),
        (AnchorEvidence(_record(log, 3), ()), "not consistent"),  # proof left out
    ):
        with pytest.raises(InvalidInput, match=reason):
            _with_anchors(scenario, [anchor])


# ---------------------------------------------------------------------------- offline


def test_verify_bundle_offline_reports_anchors_present_but_not_checked() -> None:
    _, bundle, _ = _anchored()
    outcome, message, _, verified = _step(bundle)
    assert outcome is Outcome.SKIPPED
    assert "2 anchor record(s) present and consistent with the checkpoint" in message
    assert "not checked on chain" in message
    assert verified
    assert (
        verify_bundle(issued_scenario().bundle, at=NOW, trust=TRUST).step(BundleStepName.ANCHORS)
        is None
    )


def test_verify_bundle_inconsistent_anchor_fails_with_pinned_key() -> None:
    _, bundle, _ = _anchored()
    data = json.loads(bundle.dumps())
    forged = copy.deepcopy(data)
    forged["anchors"][0]["record"]["rootHash"] = data["anchors"][1]["record"]["rootHash"]
    outcome, message, code, verified = _step(forged)
    assert (outcome, code, verified) == (Outcome.FAILED, "PROOF_VERIFICATION_ERROR", False)
    assert "not consistent" in message
    # without a pinned log key the log evidence only informs
    outcome, message, _, _ = _step(forged, trust=TrustAnchors())
    assert outcome is Outcome.WARNING
    assert message.startswith("unauthenticated")


# ---------------------------------------------------------------------------- on chain


@pytest.fixture
def w3() -> Web3:
    return Web3(EthereumTesterProvider())


def test_verify_bundle_checks_anchors_on_chain(w3: Web3) -> None:
    _, bundle, records = _anchored(w3)
    checked: list[AnchorRecord] = []

    def verifier(record: AnchorRecord) -> AnchorCheck:
        checked.append(record)
        return verify_anchor(record, record.checkpoint, web3=w3)

    outcome, message, _, verified = _step(bundle, anchor_verifier=verifier)
    assert (outcome, verified) == (Outcome.PASSED, True)
    assert checked == records
    assert f"tree size 4 is in block {records[0].block_number}" in message
    assert "the credential (leaf 3) was logged no later than" in message


def test_verify_bundle_anchor_not_on_chain_fails(w3: Web3) -> None:
    _, bundle, _records = _anchored(w3)
    data = json.loads(bundle.dumps())
    data["anchors"][1]["record"]["txHash"] = "0x" + "ee" * 32  # consistent, but no such tx

    def verifier(record: AnchorRecord) -> AnchorCheck:
        return verify_anchor(record, record.checkpoint, web3=w3)

    outcome, message, code, verified = _step(data, anchor_verifier=verifier)
    assert (outcome, code, verified) == (Outcome.FAILED, "PROOF_VERIFICATION_ERROR", False)
    assert "is not on chain" in message


@pytest.mark.parametrize(
    "error", [Unavailable("the endpoint is unreachable"), ConfigurationError("chain id 5")]
)
def test_verify_bundle_anchor_unchecked_on_chain_warns(error: Exception) -> None:
    _, bundle, _ = _anchored()

    def verifier(record: AnchorRecord) -> AnchorCheck:
        raise error

    outcome, message, _, verified = _step(bundle, anchor_verifier=verifier)
    assert (outcome, verified) == (Outcome.WARNING, True)
    assert "could not be checked on chain" in message


def test_verify_bundle_anchor_refused_by_verifier_fails() -> None:
    _, bundle, _ = _anchored()

    def verifier(record: AnchorRecord) -> AnchorCheck:
        raise ProofError("anchor verification failed: another block")

    outcome, _, _, verified = _step(bundle, anchor_verifier=verifier)
    assert (outcome, verified) == (Outcome.FAILED, False)


def test_verify_anchor_accepts_an_established_tree_head(w3: Web3) -> None:
    scenario = issued_scenario()
    note = _note(scenario.log, 4)
    record = anchor_checkpoint(note, web3=w3, account=str(w3.eth.accounts[0]), at=AT)
    head = parse_checkpoint(note).checkpoint
    assert verify_anchor(record, head, web3=w3).checkpoint == head
    with pytest.raises(ProofError, match="tree size"):
        verify_anchor(record, Checkpoint(ORIGIN, 5, head.root_hash), web3=w3)


def test_rpc_anchor_verifier_options_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        rpc_anchor_verifier("ftp://node.example")
    with pytest.raises(ConfigurationError):
        rpc_anchor_verifier("http://127.0.0.1:8545", min_confirmations=0)
