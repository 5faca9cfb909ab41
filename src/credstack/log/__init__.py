"""Issuance transparency log: the pure-library layer (no database, no web).

- :mod:`.merkle` — RFC 9162 §2.1 Merkle Tree Hash, inclusion and consistency proofs
  (generation over a subtree-hash reader or a :class:`NodeStore`, and verification);
  https://www.rfc-editor.org/rfc/rfc9162#section-2.1
- :mod:`.leaf` — the version-1 leaf encoding (event, issuer DID, time, SHA-256 digest).
- :mod:`.note` — C2SP signed notes and their verifier / signer key strings;
  https://github.com/C2SP/C2SP/blob/main/signed-note.md
- :mod:`.checkpoint` — C2SP checkpoints (signed tree heads);
  https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md
- :mod:`.cosign` — C2SP witness cosignatures (``cosignature/v1``);
  https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md

Byte-for-byte formats: docs/transparency-log.md.
"""

from __future__ import annotations

from credstack.log.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    VerifiedCheckpoint,
    parse_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
    verify_checkpoint,
)
from credstack.log.cosign import (
    Cosignature,
    cosign,
    cosignature_signer,
    cosignature_timestamp,
    cosignature_verifier,
    verify_cosignatures,
)
from credstack.log.leaf import (
    EventType,
    LogLeaf,
    credential_digest,
    decode_leaf,
    did_document_digest,
    encode_leaf,
    key_digest,
)
from credstack.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    AppendPlan,
    MemoryNodeStore,
    MerkleTree,
    NodeStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from credstack.log.note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AppendPlan",
    "Checkpoint",
    "Cosignature",
    "EventType",
    "LogLeaf",
    "MemoryNodeStore",
    "MerkleTree",
    "NodeStore",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "SignedCheckpoint",
    "VerifiedCheckpoint",
    "consistency_proof",
    "cosign",
    "cosignature_signer",
    "cosignature_timestamp",
    "cosignature_verifier",
    "credential_digest",
    "decode_leaf",
    "did_document_digest",
    "encode_leaf",
    "inclusion_proof",
    "key_digest",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_note",
    "parse_checkpoint",
    "parse_checkpoint_body",
    "parse_note",
    "root",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_cosignatures",
    "verify_inclusion",
]
