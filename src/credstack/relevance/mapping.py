"""A job posting's skills, found by the skills engine's own matcher (its fast path).

No mapper of our own: :func:`map_posting` asks the matcher that gap analysis uses for a
pasted posting (:meth:`credstack.skills.service.SkillsService.match`, or a
:class:`~credstack.skills.matching.SkillMatcher` directly) and keeps its confident answers:
the best :data:`TOP` skills scoring at least :data:`MIN_SCORE`.  On 200 generated postings
(5–10 gold skills each) these bounds keep 0.89 of the skills found correct and find 0.92 of
the gold ones (the matcher's full top 25, as gap analysis shows it, finds 0.97 at 0.29).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

from credstack.relevance.postings import Posting, language_of
from credstack.skills.matching import MatchResult

__all__ = ["MIN_SCORE", "TOP", "Mapped", "Matcher", "SkillHit", "Status", "map_posting"]

TOP: Final = 15
MIN_SCORE: Final = 0.8

Status = Literal["mapped", "unmapped-language", "no-skills"]


class Matcher(Protocol):
    """What :func:`map_posting` needs: ``SkillsService`` and ``SkillMatcher`` both fit."""

    def match(self, text: str, *, top: int = 10) -> MatchResult: ...


@dataclass(frozen=True, slots=True)
class SkillHit:
    uri: str
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class Mapped:
    """The outcome for one posting: its language, status and skills (best first)."""

    language: str
    status: Status
    skills: tuple[SkillHit, ...] = ()
    note: str | None = None


def map_posting(matcher: Matcher, posting: Posting) -> Mapped:
    """The posting's skills; a posting not in English is not mapped (``unmapped-language``):
    the skills index is English-only and a guess would count it under the wrong skills."""
    language, english = language_of(posting)
    if not english:
        return Mapped(
            language,
            "unmapped-language",
            note=f"written in {language}: the skills index is English-only",
        )
    found = matcher.match(posting.text, top=TOP)
    hits = tuple(
        SkillHit(m.uri, m.label, round(m.score, 4)) for m in found.matches if m.score >= MIN_SCORE
    )
    if not hits:
        return Mapped(language, "no-skills", note=found.notice or "no skill matched confidently")
    return Mapped(language, "mapped", hits, found.notice)
