"""The deployment's pool of job postings and the relevance figures of achievements.

Postings are market data, not an organisation's: one pool per deployment, filled by
operators (``credstack postings import``) and by any organisation's issuers or owners
(``POST /orgs/{slug}/postings``); every organisation's figures read the same pool.

Each posting is mapped to skills **once**, when it is imported, and stored with its skills;
importing the same posting again (the same ``id``, or the same content when it has none) is
skipped without asking the matcher.  Figures are computed from the stored mappings only, so
showing them never runs the matcher.  Imports are written in batches, each batch in one
transaction with every posting whole (its row and its skills): an import cut short keeps the
batches it finished, and running it again maps only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Protocol

from credstack.errors import InvalidInput
from credstack.platform.domain import AchievementStatus, AchievementVersion, Organisation
from credstack.platform.ports import UnitOfWork
from credstack.relevance.figures import (
    AchievementFigures,
    PostingSkills,
    achievement_figures,
    month_starts,
    window_start,
)
from credstack.relevance.mapping import Mapped, Matcher, SkillHit, map_posting
from credstack.relevance.postings import (
    MAX_FILE_BYTES,
    MAX_POSTINGS,
    Kind,
    LineError,
    Posting,
    language_of,
    parse_postings,
)

__all__ = [
    "BATCH",
    "ImportReport",
    "PoolStats",
    "RelevanceStore",
    "StoredPosting",
    "achievement_relevance",
    "import_postings",
    "organisation_relevance",
]

BATCH: Final = 200
MAX_SKILLS_PER_QUERY: Final = 2000


@dataclass(frozen=True, slots=True)
class StoredPosting:
    """A posting in the pool with the skills it was mapped to (best first)."""

    key: str
    source_id: str | None
    digest: str
    title: str
    text: str
    location: str
    posted_on: date
    language: str
    status: str  # "mapped" | "unmapped-language" | "no-skills"
    imported_at: datetime
    imported_by: str
    skills: tuple[SkillHit, ...] = ()


@dataclass(frozen=True, slots=True)
class PoolStats:
    total: int
    mapped: int
    unmapped_language: int
    no_skills: int
    first: date | None
    last: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "postings": self.total,
            "mapped": self.mapped,
            "unmappedLanguage": self.unmapped_language,
            "noSkills": self.no_skills,
            "from": None if self.first is None else self.first.isoformat(),
            "to": None if self.last is None else self.last.isoformat(),
        }


class RelevanceStore(Protocol):
    """Where the pool lives (``storage.relevance_memory``, ``storage.relevance_sql``)."""

    def digests(self, keys: Sequence[str]) -> dict[str, str]:
        """The stored content digest of each of ``keys`` that is in the pool."""
        ...

    def add(self, postings: Sequence[StoredPosting]) -> int:
        """Store postings with their skills in one transaction; keys already stored are
        left as they are.  Returns how many were added."""
        ...

    def get(self, key: str) -> StoredPosting | None: ...

    def stats(self) -> PoolStats: ...

    def count_mapped(self, since: date, until: date) -> int:
        """Mapped postings dated from ``since`` to ``until`` (both included)."""
        ...

    def postings_with_any(
        self, uris: Sequence[str], since: date, until: date
    ) -> list[PostingSkills]:
        """Every posting dated from ``since`` to ``until`` with one of ``uris`` among its
        skills, with all its skills."""
        ...

    def skill_labels(self, uris: Sequence[str]) -> dict[str, str]:
        """The label stored with each skill URI (as the matcher named it)."""
        ...


# ------------------------------------------------------------------------------ import


@dataclass
class ImportReport:
    kind: Kind
    records: int
    dry_run: bool
    new: int = 0  # added to the pool (or would be, in a dry run)
    skipped: int = 0  # in the pool already, or repeated in the file
    mapped: int = 0
    unmapped_language: int = 0
    no_skills: int = 0
    errors: list[LineError] = field(default_factory=list)
    errors_omitted: int = 0

    @property
    def invalid(self) -> int:
        return len(self.errors) + self.errors_omitted

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "kind": self.kind,
            "records": self.records,
            "new": self.new,
            "skipped": self.skipped,
            "invalid": self.invalid,
            "mapped": self.mapped,
            "unmappedLanguage": self.unmapped_language,
            "noSkills": self.no_skills,
            "errors": [e.to_json() for e in self.errors],
            "errorsOmitted": self.errors_omitted,
        }


def _fresh(
    store: RelevanceStore, postings: Sequence[Posting], report: ImportReport
) -> list[Posting]:
    """The postings not in the pool yet (first of each key); repeats are skipped, a known
    key with other content is an error (postings are immutable: a changed one needs a new
    id)."""
    first: dict[str, Posting] = {}
    for posting in postings:
        key = posting.key
        earlier = first.get(key)
        if earlier is None:
            first[key] = posting
        elif earlier.digest == posting.digest:
            report.skipped += 1
        else:
            report.errors.append(
                LineError(
                    posting.line,
                    f"id {posting.id!r} is used on line {earlier.line} for another posting",
                )
            )
    keys = list(first)
    known: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        known.update(store.digests(keys[start : start + 1000]))
    out: list[Posting] = []
    for key, posting in first.items():
        digest = known.get(key)
        if digest is None:
            out.append(posting)
        elif digest == posting.digest:
            report.skipped += 1
        else:
            report.errors.append(
                LineError(
                    posting.line,
                    f"posting id {posting.id!r} was imported before with other content; "
                    "postings are not changed once imported: give the new one its own id",
                )
            )
    report.errors.sort(key=lambda e: e.line)
    return out


def _stored(posting: Posting, mapped: Mapped, *, at: datetime, by: str) -> StoredPosting:
    return StoredPosting(
        key=posting.key,
        source_id=posting.id,
        digest=posting.digest,
        title=posting.title,
        text=posting.text,
        location=posting.location,
        posted_on=posting.posted_on,
        language=mapped.language,
        status=mapped.status,
        imported_at=at,
        imported_by=by,
        skills=mapped.skills,
    )


def _count(report: ImportReport, status: str) -> None:
    if status == "mapped":
        report.mapped += 1
    elif status == "unmapped-language":
        report.unmapped_language += 1
    else:
        report.no_skills += 1


def import_postings(
    store: RelevanceStore,
    matcher: Matcher | None,
    data: bytes,
    *,
    at: datetime,
    imported_by: str,
    kind: Kind | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH,
    max_postings: int = MAX_POSTINGS,
    max_bytes: int = MAX_FILE_BYTES,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read a JSON Lines or CSV file of postings, map each new one with ``matcher`` and store
    it.  Refused records are listed (the rest is imported); a file that cannot be read at all
    raises :class:`InvalidInput` before anything is stored.  ``dry_run`` checks and counts
    without mapping or storing (no matcher needed).  ``progress`` is told the number of
    postings stored after each batch."""
    if not 1 <= batch_size <= 10_000:
        raise InvalidInput("the batch size must be from 1 to 10,000")
    parsed = parse_postings(
        data, today=at.date(), kind=kind, max_postings=max_postings, max_bytes=max_bytes
    )
    report = ImportReport(
        parsed.kind,
        parsed.records,
        dry_run,
        errors=list(parsed.errors),
        errors_omitted=parsed.errors_omitted,
    )
    fresh = _fresh(store, parsed.postings, report)
    if dry_run:
        report.new = len(fresh)
        for posting in fresh:
            english = language_of(posting)[1]
            _count(report, "mapped" if english else "unmapped-language")
        return report
    if matcher is None:
        raise InvalidInput("no skills matcher to map the postings with")
    for start in range(0, len(fresh), batch_size):
        batch = []
        for posting in fresh[start : start + batch_size]:
            mapped = map_posting(matcher, posting)
            batch.append(_stored(posting, mapped, at=at, by=imported_by))
        added = store.add(batch)
        report.new += added
        report.skipped += len(batch) - added  # stored meanwhile by another import
        for item in batch:
            _count(report, item.status)
        if progress is not None:
            progress(report.new)
    return report


# ------------------------------------------------------------------------------ figures


def _skills_of(version: AchievementVersion) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for skill in version.data.get("skills", []):
        if isinstance(skill, dict) and isinstance(skill.get("url"), str):
            url = skill["url"]
            out.setdefault(url, str(skill.get("name") or url))
    return list(out.items())


def achievement_relevance(
    store: RelevanceStore,
    versions: Sequence[AchievementVersion],
    *,
    at: datetime,
    window_days: int = 90,
    months: int = 12,
) -> list[AchievementFigures]:
    """The figures of each achievement version (from its aligned skills), in order."""
    today = at.date()
    starts = month_starts(today, months)
    since = min(starts[0], window_start(today, window_days))
    wanted = sorted({uri for v in versions for uri, _ in _skills_of(v)})
    postings: dict[str, PostingSkills] = {}
    for first in range(0, len(wanted), MAX_SKILLS_PER_QUERY):
        chunk = wanted[first : first + MAX_SKILLS_PER_QUERY]
        for p in store.postings_with_any(chunk, since, today):
            postings[p.key] = p
    pool = store.count_mapped(window_start(today, window_days), today)
    known = set(wanted)
    others = sorted({s for p in postings.values() for s in p.skills if s not in known})
    labels = store.skill_labels(others) if others else {}
    found = list(postings.values())
    return [
        achievement_figures(
            v.achievement_id,
            str(v.data.get("name", v.achievement_id)),
            _skills_of(v),
            found,
            at=today,
            window_days=window_days,
            months=months,
            pool_current=pool,
            label=lambda uri: labels.get(uri, uri),
        )
        for v in versions
    ]


def organisation_relevance(
    uow: UnitOfWork,
    store: RelevanceStore,
    organisation: Organisation,
    *,
    at: datetime,
    window_days: int = 90,
    months: int = 12,
    include: Callable[[AchievementVersion], bool] | None = None,
) -> list[AchievementFigures]:
    """The figures of the organisation's achievements (latest version of each, retired ones
    left out; ``include`` filters further), by name."""
    versions = [
        v
        for v in uow.achievements.for_organisation(organisation.id)
        if v.status is not AchievementStatus.RETIRED and (include is None or include(v))
    ]
    versions.sort(key=lambda v: (str(v.data.get("name", "")).lower(), v.achievement_id))
    return achievement_relevance(store, versions, at=at, window_days=window_days, months=months)


def latest_version(uow: UnitOfWork, achievement_id: str) -> AchievementVersion | None:
    """The newest version of an achievement (None when there is none)."""
    versions = uow.achievements.versions(achievement_id)
    return versions[-1] if versions else None
