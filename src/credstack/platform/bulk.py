"""Bulk issuance jobs: upload → rows stored (with every bad row reported) → issued in batches.

A job survives crashes: each batch issues its rows and marks them issued in one transaction,
so after a kill the rows of the unfinished batch are simply still pending, and the per-row
idempotency key makes a re-run or a retry return the credential already issued instead of a
second one.  Progress is the job's counters, updated with every batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from credstack.errors import CredstackError, InvalidState, NotFound, PermissionDenied
from credstack.platform.achievements import issuable
from credstack.platform.bulkfile import BulkRow, RowError
from credstack.platform.domain import IssuanceJob, JobRow, JobStatus, Organisation, RowStatus
from credstack.platform.issuance import Issuer, IssueRequest, PreparedBatch
from credstack.platform.keys import KeyCustody
from credstack.platform.ports import UnitOfWork
from credstack.platform.signing import InlineSigner, Signer, SignFuture, default_workers

_ROW_CHUNK = 1000
POOL_MIN_ROWS = 5000  # below this, starting signing processes costs more than it saves


def _payload(row: BulkRow) -> dict[str, Any]:
    payload = {
        "email": row.email,
        "did": row.did,
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "narrative": row.narrative,
        "evidence_url": row.evidence_url,
    }
    if row.result_value:
        payload["result_value"] = row.result_value
    return payload


def _request(row: JobRow) -> IssueRequest:
    p = row.payload
    return IssueRequest(
        email=p.get("email"),
        did=p.get("did"),
        valid_from=datetime.fromisoformat(p["valid_from"]) if p.get("valid_from") else None,
        valid_until=datetime.fromisoformat(p["valid_until"]) if p.get("valid_until") else None,
        narrative=p.get("narrative"),
        evidence_url=p.get("evidence_url"),
        idempotency_key=row.idempotency_key,
        result_value=p.get("result_value") or None,
    )


def create_job(
    uow: UnitOfWork,
    organisation: Organisation,
    version_id: str,
    parsed: Iterable[BulkRow | RowError],
    *,
    at: datetime,
    dry_run: bool = False,
) -> IssuanceJob:
    """Store the parsed upload as a job; bad rows are kept with their line and error."""
    version = issuable(uow, organisation, version_id)
    job_id = str(uuid.uuid4())
    job = IssuanceJob(
        id=job_id,
        organisation_id=organisation.id,
        achievement_version_id=version.id,
        status=JobStatus.PENDING,
        dry_run=dry_run,
        total=0,
        issued=0,
        invalid=0,
        created_at=at,
    )
    uow.jobs.add(job)
    chunk: list[JobRow] = []
    total = invalid = 0
    errors: dict[int, list[str]] = {}
    for item in parsed:
        if isinstance(item, RowError):
            where = f" ({item.column})" if item.column else ""
            errors.setdefault(item.line, []).append(f"{item.code}{where}: {item.message}")
            continue
        total += 1
        chunk.append(
            JobRow(job_id, item.line, item.idempotency_key, _payload(item), RowStatus.PENDING)
        )
        if len(chunk) >= _ROW_CHUNK:
            uow.jobs.add_rows(chunk)
            chunk = []
    if chunk:
        uow.jobs.add_rows(chunk)
    for line, messages in sorted(errors.items()):
        total += 1
        invalid += 1
        uow.jobs.add_rows(
            [
                JobRow(
                    job_id, line, f"\x00invalid:{line}", {}, RowStatus.INVALID, "; ".join(messages)
                )
            ]
        )
    job = replace(
        job,
        total=total,
        invalid=invalid,
        status=JobStatus.DONE if dry_run else JobStatus.PENDING,
        finished_at=at if dry_run else None,
    )
    uow.jobs.update(job)
    return job


def get_job(uow: UnitOfWork, organisation: Organisation, job_id: str) -> IssuanceJob:
    job = uow.jobs.get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.organisation_id != organisation.id:
        raise PermissionDenied(f"job {job_id} belongs to another organisation")
    return job


@dataclass(slots=True)
class _InFlight:
    """A batch prepared (status entries allocated) and being signed."""

    rows: list[JobRow]
    batch: PreparedBatch
    signed: SignFuture


def run_job(
    unit_of_work: Callable[[], UnitOfWork],
    custody: KeyCustody,
    organisation_id: str,
    job_id: str,
    *,
    base_url: str,
    clock: Callable[[], datetime],
    batch_size: int = 1000,
    sign_workers: int | None = None,
    on_progress: Callable[[IssuanceJob], None] | None = None,
    before_commit: Callable[[int], None] | None = None,
) -> IssuanceJob:
    """Issue every pending row, one transaction per batch; safe to re-run after a crash.

    With ``sign_workers > 0`` the job is a pipeline: batch *n + 1* is signed in that many
    worker processes while batch *n* is stored (``None``: one per core when at least
    :data:`POOL_MIN_ROWS` rows remain, else signing in this process).  Each transaction
    stores one signed batch (credentials, claims, rows marked issued, counters) and allocates
    the status entries of the next, so a crash loses at most a few unused status entries,
    never a credential.

    ``before_commit(rows_in_batch)`` is a fault-injection hook for tests (a crash between
    signing and committing loses nothing and duplicates nothing).
    """
    signer: Signer | None = None
    in_flight: _InFlight | None = None
    cursor = -1  # rows up to this line are prepared (in flight) or done
    try:
        while True:
            uow = unit_of_work()
            try:
                organisation = uow.organisations.get(organisation_id)
                if organisation is None:
                    raise NotFound(f"no organisation {organisation_id}")
                job = get_job(uow, organisation, job_id)
                if job.dry_run:
                    raise InvalidState("a dry-run job issues nothing; upload again without dry run")
                if job.status is JobStatus.DONE:
                    uow.rollback()
                    return job
                issuer = Issuer(uow, custody, organisation, base_url)
                rows = uow.jobs.pending_rows(job_id, limit=batch_size, after_line=cursor)
                at = clock()
                if not rows and in_flight is None:
                    job = replace(job, status=JobStatus.DONE, finished_at=at)
                    uow.jobs.update(job)
                    uow.commit()
                    if on_progress:
                        on_progress(job)
                    return job
                following: _InFlight | None = None
                if rows:
                    version = issuable(uow, organisation, job.achievement_version_id)
                    if signer is None:
                        workers = sign_workers
                        if workers is None:
                            remaining = job.total - job.issued - job.invalid
                            workers = default_workers() if remaining >= POOL_MIN_ROWS else 0
                        signer = issuer.signer(workers=workers)
                    batch = issuer.prepare(
                        version, [_request(row) for row in rows], at=at, job_id=job_id
                    )
                    following = _InFlight(rows, batch, signer.submit(organisation, batch.tasks))
                    cursor = rows[-1].line
                if isinstance(signer, InlineSigner) and following is not None:
                    in_flight, following = following, None  # signed already: store it now
                if in_flight is not None:
                    job = _store(uow, issuer, job, in_flight)
                    if before_commit is not None:
                        before_commit(len(in_flight.rows))
                in_flight = following
                uow.commit()
            except BaseException:
                uow.rollback()
                raise
            if on_progress:
                on_progress(job)
    finally:
        if signer is not None:
            signer.close()


def _store(uow: UnitOfWork, issuer: Issuer, job: IssuanceJob, flight: _InFlight) -> IssuanceJob:
    """Store a signed batch and mark its rows; the job's counters move on."""
    results = issuer.complete(flight.batch, flight.signed.result())
    done: list[JobRow] = []
    issued = invalid = 0
    for row, result in zip(flight.rows, results, strict=True):
        if isinstance(result, CredstackError):
            # a row-level problem (bad request, reused key): kept on the row
            done.append(replace(row, status=RowStatus.INVALID, error=result.message))
            invalid += 1
        else:
            done.append(replace(row, status=RowStatus.ISSUED, credential_id=result.id))
            issued += 1
    uow.jobs.update_rows(done)
    job = replace(
        job, status=JobStatus.RUNNING, issued=job.issued + issued, invalid=job.invalid + invalid
    )
    uow.jobs.update(job)
    return job
