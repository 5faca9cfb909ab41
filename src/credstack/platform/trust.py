"""A deployment's trust registries, imported lists, accreditations and employers' choices.

The pure rules are in :mod:`credstack.trust`; this module keeps their data in a
:class:`TrustStore` (memory or SQL: :mod:`credstack.storage.trust_memory`,
:mod:`credstack.storage.trust_sql`) and answers "who recognises this issuer" for a request
with :class:`TrustView`.

Who may change what (there is no platform-wide administrator role): registries, entries,
imported lists and accreditations are changed by the deployment's **operators** with the
``credstack trust`` commands, on the deployment's database; the HTTP API only reads them.
Each **employer** chooses which of the deployment's registries they trust (stored per user);
anyone else, and the public verifier, use the registries marked **default**.

Signed credentials this module judges (accreditations, endorsements) are verified by the
caller's :data:`Checker` (the project's verifier with this server's keys and status lists):
the platform layer never reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from credstack._json import parse_json
from credstack.errors import (
    Conflict,
    CredstackError,
    InvalidInput,
    InvalidState,
    NotFound,
    ProofError,
)
from credstack.platform.ports import UnitOfWork
from credstack.trust.accreditation import Accreditation, Check, read_accreditation
from credstack.trust.lists import read_dcc_registry, read_trust_list
from credstack.trust.model import (
    EntryRole,
    Registry,
    RegistryEntry,
    RegistrySource,
    check_registry_id,
    new_registry,
)
from credstack.trust.recognition import Recognition, recognise

__all__ = [
    "MAX_CHOSEN",
    "Checker",
    "EmployerChoice",
    "EndorsementView",
    "StoredAccreditation",
    "Tally",
    "TrustStore",
    "TrustView",
    "add_accreditation",
    "add_entry",
    "add_local_registry",
    "choose_registries",
    "chosen_registries",
    "endorsements_of",
    "import_dcc_registry",
    "import_trust_list",
    "registries_in_use",
    "remove_accreditation",
    "remove_entry",
    "remove_registry",
    "set_default",
    "tally",
]

MAX_CHOSEN = 50  # registries one employer may choose
MAX_ENDORSEMENTS_SHOWN = 100  # endorsements listed for one page


@dataclass(frozen=True, slots=True)
class StoredAccreditation:
    """An accreditation credential as imported (its exact text)."""

    id: str  # the credential's id
    accreditor: str  # its issuer's DID
    issuer: str  # the accredited issuer's DID
    credential_json: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class EmployerChoice:
    user_id: str
    registry_ids: tuple[str, ...]
    updated_at: datetime


class TrustStore(Protocol):
    """Where registries, accreditations and employers' choices live.  Every method is its own
    transaction; a registry and its entries change together."""

    def add_registry(self, registry: Registry) -> None:
        """Store a registry with its entries; Conflict when the id is taken."""
        ...

    def replace_registry(self, registry: Registry) -> None:
        """Replace a registry's settings and all its entries; NotFound when absent."""
        ...

    def get_registry(self, registry_id: str) -> Registry | None:
        """A registry with all its entries."""
        ...

    def registries(self) -> list[Registry]:
        """Every registry without its entries (``entries == ()``), by name then id."""
        ...

    def entry_counts(self) -> dict[str, int]: ...
    def set_default(self, registry_id: str, default: bool, at: datetime) -> None:
        """NotFound when absent."""
        ...

    def remove_registry(self, registry_id: str) -> bool: ...
    def add_entry(self, registry_id: str, entry: RegistryEntry, at: datetime) -> None:
        """NotFound for an unknown registry; Conflict when the DID has that role already."""
        ...

    def remove_entry(self, registry_id: str, did: str, role: EntryRole, at: datetime) -> bool: ...
    def entries_for(self, dids: Sequence[str]) -> dict[str, list[RegistryEntry]]:
        """The entries naming any of ``dids``, by registry id."""
        ...

    def facts_for(
        self, issuer: str
    ) -> tuple[dict[str, list[RegistryEntry]], list[StoredAccreditation]]:
        """In one read: the entries (by registry id) naming the issuer or any body that
        accredited it, and the issuer's accreditations (only when such a body is listed
        somewhere: otherwise none could count)."""
        ...

    def add_accreditation(self, record: StoredAccreditation) -> None:
        """Conflict when an accreditation with that id is stored."""
        ...

    def accreditations(self, *, issuer: str | None = None) -> list[StoredAccreditation]:
        """Stored accreditations (of ``issuer`` only, when given), oldest first."""
        ...

    def remove_accreditation(self, accreditation_id: str) -> bool: ...
    def get_choice(self, user_id: str) -> EmployerChoice | None: ...
    def save_choice(self, choice: EmployerChoice) -> None: ...
    def clear_choice(self, user_id: str) -> bool: ...


#: verifies signed credentials (their exact texts), one :class:`Check` each, in order
Checker = Callable[[Sequence[str]], list[Check]]


# ------------------------------------------------------------------------- registries


def _registry(store: TrustStore, registry_id: str) -> Registry:
    found = store.get_registry(registry_id)
    if found is None:
        raise NotFound(f"no trust registry {registry_id!r}")
    return found


def add_local_registry(
    store: TrustStore,
    registry_id: str,
    name: str,
    *,
    at: datetime,
    description: str = "",
    default: bool = False,
) -> Registry:
    """A new registry the operators keep by hand (no entries yet)."""
    registry = new_registry(
        registry_id,
        name,
        RegistrySource.LOCAL,
        description=description,
        default=default,
        updated_at=at,
    )
    store.add_registry(registry)
    return registry


def add_entry(store: TrustStore, registry_id: str, entry: RegistryEntry, *, at: datetime) -> None:
    """Add an entry to a local registry (imported ones change only by a new import)."""
    registry = _registry(store, registry_id)
    if registry.source is not RegistrySource.LOCAL:
        raise InvalidState(
            f"registry {registry_id!r} is an imported list: it changes only by importing a new "
            "edition"
        )
    store.add_entry(registry_id, entry, at)


def remove_entry(
    store: TrustStore, registry_id: str, did: str, role: EntryRole, *, at: datetime
) -> None:
    registry = _registry(store, registry_id)
    if registry.source is not RegistrySource.LOCAL:
        raise InvalidState(f"registry {registry_id!r} is an imported list; import a new edition")
    if not store.remove_entry(registry_id, did, role, at):
        raise NotFound(f"registry {registry_id!r} does not list {did} as {role.value}")


def set_default(store: TrustStore, registry_id: str, default: bool, *, at: datetime) -> None:
    store.set_default(check_registry_id(registry_id), default, at)


def remove_registry(store: TrustStore, registry_id: str) -> None:
    if not store.remove_registry(registry_id):
        raise NotFound(f"no trust registry {registry_id!r}")


def import_trust_list(
    store: TrustStore,
    document: Any,
    *,
    registry_id: str,
    publisher: str,
    at: datetime,
    documents: Iterable[dict[str, Any]] = (),
    default: bool | None = None,
) -> Registry:
    """Verify a signed trust list of the pinned ``publisher`` and store it as registry
    ``registry_id`` (see :func:`credstack.trust.lists.read_trust_list` for what is refused).

    Importing again replaces the registry with the new edition, if it is the same list of the
    same publisher and not older than the stored edition (an old edition is refused: it could
    bring back entries the publisher removed)."""
    check_registry_id(registry_id)
    read = read_trust_list(document, publisher=publisher, at=at, documents=documents)
    existing = store.get_registry(registry_id)
    if existing is not None:
        if existing.source is not RegistrySource.SIGNED_LIST or existing.publisher != publisher:
            raise Conflict(
                f"registry {registry_id!r} is not a list of {publisher}: choose another id, or "
                "remove it first"
            )
        if existing.list_id != read.list_id:
            raise Conflict(
                f"registry {registry_id!r} holds the list {existing.list_id}, not {read.list_id}"
            )
        if (
            existing.list_valid_from is not None
            and read.valid_from is not None
            and read.valid_from < existing.list_valid_from
        ):
            raise InvalidInput(
                "refused: this edition of the list is older than the one imported already"
            )
    registry = new_registry(
        registry_id,
        read.name,
        RegistrySource.SIGNED_LIST,
        entries=read.entries,
        description=read.description,
        default=default if default is not None else bool(existing and existing.default),
        publisher=publisher,
        list_id=read.list_id,
        list_valid_from=read.valid_from,
        list_valid_until=read.valid_until,
        updated_at=at,
    )
    if existing is None:
        store.add_registry(registry)
    else:
        store.replace_registry(registry)
    return registry


def import_dcc_registry(
    store: TrustStore,
    document: Any,
    *,
    registry_id: str,
    name: str,
    at: datetime,
    description: str = "",
    default: bool | None = None,
) -> Registry:
    """Store a DCC issuer-registry file as registry ``registry_id`` (replacing an earlier
    import of it).  Such files are unsigned: the operator vouches for the copy imported."""
    check_registry_id(registry_id)
    read = read_dcc_registry(document)
    existing = store.get_registry(registry_id)
    if existing is not None and existing.source is not RegistrySource.DCC:
        raise Conflict(f"registry {registry_id!r} is not a DCC registry: choose another id")
    registry = new_registry(
        registry_id,
        name,
        RegistrySource.DCC,
        entries=read.entries,
        description=description
        or "Digital Credentials Consortium issuer registry (unsigned; imported by the operators)",
        default=default if default is not None else bool(existing and existing.default),
        list_valid_from=read.updated,
        updated_at=at,
    )
    if existing is None:
        store.add_registry(registry)
    else:
        store.replace_registry(registry)
    return registry


# ------------------------------------------------------------------------- accreditations


def add_accreditation(
    store: TrustStore, document: Any, *, check: Check, at: datetime
) -> Accreditation:
    """Store an accreditation credential that verified (``check``: the verifier's verdict on
    it now); one that does not verify, or was revoked, is refused."""
    accreditation = read_accreditation(document, check)
    if not check.valid:
        reason = f": {check.reason}" if check.reason else ""
        raise ProofError(f"refused: the accreditation is {check.label.lower()}{reason}")
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    store.add_accreditation(
        StoredAccreditation(
            accreditation.id, accreditation.accreditor, accreditation.issuer, text, at
        )
    )
    return accreditation


def remove_accreditation(store: TrustStore, accreditation_id: str) -> None:
    if not store.remove_accreditation(accreditation_id):
        raise NotFound(f"no accreditation {accreditation_id!r}")


# ------------------------------------------------------------------------- employers


def chosen_registries(store: TrustStore, user_id: str) -> tuple[str, ...] | None:
    """The registry ids an employer chose (None: never chose, so the defaults apply)."""
    choice = store.get_choice(user_id)
    return None if choice is None else choice.registry_ids


def choose_registries(
    store: TrustStore, user_id: str, registry_ids: Sequence[str], *, at: datetime
) -> tuple[str, ...]:
    """Save an employer's choice (an empty choice trusts no registry)."""
    wanted = tuple(dict.fromkeys(registry_ids))
    if len(wanted) > MAX_CHOSEN:
        raise InvalidInput(f"choose at most {MAX_CHOSEN} registries")
    known = {r.id for r in store.registries()}
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise InvalidInput(f"there is no trust registry {unknown[0][:80]!r}")
    store.save_choice(EmployerChoice(user_id, wanted, at))
    return wanted


def registries_in_use(store: TrustStore, chosen: Sequence[str] | None) -> list[Registry]:
    """The registries (without entries) ``chosen`` names, or the defaults for ``None``."""
    every = store.registries()
    if chosen is None:
        return [r for r in every if r.default]
    wanted = set(chosen)
    return [r for r in every if r.id in wanted]


# ------------------------------------------------------------------------- recognition


class TrustView:
    """Recognition under a set of registries for one request: the store is read once per
    issuer asked about, and each accreditation is checked once."""

    def __init__(
        self, store: TrustStore, registries: Sequence[Registry], checker: Checker, at: datetime
    ) -> None:
        self.store = store
        self.registries = tuple(registries)
        self.checker = checker
        self.at = at
        self._seen: dict[tuple[str, str | None], Recognition] = {}

    @classmethod
    def open(
        cls,
        store: TrustStore,
        chosen: Sequence[str] | None,
        checker: Checker,
        at: datetime,
    ) -> TrustView:
        """The view of ``chosen`` registries (the defaults for ``None``)."""
        return cls(store, registries_in_use(store, chosen), checker, at)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.registries)

    def recognise(self, issuer: str, achievement_type: str | None = None) -> Recognition:
        key = (issuer, achievement_type)
        found = self._seen.get(key)
        if found is None:
            found = self._recognise(issuer, achievement_type)
            self._seen[key] = found
        return found

    def _recognise(self, issuer: str, achievement_type: str | None) -> Recognition:
        if not self.registries:
            return recognise(issuer, self.at, ())
        ids = {r.id for r in self.registries}
        entries, stored = self.store.facts_for(issuer)
        accreditations: list[Accreditation] = []
        if stored:
            accreditors = {
                e.did
                for registry_id, found in entries.items()
                if registry_id in ids
                for e in found
                if e.role is EntryRole.ACCREDITOR
            }
            counted = [a for a in stored if a.accreditor in accreditors]
            accreditations = _checked(counted, self.checker)
        views = [replace(r, entries=tuple(entries.get(r.id, ()))) for r in self.registries]
        return recognise(
            issuer,
            self.at,
            views,
            accreditations=accreditations,
            achievement_type=achievement_type,
        )


_READ: dict[str, Accreditation | None] = {}  # accreditation texts read (with a valid check)
_MAX_READ = 1_024


def _read(text: str) -> Accreditation | None:
    found = _READ.get(text, False)
    if found is False:
        try:
            found = read_accreditation(parse_json(text, what="accreditation"))
        except CredstackError:
            found = None  # stored before a rule changed: it cannot count
        if len(_READ) >= _MAX_READ:
            _READ.clear()
        _READ[text] = found
    return found if isinstance(found, Accreditation) else None


def _checked(stored: Sequence[StoredAccreditation], checker: Checker) -> list[Accreditation]:
    if not stored:
        return []
    checks = checker([s.credential_json for s in stored])
    out = []
    for record, check in zip(stored, checks, strict=True):
        read = _read(record.credential_json)
        if read is not None:
            out.append(replace(read, check=check))
    return out


# ------------------------------------------------------------------------- endorsements


@dataclass(frozen=True, slots=True)
class EndorsementView:
    """An endorsement as pages show it, with its own verdict."""

    id: str
    subject_id: str
    endorser: str  # the endorsing organisation's DID
    endorser_name: str
    name: str
    comment: str
    created_at: datetime
    check: Check
    recognition: Recognition | None = None  # of the endorser, under the registries in use

    @property
    def counted(self) -> bool:
        return self.check.valid


def _text(value: Any, limit: int = 10_000) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def endorsements_of(
    uow: UnitOfWork,
    subject_ids: Sequence[str],
    checker: Checker,
    trust: TrustView | None = None,
) -> list[EndorsementView]:
    """The endorsements of any of ``subject_ids`` (an organisation's DID, achievement or
    credential ids), oldest first, each verified by ``checker`` (at most
    :data:`MAX_ENDORSEMENTS_SHOWN`)."""
    found: dict[str, Any] = {}
    for subject_id in dict.fromkeys(subject_ids):
        for endorsement in uow.endorsements.for_subject(subject_id):
            found.setdefault(endorsement.id, endorsement)
    items = sorted(found.values(), key=lambda e: (e.created_at, e.id))[:MAX_ENDORSEMENTS_SHOWN]
    checks = checker([e.credential_json for e in items]) if items else []
    names: dict[str, str] = {}
    views = []
    for endorsement, check in zip(items, checks, strict=True):
        try:
            document = parse_json(endorsement.credential_json, what="endorsement")
        except CredstackError:
            document = {}
        issuer = document.get("issuer") if isinstance(document, Mapping) else None
        did = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        subject = document.get("credentialSubject") if isinstance(document, Mapping) else None
        if endorsement.endorser_organisation_id not in names:
            org = uow.organisations.get(endorsement.endorser_organisation_id)
            names[endorsement.endorser_organisation_id] = org.name if org else ""
        name = names[endorsement.endorser_organisation_id] or (
            _text(issuer.get("name"), 200) if isinstance(issuer, Mapping) else ""
        )
        endorser = did if isinstance(did, str) else ""
        views.append(
            EndorsementView(
                id=endorsement.id,
                subject_id=endorsement.subject_id,
                endorser=endorser,
                endorser_name=name or endorser or "an unknown organisation",
                name=_text(document.get("name"), 200) if isinstance(document, Mapping) else "",
                comment=_text(subject.get("endorsementComment"))
                if isinstance(subject, Mapping)
                else "",
                created_at=endorsement.created_at,
                check=check,
                recognition=trust.recognise(endorser) if trust and endorser else None,
            )
        )
    return views


@dataclass(frozen=True, slots=True)
class Tally:
    """Valid endorsements counted by endorsing organisation."""

    organisations: int  # distinct endorsers with at least one valid endorsement
    recognised: int  # of those, recognised by the registries in use
    not_valid: int  # endorsements that did not verify (never counted)

    def text(self) -> str:
        if not self.organisations:
            words = "No valid endorsement"
        else:
            plural = "s" if self.organisations != 1 else ""
            words = (
                f"Endorsed by {self.organisations} organisation{plural}, "
                f"{self.recognised} recognised"
            )
        if self.not_valid:
            words += f" ({self.not_valid} endorsement{'s' if self.not_valid != 1 else ''} not "
            words += "valid, not counted)"
        return words


def tally(views: Sequence[EndorsementView]) -> Tally:
    valid = [v for v in views if v.counted]
    endorsers = {v.endorser: v for v in valid}
    recognised = sum(1 for v in endorsers.values() if v.recognition and v.recognition.recognised)
    return Tally(len(endorsers), recognised, len(views) - len(valid))
