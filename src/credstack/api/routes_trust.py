"""Issuer trust over HTTP (read-only: operators change registries with ``credstack trust``).

* ``GET /trust/registries``: the deployment's registries (which are consulted by default);
* ``GET /trust/registries/{id}``: one registry with a page of its entries;
* ``GET /trust/recognition?issuer=DID``: which registries recognise an issuer now, and why
  (``registry=`` repeated to choose registries; the defaults otherwise);
* ``GET /trust/accreditations?issuer=DID``: the stored accreditations, each verified now.

``POST /credentials/verify`` adds a ``recognition`` member (:func:`recognition_member`)
under the default registries; the core verifier's report itself stays as it was.

This module also gives the rest of the server its trust store (:func:`trust_store`), a
cached :data:`~credstack.platform.trust.Checker` verifying accreditations and endorsements
with the same inputs as ``POST /credentials/verify`` (:func:`checks`), and
:func:`trust_view`.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from credstack._json import parse_json
from credstack.api.context import AppContext, Ctx
from credstack.errors import CredstackError, InvalidInput, NotFound
from credstack.platform.ports import UnitOfWork
from credstack.platform.trust import MAX_CHOSEN, Checker, TrustStore, TrustView
from credstack.proofs.dataintegrity import format_datetime, parse_datetime
from credstack.trust.accreditation import Check, credential_check, read_accreditation
from credstack.trust.model import Registry, RegistryEntry, check_did
from credstack.trust.recognition import achievement_type_of
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "CHECK_TTL",
    "checks",
    "recognition_member",
    "router",
    "trust_store",
    "trust_view",
]

router = APIRouter(tags=["trust"])

CHECK_TTL = timedelta(minutes=5)
_CAPACITY = 4_096
_CHUNK = 32  # credentials per verifier_inputs call (it reads at most 32 status lists)
_MAX_REFERENCES = 8

# ------------------------------------------------------------------------- the store

_memory_stores: weakref.WeakKeyDictionary[object, TrustStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def trust_store(ctx: AppContext) -> TrustStore:
    """The trust store of the context's database (SQL tables, or one store in memory per
    in-memory database)."""
    from credstack.storage.session import SqlDatabase

    database = ctx.database
    if isinstance(database, SqlDatabase):
        from credstack.storage.trust_sql import SqlTrustStore

        return SqlTrustStore(database)
    with _stores_lock:
        store = _memory_stores.get(database)
        if store is None:
            from credstack.storage.trust_memory import MemoryTrustStore

            store = MemoryTrustStore()
            _memory_stores[database] = store
        return store


# ------------------------------------------------------------------------- checking credentials


@dataclass(frozen=True, slots=True)
class _Refs:
    """What a credential's verdict depends on here, besides time: the ids of this server's
    status lists it points to (a revocation there shows at once)."""

    lists: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    check: Check
    refs: _Refs
    state: tuple[Any, ...]
    checked_at: datetime
    expires_at: datetime


class _CheckCache:
    """Verdicts of signed credentials by text, reused while the status lists of this server
    they point to are unchanged, no validity boundary was crossed and less than
    :data:`CHECK_TTL` passed (which bounds how long a key marked compromised, here or
    elsewhere, goes unnoticed)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > _CAPACITY:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE = _CheckCache()
_NOTHING = _Refs()


def _references(ctx: AppContext, document: Any) -> _Refs:
    if not isinstance(document, Mapping):
        return _Refs()
    prefix = ctx.base_url.rstrip("/") + "/orgs/"
    status = document.get("credentialStatus")
    lists: list[str] = []
    for entry in (status if isinstance(status, list) else [status])[:_MAX_REFERENCES]:
        url = entry.get("statusListCredential") if isinstance(entry, Mapping) else None
        if isinstance(url, str) and url.startswith(prefix):
            list_id = url.removeprefix(prefix).partition("/status/")[2]
            if list_id and list_id not in lists:
                lists.append(list_id)
    return _Refs(tuple(lists))


def _state(uow: UnitOfWork, refs: _Refs) -> tuple[Any, ...]:
    versions = []
    for list_id in refs.lists:
        found = uow.status_lists.get(list_id)
        versions.append(None if found is None else found.version)
    return tuple(versions)


def _expiry(document: Any, at: datetime) -> datetime:
    until = at + CHECK_TTL
    if isinstance(document, Mapping):
        for key in ("validFrom", "validUntil"):
            try:
                moment = parse_datetime(document.get(key))
            except (CredstackError, ValueError, OverflowError, TypeError):
                continue
            if at < moment < until:
                until = moment
    return until


def checks(ctx: AppContext, texts: Sequence[str], *, at: datetime | None = None) -> list[Check]:
    """Verify signed credentials (exact texts) as ``POST /credentials/verify`` would: this
    server's DID documents and status lists, did:key, nothing fetched.  Cached."""
    from credstack.api.routes_vcapi import verifier_inputs

    moment = at or ctx.clock()
    keys = [hashlib.sha256(text.encode()).digest() for text in texts]
    quick = [_CACHE.get(key) for key in keys]  # verdicts that depend on nothing here
    if all(
        e is not None and e.refs == _NOTHING and e.checked_at <= moment < e.expires_at
        for e in quick
    ):
        return [e.check for e in quick if e is not None]
    found: dict[int, Check] = {}
    misses: list[tuple[int, bytes, str, Any, _Refs, tuple[Any, ...]]] = []
    inputs = []
    with ctx.work() as uow:
        for position, (text, key, entry) in enumerate(zip(texts, keys, quick, strict=True)):
            if entry is not None:
                state = _state(uow, entry.refs)
                if entry.state == state and entry.checked_at <= moment < entry.expires_at:
                    found[position] = entry.check
                    continue
            try:
                document: Any = parse_json(text, what="credential")
            except CredstackError:
                document = None  # the verifier says why
            refs = _references(ctx, document)
            misses.append((position, key, text, document, refs, _state(uow, refs)))
        for start in range(0, len(misses), _CHUNK):
            chunk = [m[3] for m in misses[start : start + _CHUNK]]
            inputs.append(verifier_inputs(ctx, uow, chunk))
    for number, (position, key, text, document, refs, state) in enumerate(misses):
        resolver, lists = inputs[number // _CHUNK]
        report = Verifier(resolver).verify(text, VerifyOptions(at=moment, status_lists=lists))
        check = credential_check(report)
        _CACHE.put(key, _Entry(check, refs, state, moment, _expiry(document, moment)))
        found[position] = check
    return [found[p] for p in range(len(texts))]


def checker(ctx: AppContext, *, at: datetime | None = None) -> Checker:
    """:func:`checks` as a :data:`~credstack.platform.trust.Checker`."""
    return lambda texts: checks(ctx, texts, at=at)


def trust_view(
    ctx: AppContext, chosen: Sequence[str] | None = None, *, at: datetime | None = None
) -> TrustView:
    """Recognition under ``chosen`` registries (the deployment's defaults for ``None``)."""
    moment = at or ctx.clock()
    return TrustView.open(trust_store(ctx), chosen, checker(ctx, at=moment), moment)


def recognition_member(ctx: AppContext, document: Any, issuer: str | None) -> dict[str, Any] | None:
    """The ``recognition`` member of a verification answer (the default registries)."""
    if not issuer:
        return None
    view = trust_view(ctx)
    return view.recognise(issuer, achievement_type_of(document)).to_json()


# ------------------------------------------------------------------------- routes


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def _registry_json(registry: Registry, count: int) -> dict[str, Any]:
    return {
        "id": registry.id,
        "name": registry.name,
        "source": registry.source.value,
        "description": registry.description,
        "default": registry.default,
        "publisher": registry.publisher,
        "listId": registry.list_id,
        "listValidFrom": _time(registry.list_valid_from),
        "listValidUntil": _time(registry.list_valid_until),
        "updatedAt": _time(registry.updated_at),
        "entries": count,
    }


def _entry_json(entry: RegistryEntry) -> dict[str, Any]:
    return {
        "id": entry.did,
        "name": entry.name,
        "role": entry.role.value,
        "validFrom": _time(entry.valid_from),
        "validUntil": _time(entry.valid_until),
        "achievementTypes": list(entry.scope),
        "url": entry.url,
    }


@router.get("/trust/registries", summary="The deployment's trust registries (public)")
def list_registries(ctx: Ctx) -> dict[str, Any]:
    store = trust_store(ctx)
    counts = store.entry_counts()
    return {"registries": [_registry_json(r, counts.get(r.id, 0)) for r in store.registries()]}


@router.get("/trust/registries/{registry_id}", summary="One registry with a page of its entries")
def get_registry(
    registry_id: str,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    found = trust_store(ctx).get_registry(registry_id[:100])
    if found is None:
        raise NotFound(f"no trust registry {registry_id[:100]!r}")
    out = _registry_json(found, len(found.entries))
    out["items"] = [_entry_json(e) for e in found.entries[offset : offset + limit]]
    return out


@router.get("/trust/recognition", summary="Which registries recognise an issuer now, and why")
def recognition(
    ctx: Ctx,
    issuer: Annotated[str, Query(min_length=1, max_length=2048)],
    registry: Annotated[list[str] | None, Query()] = None,
    achievementType: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    check_did(issuer, "the issuer")
    if registry is not None and len(registry) > MAX_CHOSEN:
        raise InvalidInput(f"name at most {MAX_CHOSEN} registries")
    if registry is not None:
        known = {r.id for r in trust_store(ctx).registries()}
        unknown = [r for r in registry if r not in known]
        if unknown:
            raise InvalidInput(f"there is no trust registry {unknown[0][:80]!r}")
    view = trust_view(ctx, registry)
    return view.recognise(issuer, achievementType).to_json()


@router.get("/trust/accreditations", summary="Stored accreditations, each verified now")
def accreditations(
    ctx: Ctx, issuer: Annotated[str | None, Query(max_length=2048)] = None
) -> dict[str, Any]:
    stored = trust_store(ctx).accreditations(issuer=issuer)
    verdicts = checks(ctx, [a.credential_json for a in stored])
    items = []
    for record, check in zip(stored, verdicts, strict=True):
        try:
            read = read_accreditation(parse_json(record.credential_json), check)
            name, until = read.name, _time(read.valid_until)
        except CredstackError:
            name, until = "", None
        items.append(
            {
                "id": record.id,
                "accreditor": record.accreditor,
                "issuer": record.issuer,
                "name": name,
                "validUntil": until,
                "addedAt": format_datetime(record.added_at),
                "status": check.state.value,
                "reason": check.reason,
            }
        )
    return {"items": items, "total": len(items)}
