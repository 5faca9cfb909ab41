""":class:`~credstack.platform.trust.TrustStore` in the SQL database (SQLite or PostgreSQL):
the tables of migration 0010.  A registry's entries are rows of their own (looked up by DID),
replaced with the registry in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    CursorResult,
    ForeignKey,
    Row,
    String,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from credstack.errors import Conflict, NotFound
from credstack.platform.trust import EmployerChoice, StoredAccreditation
from credstack.storage._common import json_text, utc
from credstack.storage._translate import translated
from credstack.storage.base import Base
from credstack.storage.session import SqlDatabase
from credstack.trust.model import EntryRole, Registry, RegistryEntry, RegistrySource

__all__ = ["SqlTrustStore"]

_CHUNK = 500  # rows per INSERT, and DIDs per IN (...)


class TrustRegistryRow(Base):
    __tablename__ = "trust_registries"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean)
    publisher: Mapped[str | None] = mapped_column(Text)
    list_id: Mapped[str | None] = mapped_column(Text)
    list_valid_from: Mapped[datetime | None]
    list_valid_until: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class TrustEntryRow(Base):
    __tablename__ = "trust_entries"

    registry_id: Mapped[str] = mapped_column(
        ForeignKey("trust_registries.id", ondelete="CASCADE"), primary_key=True
    )
    did: Mapped[str] = mapped_column(String, primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    scope_json: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)


class TrustAccreditationRow(Base):
    __tablename__ = "trust_accreditations"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    accreditor_did: Mapped[str] = mapped_column(String, index=True)
    issuer_did: Mapped[str] = mapped_column(String, index=True)
    credential_json: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime]


class EmployerTrustChoiceRow(Base):
    __tablename__ = "employer_trust_choices"

    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    registry_ids_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


def _when(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else utc(value, what)


def _registry_values(registry: Registry) -> dict[str, Any]:
    return {
        "name": registry.name,
        "source": registry.source.value,
        "description": registry.description,
        "is_default": registry.default,
        "publisher": registry.publisher,
        "list_id": registry.list_id,
        "list_valid_from": _when(registry.list_valid_from, "list_valid_from"),
        "list_valid_until": _when(registry.list_valid_until, "list_valid_until"),
        "updated_at": _when(registry.updated_at, "updated_at"),
    }


def _entry_values(registry_id: str, entry: RegistryEntry) -> dict[str, Any]:
    return {
        "registry_id": registry_id,
        "did": entry.did,
        "role": entry.role.value,
        "name": entry.name,
        "valid_from": _when(entry.valid_from, "valid_from"),
        "valid_until": _when(entry.valid_until, "valid_until"),
        "scope_json": json_text(list(entry.scope), "scope"),
        "url": entry.url,
    }


def _registry(row: Row[Any], entries: tuple[RegistryEntry, ...] = ()) -> Registry:
    return Registry(
        id=row.id,
        name=row.name,
        source=RegistrySource(row.source),
        entries=entries,
        description=row.description,
        default=row.is_default,
        publisher=row.publisher,
        list_id=row.list_id,
        list_valid_from=row.list_valid_from,
        list_valid_until=row.list_valid_until,
        updated_at=row.updated_at,
    )


def _entry(row: Row[Any]) -> RegistryEntry:
    return RegistryEntry(
        did=row.did,
        name=row.name,
        role=EntryRole(row.role),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        scope=tuple(json.loads(row.scope_json)),
        url=row.url,
    )


def _accreditation(row: Row[Any]) -> StoredAccreditation:
    return StoredAccreditation(
        row.id, row.accreditor_did, row.issuer_did, row.credential_json, row.added_at
    )


class SqlTrustStore:
    """Trust data on a :class:`~credstack.storage.session.SqlDatabase` at revision 0010 or
    later."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    def __repr__(self) -> str:
        return "SqlTrustStore()"

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with translated(), self._database.engine.begin() as connection:
            yield connection

    # registries ------------------------------------------------------------------------------

    @staticmethod
    def _insert_entries(db: Connection, registry: Registry) -> None:
        rows = [_entry_values(registry.id, e) for e in registry.entries]
        for start in range(0, len(rows), _CHUNK):
            db.execute(insert(TrustEntryRow), rows[start : start + _CHUNK])

    def add_registry(self, registry: Registry) -> None:
        values = _registry_values(registry)
        try:
            with self._begin() as db:
                db.execute(insert(TrustRegistryRow).values(id=registry.id, **values))
                self._insert_entries(db, registry)
        except (Conflict, IntegrityError) as exc:
            raise Conflict(f"there is a trust registry {registry.id!r} already") from exc

    def replace_registry(self, registry: Registry) -> None:
        r, e = TrustRegistryRow, TrustEntryRow
        values = _registry_values(registry)
        with self._begin() as db:
            result = db.execute(update(r).where(r.id == registry.id).values(**values))
            if cast(CursorResult[Any], result).rowcount != 1:
                raise NotFound(f"no trust registry {registry.id!r}")
            db.execute(delete(e).where(e.registry_id == registry.id))
            self._insert_entries(db, registry)

    def get_registry(self, registry_id: str) -> Registry | None:
        r, e = TrustRegistryRow, TrustEntryRow
        with self._begin() as db:
            row = db.execute(select(r).where(r.id == registry_id)).first()
            if row is None:
                return None
            query = select(e).where(e.registry_id == registry_id).order_by(e.did, e.role)
            entries = tuple(_entry(x) for x in db.execute(query).all())
        return _registry(row, entries)

    def registries(self) -> list[Registry]:
        with self._begin() as db:
            rows = db.execute(select(TrustRegistryRow)).all()
        return sorted((_registry(x) for x in rows), key=lambda x: (x.name.casefold(), x.id))

    def entry_counts(self) -> dict[str, int]:
        e = TrustEntryRow
        query = select(e.registry_id, func.count()).group_by(e.registry_id)
        with self._begin() as db:
            counts = {row[0]: int(row[1]) for row in db.execute(query).all()}
            ids = db.execute(select(TrustRegistryRow.id)).scalars().all()
        return {i: counts.get(i, 0) for i in ids}

    def set_default(self, registry_id: str, default: bool, at: datetime) -> None:
        r = TrustRegistryRow
        with self._begin() as db:
            result = db.execute(
                update(r)
                .where(r.id == registry_id)
                .values(is_default=default, updated_at=utc(at, "at"))
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                raise NotFound(f"no trust registry {registry_id!r}")

    def remove_registry(self, registry_id: str) -> bool:
        r, e = TrustRegistryRow, TrustEntryRow
        with self._begin() as db:
            db.execute(delete(e).where(e.registry_id == registry_id))
            result = db.execute(delete(r).where(r.id == registry_id))
            return cast(CursorResult[Any], result).rowcount == 1

    def add_entry(self, registry_id: str, entry: RegistryEntry, at: datetime) -> None:
        r = TrustRegistryRow
        with self._begin() as db:
            result = db.execute(
                update(r).where(r.id == registry_id).values(updated_at=utc(at, "at"))
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                raise NotFound(f"no trust registry {registry_id!r}")
            try:
                with db.begin_nested():
                    db.execute(insert(TrustEntryRow).values(**_entry_values(registry_id, entry)))
            except (Conflict, IntegrityError) as exc:
                raise Conflict(f"{entry.did} is listed as {entry.role.value} already") from exc

    def remove_entry(self, registry_id: str, did: str, role: EntryRole, at: datetime) -> bool:
        r, e = TrustRegistryRow, TrustEntryRow
        with self._begin() as db:
            result = db.execute(
                delete(e).where(e.registry_id == registry_id, e.did == did, e.role == role.value)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                return False
            db.execute(update(r).where(r.id == registry_id).values(updated_at=utc(at, "at")))
            return True

    @staticmethod
    def _entries(db: Connection, dids: Sequence[str]) -> dict[str, list[RegistryEntry]]:
        e = TrustEntryRow
        wanted = sorted(set(dids))
        out: dict[str, list[RegistryEntry]] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(e).where(e.did.in_(wanted[start : start + _CHUNK]))
            for row in db.execute(query).all():
                out.setdefault(row.registry_id, []).append(_entry(row))
        return out

    def entries_for(self, dids: Sequence[str]) -> dict[str, list[RegistryEntry]]:
        if not dids:
            return {}
        with self._begin() as db:
            return self._entries(db, dids)

    def facts_for(
        self, issuer: str
    ) -> tuple[dict[str, list[RegistryEntry]], list[StoredAccreditation]]:
        a, e = TrustAccreditationRow, TrustEntryRow
        bodies = select(a.accreditor_did).where(a.issuer_did == issuer)
        query = select(e).where(or_(e.did == issuer, e.did.in_(bodies)))
        entries: dict[str, list[RegistryEntry]] = {}
        accreditations: list[StoredAccreditation] = []
        with self._begin() as db:
            rows = db.execute(query).all()
            for row in rows:
                entries.setdefault(row.registry_id, []).append(_entry(row))
            if any(r.did != issuer for r in rows):  # some body that accredited it is listed
                found = select(a).where(a.issuer_did == issuer).order_by(a.added_at, a.id)
                accreditations = [_accreditation(r) for r in db.execute(found).all()]
        return entries, accreditations

    # accreditations --------------------------------------------------------------------------

    def add_accreditation(self, record: StoredAccreditation) -> None:
        try:
            with self._begin() as db:
                db.execute(
                    insert(TrustAccreditationRow).values(
                        id=record.id,
                        accreditor_did=record.accreditor,
                        issuer_did=record.issuer,
                        credential_json=record.credential_json,
                        added_at=utc(record.added_at, "added_at"),
                    )
                )
        except (Conflict, IntegrityError) as exc:
            raise Conflict(f"the accreditation {record.id} is stored already") from exc

    def accreditations(self, *, issuer: str | None = None) -> list[StoredAccreditation]:
        a = TrustAccreditationRow
        query = select(a).order_by(a.added_at, a.id)
        if issuer is not None:
            query = query.where(a.issuer_did == issuer)
        with self._begin() as db:
            rows = db.execute(query).all()
        return [_accreditation(r) for r in rows]

    def remove_accreditation(self, accreditation_id: str) -> bool:
        a = TrustAccreditationRow
        with self._begin() as db:
            result = db.execute(delete(a).where(a.id == accreditation_id))
            return cast(CursorResult[Any], result).rowcount == 1

    # employers -------------------------------------------------------------------------------

    def get_choice(self, user_id: str) -> EmployerChoice | None:
        c = EmployerTrustChoiceRow
        with self._begin() as db:
            row = db.execute(select(c).where(c.user_id == user_id)).first()
        if row is None:
            return None
        return EmployerChoice(row.user_id, tuple(json.loads(row.registry_ids_json)), row.updated_at)

    def save_choice(self, choice: EmployerChoice) -> None:
        c = EmployerTrustChoiceRow
        values = {
            "registry_ids_json": json_text(list(choice.registry_ids), "registry ids"),
            "updated_at": utc(choice.updated_at, "updated_at"),
        }
        with self._begin() as db:
            result = db.execute(update(c).where(c.user_id == choice.user_id).values(**values))
            if cast(CursorResult[Any], result).rowcount == 0:
                db.execute(insert(c).values(user_id=choice.user_id, **values))

    def clear_choice(self, user_id: str) -> bool:
        c = EmployerTrustChoiceRow
        with self._begin() as db:
            result = db.execute(delete(c).where(c.user_id == user_id))
            return cast(CursorResult[Any], result).rowcount == 1
