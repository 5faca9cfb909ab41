"""Skills intelligence: ESCO/O*NET frameworks and text-to-skill matching (docs/skills.md)."""

from credstack.skills.framework import (
    ESCO_ATTRIBUTION,
    ONET_ATTRIBUTION,
    Framework,
    Occupation,
    OnetData,
    Skill,
    alignment,
    load_custom,
    load_esco,
    load_onet,
)
from credstack.skills.matching import Match, MatchResult, SkillMatcher

__all__ = [
    "ESCO_ATTRIBUTION",
    "ONET_ATTRIBUTION",
    "Framework",
    "Match",
    "MatchResult",
    "Occupation",
    "OnetData",
    "Skill",
    "SkillMatcher",
    "alignment",
    "load_custom",
    "load_esco",
    "load_onet",
]
