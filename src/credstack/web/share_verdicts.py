"""Verification verdicts for shared credentials, cached so public pages stay fast.

A portfolio shows a verdict for each of its credentials; verifying one (JSON-LD
canonicalisation, signature, status list) costs milliseconds, so a page of many would be slow
if every view verified them all again.  A verdict is kept per credential text and reused while

* the status lists of this server the credential points to are unchanged (their version:
  a revocation shows at once),
* the issuer's signing keys on this server are unchanged (rotation, a key marked compromised),
* no validity boundary of the credential (``validFrom``, ``validUntil``) was crossed, and
* less than :data:`TTL` has passed (by the clock passed in) — which bounds how long anything
  else (e.g. another organisation's key) can be stale.

The cached value is the verifier's report and its plain-language view
(:func:`credstack.web.verification.explain`, with this platform's trust and transparency-log
facts), so the credential page renders the same report the verifier page would.  The cache is
per process, bounded (least recently used verdicts go first).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from credstack._json import parse_json
from credstack.api.context import AppContext
from credstack.api.routes_vcapi import verifier_inputs
from credstack.errors import CredstackError
from credstack.platform.organisations import organisation_did
from credstack.platform.ports import UnitOfWork
from credstack.verify.report import VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from credstack.web.verification import PlatformLookup, ReportView, explain

__all__ = ["CAPACITY", "TTL", "Checked", "VerdictCache", "verdicts"]

TTL = timedelta(minutes=5)
CAPACITY = 20_000
_MAX_LISTS = 8
_CHUNK = 32  # documents per verifier_inputs call (it reads at most 32 status lists)


@dataclass(frozen=True, slots=True)
class Checked:
    """A credential's verification: the verifier's report and its plain-language view."""

    report: VerificationReport
    view: ReportView


@dataclass(frozen=True, slots=True)
class _Entry:
    checked: Checked
    state: tuple[Any, ...]  # what the verdict depended on (see _State.of)
    checked_at: datetime
    expires_at: datetime
    lists: tuple[str, ...]  # ids of this server's status lists the credential points to
    issuer_slug: str | None  # the issuer, when it is an organisation of this server


@dataclass(frozen=True, slots=True)
class _Miss:
    """A credential to verify (no good verdict in the cache)."""

    position: int
    key: bytes
    text: str
    document: Any
    lists: tuple[str, ...]
    slug: str | None
    seen: tuple[Any, ...]  # the state verified against


class _State:
    """The current state of status lists and issuers' keys, read once per list/issuer."""

    def __init__(self, ctx: AppContext, uow: UnitOfWork) -> None:
        self.ctx = ctx
        self.uow = uow
        self._lists: dict[str, int | None] = {}
        self._keys: dict[str, tuple[Any, ...] | None] = {}

    def _list_version(self, list_id: str) -> int | None:
        if list_id not in self._lists:
            found = self.uow.status_lists.get(list_id)
            self._lists[list_id] = None if found is None else found.version
        return self._lists[list_id]

    def _key_state(self, slug: str) -> tuple[Any, ...] | None:
        if slug not in self._keys:
            org = self.uow.organisations.get_by_slug(slug)
            self._keys[slug] = (
                None
                if org is None
                else tuple(
                    (k.id, k.status.value, k.retired_at, k.compromised_since)
                    for k in self.uow.keys.for_organisation(org.id)
                )
            )
        return self._keys[slug]

    def of(self, lists: tuple[str, ...], issuer_slug: str | None) -> tuple[Any, ...]:
        versions = tuple(self._list_version(i) for i in lists)
        return (versions, None if issuer_slug is None else self._key_state(issuer_slug))

    def references(self, document: Any) -> tuple[tuple[str, ...], str | None]:
        """This server's status lists and issuing organisation the credential refers to."""
        if not isinstance(document, dict):
            return (), None
        prefix = self.ctx.base_url.rstrip("/") + "/orgs/"
        status = document.get("credentialStatus")
        entries = status if isinstance(status, list) else [status]
        lists: list[str] = []
        for entry in entries[:_MAX_LISTS]:
            url = entry.get("statusListCredential") if isinstance(entry, dict) else None
            if isinstance(url, str) and url.startswith(prefix):
                _, sep, list_id = url.removeprefix(prefix).partition("/status/")
                if sep and list_id and list_id not in lists:
                    lists.append(list_id)
        issuer = document.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        slug = None
        if isinstance(issuer_id, str) and ":orgs:" in issuer_id:
            candidate = issuer_id.rsplit(":orgs:", 1)[1]
            try:
                if organisation_did(self.ctx.host, candidate) == issuer_id:
                    slug = candidate
            except CredstackError:
                slug = None
        return tuple(lists), slug


def _expiry(document: Any, at: datetime, ttl: timedelta) -> datetime:
    """When a verdict reached at ``at`` must be checked again at the latest."""
    from credstack.proofs.dataintegrity import parse_datetime

    until = at + ttl
    if isinstance(document, dict):
        for key in ("validFrom", "validUntil"):
            value = document.get(key)
            if not isinstance(value, str):
                continue
            try:
                moment: datetime | None = parse_datetime(value)
            except Exception:  # the verifier reports malformed dates
                moment = None
            if moment is not None and at < moment < until:
                until = moment
    return until


class VerdictCache:
    """Verification reports of credential texts, reused while nothing they depend on changed."""

    def __init__(self, *, capacity: int = CAPACITY, ttl: timedelta = TTL) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _get(self, key: bytes) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key: bytes, entry: _Entry) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def check(self, ctx: AppContext, texts: Sequence[str], *, at: datetime) -> list[Checked]:
        """The verification of each credential text, in order (from the cache when still
        good).  The database is read in one unit of work; verifying happens after it."""
        found: dict[int, Checked] = {}
        misses: list[_Miss] = []
        inputs: list[tuple[Any, dict[str, Any]]] = []
        with ctx.work() as uow:
            state = _State(ctx, uow)
            for position, text in enumerate(texts):
                key = hashlib.sha256(text.encode()).digest()
                entry = self._get(key)
                if (
                    entry is not None
                    and entry.checked_at <= at < entry.expires_at
                    and entry.state == state.of(entry.lists, entry.issuer_slug)
                ):
                    self.hits += 1
                    found[position] = entry.checked
                    continue
                self.misses += 1
                try:
                    document: Any = parse_json(text, what="credential")
                except CredstackError:
                    document = None  # the verifier reports why
                refs, slug = state.references(document)
                seen = state.of(refs, slug)
                misses.append(_Miss(position, key, text, document, refs, slug, seen))
            # the verifier's inputs (DID documents, signed status lists), a chunk at a time
            for start in range(0, len(misses), _CHUNK):
                chunk = [m.document for m in misses[start : start + _CHUNK]]
                inputs.append(verifier_inputs(ctx, uow, chunk))
        lookup = PlatformLookup(ctx) if misses else None
        for number, miss in enumerate(misses):
            resolver, lists = inputs[number // _CHUNK]
            options = VerifyOptions(at=at, status_lists=lists)
            report = Verifier(resolver).verify(miss.text, options)
            checked = Checked(report, explain(report, miss.document, lookup=lookup))
            expires = _expiry(miss.document, at, self.ttl)
            self._put(miss.key, _Entry(checked, miss.seen, at, expires, miss.lists, miss.slug))
            found[miss.position] = checked
        return [found[position] for position in range(len(texts))]

    def check_one(self, ctx: AppContext, text: str, *, at: datetime) -> Checked:
        return self.check(ctx, [text], at=at)[0]


_create = threading.Lock()


def verdicts(app: FastAPI) -> VerdictCache:
    """The application's verdict cache (``app.state.share_verdicts``), made on first use."""
    cache = getattr(app.state, "share_verdicts", None)
    if isinstance(cache, VerdictCache):
        return cache
    with _create:
        cache = getattr(app.state, "share_verdicts", None)
        if not isinstance(cache, VerdictCache):
            cache = VerdictCache()
            app.state.share_verdicts = cache
        return cache
