""":class:`~credstack.platform.relevance.RelevanceStore` in memory (one process; lost on
restart)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from credstack.platform.relevance import PoolStats, StoredPosting
from credstack.relevance.figures import PostingSkills
from credstack.relevance.mapping import SkillHit
from credstack.storage._common import utc_record

__all__ = ["MemoryRelevanceStore"]


def _unique(hits: tuple[SkillHit, ...]) -> tuple[SkillHit, ...]:
    seen: set[str] = set()
    out: list[SkillHit] = []
    for hit in hits:
        if hit.uri not in seen:
            seen.add(hit.uri)
            out.append(hit)
    return tuple(out)


class MemoryRelevanceStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._postings: dict[str, StoredPosting] = {}
        self._by_skill: dict[str, set[str]] = {}

    def __repr__(self) -> str:
        return f"MemoryRelevanceStore({len(self._postings)} postings)"

    def digests(self, keys: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {k: self._postings[k].digest for k in keys if k in self._postings}

    def add(self, postings: Sequence[StoredPosting]) -> int:
        checked = [  # naive times refused before any change; a skill counted once
            replace(utc_record(p), skills=_unique(p.skills)) for p in postings
        ]
        added = 0
        with self._lock:
            for posting in checked:
                if posting.key in self._postings:
                    continue
                self._postings[posting.key] = posting
                for hit in posting.skills:
                    self._by_skill.setdefault(hit.uri, set()).add(posting.key)
                added += 1
        return added

    def get(self, key: str) -> StoredPosting | None:
        with self._lock:
            return self._postings.get(key)

    def stats(self) -> PoolStats:
        with self._lock:
            postings = list(self._postings.values())
        days = [p.posted_on for p in postings]
        return PoolStats(
            total=len(postings),
            mapped=sum(1 for p in postings if p.status == "mapped"),
            unmapped_language=sum(1 for p in postings if p.status == "unmapped-language"),
            no_skills=sum(1 for p in postings if p.status == "no-skills"),
            first=min(days, default=None),
            last=max(days, default=None),
        )

    def count_mapped(self, since: date, until: date) -> int:
        with self._lock:
            return sum(
                1
                for p in self._postings.values()
                if p.status == "mapped" and since <= p.posted_on <= until
            )

    def postings_with_any(
        self, uris: Sequence[str], since: date, until: date
    ) -> list[PostingSkills]:
        with self._lock:
            keys = set().union(*(self._by_skill.get(u, set()) for u in uris))
            found = [self._postings[k] for k in keys]
        return sorted(
            (
                PostingSkills(p.key, p.posted_on, frozenset(h.uri for h in p.skills))
                for p in found
                if since <= p.posted_on <= until
            ),
            key=lambda p: (p.posted_on, p.key),
        )

    def skill_labels(self, uris: Sequence[str]) -> dict[str, str]:
        wanted = set(uris)
        out: dict[str, str] = {}
        with self._lock:
            for uri in wanted:
                for key in self._by_skill.get(uri, ()):
                    hit = next(h for h in self._postings[key].skills if h.uri == uri)
                    out[uri] = hit.label
                    break
        return out
