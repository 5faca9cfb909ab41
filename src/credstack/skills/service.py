"""The skills engine as one object an application holds: the framework and the matcher are
loaded once (lazily, thread-safe), and every question — match, gap, plan, pathway progress —
goes through it.  No web and no database here: the HTTP layer passes credentials it has
already verified and a catalog it has read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credstack.errors import InvalidInput
from credstack.skills.catalog import Achievement, Catalog
from credstack.skills.framework import (
    ESCO_ATTRIBUTION,
    ONET_ATTRIBUTION,
    Framework,
    load_esco,
)
from credstack.skills.gap import GapReport, gap_for_occupation, gap_for_skills, needed_from_matches
from credstack.skills.matching import MatchResult, SkillMatcher
from credstack.skills.pathways import Pathway
from credstack.skills.planner import PlanResult, plan_path
from credstack.skills.profile import SkillProfile, build_profile

__all__ = ["Attribution", "SkillSuggestion", "SkillsService", "catalog_item"]

MAX_NEEDED = 500
HOURS_PER_ECTS = 27.5  # the ECTS users' guide: 25 to 30 hours of work per credit


@dataclass(frozen=True, slots=True)
class Attribution:
    name: str
    version: str
    notice: str


ATTRIBUTIONS = (
    Attribution("ESCO", "1.2.0", ESCO_ATTRIBUTION),
    Attribution("O*NET", "29.2", ONET_ATTRIBUTION),
)


@dataclass(frozen=True, slots=True)
class SkillSuggestion:
    """A skill suggested for an achievement: its alignment fields (the skills alignment rule of
    ``docs/eu-elements.md``), the match score in 0..1 and the phrases that matched."""

    url: str
    name: str
    framework: str | None
    code: str | None
    score: float
    evidence: tuple[str, ...]


class SkillsService:
    """Framework, matcher and the analyses over them."""

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        framework: Framework | None = None,
        matcher: SkillMatcher | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._framework = framework if matcher is None else matcher.framework
        self._matcher = matcher
        self._lock = threading.Lock()

    @property
    def framework(self) -> Framework:
        with self._lock:
            if self._framework is None:
                self._framework = load_esco()
            return self._framework

    @property
    def matcher(self) -> SkillMatcher:
        framework = self.framework
        with self._lock:
            if self._matcher is None:
                self._matcher = SkillMatcher.build(framework, cache_dir=self._cache_dir)
            return self._matcher

    def match(self, text: str, *, top: int = 10) -> MatchResult:
        return self.matcher.match(text, top=top)

    def suggest(self, text: str, *, top: int = 8) -> tuple[list[SkillSuggestion], str | None]:
        """Skills to align an achievement described by ``text`` to, best first, and the
        matcher's notice (why the answer is empty or uncertain), if any."""
        found = self.match(text, top=top)
        suggestions = []
        for m in found.matches:
            alignment = self.framework.alignment(m.uri)
            suggestions.append(
                SkillSuggestion(
                    url=alignment["targetUrl"],
                    name=alignment["targetName"],
                    framework=alignment.get("targetFramework"),
                    code=alignment.get("targetCode"),
                    score=round(m.score, 4),
                    evidence=tuple(m.evidence),
                )
            )
        return suggestions, found.notice

    def profile(
        self, verified_credentials: Iterable[Mapping[str, Any]], declared: Iterable[str] = ()
    ) -> SkillProfile:
        declared = list(declared)
        for uri in declared:
            self.framework.skill(uri)  # NotFound for an unknown skill
        return build_profile(verified_credentials, declared=declared)

    def gap(
        self,
        profile: SkillProfile,
        *,
        occupation: str | None = None,
        posting: str | None = None,
        include_optional: bool = False,
        top: int = 25,
    ) -> tuple[GapReport, MatchResult | None]:
        """Against an occupation URI or a pasted posting (exactly one)."""
        if (occupation is None) == (posting is None):
            raise InvalidInput("give an occupation URI or a job posting text (one of them)")
        if occupation is not None:
            report = gap_for_occupation(
                self.framework, profile, occupation, include_optional=include_optional
            )
            return report, None
        assert posting is not None
        found = self.match(posting, top=top)
        needed, evidence = needed_from_matches(found.matches)
        report = gap_for_skills(
            self.framework,
            profile,
            needed,
            target="posting",
            target_label="the job posting",
            evidence=evidence,
        )
        return report, found

    def needed(
        self,
        *,
        need: Sequence[str] | None = None,
        occupation: str | None = None,
        include_optional: bool = False,
    ) -> list[str]:
        """Skill URIs to plan for: a list, or an occupation's skills."""
        if need is not None and occupation is not None:
            raise InvalidInput("give the needed skills or an occupation URI, not both")
        if need is None and occupation is None:
            return []
        if occupation is not None:
            found = self.framework.occupation(occupation)
            uris = list(found.essential) + (list(found.optional) if include_optional else [])
            return list(dict.fromkeys(uris))
        assert need is not None
        if len(need) > MAX_NEEDED:
            raise InvalidInput(f"at most {MAX_NEEDED} needed skills")
        for uri in need:
            self.framework.skill(uri)
        return list(dict.fromkeys(need))

    def plan(
        self,
        catalog: Catalog,
        need: Sequence[str],
        *,
        have: Iterable[str] = (),
        have_achievements: Iterable[str] = (),
        minimize: str = "hours",
        min_quality: float | None = None,
        pathway: Pathway | None = None,
    ) -> PlanResult:
        return plan_path(
            catalog,
            need,
            have=have,
            have_achievements=have_achievements,
            objective=minimize,
            min_quality=min_quality,
            label=self.framework.label_of,
            pathway=pathway,
        )


def catalog_item(achievement_id: str, data: Mapping[str, Any], issuer: str) -> Achievement | None:
    """A platform achievement version's design as a planner catalog item (``None`` when it
    names no skills or no workload).  Hours: the EU workload, else ECTS × 27.5; price 0
    (credstack does not sell)."""
    skills = tuple(s["url"] for s in data.get("skills", []) if isinstance(s, dict) and "url" in s)
    hours = data.get("workload_hours")
    if hours is None and data.get("ects") is not None:
        hours = float(data["ects"]) * HOURS_PER_ECTS
    if not skills or hours is None:
        return None
    return Achievement(
        id=achievement_id,
        name=str(data.get("name", achievement_id)),
        skills=skills,
        hours=float(hours),
        price=0.0,
        issuer=issuer,
    )
