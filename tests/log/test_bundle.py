"""Offline verification bundles: format, assembly, size bound, trust anchors, verification
steps, the key-compromise rule and status freshness.  Real logs: MerkleTree + MemoryNodeStore,
real checkpoints and cosignatures signed with keys made here."""

from __future__ import annotations

import copy
import io
import json
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.errors import ConfigurationError, InvalidInput
from credstack.log.bundle import (
    BUNDLE_TYPE,
    MAX_BUNDLE_BYTES,
    NO_TRUST_MESSAGE,
    Bundle,
    BundleReport,
    BundleStepName,
    KeyRecord,
    LeafEvidence,
    TrustAnchors,
    build_bundle,
    evidence_from_proof_response,
    is_bundle,
    load_trust_list,
    parse_bundle,
    parse_trust_list,
    read_bundle,
    verify_bundle,
)
from credstack.log.checkpoint import sign_checkpoint
from credstack.log.cosign import cosign, cosignature_signer
from credstack.log.leaf import (
    EventType,
    credential_digest,
    did_document_digest,
    encode_leaf,
    key_digest,
)
from credstack.log.merkle import MemoryNodeStore, MerkleTree, leaf_hash
from credstack.log.note import NoteSigner
from credstack.proofs.dataintegrity import add_proof, format_datetime
from credstack.resolve.did_web import make_did_document
from credstack.statuslist import encode_list
from credstack.verify.report import Outcome
from tests.conftest import make_open_badge

DID = "did:web:issuer.example"
ORIGIN = "issuer.example/log"
STATUS_URL = "https://issuer.example/status/1"
KEY1 = KeyPair(bytes([11]) * 32)
KEY2 = KeyPair(bytes([12]) * 32)
LOG = NoteSigner(ORIGIN, KeyPair(bytes([21]) * 32))
FORGER_LOG = NoteSigner(ORIGIN, KeyPair(bytes([22]) * 32))
WITNESS_A = KeyPair(bytes([31]) * 32)
WITNESS_B = KeyPair(bytes([32]) * 32)
ACTIVATED = datetime(2025, 6, 1, tzinfo=UTC)
ISSUED = datetime(2025, 7, 1, 12, 0, 0, 123000, tzinfo=UTC)
COMPROMISED = datetime(2025, 9, 1, tzinfo=UTC)
LATE_ISSUE = datetime(2025, 10, 1, tzinfo=UTC)
STATUS_AT = datetime(2025, 12, 20, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
REVOKED_INDEX = 5
TRUST = TrustAnchors(log_keys=(LOG.verifier,))


def vm(fragment: str) -> str:
    return f"{DID}#{fragment}"


DOC_V1 = make_did_document(
    DID, [("key-1", KEY1.public.multibase)], assertion=["key-1"], authentication=["key-1"]
)
DOC_V2 = make_did_document(
    DID,
    [("key-1", KEY1.public.multibase), ("key-2", KEY2.public.multibase)],
    assertion=["key-1", "key-2"],
    authentication=["key-2"],
)
# after key-1 is compromised, it leaves the document entirely (docs/did-documents.md)
DOC_V3 = make_did_document(
    DID, [("key-2", KEY2.public.multibase)], assertion=["key-2"], authentication=["key-2"]
)


def credential(
    index: int = 7, key: KeyPair = KEY1, fragment: str = "key-1", at: datetime = ISSUED
) -> dict[str, Any]:
    entry = {
        "id": f"{STATUS_URL}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": STATUS_URL,
    }
    badge = make_open_badge(DID, credentialStatus=entry, id=f"urn:uuid:cred-{index}")
    return add_proof(badge, key, created=at, verification_method=vm(fragment))


def status_list(
    at: datetime = STATUS_AT, key: KeyPair = KEY1, fragment: str = "key-1"
) -> dict[str, Any]:
    bits = bytearray(16 * 1024)
    bits[REVOKED_INDEX // 8] |= 0x80 >> (REVOKED_INDEX % 8)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": STATUS_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": DID,
        "validFrom": format_datetime(at),
        "credentialSubject": {
            "id": f"{STATUS_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bytes(bits)),
        },
    }
    return add_proof(unsigned, key, created=at, verification_method=vm(fragment))


@dataclass
class FakeLog:
    """A log in memory: leaves, a Merkle tree over them, checkpoints and evidence."""

    tree: MerkleTree = field(default_factory=lambda: MerkleTree(MemoryNodeStore()))
    leaves: list[bytes] = field(default_factory=list)

    def add(self, event: EventType, at: datetime, digest: bytes, issuer: str = DID) -> int:
        leaf = encode_leaf(event, issuer, at, digest)
        self.leaves.append(leaf)
        self.tree.append([leaf_hash(leaf)])
        return len(self.leaves) - 1

    def evidence(self, index: int) -> LeafEvidence:
        proof = tuple(self.tree.inclusion_proof(index))
        return LeafEvidence(index, self.tree.size, self.leaves[index], proof)

    def checkpoint(self, signer: NoteSigner = LOG) -> str:
        return sign_checkpoint(ORIGIN, self.tree.size, self.tree.root(), signer)


@dataclass
class Scenario:
    log: FakeLog
    bundle: Bundle


def issued_scenario(
    *, revoked: bool = False, with_status: bool = True, status_at: datetime = STATUS_AT
) -> Scenario:
    """key-1 active; the credential is issued and logged; nothing compromised."""
    log = FakeLog()
    log.add(EventType.KEY_ACTIVATED, ACTIVATED, key_digest(KEY1.public.multibase))
    doc_index = log.add(EventType.DID_DOCUMENT, ACTIVATED, did_document_digest(DOC_V1))
    log.add(EventType.CREDENTIAL_ISSUED, ISSUED, bytes(32))  # someone else's credential
    cred = credential(REVOKED_INDEX if revoked else 7)
    cred_index = log.add(EventType.CREDENTIAL_ISSUED, ISSUED, credential_digest(cred))
    log.add(EventType.CREDENTIAL_ISSUED, ISSUED + timedelta(hours=1), bytes([1]) * 32)
    history = [KeyRecord(vm("key-1"), KEY1.public.multibase, "active", activated=ACTIVATED)]
    bundle = build_bundle(
        credential=cred,
        did_document=DOC_V1,
        checkpoint=log.checkpoint(),
        credential_log=log.evidence(cred_index),
        did_document_log=log.evidence(doc_index),
        status_list=status_list(status_at) if with_status else None,
        status_checked_at=status_at if with_status else None,
        key_history=history,
    )
    return Scenario(log, bundle)


def compromise_scenario(
    *,
    issued_at: datetime = ISSUED,
    logged_after_compromise: bool = False,
    compromise_evidence: bool = True,
) -> Scenario:
    """key-1 signs the credential, key-2 arrives, key-1 is compromised from COMPROMISED."""
    log = FakeLog()
    log.add(EventType.KEY_ACTIVATED, ACTIVATED, key_digest(KEY1.public.multibase))
    doc_index = log.add(EventType.DID_DOCUMENT, ACTIVATED, did_document_digest(DOC_V1))
    cred = credential(8, at=issued_at)
    cred_index = -1
    if not logged_after_compromise:
        cred_index = log.add(EventType.CREDENTIAL_ISSUED, issued_at, credential_digest(cred))
    log.add(EventType.KEY_ACTIVATED, COMPROMISED, key_digest(KEY2.public.multibase))
    log.add(EventType.DID_DOCUMENT, COMPROMISED, did_document_digest(DOC_V2))
    bad = log.add(EventType.KEY_COMPROMISED, COMPROMISED, key_digest(KEY1.public.multibase))
    current = log.add(EventType.DID_DOCUMENT, COMPROMISED, did_document_digest(DOC_V3))
    if logged_after_compromise:
        cred_index = log.add(EventType.CREDENTIAL_ISSUED, issued_at, credential_digest(cred))
    history = [
        KeyRecord(
            vm("key-1"),
            KEY1.public.multibase,
            "compromised",
            activated=ACTIVATED,
            retired=COMPROMISED,
            compromised_since=COMPROMISED,
            compromise_log=log.evidence(bad) if compromise_evidence else None,
        ),
        KeyRecord(vm("key-2"), KEY2.public.multibase, "active", activated=COMPROMISED),
    ]
    bundle = build_bundle(
        credential=cred,
        did_document=DOC_V1,
        checkpoint=log.checkpoint(),
        credential_log=log.evidence(cred_index),
        did_document_log=log.evidence(doc_index),
        status_list=status_list(key=KEY2, fragment="key-2"),
        status_checked_at=STATUS_AT,
        key_history=history,
        current_did_document=DOC_V3,
        current_did_document_log=log.evidence(current),
    )
    return Scenario(log, bundle)


def outcome(report: BundleReport, name: BundleStepName) -> Outcome:
    step = report.step(name)
    assert step is not None, name
    return step.outcome


def message(report: BundleReport, name: BundleStepName) -> str:
    step = report.step(name)
    assert step is not None, name
    return step.message


def as_json(bundle: Bundle) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bundle.dumps())
    return data


# ------------------------------------------------------------------------------- valid bundle


def test_verify_bundle_with_pinned_log_key_passes_every_step() -> None:
    report = verify_bundle(issued_scenario().bundle, at=NOW, trust=TRUST)
    assert report.verified, report.render()
    assert report.log_trusted
    for name in (
        BundleStepName.FORMAT,
        BundleStepName.TRUST,
        BundleStepName.CREDENTIAL,
        BundleStepName.CHECKPOINT,
        BundleStepName.CREDENTIAL_LOGGED,
        BundleStepName.DID_DOCUMENT_LOGGED,
        BundleStepName.KEY_COMPROMISE,
        BundleStepName.STATUS_FRESHNESS,
    ):
        assert outcome(report, name) is Outcome.PASSED, name
    assert outcome(report, BundleStepName.COSIGNATURES) is Outcome.SKIPPED
    assert report.credential is not None
    assert report.credential.verified
    assert "leaf 3 of 5" in message(report, BundleStepName.CREDENTIAL_LOGGED)
    assert "in force at issuance" in message(report, BundleStepName.DID_DOCUMENT_LOGGED)


def test_verify_bundle_reports_status_age_in_days() -> None:
    report = verify_bundle(issued_scenario().bundle, at=NOW, trust=TRUST)
    assert message(report, BundleStepName.STATUS_FRESHNESS).startswith(
        "status evidence is 12 days old"
    )
    assert report.status_age == timedelta(days=12)
    assert report.to_json()["statusAgeSeconds"] == 12 * 86400


def test_verify_bundle_warns_on_old_status_evidence_but_keeps_verdict() -> None:
    old = issued_scenario(status_at=datetime(2025, 7, 2, tzinfo=UTC)).bundle
    report = verify_bundle(old, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.STATUS_FRESHNESS) is Outcome.WARNING
    assert "status evidence is 183 days old" in message(report, BundleStepName.STATUS_FRESHNESS)
    assert report.verified
    strict = verify_bundle(
        issued_scenario().bundle, at=NOW, trust=TRUST, status_max_age=timedelta(days=7)
    )
    assert outcome(strict, BundleStepName.STATUS_FRESHNESS) is Outcome.WARNING


def test_verify_bundle_without_status_list_warns_revocation_unchecked() -> None:
    report = verify_bundle(issued_scenario(with_status=False).bundle, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.STATUS_FRESHNESS) is Outcome.WARNING
    assert "revocation was not checked" in message(report, BundleStepName.STATUS_FRESHNESS)
    assert report.verified


def test_verify_bundle_revoked_credential_fails() -> None:
    report = verify_bundle(issued_scenario(revoked=True).bundle, at=NOW, trust=TRUST)
    assert not report.verified
    step = report.step(BundleStepName.CREDENTIAL)
    assert step is not None
    assert step.code == "CREDENTIAL_REVOKED"


def test_verify_bundle_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = issued_scenario().bundle

    def no_network(*_: Any, **__: Any) -> Any:
        raise AssertionError("verification tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert verify_bundle(bundle, at=NOW, trust=TRUST).verified


def test_verify_bundle_survives_json_round_trip_and_file(tmp_path: Path) -> None:
    bundle = issued_scenario().bundle
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle.dumps())
    again = read_bundle(path)
    assert again == bundle
    assert verify_bundle(path.read_bytes(), at=NOW, trust=TRUST).verified
    assert verify_bundle(as_json(bundle), at=NOW, trust=TRUST).verified


def test_bundle_json_has_the_documented_members() -> None:
    data = as_json(issued_scenario().bundle)
    assert data["type"] == BUNDLE_TYPE
    assert data["version"] == 1
    assert set(data) == {
        "type",
        "version",
        "credential",
        "didDocument",
        "keyHistory",
        "statusList",
        "statusCheckedAt",
        "log",
    }
    assert set(data["log"]) == {"checkpoint", "credential", "didDocument"}
    assert set(data["log"]["credential"]) == {"index", "size", "leaf", "proof"}
    assert data["statusCheckedAt"] == "2025-12-20T00:00:00Z"
    assert data["keyHistory"][0] == {
        "id": vm("key-1"),
        "publicKeyMultibase": KEY1.public.multibase,
        "status": "active",
        "activated": "2025-06-01T00:00:00Z",
    }
    assert is_bundle(data)
    assert not is_bundle(data["credential"])


# ------------------------------------------------------------------------------- no trust anchor


def test_verify_bundle_without_pinned_key_says_log_proves_nothing() -> None:
    report = verify_bundle(issued_scenario().bundle, at=NOW, trust=TrustAnchors())
    assert outcome(report, BundleStepName.TRUST) is Outcome.WARNING
    assert message(report, BundleStepName.TRUST) == NO_TRUST_MESSAGE
    assert "proves nothing" in report.render()
    assert not report.log_trusted
    assert report.verified  # the verdict rests on the credential alone
    assert outcome(report, BundleStepName.CHECKPOINT) is Outcome.SKIPPED
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.SKIPPED
    assert "unauthenticated" in message(report, BundleStepName.CREDENTIAL_LOGGED)
    assert report.to_json()["logTrusted"] is False


def test_verify_bundle_without_pinned_key_accepts_a_fake_log_but_pinning_rejects_it() -> None:
    """A forger ships a complete bundle with their own log key: only pinning exposes it."""
    scenario = issued_scenario()
    fake = replace(scenario.bundle, checkpoint=scenario.log.checkpoint(FORGER_LOG))
    assert verify_bundle(fake, at=NOW, trust=TrustAnchors()).verified
    report = verify_bundle(fake, at=NOW, trust=TRUST)
    assert not report.verified
    assert outcome(report, BundleStepName.CHECKPOINT) is Outcome.FAILED
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.SKIPPED


def test_verify_bundle_without_pinned_key_reports_inconsistency_as_warning() -> None:
    data = as_json(issued_scenario().bundle)
    data["log"]["credential"]["proof"] = data["log"]["credential"]["proof"][:-1]
    report = verify_bundle(data, at=NOW, trust=TrustAnchors())
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.WARNING


# ------------------------------------------------------------------------------- bad input


def test_verify_bundle_altered_credential_fails_signature_and_leaf() -> None:
    data = as_json(issued_scenario().bundle)
    data["credential"]["name"] = "Forged Micro-credential"
    report = verify_bundle(data, at=NOW, trust=TRUST)
    assert not report.verified
    assert outcome(report, BundleStepName.CREDENTIAL) is Outcome.FAILED
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.FAILED
    assert "altered" in message(report, BundleStepName.CREDENTIAL_LOGGED)


def test_verify_bundle_truncated_proof_is_malformed() -> None:
    data = as_json(issued_scenario().bundle)
    data["log"]["credential"]["proof"] = data["log"]["credential"]["proof"][:-1]
    report = verify_bundle(data, at=NOW, trust=TRUST)
    step = report.step(BundleStepName.CREDENTIAL_LOGGED)
    assert step is not None
    assert step.outcome is Outcome.FAILED
    assert step.code == "MALFORMED_PROOF_ERROR"


def test_verify_bundle_forged_proof_hash_fails() -> None:
    data = as_json(issued_scenario().bundle)
    data["log"]["credential"]["proof"][0] = "A" * 43 + "="
    report = verify_bundle(data, at=NOW, trust=TRUST)
    step = report.step(BundleStepName.CREDENTIAL_LOGGED)
    assert step is not None
    assert step.code == "PROOF_VERIFICATION_ERROR"
    assert not report.verified


def test_verify_bundle_leaf_of_another_credential_fails() -> None:
    scenario = issued_scenario()
    other = replace(scenario.bundle, credential_log=scenario.log.evidence(2))
    report = verify_bundle(other, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.FAILED


def test_verify_bundle_did_document_not_logged_fails() -> None:
    scenario = issued_scenario()
    swapped = replace(scenario.bundle, did_document=DOC_V2)  # signs fine: key-1 is in it
    report = verify_bundle(swapped, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CREDENTIAL) is Outcome.PASSED
    assert outcome(report, BundleStepName.DID_DOCUMENT_LOGGED) is Outcome.FAILED
    assert not report.verified


def test_verify_bundle_checkpoint_with_bad_signature_fails() -> None:
    data = as_json(issued_scenario().bundle)
    text: str = data["log"]["checkpoint"]
    data["log"]["checkpoint"] = text.replace("\n5\n", "\n6\n", 1)
    report = verify_bundle(data, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CHECKPOINT) is Outcome.FAILED
    assert not report.log_trusted
    assert not report.verified


def test_verify_bundle_proof_for_other_tree_size_fails() -> None:
    scenario = issued_scenario()
    scenario.log.add(EventType.CREDENTIAL_ISSUED, NOW, bytes([9]) * 32)
    grown = replace(scenario.bundle, checkpoint=scenario.log.checkpoint())
    report = verify_bundle(grown, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CREDENTIAL_LOGGED) is Outcome.FAILED
    assert "tree size 5" in message(report, BundleStepName.CREDENTIAL_LOGGED)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(version=2),
        lambda d: d.update(type="Other"),
        lambda d: d.update(extra=1),
        lambda d: d["log"].pop("checkpoint"),
        lambda d: d["log"]["credential"].update(index=99),
        lambda d: d["log"]["credential"].update(leaf="not base64!"),
        lambda d: d["log"]["didDocument"]["proof"].append("AAAA"),
        lambda d: d.update(statusCheckedAt="yesterday"),
        lambda d: d["keyHistory"][0].update(status="lost"),
        lambda d: d["keyHistory"][0].update(compromisedSince="2025-09-01T00:00:00Z"),
        lambda d: d.pop("credential"),
    ],
)
def test_verify_bundle_malformed_is_unusable(mutate: Any) -> None:
    data = as_json(issued_scenario().bundle)
    mutate(data)
    report = verify_bundle(data, at=NOW, trust=TRUST)
    assert report.unusable
    assert not report.verified
    with pytest.raises(InvalidInput):
        parse_bundle(data)


def test_read_bundle_refuses_50_mb_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper
    with pytest.raises(InvalidInput) as info:
        read_bundle(path)
    assert info.value.code == "INPUT_TOO_LARGE"
    assert "10485760" in info.value.message


class CountingStream(io.RawIOBase):
    """A 50 MB stream that counts what is read from it."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.read_total = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.remaining if n < 0 else min(n, self.remaining)
        self.remaining -= n
        self.read_total += n
        return b" " * n


def test_read_bundle_stream_reads_at_most_the_bound() -> None:
    stream = CountingStream(50 * 1024 * 1024)
    with pytest.raises(InvalidInput) as info:
        read_bundle(stream)  # type: ignore[arg-type]
    assert info.value.code == "INPUT_TOO_LARGE"
    assert stream.read_total == MAX_BUNDLE_BYTES + 1


def test_parse_bundle_refuses_oversized_text() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_bundle(b" " * (MAX_BUNDLE_BYTES + 1))
    assert info.value.code == "INPUT_TOO_LARGE"


# ------------------------------------------------------------------------------- build_bundle


def test_build_bundle_refuses_proof_for_another_tree_size() -> None:
    scenario = issued_scenario()
    evidence = scenario.bundle.credential_log
    scenario.log.add(EventType.CREDENTIAL_ISSUED, NOW, bytes([9]) * 32)
    with pytest.raises(InvalidInput, match="checkpoint's size"):
        build_bundle(
            credential=scenario.bundle.credential,
            did_document=DOC_V1,
            checkpoint=scenario.log.checkpoint(),
            credential_log=evidence,
            did_document_log=scenario.log.evidence(1),
        )


def test_build_bundle_refuses_leaf_of_other_credential() -> None:
    scenario = issued_scenario()
    with pytest.raises(InvalidInput, match="credential leaf does not record"):
        build_bundle(
            credential=credential(99),
            did_document=DOC_V1,
            checkpoint=scenario.bundle.checkpoint,
            credential_log=scenario.bundle.credential_log,
            did_document_log=scenario.bundle.did_document_log,
        )


def test_build_bundle_refuses_more_than_10_mb() -> None:
    scenario = issued_scenario()
    big = dict(scenario.bundle.credential, padding="x" * MAX_BUNDLE_BYTES)
    with pytest.raises(InvalidInput) as info:
        build_bundle(
            credential=big,
            did_document=DOC_V1,
            checkpoint=scenario.bundle.checkpoint,
            credential_log=scenario.bundle.credential_log,
            did_document_log=scenario.bundle.did_document_log,
        )
    assert info.value.code == "INPUT_TOO_LARGE"


def test_evidence_from_proof_response_reads_endpoint_json() -> None:
    scenario = issued_scenario()
    evidence = scenario.bundle.credential_log
    response = {
        "leafIndex": evidence.index,
        "treeSize": evidence.size,
        "leaf": evidence.to_json()["leaf"],
        "proof": evidence.to_json()["proof"],
        "checkpoint": scenario.bundle.checkpoint,
    }
    parsed, checkpoint = evidence_from_proof_response(response)
    assert parsed == evidence
    assert checkpoint == scenario.bundle.checkpoint
    snake = {  # the shape of GET /log/proof/inclusion (platform.translog)
        "leaf_index": 3,
        "tree_size": 5,
        "leaf": response["leaf"],
        "leaf_hash": "ignored",
        "proof": response["proof"],
        "checkpoint": scenario.bundle.checkpoint,
    }
    assert evidence_from_proof_response(snake) == (evidence, scenario.bundle.checkpoint)


# ------------------------------------------------------------------------------- witnesses


def cosigned(bundle: Bundle, *witnesses: KeyPair) -> Bundle:
    text = bundle.checkpoint
    for i, key in enumerate(witnesses):
        text = cosign(text, key, f"witness-{i}.example", STATUS_AT)
    return replace(bundle, checkpoint=text)


def witness_trust(required: int) -> TrustAnchors:
    return TrustAnchors(
        log_keys=(LOG.verifier,),
        witness_keys=(
            cosignature_signer("witness-0.example", WITNESS_A).verifier,
            cosignature_signer("witness-1.example", WITNESS_B).verifier,
        ),
        witnesses_required=required,
    )


def test_verify_bundle_counts_pinned_cosignatures() -> None:
    bundle = cosigned(issued_scenario().bundle, WITNESS_A, WITNESS_B)
    report = verify_bundle(bundle, at=NOW, trust=witness_trust(2))
    assert report.verified
    assert report.log_trusted
    assert outcome(report, BundleStepName.COSIGNATURES) is Outcome.PASSED
    assert message(report, BundleStepName.COSIGNATURES).startswith("2 cosignature(s)")


def test_verify_bundle_too_few_cosignatures_fails() -> None:
    bundle = cosigned(issued_scenario().bundle, WITNESS_A)
    report = verify_bundle(bundle, at=NOW, trust=witness_trust(2))
    assert outcome(report, BundleStepName.COSIGNATURES) is Outcome.FAILED
    assert not report.verified
    assert not report.log_trusted


def test_trust_anchors_refuse_impossible_requirements() -> None:
    with pytest.raises(ConfigurationError):
        TrustAnchors(log_keys=(LOG.verifier,), witnesses_required=1)
    with pytest.raises(ConfigurationError):
        TrustAnchors(log_keys=(cosignature_signer("w.example", WITNESS_A).verifier,))
    with pytest.raises(ConfigurationError):
        TrustAnchors(witness_keys=(LOG.verifier,))


def test_trust_list_round_trips(tmp_path: Path) -> None:
    trust = witness_trust(1)
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(trust.to_json()))
    assert load_trust_list(path) == trust
    with pytest.raises(InvalidInput):
        parse_trust_list({"type": "CredstackTrustList", "version": 1, "logKeys": ["nope"]})
    with pytest.raises(InvalidInput):
        parse_trust_list({"type": "CredstackTrustList", "version": 1, "witnessesRequired": 3})


# ------------------------------------------------------------------------------- key compromise


def test_compromised_key_credential_logged_before_compromise_stays_valid() -> None:
    report = verify_bundle(compromise_scenario().bundle, at=NOW, trust=TRUST)
    assert report.verified, report.render()
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.PASSED
    assert "issued and recorded before" in message(report, BundleStepName.KEY_COMPROMISE)
    # the status list was signed by key-2, found in the current DID document
    assert outcome(report, BundleStepName.CURRENT_DID_DOCUMENT_LOGGED) is Outcome.PASSED
    assert outcome(report, BundleStepName.STATUS_FRESHNESS) is Outcome.PASSED


def test_compromised_key_credential_issued_after_compromise_is_rejected() -> None:
    bundle = compromise_scenario(issued_at=LATE_ISSUE, logged_after_compromise=True).bundle
    report = verify_bundle(bundle, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CREDENTIAL) is Outcome.PASSED  # the signature is fine
    step = report.step(BundleStepName.KEY_COMPROMISE)
    assert step is not None
    assert step.outcome is Outcome.FAILED
    assert step.code == "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert "not before" in step.message
    assert not report.verified


def test_compromised_key_backdated_leaf_after_compromise_record_is_rejected() -> None:
    """The leaf claims an early time but sits after the compromise record in the log."""
    bundle = compromise_scenario(logged_after_compromise=True).bundle
    report = verify_bundle(bundle, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.FAILED
    assert "after the compromise record" in message(report, BundleStepName.KEY_COMPROMISE)


def test_compromised_key_without_logged_compromise_is_rejected() -> None:
    bundle = compromise_scenario(compromise_evidence=False).bundle
    report = verify_bundle(bundle, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.FAILED
    assert not report.verified


def test_compromised_key_without_pinned_log_key_is_rejected() -> None:
    report = verify_bundle(compromise_scenario().bundle, at=NOW, trust=TrustAnchors())
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.FAILED
    assert "without a trusted log" in message(report, BundleStepName.KEY_COMPROMISE)
    assert not report.verified


def test_compromised_key_history_time_must_match_log() -> None:
    bundle = compromise_scenario().bundle
    shifted = replace(bundle.key_history[0], compromised_since=datetime(2026, 1, 1, tzinfo=UTC))
    report = verify_bundle(
        replace(bundle, key_history=(shifted, bundle.key_history[1])), at=NOW, trust=TRUST
    )
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.FAILED
    assert "the log records the compromise" in message(report, BundleStepName.KEY_COMPROMISE)


def test_status_list_signed_with_compromised_key_is_rejected() -> None:
    bundle = compromise_scenario().bundle
    forged_status = replace(
        bundle, status_list=status_list(), current_did_document=None, current_did_document_log=None
    )
    report = verify_bundle(forged_status, at=NOW, trust=TRUST)
    step = report.step(BundleStepName.KEY_COMPROMISE)
    assert step is not None
    assert step.outcome is Outcome.FAILED
    assert step.code == "STATUS_VERIFICATION_ERROR"


def test_compromised_key_no_longer_verifies_against_current_document() -> None:
    """Without the bundle, the live DID document (key-1 removed) rejects the credential."""
    bundle = compromise_scenario().bundle
    swapped = replace(bundle, did_document=DOC_V3)
    report = verify_bundle(swapped, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.CREDENTIAL) is Outcome.FAILED


def test_bundle_without_key_history_warns() -> None:
    bundle = replace(issued_scenario().bundle, key_history=())
    report = verify_bundle(bundle, at=NOW, trust=TRUST)
    assert outcome(report, BundleStepName.KEY_COMPROMISE) is Outcome.WARNING
    assert report.verified


def test_baked_credential_must_match_bundle() -> None:
    bundle = issued_scenario().bundle
    ok = verify_bundle(bundle, at=NOW, trust=TRUST, baked_credential=bundle.credential)
    assert outcome(ok, BundleStepName.BAKED) is Outcome.PASSED
    other = copy.deepcopy(bundle.credential)
    other["name"] = "Another"
    bad = verify_bundle(bundle, at=NOW, trust=TRUST, baked_credential=other)
    assert outcome(bad, BundleStepName.BAKED) is Outcome.FAILED
    assert not bad.verified


def test_report_json_and_render_name_every_step() -> None:
    report = verify_bundle(issued_scenario().bundle, at=NOW, trust=TRUST)
    data = report.to_json()
    assert data["verified"] is True
    assert data["kind"] == "verification-bundle"
    assert [s["step"] for s in data["steps"]][:3] == [
        "bundle_format",
        "trust_anchors",
        "credential",
    ]
    assert data["credential"]["verified"] is True
    text = report.render()
    assert text.startswith("VALID: verification bundle (log evidence trusted)")
    assert "status evidence is 12 days old" in text


# ------------------------------------------------------------------------------- robustness

JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
BASE = json.loads(compromise_scenario().bundle.dumps())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += paths(item, (*prefix, i))
    return out


PATHS = [p for p in paths(BASE) if p and p[0] not in ("credential", "statusList")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_verify_bundle_any_mutation_gives_a_report_never_an_exception(
    path: tuple[Any, ...], value: Any
) -> None:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    report = verify_bundle(data, at=NOW, trust=TRUST)  # raises nothing
    assert isinstance(report.to_json(), dict)
    evidence = path[0] in ("log", "didDocument", "currentDidDocument") or path[:3] in (
        ("keyHistory", 0, "log"),
        ("keyHistory", 0, "compromisedSince"),
    )
    if evidence and data != BASE:
        assert not report.verified, path
