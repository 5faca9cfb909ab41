"""Employers' candidate search: learners who opted in, ranked by the asked skills their
verified, shared credentials cover.

Only learners whose portfolio is searchable (:attr:`PortfolioProfile.searchable`) are
considered, and only through their public and link-only credentials; a credential counts only
if it verifies now (the caller passes the verdicts: see :class:`VerdictCache`).

An asked skill is a phrase ("python", "data analysis").  With a skills framework at hand it is
also mapped to framework concepts (ESCO), so a credential aligned to the concept's URL matches
even when it names the skill differently; otherwise names are compared, ignoring case and
punctuation, a whole-word phrase inside a longer name matching too ("python" matches "Python
programming").  :func:`find_candidates` takes :class:`AskedSkill` values, so a later search by
occupation passes the occupation's skill concepts through :func:`asked_from_concepts`.

Candidates are ranked by coverage (the fraction of asked skills covered by a verified
credential), then by how many matching verified credentials they hold, then by handle.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from credstack.errors import CredstackError, InvalidInput, NotFound
from credstack.platform.wallet import (
    PortfolioProfile,
    ProfileView,
    Skill,
    WalletItem,
    WalletStore,
)

if TYPE_CHECKING:
    from credstack.skills.service import SkillsService

__all__ = [
    "MAX_ASKED",
    "MAX_QUERY",
    "AskedSkill",
    "Candidate",
    "Concept",
    "ConceptLookup",
    "Evidence",
    "VerdictCache",
    "Verdicts",
    "ask",
    "asked_from_concepts",
    "candidate_profile",
    "find_candidates",
    "parse_skills",
    "record_view",
    "shared_credentials",
    "skills_lookup",
]

MAX_ASKED = 20  # skills in one search
MAX_SKILL = 100  # characters of one asked skill
MAX_QUERY = 2_000  # characters of the whole query
MAX_RESULTS = 100
_WORDS = re.compile(r"[^\w+#]+")  # keeps "c++" and "c#" readable as words


def _norm(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.casefold()).split())


@dataclass(frozen=True, slots=True)
class Concept:
    """A skill of a framework (an ESCO skill: its URI and preferred label)."""

    uri: str
    label: str


#: a phrase to the framework concepts it means (empty: none found with confidence)
ConceptLookup = Callable[[str], Sequence[Concept]]


@dataclass(frozen=True, slots=True)
class AskedSkill:
    """One skill an employer asks for: the phrase shown, and the concepts that satisfy it."""

    text: str
    concepts: tuple[Concept, ...] = ()

    def matches(self, skill: Skill) -> bool:
        """Whether a credential's skill is this one (by concept URL, or by name)."""
        uris = {c.uri for c in self.concepts}
        if skill.url is not None and skill.url in uris:
            return True
        name = f" {_norm(skill.name)} "
        if name.strip() == "":
            return False
        for phrase in (self.text, *(c.label for c in self.concepts)):
            wanted = _norm(phrase)
            if wanted and f" {wanted} " in name:
                return True
        return False


def parse_skills(query: str) -> list[str]:
    """The comma-separated skills of ``query`` (trimmed, each once, in the order asked)."""
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"the skills asked are longer than {MAX_QUERY} characters")
    found: list[str] = []
    seen: set[str] = set()
    for part in query.split(","):
        phrase = " ".join(part.split())
        key = _norm(phrase)
        if not key or key in seen:
            continue
        if len(phrase) > MAX_SKILL:
            raise InvalidInput(f"one skill is at most {MAX_SKILL} characters: {phrase[:40]}…")
        seen.add(key)
        found.append(phrase)
    if not found:
        raise InvalidInput("name at least one skill (separate several with commas)")
    if len(found) > MAX_ASKED:
        raise InvalidInput(f"ask for at most {MAX_ASKED} skills at once")
    return found


def ask(names: Sequence[str], lookup: ConceptLookup | None = None) -> list[AskedSkill]:
    """The asked skills, each mapped to framework concepts when ``lookup`` is given."""
    asked = []
    for name in names:
        concepts = tuple(lookup(name)) if lookup is not None else ()
        asked.append(AskedSkill(name, concepts))
    return asked


def asked_from_concepts(concepts: Iterable[Concept]) -> list[AskedSkill]:
    """Asked skills straight from framework concepts (e.g. an occupation's essential skills)."""
    return [AskedSkill(c.label, (c,)) for c in concepts]


def skills_lookup(service: SkillsService) -> ConceptLookup:
    """A :data:`ConceptLookup` over the skills engine: the best concept for a phrase, when the
    engine is confident (no notice); none otherwise, so the name alone is compared."""

    def lookup(phrase: str) -> Sequence[Concept]:
        try:
            result = service.match(phrase, top=1)
        except CredstackError:  # an unusable phrase, or the framework is unavailable
            return ()
        if result.notice is not None or not result.matches:
            return ()
        best = result.matches[0]
        return (Concept(best.uri, best.label),)

    return lookup


# ------------------------------------------------------------------------------ verdicts

#: whether each wallet item verifies now, by item id
Verdicts = Callable[[Sequence[WalletItem]], Mapping[str, bool]]


class VerdictCache:
    """Verdicts for wallet items, each item checked at most once (one per request)."""

    def __init__(self, check: Callable[[Sequence[WalletItem]], Sequence[bool]]) -> None:
        self._check = check
        self._known: dict[str, bool] = {}

    def __call__(self, items: Sequence[WalletItem]) -> Mapping[str, bool]:
        unknown = list({i.id: i for i in items if i.id not in self._known}.values())
        if unknown:
            for item, valid in zip(unknown, self._check(unknown), strict=True):
                self._known[item.id] = valid
        return {i.id: self._known[i.id] for i in items}


# ------------------------------------------------------------------------------ search


@dataclass(frozen=True, slots=True)
class Evidence:
    """An asked skill covered by a verified credential (through one of its skills)."""

    asked: str
    item: WalletItem
    skill: Skill


@dataclass(frozen=True, slots=True)
class Candidate:
    profile: PortfolioProfile
    asked: tuple[str, ...]
    evidence: tuple[Evidence, ...]

    @property
    def covered(self) -> list[str]:
        """The asked skills covered, in the order asked."""
        have = {e.asked for e in self.evidence}
        return [a for a in self.asked if a in have]

    @property
    def missing(self) -> list[str]:
        have = {e.asked for e in self.evidence}
        return [a for a in self.asked if a not in have]

    @property
    def coverage(self) -> float:
        return len(self.covered) / len(self.asked) if self.asked else 0.0

    @property
    def percent(self) -> int:
        return round(self.coverage * 100)

    @property
    def credentials(self) -> list[WalletItem]:
        """The matching verified credentials, each once."""
        return list({e.item.id: e.item for e in self.evidence}.values())

    def evidence_for(self, asked: str) -> list[Evidence]:
        return [e for e in self.evidence if e.asked == asked]


def _evidence(item: WalletItem, asked: Sequence[AskedSkill]) -> list[Evidence]:
    found = []
    for wanted in asked:
        skill = next((s for s in item.skills if wanted.matches(s)), None)
        if skill is not None:
            found.append(Evidence(wanted.text, item, skill))
    return found


def _rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(
        candidates, key=lambda c: (-len(c.covered), -len(c.credentials), c.profile.handle)
    )


def _candidates(
    profiles: Sequence[PortfolioProfile],
    items: Sequence[WalletItem],
    asked: Sequence[AskedSkill],
    verdicts: Verdicts,
) -> list[Candidate]:
    matching = [(item, found) for item in items if (found := _evidence(item, asked))]
    valid = verdicts([item for item, _ in matching])
    by_user: dict[str, list[Evidence]] = {}
    for item, found in matching:
        if valid.get(item.id):
            by_user.setdefault(item.user_id, []).extend(found)
    texts = tuple(a.text for a in asked)
    return _rank(
        Candidate(p, texts, tuple(by_user[p.user_id])) for p in profiles if p.user_id in by_user
    )


def find_candidates(
    store: WalletStore,
    asked: Sequence[AskedSkill],
    verdicts: Verdicts,
    *,
    limit: int = MAX_RESULTS,
) -> list[Candidate]:
    """Opted-in learners holding a verified, shared credential for at least one asked skill,
    best first (coverage, then matching credentials, then handle)."""
    if not asked:
        raise InvalidInput("name at least one skill")
    profiles = store.searchable_profiles()
    if not profiles:
        return []
    items = store.shared_items([p.user_id for p in profiles])
    return _candidates(profiles, items, asked, verdicts)[:limit]


def candidate_profile(store: WalletStore, handle: str) -> PortfolioProfile:
    """An opted-in learner's profile; one who is not (or no longer) searchable is missing."""
    profile = store.profile_by_handle(handle.strip().lower()) if len(handle) <= 64 else None
    if profile is None or not profile.searchable:
        raise NotFound("no candidate with this address (or they left employer search)")
    return profile


def shared_credentials(
    store: WalletStore,
    profile: PortfolioProfile,
    asked: Sequence[AskedSkill],
    verdicts: Verdicts,
) -> tuple[Candidate | None, list[WalletItem]]:
    """What an employer sees of a candidate: how they cover ``asked`` (None when nothing was
    asked) and their verified shared credentials (the matching ones first when asked)."""
    items = store.shared_items([profile.user_id])
    valid = verdicts(items)
    verified = [i for i in items if valid.get(i.id)]
    if not asked:
        return None, verified
    found = _candidates([profile], verified, asked, lambda xs: {i.id: True for i in xs})
    match = found[0] if found else Candidate(profile, tuple(a.text for a in asked), ())
    first = {i.id for i in match.credentials}
    ordered = [i for i in verified if i.id in first] + [i for i in verified if i.id not in first]
    return match, ordered


def record_view(
    store: WalletStore,
    profile: PortfolioProfile,
    *,
    viewer_user_id: str,
    viewer_label: str,
    query: str,
    at: datetime,
) -> ProfileView:
    """Note that an employer looked at ``profile`` (the learner sees who and for what)."""
    view = ProfileView(
        id=str(uuid.uuid4()),
        learner_user_id=profile.user_id,
        viewer_user_id=viewer_user_id,
        viewer_label=viewer_label[:254],
        query=query[:MAX_QUERY],
        at=at,
    )
    store.add_view(view)
    return view
