"""``credstack pathway``: check a pathway rule file, compute a learner's progress.

Exit codes: 0 evaluated (complete or not) / rule file valid; 2 bad rules or unusable input
(an unsatisfiable rule included).  Credentials are verified offline: did:key always, did:web
and https keys from ``--did-document`` files.  Time is read here, at the edge.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from credstack.errors import CredstackError, InvalidInput
from credstack.proofs.dataintegrity import parse_datetime
from credstack.resolve.resolver import load_documents
from credstack.skills.pathways import (
    Progress,
    load_credential_inputs,
    load_pathway,
    progress,
    verify_credentials,
)

EXIT_OK, EXIT_USAGE = 0, 2


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _fail(exc: CredstackError) -> int:
    sys.stderr.write(f"credstack: {exc.diagnostics()}\n")
    return EXIT_USAGE


def _render(state: Progress) -> str:
    lines = [
        f"{state.pathway.name} ({state.pathway.id}): "
        + ("COMPLETE" if state.satisfied else f"{round(state.fraction * 100)}% complete")
    ]
    if state.missing:
        lines.append("missing:")
        lines += [f"  - {m}" for m in state.missing]
    if state.used:
        lines.append("counted:")
        lines += [
            f"  - {e.name or e.achievement_id} ({e.credential_id}, {e.awarded:%Y-%m-%d})"
            for e in state.used
        ]
    if state.rejected:
        lines.append("not counted:")
        lines += [f"  - {r.source}: {r.code}: {r.reason}" for r in state.rejected]
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        pathway = load_pathway(args.rules)
    except CredstackError as exc:
        return _fail(exc)
    if args.json:
        _emit({"valid": True, "id": pathway.id, "achievements": pathway.achievements()})
    else:
        count = len(pathway.achievements())
        sys.stdout.write(f"VALID: {pathway.name} ({pathway.id}), {count} achievement(s)\n")
    return EXIT_OK


def _cmd_progress(args: argparse.Namespace) -> int:
    try:
        at = parse_datetime(args.at) if args.at else datetime.now(UTC)
        pathway = load_pathway(args.rules)
        documents = load_documents(args.did_document) if args.did_document else []
        inputs = load_credential_inputs(args.credentials)
        if not inputs:
            raise InvalidInput(f"no credentials found in {args.credentials}")
        earned, rejected = verify_credentials(
            inputs,
            at=at,
            did_documents=documents,
            recipient_did=args.recipient_did,
            recipient_email=args.recipient_email,
        )
        state = progress(pathway, earned, rejected=rejected)
    except CredstackError as exc:
        return _fail(exc)
    if args.json:
        _emit(state.to_json())
    else:
        sys.stdout.write(_render(state) + "\n")
    return EXIT_OK


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``pathway check`` and ``pathway progress`` to the top-level subparsers."""
    pathway = sub.add_parser("pathway", help="stackable pathways (docs/pathways.md)")
    pathway_sub = pathway.add_subparsers(
        dest="pathway_command", required=True, parser_class=parser_class
    )
    check = pathway_sub.add_parser("check", help="validate a pathway rule file")
    check.add_argument("--rules", required=True, metavar="FILE", help="pathway rule JSON")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_cmd_check)

    prog = pathway_sub.add_parser(
        "progress", help="a learner's progress from their verified credentials"
    )
    prog.add_argument("--rules", required=True, metavar="FILE", help="pathway rule JSON")
    prog.add_argument(
        "--credentials",
        required=True,
        metavar="DIR|FILE",
        help="folder of *.json credentials, or a file: one credential, a JSON array, JSON Lines",
    )
    prog.add_argument("--json", action="store_true", help="machine-readable progress")
    prog.add_argument(
        "--did-document",
        action="append",
        metavar="FILE",
        help="DID or controller document to resolve keys from (repeatable)",
    )
    prog.add_argument("--at", help="verify and evaluate as of this time (ISO 8601); default now")
    prog.add_argument("--recipient-did", help="count only credentials issued to this DID")
    prog.add_argument(
        "--recipient-email", help="count only credentials issued to this e-mail address"
    )
    prog.set_defaults(func=_cmd_progress)
