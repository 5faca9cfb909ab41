"""Background upkeep of a running server: resume jobs after a restart, retry e-mail, purge
expired OAuth codes and tokens, anchor the transparency log on a public chain (when
configured).

:func:`resume_jobs` runs once when the server starts (a job whose process died is still
``pending`` or ``running``; its rows are idempotent, so running it again finishes it without
issuing anything twice).  :func:`tick` is one round of upkeep; :class:`Maintenance` calls it
every ``interval`` seconds on a daemon thread, and tests call :func:`tick` directly.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass

from fastapi import FastAPI

from credstack.api.context import AppContext
from credstack.errors import CredstackError
from credstack.log.anchor import AnchorRecord
from credstack.platform import translog
from credstack.platform.notify import deliver_outbox

__all__ = ["Maintenance", "TickReport", "resume_jobs", "tick"]

log = logging.getLogger("credstack.maintenance")


def resume_jobs(app: FastAPI) -> list[str]:
    """Hand every unfinished bulk job to the app's job runner; returns their ids."""
    from credstack.api.routes_orgs import run_in_background

    ctx: AppContext = app.state.credstack
    with ctx.work() as uow:
        jobs = uow.jobs.unfinished()
    for job in jobs:
        log.info("resuming job %s (%d of %d rows done)", job.id, job.issued, job.total)
        ctx.run_job(functools.partial(run_in_background, ctx, job.organisation_id, job.id))
    return [job.id for job in jobs]


@dataclass(frozen=True, slots=True)
class TickReport:
    mail_sent: int = 0
    mail_failed: int = 0
    oauth_purged: int = 0
    #: the log anchor made in this round, if one was due
    anchor: AnchorRecord | None = None


def tick(app: FastAPI) -> TickReport:
    """One round of upkeep; a failing part is logged and the others still run."""
    ctx: AppContext = app.state.credstack
    sent = failed = purged = 0
    if ctx.mailer is not None:
        try:
            report = deliver_outbox(ctx.mailer, ctx.database.unit_of_work, clock=ctx.clock)
            sent, failed = report.sent, report.failed
        except CredstackError as exc:
            log.warning("outbox retry failed: %s", exc.message)
    ob_state = getattr(app.state, "ob_api", None)
    if ob_state is not None:
        try:
            purged = ob_state.store.purge_expired(ctx.clock())
        except CredstackError as exc:
            log.warning("purging expired OAuth grants failed: %s", exc.message)
    return TickReport(sent, failed, purged, _anchor(ctx))


def _anchor(ctx: AppContext) -> AnchorRecord | None:
    """Anchor the log if configured and due; a chain that is down is logged, never raised."""
    if ctx.anchoring is None:
        return None
    try:
        record = translog.anchor_if_due(
            ctx.database.unit_of_work,
            ctx.custody,
            ctx.host,
            ctx.anchoring.anchorer,
            at=ctx.clock(),
            every=ctx.anchoring.every,
        )
    except CredstackError as exc:
        log.warning("anchoring the transparency log failed: %s", exc.message)
        return None
    except Exception:  # the anchorer is a plug-in (web3); the other upkeep must still run
        log.error("anchoring the transparency log failed", exc_info=True)
        return None
    if record is not None:
        log.info(
            "anchored log tree size %d in transaction 0x%s (chain %d, block %d)",
            record.tree_size,
            record.tx_hash.hex(),
            record.chain_id,
            record.block_number,
        )
    return record


class Maintenance:
    """Runs :func:`tick` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, app: FastAPI, interval: float = 60.0) -> None:
        self._app = app
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credstack-upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                tick(self._app)
            except Exception:  # never let upkeep kill the thread; the next round tries again
                log.error("maintenance round failed", exc_info=True)
