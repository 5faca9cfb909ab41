"""Trust registries: who a deployment (or an employer) recognises as an issuer, and why.

A :class:`Registry` lists :class:`RegistryEntry` values.  An entry names a DID in one of two
roles: a recognised **issuer**, or an **accreditation body** whose accreditations of other
issuers count (:class:`~credstack.trust.accreditation.Accreditation`).  An entry may hold only
for a time (``valid_from`` .. ``valid_until``) and only for some achievement types (its
``scope``: empty means any).

Registries come from three sources (:class:`RegistrySource`): kept locally by the
deployment's operators, imported from a signed trust list (``docs/trust.md``), or imported
from a Digital Credentials Consortium issuer-registry file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from credstack.errors import InvalidInput

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_ENTRIES",
    "MAX_NAME",
    "MAX_SCOPE",
    "EntryRole",
    "Registry",
    "RegistryEntry",
    "RegistrySource",
    "check_did",
    "check_registry_id",
    "new_entry",
    "new_registry",
]

MAX_ENTRIES = 20_000  # entries in one registry
MAX_NAME = 200
MAX_DESCRIPTION = 2_000
MAX_SCOPE = 20  # achievement types in one entry's scope
MAX_URL = 2_048
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\Z")
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]\Z")
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9:._-]{0,99}\Z")  # an OB achievementType or ext: value


class EntryRole(StrEnum):
    ISSUER = "issuer"  # recognised as an issuer
    ACCREDITOR = "accreditor"  # an accreditation body: its accreditations of issuers count


class RegistrySource(StrEnum):
    LOCAL = "local"  # kept by the deployment's operators (``credstack trust``)
    SIGNED_LIST = "signed-list"  # an imported trust list, a credential signed by its publisher
    DCC = "dcc"  # an imported DCC issuer-registry file (unsigned)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    did: str
    name: str
    role: EntryRole = EntryRole.ISSUER
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    scope: tuple[str, ...] = ()  # achievement types it holds for; empty: any
    url: str | None = None

    def current(self, at: datetime) -> bool:
        """Whether the entry holds at ``at`` (from inclusive, until exclusive)."""
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_until is None or at < self.valid_until

    def covers(self, achievement_type: str | None) -> bool:
        """Whether the entry holds for credentials of ``achievement_type`` (``None``: the
        type is not known, which only an entry without a scope covers)."""
        return not self.scope or achievement_type in self.scope


@dataclass(frozen=True, slots=True)
class Registry:
    """A registry; ``entries`` may be all of them or (from a store) only those asked for."""

    id: str
    name: str
    source: RegistrySource
    entries: tuple[RegistryEntry, ...] = ()
    description: str = ""
    default: bool = False  # consulted for anyone who has not chosen (the public verifier)
    publisher: str | None = None  # signed lists: the pinned publisher's DID
    list_id: str | None = None  # imported lists: the id of the list (credential id, URL)
    list_valid_from: datetime | None = None
    list_valid_until: datetime | None = None
    updated_at: datetime | None = None
    _by_did: dict[str, tuple[RegistryEntry, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[str, list[RegistryEntry]] = {}
        for entry in self.entries:
            index.setdefault(entry.did, []).append(entry)
        object.__setattr__(self, "_by_did", {k: tuple(v) for k, v in index.items()})

    def entries_for(self, did: str, role: EntryRole) -> tuple[RegistryEntry, ...]:
        return tuple(e for e in self._by_did.get(did, ()) if e.role is role)

    def list_current(self, at: datetime) -> bool:
        """Whether an imported list is within its own validity period at ``at``."""
        if self.list_valid_from is not None and at < self.list_valid_from:
            return False
        return self.list_valid_until is None or at < self.list_valid_until


def check_registry_id(value: str) -> str:
    """A registry id: 1 to 63 lower-case letters, digits, ``.``, ``_`` or ``-``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInput(
            f"{str(value)[:80]!r} is not a registry id: use 1 to 63 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return value


def check_did(value: object, what: str = "an entry") -> str:
    if not isinstance(value, str) or len(value) > MAX_URL or not _DID.match(value):
        raise InvalidInput(f"{what} names {str(value)[:120]!r}, which is not a DID")
    return value


def _text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(f"{what} must be a non-empty string")
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return text


def new_entry(
    did: object,
    name: object,
    *,
    role: EntryRole | str = EntryRole.ISSUER,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    scope: object = (),
    url: object = None,
) -> RegistryEntry:
    """A checked entry (:class:`InvalidInput` naming what is wrong)."""
    checked_did = check_did(did)
    label = _text(name, f"the name of {checked_did}", MAX_NAME)
    try:
        checked_role = EntryRole(role)
    except ValueError:
        raise InvalidInput(f"an entry's role is 'issuer' or 'accreditor', not {role!r}") from None
    for moment, which in ((valid_from, "from"), (valid_until, "until")):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise InvalidInput(f"the entry of {checked_did}: its valid {which} time has no zone")
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise InvalidInput(f"the entry of {checked_did} ends before it starts")
    if isinstance(scope, str) or not isinstance(scope, (list, tuple)):
        raise InvalidInput(f"the scope of {checked_did} must be a list of achievement types")
    if len(scope) > MAX_SCOPE:
        raise InvalidInput(f"the scope of {checked_did} has more than {MAX_SCOPE} types")
    for item in scope:
        if not isinstance(item, str) or not _TYPE.match(item):
            raise InvalidInput(
                f"the scope of {checked_did} holds {str(item)[:80]!r}, not an achievement type"
            )
    if url is not None and (
        not isinstance(url, str)
        or len(url) > MAX_URL
        or not url.startswith(("https://", "http://"))
    ):
        raise InvalidInput(f"the web site of {checked_did} must be an http(s) URL")
    return RegistryEntry(
        did=checked_did,
        name=label,
        role=checked_role,
        valid_from=valid_from,
        valid_until=valid_until,
        scope=tuple(dict.fromkeys(scope)),
        url=url,
    )


def new_registry(
    registry_id: str,
    name: object,
    source: RegistrySource,
    *,
    entries: tuple[RegistryEntry, ...] = (),
    description: object = "",
    default: bool = False,
    publisher: str | None = None,
    list_id: str | None = None,
    list_valid_from: datetime | None = None,
    list_valid_until: datetime | None = None,
    updated_at: datetime | None = None,
) -> Registry:
    """A checked registry: valid id and name, at most :data:`MAX_ENTRIES` entries, one entry
    per DID and role."""
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(f"a registry holds at most {MAX_ENTRIES} entries, not {len(entries)}")
    seen: set[tuple[str, EntryRole]] = set()
    for entry in entries:
        key = (entry.did, entry.role)
        if key in seen:
            raise InvalidInput(f"{entry.did} is listed twice as {entry.role.value}")
        seen.add(key)
    return Registry(
        id=check_registry_id(registry_id),
        name=_text(name, "a registry's name", MAX_NAME),
        source=source,
        entries=entries,
        description=_text(description, "a registry's description", MAX_DESCRIPTION, required=False),
        default=default,
        publisher=publisher,
        list_id=list_id,
        list_valid_from=list_valid_from,
        list_valid_until=list_valid_until,
        updated_at=updated_at,
    )
