"""RFC 9162 Merkle hashing and proofs: every transparency-dev vector, generation, the tree store."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from credstack.errors import Conflict, InvalidInput, ProofError
from credstack.log.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MerkleTree,
    Node,
    NodeKey,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    subtree_keys,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent.parent / "assets" / "rfc9162"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))

# The leaf entries of the RFC 6962 reference tree (transparency-dev/merkle testonly), whose
# roots and proofs the vectors' happy paths use.
CT_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_LEAVES = [leaf_hash(e) for e in CT_ENTRIES]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b(h) for h in case["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_vector_counts_match_the_vendored_set() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector_verifies_or_is_refused(path: Path) -> None:
    case = _load(path)
    args = (case["leafIdx"], case["treeSize"], _b(case["leafHash"]), _proof(case))
    if case["wantErr"]:
        with pytest.raises(ProofError) as info:
            verify_inclusion(*args, _b(case["root"]))
        assert info.value.code in {"PROOF_VERIFICATION_ERROR", "MALFORMED_PROOF_ERROR"}
        assert info.value.message
    else:
        verify_inclusion(*args, _b(case["root"]))


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector_verifies_or_is_refused(path: Path) -> None:
    case = _load(path)
    args = (case["size1"], case["size2"], _proof(case), _b(case["root1"]), _b(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError) as info:
            verify_consistency(*args)
        assert info.value.code in {"PROOF_VERIFICATION_ERROR", "MALFORMED_PROOF_ERROR"}
        assert info.value.message
    else:
        verify_consistency(*args)


def _happy(paths: Iterable[Path]) -> list[Path]:
    return [p for p in paths if p.name == "happy-path.json"]


def _list_reader(leaves: Sequence[bytes]) -> Any:
    return lambda start, end: root(leaves[start:end])


@pytest.mark.parametrize("path", _happy(INCLUSION), ids=_id)
def test_inclusion_proof_generation_reproduces_vector(path: Path) -> None:
    case = _load(path)
    leaves = CT_LEAVES[: case["treeSize"]]
    assert root(leaves) == _b(case["root"])
    expected = _proof(case)
    assert inclusion_proof(case["leafIdx"], case["treeSize"], _list_reader(leaves)) == expected
    tree = MerkleTree(MemoryNodeStore())
    tree.append(leaves)
    assert tree.inclusion_proof(case["leafIdx"]) == expected


@pytest.mark.parametrize("path", _happy(CONSISTENCY), ids=_id)
def test_consistency_proof_generation_reproduces_vector(path: Path) -> None:
    case = _load(path)
    leaves = CT_LEAVES[: case["size2"]]
    assert root(CT_LEAVES[: case["size1"]]) == _b(case["root1"])
    assert root(leaves) == _b(case["root2"])
    expected = _proof(case)
    assert consistency_proof(case["size1"], case["size2"], _list_reader(leaves)) == expected
    tree = MerkleTree(MemoryNodeStore())
    tree.append(leaves)
    assert tree.consistency_proof(case["size1"]) == expected


def test_root_known_answers_match_rfc6962_reference_tree() -> None:
    # SHA-256 of the empty string; the 8-leaf root is the vectors' "root2".
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert root(CT_LEAVES[:1]).hex().startswith("6e340b9cffb37a98")
    assert root(CT_LEAVES).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_root_matches_recursive_definition_for_every_size_to_40() -> None:
    def mth(leaves: Sequence[bytes]) -> bytes:  # RFC 9162 §2.1.1, literally
        if len(leaves) == 1:
            return leaves[0]
        k = 1 << ((len(leaves) - 1).bit_length() - 1)
        return node_hash(mth(leaves[:k]), mth(leaves[k:]))

    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(40)]
    for n in range(1, 41):
        assert root(leaves[:n]) == mth(leaves[:n])


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"ab") == hashlib.sha256(b"\x00ab").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_root_rejects_short_leaf_hash() -> None:
    with pytest.raises(InvalidInput):
        root([b"short"])


def test_inclusion_proof_generation_refuses_index_outside_tree() -> None:
    with pytest.raises(InvalidInput, match="outside"):
        inclusion_proof(8, 8, _list_reader(CT_LEAVES))


def test_consistency_proof_generation_refuses_zero_and_reversed_sizes() -> None:
    with pytest.raises(InvalidInput):
        consistency_proof(0, 8, _list_reader(CT_LEAVES))
    with pytest.raises(InvalidInput):
        consistency_proof(5, 4, _list_reader(CT_LEAVES))


def test_subtree_keys_decompose_aligned_range_and_refuse_unaligned() -> None:
    assert subtree_keys(8, 15) == [(2, 2), (1, 6), (0, 14)]
    assert subtree_keys(0, 1) == [(0, 0)]
    with pytest.raises(InvalidInput, match="aligned"):
        subtree_keys(1, 3)


def test_verify_inclusion_refuses_truncated_proof_as_malformed() -> None:
    proof = inclusion_proof(3, 8, _list_reader(CT_LEAVES))
    with pytest.raises(ProofError) as info:
        verify_inclusion(3, 8, CT_LEAVES[3], proof[:-1], root(CT_LEAVES))
    assert info.value.code == "MALFORMED_PROOF_ERROR"


def test_verify_inclusion_refuses_wrong_leaf_as_verification_error() -> None:
    proof = inclusion_proof(3, 8, _list_reader(CT_LEAVES))
    with pytest.raises(ProofError) as info:
        verify_inclusion(3, 8, CT_LEAVES[4], proof, root(CT_LEAVES))
    assert info.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_consistency_refuses_rewritten_history() -> None:
    history = CT_LEAVES[:5]
    rewritten = [*CT_LEAVES[:2], leaf_hash(b"forged"), *CT_LEAVES[3:]]
    proof = consistency_proof(5, 8, _list_reader(rewritten))
    with pytest.raises(ProofError):
        verify_consistency(5, 8, proof, root(history), root(rewritten))


class CountingStore(MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.calls = 0

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        self.calls += 1
        self.reads += len(keys)
        return super().get_many(keys)


def _leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


def test_tree_batches_give_same_nodes_and_root_as_one_append() -> None:
    leaves = _leaves(1000)
    one = MerkleTree(MemoryNodeStore())
    one.append(leaves)
    batched_store = MemoryNodeStore()
    batched = MerkleTree(batched_store)
    for start in range(0, 1000, 137):
        plan = batched.append(leaves[start : start + 137])
        assert plan.root == root(leaves[: plan.size])
    assert batched.root() == one.root() == root(leaves)
    assert batched_store.nodes == one.store.nodes  # type: ignore[attr-defined]


def test_tree_stores_about_two_nodes_per_leaf() -> None:
    store = MemoryNodeStore()
    MerkleTree(store).append(_leaves(1024))
    assert len(store.nodes) == 2 * 1024 - 1


def test_tree_plan_append_does_not_touch_store_or_state() -> None:
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    tree.append(_leaves(5))
    before = dict(store.nodes)
    plan = tree.plan_append(_leaves(3, b"x"))
    assert store.nodes == before
    assert tree.size == 5
    assert plan.old_size == 5
    assert plan.size == 8
    # leaves 5..7 complete the pairs (4,5) and (6,7), the quad 4..7 and the whole tree 0..7
    keys = {(lvl, i) for lvl, i, _ in plan.nodes}
    assert keys == {(0, 5), (0, 6), (0, 7), (1, 2), (1, 3), (2, 1), (3, 0)}


def test_tree_apply_refuses_stale_plan() -> None:
    tree = MerkleTree(MemoryNodeStore())
    stale = tree.plan_append(_leaves(2))
    tree.append(_leaves(1))
    with pytest.raises(Conflict):
        tree.apply(stale)


def test_tree_apply_without_store_lets_caller_persist_nodes() -> None:
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    plan = tree.plan_append(_leaves(6))
    persisted: list[Node] = list(plan.nodes)  # what a DB transaction would insert
    store.put_many(persisted)
    tree.apply(plan, store=False)
    assert tree.inclusion_proof(4) == inclusion_proof(4, 6, _list_reader(_leaves(6)))


def test_tree_reopened_from_store_continues_identically() -> None:
    leaves = _leaves(300)
    store = MemoryNodeStore()
    MerkleTree(store).append(leaves[:213])
    reopened = MerkleTree(store, size=213)
    assert reopened.root() == root(leaves[:213])
    reopened.append(leaves[213:])
    assert reopened.root() == root(leaves)


def test_tree_proofs_read_logarithmic_nodes_in_one_call() -> None:
    n = 100_003
    store = CountingStore()
    tree = MerkleTree(store)
    tree.append(_leaves(n))
    store.reads = store.calls = 0
    proof = tree.inclusion_proof(54_321)
    assert store.calls == 1
    assert store.reads <= 2 * n.bit_length()
    verify_inclusion(54_321, n, tree.leaf_hash(54_321), proof, tree.root())
    store.reads = store.calls = 0
    cproof = tree.consistency_proof(77_777)
    assert store.calls == 1
    assert store.reads <= 2 * n.bit_length()
    verify_consistency(77_777, n, cproof, tree.root(77_777), tree.root())


def test_tree_refuses_sizes_beyond_current() -> None:
    tree = MerkleTree(MemoryNodeStore())
    tree.append(_leaves(4))
    with pytest.raises(InvalidInput):
        tree.inclusion_proof(0, 5)
    with pytest.raises(InvalidInput):
        tree.root(9)


def test_tree_old_roots_match_prefix_roots() -> None:
    leaves = _leaves(70)
    tree = MerkleTree(MemoryNodeStore())
    tree.append(leaves)
    for size in range(71):
        assert tree.root(size) == root(leaves[:size])
