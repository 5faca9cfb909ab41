"""Relevance of achievements to the job market: job postings are parsed, mapped to skills with
the skills engine, and counted per achievement over time (``docs/relevance.md``).

Pure (no web, no database): the platform layer (:mod:`credstack.platform.relevance`) stores
postings and their skills once and computes the figures from what it stored.
"""

from credstack.relevance.figures import (
    AchievementFigures,
    Pairing,
    PostingSkills,
    SkillFigures,
    Trend,
    achievement_figures,
    trend,
)
from credstack.relevance.mapping import Mapped, Matcher, SkillHit, map_posting
from credstack.relevance.postings import LineError, ParseResult, Posting, parse_postings

__all__ = [
    "AchievementFigures",
    "LineError",
    "Mapped",
    "Matcher",
    "Pairing",
    "ParseResult",
    "Posting",
    "PostingSkills",
    "SkillFigures",
    "SkillHit",
    "Trend",
    "achievement_figures",
    "map_posting",
    "parse_postings",
    "trend",
]
