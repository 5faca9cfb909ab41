"""The ports in memory: dicts of frozen records, for tests and single-process demos.

A :class:`MemoryDatabase` holds the committed state; each :class:`MemoryUnitOfWork` works on
its own copy of it (changes are visible inside the unit of work only), ``commit()`` merges the
records it changed into the database and ``rollback()`` starts again from the committed state.
The same rules as the SQL store hold: unique keys and references are checked on ``add`` and
again at commit (another unit of work may have committed meanwhile), a status list or a
challenge changed by someone else since this unit of work read it makes the commit a
:class:`~credstack.errors.Conflict`, and nothing is ever deleted.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from credstack.errors import Conflict, CredstackError, NotFound, Unavailable
from credstack.log.anchor import AnchorRecord
from credstack.platform.domain import (
    AchievementVersion,
    ApiToken,
    Challenge,
    Claim,
    Endorsement,
    IssuanceJob,
    IssuedCredential,
    JobRow,
    JobStatus,
    Membership,
    Organisation,
    OutboxMessage,
    RowStatus,
    SigningKey,
    StatusList,
    User,
)
from credstack.platform.ports import (
    AchievementRepository,
    ChallengeRepository,
    ClaimRepository,
    CredentialRepository,
    DidDocumentVersion,
    EndorsementRepository,
    JobRepository,
    KeyRepository,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogRepository,
    OrganisationRepository,
    OutboxRepository,
    PlatformKeyRepository,
    StatusListRepository,
    TokenRepository,
    UserRepository,
)
from credstack.storage._common import (
    check_bigint,
    check_limit,
    check_page,
    json_copy,
    utc,
    utc_record,
)

__all__ = ["MemoryDatabase", "MemoryUnitOfWork"]

R = TypeVar("R")
_UniqueKey = Callable[[Any], tuple[Hashable, ...] | None]

# table -> (constraint name, key function; None = not constrained)
_UNIQUE: dict[str, list[tuple[str, _UniqueKey]]] = {
    "organisations": [("slug", lambda r: (r.slug,))],
    "keys": [("fragment", lambda r: (r.organisation_id, r.fragment))],
    "platform_keys": [("fragment", lambda r: (r.fragment,))],
    "achievements": [("version", lambda r: (r.achievement_id, r.version))],
    "credentials": [
        (
            "idempotency key",
            lambda r: None if r.idempotency_key is None else (r.organisation_id, r.idempotency_key),
        ),
        (
            "status entry",
            lambda r: (
                None
                if r.status_list_id is None or r.status_index is None
                else (r.status_list_id, r.status_index)
            ),
        ),
    ],
    "job_rows": [("idempotency key", lambda r: (r.job_id, r.idempotency_key))],
    "users": [("email", lambda r: (r.email,))],
    "tokens": [("token hash", lambda r: (r.token_hash,))],
}

# table -> (field, referenced table): references must exist, as foreign keys in SQL
_REFERENCES: dict[str, list[tuple[str, str]]] = {
    "keys": [("organisation_id", "organisations")],
    "achievements": [("organisation_id", "organisations")],
    "credentials": [
        ("organisation_id", "organisations"),
        ("achievement_version_id", "achievements"),
        ("status_list_id", "status_lists"),
        ("job_id", "jobs"),
        ("supersedes", "credentials"),
    ],
    "status_lists": [("organisation_id", "organisations")],
    "jobs": [("organisation_id", "organisations"), ("achievement_version_id", "achievements")],
    "job_rows": [("job_id", "jobs"), ("credential_id", "credentials")],
    "memberships": [("user_id", "users"), ("organisation_id", "organisations")],
    "tokens": [("user_id", "users"), ("organisation_id", "organisations")],
    "endorsements": [("endorser_organisation_id", "organisations")],
    "claims": [("credential_id", "credentials"), ("claimed_credential_id", "credentials")],
    "log_cosignatures": [("size", "log_checkpoints")],
    "did_document_versions": [("index", "log_leaves")],
}

_TABLES = (
    "organisations",
    "keys",
    "platform_keys",
    "achievements",
    "credentials",
    "status_lists",
    "jobs",
    "job_rows",
    "users",
    "memberships",
    "tokens",
    "endorsements",
    "challenges",
    "claims",
    "outbox",
    "log_leaves",
    "log_nodes",
    "log_checkpoints",
    "log_cosignatures",
    "did_document_versions",
    "log_anchors",
)

# Tables whose records a concurrent commit must not silently overwrite (for the log: two
# appenders of the same leaf index conflict instead of forking the tree).
_GUARDED = frozenset(
    {
        "status_lists",
        "challenges",
        "claims",
        "outbox",
        "log_leaves",
        "log_nodes",
        "log_checkpoints",
        "log_cosignatures",
        "did_document_versions",
        "log_anchors",
    }
)
_LOG_FIND_LIMIT = 100


class _State:
    """Tables (primary key -> record) plus one index per unique constraint."""

    __slots__ = ("indexes", "tables")

    def __init__(self) -> None:
        self.tables: dict[str, dict[Hashable, Any]] = {name: {} for name in _TABLES}
        self.indexes: dict[tuple[str, str], dict[tuple[Hashable, ...], Hashable]] = {
            (table, name): {} for table, specs in _UNIQUE.items() for name, _ in specs
        }

    def copy(self) -> _State:
        other = _State.__new__(_State)
        other.tables = {name: dict(rows) for name, rows in self.tables.items()}
        other.indexes = {name: dict(index) for name, index in self.indexes.items()}
        return other

    def check(self, table: str, pk: Hashable, record: Any) -> None:
        """Raise Conflict if ``record`` stored under ``pk`` would break a rule."""
        for name, key_of in _UNIQUE.get(table, ()):
            key = key_of(record)
            if key is None:
                continue
            holder = self.indexes[(table, name)].get(key)
            if holder is not None and holder != pk:
                raise Conflict(f"{table}: {name} {_show(key)} is taken")
        for field, target in _REFERENCES.get(table, ()):
            value = getattr(record, field)
            if value is not None and value not in self.tables[target]:
                raise Conflict(f"{table}: {field} {value!r} refers to no row of {target}")

    def put(self, table: str, pk: Hashable, record: Any) -> None:
        """Store ``record`` (after :meth:`check`), keeping the indexes in step."""
        rows = self.tables[table]
        old = rows.get(pk)
        for name, key_of in _UNIQUE.get(table, ()):
            index = self.indexes[(table, name)]
            if old is not None:
                old_key = key_of(old)
                if old_key is not None and index.get(old_key) == pk:
                    del index[old_key]
            key = key_of(record)
            if key is not None:
                index[key] = pk
        rows[pk] = record

    def lookup(self, table: str, name: str, key: tuple[Hashable, ...]) -> Any:
        pk = self.indexes[(table, name)].get(key)
        return None if pk is None else self.tables[table][pk]


def _show(key: tuple[Hashable, ...]) -> str:
    return repr(key[0]) if len(key) == 1 else repr(key)


# record type -> its JSON payload fields, normalised as the SQL store does (text and back)
_JSON_FIELDS: dict[type, tuple[str, ...]] = {
    Organisation: ("address",),
    AchievementVersion: ("data",),
    JobRow: ("payload",),
    DidDocumentVersion: ("document",),
}


def _stored(record: R) -> R:
    """``record`` as storage keeps it: UTC datetimes, JSON payloads through JSON."""
    record = utc_record(record)
    changes = {
        name: json_copy(getattr(record, name), f"{type(record).__name__}.{name}")
        for name in _JSON_FIELDS.get(type(record), ())
        if getattr(record, name) is not None
    }
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]


def _out(record: R) -> R:
    """A copy the caller may not use to change stored state (payload dicts are mutable)."""
    return copy.deepcopy(record)


class MemoryDatabase:
    """The committed state shared by every :class:`MemoryUnitOfWork` made from it.

    ``before_commit`` (for tests) runs at the start of every commit; if it raises, the unit
    of work is rolled back and the commit raises :class:`~credstack.errors.Unavailable` (or
    the credstack error it raised), as :class:`~credstack.storage.session.SqlDatabase` does.
    """

    def __init__(self, *, before_commit: Callable[[], None] | None = None) -> None:
        self._state = _State()
        self._lock = threading.Lock()
        self.before_commit = before_commit

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def migrate(self) -> None:
        """Nothing to do in memory (here for symmetry with the SQL database)."""


class _Repo:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _state(self) -> _State:
        return self._uow._work

    def _rows(self, table: str) -> dict[Hashable, Any]:
        return self._uow._work.tables[table]

    def _insert(self, table: str, pk: Hashable, record: Any) -> None:
        record = _stored(record)
        if pk in self._rows(table):
            raise Conflict(f"{table}: {_show(pk if isinstance(pk, tuple) else (pk,))} exists")
        self._state.check(table, pk, record)
        self._uow._write(table, pk, copy.deepcopy(record))

    def _insert_many(self, table: str, items: Sequence[tuple[Hashable, Any]]) -> None:
        """All or nothing: the batch is checked on a scratch copy first."""
        scratch = self._state.copy()
        prepared = []
        for pk, record in items:
            record = _stored(record)
            if pk in scratch.tables[table]:
                raise Conflict(f"{table}: {_show(pk if isinstance(pk, tuple) else (pk,))} exists")
            scratch.check(table, pk, record)
            scratch.put(table, pk, record)
            prepared.append((pk, record))
        for pk, record in prepared:
            self._uow._write(table, pk, copy.deepcopy(record))

    def _replace(self, table: str, pk: Hashable, record: Any) -> None:
        record = _stored(record)
        if pk not in self._rows(table):
            raise NotFound(f"{table}: no row {pk!r}")
        self._state.check(table, pk, record)
        self._uow._write(table, pk, copy.deepcopy(record))

    def _get(self, table: str, pk: Hashable) -> Any:
        record = self._rows(table).get(pk)
        return None if record is None else _out(record)


class MemoryOrganisationRepository(_Repo):
    def add(self, organisation: Organisation) -> None:
        self._insert("organisations", organisation.id, organisation)

    def get(self, organisation_id: str) -> Organisation | None:
        result: Organisation | None = self._get("organisations", organisation_id)
        return result

    def get_by_slug(self, slug: str) -> Organisation | None:
        found: Organisation | None = self._state.lookup("organisations", "slug", (slug,))
        return None if found is None else _out(found)

    def update(self, organisation: Organisation) -> None:
        self._replace("organisations", organisation.id, organisation)

    def list(self) -> list[Organisation]:
        """Every organisation, by slug."""
        rows: list[Organisation] = list(self._rows("organisations").values())
        return [_out(o) for o in sorted(rows, key=lambda o: o.slug)]


class MemoryKeyRepository(_Repo):
    def add(self, key: SigningKey) -> None:
        self._insert("keys", key.id, key)

    def update(self, key: SigningKey) -> None:
        self._replace("keys", key.id, key)

    def for_organisation(self, organisation_id: str) -> list[SigningKey]:
        rows: list[SigningKey] = [
            k for k in self._rows("keys").values() if k.organisation_id == organisation_id
        ]
        return [_out(k) for k in sorted(rows, key=lambda k: (k.activated_at, k.id))]


class MemoryPlatformKeyRepository(_Repo):
    def add(self, key: SigningKey) -> None:
        self._insert("platform_keys", key.id, key)

    def update(self, key: SigningKey) -> None:
        self._replace("platform_keys", key.id, key)

    def all(self) -> list[SigningKey]:
        rows: list[SigningKey] = list(self._rows("platform_keys").values())
        return [_out(k) for k in sorted(rows, key=lambda k: (k.activated_at, k.id))]


class MemoryAchievementRepository(_Repo):
    def add(self, version: AchievementVersion) -> None:
        self._insert("achievements", version.id, version)

    def update(self, version: AchievementVersion) -> None:
        self._replace("achievements", version.id, version)

    def get_version(self, version_id: str) -> AchievementVersion | None:
        result: AchievementVersion | None = self._get("achievements", version_id)
        return result

    def versions(self, achievement_id: str) -> list[AchievementVersion]:
        rows: list[AchievementVersion] = [
            v for v in self._rows("achievements").values() if v.achievement_id == achievement_id
        ]
        return [_out(v) for v in sorted(rows, key=lambda v: v.version)]

    def for_organisation(self, organisation_id: str) -> list[AchievementVersion]:
        """The latest version of each achievement, by the achievement's first ``created_at``
        (ties: achievement id)."""
        latest: dict[str, AchievementVersion] = {}
        first: dict[str, datetime] = {}
        for v in self._rows("achievements").values():
            if v.organisation_id != organisation_id:
                continue
            a = v.achievement_id
            if a not in latest or v.version > latest[a].version:
                latest[a] = v
            if a not in first or v.created_at < first[a]:
                first[a] = v.created_at
        return [_out(latest[a]) for a in sorted(latest, key=lambda a: (first[a], a))]


class MemoryCredentialRepository(_Repo):
    def add(self, credential: IssuedCredential) -> None:
        self._insert("credentials", credential.id, credential)

    def add_many(self, credentials: Sequence[IssuedCredential]) -> None:
        self._insert_many("credentials", [(c.id, c) for c in credentials])

    def get(self, credential_id: str) -> IssuedCredential | None:
        result: IssuedCredential | None = self._get("credentials", credential_id)
        return result

    def get_by_idempotency_key(self, organisation_id: str, key: str) -> IssuedCredential | None:
        found: IssuedCredential | None = self._state.lookup(
            "credentials", "idempotency key", (organisation_id, key)
        )
        return None if found is None else _out(found)

    def get_by_idempotency_keys(
        self, organisation_id: str, keys: Sequence[str]
    ) -> dict[str, IssuedCredential]:
        out: dict[str, IssuedCredential] = {}
        for key in set(keys):
            found = self.get_by_idempotency_key(organisation_id, key)
            if found is not None:
                out[key] = found
        return out

    def mark_revoked(self, credential_id: str, at: datetime, reason: str | None) -> None:
        """Record the revocation; revoking again keeps the first time and reason."""
        at = utc(at, "at")
        current: IssuedCredential | None = self._rows("credentials").get(credential_id)
        if current is None:
            raise NotFound(f"credentials: no row {credential_id!r}")
        if current.revoked_at is not None:
            return
        self._uow._write(
            "credentials",
            credential_id,
            dataclasses.replace(current, revoked_at=at, revocation_reason=reason),
        )

    def mark_suspended(self, credential_id: str, at: datetime, reason: str) -> None:
        """Record the suspension; while suspended, the first time and reason stay."""
        at = utc(at, "at")
        current = self._credential(credential_id)
        if current.suspended_at is not None:
            return
        changed = dataclasses.replace(current, suspended_at=at, suspension_reason=reason)
        self._uow._write("credentials", credential_id, changed)

    def mark_reinstated(self, credential_id: str) -> None:
        """Clear the suspension (nothing to do when not suspended)."""
        current = self._credential(credential_id)
        if current.suspended_at is None and current.suspension_reason is None:
            return
        changed = dataclasses.replace(current, suspended_at=None, suspension_reason=None)
        self._uow._write("credentials", credential_id, changed)

    def _credential(self, credential_id: str) -> IssuedCredential:
        current: IssuedCredential | None = self._rows("credentials").get(credential_id)
        if current is None:
            raise NotFound(f"credentials: no row {credential_id!r}")
        return current

    def for_organisation(
        self, organisation_id: str, *, limit: int, offset: int
    ) -> tuple[list[IssuedCredential], int]:
        """A page of the organisation's credentials, newest first, and their total."""
        check_page(limit, offset)
        rows: list[IssuedCredential] = [
            c for c in self._rows("credentials").values() if c.organisation_id == organisation_id
        ]
        rows.sort(key=lambda c: (c.issued_at, c.id), reverse=True)
        return [_out(c) for c in rows[offset : offset + limit]], len(rows)

    def for_recipient(
        self, *, email_hash: str | None = None, did: str | None = None
    ) -> list[IssuedCredential]:
        """Credentials whose recipient matches the email hash or the DID, newest first."""
        if email_hash is None and did is None:
            return []
        rows: list[IssuedCredential] = [
            c
            for c in self._rows("credentials").values()
            if (email_hash is not None and c.recipient_email_hash == email_hash)
            or (did is not None and c.recipient_did == did)
        ]
        rows.sort(key=lambda c: (c.issued_at, c.id), reverse=True)
        return [_out(c) for c in rows]


class MemoryStatusListRepository(_Repo):
    def add(self, status_list: StatusList) -> None:
        self._insert("status_lists", status_list.id, status_list)

    def get(self, status_list_id: str) -> StatusList | None:
        result: StatusList | None = self._get("status_lists", status_list_id)
        return result

    def open_list(self, organisation_id: str, purpose: str) -> StatusList | None:
        """The fullest list with free entries (ties: lowest id), so lists fill one by one."""
        rows: list[StatusList] = [
            s
            for s in self._rows("status_lists").values()
            if s.organisation_id == organisation_id
            and s.purpose == purpose
            and s.allocated < s.size
        ]
        if not rows:
            return None
        return _out(min(rows, key=lambda s: (-s.allocated, s.id)))

    def update(self, status_list: StatusList, *, expected_version: int) -> None:
        """Store the list if its stored version is ``expected_version``; the stored version
        becomes ``expected_version + 1`` whatever ``status_list.version`` says."""
        current: StatusList | None = self._rows("status_lists").get(status_list.id)
        if current is None:
            raise NotFound(f"status_lists: no row {status_list.id!r}")
        if current.version != expected_version:
            raise Conflict(
                f"status list {status_list.id!r} is at version {current.version}, "
                f"not {expected_version}"
            )
        self._replace(
            "status_lists",
            status_list.id,
            dataclasses.replace(status_list, version=expected_version + 1),
        )


class MemoryJobRepository(_Repo):
    def add(self, job: IssuanceJob) -> None:
        self._insert("jobs", job.id, job)

    def get(self, job_id: str) -> IssuanceJob | None:
        result: IssuanceJob | None = self._get("jobs", job_id)
        return result

    def update(self, job: IssuanceJob) -> None:
        self._replace("jobs", job.id, job)

    def for_organisation(self, organisation_id: str) -> list[IssuanceJob]:
        """The organisation's jobs, newest first."""
        rows: list[IssuanceJob] = [
            j for j in self._rows("jobs").values() if j.organisation_id == organisation_id
        ]
        rows.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        return [_out(j) for j in rows]

    def unfinished(self) -> list[IssuanceJob]:
        waiting = (JobStatus.PENDING, JobStatus.RUNNING)
        rows: list[IssuanceJob] = [
            j for j in self._rows("jobs").values() if j.status in waiting and not j.dry_run
        ]
        rows.sort(key=lambda j: (j.created_at, j.id))
        return [_out(j) for j in rows]

    def add_rows(self, rows: Sequence[JobRow]) -> None:
        self._insert_many("job_rows", [((r.job_id, r.line), r) for r in rows])

    def update_rows(self, rows: Sequence[JobRow]) -> None:
        """Replace rows by (job_id, line); all or nothing."""
        scratch = self._state.copy()
        rows = [_stored(r) for r in rows]
        for row in rows:
            pk = (row.job_id, row.line)
            if pk not in scratch.tables["job_rows"]:
                raise NotFound(f"job_rows: no row {pk!r}")
            scratch.check("job_rows", pk, row)
            scratch.put("job_rows", pk, row)
        for row in rows:
            self._uow._write("job_rows", (row.job_id, row.line), row)

    def pending_rows(self, job_id: str, *, limit: int, after_line: int = -1) -> list[JobRow]:
        check_limit(limit)
        rows = self._select_rows(job_id, RowStatus.PENDING)
        return [r for r in rows if r.line > after_line][:limit]

    def rows(self, job_id: str, *, status: str | None = None) -> Iterator[JobRow]:
        """The job's rows (optionally of one status), lowest line first."""
        return iter(self._select_rows(job_id, status))

    def _select_rows(self, job_id: str, status: str | None) -> list[JobRow]:
        found: list[JobRow] = [
            r
            for r in self._rows("job_rows").values()
            if r.job_id == job_id and (status is None or r.status == status)
        ]
        return [_out(r) for r in sorted(found, key=lambda r: r.line)]


class MemoryUserRepository(_Repo):
    def add(self, user: User) -> None:
        self._insert("users", user.id, user)

    def get(self, user_id: str) -> User | None:
        result: User | None = self._get("users", user_id)
        return result

    def get_by_email(self, email: str) -> User | None:
        found: User | None = self._state.lookup("users", "email", (email,))
        return None if found is None else _out(found)

    def update(self, user: User) -> None:
        self._replace("users", user.id, user)

    def add_membership(self, membership: Membership) -> None:
        self._insert("memberships", (membership.user_id, membership.organisation_id), membership)

    def memberships(self, user_id: str) -> list[Membership]:
        """The user's memberships, by organisation id."""
        rows: list[Membership] = [
            m for m in self._rows("memberships").values() if m.user_id == user_id
        ]
        return sorted(rows, key=lambda m: m.organisation_id)

    def members(self, organisation_id: str) -> list[Membership]:
        rows: list[Membership] = [
            m for m in self._rows("memberships").values() if m.organisation_id == organisation_id
        ]
        return sorted(rows, key=lambda m: m.user_id)


class MemoryTokenRepository(_Repo):
    def add(self, token: ApiToken) -> None:
        self._insert("tokens", token.id, token)

    def get(self, token_id: str) -> ApiToken | None:
        result: ApiToken | None = self._get("tokens", token_id)
        return result

    def for_user(self, user_id: str) -> list[ApiToken]:
        rows: list[ApiToken] = [t for t in self._rows("tokens").values() if t.user_id == user_id]
        rows.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        return [_out(t) for t in rows]

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        found: ApiToken | None = self._state.lookup("tokens", "token hash", (token_hash,))
        return None if found is None else _out(found)

    def update(self, token: ApiToken) -> None:
        self._replace("tokens", token.id, token)


class MemoryEndorsementRepository(_Repo):
    def add(self, endorsement: Endorsement) -> None:
        self._insert("endorsements", endorsement.id, endorsement)

    def get(self, endorsement_id: str) -> Endorsement | None:
        result: Endorsement | None = self._get("endorsements", endorsement_id)
        return result

    def for_subject(self, subject_id: str) -> list[Endorsement]:
        """Endorsements of ``subject_id``, oldest first."""
        return self._select(lambda e: e.subject_id == subject_id)

    def by_endorser(self, organisation_id: str) -> list[Endorsement]:
        """Endorsements made by the organisation, oldest first."""
        return self._select(lambda e: e.endorser_organisation_id == organisation_id)

    def _select(self, keep: Callable[[Endorsement], bool]) -> list[Endorsement]:
        rows: list[Endorsement] = [e for e in self._rows("endorsements").values() if keep(e)]
        return sorted(rows, key=lambda e: (e.created_at, e.id))


class MemoryChallengeRepository(_Repo):
    def add(self, challenge: Challenge) -> None:
        self._insert("challenges", challenge.value, challenge)

    def consume(self, value: str, at: datetime) -> Challenge | None:
        """Mark the challenge used at ``at``; ``None`` if unknown, used, or expired
        (``at >= expires_at``)."""
        at = utc(at, "at")
        current: Challenge | None = self._rows("challenges").get(value)
        if current is None or current.used_at is not None or at >= current.expires_at:
            return None
        used = dataclasses.replace(current, used_at=at)
        self._uow._write("challenges", value, used)
        return used


class MemoryClaimRepository(_Repo):
    def add(self, claim: Claim) -> None:
        self._insert("claims", claim.token_hash, claim)

    def add_many(self, claims: Sequence[Claim]) -> None:
        self._insert_many("claims", [(c.token_hash, c) for c in claims])

    def get(self, token_hash: str) -> Claim | None:
        result: Claim | None = self._get("claims", token_hash)
        return result

    def consume(self, token_hash: str, at: datetime, claimed_credential_id: str) -> Claim | None:
        """Mark the claim used at ``at``; ``None`` if unknown, used, or expired
        (``at >= expires_at``)."""
        at = utc(at, "at")
        current: Claim | None = self._rows("claims").get(token_hash)
        if current is None or current.used_at is not None or at >= current.expires_at:
            return None
        used = dataclasses.replace(current, used_at=at, claimed_credential_id=claimed_credential_id)
        self._state.check("claims", token_hash, used)
        self._uow._write("claims", token_hash, used)
        return _out(used)


class MemoryOutboxRepository(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self._insert("outbox", message.id, message)

    def add_many(self, messages: Sequence[OutboxMessage]) -> None:
        self._insert_many("outbox", [(m.id, m) for m in messages])

    def get(self, message_id: str) -> OutboxMessage | None:
        result: OutboxMessage | None = self._get("outbox", message_id)
        return result

    def update(self, message: OutboxMessage) -> None:
        self._replace("outbox", message.id, message)

    def pending(self, *, limit: int, max_attempts: int) -> list[OutboxMessage]:
        """Unsent messages tried fewer than ``max_attempts`` times, oldest first."""
        check_limit(limit)
        rows: list[OutboxMessage] = [
            m
            for m in self._rows("outbox").values()
            if m.sent_at is None and m.attempts < max_attempts
        ]
        rows.sort(key=lambda m: (m.created_at, m.id))
        return [_out(m) for m in rows[:limit]]


class MemoryLogRepository(_Repo):
    """The append-only log: inserts and reads only (there is no update or delete)."""

    def reserve(self) -> int:
        return self.size()  # a concurrent commit that appended first is a Conflict

    def size(self) -> int:
        return len(self._rows("log_leaves"))  # indexes are dense from 0

    def append(self, leaves: Sequence[LogEntry], nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Insert leaves ``size() ..`` (dense, in order) and their new Merkle nodes."""
        if not leaves:
            if nodes:
                raise Conflict("log: Merkle nodes are only appended with their leaves")
            return
        first = self.size()
        stored: list[LogEntry] = []
        for offset, entry in enumerate(leaves):
            if entry.index != first + offset:
                raise Conflict(
                    f"log: leaf {entry.index} is not next (the log has {first + offset} leaves)"
                )
            stored.append(_stored(entry))
        node_rows = self._rows("log_nodes")
        fresh: dict[tuple[int, int], bytes] = {}
        for level, index, h in nodes:
            key = (level, index)
            if key in node_rows or key in fresh:
                raise Conflict(f"log_nodes: {key!r} exists")
            fresh[key] = bytes(h)
        for entry in stored:
            self._uow._write("log_leaves", entry.index, entry)
        for key, h in fresh.items():
            self._uow._write("log_nodes", key, h)

    def nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        rows = self._rows("log_nodes")
        try:
            return [rows[(level, index)] for level, index in keys]
        except KeyError as exc:
            raise NotFound(f"log: no Merkle node at (level, index) {exc.args[0]}") from None

    def leaf(self, index: int) -> LogEntry | None:
        found: LogEntry | None = self._rows("log_leaves").get(index)
        return found

    def leaves(self, start: int, end: int) -> list[LogEntry]:
        if start < 0 or end <= start:
            return []
        check_limit(end - start)
        rows = self._rows("log_leaves")
        return [rows[i] for i in range(start, min(end, len(rows)))]

    def find(
        self, *, credential_id: str | None = None, digest: bytes | None = None
    ) -> list[LogEntry]:
        rows = self._rows("log_leaves")
        entries: list[LogEntry] = [rows[i] for i in range(len(rows))]  # dense, by index
        if credential_id is not None:
            found = [e for e in entries if e.credential_id == credential_id]
        elif digest is not None:
            found = [e for e in entries if e.digest == digest]
        else:
            return []
        return found[:_LOG_FIND_LIMIT]

    def add_checkpoint(self, checkpoint: LogCheckpoint) -> None:
        self._insert("log_checkpoints", checkpoint.size, checkpoint)

    def latest_checkpoint(self) -> LogCheckpoint | None:
        rows: list[LogCheckpoint] = list(self._rows("log_checkpoints").values())
        return max(rows, key=lambda c: c.size) if rows else None

    def checkpoint(self, size: int) -> LogCheckpoint | None:
        found: LogCheckpoint | None = self._rows("log_checkpoints").get(size)
        return found

    def add_cosignature(self, cosignature: LogCosignature) -> None:
        self._insert("log_cosignatures", (cosignature.size, cosignature.witness), cosignature)

    def cosignatures(self, size: int) -> list[LogCosignature]:
        rows: list[LogCosignature] = [
            c for c in self._rows("log_cosignatures").values() if c.size == size
        ]
        return sorted(rows, key=lambda c: c.witness)

    def add_did_document(self, version: DidDocumentVersion) -> None:
        self._insert("did_document_versions", version.index, version)

    def did_document(self, did: str, *, before: int | None = None) -> DidDocumentVersion | None:
        found = [
            v
            for v in self._rows("did_document_versions").values()
            if v.did == did and (before is None or v.index < before)
        ]
        return _out(max(found, key=lambda v: v.index)) if found else None

    def add_anchor(self, record: AnchorRecord) -> None:
        check_bigint(record.chain_id, "chain id")
        self._insert("log_anchors", (record.chain_id, record.tx_hash), record)

    def _anchors_by_size(self) -> list[AnchorRecord]:
        """Smallest tree size first, then oldest (then chain and transaction: a total order)."""
        rows: list[AnchorRecord] = list(self._rows("log_anchors").values())
        return sorted(rows, key=lambda a: (a.tree_size, a.anchored_at, a.chain_id, a.tx_hash))

    def latest_anchor(self, *, max_size: int | None = None) -> AnchorRecord | None:
        rows = [a for a in self._anchors_by_size() if max_size is None or a.tree_size <= max_size]
        return rows[-1] if rows else None

    def first_anchor(self, *, min_size: int) -> AnchorRecord | None:
        return next((a for a in self._anchors_by_size() if a.tree_size >= min_size), None)

    def anchors(self, *, limit: int, offset: int = 0) -> list[AnchorRecord]:
        check_page(limit, offset)
        return self._anchors_by_size()[::-1][offset : offset + limit]


class MemoryUnitOfWork:
    """One transaction over every repository, against a :class:`MemoryDatabase`.

    Usable as a context manager: leaving it rolls back whatever was not committed.
    """

    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database
        self._begin()
        self.organisations: OrganisationRepository = MemoryOrganisationRepository(self)
        self.keys: KeyRepository = MemoryKeyRepository(self)
        self.achievements: AchievementRepository = MemoryAchievementRepository(self)
        self.credentials: CredentialRepository = MemoryCredentialRepository(self)
        self.status_lists: StatusListRepository = MemoryStatusListRepository(self)
        self.jobs: JobRepository = MemoryJobRepository(self)
        self.users: UserRepository = MemoryUserRepository(self)
        self.tokens: TokenRepository = MemoryTokenRepository(self)
        self.endorsements: EndorsementRepository = MemoryEndorsementRepository(self)
        self.challenges: ChallengeRepository = MemoryChallengeRepository(self)
        self.claims: ClaimRepository = MemoryClaimRepository(self)
        self.outbox: OutboxRepository = MemoryOutboxRepository(self)
        self.platform_keys: PlatformKeyRepository = MemoryPlatformKeyRepository(self)
        self.log: LogRepository = MemoryLogRepository(self)

    def _begin(self) -> None:
        with self._database._lock:
            self._base = self._database._state
        self._work = self._base.copy()
        self._dirty: dict[tuple[str, Hashable], None] = {}

    def _write(self, table: str, pk: Hashable, record: Any) -> None:
        self._work.put(table, pk, record)
        self._dirty[(table, pk)] = None

    def commit(self) -> None:
        """Merge this unit of work's changes into the database, or raise Conflict (and roll
        back) if a concurrent commit broke a rule meanwhile."""
        db = self._database
        try:
            if db.before_commit is not None:
                db.before_commit()
        except CredstackError:
            self._begin()
            raise
        except Exception as exc:  # a simulated failure: nothing is written
            self._begin()
            raise Unavailable(f"the database is unavailable: {exc}") from exc
        try:
            with db._lock:
                merged = db._state.copy()
                for table, pk in self._dirty:
                    record = self._work.tables[table][pk]
                    if table in _GUARDED and db._state.tables[table].get(pk) is not (
                        self._base.tables[table].get(pk)
                    ):
                        raise Conflict(f"{table}: {pk!r} was changed by another transaction")
                    merged.check(table, pk, record)
                    merged.put(table, pk, record)
                db._state = merged
        except Conflict:
            self._begin()
            raise
        self._begin()

    def rollback(self) -> None:
        """Discard every change since the last commit."""
        self._begin()

    def close(self) -> None:
        """Discard uncommitted changes (the unit of work stays usable)."""
        self._begin()

    def __enter__(self) -> MemoryUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
