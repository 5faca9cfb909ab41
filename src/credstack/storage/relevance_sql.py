""":class:`~credstack.platform.relevance.RelevanceStore` in the SQL database (SQLite or
PostgreSQL): the tables of migration 0011.  A posting's skills are rows of their own, indexed
by skill and day, so the figures of an achievement read only the postings that name its
skills."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Float,
    ForeignKey,
    Index,
    Row,
    String,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from credstack.errors import Conflict
from credstack.platform.relevance import PoolStats, StoredPosting
from credstack.relevance.figures import PostingSkills
from credstack.relevance.mapping import SkillHit
from credstack.storage._common import utc
from credstack.storage._translate import translated
from credstack.storage.base import Base
from credstack.storage.session import SqlDatabase

__all__ = ["SqlRelevanceStore"]

_CHUNK = 500


class JobPostingRow(Base):
    __tablename__ = "job_postings"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    posted_on: Mapped[date] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(Text)


class JobPostingSkillRow(Base):
    __tablename__ = "job_posting_skills"
    __table_args__ = (Index("ix_job_posting_skills_skill_uri_posted_on", "skill_uri", "posted_on"),)

    posting_key: Mapped[str] = mapped_column(ForeignKey("job_postings.key"), primary_key=True)
    skill_uri: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    posted_on: Mapped[date] = mapped_column(Date)  # the posting's, for window queries


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _posting(row: Row[Any], skills: tuple[SkillHit, ...]) -> StoredPosting:
    return StoredPosting(
        key=row.key,
        source_id=row.source_id,
        digest=row.digest,
        title=row.title,
        text=row.text,
        location=row.location,
        posted_on=row.posted_on,
        language=row.language,
        status=row.status,
        imported_at=row.imported_at,
        imported_by=row.imported_by,
        skills=skills,
    )


class SqlRelevanceStore:
    """The pool on a :class:`~credstack.storage.session.SqlDatabase` at revision 0011 or
    later."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    def __repr__(self) -> str:
        return "SqlRelevanceStore()"

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with translated(), self._database.engine.begin() as connection:
            yield connection

    def digests(self, keys: Sequence[str]) -> dict[str, str]:
        p = JobPostingRow
        out: dict[str, str] = {}
        with self._begin() as db:
            for chunk in _chunks(list(keys)):
                query = select(p.key, p.digest).where(p.key.in_(list(chunk)))
                out.update({r.key: r.digest for r in db.execute(query)})
        return out

    def add(self, postings: Sequence[StoredPosting]) -> int:
        if not postings:
            return 0
        rows: list[dict[str, Any]] = []
        for posting in postings:
            rows.append(
                {
                    "key": posting.key,
                    "source_id": posting.source_id,
                    "digest": posting.digest,
                    "title": posting.title,
                    "text": posting.text,
                    "location": posting.location,
                    "posted_on": posting.posted_on,
                    "language": posting.language,
                    "status": posting.status,
                    "imported_at": utc(posting.imported_at, "imported_at"),
                    "imported_by": posting.imported_by,
                }
            )
        try:
            with self._begin() as db:
                p = JobPostingRow
                present: set[str] = set()
                for chunk in _chunks([r["key"] for r in rows]):
                    present.update(db.scalars(select(p.key).where(p.key.in_(list(chunk)))))
                new_rows: list[dict[str, Any]] = []
                skill_rows: list[dict[str, Any]] = []
                for posting, row in zip(postings, rows, strict=True):
                    if posting.key in present:
                        continue
                    present.add(posting.key)
                    new_rows.append(row)
                    seen: set[str] = set()
                    for position, hit in enumerate(posting.skills):
                        if hit.uri in seen:
                            continue
                        seen.add(hit.uri)
                        skill_rows.append(
                            {
                                "posting_key": posting.key,
                                "skill_uri": hit.uri,
                                "position": position,
                                "label": hit.label,
                                "score": hit.score,
                                "posted_on": posting.posted_on,
                            }
                        )
                if new_rows:
                    db.execute(insert(JobPostingRow), new_rows)
                if skill_rows:
                    db.execute(insert(JobPostingSkillRow), skill_rows)
        except Conflict as exc:
            raise Conflict(
                f"the postings were not stored ({exc.message}); if another import ran at the "
                "same time, import the file again: postings already stored are skipped"
            ) from exc
        return len(new_rows)

    def get(self, key: str) -> StoredPosting | None:
        p, s = JobPostingRow, JobPostingSkillRow
        with self._begin() as db:
            row = db.execute(select(p).where(p.key == key)).first()
            if row is None:
                return None
            hits = db.execute(
                select(s.skill_uri, s.label, s.score)
                .where(s.posting_key == key)
                .order_by(s.position)
            ).all()
        return _posting(row, tuple(SkillHit(h.skill_uri, h.label, h.score) for h in hits))

    def stats(self) -> PoolStats:
        p = JobPostingRow
        with self._begin() as db:
            counted = db.execute(select(p.status, func.count()).group_by(p.status)).all()
            by_status: dict[str, int] = {row[0]: int(row[1]) for row in counted}
            first, last = db.execute(select(func.min(p.posted_on), func.max(p.posted_on))).one()
        return PoolStats(
            total=sum(by_status.values()),
            mapped=by_status.get("mapped", 0),
            unmapped_language=by_status.get("unmapped-language", 0),
            no_skills=by_status.get("no-skills", 0),
            first=first,
            last=last,
        )

    def count_mapped(self, since: date, until: date) -> int:
        p = JobPostingRow
        query = select(func.count()).where(
            p.status == "mapped", p.posted_on >= since, p.posted_on <= until
        )
        with self._begin() as db:
            return int(db.execute(query).scalar_one())

    def postings_with_any(
        self, uris: Sequence[str], since: date, until: date
    ) -> list[PostingSkills]:
        s = JobPostingSkillRow
        found: dict[str, tuple[date, set[str]]] = {}
        with self._begin() as db:
            for chunk in _chunks(list(dict.fromkeys(uris))):
                asking = (
                    select(s.posting_key)
                    .where(s.skill_uri.in_(list(chunk)), s.posted_on >= since, s.posted_on <= until)
                    .distinct()
                )
                query = select(s.posting_key, s.posted_on, s.skill_uri).where(
                    s.posting_key.in_(asking)
                )
                for row in db.execute(query):
                    found.setdefault(row.posting_key, (row.posted_on, set()))[1].add(row.skill_uri)
        return sorted(
            (PostingSkills(key, day, frozenset(skills)) for key, (day, skills) in found.items()),
            key=lambda p: (p.posted_on, p.key),
        )

    def skill_labels(self, uris: Sequence[str]) -> dict[str, str]:
        s = JobPostingSkillRow
        out: dict[str, str] = {}
        with self._begin() as db:
            for chunk in _chunks(list(dict.fromkeys(uris))):
                query = (
                    select(s.skill_uri, func.min(s.label))
                    .where(s.skill_uri.in_(list(chunk)))
                    .group_by(s.skill_uri)
                )
                out.update({row[0]: row[1] for row in db.execute(query)})
        return out
