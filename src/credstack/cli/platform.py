"""Platform commands: organisations, achievements, issuing, revoking, suspending, bulk jobs.

They work on the deployment's database (``--database-url`` or ``CREDSTACK_DATABASE_URL``;
SQLite by default), migrating it to the current schema first.  Time is read here, at the edge.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credstack._json import parse_json_object
from credstack.config import Settings, load_settings
from credstack.errors import InvalidInput, NotFound
from credstack.platform.achievements import create_achievement, issuable, publish
from credstack.platform.bulk import create_job, get_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import IssuanceJob, Organisation, RowStatus
from credstack.platform.issuance import Issuer, IssueRequest, reinstate, revoke, suspend
from credstack.platform.keys import KeyCustody, rotate_key
from credstack.platform.notify import deliver_all
from credstack.platform.organisations import create_organisation
from credstack.platform.ports import UnitOfWork

FAULT_KILL_AFTER_BATCHES = "CREDSTACK_FAULT_KILL_AFTER_BATCHES"


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


class _Context:
    """The opened deployment: settings, database (migrated) and key custody."""

    def __init__(self, args: argparse.Namespace) -> None:
        from credstack.storage.session import SqlDatabase

        self.settings: Settings = load_settings(database_url=args.database_url)
        self.database = SqlDatabase(self.settings.database_url)
        self.database.migrate()
        self.custody = KeyCustody(self.settings.keks)

    def unit_of_work(self) -> UnitOfWork:
        return self.database.unit_of_work()

    def organisation(self, uow: UnitOfWork, slug: str) -> Organisation:
        found = uow.organisations.get_by_slug(slug)
        if found is None:
            raise NotFound(f"no organisation {slug!r} (see `credstack org list`)")
        return found


def _run(args: argparse.Namespace, action: Callable[[_Context, UnitOfWork], Any]) -> int:
    context = _Context(args)
    uow = context.unit_of_work()
    try:
        result = action(context, uow)
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    if context.settings.smtp is not None:  # claim e-mails of what was just committed
        deliver_all(context.settings.smtp, context.unit_of_work, clock=_now)
    if result is not None:
        _emit(result)
    return 0


def _org_view(org: Organisation) -> dict[str, Any]:
    return {"id": org.id, "slug": org.slug, "name": org.name, "did": org.did}


def _cmd_org_create(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = create_organisation(
            uow,
            ctx.custody,
            host=ctx.settings.host,
            slug=args.slug,
            name=args.name,
            at=_now(),
            url=args.url,
            email=args.email,
            country=args.country,
        )
        return _org_view(org)

    return _run(args, action)


def _cmd_org_list(args: argparse.Namespace) -> int:
    return _run(args, lambda ctx, uow: [_org_view(o) for o in uow.organisations.list()])


def _cmd_org_rotate(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        key = rotate_key(uow, ctx.custody, ctx.organisation(uow, args.org), _now())
        return {"active_key": key.fragment, "publicKeyMultibase": key.public_key_multibase}

    return _run(args, action)


def _cmd_achievement_create(args: argparse.Namespace) -> int:
    design = parse_json_object(Path(args.design).read_bytes(), what=f"design {args.design}")

    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        version = create_achievement(uow, org, design, base_url=ctx.settings.base_url, at=_now())
        if args.publish:
            version = publish(uow, org, version.id, at=_now())
        return {
            "version_id": version.id,
            "achievement_id": version.achievement_id,
            "version": version.version,
            "status": version.status.value,
        }

    return _run(args, action)


def _cmd_achievement_list(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        return [
            {
                "version_id": v.id,
                "achievement_id": v.achievement_id,
                "name": v.data.get("name"),
                "version": v.version,
                "status": v.status.value,
            }
            for v in uow.achievements.for_organisation(org.id)
        ]

    return _run(args, action)


def _cmd_achievement_publish(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        version = publish(uow, ctx.organisation(uow, args.org), args.version_id, at=_now())
        return {"version_id": version.id, "status": version.status.value}

    return _run(args, action)


def _job_view(job: IssuanceJob) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "status": job.status.value,
        "dry_run": job.dry_run,
        "total": job.total,
        "issued": job.issued,
        "invalid": job.invalid,
    }


def _progress(job: IssuanceJob) -> None:
    done = job.issued + job.invalid
    width = 30
    filled = width * done // job.total if job.total else width
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{job.total} "
        f"({job.issued} issued, {job.invalid} invalid)"
    )
    sys.stderr.flush()


def _fault_hook() -> Callable[[int], None] | None:
    """Fault injection for the crash tests: SIGKILL this process before the N-th commit."""
    raw = os.environ.get(FAULT_KILL_AFTER_BATCHES)
    if not raw:
        return None
    remaining = [int(raw)]

    def hook(_rows: int) -> None:
        remaining[0] -= 1
        if remaining[0] < 0:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _run_job(ctx: _Context, org: Organisation, job_id: str, batch_size: int) -> IssuanceJob:
    job = run_job(
        ctx.unit_of_work,
        ctx.custody,
        org.id,
        job_id,
        base_url=ctx.settings.base_url,
        clock=_now,
        on_progress=_progress if sys.stderr.isatty() else None,
        before_commit=_fault_hook(),
        batch_size=batch_size,
    )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if ctx.settings.smtp is not None:  # claim e-mails, now that the credentials are committed
        sent = deliver_all(ctx.settings.smtp, ctx.unit_of_work, clock=_now, at_least=job.total)
        sys.stderr.write(f"e-mail: {sent.sent} sent, {sent.failed} to retry\n")
    return job


def _cmd_issue(args: argparse.Namespace) -> int:
    if args.file:
        return _issue_bulk(args)
    if not (args.email or args.did):
        raise InvalidInput("give --email and/or --did, or --file for bulk issuance")

    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        version = issuable(uow, org, args.achievement)
        request = IssueRequest(email=args.email, did=args.did, idempotency_key=args.idempotency_key)
        issued = Issuer(uow, ctx.custody, org, ctx.settings.base_url).issue(
            version, request, at=_now()
        )
        return json.loads(issued.credential_json)

    return _run(args, action)


def _issue_bulk(args: argparse.Namespace) -> int:
    ctx = _Context(args)
    uow = ctx.unit_of_work()
    try:
        org = ctx.organisation(uow, args.org)
        with Path(args.file).open("rb") as fh:
            job = create_job(
                uow,
                org,
                args.achievement,
                parse_bulk(fh, kind=args.kind, max_bytes=None),
                at=_now(),
                dry_run=args.dry_run,
            )
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    if args.dry_run:
        uow = ctx.unit_of_work()
        invalid = [
            {"line": r.line, "error": r.error}
            for r in uow.jobs.rows(job.id, status=RowStatus.INVALID)
        ]
        _emit({**_job_view(job), "errors": invalid})
        return 1 if invalid else 0
    sys.stderr.write(f"job {job.id}: {job.total} rows ({job.invalid} invalid)\n")
    _emit(_job_view(_run_job(ctx, org, job.id, args.batch_size)))
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        credential = revoke(uow, org, args.credential_id, reason=args.reason, at=_now())
        return {"id": credential.id, "revoked_at": credential.revoked_at}

    return _run(args, action)


def _cmd_suspend(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        credential = suspend(uow, org, args.credential_id, reason=args.reason, at=_now())
        return {
            "id": credential.id,
            "suspended_at": credential.suspended_at,
            "suspension_reason": credential.suspension_reason,
        }

    return _run(args, action)


def _cmd_reinstate(args: argparse.Namespace) -> int:
    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        credential = reinstate(uow, org, args.credential_id, at=_now())
        return {"id": credential.id, "suspended_at": credential.suspended_at}

    return _run(args, action)


def _cmd_jobs(args: argparse.Namespace) -> int:
    if args.jobs_command == "resume":
        ctx = _Context(args)
        uow = ctx.unit_of_work()
        org = ctx.organisation(uow, args.org)
        get_job(uow, org, args.job_id)
        uow.rollback()
        _emit(_job_view(_run_job(ctx, org, args.job_id, args.batch_size)))
        return 0

    def action(ctx: _Context, uow: UnitOfWork) -> Any:
        org = ctx.organisation(uow, args.org)
        if args.jobs_command == "list":
            return [_job_view(j) for j in uow.jobs.for_organisation(org.id)]
        job = get_job(uow, org, args.job_id)
        errors = [
            {"line": r.line, "error": r.error}
            for r in uow.jobs.rows(job.id, status=RowStatus.INVALID)
        ]
        return {**_job_view(job), "errors": errors}

    return _run(args, action)


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add the platform commands to the top-level subparsers."""

    def add(name: str, help_text: str, parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        p.add_argument(
            "--database-url", help="database URL (default: CREDSTACK_DATABASE_URL or SQLite)"
        )
        return p

    org = sub.add_parser("org", help="organisations (issuers)")
    org_sub = org.add_subparsers(dest="org_command", required=True, parser_class=parser_class)
    create = add(
        "create", "create an organisation with a did:web identity and a signing key", org_sub
    )
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--url")
    create.add_argument("--email")
    create.add_argument("--country", help="ISO 3166-1 alpha-2 code, e.g. NL")
    create.set_defaults(func=_cmd_org_create)
    add("list", "list organisations", org_sub).set_defaults(func=_cmd_org_list)
    rotate = add("rotate-key", "retire the active signing key and activate a new one", org_sub)
    rotate.add_argument("--org", required=True)
    rotate.set_defaults(func=_cmd_org_rotate)

    ach = sub.add_parser("achievement", help="versioned achievements")
    ach_sub = ach.add_subparsers(
        dest="achievement_command", required=True, parser_class=parser_class
    )
    a_create = add("create", "create a draft from a design JSON file", ach_sub)
    a_create.add_argument("--org", required=True)
    a_create.add_argument("--design", required=True, help="design JSON (docs/eu-elements.md)")
    a_create.add_argument("--publish", action="store_true")
    a_create.set_defaults(func=_cmd_achievement_create)
    a_list = add("list", "list achievements (latest versions)", ach_sub)
    a_list.add_argument("--org", required=True)
    a_list.set_defaults(func=_cmd_achievement_list)
    a_pub = add("publish", "publish a draft version", ach_sub)
    a_pub.add_argument("--org", required=True)
    a_pub.add_argument("version_id")
    a_pub.set_defaults(func=_cmd_achievement_publish)

    issue = add("issue", "issue one credential, or many from a CSV / JSON Lines file")
    issue.add_argument("--org", required=True)
    issue.add_argument("--achievement", required=True, help="published achievement version id")
    issue.add_argument("--email")
    issue.add_argument("--did")
    issue.add_argument("--idempotency-key")
    issue.add_argument("--file", help="bulk upload (docs/bulk-format.md)")
    issue.add_argument("--kind", choices=["csv", "jsonl"])
    issue.add_argument("--dry-run", action="store_true", help="validate every row, issue nothing")
    issue.add_argument(
        "--batch-size", type=int, default=1000, help="rows per transaction (default 1000)"
    )
    issue.set_defaults(func=_cmd_issue)

    rev = add("revoke", "revoke a credential (its status list bit is set)")
    rev.add_argument("--org", required=True)
    rev.add_argument("--reason")
    rev.add_argument("credential_id")
    rev.set_defaults(func=_cmd_revoke)

    sus = add("suspend", "suspend a credential of a suspendable achievement (reversible)")
    sus.add_argument("--org", required=True)
    sus.add_argument("--reason", required=True, help="recorded with the suspension")
    sus.add_argument("credential_id")
    sus.set_defaults(func=_cmd_suspend)

    rei = add("reinstate", "lift a credential's suspension")
    rei.add_argument("--org", required=True)
    rei.add_argument("credential_id")
    rei.set_defaults(func=_cmd_reinstate)

    jobs = sub.add_parser("jobs", help="bulk issuance jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, parser_class=parser_class)
    j_list = add("list", "list jobs", jobs_sub)
    j_list.add_argument("--org", required=True)
    j_list.set_defaults(func=_cmd_jobs)
    for name, text in (
        ("show", "a job's progress and bad rows"),
        ("resume", "finish an interrupted job"),
    ):
        j = add(name, text, jobs_sub)
        j.add_argument("--org", required=True)
        j.add_argument("job_id")
        j.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
        j.set_defaults(func=_cmd_jobs)
