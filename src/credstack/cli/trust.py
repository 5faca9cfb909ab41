"""``credstack trust``: the deployment's trust registries, kept by its operators.

There is no platform-wide administrator in the web application; whoever runs commands on the
deployment's database (``--database-url`` or ``CREDSTACK_DATABASE_URL``) is its operator.
These commands add and remove registries and entries, import signed trust lists (pinning the
publisher's DID) and DCC issuer-registry files, store accreditations after verifying them, and
show who recognises an issuer.  The HTTP API only reads what they write (``docs/trust.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credstack._json import parse_json
from credstack.config import load_settings
from credstack.errors import InvalidInput
from credstack.proofs.dataintegrity import format_datetime, parse_datetime
from credstack.trust.model import EntryRole, Registry, new_entry

if TYPE_CHECKING:
    from credstack.api.context import AppContext
    from credstack.platform.trust import TrustStore

MAX_FILE_BYTES = 16 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _open(args: argparse.Namespace) -> AppContext:
    """The deployment (database migrated) as the server sees it, for the verifier's inputs."""
    from argon2 import PasswordHasher

    from credstack.api.context import AppContext, inline_runner
    from credstack.api.limits import Limits
    from credstack.platform.keys import KeyCustody
    from credstack.storage.session import SqlDatabase

    settings = load_settings(database_url=args.database_url)
    database = SqlDatabase(settings.database_url)
    database.migrate()
    return AppContext(
        database=database,
        custody=KeyCustody(settings.keks),
        base_url=settings.base_url,
        clock=_now,
        limits=Limits(),
        hasher=PasswordHasher(),
        run_job=inline_runner,
    )


def _store(ctx: AppContext) -> TrustStore:
    from credstack.api.routes_trust import trust_store

    return trust_store(ctx)


def _read(path: str, what: str) -> Any:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_json(data, what=what, max_bytes=MAX_FILE_BYTES)


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except Exception:
        raise InvalidInput(
            f"{what} must be an ISO 8601 time with a zone, e.g. 2027-01-01T00:00:00Z"
        ) from None


def _view(registry: Registry, count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": registry.id,
        "name": registry.name,
        "source": registry.source.value,
        "default": registry.default,
        "entries": len(registry.entries) if count is None else count,
    }
    if registry.publisher:
        out["publisher"] = registry.publisher
    if registry.list_id:
        out["list"] = registry.list_id
    if registry.list_valid_until:
        out["listValidUntil"] = format_datetime(registry.list_valid_until)
    return out


def _run(args: argparse.Namespace, action: Callable[[AppContext, TrustStore], Any]) -> int:
    ctx = _open(args)
    result = action(ctx, _store(ctx))
    if result is not None:
        _emit(result)
    return 0


# ------------------------------------------------------------------------- commands


def _cmd_registry(args: argparse.Namespace) -> int:
    from credstack.platform import trust

    def action(ctx: AppContext, store: TrustStore) -> Any:
        command = args.registry_command
        if command == "add":
            made = trust.add_local_registry(
                store,
                args.id,
                args.name,
                at=_now(),
                description=args.description or "",
                default=args.default,
            )
            return _view(made)
        if command == "list":
            counts = store.entry_counts()
            return [_view(r, counts.get(r.id, 0)) for r in store.registries()]
        if command == "show":
            found = store.get_registry(args.id)
            if found is None:
                from credstack.errors import NotFound

                raise NotFound(
                    f"no trust registry {args.id!r} (see `credstack trust registry list`)"
                )
            return {
                **_view(found),
                "items": [
                    {
                        "did": e.did,
                        "name": e.name,
                        "role": e.role.value,
                        "validFrom": e.valid_from and format_datetime(e.valid_from),
                        "validUntil": e.valid_until and format_datetime(e.valid_until),
                        "achievementTypes": list(e.scope),
                    }
                    for e in found.entries
                ],
            }
        if command == "default":
            trust.set_default(store, args.id, args.state == "on", at=_now())
            return {"id": args.id, "default": args.state == "on"}
        trust.remove_registry(store, args.id)
        return {"removed": args.id}

    return _run(args, action)


def _cmd_entry(args: argparse.Namespace) -> int:
    from credstack.platform import trust

    def action(ctx: AppContext, store: TrustStore) -> Any:
        role = EntryRole(args.role)
        if args.entry_command == "add":
            entry = new_entry(
                args.did,
                args.name,
                role=role,
                valid_from=_time(args.valid_from, "--from"),
                valid_until=_time(args.valid_until, "--until"),
                scope=args.type or [],
                url=args.url,
            )
            trust.add_entry(store, args.registry, entry, at=_now())
            return {"registry": args.registry, "added": entry.did, "role": role.value}
        trust.remove_entry(store, args.registry, args.did, role, at=_now())
        return {"registry": args.registry, "removed": args.did, "role": role.value}

    return _run(args, action)


def _cmd_import(args: argparse.Namespace) -> int:
    from credstack.platform import trust
    from credstack.resolve.resolver import load_documents

    document = _read(args.file, f"trust list {args.file}")
    documents = load_documents(args.did_document or [])

    def action(ctx: AppContext, store: TrustStore) -> Any:
        made = trust.import_trust_list(
            store,
            document,
            registry_id=args.id,
            publisher=args.publisher,
            at=_now(),
            documents=documents,
            default=True if args.default else None,
        )
        return _view(made)

    return _run(args, action)


def _cmd_import_dcc(args: argparse.Namespace) -> int:
    from credstack.platform import trust

    document = _read(args.file, f"DCC registry {args.file}")

    def action(ctx: AppContext, store: TrustStore) -> Any:
        made = trust.import_dcc_registry(
            store,
            document,
            registry_id=args.id,
            name=args.name,
            at=_now(),
            default=True if args.default else None,
        )
        return _view(made)

    return _run(args, action)


def _cmd_accredit(args: argparse.Namespace) -> int:
    from credstack.api.routes_trust import checks
    from credstack.platform import trust

    document = _read(args.file, f"accreditation {args.file}")

    def action(ctx: AppContext, store: TrustStore) -> Any:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        [check] = checks(ctx, [text])
        made = trust.add_accreditation(store, document, check=check, at=_now())
        return {
            "id": made.id,
            "accreditor": made.accreditor,
            "issuer": made.issuer,
            "name": made.name,
            "validUntil": made.valid_until and format_datetime(made.valid_until),
            "status": check.state.value,
        }

    return _run(args, action)


def _cmd_accreditations(args: argparse.Namespace) -> int:
    from credstack.platform import trust

    def action(ctx: AppContext, store: TrustStore) -> Any:
        if args.accreditations_command == "remove":
            trust.remove_accreditation(store, args.id)
            return {"removed": args.id}
        return [
            {"id": a.id, "accreditor": a.accreditor, "issuer": a.issuer, "added": a.added_at}
            for a in store.accreditations(issuer=args.issuer)
        ]

    return _run(args, action)


def _cmd_check(args: argparse.Namespace) -> int:
    from credstack.api.routes_trust import trust_view

    def action(ctx: AppContext, store: TrustStore) -> Any:
        at = _time(args.at, "--at") or _now()
        view = trust_view(ctx, args.registry, at=at)
        return view.recognise(args.issuer, args.type).to_json()

    return _run(args, action)


# ------------------------------------------------------------------------- wiring


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``credstack trust`` to the top-level subparsers."""

    def add(name: str, help_text: str, parent: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        p.add_argument(
            "--database-url", help="database URL (default: CREDSTACK_DATABASE_URL or SQLite)"
        )
        return p

    top = sub.add_parser("trust", help="trust registries, trust lists and accreditations")
    tsub = top.add_subparsers(dest="trust_command", required=True, parser_class=parser_class)

    reg = tsub.add_parser("registry", help="registries kept by this deployment's operators")
    rsub = reg.add_subparsers(dest="registry_command", required=True, parser_class=parser_class)
    r_add = add("add", "add an empty local registry", rsub)
    r_add.add_argument("id", help="1-63 lower-case letters, digits, '.', '_', '-'")
    r_add.add_argument("--name", required=True)
    r_add.add_argument("--description")
    r_add.add_argument("--default", action="store_true", help="consult it unless chosen otherwise")
    r_list = add("list", "list registries", rsub)
    r_show = add("show", "a registry with its entries", rsub)
    r_show.add_argument("id")
    r_def = add("default", "make a registry a default one (on) or not (off)", rsub)
    r_def.add_argument("id")
    r_def.add_argument("state", choices=["on", "off"])
    r_rm = add("remove", "remove a registry and its entries", rsub)
    r_rm.add_argument("id")
    for parser in (r_add, r_list, r_show, r_def, r_rm):
        parser.set_defaults(func=_cmd_registry)

    ent = tsub.add_parser("entry", help="entries of a local registry")
    esub = ent.add_subparsers(dest="entry_command", required=True, parser_class=parser_class)
    e_add = add("add", "list a DID as an issuer or accreditation body", esub)
    e_rm = add("remove", "remove a DID's entry", esub)
    for parser in (e_add, e_rm):
        parser.add_argument("--registry", required=True)
        parser.add_argument("--did", required=True)
        parser.add_argument("--role", choices=["issuer", "accreditor"], default="issuer")
        parser.set_defaults(func=_cmd_entry)
    e_add.add_argument("--name", required=True)
    e_add.add_argument("--from", dest="valid_from", help="listed from (ISO 8601)")
    e_add.add_argument("--until", dest="valid_until", help="listed until (ISO 8601)")
    e_add.add_argument(
        "--type", action="append", help="an achievement type it holds for (repeatable)"
    )
    e_add.add_argument("--url", help="the issuer's web site")

    imp = add("import", "import a signed trust list of a pinned publisher", tsub)
    imp.add_argument("file")
    imp.add_argument("--id", required=True, help="the registry id to store it as")
    imp.add_argument("--publisher", required=True, help="the DID that must have signed it")
    imp.add_argument(
        "--did-document",
        action="append",
        metavar="FILE",
        help="the publisher's DID document (did:web publishers; repeatable)",
    )
    imp.add_argument("--default", action="store_true")
    imp.set_defaults(func=_cmd_import)

    dcc = add("import-dcc", "import a DCC issuer-registry file (unsigned)", tsub)
    dcc.add_argument("file")
    dcc.add_argument("--id", required=True)
    dcc.add_argument("--name", required=True)
    dcc.add_argument("--default", action="store_true")
    dcc.set_defaults(func=_cmd_import_dcc)

    acc = add("accredit", "store an accreditation credential after verifying it", tsub)
    acc.add_argument("file", help="the accreditation (an OB 3.0 QualityAssuranceCredential)")
    acc.set_defaults(func=_cmd_accredit)

    accs = tsub.add_parser("accreditations", help="stored accreditations")
    asub = accs.add_subparsers(
        dest="accreditations_command", required=True, parser_class=parser_class
    )
    a_list = add("list", "list stored accreditations", asub)
    a_list.add_argument("--issuer", help="only those of this issuer DID")
    a_rm = add("remove", "remove a stored accreditation", asub)
    a_rm.add_argument("id")
    for parser in (a_list, a_rm):
        parser.set_defaults(func=_cmd_accreditations)

    chk = add("check", "which registries recognise an issuer, and why", tsub)
    chk.add_argument("issuer", help="the issuer's DID")
    chk.add_argument(
        "--registry", action="append", help="consult this registry (repeatable; default: defaults)"
    )
    chk.add_argument("--type", help="the achievement type of the credential in question")
    chk.add_argument("--at", help="as of this time (ISO 8601); default now")
    chk.set_defaults(func=_cmd_check)
