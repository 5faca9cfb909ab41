"""``credstack witness``: follow a credstack transparency log, check and cosign its heads.

Each round fetches ``GET <log>/log/checkpoint``, checks it against the last head kept in the
state file (:func:`credstack.log.witness.observe`; a consistency proof comes from
``GET <log>/log/proof/consistency``), cosigns an accepted head and, with ``--submit``, sends
the cosignature line to ``POST <log>/log/cosignatures``.

Exit codes: 0 every round fine; 3 alarm (equivocation or an inconsistent history, message on
standard error); 2 bad input, bad log signature, or log unreachable.  Time is read here.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import ipaddress
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from credstack.crypto.keys import KeyPair
from credstack.errors import CredstackError, FetchError, InvalidInput, InvalidKey, Unavailable
from credstack.log.note import COSIGNATURE_V1, MAX_NOTE_BYTES, NoteSigner, NoteVerifier
from credstack.log.witness import (
    Observation,
    cosign_head,
    has_cosignature,
    load_state,
    observe,
    save_state,
)

EXIT_OK, EXIT_USAGE, EXIT_ALARM = 0, 2, 3
MAX_RESPONSE_BYTES = 3 * MAX_NOTE_BYTES  # a proof plus two checkpoint notes
MAX_KEY_FILE_BYTES = 64 * 1024
TIMEOUT_SECONDS = 10.0
ClientFactory = Callable[[], httpx.Client]
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _default_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_log_url(url: str, *, allow_http_loopback: bool = False) -> str:
    """The log's base URL without a trailing slash: https, or http to loopback if allowed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise InvalidInput(f"--log {url!r} is not a URL") from None
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput(f"--log {url!r} must be a plain https://host[/path] URL")
    if parts.scheme == "https":
        return url.rstrip("/")
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(host):
        return url.rstrip("/")
    raise InvalidInput(
        f"--log {url!r} must use https (plain http only to loopback with --allow-http-loopback)"
    )


class LogClient:
    """The three log endpoints a witness uses, with bounded responses."""

    def __init__(self, client: httpx.Client, base: str) -> None:
        self.client = client
        self.base = base

    def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
        url = self.base + path
        try:
            with self.client.stream(method, url, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise FetchError(
                            f"{url}: response larger than {MAX_RESPONSE_BYTES} bytes",
                            code="FETCH_REFUSED",
                        )
                return response.status_code, bytes(body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{url}: {type(exc).__name__}: {exc}") from exc

    def _ok(self, method: str, path: str, **kwargs: Any) -> bytes:
        status, body = self._request(method, path, **kwargs)
        if status != 200:
            detail = body[:200].decode("utf-8", "replace")
            raise FetchError(f"{self.base}{path}: HTTP {status}: {detail}")
        return body

    def checkpoint(self) -> bytes:
        return self._ok("GET", "/log/checkpoint")

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        body = self._ok("GET", "/log/proof/consistency", params={"from": size1, "to": size2})
        try:
            data = json.loads(body.decode("utf-8"))
            proof = data["proof"]
            if data["from"] != size1 or data["to"] != size2 or not isinstance(proof, list):
                raise InvalidInput("the consistency proof is for other tree sizes")
            return [base64.b64decode(str(h).encode("ascii"), validate=True) for h in proof]
        except (UnicodeError, ValueError, KeyError, TypeError, binascii.Error):
            raise FetchError("the log's consistency proof response is malformed") from None

    def submit(self, size: int, line: str) -> None:
        payload = {"size": size, "cosignature": line.rstrip("\n")}
        self._ok("POST", "/log/cosignatures", json=payload)


def _load_signer(path: str, name: str) -> NoteSigner:
    """A witness key file: a Multikey JSON key file, or a C2SP ``PRIVATE+KEY+...`` line."""
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read witness key {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise InvalidKey(f"witness key {path} is too large")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidKey(f"witness key {path} is not UTF-8 text") from None
    if text.startswith("PRIVATE+KEY+"):
        signer = NoteSigner.from_skey(text)
        if signer.sig_type != COSIGNATURE_V1 or signer.name != name:
            raise InvalidKey(f"witness key {path} must be a type 0x04 key named {name!r}")
        return signer
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidKey(f"witness key {path} is neither a Multikey file nor a note key") from None
    return NoteSigner(name, KeyPair.from_multikey(data), COSIGNATURE_V1)


def _log_verifiers(vkeys: Sequence[str]) -> list[NoteVerifier]:
    verifiers = [NoteVerifier.from_vkey(v.strip()) for v in vkeys]
    for v in verifiers:
        if v.sig_type == COSIGNATURE_V1:
            raise InvalidKey(f"--log-key {v.name!r} is a witness key, not a log key")
    return verifiers


def _round(
    log: LogClient,
    args: argparse.Namespace,
    signer: NoteSigner,
    verifiers: list[NoteVerifier],
    clock: Clock,
) -> Observation:
    state_path = Path(args.state)
    state = load_state(state_path)
    text = log.checkpoint()
    obs = observe(state, text, log.consistency, verifiers, clock())
    if obs.alarm is not None:
        return obs
    if obs.state != state:
        save_state(obs.state, state_path)
    head = obs.checkpoint
    note = f"{obs.verdict.value}: {head.origin} size {head.size}"
    if obs.accepted:
        if has_cosignature(obs.text, signer.verifier):
            note += "; already cosigned by this witness"
        else:
            cosigned = cosign_head(obs, signer, signer.name, clock())
            note += "; cosigned"
            if args.submit:
                log.submit(cosigned.size, cosigned.line)
                note += " and submitted"
            else:
                sys.stdout.write(cosigned.checkpoint)
    sys.stderr.write(f"credstack witness: {note}\n")
    return obs


def _report_alarm(obs: Observation) -> int:
    alarm = obs.alarm
    assert alarm is not None
    sys.stderr.write(
        f"credstack witness: ALARM {alarm.verdict.value}: {alarm.message}\n"
        f"--- head seen before (size {alarm.known.size}) ---\n{alarm.known.checkpoint}"
        f"--- conflicting head (size {alarm.seen.size}) ---\n{alarm.seen_text}"
    )
    return EXIT_ALARM


def _command(args: argparse.Namespace, client_factory: ClientFactory, clock: Clock) -> int:
    try:
        base = check_log_url(args.log, allow_http_loopback=args.allow_http_loopback)
        verifiers = _log_verifiers(args.log_key)
        signer = _load_signer(args.key, args.name)
        if args.interval <= 0:
            raise InvalidInput("--interval must be positive")
        with client_factory() as client:
            log = LogClient(client, base)
            while True:
                obs = _round(log, args, signer, verifiers, clock)
                if obs.alarm is not None:
                    return _report_alarm(obs)
                if args.once:
                    return EXIT_OK
                time.sleep(args.interval)
    except CredstackError as exc:
        sys.stderr.write(f"credstack witness: {exc.diagnostics()}\n")
        return EXIT_USAGE


def register(
    sub: Any,
    parser_class: type[argparse.ArgumentParser],
    *,
    client_factory: ClientFactory | None = None,
    clock: Clock | None = None,
) -> None:
    """Add ``credstack witness`` to the top-level subparsers (tests may inject an HTTP client
    factory and a clock)."""
    factory = client_factory or _default_client
    now = clock or _now
    p: argparse.ArgumentParser = sub.add_parser(
        "witness",
        help="follow a transparency log, check consistency, cosign heads, alarm on equivocation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--log", required=True, help="base URL of the credstack deployment (https)")
    p.add_argument(
        "--log-key",
        required=True,
        action="append",
        help="the log's note verifier key <origin>+<key id>+<base64>; repeat for rotated keys",
    )
    p.add_argument("--key", required=True, help="witness key file (Multikey JSON or note key)")
    p.add_argument("--name", required=True, help="witness name (its note key name)")
    p.add_argument("--state", required=True, help="JSON file holding the last accepted head")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument("--submit", action="store_true", help="POST cosignatures to the log")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    p.add_argument(
        "--allow-http-loopback",
        action="store_true",
        help="allow plain http to 127.0.0.1/::1/localhost (tests only)",
    )
    p.set_defaults(func=lambda args: _command(args, factory, now))
