"""Signing batches of credentials, in this process or in worker processes.

Issuing is two kinds of work: bookkeeping that needs the database (idempotency, status
entries, inserts) and signing, which needs only the key and is CPU-bound (RDF
canonicalisation dominates).  A :class:`Signer` takes a batch of :class:`SignTask` and
returns a :class:`SignFuture`, so a bulk job can store one batch while the next is being signed.

* :class:`InlineSigner` signs at once in the calling thread (single credentials, small jobs,
  tests);
* :class:`ProcessSigner` signs in worker processes started with ``spawn`` (no inherited
  database connections or threads).  The key's secret goes to each worker once, through the
  pool's initializer pipe, and never leaves the machine.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from credstack.crypto.keys import KeyPair
from credstack.errors import CredstackError, InvalidInput, Unavailable
from credstack.log.leaf import credential_digest
from credstack.platform.domain import Organisation
from credstack.proofs.dataintegrity import add_proof

__all__ = [
    "InlineSigner",
    "ProcessSigner",
    "SignFuture",
    "SignTask",
    "Signed",
    "Signer",
    "sign_tasks",
]


@dataclass(frozen=True, slots=True)
class SignTask:
    """One credential to build and sign (the request is an ``IssueRequest``)."""

    achievement: dict[str, Any]
    request: Any
    credential_id: str
    status: dict[str, Any] | list[dict[str, Any]]  # one entry, or revocation + suspension
    at: datetime


@dataclass(frozen=True, slots=True)
class Signed:
    """The stored text of a signed credential and its recipient's identity hash, or the
    message of the error that stopped it (a bad request found while signing)."""

    credential_json: str = ""
    email_hash: str | None = None
    error: str | None = None
    digest: bytes | None = None  # the transparency log's digest of the signed credential


def sign_tasks(key: KeyPair, organisation: Organisation, tasks: Sequence[SignTask]) -> list[Signed]:
    """Build, sign and serialise each task's credential (eddsa-rdfc-2022)."""
    from credstack.platform.issuance import build_credential, serialize

    out: list[Signed] = []
    for task in tasks:
        try:
            unsigned = build_credential(
                organisation,
                task.achievement,
                task.request,
                credential_id=task.credential_id,
                status=task.status,
                at=task.at,
            )
            signed = add_proof(unsigned, key, created=task.at)
            text = serialize(signed)
        except CredstackError as exc:
            out.append(Signed(error=exc.message))
            continue
        identifier = signed["credentialSubject"].get("identifier")
        email_hash = identifier[0]["identityHash"] if identifier else None
        out.append(Signed(text, email_hash, digest=credential_digest(signed)))
    return out


class SignFuture(Protocol):
    def result(self) -> list[Signed]: ...


class Signer(Protocol):
    """Signs batches for one organisation key."""

    def submit(self, organisation: Organisation, tasks: Sequence[SignTask]) -> SignFuture: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Done:
    value: list[Signed]

    def result(self) -> list[Signed]:
        return self.value


class InlineSigner:
    """Signs in the calling thread, at submit time."""

    def __init__(self, key: KeyPair) -> None:
        self._key = key

    def submit(self, organisation: Organisation, tasks: Sequence[SignTask]) -> SignFuture:
        return _Done(sign_tasks(self._key, organisation, tasks))

    def close(self) -> None:
        return None


#: the share of each batch the storing process signs itself (see :class:`ProcessSigner`)
LOCAL_SHARE = 0.2
MAX_LOCAL_SHARE = 0.5

_worker_key: KeyPair | None = None


def _init_worker(seed: bytes, key_id: str | None, controller: str | None) -> None:
    global _worker_key
    _worker_key = KeyPair(seed, id=key_id, controller=controller)


def _sign_in_worker(organisation: Organisation, tasks: Sequence[SignTask]) -> list[Signed]:
    if _worker_key is None:  # pragma: no cover - the initializer always runs first
        raise InvalidInput("the signing worker has no key")
    return sign_tasks(_worker_key, organisation, tasks)


class _Gathered:
    def __init__(
        self,
        parts: list[Future[list[Signed]]],
        tail: list[Signed],
        on_wait: Callable[[bool], None] | None = None,
    ) -> None:
        self._parts = parts
        self._tail = tail
        self._on_wait = on_wait

    def result(self) -> list[Signed]:
        out: list[Signed] = []
        if self._on_wait is not None:  # did the caller have to wait for the workers?
            self._on_wait(not all(part.done() for part in self._parts))
        try:
            for part in self._parts:
                out.extend(part.result())
        except CredstackError:
            raise
        except Exception as exc:  # a worker died (killed, out of memory): nothing was stored
            raise Unavailable(f"a signing worker failed: {type(exc).__name__}") from None
        return out + self._tail


class ProcessSigner:
    """Signs in ``workers`` spawned processes; each batch is split among them.

    A share of every batch (its tail; ``local_share`` to start with) is signed in the calling
    process, right after the rest is handed to the workers: the storing process has time to
    spare between batches, and spending it on signatures keeps every core busy.  The share
    adapts batch by batch: up when the caller had to wait for the workers, down when they were
    done first (measured in ``benchmarks/issuance.py``)."""

    def __init__(
        self, key: KeyPair, workers: int | None = None, *, local_share: float = LOCAL_SHARE
    ) -> None:
        self.workers = workers if workers is not None else default_workers()
        if self.workers < 1:
            raise InvalidInput("a process signer needs at least one worker")
        if not 0 <= local_share < 1:
            raise InvalidInput("local_share must be at least 0 and below 1")
        self._key = key
        self._local_share = local_share
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(key.seed, key.id, key.controller),
        )

    def submit(self, organisation: Organisation, tasks: Sequence[SignTask]) -> SignFuture:
        local = int(len(tasks) * self._local_share)
        remote = tasks[: len(tasks) - local]
        size = max(1, -(-len(remote) // self.workers))
        try:
            parts = [
                self._pool.submit(_sign_in_worker, organisation, list(remote[i : i + size]))
                for i in range(0, len(remote), size)
            ]
        except BrokenProcessPool:
            raise Unavailable("a signing worker failed: BrokenProcessPool") from None
        signed_here = sign_tasks(self._key, organisation, tasks[len(remote) :]) if local else []
        return _Gathered(parts, signed_here, self._adapt)

    def _adapt(self, waited: bool) -> None:
        """Balance the two sides: sign more here when the workers were late, less when they
        were done before they were asked."""
        step = 0.02 if waited else -0.02
        self._local_share = min(MAX_LOCAL_SHARE, max(0.0, self._local_share + step))

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for operators and fault-injection tests)."""
        return [p.pid for p in (self._pool._processes or {}).values() if p.pid is not None]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    """One worker per core but the one the storing process keeps busy (at least one).
    On two cores a second worker gains a few percent but costs a whole interpreter of
    memory (``benchmarks/issuance.py``)."""
    return max(1, (os.cpu_count() or 1) - 1)
