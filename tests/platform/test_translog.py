"""The transparency log as a platform service: hooks, checkpoints, proofs and cosignatures."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.crypto.keys import KeyPair
from credstack.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from credstack.log.checkpoint import verify_checkpoint
from credstack.log.cosign import cosign, cosignature_verifier, verify_cosignatures
from credstack.log.leaf import (
    EventType,
    credential_digest,
    decode_leaf,
    did_document_digest,
    key_digest,
)
from credstack.log.merkle import (
    MemoryNodeStore,
    MerkleTree,
    root,
    verify_consistency,
    verify_inclusion,
)
from credstack.log.note import parse_note
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import AchievementVersion, IssuedCredential, Organisation
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.keys import (
    KeyCustody,
    KeyEncryptionKeys,
    did_document,
    mark_compromised,
    rotate_key,
)
from credstack.platform.organisations import create_organisation
from credstack.platform.platform_identity import ensure_platform_key, platform_did_document
from credstack.platform.ports import UnitOfWork
from credstack.platform.translog import (
    MAX_LEAVES_PAGE,
    LogEvent,
    accept_cosignature,
    append_events,
    consistency_proof,
    inclusion_proof,
    leaf_range,
    log_origin,
    log_tree,
    log_verifiers,
    sign_checkpoint_now,
)
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from tests.platform.conftest import BASE, DESIGN, HOST, T0, World

AT = T0 + timedelta(days=1)
CSV = "idempotency_key,email,did\n" + "".join(f"r{n},p{n}@example.org,\n" for n in range(7))
WITNESS = KeyPair(bytes(range(32)))
WITNESS_NAME = "witness.example/w1"


def _issue(world: World, n: int = 1) -> list[IssuedCredential]:
    uow = world.db.unit_of_work()
    issuer = Issuer(uow, world.custody, world.org, BASE)
    out = []
    for i in range(n):
        request = IssueRequest(email=f"person{i}@example.org")
        out.append(issuer.issue(world.version, request, at=AT))
    uow.commit()
    return out


def _leaves(uow: UnitOfWork) -> list[tuple[EventType, bytes, str | None]]:
    entries = uow.log.leaves(0, uow.log.size()) if uow.log.size() else []
    return [(EventType(e.event), e.digest, e.credential_id) for e in entries]


def _platform(world: World) -> None:
    uow = world.db.unit_of_work()
    ensure_platform_key(uow, world.custody, HOST, at=T0)
    uow.commit()


def test_create_organisation_logs_first_key_and_did_document(world: World) -> None:
    uow = world.db.unit_of_work()
    key = uow.keys.for_organisation(world.org.id)[0]
    document = did_document(world.org, [key])
    assert _leaves(uow) == [
        (EventType.KEY_ACTIVATED, key_digest(key.public_key_multibase), None),
        (EventType.DID_DOCUMENT, did_document_digest(document), None),
    ]
    leaf = decode_leaf(uow.log.leaf(0).leaf)  # type: ignore[union-attr]
    assert (leaf.issuer, leaf.time) == (world.org.did, T0)


def test_issue_appends_one_leaf_with_credential_digest(world: World) -> None:
    (issued,) = _issue(world)
    uow = world.db.unit_of_work()
    (entry,) = uow.log.find(credential_id=issued.id)
    leaf = decode_leaf(entry.leaf)
    assert leaf.event is EventType.CREDENTIAL_ISSUED
    assert leaf.issuer == world.org.did
    assert leaf.time == AT
    assert leaf.digest == credential_digest(json.loads(issued.credential_json)) == entry.digest
    assert entry.index == 2  # after the first key and the DID document


def test_revoke_appends_revoked_leaf_once(world: World) -> None:
    (issued,) = _issue(world)
    uow = world.db.unit_of_work()
    revoke(uow, world.org, issued.id, reason="error", at=AT + timedelta(hours=1))
    revoke(uow, world.org, issued.id, reason="again", at=AT + timedelta(hours=2))
    uow.commit()
    uow = world.db.unit_of_work()
    entries = uow.log.find(credential_id=issued.id)
    assert [EventType(e.event) for e in entries] == [
        EventType.CREDENTIAL_ISSUED,
        EventType.CREDENTIAL_REVOKED,
    ]
    assert entries[1].digest == entries[0].digest
    assert decode_leaf(entries[1].leaf).time == AT + timedelta(hours=1)


def test_rotate_and_compromise_log_key_events_and_did_documents(world: World) -> None:
    uow = world.db.unit_of_work()
    first = uow.keys.for_organisation(world.org.id)[0]
    second = rotate_key(uow, world.custody, world.org, AT)
    since = AT - timedelta(days=3)
    third = mark_compromised(uow, world.custody, world.org, second.id, since=since, at=AT)
    assert third is not None
    uow.commit()
    uow = world.db.unit_of_work()
    keys = uow.keys.for_organisation(world.org.id)
    events = _leaves(uow)[2:]
    assert [e[0] for e in events] == [
        EventType.KEY_RETIRED,
        EventType.KEY_ACTIVATED,
        EventType.DID_DOCUMENT,
        EventType.KEY_COMPROMISED,
        EventType.KEY_ACTIVATED,
        EventType.DID_DOCUMENT,
    ]
    assert events[0][1] == key_digest(first.public_key_multibase)
    assert events[3][1] == key_digest(second.public_key_multibase)
    assert events[4][1] == key_digest(third.public_key_multibase)
    assert events[5][1] == did_document_digest(did_document(world.org, keys))
    compromised = decode_leaf(uow.log.leaf(5).leaf)  # type: ignore[union-attr]
    assert compromised.time == since  # the compromise time, not when it was reported


def test_rolled_back_issue_leaves_no_leaf(world: World) -> None:
    uow = world.db.unit_of_work()
    Issuer(uow, world.custody, world.org, BASE).issue(
        world.version, IssueRequest(email="a@example.org"), at=AT
    )
    assert uow.log.size() == 3
    uow.rollback()
    assert world.db.unit_of_work().log.size() == 2


def test_concurrent_issuance_conflicts_instead_of_forking(world: World) -> None:
    first, second = world.db.unit_of_work(), world.db.unit_of_work()
    for uow in (first, second):
        Issuer(uow, world.custody, world.org, BASE).issue(
            world.version, IssueRequest(did="did:example:x"), at=AT
        )
    first.commit()
    with pytest.raises(Conflict):
        second.commit()
    uow = world.db.unit_of_work()
    assert uow.log.size() == 3
    assert log_tree(uow).root() == root([e.leaf_hash for e in uow.log.leaves(0, 3)])


# --- bulk jobs and crashes ------------------------------------------------------------------


def _sql_world(tmp_path: Path) -> tuple[SqlDatabase, KeyCustody, Organisation, AchievementVersion]:
    db = SqlDatabase(f"sqlite:///{tmp_path / 'log.sqlite'}")
    db.migrate()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    org = create_organisation(uow, custody, host=HOST, slug="uni", name="Uni", at=T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    uow.commit()
    return db, custody, org, version


@pytest.fixture(params=["memory", "sqlite"])
def bulk_world(
    request: pytest.FixtureRequest, world: World, tmp_path: Path
) -> Iterator[tuple[MemoryDatabase | SqlDatabase, KeyCustody, Organisation, AchievementVersion]]:
    if request.param == "memory":
        yield world.db, world.custody, world.org, world.version
        return
    db, custody, org, version = _sql_world(tmp_path)
    yield db, custody, org, version
    db.dispose()


def test_bulk_crash_then_resume_logs_each_credential_once(
    bulk_world: tuple[MemoryDatabase | SqlDatabase, KeyCustody, Organisation, AchievementVersion],
) -> None:
    db, custody, org, version = bulk_world
    uow = db.unit_of_work()
    job = create_job(
        uow,
        org,
        version.id,
        parse_bulk(io.BytesIO(CSV.encode()), kind="csv", max_bytes=None),
        at=AT,
    )
    uow.commit()

    class Crash(Exception):
        pass

    calls: list[int] = []

    def crash_on_third_batch(rows: int) -> None:
        calls.append(rows)
        if len(calls) == 3:
            raise Crash

    with pytest.raises(Crash):
        run_job(
            db.unit_of_work,
            custody,
            org.id,
            job.id,
            base_url=BASE,
            clock=lambda: AT,
            batch_size=2,
            before_commit=crash_on_third_batch,
        )
    uow = db.unit_of_work()
    assert uow.log.size() == 2 + 4  # two committed batches of two; the third rolled back
    done = run_job(db.unit_of_work, custody, org.id, job.id, base_url=BASE, clock=lambda: AT)
    assert done.issued == 7
    uow = db.unit_of_work()
    credentials, _ = uow.credentials.for_organisation(org.id, limit=100, offset=0)
    entries = uow.log.leaves(0, uow.log.size())
    issued = [e for e in entries if e.event == EventType.CREDENTIAL_ISSUED]
    assert sorted(e.credential_id or "" for e in issued) == sorted(c.id for c in credentials)
    assert [e.index for e in entries] == list(range(len(entries)))
    for credential in credentials:
        (entry,) = uow.log.find(credential_id=credential.id)
        assert entry.digest == credential_digest(json.loads(credential.credential_json))
    tree = log_tree(uow)
    assert tree.root() == root([e.leaf_hash for e in entries])
    for entry in entries:
        verify_inclusion(
            entry.index, tree.size, entry.leaf_hash, tree.inclusion_proof(entry.index), tree.root()
        )


# --- checkpoints and proofs -----------------------------------------------------------------


def test_checkpoint_signed_by_platform_key_and_reused_until_tree_grows(world: World) -> None:
    _platform(world)
    uow = world.db.unit_of_work()
    head = sign_checkpoint_now(uow, world.custody, HOST, AT)
    again = sign_checkpoint_now(uow, world.custody, HOST, AT + timedelta(minutes=1))
    assert again == head
    verifiers = log_verifiers(platform_did_document(uow, HOST), HOST)
    verified = verify_checkpoint(head.text, verifiers)
    assert verified.checkpoint.origin == log_origin(HOST) == f"{HOST}/log"
    assert verified.checkpoint.size == 2
    assert verified.checkpoint.root_hash == log_tree(uow).root()
    uow.commit()
    _issue(world, 3)
    uow = world.db.unit_of_work()
    later = sign_checkpoint_now(uow, world.custody, HOST, AT + timedelta(minutes=2))
    assert later.size == 5
    newer = verify_checkpoint(later.text, verifiers).checkpoint
    verify_consistency(
        2, 5, consistency_proof(uow, 2, 5), verified.checkpoint.root_hash, newer.root_hash
    )


def test_checkpoint_needs_platform_key(world: World) -> None:
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidState):
        sign_checkpoint_now(uow, world.custody, HOST, AT)
    assert uow.log.latest_checkpoint() is None


def test_inclusion_proof_by_id_and_digest_verifies_against_checkpoint(world: World) -> None:
    _platform(world)
    issued = _issue(world, 3)
    uow = world.db.unit_of_work()
    verifiers = log_verifiers(platform_did_document(uow, HOST), HOST)
    by_id = inclusion_proof(uow, world.custody, HOST, AT, credential_id=issued[1].id)
    digest = credential_digest(json.loads(issued[1].credential_json))
    by_digest = inclusion_proof(uow, world.custody, HOST, AT, digest=digest)
    assert by_id == by_digest
    head = verify_checkpoint(by_id.checkpoint, verifiers).checkpoint
    assert head.size == by_id.size == 5
    verify_inclusion(
        by_id.entry.index, head.size, by_id.entry.leaf_hash, by_id.proof, head.root_hash
    )
    # at an older stored checkpoint size; a size never signed is not found
    uow.commit()
    with pytest.raises(NotFound):
        inclusion_proof(uow, world.custody, HOST, AT, credential_id=issued[1].id, size=4)
    with pytest.raises(NotFound):
        inclusion_proof(uow, world.custody, HOST, AT, credential_id="urn:uuid:nope")
    with pytest.raises(InvalidInput):
        inclusion_proof(uow, world.custody, HOST, AT, digest=b"short")


def test_leaf_range_is_bounded(world: World) -> None:
    uow = world.db.unit_of_work()
    assert [e.index for e in leaf_range(uow, 0, 10)] == [0, 1]
    with pytest.raises(InvalidInput):
        leaf_range(uow, 0, MAX_LEAVES_PAGE + 1)
    with pytest.raises(InvalidInput):
        leaf_range(uow, 3, 3)
    with pytest.raises(NotFound):
        leaf_range(uow, 2, 5)


def test_consistency_proof_beyond_tree_refused(world: World) -> None:
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput):
        consistency_proof(uow, 1, 3)
    with pytest.raises(InvalidInput):
        consistency_proof(uow, 0, 2)


# --- cosignatures ---------------------------------------------------------------------------


def _cosignature_line(text: str, key: KeyPair = WITNESS, name: str = WITNESS_NAME, at=AT) -> str:  # type: ignore[no-untyped-def]
    cosigned = cosign(text, key, name, at)
    return parse_note(cosigned).signatures[-1].line


def test_cosignature_from_configured_witness_is_stored_once(world: World) -> None:
    _platform(world)
    uow = world.db.unit_of_work()
    head = sign_checkpoint_now(uow, world.custody, HOST, AT)
    witnesses = [cosignature_verifier(WITNESS_NAME, WITNESS.public)]
    line = _cosignature_line(head.text)
    stored = accept_cosignature(uow, head.size, line, witnesses, AT)
    assert stored.line == line
    assert accept_cosignature(uow, head.size, line.rstrip("\n"), witnesses, AT) == stored
    later = _cosignature_line(head.text, at=AT + timedelta(seconds=5))
    with pytest.raises(Conflict):
        accept_cosignature(uow, head.size, later, witnesses, AT)
    text = head.text + "".join(c.line for c in uow.log.cosignatures(head.size))
    _, cosigs = verify_cosignatures(text, witnesses, required_n=1)
    assert [c.name for c in cosigs] == [WITNESS_NAME]


def test_cosignature_unknown_or_invalid_refused(world: World) -> None:
    _platform(world)
    uow = world.db.unit_of_work()
    head = sign_checkpoint_now(uow, world.custody, HOST, AT)
    witnesses = [cosignature_verifier(WITNESS_NAME, WITNESS.public)]
    stranger = _cosignature_line(head.text, key=KeyPair(bytes(32)), name="stranger.example")
    with pytest.raises(PermissionDenied):
        accept_cosignature(uow, head.size, stranger, witnesses, AT)
    impostor = _cosignature_line(head.text, key=KeyPair(bytes(32)))  # right name, wrong key
    with pytest.raises(PermissionDenied):
        accept_cosignature(uow, head.size, impostor, witnesses, AT)
    # a valid line of another checkpoint does not verify on this one
    other = head.text.replace(f"\n{head.size}\n", "\n99\n", 1)
    forged = _cosignature_line(other)
    with pytest.raises(InvalidInput):
        accept_cosignature(uow, head.size, forged, witnesses, AT)
    future = _cosignature_line(head.text, at=AT + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        accept_cosignature(uow, head.size, future, witnesses, AT)
    for bad in ("", "not a line", "— a b\n— c d", "— witness.example/w1 %%%"):
        with pytest.raises(InvalidInput):
            accept_cosignature(uow, head.size, bad, witnesses, AT)
    with pytest.raises(NotFound):
        accept_cosignature(uow, head.size + 1, _cosignature_line(head.text), witnesses, AT)
    assert uow.log.cosignatures(head.size) == []


# --- appends in batches ---------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6))
def test_append_in_any_batches_gives_the_tree_of_all_leaves(batches: list[int]) -> None:
    db = MemoryDatabase()
    uow = db.unit_of_work()
    events = []
    for n, count in enumerate(batches):
        batch = [
            LogEvent(EventType.DID_DOCUMENT, "did:web:example.com", AT, bytes([n, i]) * 16)
            for i in range(count)
        ]
        events += batch
        append_events(uow, batch, AT)
        if n % 2:
            uow.commit()
    reference = MerkleTree(MemoryNodeStore())
    entries = uow.log.leaves(0, uow.log.size())
    reference.append([e.leaf_hash for e in entries])
    tree = log_tree(uow)
    assert tree.size == len(events) == len(entries)
    assert tree.root() == reference.root()
    assert [e.digest for e in entries] == [e.digest for e in events]
    assert append_events(uow, [], AT) is None
