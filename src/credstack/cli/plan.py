"""``credstack plan``: the cheapest learning path from a catalog to the skills a role needs.

``credstack plan --catalog FILE (--need FILE | --occupation URI [--include-optional])
[--have FILE] [--minimize hours|price] [--pathway RULES.json] [--json]``.  With ``--pathway``
the plan also completes that stackable qualification (``--need``/``--occupation`` are then
optional).  Skill lists are files with one URI a line
(blank lines and ``#`` comments ignored).  Exit 0 with a plan (even when part of the gap cannot
be covered: ``uncovered`` names it); exit 2 for a malformed catalog, an unknown occupation or
unusable options.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credstack.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from credstack.skills.framework import Framework
    from credstack.skills.planner import PlanResult

MAX_LIST_BYTES = 4 * 1024 * 1024


def read_uri_list(path: str, what: str) -> list[str]:
    """URIs one a line; blank lines and ``#`` comments skipped; a bad line is InvalidInput."""
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_LIST_BYTES:
        raise InvalidInput(
            f"{what} file {path} is larger than {MAX_LIST_BYTES} bytes", code="INPUT_TOO_LARGE"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} file {path} is not UTF-8") from None
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if any(c.isspace() for c in entry) or ":" not in entry:
            raise InvalidInput(f"{path} line {number}: {entry[:80]!r} is not a URI")
        out.append(entry)
    return out


def _read_ids(path: str) -> list[str]:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_LIST_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_LIST_BYTES} bytes", code="INPUT_TOO_LARGE")
    lines = data.decode("utf-8-sig", errors="replace").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]


def _esco() -> Framework:
    from credstack.skills.framework import load_esco

    return load_esco()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def render(result: PlanResult, label: Callable[[str], str] | None = None) -> str:
    """The plan as numbered steps with explanations and totals."""
    name = label or (lambda uri: uri)
    price_unit = f" {result.currency}" if result.currency else ""
    unit = " h" if result.objective == "hours" else price_unit
    lines: list[str] = []
    if not result.plan and not result.uncovered:
        if result.pathway is not None:
            return (
                f"Nothing to learn: {result.pathway.name} is already complete and every "
                "needed skill is held.\n"
            )
        return "Nothing to learn: every needed skill is already held.\n"
    proof = "proven optimal" if result.optimal else "best found, NOT proven optimal"
    count = len(result.plan)
    lines.append(
        f"Learning path: {count} achievement{'s' if count != 1 else ''}, "
        f"minimising {result.objective} ({proof})"
    )
    width = len(str(count))
    for n, step in enumerate(result.steps, start=1):
        money = f"{_num(step.price)} {step.currency}" if step.currency else _num(step.price)
        lines.append(f"{n:>{width}}. {step.name} [{step.id}]: {_num(step.hours)} h, {money}")
        lines.append(f"{'':>{width}}  {step.explanation}")
    price = "prices in several currencies"
    if result.total_price is not None:
        price = f"{_num(result.total_price)}{price_unit}"
    if result.plan:
        lines.append(
            f"Total: {_num(result.total_hours)} h, {price}. "
            f"A greedy pick would cost {_num(result.greedy_total)}{unit}."
        )
    if result.pathway is not None:
        lines.append(f"Completes {result.pathway.name} ({result.pathway.id}).")
    lines.append(
        f"Covers {len(result.covered)} of {len(result.covered) + len(result.uncovered)} "
        "missing skills."
    )
    if result.uncovered:
        lines.append(f"No catalog item teaches ({len(result.uncovered)}):")
        lines += [f"  - {name(u)} <{u}>" if name(u) != u else f"  - {u}" for u in result.uncovered]
    return "\n".join(lines) + "\n"


def _cmd_plan(args: argparse.Namespace) -> int:
    from credstack.skills.catalog import load_catalog
    from credstack.skills.pathways import load_pathway
    from credstack.skills.planner import plan_path

    if not (args.need or args.occupation or args.pathway):
        raise InvalidInput("plan needs --need FILE, --occupation URI or --pathway RULES.json")
    if args.include_optional and not args.occupation:
        raise InvalidInput("--include-optional needs --occupation")
    framework = _esco() if (args.occupation or args.check_esco) else None
    if args.occupation and framework is not None:
        try:
            occupation = framework.occupation(args.occupation)
        except NotFound:
            raise InvalidInput(f"unknown ESCO occupation URI {args.occupation}") from None
        need = list(occupation.essential)
        if args.include_optional:
            need += [s for s in occupation.optional if s not in set(need)]
    else:
        need = read_uri_list(args.need, "--need") if args.need else []
    have = read_uri_list(args.have, "--have") if args.have else []
    if args.check_esco and framework is not None:
        unknown = [u for u in [*need, *have] if u not in framework.skills]
        if unknown:
            raise InvalidInput(f"unknown ESCO skill URI: {', '.join(dict.fromkeys(unknown))}")
    catalog = load_catalog(args.catalog, framework=framework if args.check_esco else None)
    completed = _read_ids(args.completed) if args.completed else []
    pathway = load_pathway(args.pathway) if args.pathway else None
    label = framework.label_of if framework is not None else None
    result = plan_path(
        catalog,
        need,
        have=have,
        have_achievements=completed,
        objective=args.minimize,
        min_quality=args.min_quality,
        require=args.require or (),
        label=label,
        time_limit=args.time_limit,
        pathway=pathway,
    )
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render(result, label))
    return 0


def _quality(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be from 0 to 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``credstack plan`` to the top-level subparsers."""
    del parser_class  # no nested subcommands
    plan: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="cheapest learning path (hours or price) from a catalog to the skills you need",
        description="Choose catalog achievements that cover the missing skills at minimum "
        "total hours or price, respecting prerequisites (exact integer program, HiGHS).",
    )
    plan.add_argument("--catalog", required=True, metavar="FILE", help="catalog (JSON Lines)")
    target = plan.add_mutually_exclusive_group()
    target.add_argument("--need", metavar="FILE", help="skill URIs needed, one a line")
    target.add_argument("--occupation", metavar="URI", help="ESCO occupation URI")
    plan.add_argument(
        "--include-optional",
        action="store_true",
        help="with --occupation: its optional skills too (default: essential only)",
    )
    plan.add_argument("--have", metavar="FILE", help="skill URIs already held, one a line")
    plan.add_argument(
        "--completed", metavar="FILE", help="achievement ids already completed, one a line"
    )
    plan.add_argument("--minimize", choices=["hours", "price"], default="hours")
    plan.add_argument(
        "--min-quality",
        type=_quality,
        metavar="Q",
        help="prefer items with quality >= Q (others only for skills nothing better teaches)",
    )
    plan.add_argument(
        "--require",
        action="append",
        metavar="ID",
        help="achievement that must be in the plan (repeatable)",
    )
    plan.add_argument(
        "--pathway",
        metavar="RULES.json",
        help="also complete this stackable qualification (pathway rule file, docs/pathways.md)",
    )
    plan.add_argument(
        "--check-esco",
        action="store_true",
        help="refuse skill URIs (need, have, catalog) that are not ESCO v1.2 skills",
    )
    plan.add_argument(
        "--time-limit", type=_seconds, default=60.0, metavar="S", help="solver time limit"
    )
    plan.add_argument("--json", action="store_true", help="machine-readable answer")
    plan.set_defaults(func=_cmd_plan)
