"""The transparency log's storage keeps the same rules on every backend (memory, SQLite,
PostgreSQL): dense append-only leaves, write-once nodes, checkpoints and cosignatures, DID
document versions and public-chain anchors."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from credstack.errors import Conflict, InvalidInput, NotFound
from credstack.log.anchor import AnchorRecord
from credstack.log.leaf import EventType, did_document_digest, encode_leaf
from credstack.log.merkle import MerkleTree, leaf_hash, root, verify_inclusion
from credstack.platform.ports import (
    DidDocumentVersion,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    UnitOfWork,
)
from credstack.platform.translog import StoredNodes
from credstack.storage.session import SqlDatabase
from tests.contract.conftest import Database, make_database

NOW = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
ISSUER = "did:web:credstack.example:orgs:uni"

# everything a LogRepository offers: reads and inserts, nothing that changes or removes
LOG_METHODS = {
    "reserve",
    "size",
    "append",
    "nodes",
    "leaf",
    "leaves",
    "find",
    "add_checkpoint",
    "latest_checkpoint",
    "checkpoint",
    "add_cosignature",
    "cosignatures",
    "add_did_document",
    "did_document",
    "add_anchor",
    "latest_anchor",
    "first_anchor",
    "anchors",
}


def _entries(start: int, count: int, *, credential: bool = True) -> list[LogEntry]:
    out = []
    for i in range(start, start + count):
        digest = hashlib.sha256(f"credential {i}".encode()).digest()
        leaf = encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, NOW, digest)
        out.append(
            LogEntry(
                i,
                leaf,
                leaf_hash(leaf),
                int(EventType.CREDENTIAL_ISSUED),
                digest,
                f"urn:uuid:c-{i}" if credential else None,
                NOW,
            )
        )
    return out


def _append(uow: UnitOfWork, count: int) -> list[LogEntry]:
    """Append ``count`` leaves with the nodes a MerkleTree plans for them."""
    start = uow.log.size()
    entries = _entries(start, count)
    plan = MerkleTree(StoredNodes(uow.log), start).plan_append([e.leaf_hash for e in entries])
    uow.log.append(entries, plan.nodes)
    return entries


def test_log_repository_has_no_update_or_delete(database: Database) -> None:
    uow = database.unit_of_work()
    public = {name for name in dir(uow.log) if not name.startswith("_")}
    assert public == LOG_METHODS
    for name in ("update", "delete", "remove", "replace", "truncate", "set_leaf"):
        assert not hasattr(uow.log, name)


def test_log_append_round_trips_leaves_and_nodes(database: Database) -> None:
    uow = database.unit_of_work()
    assert uow.log.size() == 0
    assert uow.log.leaf(0) is None
    entries = _append(uow, 5)
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.size() == 5
    assert uow.log.leaf(3) == entries[3]
    assert uow.log.leaves(1, 4) == entries[1:4]
    assert uow.log.leaves(3, 99) == entries[3:]
    assert uow.log.leaves(7, 9) == []
    assert uow.log.nodes([(0, 4), (2, 0), (0, 0)]) == [
        entries[4].leaf_hash,
        root([e.leaf_hash for e in entries[:4]]),
        entries[0].leaf_hash,
    ]
    with pytest.raises(NotFound):
        uow.log.nodes([(0, 0), (2, 1)])  # leaves 4..7 are not complete


def test_log_created_at_is_kept_as_utc(database: Database) -> None:
    uow = database.unit_of_work()
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    entry = _entries(0, 1)[0]
    uow.log.append([dataclasses.replace(entry, created_at=local)], [(0, 0, entry.leaf_hash)])
    uow.commit()
    stored = database.unit_of_work().log.leaf(0)
    assert stored is not None
    assert stored.created_at == NOW
    assert stored.created_at.utcoffset() == timedelta(0)


def test_log_find_by_credential_or_digest_in_index_order(database: Database) -> None:
    uow = database.unit_of_work()
    entries = _append(uow, 4)
    revoked = LogEntry(
        4,
        encode_leaf(EventType.CREDENTIAL_REVOKED, ISSUER, NOW, entries[1].digest),
        b"",
        int(EventType.CREDENTIAL_REVOKED),
        entries[1].digest,
        "urn:uuid:c-1",
        NOW,
    )
    revoked = dataclasses.replace(revoked, leaf_hash=leaf_hash(revoked.leaf))
    plan = MerkleTree(StoredNodes(uow.log), 4).plan_append([revoked.leaf_hash])
    uow.log.append([revoked], plan.nodes)
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.find(credential_id="urn:uuid:c-1") == [entries[1], revoked]
    assert uow.log.find(digest=entries[1].digest) == [entries[1], revoked]
    assert uow.log.find(digest=entries[2].digest) == [entries[2]]
    assert uow.log.find(credential_id="urn:uuid:nope") == []
    assert uow.log.find() == []


def test_log_append_out_of_order_or_with_gap_conflicts(database: Database) -> None:
    uow = database.unit_of_work()
    _append(uow, 2)
    with pytest.raises(Conflict):
        uow.log.append(_entries(1, 1), [])  # index 1 exists
    with pytest.raises(Conflict):
        uow.log.append(_entries(3, 1), [])  # a gap: 2 is next
    gap = _entries(2, 3)
    with pytest.raises(Conflict):
        uow.log.append([gap[0], gap[2]], [])
    uow.commit()
    assert database.unit_of_work().log.size() == 2


def test_log_node_written_twice_conflicts(database: Database) -> None:
    uow = database.unit_of_work()
    entries = _append(uow, 1)
    with pytest.raises(Conflict):
        uow.log.append(_entries(1, 1), [(0, 0, entries[0].leaf_hash)])
    assert uow.log.size() == 1


def test_log_rollback_discards_appended_leaves(database: Database) -> None:
    uow = database.unit_of_work()
    _append(uow, 3)
    uow.rollback()
    uow = database.unit_of_work()
    assert uow.log.size() == 0
    assert uow.log.leaves(0, 3) == []


def test_log_concurrent_appenders_conflict_rather_than_fork(database: Database) -> None:
    first = database.unit_of_work()
    second = database.unit_of_work()
    assert second.log.size() == 0  # both see the empty log
    mine = _append(first, 2)
    first.commit()
    theirs = _entries(0, 1)

    def append_and_commit() -> None:  # SQL refuses the insert, memory the commit
        second.log.append(theirs, [(0, 0, theirs[0].leaf_hash)])
        second.commit()

    with pytest.raises(Conflict):
        append_and_commit()
    second.rollback()
    uow = database.unit_of_work()
    assert uow.log.size() == 2
    assert uow.log.leaves(0, 2) == mine


def test_log_large_batch_round_trips_and_proves(database: Database) -> None:
    """Enough rows for PostgreSQL's COPY path; proofs read back through the stored nodes."""
    uow = database.unit_of_work()
    entries = _append(uow, 250)
    entries += _append(uow, 131)
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.size() == 381
    assert uow.log.leaves(0, 381) == entries
    tree = MerkleTree(StoredNodes(uow.log), 381)
    assert tree.root() == root([e.leaf_hash for e in entries])
    for index in (0, 200, 380):
        proof = tree.inclusion_proof(index)
        verify_inclusion(index, 381, entries[index].leaf_hash, proof, tree.root())


def test_log_checkpoints_latest_by_size_and_unique(database: Database) -> None:
    uow = database.unit_of_work()
    assert uow.log.latest_checkpoint() is None
    assert uow.log.checkpoint(0) is None
    first = LogCheckpoint(0, "origin\n0\nroot\n\n— sig\n", NOW)
    second = LogCheckpoint(7, "origin\n7\nroot\n\n— sig\n", NOW + timedelta(seconds=1))
    uow.log.add_checkpoint(second)
    uow.log.add_checkpoint(first)
    with pytest.raises(Conflict):
        uow.log.add_checkpoint(LogCheckpoint(7, "other", NOW))
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.latest_checkpoint() == second
    assert uow.log.checkpoint(0) == first
    assert uow.log.checkpoint(3) is None


def test_log_cosignatures_once_per_witness_and_checkpoint(database: Database) -> None:
    uow = database.unit_of_work()
    uow.log.add_checkpoint(LogCheckpoint(4, "text", NOW))
    b = LogCosignature(4, "witness-b.example", "— witness-b.example AAAA\n", NOW)
    a = LogCosignature(4, "witness-a.example", "— witness-a.example BBBB\n", NOW)
    uow.log.add_cosignature(b)
    uow.log.add_cosignature(a)
    with pytest.raises(Conflict):
        uow.log.add_cosignature(LogCosignature(4, "witness-a.example", "— other\n", NOW))
    with pytest.raises(Conflict):  # no checkpoint of size 5
        uow.log.add_cosignature(LogCosignature(5, "witness-a.example", "— line\n", NOW))
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.cosignatures(4) == [a, b]
    assert uow.log.cosignatures(5) == []


def _document(n: int) -> dict[str, object]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": ISSUER,
        "alsoKnownAs": [f"https://uni.example/v{n}"],
        "note": "Ünïcode ✓",
    }


def _version(index: int, n: int, did: str = ISSUER) -> DidDocumentVersion:
    document = _document(n)
    return DidDocumentVersion(index, did, did_document_digest(document), document, NOW)


def test_log_did_document_versions_by_leaf_index(database: Database) -> None:
    uow = database.unit_of_work()
    _append(uow, 6)
    assert uow.log.did_document(ISSUER) is None
    versions = [_version(1, 1), _version(4, 2)]
    for version in versions:
        uow.log.add_did_document(version)
    uow.log.add_did_document(_version(3, 9, did="did:web:credstack.example:orgs:other"))
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.did_document(ISSUER) == versions[1]
    assert uow.log.did_document(ISSUER, before=5) == versions[1]
    assert uow.log.did_document(ISSUER, before=4) == versions[0]
    assert uow.log.did_document(ISSUER, before=2) == versions[0]
    assert uow.log.did_document(ISSUER, before=1) is None
    other = uow.log.did_document("did:web:credstack.example:orgs:other")
    assert other is not None
    assert other.index == 3
    assert other.document == _document(9)  # JSON kept exactly (non-ASCII included)
    assert uow.log.did_document("did:web:nobody.example") is None


def test_log_did_document_needs_its_leaf_and_is_written_once(database: Database) -> None:
    uow = database.unit_of_work()
    _append(uow, 2)
    uow.log.add_did_document(_version(1, 1))
    with pytest.raises(Conflict):
        uow.log.add_did_document(_version(1, 2))  # that leaf already has its document
    with pytest.raises(Conflict):
        uow.log.add_did_document(_version(7, 1))  # no leaf 7
    uow.commit()
    stored = database.unit_of_work().log.did_document(ISSUER)
    assert stored == _version(1, 1)


def _anchor(size: int, n: int, *, at: datetime = NOW, chain_id: int = 1) -> AnchorRecord:
    return AnchorRecord(
        chain_id=chain_id,
        tx_hash=hashlib.sha256(f"tx {n}".encode()).digest(),
        block_number=100 + n,
        block_hash=hashlib.sha256(f"block {n}".encode()).digest(),
        origin="credstack.example/log",
        tree_size=size,
        root_hash=hashlib.sha256(f"root {size}".encode()).digest(),
        anchored_at=at,
    )


def test_log_anchors_round_trip_ordered_by_tree_size(database: Database) -> None:
    uow = database.unit_of_work()
    assert uow.log.latest_anchor() is None
    assert uow.log.first_anchor(min_size=0) is None
    assert uow.log.anchors(limit=10) == []
    small = _anchor(3, 1)
    large = _anchor(9, 2, at=NOW + timedelta(hours=2))
    again = _anchor(9, 3, at=NOW + timedelta(hours=3))  # the same head on a second try
    middle = _anchor(5, 4, at=NOW + timedelta(hours=1), chain_id=2**63 - 1)
    for record in (large, small, again, middle):
        uow.log.add_anchor(record)
    uow.commit()
    uow = database.unit_of_work()
    assert uow.log.anchors(limit=10) == [again, large, middle, small]
    assert uow.log.anchors(limit=2, offset=1) == [large, middle]
    assert uow.log.anchors(limit=2, offset=4) == []
    assert uow.log.latest_anchor() == again
    assert uow.log.latest_anchor(max_size=8) == middle
    assert uow.log.latest_anchor(max_size=2) is None
    assert uow.log.first_anchor(min_size=4) == middle
    assert uow.log.first_anchor(min_size=6) == large
    assert uow.log.first_anchor(min_size=10) is None
    stored = uow.log.anchors(limit=1)[0]
    assert stored.anchored_at.utcoffset() == timedelta(0)
    assert stored.to_json() == again.to_json()


def test_log_anchor_stored_once_and_bounded(database: Database) -> None:
    uow = database.unit_of_work()
    record = _anchor(3, 1)
    uow.log.add_anchor(record)
    with pytest.raises(Conflict):
        uow.log.add_anchor(dataclasses.replace(record, tree_size=4))  # same transaction
    with pytest.raises(InvalidInput, match="64-bit"):
        uow.log.add_anchor(_anchor(3, 2, chain_id=2**63))
    with pytest.raises(InvalidInput):
        uow.log.anchors(limit=0)
    uow.commit()
    assert database.unit_of_work().log.anchors(limit=10) == [record]


@pytest.fixture
def pg_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    db = make_database(request, "postgresql", tmp_path)
    assert isinstance(db, SqlDatabase)
    yield db
    db.dispose()


def test_log_reserve_queues_appenders_on_postgresql(pg_database: SqlDatabase) -> None:
    """The second appender waits for the first to commit, then appends after it (no 409)."""
    first = pg_database.unit_of_work()
    assert first.log.reserve() == 0  # holds the append lock until commit
    second_started = threading.Event()
    seen: list[int] = []

    def second_appender() -> None:
        uow = pg_database.unit_of_work()
        second_started.set()
        start = uow.log.reserve()  # blocks until the first commits
        seen.append(start)
        _append(uow, 3)
        uow.commit()

    thread = threading.Thread(target=second_appender)
    thread.start()
    second_started.wait()
    waiting = 0
    with pg_database.engine.connect() as probe:  # until the second is queued on the lock
        for _ in range(10_000):
            waiting = probe.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            if waiting:
                break
    assert waiting == 1
    _append(first, 2)
    first.commit()
    thread.join()
    assert seen == [2]  # it saw the first appender's leaves: no clash, no fork
    assert pg_database.unit_of_work().log.size() == 5
