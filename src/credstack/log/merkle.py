"""Merkle Tree Hash, inclusion and consistency proofs (RFC 9162 §2.1).

https://www.rfc-editor.org/rfc/rfc9162#section-2.1

Hashes: a leaf is ``SHA-256(0x00 || entry)``, an interior node ``SHA-256(0x01 || left || right)``,
the empty tree ``SHA-256("")``; a tree of ``n > 1`` leaves splits at ``k``, the largest power of
two below ``n``.

Proof generation reads subtree hashes through a callable, so a stored log answers with
O(log n) reads.  :class:`MerkleTree` keeps, for an append-only log, the hash of every *perfect*
subtree (``2**level`` leaves starting at leaf ``index * 2**level``) in a :class:`NodeStore`;
every subtree the RFC algorithms ask for is a right-leaning fold of at most ``log2(n)`` of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from credstack.errors import Conflict, InvalidInput, NotFound, ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_TREE_SIZE = 2**63 - 1
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

SubtreeReader = Callable[[int, int], bytes]
"""``get(start, end)``: the Merkle Tree Hash of leaves ``[start, end)``."""

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree: leaves ``[index << level, (index + 1) << level)``."""

Node = tuple[int, int, bytes]
"""``(level, index, hash)``."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash (RFC 9162 §2.1.1) of a list of *leaf hashes* (not entries)."""
    # Fold left to right keeping the perfect subtrees of the prefix (a binary counter), then
    # join them right to left: the same value as the recursive definition, in O(n).
    stack: list[bytes] = []
    for count, h in enumerate(leaf_hashes):
        _check_hash(h, "leaf hash", InvalidInput)
        while count & 1:
            h = node_hash(stack.pop(), h)
            count >>= 1
        stack.append(h)
    return _fold(stack) if stack else EMPTY_ROOT


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Join perfect subtree hashes (largest first) into the hash of the range they cover."""
    out = hashes[-1]
    for h in reversed(hashes[:-1]):
        out = node_hash(h, out)
    return out


# --- proof generation ----------------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PATH(index, D[size]) (RFC 9162 §2.1.3.1), in proof order."""
    _check_size(size)
    if not 0 <= index < size:
        raise InvalidInput(
            f"leaf index {index} is outside a tree of size {size}", code="RANGE_ERROR"
        )
    out: list[tuple[int, int]] = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            out.append((start + k, start + n))
            n = k
        else:
            out.append((start, start + k))
            start, n, m = start + k, n - k, m - k
    out.reverse()
    return out


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1), in order."""
    _check_size(size2)
    if not 0 < size1 <= size2:
        raise InvalidInput(
            f"no consistency proof from size {size1} to size {size2} (needs 0 < size1 <= size2)",
            code="RANGE_ERROR",
        )
    out: list[tuple[int, int]] = []
    start, n, m, known = 0, size2, size1, True
    while m != n:
        k = _split(n)
        if m <= k:
            out.append((start + k, start + n))
            n = k
        else:
            out.append((start, start + k))
            start, n, m, known = start + k, n - k, m - k, False
    if not known:
        out.append((start, start + n))
    out.reverse()
    return out


def inclusion_proof(index: int, size: int, get: SubtreeReader) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    return [get(s, e) for s, e in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, get: SubtreeReader) -> list[bytes]:
    """Consistency proof between tree sizes ``size1`` and ``size2`` (RFC 9162 §2.1.4.1)."""
    return [get(s, e) for s, e in consistency_ranges(size1, size2)]


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees, largest first, that make up the aligned range ``[start, end)``.

    Every range the RFC algorithms produce starts at a multiple of the smallest power of two
    that is at least its length; the hash of such a range is :func:`_fold` of these subtrees.
    """
    width = end - start
    if start < 0 or width <= 0 or start % (1 << (width - 1).bit_length()):
        raise InvalidInput(f"[{start}, {end}) is not an aligned subtree range", code="RANGE_ERROR")
    keys: list[NodeKey] = []
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


# --- proof verification --------------------------------------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree ``(size, root_hash)``.

    RFC 9162 §2.1.3.2.  Raises :class:`ProofError` (``MALFORMED_PROOF_ERROR`` for a proof that
    cannot apply, ``PROOF_VERIFICATION_ERROR`` for one that does not verify).
    """
    _check_hash(leaf, "leaf hash", ProofError)
    _check_hash(root_hash, "root hash", ProofError)
    for h in proof:
        _check_hash(h, "proof hash", ProofError)
    if not 0 <= index < size or size > MAX_TREE_SIZE:
        raise _malformed(f"leaf index {index} is outside a tree of size {size}")
    if len(proof) != len(inclusion_ranges(index, size)):
        raise _malformed(
            f"an inclusion proof for leaf {index} of {size} has "
            f"{len(inclusion_ranges(index, size))} hashes, not {len(proof)}"
        )
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:  # pragma: no cover - excluded by the length check above
            raise _malformed("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root_hash:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the root of tree size {size}"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that tree ``(size2, root2)`` extends tree ``(size1, root1)`` (RFC 9162 §2.1.4.2).

    Edge rules (shared with the transparency-dev vectors): ``size1 > size2`` and ``size1 == 0``
    are refused (nothing is proved from an empty tree); equal sizes need an empty proof and
    equal roots.  Raises :class:`ProofError`.
    """
    if size1 > size2 or size2 > MAX_TREE_SIZE:
        raise _malformed(f"size1 ({size1}) is greater than size2 ({size2})")
    if size1 <= 0:
        raise _malformed("a consistency proof from an empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise _malformed("equal tree sizes need an empty consistency proof")
        if root1 != root2:
            raise ProofError(f"two different roots for the same tree size {size1}")
        return
    _check_hash(root1, "first root", ProofError)
    _check_hash(root2, "second root", ProofError)
    for h in proof:
        _check_hash(h, "proof hash", ProofError)
    expected = len(consistency_ranges(size1, size2))
    if len(proof) != expected:
        raise _malformed(
            f"a consistency proof from {size1} to {size2} has {expected} hashes, not {len(proof)}"
        )
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:  # pragma: no cover - excluded by the length check above
            raise _malformed("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != root1 or sr != root2:
        raise ProofError(
            f"consistency proof does not link the tree of size {size1} to the tree of size {size2}"
        )


def _malformed(message: str) -> ProofError:
    return ProofError(message, code="MALFORMED_PROOF_ERROR")


def _check_hash(value: object, what: str, error: type[InvalidInput] | type[ProofError]) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes) else type(value).__name__
        message = f"{what} must be {HASH_SIZE} bytes, got {size}"
        if error is ProofError:
            raise ProofError(message, code="MALFORMED_PROOF_ERROR")
        raise InvalidInput(message)


def _check_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise InvalidInput(f"tree size {size} is out of range", code="RANGE_ERROR")


# --- an append-only tree over a node store -------------------------------------------------


class NodeStore(Protocol):
    """Where a :class:`MerkleTree` keeps its perfect-subtree hashes, keyed ``(level, index)``.

    Level 0 holds the leaf hashes.  Nodes are written once and never changed.
    """

    def get(self, level: int, index: int) -> bytes:
        """The hash at ``(level, index)``; raise :class:`credstack.errors.NotFound` if absent."""
        ...

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """The hashes at ``keys``, in order (one round trip for a database)."""
        ...

    def put_many(self, nodes: Iterable[Node]) -> None:
        """Store new ``(level, index, hash)`` nodes."""
        ...


class MemoryNodeStore:
    """A :class:`NodeStore` in a dict, for tests and small tools."""

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        try:
            return self.nodes[(level, index)]
        except KeyError:
            raise NotFound(f"no Merkle node at level {level}, index {index}") from None

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return [self.get(level, index) for level, index in keys]

    def put_many(self, nodes: Iterable[Node]) -> None:
        for level, index, h in nodes:
            self.nodes[(level, index)] = h


@dataclass(frozen=True, slots=True)
class AppendPlan:
    """The outcome of appending a batch: the nodes to persist and the new tree head."""

    old_size: int
    size: int
    root: bytes
    nodes: tuple[Node, ...]
    frontier: tuple[bytes, ...]


def frontier_keys(size: int) -> list[NodeKey]:
    """The perfect subtrees, largest first, covering leaves ``[0, size)``."""
    return subtree_keys(0, size) if size else []


class MerkleTree:
    """An append-only RFC 9162 tree whose perfect-subtree hashes live in a :class:`NodeStore`.

    Keeps the *frontier* (the perfect subtrees covering the whole tree, at most 64 hashes) in
    memory; proofs read O(log n) nodes in one :meth:`NodeStore.get_many` call.  For a database,
    :meth:`plan_append` computes the nodes to insert without touching the store; persist them in
    the same transaction as the leaves, then :meth:`apply` the plan (or just :meth:`append`).
    """

    def __init__(self, store: NodeStore, size: int = 0) -> None:
        _check_size(size)
        self.store = store
        self._size = size
        self._frontier: list[bytes] = store.get_many(frontier_keys(size)) if size else []

    @property
    def size(self) -> int:
        return self._size

    def root(self, size: int | None = None) -> bytes:
        """Root hash at ``size`` (default: the current size)."""
        if size is None or size == self._size:
            return _fold(self._frontier) if self._frontier else EMPTY_ROOT
        self._check_within(size)
        return self.subtree_hash(0, size) if size else EMPTY_ROOT

    def plan_append(self, leaf_hashes: Sequence[bytes]) -> AppendPlan:
        """Compute (without storing) the nodes and root after appending ``leaf_hashes``."""
        frontier = list(self._frontier)
        nodes: list[Node] = []
        size = self._size
        for h in leaf_hashes:
            _check_hash(h, "leaf hash", InvalidInput)
            nodes.append((0, size, h))
            level, index = 0, size
            while index & 1:
                h = node_hash(frontier.pop(), h)
                level += 1
                index >>= 1
                nodes.append((level, index, h))
            frontier.append(h)
            size += 1
        _check_size(size)
        new_root = _fold(frontier) if frontier else EMPTY_ROOT
        return AppendPlan(self._size, size, new_root, tuple(nodes), tuple(frontier))

    def apply(self, plan: AppendPlan, *, store: bool = True) -> None:
        """Advance to ``plan`` (made by :meth:`plan_append` at the current size).

        With ``store=False`` the caller has already persisted ``plan.nodes`` itself.
        """
        if plan.old_size != self._size:
            raise Conflict(
                f"append plan was made at size {plan.old_size}; the tree is at {self._size}"
            )
        if store:
            self.store.put_many(plan.nodes)
        self._size = plan.size
        self._frontier = list(plan.frontier)

    def append(self, leaf_hashes: Sequence[bytes]) -> AppendPlan:
        """Append a batch of leaf hashes, store the new nodes, and return the plan."""
        plan = self.plan_append(leaf_hashes)
        self.apply(plan)
        return plan

    def leaf_hash(self, index: int) -> bytes:
        self._check_within(index + 1)
        return self.store.get(0, index)

    def subtree_hash(self, start: int, end: int) -> bytes:
        """Merkle Tree Hash of an aligned leaf range (see :func:`subtree_keys`)."""
        self._check_within(end)
        return _fold(self.store.get_many(subtree_keys(start, end)))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.3.1 audit path of leaf ``index`` at ``size`` (default: current)."""
        size = self._size if size is None else size
        self._check_within(size)
        return self._read(inclusion_ranges(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """RFC 9162 §2.1.4.1 proof that ``size2`` (default: current) extends ``size1``."""
        size2 = self._size if size2 is None else size2
        self._check_within(size2)
        return self._read(consistency_ranges(size1, size2))

    def _read(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        groups = [subtree_keys(s, e) for s, e in ranges]
        flat = [key for group in groups for key in group]
        hashes = self.store.get_many(flat)
        out: list[bytes] = []
        at = 0
        for group in groups:
            out.append(_fold(hashes[at : at + len(group)]))
            at += len(group)
        return out

    def _check_within(self, size: int) -> None:
        if not 0 <= size <= self._size:
            raise InvalidInput(
                f"size {size} is beyond the tree's size {self._size}", code="RANGE_ERROR"
            )
