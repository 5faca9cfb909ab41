""":class:`~credstack.platform.trust.TrustStore` in memory (one process; lost on restart)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from credstack.errors import Conflict, NotFound
from credstack.platform.trust import EmployerChoice, StoredAccreditation
from credstack.storage._common import utc
from credstack.trust.model import EntryRole, Registry, RegistryEntry

__all__ = ["MemoryTrustStore"]


def _stored(registry: Registry) -> Registry:
    for moment in (registry.updated_at, registry.list_valid_from, registry.list_valid_until):
        if moment is not None:
            utc(moment, "a registry time")
    return registry


class MemoryTrustStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registries: dict[str, Registry] = {}
        self._accreditations: dict[str, StoredAccreditation] = {}
        self._choices: dict[str, EmployerChoice] = {}

    def __repr__(self) -> str:
        return f"MemoryTrustStore({len(self._registries)} registries)"

    # registries ------------------------------------------------------------------------------

    def add_registry(self, registry: Registry) -> None:
        with self._lock:
            if registry.id in self._registries:
                raise Conflict(f"there is a trust registry {registry.id!r} already")
            self._registries[registry.id] = _stored(registry)

    def replace_registry(self, registry: Registry) -> None:
        with self._lock:
            if registry.id not in self._registries:
                raise NotFound(f"no trust registry {registry.id!r}")
            self._registries[registry.id] = _stored(registry)

    def get_registry(self, registry_id: str) -> Registry | None:
        with self._lock:
            return self._registries.get(registry_id)

    def registries(self) -> list[Registry]:
        with self._lock:
            found = [replace(r, entries=()) for r in self._registries.values()]
        return sorted(found, key=lambda r: (r.name.casefold(), r.id))

    def entry_counts(self) -> dict[str, int]:
        with self._lock:
            return {r.id: len(r.entries) for r in self._registries.values()}

    def set_default(self, registry_id: str, default: bool, at: datetime) -> None:
        with self._lock:
            found = self._registries.get(registry_id)
            if found is None:
                raise NotFound(f"no trust registry {registry_id!r}")
            self._registries[registry_id] = replace(found, default=default, updated_at=at)

    def remove_registry(self, registry_id: str) -> bool:
        with self._lock:
            return self._registries.pop(registry_id, None) is not None

    def add_entry(self, registry_id: str, entry: RegistryEntry, at: datetime) -> None:
        with self._lock:
            found = self._registries.get(registry_id)
            if found is None:
                raise NotFound(f"no trust registry {registry_id!r}")
            if any(e.did == entry.did and e.role is entry.role for e in found.entries):
                raise Conflict(f"{entry.did} is listed as {entry.role.value} already")
            self._registries[registry_id] = replace(
                found, entries=(*found.entries, entry), updated_at=at
            )

    def remove_entry(self, registry_id: str, did: str, role: EntryRole, at: datetime) -> bool:
        with self._lock:
            found = self._registries.get(registry_id)
            if found is None:
                return False
            kept = tuple(e for e in found.entries if not (e.did == did and e.role is role))
            if len(kept) == len(found.entries):
                return False
            self._registries[registry_id] = replace(found, entries=kept, updated_at=at)
            return True

    def entries_for(self, dids: Sequence[str]) -> dict[str, list[RegistryEntry]]:
        wanted = set(dids)
        out: dict[str, list[RegistryEntry]] = {}
        with self._lock:
            for registry in self._registries.values():
                found = [e for e in registry.entries if e.did in wanted]
                if found:
                    out[registry.id] = found
        return out

    def facts_for(
        self, issuer: str
    ) -> tuple[dict[str, list[RegistryEntry]], list[StoredAccreditation]]:
        accreditations = self.accreditations(issuer=issuer)
        entries = self.entries_for([issuer, *(a.accreditor for a in accreditations)])
        listed = {e.did for found in entries.values() for e in found}
        return entries, accreditations if listed - {issuer} else []

    # accreditations --------------------------------------------------------------------------

    def add_accreditation(self, record: StoredAccreditation) -> None:
        utc(record.added_at, "added_at")
        with self._lock:
            if record.id in self._accreditations:
                raise Conflict(f"the accreditation {record.id} is stored already")
            self._accreditations[record.id] = record

    def accreditations(self, *, issuer: str | None = None) -> list[StoredAccreditation]:
        with self._lock:
            found = [
                a for a in self._accreditations.values() if issuer is None or a.issuer == issuer
            ]
        return sorted(found, key=lambda a: (a.added_at, a.id))

    def remove_accreditation(self, accreditation_id: str) -> bool:
        with self._lock:
            return self._accreditations.pop(accreditation_id, None) is not None

    # employers -------------------------------------------------------------------------------

    def get_choice(self, user_id: str) -> EmployerChoice | None:
        with self._lock:
            return self._choices.get(user_id)

    def save_choice(self, choice: EmployerChoice) -> None:
        utc(choice.updated_at, "updated_at")
        with self._lock:
            self._choices[choice.user_id] = choice

    def clear_choice(self, user_id: str) -> bool:
        with self._lock:
            return self._choices.pop(user_id, None) is not None
