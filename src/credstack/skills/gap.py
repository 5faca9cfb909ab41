"""Skill-gap analysis: what a learner has, partly has and lacks for an occupation or a job
posting.

* **covered** — a needed skill the learner holds (proven by a credential, or declared: each
  item says which);
* **partial** — not held, but the learner holds a closely related skill: one linked to it in
  the framework (ESCO skill–skill relations), or a sibling in the same skill group; the item
  names the related skill and the link, so the learner can judge it;
* **missing** — neither.

Essential and optional skills of an ESCO occupation are reported apart (optional ones only
when asked).  For a pasted posting, the needed skills are those the text-to-skills matcher
finds, each with the phrase of the posting that named it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credstack.skills.framework import Framework
from credstack.skills.profile import SkillProfile

__all__ = ["GapItem", "GapReport", "gap_for_occupation", "gap_for_skills"]


#: a group with more members than this says little about two of them being close
MAX_GROUP_FOR_PARTIAL = 60


@dataclass(frozen=True, slots=True)
class GapItem:
    uri: str
    label: str
    essential: bool
    status: str  # "covered" | "partial" | "missing"
    explanation: str
    via: tuple[str, ...] = ()  # the held skills that make it partial
    evidence: tuple[str, ...] = ()  # phrases of a posting that asked for it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uri": self.uri,
            "label": self.label,
            "essential": self.essential,
            "explanation": self.explanation,
        }
        if self.via:
            out["via"] = list(self.via)
        if self.evidence:
            out["evidence"] = list(self.evidence)
        return out


@dataclass(frozen=True, slots=True)
class GapReport:
    target: str  # occupation URI or "posting"
    target_label: str
    covered: list[GapItem] = field(default_factory=list)
    partial: list[GapItem] = field(default_factory=list)
    missing: list[GapItem] = field(default_factory=list)

    @property
    def missing_uris(self) -> list[str]:
        """What a learning path must teach (partial skills included: related is not held)."""
        return [i.uri for i in self.missing + self.partial]

    def to_json(self) -> dict[str, Any]:
        needed = len(self.covered) + len(self.partial) + len(self.missing)
        return {
            "target": self.target,
            "label": self.target_label,
            "coverage": round(len(self.covered) / needed, 4) if needed else 1.0,
            "covered": [i.to_json() for i in self.covered],
            "partial": [i.to_json() for i in self.partial],
            "missing": [i.to_json() for i in self.missing],
        }


@functools.lru_cache(maxsize=4)
def _members(framework: Framework) -> dict[str, tuple[str, ...]]:
    """Skill group URI -> its member skills (for sibling lookups)."""
    members: dict[str, list[str]] = {}
    for skill in framework.skills.values():
        for group in skill.broader:
            members.setdefault(group, []).append(skill.uri)
    return {group: tuple(uris) for group, uris in members.items()}


def _neighbours(framework: Framework, uri: str) -> dict[str, str]:
    """Skills close to ``uri``, each with how: framework links first, then siblings in a
    small skill group."""
    out: dict[str, str] = {}
    for other in framework.related.get(uri, ()):
        out.setdefault(other, "linked to it in the framework")
    skill = framework.skills.get(uri)
    for group in skill.broader if skill is not None else ():
        siblings = _members(framework).get(group, ())
        if len(siblings) > MAX_GROUP_FOR_PARTIAL:
            continue
        for sibling in siblings:
            if sibling != uri:
                out.setdefault(sibling, f"in the same skill group ({framework.label_of(group)})")
    return out


def gap_for_skills(
    framework: Framework,
    profile: SkillProfile,
    needed: Sequence[tuple[str, bool]],
    *,
    target: str,
    target_label: str,
    evidence: Mapping[str, Sequence[str]] | None = None,
) -> GapReport:
    """The gap between ``profile`` and ``needed`` ((skill URI, essential) pairs)."""
    report = GapReport(target, target_label)
    held = profile.all_skills
    seen: set[str] = set()
    for uri, essential in needed:
        if uri in seen:
            continue
        seen.add(uri)
        label = framework.label_of(uri)
        phrases = tuple((evidence or {}).get(uri, ()))
        if uri in profile.proven:
            proofs = profile.verified[uri]
            names = ", ".join(sorted({f"{p.achievement} ({p.issuer_name})" for p in proofs}))
            item = GapItem(uri, label, essential, "covered", f"proven by {names}", (), phrases)
            report.covered.append(item)
            continue
        if uri in profile.declared:
            item = GapItem(uri, label, essential, "covered", "self-declared (not proven by a "
                           "credential)", (), phrases)  # fmt: skip
            report.covered.append(item)
            continue
        close = {other: how for other, how in _neighbours(framework, uri).items() if other in held}
        if close:
            via = tuple(sorted(close))
            first = via[0]
            explanation = f"you hold '{framework.label_of(first)}', {close[first]}" + (
                f", and {len(via) - 1} more related skill(s)" if len(via) > 1 else ""
            )
            report.partial.append(
                GapItem(uri, label, essential, "partial", explanation, via, phrases)
            )
            continue
        report.missing.append(
            GapItem(uri, label, essential, "missing", "no credential or related skill", (), phrases)
        )
    return report


def gap_for_occupation(
    framework: Framework,
    profile: SkillProfile,
    occupation_uri: str,
    *,
    include_optional: bool = False,
) -> GapReport:
    """The gap for an ESCO occupation (essential skills; optional ones too if asked)."""
    occupation = framework.occupation(occupation_uri)  # NotFound for an unknown URI
    needed = [(u, True) for u in occupation.essential]
    if include_optional:
        needed += [(u, False) for u in occupation.optional if u not in set(occupation.essential)]
    return gap_for_skills(
        framework, profile, needed, target=occupation_uri, target_label=str(occupation.label)
    )


def needed_from_matches(
    matches: Iterable[Any],
) -> tuple[list[tuple[str, bool]], dict[str, list[str]]]:
    """Needed skills (all essential) and their evidence phrases from matcher results."""
    needed: list[tuple[str, bool]] = []
    evidence: dict[str, list[str]] = {}
    for match in matches:
        needed.append((match.uri, True))
        evidence[match.uri] = list(match.evidence)
    return needed, evidence
