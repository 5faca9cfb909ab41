"""``credstack postings …`` and ``credstack relevance``: the deployment's job-posting pool and
the demand figures of an organisation's achievements (``docs/relevance.md``).

* ``postings import FILE [--dry-run]`` — JSON Lines or CSV; each new posting is mapped to
  skills once and stored; the report (JSON) lists refused records by line.  Exit 0 when every
  record was fine, 1 when some were refused (the others are imported), 2 for a file that
  cannot be read at all (nothing imported);
* ``postings sample --count N --out FILE`` — a dated sample with a built-in trend;
* ``relevance --org SLUG`` — per achievement: current postings, monthly trend, flags.

The database is the deployment's (``--database-url`` or ``CREDSTACK_DATABASE_URL``), migrated
first.  Time is read here, at the edge.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from credstack.config import load_settings
from credstack.errors import InvalidInput, NotFound
from credstack.platform.relevance import (
    ImportReport,
    RelevanceStore,
    import_postings,
    organisation_relevance,
)
from credstack.relevance.figures import AchievementFigures
from credstack.relevance.postings import MAX_FILE_BYTES

__all__ = ["register"]

EXIT_OK, EXIT_REFUSED = 0, 1


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _open(database_url: str | None) -> tuple[Any, RelevanceStore, str]:
    """The migrated deployment database, its posting pool and the deployment's base URL."""
    from credstack.storage.relevance_sql import SqlRelevanceStore
    from credstack.storage.session import SqlDatabase

    settings = load_settings(database_url=database_url)
    database = SqlDatabase(settings.database_url)
    database.migrate()
    return database, SqlRelevanceStore(database), settings.base_url


def _read(path: str) -> bytes:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{path} is larger than {MAX_FILE_BYTES:,} bytes; split it", code="INPUT_TOO_LARGE"
        )
    return data


def _summary(report: ImportReport) -> str:
    verb = "would add" if report.dry_run else "added"
    text = (
        f"postings: {report.records} read, {verb} {report.new}, skipped {report.skipped} "
        f"(already in the pool), refused {report.invalid}"
    )
    if report.new:
        text += f"; mapped {report.mapped}, not in English {report.unmapped_language}" + (
            "" if report.dry_run else f", no confident skill {report.no_skills}"
        )
    return text


def _cmd_import(args: argparse.Namespace) -> int:
    data = _read(args.file)
    database, store, _ = _open(args.database_url)
    try:
        matcher = None
        if not args.dry_run:
            from credstack.cli.skills import default_cache_dir
            from credstack.skills.framework import load_esco
            from credstack.skills.matching import SkillMatcher

            cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
            matcher = SkillMatcher.build(load_esco(), cache_dir=cache)

        def progress(done: int) -> None:
            sys.stderr.write(f"\rmapped and stored {done} postings")
            sys.stderr.flush()

        report = import_postings(
            store,
            matcher,
            data,
            at=_now(),
            imported_by="cli",
            kind=args.format,
            dry_run=args.dry_run,
            progress=progress if not args.dry_run else None,
        )
        if report.new and not args.dry_run:
            sys.stderr.write("\n")
        _emit({**report.to_json(), "pool": store.stats().to_json()})
    finally:
        database.dispose()
    sys.stderr.write(_summary(report) + "\n")
    for error in report.errors[:20]:
        sys.stderr.write(f"  line {error.line}: {error.message}\n")
    if report.invalid > 20:
        sys.stderr.write(f"  … and {report.invalid - 20} more (see the JSON report)\n")
    return EXIT_REFUSED if report.invalid else EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    from credstack.relevance.sample import generate_sample, write_sample
    from credstack.skills.generate import esco_inputs

    try:
        end = date.fromisoformat(args.end) if args.end else _now().date()
    except ValueError:
        raise InvalidInput(f"--end {args.end!r} is not a date such as 2026-03-01") from None
    skills, occupations = esco_inputs()
    postings = generate_sample(
        skills,
        occupations,
        count=args.count,
        seed=args.seed,
        end=end,
        months=args.months,
        occupation_count=args.occupations,
        chosen=args.occupation or (),
    )
    written = write_sample(args.out, postings, force=args.force)
    trends: dict[str, str] = {}
    for p in postings:
        trends.setdefault(p.occupation, p.trend)
    sys.stderr.write(
        f"wrote {written} postings ({postings[0].posted_on} to {postings[-1].posted_on}) to "
        f"{args.out}\n"
    )
    for uri, direction in trends.items():
        sys.stderr.write(f"  {direction:9}  {uri}\n")
    return EXIT_OK


def _line(figures: AchievementFigures) -> list[str]:
    trend = figures.trend
    lines = [
        f"{figures.name}  <{figures.achievement_id}>",
        f"  current postings (last {figures.window_days} days): {figures.current} "
        f"of {figures.pool_current}",
    ]
    if not figures.has_skills:
        lines.append("  no skills aligned: align skills in the achievement's design")
        return lines
    monthly = ", ".join(
        f"{m.strftime('%Y-%m')} {c}" for m, c in zip(figures.months, figures.monthly, strict=True)
    )
    lines.append(f"  monthly: {monthly}")
    lines.append(f"  trend: {trend.direction} ({trend.percent_per_month:+} % a month)")
    for skill in figures.skills:
        lines.append(
            f"    {skill.name}: {skill.current} current, {skill.trend.direction} "
            f"({skill.trend.percent_per_month:+} % a month)"
        )
    if figures.paired:
        names = "; ".join(f"{p.name} ({round(p.share * 100)} %)" for p in figures.paired)
        lines.append(f"  postings now pair these skills with yours: {names}")
    return lines


def _cmd_relevance(args: argparse.Namespace) -> int:
    from credstack.platform.vcapi import is_placeholder

    database, store, base_url = _open(args.database_url)
    try:
        with database.unit_of_work() as uow:
            org = uow.organisations.get_by_slug(args.org)
            if org is None:
                raise NotFound(f"no organisation {args.org!r} (see `credstack org list`)")
            figures = organisation_relevance(
                uow,
                store,
                org,
                at=_now(),
                window_days=args.window_days,
                months=args.months,
                include=lambda v: not is_placeholder(v, base_url, org),
            )
        stats = store.stats()
    finally:
        database.dispose()
    if args.json:
        _emit({"pool": stats.to_json(), "achievements": [f.to_json() for f in figures]})
        return EXIT_OK
    out = [f"{org.name}: {len(figures)} achievements; {stats.mapped} mapped postings in the pool"]
    if not figures:
        out.append("no achievements yet")
    for item in figures:
        out.extend(["", *_line(item)])
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``postings`` and ``relevance`` to the top-level subparsers."""
    postings = sub.add_parser("postings", help="the deployment's pool of job postings")
    postings_sub = postings.add_subparsers(
        dest="postings_command", required=True, parser_class=parser_class
    )
    imp = postings_sub.add_parser("import", help="import job postings (JSON Lines or CSV)")
    imp.add_argument("file", help="JSON Lines or CSV file: title, text, date, location")
    imp.add_argument("--dry-run", action="store_true", help="check and count, store nothing")
    imp.add_argument("--format", choices=["csv", "jsonl"], help="default: from the content")
    imp.add_argument("--database-url", help="default: CREDSTACK_DATABASE_URL or SQLite")
    imp.add_argument("--cache-dir", help="skills index cache (default as `credstack skills`)")
    imp.set_defaults(func=_cmd_import)

    sample = postings_sub.add_parser(
        "sample", help="write a dated sample of postings with a built-in trend"
    )
    sample.add_argument("--count", type=int, required=True, help="number of postings")
    sample.add_argument("--out", required=True, help="JSON Lines file to write")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--months", type=int, default=24, help="months the dates span")
    sample.add_argument("--end", help="the last day (default: today)")
    sample.add_argument("--occupations", type=int, default=6, help="how many occupations")
    sample.add_argument(
        "--occupation", action="append", help="an ESCO occupation URI to use (repeatable)"
    )
    sample.add_argument("--force", action="store_true", help="overwrite an existing file")
    sample.set_defaults(func=_cmd_sample)

    rel = sub.add_parser("relevance", help="job-market demand for an organisation's achievements")
    rel.add_argument("--org", required=True)
    rel.add_argument("--window-days", type=int, default=90, help="days of current postings")
    rel.add_argument("--months", type=int, default=12, help="complete months of the trend")
    rel.add_argument("--json", action="store_true")
    rel.add_argument("--database-url", help="default: CREDSTACK_DATABASE_URL or SQLite")
    rel.set_defaults(func=_cmd_relevance)
