"""The issuance transparency log as a platform service: appends, checkpoints, proofs.

Every issued credential, revocation, suspension, reinstatement, key event and DID-document
version becomes a leaf (:mod:`credstack.log.leaf`) of one RFC 9162 Merkle tree per deployment,
appended in the same unit of work as the change it records: a rolled-back transaction takes its
leaves with it, and two transactions appending at once clash on the leaf index (a
``Conflict``) instead of forking the tree.  Tree heads are C2SP checkpoints (https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md)
of origin ``<host>/log``, signed with the platform's own did:web key.  Checkpoints are signed
lazily: :func:`sign_checkpoint_now` signs one when the tree has grown since the latest, which
the ``GET /log/checkpoint`` and proof endpoints do, so issuing never waits for a signature.
Every ``DID document`` leaf's document is stored too, so a bundle carries the version in
force at issuance.  :func:`anchor_if_due` publishes tree heads on a public chain (through an
injected anchorer) and stores the records.  Layout and formats: docs/transparency-log.md.
Like every service, nothing here commits, except :func:`anchor_if_due`, which must not hold a
transaction open while it waits for the chain.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from credstack.crypto.keys import KeyPair, PublicKey
from credstack.errors import (
    ConfigurationError,
    Conflict,
    CredstackError,
    InvalidInput,
    InvalidState,
    NotFound,
    PermissionDenied,
    ProofError,
    Unavailable,
)
from credstack.log.anchor import AnchorRecord, anchor_due
from credstack.log.bundle import (
    MAX_EXTRA_STATUS_LISTS,
    AnchorEvidence,
    Bundle,
    KeyRecord,
    LeafEvidence,
    build_bundle,
    status_list_urls,
)
from credstack.log.checkpoint import parse_checkpoint, sign_checkpoint
from credstack.log.cosign import cosignature_timestamp, posix_seconds
from credstack.log.leaf import (
    EventType,
    credential_digest,
    did_document_digest,
    encode_leaf,
    key_digest,
)
from credstack.log.merkle import AppendPlan, MerkleTree, Node, NodeKey, leaf_hash
from credstack.log.note import COSIGNATURE_V1, Note, NoteSigner, NoteVerifier, parse_note
from credstack.platform.domain import IssuedCredential, Organisation, SigningKey
from credstack.platform.ports import (
    DidDocumentVersion,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogRepository,
    UnitOfWork,
)

if TYPE_CHECKING:  # keys.py appends key events through this module
    from credstack.platform.keys import KeyCustody

__all__ = [
    "COSIGNATURE_CLOCK_SKEW",
    "MAX_ANCHORS_PAGE",
    "MAX_LEAVES_PAGE",
    "Anchorer",
    "Anchoring",
    "InclusionProof",
    "LogEvent",
    "StoredNodes",
    "accept_cosignature",
    "anchor_if_due",
    "anchor_page",
    "append_events",
    "checkpoint_text",
    "consistency_proof",
    "credential_bundle",
    "credential_events",
    "credential_status_event",
    "did_document_event",
    "find_entry",
    "inclusion_proof",
    "key_event",
    "leaf_range",
    "log_origin",
    "log_tree",
    "log_verifiers",
    "sign_checkpoint_now",
]

MAX_LEAVES_PAGE = 1000
"""The most leaves :func:`leaf_range` returns at once."""
MAX_ANCHORS_PAGE = 100
"""The most anchor records one page of ``GET /log/anchors`` lists."""
COSIGNATURE_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a witness's cosignature timestamp may be (its clock may run ahead)."""
ORIGIN_PATH = "/log"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event to append: type, issuer DID, the time it takes effect, and its digest.

    A ``DID document`` event also carries the document, stored with its leaf by
    :func:`append_events` (:func:`did_document_event` sets it)."""

    event: EventType
    issuer: str
    at: datetime
    digest: bytes
    credential_id: str | None = None
    document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


class StoredNodes:
    """A :class:`credstack.log.merkle.NodeStore` over ``uow.log`` (reads only: the nodes of an
    append are written with its leaves by :func:`append_events`)."""

    def __init__(self, log: LogRepository) -> None:
        self._log = log

    def get(self, level: int, index: int) -> bytes:
        return self._log.nodes([(level, index)])[0]

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return self._log.nodes(keys)

    def put_many(self, nodes: Iterable[Node]) -> None:
        raise InvalidState("log nodes are written only with their leaves (append_events)")


def log_tree(uow: UnitOfWork, size: int | None = None) -> MerkleTree:
    """The log's Merkle tree at ``size`` (default: every leaf), reading nodes from ``uow``."""
    current = uow.log.size()
    if size is None:
        size = current
    elif not 0 <= size <= current:
        raise InvalidInput(
            f"tree size {size} is beyond the log's size {current}", code="RANGE_ERROR"
        )
    return MerkleTree(StoredNodes(uow.log), size)


# --- appending ------------------------------------------------------------------------------


def append_events(uow: UnitOfWork, events: Sequence[LogEvent], at: datetime) -> AppendPlan | None:
    """Append ``events`` as leaves (in order) with the Merkle nodes they complete, in ``uow``.

    ``at`` is when they are recorded (the rows' ``created_at``); each leaf carries its own
    event time.  The document of each ``DID document`` event is stored with its leaf index
    (``uow.log.add_did_document``).  Returns the append plan (new size and root), or ``None``
    for no events.
    """
    if not events:
        return None
    for e in events:
        if e.document is not None and (
            e.event is not EventType.DID_DOCUMENT or did_document_digest(e.document) != e.digest
        ):
            raise InvalidInput("only a DID document event carries a document, with its digest")
    start = uow.log.reserve()
    tree = MerkleTree(StoredNodes(uow.log), start)
    leaves = [encode_leaf(e.event, e.issuer, e.at, e.digest) for e in events]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    plan = tree.plan_append(hashes)
    entries = [
        LogEntry(start + n, leaf, h, int(e.event), e.digest, e.credential_id, at)
        for n, (e, leaf, h) in enumerate(zip(events, leaves, hashes, strict=True))
    ]
    uow.log.append(entries, plan.nodes)
    for entry, e in zip(entries, events, strict=True):
        if e.document is not None:
            version = DidDocumentVersion(entry.index, e.issuer, e.digest, dict(e.document), at)
            uow.log.add_did_document(version)
    return plan


def credential_events(
    credentials: Iterable[IssuedCredential],
    issuer: str,
    *,
    revoked_at: datetime | None = None,
    digests: Mapping[str, bytes] | None = None,
) -> list[LogEvent]:
    """``credential issued`` events (or ``credential revoked`` at ``revoked_at``) for stored
    credentials: the digest is :func:`credstack.log.leaf.credential_digest` of the signed JSON
    (taken from ``digests`` by credential id when the signer computed it already)."""
    out: list[LogEvent] = []
    for c in credentials:
        known = digests.get(c.id) if digests else None
        if known is not None:
            event = (
                EventType.CREDENTIAL_ISSUED if revoked_at is None else EventType.CREDENTIAL_REVOKED
            )
            out.append(LogEvent(event, issuer, revoked_at or c.issued_at, known, c.id))
            continue
        try:
            document = orjson.loads(c.credential_json)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"credential {c.id} is not stored as JSON") from exc
        if revoked_at is None:
            event, at = EventType.CREDENTIAL_ISSUED, c.issued_at
        else:
            event, at = EventType.CREDENTIAL_REVOKED, revoked_at
        out.append(LogEvent(event, issuer, at, credential_digest(document), c.id))
    return out


_STATUS_EVENTS = (
    EventType.CREDENTIAL_REVOKED,
    EventType.CREDENTIAL_SUSPENDED,
    EventType.CREDENTIAL_REINSTATED,
)


def credential_status_event(
    credential: IssuedCredential, issuer: str, event: EventType, at: datetime
) -> LogEvent:
    """A status change (revoked, suspended, reinstated) of a stored credential taking effect at
    ``at``; the digest is that of the signed credential, which never changes."""
    if event not in _STATUS_EVENTS:
        raise InvalidInput(f"{event!r} is not a credential status event")
    try:
        document = orjson.loads(credential.credential_json)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"credential {credential.id} is not stored as JSON") from exc
    return LogEvent(event, issuer, at, credential_digest(document), credential.id)


def key_event(event: EventType, issuer: str, key: SigningKey, at: datetime) -> LogEvent:
    """A key event (activated, retired, compromised) of ``key`` taking effect at ``at``."""
    if event not in (EventType.KEY_ACTIVATED, EventType.KEY_RETIRED, EventType.KEY_COMPROMISED):
        raise InvalidInput(f"{event!r} is not a key event")
    return LogEvent(event, issuer, at, key_digest(key.public_key_multibase))


def did_document_event(issuer: str, document: Mapping[str, Any], at: datetime) -> LogEvent:
    """A new version of ``issuer``'s DID document, in force from ``at`` (the document itself
    is stored with the leaf)."""
    digest = did_document_digest(document)
    return LogEvent(EventType.DID_DOCUMENT, issuer, at, digest, document=document)


# --- checkpoints ----------------------------------------------------------------------------


def log_origin(host: str) -> str:
    """The log's origin and note key name: ``<host>/log`` (the did:web host, port included)."""
    from credstack.platform.platform_identity import platform_did

    platform_did(host)  # the same host rules as the platform DID
    return host + ORIGIN_PATH


def _signer(uow: UnitOfWork, custody: KeyCustody, host: str) -> NoteSigner:
    from credstack.platform.platform_identity import platform_signing_key

    return NoteSigner(log_origin(host), platform_signing_key(uow, custody, host))


def log_verifiers(did_document: Mapping[str, Any], host: str) -> list[NoteVerifier]:
    """Note verifiers of the log (origin ``<host>/log``) for every Ed25519 key listed in the
    platform's DID document (``verificationMethod``): rotated keys still verify old heads."""
    origin = log_origin(host)
    methods = did_document.get("verificationMethod")
    out: list[NoteVerifier] = []
    for method in methods if isinstance(methods, list) else []:
        value = method.get("publicKeyMultibase") if isinstance(method, Mapping) else None
        if isinstance(value, str):
            out.append(NoteVerifier.for_key(origin, PublicKey.from_multibase(value)))
    if not out:
        raise InvalidInput("the platform DID document lists no publicKeyMultibase key")
    return out


def sign_checkpoint_now(
    uow: UnitOfWork, custody: KeyCustody, host: str, at: datetime
) -> LogCheckpoint:
    """The checkpoint of the whole tree: the latest one if the tree has not grown since,
    else a new one signed (with the active platform key) and stored in ``uow``."""
    size = uow.log.size()
    latest = uow.log.latest_checkpoint()
    if latest is not None and latest.size >= size:
        return latest
    tree = MerkleTree(StoredNodes(uow.log), size)
    text = sign_checkpoint(log_origin(host), size, tree.root(), _signer(uow, custody, host))
    checkpoint = LogCheckpoint(size, text, at)
    uow.log.add_checkpoint(checkpoint)
    return checkpoint


def checkpoint_text(uow: UnitOfWork, checkpoint: LogCheckpoint) -> str:
    """The signed checkpoint note with the witnesses' cosignature lines appended."""
    return checkpoint.text + "".join(c.line for c in uow.log.cosignatures(checkpoint.size))


def _stored_checkpoint(uow: UnitOfWork, size: int) -> LogCheckpoint:
    found = uow.log.checkpoint(size)
    if found is None:
        raise NotFound(f"the log has no signed checkpoint of size {size}")
    return found


# --- proofs and leaves ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """A leaf, its RFC 9162 audit path in the tree of ``size`` leaves, and that tree's signed
    (and cosigned) checkpoint."""

    entry: LogEntry
    size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.entry.index,
            "tree_size": self.size,
            "leaf": _b64(self.entry.leaf),
            "leaf_hash": _b64(self.entry.leaf_hash),
            "proof": [_b64(h) for h in self.proof],
            "checkpoint": self.checkpoint,
        }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def find_entry(
    uow: UnitOfWork, *, credential_id: str | None = None, digest: bytes | None = None
) -> LogEntry:
    """The leaf recording ``credential_id``'s issuance, or the first leaf with event ``digest``
    (a credential digest, a DID-document digest or a key digest)."""
    if (credential_id is None) == (digest is None):
        raise InvalidInput("look a leaf up by a credential id or by a digest, not both")
    if credential_id is not None:
        entries = uow.log.find(credential_id=credential_id)
        issued = [e for e in entries if e.event == EventType.CREDENTIAL_ISSUED]
        entries = issued or entries
        what = f"credential {credential_id}"
    else:
        assert digest is not None
        if len(digest) != 32:
            raise InvalidInput("a log digest is 32 bytes (SHA-256)")
        entries = uow.log.find(digest=digest)
        what = f"digest {digest.hex()}"
    if not entries:
        raise NotFound(f"the log has no leaf for {what}")
    return entries[0]


def inclusion_proof(
    uow: UnitOfWork,
    custody: KeyCustody,
    host: str,
    at: datetime,
    *,
    credential_id: str | None = None,
    digest: bytes | None = None,
    size: int | None = None,
) -> InclusionProof:
    """The inclusion proof of a leaf (by credential id or digest) in the tree of a signed
    checkpoint: ``size`` names a stored one; by default the latest (signed now if needed)."""
    entry = find_entry(uow, credential_id=credential_id, digest=digest)
    if size is None:
        checkpoint = sign_checkpoint_now(uow, custody, host, at)
    else:
        checkpoint = _stored_checkpoint(uow, size)
    if entry.index >= checkpoint.size:
        raise NotFound(f"leaf {entry.index} is not in the tree of size {checkpoint.size}")
    tree = MerkleTree(StoredNodes(uow.log), checkpoint.size)
    proof = tree.inclusion_proof(entry.index)
    return InclusionProof(entry, checkpoint.size, tuple(proof), checkpoint_text(uow, checkpoint))


def consistency_proof(uow: UnitOfWork, size1: int, size2: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 proof that the tree of ``size2`` leaves extends that of ``size1``
    (``0 < size1 <= size2 <= size()``)."""
    if not 0 < size1 <= size2:
        raise InvalidInput(
            f"a consistency proof needs 0 < from <= to (got {size1} and {size2})",
            code="RANGE_ERROR",
        )
    return log_tree(uow, size2).consistency_proof(size1)


def leaf_range(uow: UnitOfWork, start: int, end: int) -> list[LogEntry]:
    """Leaves ``start <= index < end`` (cut at the log's size); at most
    :data:`MAX_LEAVES_PAGE`."""
    if start < 0 or end <= start:
        raise InvalidInput("a leaf range needs 0 <= start < end", code="RANGE_ERROR")
    if end - start > MAX_LEAVES_PAGE:
        raise InvalidInput(f"at most {MAX_LEAVES_PAGE} leaves at a time", code="RANGE_ERROR")
    size = uow.log.size()
    if start >= size:
        raise NotFound(f"the log has {size} leaves; none from {start}")
    return uow.log.leaves(start, min(end, size))


# --- witnesses ------------------------------------------------------------------------------


def accept_cosignature(
    uow: UnitOfWork,
    size: int,
    line: str,
    witnesses: Iterable[NoteVerifier],
    at: datetime,
) -> LogCosignature:
    """Store a witness's C2SP cosignature line on the stored checkpoint of ``size``.

    Only configured ``witnesses`` (type 0x04 keys) may: another key is
    :class:`PermissionDenied`; a malformed line, a signature that does not verify or a
    timestamp more than :data:`COSIGNATURE_CLOCK_SKEW` ahead of ``at`` is :class:`InvalidInput`.
    The same line again is accepted once more; a different one from that witness for that size
    is a :class:`Conflict` (cosignatures are never replaced).
    """
    checkpoint = _stored_checkpoint(uow, size)
    if not isinstance(line, str) or not line.strip() or "\n" in line.rstrip("\n"):
        raise InvalidInput("a cosignature is one signature line: '— <name> <base64>'")
    text = parse_checkpoint(checkpoint.text).note.text
    try:
        parsed = parse_note(text + "\n" + line.rstrip("\n") + "\n")
    except CredstackError as exc:
        raise InvalidInput(f"malformed cosignature line: {exc.message}", code=exc.code) from exc
    signature = parsed.signatures[0]
    known = {(w.name, w.key_id): w for w in witnesses if w.sig_type == COSIGNATURE_V1}
    verifier = known.get((signature.name, signature.key_id))
    if verifier is None:
        raise PermissionDenied(
            f"{signature.name!r} ({signature.key_id:08x}) is not a configured witness key"
        )
    try:
        timestamp = cosignature_timestamp(signature)
    except ProofError as exc:
        raise InvalidInput(exc.message, code=exc.code) from exc
    if not verifier.verify(text, signature.signature):
        raise InvalidInput(
            f"the cosignature by {signature.name!r} does not verify for the checkpoint of size "
            f"{size}",
            code="PROOF_VERIFICATION_ERROR",
        )
    if timestamp > posix_seconds(at + COSIGNATURE_CLOCK_SKEW):
        raise InvalidInput(f"the cosignature by {signature.name!r} is dated in the future")
    stored_line = Note(text, (signature,)).format()[len(text) + 1 :]
    for existing in uow.log.cosignatures(size):
        if existing.witness == signature.name:
            if existing.line == stored_line:
                return existing
            raise Conflict(f"witness {signature.name!r} has already cosigned tree size {size}")
    cosignature = LogCosignature(size, signature.name, stored_line, at)
    uow.log.add_cosignature(cosignature)
    return cosignature


# --- public-chain anchoring -------------------------------------------------------------------

Anchorer = Callable[[str, datetime], AnchorRecord]
"""The anchoring port: publishes a checkpoint note on a chain and returns the record
(``credstack.log.anchor.RpcAnchorer``; tests inject their own)."""


@dataclass(frozen=True, slots=True)
class Anchoring:
    """Scheduled anchoring: the anchorer, and at least how long between two anchors."""

    anchorer: Anchorer
    every: timedelta

    def __post_init__(self) -> None:
        if not callable(self.anchorer):
            raise ConfigurationError("the anchorer must be callable as anchorer(text, at)")
        if not isinstance(self.every, timedelta) or self.every < timedelta(0):
            raise ConfigurationError("the anchoring interval must be a non-negative timedelta")


def anchor_if_due(
    units: Callable[[], UnitOfWork],
    custody: KeyCustody,
    host: str,
    anchorer: Anchorer,
    *,
    at: datetime,
    every: timedelta,
) -> AnchorRecord | None:
    """Anchor the log's latest checkpoint when :func:`credstack.log.anchor.anchor_due` says
    so, store the record and return it; ``None`` when nothing was due (or the log is empty).

    Three steps, so no transaction stays open while the chain is waited for: a unit of work
    signs the checkpoint if the tree grew and reads the latest anchor (committed); the
    ``anchorer`` publishes the checkpoint; a second unit of work stores the record.  An
    anchorer failure (``Unavailable`` for a chain that is down, ``ProofError`` for a refused
    transaction) propagates and nothing is stored; a record anchored on chain that cannot be
    stored raises ``Unavailable`` naming its transaction.
    """
    with _Unit(units) as uow:
        head = sign_checkpoint_now(uow, custody, host, at)
        last = uow.log.latest_anchor()
    if head.size == 0 or not anchor_due(last, head.text, at=at, every=every):
        return None
    record = anchorer(head.text, at)
    if not isinstance(record, AnchorRecord):
        raise InvalidState("the anchorer returned no anchor record")
    tree = parse_checkpoint(head.text).checkpoint
    if (record.origin, record.tree_size, record.root_hash) != (
        tree.origin,
        tree.size,
        tree.root_hash,
    ):
        raise InvalidState("the anchorer returned a record of another tree head")
    try:
        with _Unit(units) as uow:
            uow.log.add_anchor(record)
    except CredstackError as exc:
        raise Unavailable(
            f"tree size {record.tree_size} was anchored in transaction 0x{record.tx_hash.hex()} "
            f"(chain {record.chain_id}, block {record.block_number}) but the record could not "
            f"be stored: {exc.message}"
        ) from exc
    return record


class _Unit:
    """A unit of work from ``units``: committed when the block succeeds, else rolled back."""

    def __init__(self, units: Callable[[], UnitOfWork]) -> None:
        self._uow = units()

    def __enter__(self) -> UnitOfWork:
        uow: UnitOfWork = self._uow
        return uow

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self._uow.commit()
        else:
            self._uow.rollback()


def anchor_page(uow: UnitOfWork, *, limit: int, offset: int = 0) -> list[AnchorRecord]:
    """Stored anchors, largest tree size (the newest) first; at most :data:`MAX_ANCHORS_PAGE`."""
    if not 1 <= limit <= MAX_ANCHORS_PAGE or offset < 0:
        raise InvalidInput(
            f"limit is 1 to {MAX_ANCHORS_PAGE} and offset is not negative", code="RANGE_ERROR"
        )
    return uow.log.anchors(limit=limit, offset=offset)


# --- offline verification bundles --------------------------------------------------------------


def credential_bundle(
    uow: UnitOfWork,
    custody: KeyCustody,
    host: str,
    base_url: str,
    organisation: Organisation,
    credential: IssuedCredential,
    at: datetime,
) -> Bundle:
    """An offline verification bundle (``docs/transparency-log.md``) for an issued credential,
    every proof under one signed checkpoint of the whole tree:

    * the credential and its leaf;
    * ``didDocument``: the issuer's DID document version logged last before the credential's
      leaf, with its leaf; ``currentDidDocument``: the latest logged version, when another
      (it verifies the status list, signed with the active key).  Without stored versions (a
      log older than migration 0007) the document of today, found by its digest;
    * the status list as of now (``statusList``), and as of now every other list of this
      organisation the credential's ``credentialStatus`` names (``statusLists``: its
      suspension list); the key history (a compromised key with its logged
      ``key compromised`` leaf);
    * public-chain anchors: the first covering the credential's leaf and the latest, with
      consistency proofs to the checkpoint.
    """
    from credstack.platform.keys import did_document, signing_key
    from credstack.platform.statuslists import status_list_credential, status_list_url

    keys = uow.keys.for_organisation(organisation.id)
    checkpoint = sign_checkpoint_now(uow, custody, host, at)
    tree = MerkleTree(StoredNodes(uow.log), checkpoint.size)

    def evidence(entry: LogEntry) -> LeafEvidence:
        if entry.index >= checkpoint.size:
            raise NotFound(f"leaf {entry.index} is not in the tree of size {checkpoint.size}")
        proof = tuple(tree.inclusion_proof(entry.index))
        return LeafEvidence(entry.index, checkpoint.size, entry.leaf, proof)

    def version_evidence(version: DidDocumentVersion) -> LeafEvidence:
        entry = uow.log.leaf(version.index)
        if entry is None or entry.digest != version.digest:
            raise InvalidState(f"DID document version {version.index} does not match its leaf")
        return evidence(entry)

    credential_entry = find_entry(uow, credential_id=credential.id)
    credential_leaf = evidence(credential_entry)
    issued = uow.log.did_document(organisation.did, before=credential_entry.index)
    latest = uow.log.did_document(organisation.did)
    current: DidDocumentVersion | None = None
    if issued is None:
        issued = latest
    elif latest is not None and latest.index != issued.index:
        current = latest
    if issued is None:
        document = did_document(organisation, keys)
        document_leaf = evidence(find_entry(uow, digest=did_document_digest(document)))
    else:
        document, document_leaf = issued.document, version_evidence(issued)
    opened: list[KeyPair] = []

    def key() -> KeyPair:
        if not opened:
            opened.append(signing_key(uow, custody, organisation))
        return opened[0]

    status = None
    if credential.status_list_id is not None:
        found = uow.status_lists.get(credential.status_list_id)
        if found is not None:
            url = status_list_url(base_url, organisation, found.id)
            status = status_list_credential(organisation, found, key(), url=url, at=at)
    signed = orjson.loads(credential.credential_json)
    others: list[dict[str, Any]] = []
    for url in status_list_urls(signed if isinstance(signed, dict) else {}):
        _, sep, list_id = url.rpartition("/status/")
        if not sep or list_id == credential.status_list_id:
            continue
        found = uow.status_lists.get(list_id)
        if found is None or found.organisation_id != organisation.id:
            continue  # not a list of this organisation: the verifier reports it not supplied
        if status_list_url(base_url, organisation, found.id) != url:
            continue
        if len(others) < MAX_EXTRA_STATUS_LISTS:
            others.append(status_list_credential(organisation, found, key(), url=url, at=at))
    history = [
        KeyRecord(
            id=f"{organisation.did}#{k.fragment}",
            public_key_multibase=k.public_key_multibase,
            status=str(k.status),
            activated=k.activated_at,
            retired=k.retired_at,
            compromised_since=k.compromised_since,
            compromise_log=(
                None if k.compromised_since is None else _compromise_evidence(uow, k, evidence)
            ),
        )
        for k in keys
    ]
    return build_bundle(
        credential=signed,
        did_document=document,
        checkpoint=checkpoint_text(uow, checkpoint),
        credential_log=credential_leaf,
        did_document_log=document_leaf,
        status_list=status,
        status_checked_at=at if status is not None or others else None,
        key_history=history,
        current_did_document=None if current is None else current.document,
        current_did_document_log=None if current is None else version_evidence(current),
        anchors=_bundle_anchors(uow, host, credential_entry.index, checkpoint.size),
        status_lists=others,
    )


def _compromise_evidence(
    uow: UnitOfWork, key: SigningKey, evidence: Callable[[LogEntry], LeafEvidence]
) -> LeafEvidence | None:
    """The ``key compromised`` leaf of ``key`` with its proof, if logged."""
    entries = uow.log.find(digest=key_digest(key.public_key_multibase))
    found = [e for e in entries if e.event == EventType.KEY_COMPROMISED]
    return evidence(found[0]) if found else None


def _bundle_anchors(uow: UnitOfWork, host: str, leaf_index: int, size: int) -> list[AnchorEvidence]:
    """The first anchor covering leaf ``leaf_index`` (it shows the leaf was logged by its
    block's time) and the latest anchor of at most ``size`` leaves, each with a consistency
    proof to ``size``."""
    origin = log_origin(host)
    picked = [
        uow.log.first_anchor(min_size=leaf_index + 1),
        uow.log.latest_anchor(max_size=size),
    ]
    out: list[AnchorEvidence] = []
    for record in dict.fromkeys(r for r in picked if r is not None):
        if record.origin != origin or not 0 < record.tree_size <= size:
            continue
        proof = tuple(log_tree(uow, size).consistency_proof(record.tree_size))
        out.append(AnchorEvidence(record, proof))
    return out
