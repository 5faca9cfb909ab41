"""Recognition: which registries recognise an issuer at a time, and why.

:func:`recognise` is pure: it reads the registries and accreditations it is given and
nothing else.  An issuer is recognised by a registry when, at the time asked,

* the registry is within its own validity period (imported lists carry one), and
* it lists the issuer's DID as an issuer, the entry holds at that time and covers the
  achievement type (when the entry has a scope) — "listed"; or
* an accreditation of the issuer counts: its credential verified (not revoked, suspended,
  expired or otherwise invalid), it holds at that time, and the registry lists its issuer as an
  accreditation body whose entry holds then and covers the achievement type — "accredited".

What did not count (an expired entry, an out-of-scope type, a revoked accreditation) is kept
as a :class:`Note`, so people see why an issuer they expected is not recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from credstack.proofs.dataintegrity import format_datetime
from credstack.trust.accreditation import Accreditation
from credstack.trust.model import EntryRole, Registry, RegistryEntry

__all__ = ["Basis", "Note", "Reason", "Recognition", "achievement_type_of", "recognise"]


class Basis(StrEnum):
    LISTED = "listed"
    ACCREDITED = "accredited"


def _day(at: datetime) -> str:
    return at.strftime("%-d %B %Y")


@dataclass(frozen=True, slots=True)
class Reason:
    """One registry recognising the issuer, and on what basis."""

    registry_id: str
    registry_name: str
    basis: Basis
    name: str  # the issuer's name as listed (or as the accreditation names it)
    valid_until: datetime | None = None
    accreditor: str | None = None  # accredited: the accreditation body's DID ...
    accreditor_name: str | None = None  # ... and name as the registry lists it
    accreditation_id: str | None = None

    def describe(self) -> str:
        until = f" until {_day(self.valid_until)}" if self.valid_until else ""
        if self.basis is Basis.LISTED:
            return f"{self.registry_name}: listed as “{self.name}”{until}"
        return (
            f"{self.registry_name}: accredited by {self.accreditor_name or self.accreditor} "
            f"(“{self.name}”){until}"
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "registry": self.registry_id,
            "registryName": self.registry_name,
            "basis": self.basis.value,
            "name": self.name,
        }
        if self.valid_until is not None:
            out["validUntil"] = format_datetime(self.valid_until)
        if self.accreditor is not None:
            out["accreditor"] = self.accreditor
            out["accreditorName"] = self.accreditor_name
            out["accreditation"] = self.accreditation_id
        return out


@dataclass(frozen=True, slots=True)
class Note:
    """Something a registry holds about the issuer that did not count, and why."""

    registry_id: str
    registry_name: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"registry": self.registry_id, "registryName": self.registry_name, "note": self.text}


@dataclass(frozen=True, slots=True)
class Recognition:
    issuer: str
    at: datetime
    consulted: tuple[tuple[str, str], ...]  # (id, name) of every registry consulted
    reasons: tuple[Reason, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def recognised(self) -> bool:
        return bool(self.reasons)

    @property
    def registry_names(self) -> tuple[str, ...]:
        """The names of the registries that recognise the issuer, each once, in order."""
        return tuple(dict.fromkeys(r.registry_name for r in self.reasons))

    @property
    def consulted_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.consulted)

    def summary(self) -> str:
        if self.reasons:
            return f"Recognised by {_and(self.registry_names)}"
        if not self.consulted:
            return "No trust registry was consulted"
        return "Not recognised by the registries you trust"

    def to_json(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "recognised": self.recognised,
            "summary": self.summary(),
            "checkedAt": format_datetime(self.at),
            "consulted": [{"id": i, "name": n} for i, n in self.consulted],
            "recognisedBy": [r.to_json() for r in self.reasons],
            "notes": [n.to_json() for n in self.notes],
        }


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _scope(entry: RegistryEntry) -> str:
    return ", ".join(entry.scope)


def _entry_problem(
    entry: RegistryEntry, at: datetime, achievement_type: str | None, what: str
) -> str | None:
    """Why ``entry`` does not count at ``at`` for ``achievement_type`` (None: it counts)."""
    if entry.valid_from is not None and at < entry.valid_from:
        return f"it lists {what} only from {_day(entry.valid_from)}"
    if entry.valid_until is not None and at >= entry.valid_until:
        return f"it listed {what} only until {_day(entry.valid_until)}"
    if not entry.covers(achievement_type):
        kind = f"not for {achievement_type}" if achievement_type else "for named types only"
        return f"it lists {what} for {_scope(entry)} only ({kind})"
    return None


def _accreditation_problem(accreditation: Accreditation, at: datetime) -> str | None:
    check = accreditation.check
    if not check.valid:
        reason = f": {check.reason}" if check.reason else ""
        return f"{check.label.lower()}{reason}"
    if accreditation.valid_from is not None and at < accreditation.valid_from:
        return f"valid only from {_day(accreditation.valid_from)}"
    if accreditation.valid_until is not None and at >= accreditation.valid_until:
        return f"expired on {_day(accreditation.valid_until)}"
    return None


def _in_registry(
    registry: Registry,
    issuer: str,
    at: datetime,
    accreditations: Sequence[Accreditation],
    achievement_type: str | None,
) -> tuple[list[Reason], list[Note]]:
    reasons: list[Reason] = []
    notes: list[Note] = []

    def note(text: str) -> None:
        notes.append(Note(registry.id, registry.name, text))

    if not registry.list_current(at):
        if registry.entries_for(issuer, EntryRole.ISSUER) or any(
            registry.entries_for(a.accreditor, EntryRole.ACCREDITOR) for a in accreditations
        ):
            ended = registry.list_valid_until
            if ended is not None and at >= ended:
                note(f"the list expired on {_day(ended)}; import a newer one")
            elif registry.list_valid_from is not None:
                note(f"the list is valid only from {_day(registry.list_valid_from)}")
        return reasons, notes
    for entry in registry.entries_for(issuer, EntryRole.ISSUER):
        problem = _entry_problem(entry, at, achievement_type, "this issuer")
        if problem is None:
            reasons.append(
                Reason(registry.id, registry.name, Basis.LISTED, entry.name, entry.valid_until)
            )
        else:
            note(problem)
    for accreditation in accreditations:
        bodies = registry.entries_for(accreditation.accreditor, EntryRole.ACCREDITOR)
        for body in bodies:
            problem = _entry_problem(body, at, achievement_type, f"the body {body.name}")
            if problem is None:
                problem = _accreditation_problem(accreditation, at)
                if problem is not None:
                    problem = f"the accreditation by {body.name} is {problem}"
            if problem is not None:
                note(problem)
                continue
            ends = [d for d in (accreditation.valid_until, body.valid_until) if d is not None]
            reasons.append(
                Reason(
                    registry.id,
                    registry.name,
                    Basis.ACCREDITED,
                    accreditation.name,
                    min(ends) if ends else None,
                    accreditor=accreditation.accreditor,
                    accreditor_name=body.name,
                    accreditation_id=accreditation.id,
                )
            )
    return reasons, notes


def recognise(
    issuer: str,
    at: datetime,
    registries: Iterable[Registry],
    *,
    accreditations: Iterable[Accreditation] = (),
    achievement_type: str | None = None,
) -> Recognition:
    """Which of ``registries`` recognise ``issuer`` at ``at`` (for credentials of
    ``achievement_type``, when known), directly or through ``accreditations`` of it."""
    mine = [a for a in accreditations if a.issuer == issuer]
    consulted: list[tuple[str, str]] = []
    reasons: list[Reason] = []
    notes: list[Note] = []
    for registry in registries:
        consulted.append((registry.id, registry.name))
        found, why_not = _in_registry(registry, issuer, at, mine, achievement_type)
        reasons += found
        notes += why_not
    return Recognition(issuer, at, tuple(consulted), tuple(reasons), tuple(notes))


def achievement_type_of(document: Any) -> str | None:
    """The ``achievementType`` of an Open Badge's achievement (None when it has none)."""
    if not isinstance(document, Mapping):
        return None
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = next((s for s in subject if isinstance(s, Mapping)), None)
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    kind = achievement.get("achievementType") if isinstance(achievement, Mapping) else None
    return kind if isinstance(kind, str) and len(kind) <= 100 else None
