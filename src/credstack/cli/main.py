"""The ``credstack`` command line: keys, sign, verify, validate.

Exit codes (every command): 0 success (``verify``: valid); 1 a well-formed credential that
fails a fatal check; 2 unusable input or usage (not JSON, not an object, no ``@context`` or
``type``, unreadable file, bad option, file exists).  Errors are caught once, here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from credstack._json import MAX_DOCUMENT_BYTES, parse_json, parse_json_object
from credstack.baking import MAX_IMAGE_BYTES, extract, is_png, is_svg
from credstack.cli.pathway import register as register_pathway
from credstack.cli.plan import register as register_plan
from credstack.cli.platform import register as register_platform
from credstack.cli.relevance import register as register_relevance
from credstack.cli.serve import register as register_serve
from credstack.cli.skills import register as register_skills
from credstack.cli.trust import register as register_trust
from credstack.cli.witness import register as register_witness
from credstack.crypto.keys import KeyPair, write_key_file
from credstack.errors import CredstackError, InvalidInput
from credstack.log.bundle import (
    MAX_BUNDLE_BYTES,
    TrustAnchors,
    is_bundle,
    load_trust_list,
    verify_bundle,
)
from credstack.models.validate import validate_credential
from credstack.proofs.dataintegrity import (
    OPEN_BADGE_TYPES,
    Cryptosuite,
    add_proof,
    parse_datetime,
)
from credstack.resolve.base import Fetcher
from credstack.resolve.fetch import GuardedFetcher
from credstack.resolve.resolver import CompositeResolver, load_documents
from credstack.verify.verifier import Verifier, VerifyOptions

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _read_input(source: str, what: str) -> bytes:
    """Read a file (or ``-`` for standard input) with the document size bound."""
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        else:
            with Path(source).open("rb") as fh:
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"{what} {source} is larger than {MAX_DOCUMENT_BYTES} bytes", code="INPUT_TOO_LARGE"
        )
    return data


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except InvalidInput as exc:
        raise _UsageError(
            f"{option}: {exc.message} (use ISO 8601 with a timezone, e.g. 2025-01-01T00:00:00Z)"
        ) from None


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------- commands


def _cmd_keys_new(args: argparse.Namespace) -> int:
    pair = KeyPair.generate()
    if args.id or args.controller:
        pair.id = args.id
        pair.controller = args.controller
    if args.out:
        write_key_file(pair, Path(args.out))
        sys.stderr.write(f"wrote {args.out} (mode 0600); public key {pair.public.multibase}\n")
    else:
        _emit(pair.to_multikey())
    return EXIT_OK


def _load_key(path: str) -> KeyPair:
    data = parse_json_object(_read_input(path, "key file"), what=f"key file {path}")
    return KeyPair.from_multikey(data)


def _cmd_sign(args: argparse.Namespace) -> int:
    key = _load_key(args.key)
    created = _parse_time(args.created, "--created")
    document = parse_json_object(_read_input(args.file, "document"), what="document")
    for member in ("@context", "type"):
        if member not in document:
            raise InvalidInput(f"the document has no {member}; it is not a credential")
    types = document["type"] if isinstance(document["type"], list) else [document["type"]]
    if OPEN_BADGE_TYPES.intersection(t for t in types if isinstance(t, str)):
        problems = validate_credential(document)
        if problems:
            raise CredstackError(
                "refusing to sign an invalid Open Badge: "
                + "; ".join(str(p) for p in problems[:5]),
                code="SCHEMA_VIOLATION",
            )
    secured = add_proof(
        document,
        key,
        cryptosuite=Cryptosuite(args.suite),
        created=created,
        verification_method=args.verification_method,
    )
    _emit(secured)
    return EXIT_OK


class _CachingFetcher:
    """Saves every document fetched (through the guarded fetcher) into the cache folder."""

    def __init__(self, inner: Fetcher, folder: Path) -> None:
        self.inner = inner
        self.folder = folder

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        body = self.inner.fetch(url, accept=accept)
        name = hashlib.sha256(url.encode()).hexdigest()[:32] + ".json"
        try:
            (self.folder / name).write_bytes(body)
        except OSError as exc:
            sys.stderr.write(f"credstack: could not cache {url}: {exc.strerror or exc}\n")
        return body


def _is_status_list(document: dict[str, Any]) -> bool:
    kinds = document.get("type")
    return "BitstringStatusListCredential" in (kinds if isinstance(kinds, list) else [kinds])


def _read_verify_input(source: str) -> bytes:
    """Read what ``verify`` was given, bounded by its kind (sniffed from the first bytes):
    PNG/SVG images up to MAX_IMAGE_BYTES, JSON (credential or bundle) up to MAX_BUNDLE_BYTES."""
    try:
        fh = sys.stdin.buffer if source == "-" else Path(source).open("rb")
        try:
            head = fh.read(8)
            image = is_png(head) or is_svg(head)
            cap = MAX_IMAGE_BYTES if image else MAX_BUNDLE_BYTES
            known = os.fstat(fh.fileno()).st_size if source != "-" else 0
            data = head if known > cap else head + fh.read(cap + 1 - len(head))
        finally:
            if source != "-":
                fh.close()
    except OSError as exc:
        raise InvalidInput(f"cannot read credential {source}: {exc.strerror or exc}") from None
    if len(data) > cap or known > cap:
        limit = (
            f"image {source} is larger than {cap} bytes"
            if image
            else f"credential {source} is larger than {MAX_DOCUMENT_BYTES} bytes "
            f"(a verification bundle: {cap})"
        )
        raise InvalidInput(limit, code="INPUT_TOO_LARGE")
    return data


def _trust_anchors(args: argparse.Namespace) -> TrustAnchors:
    """Pinned keys from --trust FILE plus --log-key / --witness-key; --witnesses overrides."""
    base = load_trust_list(args.trust) if args.trust else TrustAnchors()
    extra = TrustAnchors.from_vkeys(args.log_key or [], args.witness_key or [])
    required = args.witnesses if args.witnesses is not None else base.witnesses_required
    return TrustAnchors(
        base.log_keys + extra.log_keys, base.witness_keys + extra.witness_keys, required
    )


def _verify_bundle_command(
    args: argparse.Namespace, at: datetime, bundle: Any, baked: Any | None
) -> int:
    anchor_verifier = None
    if args.anchor_rpc:  # the only network use of verify without --allow-network, asked for
        from credstack.log.anchor import rpc_anchor_verifier

        anchor_verifier = rpc_anchor_verifier(
            args.anchor_rpc, min_confirmations=args.anchor_confirmations
        )
    report = verify_bundle(
        bundle,
        at=at,
        trust=_trust_anchors(args),
        baked_credential=baked,
        anchor_verifier=anchor_verifier,
    )
    if args.json:
        _emit(report.to_json())
    else:
        sys.stdout.write(report.render() + "\n")
    if report.unusable:
        return EXIT_USAGE
    return EXIT_OK if report.verified else EXIT_INVALID


def _cmd_verify(args: argparse.Namespace) -> int:
    at = _parse_time(args.at, "--at") or datetime.now(UTC)
    data = _read_verify_input(args.file)
    raw: Any = data
    if is_png(data) or is_svg(data):
        credential, embedded = extract(data)
        if embedded is not None:
            return _verify_bundle_command(args, at, embedded, credential)
        raw = credential
    elif data.lstrip()[:1] == b"{":
        try:
            document = parse_json(data, what="input", max_bytes=MAX_BUNDLE_BYTES)
        except InvalidInput:
            document = None
        if is_bundle(document):
            return _verify_bundle_command(args, at, document, None)
    if isinstance(raw, bytes) and len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"credential {args.file} is larger than {MAX_DOCUMENT_BYTES} bytes",
            code="INPUT_TOO_LARGE",
        )
    if (
        args.log_key
        or args.witness_key
        or args.trust
        or args.witnesses is not None
        or args.anchor_rpc
    ):
        sys.stderr.write(
            "credstack: note: --log-key/--witness-key/--witnesses/--trust/--anchor-rpc apply "
            "to verification bundles only\n"
        )
    cache = Path(args.cache) if args.cache else None
    if cache is not None and not cache.is_dir():
        raise InvalidInput(f"--cache {cache} is not a folder")
    cached = load_documents(sorted(cache.glob("*.json"))) if cache is not None else []
    documents = [d for d in cached if not _is_status_list(d)]
    documents += load_documents(args.did_document) if args.did_document else []
    status_lists: dict[str, dict[str, Any]] = {
        d["id"]: d for d in cached if _is_status_list(d) and isinstance(d.get("id"), str)
    }
    for path in args.status_list or []:
        status = parse_json_object(_read_input(path, "status list"), what=f"status list {path}")
        sid = status.get("id")
        if not isinstance(sid, str):
            raise InvalidInput(f"status list {path} has no id (its URL)")
        status_lists[sid] = status
    fetcher: Fetcher | None = None
    if args.allow_network:
        fetcher = GuardedFetcher()
        if cache is not None:
            fetcher = _CachingFetcher(fetcher, cache)
    resolver = CompositeResolver(documents=documents, fetcher=fetcher)
    options = VerifyOptions(at=at, status_lists=status_lists, fetcher=fetcher)
    report = Verifier(resolver).verify(raw, options)
    if args.json:
        _emit(report.to_json())
    else:
        sys.stdout.write(report.render() + "\n")
    if report.unusable:
        return EXIT_USAGE
    return EXIT_OK if report.verified else EXIT_INVALID


def _cmd_validate(args: argparse.Namespace) -> int:
    document = parse_json(_read_input(args.file, "document"), what="document")
    if not isinstance(document, dict) or "@context" not in document or "type" not in document:
        raise InvalidInput("not a credential: a JSON object with @context and type is expected")
    problems = validate_credential(document)
    if args.json:
        _emit(
            {
                "valid": not problems,
                "problems": [
                    {"path": p.path, "code": p.code, "message": p.message} for p in problems
                ],
            }
        )
    elif problems:
        sys.stdout.write("NOT VALID\n" + "".join(f"  {p}\n" for p in problems))
    else:
        sys.stdout.write("VALID: matches the Open Badges 3.0 schema and rules\n")
    return EXIT_INVALID if problems else EXIT_OK


# ---------------------------------------------------------------------- wiring


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="credstack", description="Issue and verify Open Badges 3.0 credentials offline."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    keys = sub.add_parser("keys", help="manage Ed25519 Multikey key files")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    new = keys_sub.add_parser("new", help="generate a key (to --out with mode 0600, else stdout)")
    new.add_argument("--out", help="key file to create; an existing file is never overwritten")
    new.add_argument("--id", help="verification method id to record in the key file")
    new.add_argument("--controller", help="controller to record in the key file")
    new.set_defaults(func=_cmd_keys_new)

    sign = sub.add_parser("sign", help="add a Data Integrity proof; signed JSON goes to stdout")
    sign.add_argument("--key", required=True, help="Multikey key file")
    sign.add_argument(
        "--suite", default="eddsa-rdfc-2022", choices=["eddsa-rdfc-2022", "eddsa-jcs-2022"]
    )
    sign.add_argument("--created", help="proof creation time, ISO 8601 with timezone")
    sign.add_argument(
        "--verification-method", help="verification method URI (default: key id, else did:key)"
    )
    sign.add_argument("file", nargs="?", default="-", help="credential JSON file, or - for stdin")
    sign.set_defaults(func=_cmd_sign)

    verify = sub.add_parser("verify", help="verify a credential or presentation offline")
    verify.add_argument("--json", action="store_true", help="machine-readable report")
    verify.add_argument("--at", help="verify as of this time (ISO 8601); default now")
    verify.add_argument(
        "--did-document",
        action="append",
        metavar="FILE",
        help="DID or controller document to resolve keys from (repeatable)",
    )
    verify.add_argument(
        "--status-list",
        action="append",
        metavar="FILE",
        help="signed status list credential (repeatable)",
    )
    verify.add_argument(
        "--cache",
        metavar="DIR",
        help="folder of cached DID/controller documents and status lists (*.json); "
        "with --allow-network, fetched documents are saved there",
    )
    verify.add_argument(
        "--allow-network",
        action="store_true",
        help="fetch did:web and controller documents through the guarded fetcher",
    )
    verify.add_argument(
        "--log-key",
        action="append",
        metavar="VKEY",
        help="pinned log public key <name>+<key id>+<base64> for bundles (repeatable)",
    )
    verify.add_argument(
        "--witness-key",
        action="append",
        metavar="VKEY",
        help="pinned witness cosignature key for bundles (repeatable)",
    )
    verify.add_argument(
        "--witnesses",
        type=int,
        metavar="N",
        help="witness cosignatures a bundle's checkpoint must carry",
    )
    verify.add_argument(
        "--trust", metavar="FILE", help="trust list JSON of pinned log and witness keys"
    )
    verify.add_argument(
        "--anchor-rpc",
        metavar="URL",
        help="check a bundle's public-chain anchors through this Ethereum JSON-RPC endpoint "
        "(without it, anchors are reported but not checked: verification stays offline)",
    )
    verify.add_argument(
        "--anchor-confirmations",
        type=int,
        default=1,
        metavar="N",
        help="confirmations an anchor transaction needs (default 1)",
    )
    verify.add_argument(
        "file",
        nargs="?",
        default="-",
        help="credential JSON or JWS, verification bundle, or baked PNG/SVG badge; - for stdin",
    )
    verify.set_defaults(func=_cmd_verify)

    validate = sub.add_parser(
        "validate", help="check an Open Badge against the schema and rules (no signature)"
    )
    validate.add_argument("--json", action="store_true")
    validate.add_argument("file", help="credential JSON file, or -")
    validate.set_defaults(func=_cmd_validate)
    register_platform(sub, _Parser)
    register_pathway(sub, _Parser)
    register_plan(sub, _Parser)
    register_relevance(sub, _Parser)
    register_skills(sub, _Parser)
    register_witness(sub, _Parser)
    register_trust(sub, _Parser)
    register_serve(sub)
    return parser


_USAGE_CODES = frozenset(
    {
        "INVALID_INPUT",
        "INVALID_JSON",
        "INPUT_TOO_LARGE",
        "INPUT_TOO_DEEP",
        "FILE_EXISTS",
        "INVALID_KEY",
        "KEY_MISMATCH",
        "CONFIGURATION_ERROR",
    }
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        code: int = args.func(args)
        return code
    except _UsageError as exc:
        sys.stderr.write(f"credstack: {exc}\n")
        return EXIT_USAGE
    except CredstackError as exc:
        sys.stderr.write(f"credstack: {exc.diagnostics()}\n")
        return (
            EXIT_USAGE
            if exc.code in _USAGE_CODES or isinstance(exc, InvalidInput)
            else EXIT_INVALID
        )
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
