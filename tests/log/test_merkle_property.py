"""Property tests on random trees: every proof verifies, and any single flipped bit is refused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credstack.errors import ProofError
from credstack.log.merkle import (
    MemoryNodeStore,
    MerkleTree,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@st.composite
def trees(draw: st.DrawFn, max_size: int = 48) -> tuple[MerkleTree, list[bytes]]:
    entries = draw(st.lists(st.binary(max_size=12), min_size=1, max_size=max_size))
    batches = draw(st.lists(st.integers(1, 9), min_size=1, max_size=10))
    leaves = [leaf_hash(e) for e in entries]
    tree = MerkleTree(MemoryNodeStore())
    at = 0
    for b in batches:
        tree.append(leaves[at : at + b])
        at += b
    tree.append(leaves[at:])
    return tree, leaves


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_inclusion_proof_verifies_at_every_size(data: tuple[MerkleTree, list[bytes]]) -> None:
    tree, leaves = data
    assert tree.root() == root(leaves)
    for size in range(1, tree.size + 1):
        head = tree.root(size)
        for index in range(size):
            verify_inclusion(index, size, leaves[index], tree.inclusion_proof(index, size), head)


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_consistency_proof_verifies_for_all_sizes(
    data: tuple[MerkleTree, list[bytes]],
) -> None:
    tree, _ = data
    for size2 in range(1, tree.size + 1):
        for size1 in range(1, size2 + 1):
            proof = tree.consistency_proof(size1, size2)
            verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


@settings(max_examples=200, deadline=None)
@given(trees(), st.data())
def test_inclusion_single_bit_flip_is_refused(
    data: tuple[MerkleTree, list[bytes]], draw: st.DataObject
) -> None:
    tree, leaves = data
    index = draw.draw(st.integers(0, tree.size - 1))
    proof = tree.inclusion_proof(index)
    head = tree.root()
    targets = ["leaf", "root"] + (["proof"] if proof else [])
    target = draw.draw(st.sampled_from(targets))
    bit = draw.draw(st.integers(0, 255))
    leaf = leaves[index]
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        head = _flip(head, bit)
    else:
        at = draw.draw(st.integers(0, len(proof) - 1))
        proof[at] = _flip(proof[at], bit)
    try:
        verify_inclusion(index, tree.size, leaf, proof, head)
    except ProofError:
        return
    raise AssertionError(f"a flipped bit in the {target} was accepted")


@settings(max_examples=200, deadline=None)
@given(trees(), st.data())
def test_consistency_single_bit_flip_is_refused(
    data: tuple[MerkleTree, list[bytes]], draw: st.DataObject
) -> None:
    tree, _ = data
    size2 = tree.size
    size1 = draw.draw(st.integers(1, size2))
    proof = tree.consistency_proof(size1, size2)
    root1, root2 = tree.root(size1), tree.root(size2)
    targets = ["root1", "root2"] + (["proof"] if proof else [])
    target = draw.draw(st.sampled_from(targets))
    bit = draw.draw(st.integers(0, 255))
    if target == "root1":
        root1 = _flip(root1, bit)
    elif target == "root2":
        root2 = _flip(root2, bit)
    else:
        at = draw.draw(st.integers(0, len(proof) - 1))
        proof[at] = _flip(proof[at], bit)
    try:
        verify_consistency(size1, size2, proof, root1, root2)
    except ProofError:
        return
    raise AssertionError(f"a flipped bit in {target} was accepted")
