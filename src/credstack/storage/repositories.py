"""SQL repositories: every query of the platform lives here.

Each repository works inside the caller's :class:`~sqlalchemy.orm.Session` and never commits.
Writes go through a SAVEPOINT, so a refused write (:class:`~credstack.errors.Conflict`) leaves
the unit of work usable, as in the memory store.  Rows are converted to and from the frozen
records of :mod:`credstack.platform.domain` at the boundary; no row escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from credstack.errors import Conflict, NotFound
from credstack.log.anchor import AnchorRecord
from credstack.platform.domain import (
    PLATFORM_ID,
    AchievementStatus,
    AchievementVersion,
    ApiToken,
    Challenge,
    Claim,
    Endorsement,
    IssuanceJob,
    IssuedCredential,
    JobRow,
    JobStatus,
    KeyStatus,
    Membership,
    Organisation,
    OutboxMessage,
    Role,
    RowStatus,
    SigningKey,
    StatusList,
    User,
    UserKind,
)
from credstack.platform.ports import DidDocumentVersion, LogCheckpoint, LogCosignature, LogEntry
from credstack.storage._common import check_bigint, check_limit, check_page, json_text, utc
from credstack.storage._translate import translated, translated_driver
from credstack.storage.base import Base
from credstack.storage.rows import (
    AchievementVersionRow,
    ApiTokenRow,
    ChallengeRow,
    ClaimRow,
    DidDocumentVersionRow,
    EndorsementRow,
    IssuanceJobRow,
    IssuedCredentialRow,
    JobRowRow,
    LogAnchorRow,
    LogCheckpointRow,
    LogCosignatureRow,
    LogLeafRow,
    LogNodeRow,
    MembershipRow,
    OrganisationRow,
    OutboxMessageRow,
    PlatformKeyRow,
    SigningKeyRow,
    StatusListRow,
    UserRow,
)

__all__ = [
    "SqlAchievementRepository",
    "SqlChallengeRepository",
    "SqlClaimRepository",
    "SqlCredentialRepository",
    "SqlEndorsementRepository",
    "SqlJobRepository",
    "SqlKeyRepository",
    "SqlLogRepository",
    "SqlOrganisationRepository",
    "SqlOutboxRepository",
    "SqlPlatformKeyRepository",
    "SqlStatusListRepository",
    "SqlTokenRepository",
    "SqlUserRepository",
]

RowT = TypeVar("RowT", bound=Base)
T = TypeVar("T")
_ROWS_CHUNK = 1000


def _dump(value: Any, what: str) -> str:
    return json_text(value, what)


def _load(text: str) -> Any:
    return json.loads(text)


def _record(cls: type[T], row: Base, **converted: Any) -> T:
    """The domain record of ``row``: every dataclass field from the column of the same name
    (bytes-like values as ``bytes``), except the ``converted`` ones given."""
    values: dict[str, Any] = {}
    for name in cls.__dataclass_fields__:  # type: ignore[attr-defined]
        if name in converted:
            values[name] = converted[name]
            continue
        value = getattr(row, name)
        values[name] = bytes(value) if isinstance(value, memoryview | bytearray) else value
    return cls(**values)


def _values(record: Any, **overrides: Any) -> dict[str, Any]:
    """The record's fields (datetimes checked and made UTC) as column values."""
    out: dict[str, Any] = {}
    for name in record.__dataclass_fields__:
        value = getattr(record, name)
        if isinstance(value, datetime):
            value = utc(value, f"{type(record).__name__}.{name}")
        out[name] = value
    out.update(overrides)
    return out


_BULK_ROWS = 100  # from this many rows on: COPY on PostgreSQL, the driver's executemany on SQLite


def _copy_rows(connection: Any, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert with ``COPY … FROM STDIN`` (psycopg): executemany sends a message per row,
    which costs more than the database's own work on big batches.  The values are those the
    SQL types would bind (datetimes are aware UTC, JSON is text); errors become credstack
    errors like any other database error."""
    columns = [c.name for c in table.columns if c.name in rows[0]]
    preparer = connection.dialect.identifier_preparer
    statement = "COPY {} ({}) FROM STDIN".format(
        preparer.format_table(table), ", ".join(preparer.quote(c) for c in columns)
    )
    raw = connection.connection.driver_connection
    with translated_driver(), raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _sqlite_rows(connection: Any, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert with the driver's ``executemany`` and the columns' own bind processors: the
    values SQLAlchemy would send, without its per-row parameter bookkeeping (which costs
    more than SQLite's insert).  A datetime shared by many rows is converted once."""
    dialect = connection.dialect
    columns = [c for c in table.columns if c.name in rows[0]]
    names = [c.name for c in columns]
    processed = [
        (position, process)
        for position, column in enumerate(columns)
        if (process := column.type._cached_bind_processor(dialect)) is not None
    ]
    memo: dict[tuple[int, Any], Any] = {}
    pick = itemgetter(*names)
    params: list[Any] = []
    for row in rows:
        picked = pick(row)
        if not processed and len(names) > 1:
            params.append(picked)  # already a tuple
            continue
        values = list(picked) if len(names) > 1 else [picked]
        for position, process in processed:
            value = values[position]
            if value is None:
                continue
            if isinstance(value, datetime):  # batches share their times: convert once
                key = (position, value)
                converted = memo.get(key)
                if converted is None:
                    converted = memo[key] = process(value)
                values[position] = converted
            else:
                values[position] = process(value)
        params.append(tuple(values))
    preparer = dialect.identifier_preparer
    statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - quoted identifiers
        preparer.format_table(table),
        ", ".join(preparer.quote(name) for name in names),
        ", ".join("?" for _ in names),
    )
    connection.exec_driver_sql(statement, params)


class _SqlRepo:
    def __init__(self, session: Session, owner: object = None) -> None:
        self._session = session
        self._owner = owner  # keeps the unit of work (and its session closer) alive

    def _scalars(self, statement: Select[RowT]) -> list[RowT]:
        with translated():
            found = self._session.scalars(statement.execution_options(populate_existing=True))
            return list(found)

    def _first(self, statement: Select[RowT]) -> RowT | None:
        found = self._scalars(statement.limit(1))
        return found[0] if found else None

    def _count(self, statement: Select[int]) -> int:
        with translated():
            return int(self._session.scalar(statement) or 0)

    def _insert(self, row: type[Base], values: Sequence[Mapping[str, Any]]) -> None:
        self._insert_tables([(row, values)])

    def _insert_tables(
        self, batches: Sequence[tuple[type[Base], Sequence[Mapping[str, Any]]]]
    ) -> None:
        """Insert into one or more tables in one savepoint: all rows or none."""
        batches = [(row, list(values)) for row, values in batches if values]
        if not batches:
            return
        with translated(), self._session.begin_nested():
            connection = self._session.connection()
            for row, rows in batches:
                table = cast(Table, row.__table__)
                if len(rows) < _BULK_ROWS:  # Core executemany (the ORM path costs more)
                    connection.execute(insert(table), rows)
                elif connection.dialect.name == "postgresql":
                    _copy_rows(connection, table, rows)
                else:
                    _sqlite_rows(connection, table, rows)

    def _update(self, row: type[Base], where: Any, values: Mapping[str, Any]) -> int:
        """Run one UPDATE inside a savepoint; the number of rows it changed.

        Primary-key columns are never written: setting a key, even to its own value, makes
        SQLite check every referencing row (a full scan of unindexed child tables)."""
        keys = {column.key for column in cast(Table, row.__table__).primary_key.columns}
        changes = {k: v for k, v in values.items() if k not in keys}
        with translated(), self._session.begin_nested():
            result = self._session.execute(
                update(row).where(where).values(**changes),
                execution_options={"synchronize_session": False},
            )
            return cast(CursorResult[Any], result).rowcount

    def _update_by_id(self, row: type[Base], key: Any, values: Mapping[str, Any]) -> None:
        if self._update(row, key == values[key.key], values) == 0:
            raise NotFound(f"{row.__tablename__}: no row {values[key.key]!r}")


# organisations -----------------------------------------------------------------------------


def _organisation(row: OrganisationRow) -> Organisation:
    return _record(
        Organisation,
        row,
        address=None if row.address_json is None else _load(row.address_json),
    )


def _organisation_values(o: Organisation) -> dict[str, Any]:
    values = _values(o, address_json=None if o.address is None else _dump(o.address, "address"))
    del values["address"]
    return values


class SqlOrganisationRepository(_SqlRepo):
    def add(self, organisation: Organisation) -> None:
        self._insert(OrganisationRow, [_organisation_values(organisation)])

    def get(self, organisation_id: str) -> Organisation | None:
        row = self._first(select(OrganisationRow).where(OrganisationRow.id == organisation_id))
        return None if row is None else _organisation(row)

    def get_by_slug(self, slug: str) -> Organisation | None:
        row = self._first(select(OrganisationRow).where(OrganisationRow.slug == slug))
        return None if row is None else _organisation(row)

    def update(self, organisation: Organisation) -> None:
        self._update_by_id(OrganisationRow, OrganisationRow.id, _organisation_values(organisation))

    def list(self) -> list[Organisation]:
        """Every organisation, by slug."""
        rows = self._scalars(select(OrganisationRow).order_by(OrganisationRow.slug))
        return [_organisation(r) for r in rows]


# keys --------------------------------------------------------------------------------------


def _key(row: SigningKeyRow) -> SigningKey:
    return _record(SigningKey, row, status=KeyStatus(row.status))


class SqlKeyRepository(_SqlRepo):
    def add(self, key: SigningKey) -> None:
        self._insert(SigningKeyRow, [_values(key, status=str(key.status))])

    def update(self, key: SigningKey) -> None:
        self._update_by_id(SigningKeyRow, SigningKeyRow.id, _values(key, status=str(key.status)))

    def for_organisation(self, organisation_id: str) -> list[SigningKey]:
        """Every key of the organisation, oldest (by ``activated_at``) first."""
        rows = self._scalars(
            select(SigningKeyRow)
            .where(SigningKeyRow.organisation_id == organisation_id)
            .order_by(SigningKeyRow.activated_at, SigningKeyRow.id)
        )
        return [_key(r) for r in rows]


class SqlPlatformKeyRepository(_SqlRepo):
    def add(self, key: SigningKey) -> None:
        values = _values(key, status=str(key.status))
        del values["organisation_id"]
        self._insert(PlatformKeyRow, [values])

    def update(self, key: SigningKey) -> None:
        values = _values(key, status=str(key.status))
        del values["organisation_id"]
        self._update_by_id(PlatformKeyRow, PlatformKeyRow.id, values)

    def all(self) -> list[SigningKey]:
        rows = self._scalars(
            select(PlatformKeyRow).order_by(PlatformKeyRow.activated_at, PlatformKeyRow.id)
        )
        return [
            _record(SigningKey, r, status=KeyStatus(r.status), organisation_id=PLATFORM_ID)
            for r in rows
        ]


# achievements ------------------------------------------------------------------------------


def _achievement(row: AchievementVersionRow) -> AchievementVersion:
    return _record(
        AchievementVersion, row, status=AchievementStatus(row.status), data=_load(row.data_json)
    )


def _achievement_values(v: AchievementVersion) -> dict[str, Any]:
    values = _values(v, status=str(v.status), data_json=_dump(v.data, "achievement data"))
    del values["data"]
    return values


class SqlAchievementRepository(_SqlRepo):
    def add(self, version: AchievementVersion) -> None:
        self._insert(AchievementVersionRow, [_achievement_values(version)])

    def update(self, version: AchievementVersion) -> None:
        self._update_by_id(
            AchievementVersionRow, AchievementVersionRow.id, _achievement_values(version)
        )

    def get_version(self, version_id: str) -> AchievementVersion | None:
        row = self._first(
            select(AchievementVersionRow).where(AchievementVersionRow.id == version_id)
        )
        return None if row is None else _achievement(row)

    def versions(self, achievement_id: str) -> list[AchievementVersion]:
        rows = self._scalars(
            select(AchievementVersionRow)
            .where(AchievementVersionRow.achievement_id == achievement_id)
            .order_by(AchievementVersionRow.version)
        )
        return [_achievement(r) for r in rows]

    def for_organisation(self, organisation_id: str) -> list[AchievementVersion]:
        """The latest version of each achievement, by the achievement's first ``created_at``
        (ties: achievement id)."""
        a = AchievementVersionRow
        summary = (
            select(
                a.achievement_id.label("achievement_id"),
                func.max(a.version).label("latest"),
                func.min(a.created_at).label("first_created"),
            )
            .where(a.organisation_id == organisation_id)
            .group_by(a.achievement_id)
            .subquery()
        )
        rows = self._scalars(
            select(a)
            .join(
                summary,
                and_(a.achievement_id == summary.c.achievement_id, a.version == summary.c.latest),
            )
            .order_by(summary.c.first_created, a.achievement_id)
        )
        return [_achievement(r) for r in rows]


# credentials -------------------------------------------------------------------------------


def _credential(row: IssuedCredentialRow) -> IssuedCredential:
    return _record(IssuedCredential, row)


_NEWEST_CREDENTIAL_FIRST = (IssuedCredentialRow.issued_at.desc(), IssuedCredentialRow.id.desc())


class SqlCredentialRepository(_SqlRepo):
    def add(self, credential: IssuedCredential) -> None:
        self._insert(IssuedCredentialRow, [_values(credential)])

    def add_many(self, credentials: Sequence[IssuedCredential]) -> None:
        """All or nothing."""
        self._insert(IssuedCredentialRow, [_values(c) for c in credentials])

    def get(self, credential_id: str) -> IssuedCredential | None:
        row = self._first(
            select(IssuedCredentialRow).where(IssuedCredentialRow.id == credential_id)
        )
        return None if row is None else _credential(row)

    def get_by_idempotency_key(self, organisation_id: str, key: str) -> IssuedCredential | None:
        row = self._first(
            select(IssuedCredentialRow).where(
                IssuedCredentialRow.organisation_id == organisation_id,
                IssuedCredentialRow.idempotency_key == key,
            )
        )
        return None if row is None else _credential(row)

    def get_by_idempotency_keys(
        self, organisation_id: str, keys: Sequence[str]
    ) -> dict[str, IssuedCredential]:
        out: dict[str, IssuedCredential] = {}
        wanted = sorted(set(keys))
        if not wanted:
            return out
        c = IssuedCredentialRow
        if self._session.get_bind().dialect.name == "postgresql":
            # one array parameter: a 500-element IN list costs PostgreSQL ~60 ms to plan
            chunks = [c.idempotency_key == any_(literal(wanted, ARRAY(String)))]
        else:
            chunks = [
                c.idempotency_key.in_(wanted[i : i + 500]) for i in range(0, len(wanted), 500)
            ]
        for condition in chunks:
            rows = self._scalars(select(c).where(c.organisation_id == organisation_id, condition))
            for row in rows:
                credential = _credential(row)
                out[str(credential.idempotency_key)] = credential
        return out

    def mark_revoked(self, credential_id: str, at: datetime, reason: str | None) -> None:
        """Record the revocation; revoking again keeps the first time and reason."""
        changed = self._update(
            IssuedCredentialRow,
            and_(IssuedCredentialRow.id == credential_id, IssuedCredentialRow.revoked_at.is_(None)),
            {"revoked_at": utc(at, "at"), "revocation_reason": reason},
        )
        if changed == 0 and self.get(credential_id) is None:
            raise NotFound(f"issued_credentials: no row {credential_id!r}")

    def mark_suspended(self, credential_id: str, at: datetime, reason: str) -> None:
        """Record the suspension; while suspended, the first time and reason stay."""
        c = IssuedCredentialRow
        changed = self._update(
            c,
            and_(c.id == credential_id, c.suspended_at.is_(None)),
            {"suspended_at": utc(at, "at"), "suspension_reason": reason},
        )
        if changed == 0 and self.get(credential_id) is None:
            raise NotFound(f"issued_credentials: no row {credential_id!r}")

    def mark_reinstated(self, credential_id: str) -> None:
        """Clear the suspension (nothing to do when not suspended)."""
        c = IssuedCredentialRow
        cleared = {"suspended_at": None, "suspension_reason": None}
        if self._update(c, c.id == credential_id, cleared) == 0:
            raise NotFound(f"issued_credentials: no row {credential_id!r}")

    def for_organisation(
        self, organisation_id: str, *, limit: int, offset: int
    ) -> tuple[list[IssuedCredential], int]:
        """A page of the organisation's credentials, newest first, and their total."""
        check_page(limit, offset)
        mine = IssuedCredentialRow.organisation_id == organisation_id
        total = self._count(select(func.count()).select_from(IssuedCredentialRow).where(mine))
        rows = self._scalars(
            select(IssuedCredentialRow)
            .where(mine)
            .order_by(*_NEWEST_CREDENTIAL_FIRST)
            .limit(limit)
            .offset(offset)
        )
        return [_credential(r) for r in rows], total

    def for_recipient(
        self, *, email_hash: str | None = None, did: str | None = None
    ) -> list[IssuedCredential]:
        """Credentials whose recipient matches the email hash or the DID, newest first."""
        conditions = []
        if email_hash is not None:
            conditions.append(IssuedCredentialRow.recipient_email_hash == email_hash)
        if did is not None:
            conditions.append(IssuedCredentialRow.recipient_did == did)
        if not conditions:
            return []
        rows = self._scalars(
            select(IssuedCredentialRow).where(or_(*conditions)).order_by(*_NEWEST_CREDENTIAL_FIRST)
        )
        return [_credential(r) for r in rows]


# status lists ------------------------------------------------------------------------------


def _status_list(row: StatusListRow) -> StatusList:
    return _record(StatusList, row)


class SqlStatusListRepository(_SqlRepo):
    def add(self, status_list: StatusList) -> None:
        self._insert(StatusListRow, [_values(status_list)])

    def get(self, status_list_id: str) -> StatusList | None:
        row = self._first(select(StatusListRow).where(StatusListRow.id == status_list_id))
        return None if row is None else _status_list(row)

    def open_list(self, organisation_id: str, purpose: str) -> StatusList | None:
        """The fullest list with free entries (ties: lowest id), so lists fill one by one."""
        s = StatusListRow
        row = self._first(
            select(s)
            .where(s.organisation_id == organisation_id, s.purpose == purpose)
            .where(s.allocated < s.size)
            .order_by(s.allocated.desc(), s.id)
        )
        return None if row is None else _status_list(row)

    def update(self, status_list: StatusList, *, expected_version: int) -> None:
        """Store the list if its stored version is ``expected_version`` (one atomic
        compare-and-set); the stored version becomes ``expected_version + 1``."""
        s = StatusListRow
        values = _values(status_list, version=expected_version + 1)
        changed = self._update(
            s, and_(s.id == status_list.id, s.version == expected_version), values
        )
        if changed == 0:
            current = self.get(status_list.id)
            if current is None:
                raise NotFound(f"status_lists: no row {status_list.id!r}")
            raise Conflict(
                f"status list {status_list.id!r} is at version {current.version}, "
                f"not {expected_version}"
            )


# jobs --------------------------------------------------------------------------------------


def _job(row: IssuanceJobRow) -> IssuanceJob:
    return _record(IssuanceJob, row, status=JobStatus(row.status))


def _job_row(row: JobRowRow) -> JobRow:
    return _record(JobRow, row, status=RowStatus(row.status), payload=_load(row.payload_json))


def _job_row_values(r: JobRow) -> dict[str, Any]:
    values = _values(r, status=str(r.status), payload_json=_dump(r.payload, "row payload"))
    del values["payload"]
    return values


class SqlJobRepository(_SqlRepo):
    def add(self, job: IssuanceJob) -> None:
        self._insert(IssuanceJobRow, [_values(job, status=str(job.status))])

    def get(self, job_id: str) -> IssuanceJob | None:
        row = self._first(select(IssuanceJobRow).where(IssuanceJobRow.id == job_id))
        return None if row is None else _job(row)

    def update(self, job: IssuanceJob) -> None:
        self._update_by_id(IssuanceJobRow, IssuanceJobRow.id, _values(job, status=str(job.status)))

    def for_organisation(self, organisation_id: str) -> list[IssuanceJob]:
        """The organisation's jobs, newest first."""
        rows = self._scalars(
            select(IssuanceJobRow)
            .where(IssuanceJobRow.organisation_id == organisation_id)
            .order_by(IssuanceJobRow.created_at.desc(), IssuanceJobRow.id.desc())
        )
        return [_job(r) for r in rows]

    def unfinished(self) -> list[IssuanceJob]:
        waiting = [str(JobStatus.PENDING), str(JobStatus.RUNNING)]
        j = IssuanceJobRow
        rows = self._scalars(
            select(j)
            .where(j.status.in_(waiting), j.dry_run.is_(False))
            .order_by(j.created_at, j.id)
        )
        return [_job(r) for r in rows]

    def add_rows(self, rows: Sequence[JobRow]) -> None:
        """All or nothing."""
        self._insert(JobRowRow, [_job_row_values(r) for r in rows])

    def update_rows(self, rows: Sequence[JobRow]) -> None:
        """Replace rows by (job_id, line); all or nothing."""
        if not rows:
            return
        prepared = [{**{f"v_{k}": v for k, v in _job_row_values(r).items()}} for r in rows]
        table = cast(Table, JobRowRow.__table__)
        statement = (
            update(table)
            .where(
                and_(table.c.job_id == bindparam("v_job_id"), table.c.line == bindparam("v_line"))
            )
            .values(
                idempotency_key=bindparam("v_idempotency_key"),
                payload_json=bindparam("v_payload_json"),
                status=bindparam("v_status"),
                error=bindparam("v_error"),
                credential_id=bindparam("v_credential_id"),
            )
        )
        with translated(), self._session.begin_nested():
            # one executemany for the whole batch (a statement per row is the bottleneck)
            result = self._session.connection().execute(statement, prepared)
            if cast(CursorResult[Any], result).rowcount != len(prepared):
                raise NotFound("job_rows: some rows to update do not exist")

    def pending_rows(self, job_id: str, *, limit: int, after_line: int = -1) -> list[JobRow]:
        check_limit(limit)
        rows = self._scalars(
            select(JobRowRow)
            .where(
                JobRowRow.job_id == job_id,
                JobRowRow.status == str(RowStatus.PENDING),
                JobRowRow.line > after_line,
            )
            .order_by(JobRowRow.line)
            .limit(limit)
        )
        return [_job_row(r) for r in rows]

    def rows(self, job_id: str, *, status: str | None = None) -> Iterator[JobRow]:
        """The job's rows (optionally of one status), lowest line first, read in chunks (safe
        to interleave with writes and commits)."""
        statement = select(JobRowRow).where(JobRowRow.job_id == job_id)
        if status is not None:
            statement = statement.where(JobRowRow.status == str(status))
        return self._chunks(statement.order_by(JobRowRow.line))

    def _chunks(self, statement: Select[JobRowRow]) -> Iterator[JobRow]:
        after: int | None = None
        while True:
            page = statement if after is None else statement.where(JobRowRow.line > after)
            found = self._scalars(page.limit(_ROWS_CHUNK))
            for row in found:
                yield _job_row(row)
            if len(found) < _ROWS_CHUNK:
                return
            after = found[-1].line


# users and tokens --------------------------------------------------------------------------


def _user(row: UserRow) -> User:
    return _record(User, row, kind=UserKind(row.kind))


class SqlUserRepository(_SqlRepo):
    def add(self, user: User) -> None:
        self._insert(UserRow, [_values(user, kind=str(user.kind))])

    def get(self, user_id: str) -> User | None:
        row = self._first(select(UserRow).where(UserRow.id == user_id))
        return None if row is None else _user(row)

    def get_by_email(self, email: str) -> User | None:
        row = self._first(select(UserRow).where(UserRow.email == email))
        return None if row is None else _user(row)

    def update(self, user: User) -> None:
        self._update_by_id(UserRow, UserRow.id, _values(user, kind=str(user.kind)))

    def add_membership(self, membership: Membership) -> None:
        self._insert(MembershipRow, [_values(membership, role=str(membership.role))])

    def memberships(self, user_id: str) -> list[Membership]:
        """The user's memberships, by organisation id."""
        rows = self._scalars(
            select(MembershipRow)
            .where(MembershipRow.user_id == user_id)
            .order_by(MembershipRow.organisation_id)
        )
        return [_record(Membership, r, role=Role(r.role)) for r in rows]

    def members(self, organisation_id: str) -> list[Membership]:
        rows = self._scalars(
            select(MembershipRow)
            .where(MembershipRow.organisation_id == organisation_id)
            .order_by(MembershipRow.user_id)
        )
        return [_record(Membership, r, role=Role(r.role)) for r in rows]


def _token(row: ApiTokenRow) -> ApiToken:
    return _record(ApiToken, row, scopes=frozenset(_load(row.scopes_json)))


def _token_values(t: ApiToken) -> dict[str, Any]:
    values = _values(t, scopes_json=_dump(sorted(t.scopes), "scopes"))
    del values["scopes"]
    return values


class SqlTokenRepository(_SqlRepo):
    def add(self, token: ApiToken) -> None:
        self._insert(ApiTokenRow, [_token_values(token)])

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._first(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        return None if row is None else _token(row)

    def get(self, token_id: str) -> ApiToken | None:
        row = self._first(select(ApiTokenRow).where(ApiTokenRow.id == token_id))
        return None if row is None else _token(row)

    def for_user(self, user_id: str) -> list[ApiToken]:
        rows = self._scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user_id)
            .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
        )
        return [_token(r) for r in rows]

    def update(self, token: ApiToken) -> None:
        self._update_by_id(ApiTokenRow, ApiTokenRow.id, _token_values(token))


# endorsements and challenges ---------------------------------------------------------------


def _endorsement(row: EndorsementRow) -> Endorsement:
    return _record(Endorsement, row)


class SqlEndorsementRepository(_SqlRepo):
    def add(self, endorsement: Endorsement) -> None:
        self._insert(EndorsementRow, [_values(endorsement)])

    def get(self, endorsement_id: str) -> Endorsement | None:
        row = self._first(select(EndorsementRow).where(EndorsementRow.id == endorsement_id))
        return None if row is None else _endorsement(row)

    def for_subject(self, subject_id: str) -> list[Endorsement]:
        """Endorsements of ``subject_id``, oldest first."""
        return self._select(EndorsementRow.subject_id == subject_id)

    def by_endorser(self, organisation_id: str) -> list[Endorsement]:
        """Endorsements made by the organisation, oldest first."""
        return self._select(EndorsementRow.endorser_organisation_id == organisation_id)

    def _select(self, where: Any) -> list[Endorsement]:
        rows = self._scalars(
            select(EndorsementRow)
            .where(where)
            .order_by(EndorsementRow.created_at, EndorsementRow.id)
        )
        return [_endorsement(r) for r in rows]


class SqlChallengeRepository(_SqlRepo):
    def add(self, challenge: Challenge) -> None:
        self._insert(ChallengeRow, [_values(challenge)])

    def consume(self, value: str, at: datetime) -> Challenge | None:
        """Mark the challenge used at ``at`` with one conditional UPDATE (atomic); ``None``
        if unknown, used, or expired (``at >= expires_at``)."""
        at = utc(at, "at")
        c = ChallengeRow
        changed = self._update(
            c,
            and_(c.value == value, c.used_at.is_(None), c.expires_at > at),
            {"used_at": at},
        )
        if changed == 0:
            return None
        row = self._first(select(c).where(c.value == value))
        if row is None:  # pragma: no cover - the row was just updated
            return None
        return _record(Challenge, row)


# claims and the mail outbox ----------------------------------------------------------------


class SqlClaimRepository(_SqlRepo):
    def add(self, claim: Claim) -> None:
        self._insert(ClaimRow, [_values(claim)])

    def add_many(self, claims: Sequence[Claim]) -> None:
        if claims:
            self._insert(ClaimRow, [_values(c) for c in claims])

    def get(self, token_hash: str) -> Claim | None:
        row = self._first(select(ClaimRow).where(ClaimRow.token_hash == token_hash))
        return None if row is None else _record(Claim, row)

    def consume(self, token_hash: str, at: datetime, claimed_credential_id: str) -> Claim | None:
        """Mark the claim used at ``at`` with one conditional UPDATE (atomic); ``None`` if
        unknown, used, or expired (``at >= expires_at``)."""
        at = utc(at, "at")
        c = ClaimRow
        changed = self._update(
            c,
            and_(c.token_hash == token_hash, c.used_at.is_(None), c.expires_at > at),
            {"used_at": at, "claimed_credential_id": claimed_credential_id},
        )
        return None if changed == 0 else self.get(token_hash)


class SqlOutboxRepository(_SqlRepo):
    def add(self, message: OutboxMessage) -> None:
        self._insert(OutboxMessageRow, [_values(message)])

    def add_many(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            self._insert(OutboxMessageRow, [_values(m) for m in messages])

    def get(self, message_id: str) -> OutboxMessage | None:
        row = self._first(select(OutboxMessageRow).where(OutboxMessageRow.id == message_id))
        return None if row is None else _record(OutboxMessage, row)

    def update(self, message: OutboxMessage) -> None:
        self._update_by_id(OutboxMessageRow, OutboxMessageRow.id, _values(message))

    def pending(self, *, limit: int, max_attempts: int) -> list[OutboxMessage]:
        """Unsent messages tried fewer than ``max_attempts`` times, oldest first."""
        check_limit(limit)
        m = OutboxMessageRow
        rows = self._scalars(
            select(m)
            .where(m.sent_at.is_(None), m.attempts < max_attempts)
            .order_by(m.created_at, m.id)
            .limit(limit)
        )
        return [_record(OutboxMessage, r) for r in rows]


# the transparency log ----------------------------------------------------------------------

_LOG_FIND_LIMIT = 100


def _log_entry(row: Any) -> LogEntry:
    return LogEntry(
        index=int(row.leaf_index),
        leaf=bytes(row.leaf),
        leaf_hash=bytes(row.leaf_hash),
        event=int(row.event),
        digest=bytes(row.digest),
        credential_id=row.credential_id,
        created_at=row.created_at,
    )


_LOG_LOCK = 0x6C6F67  # the advisory-lock key of log appends ("log")


class SqlLogRepository(_SqlRepo):
    """The append-only log tables: inserts and reads only (there is no update or delete).

    The leaf index is the primary key: two transactions appending at the same size clash on
    it (a :class:`~credstack.errors.Conflict` for the later one) instead of forking the tree.
    """

    def reserve(self) -> int:
        if self._session.get_bind().dialect.name == "postgresql":
            with translated():  # appenders queue here instead of clashing on the leaf index
                self._session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK}
                )
        return self.size()

    def size(self) -> int:
        with translated():
            last = self._session.execute(select(func.max(LogLeafRow.leaf_index))).scalar()
        return 0 if last is None else int(last) + 1

    def append(self, leaves: Sequence[LogEntry], nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Insert leaves ``size() ..`` (dense, in order) and their new Merkle nodes."""
        if not leaves:
            if nodes:
                raise Conflict("log: Merkle nodes are only appended with their leaves")
            return
        first = self.size()
        for offset, entry in enumerate(leaves):
            if entry.index != first + offset:
                raise Conflict(
                    f"log: leaf {entry.index} is not next (the log has {first + offset} leaves)"
                )
        leaf_rows = [
            {
                "leaf_index": e.index,
                "leaf": e.leaf,
                "leaf_hash": e.leaf_hash,
                "event": e.event,
                "digest": e.digest,
                "credential_id": e.credential_id,
                "created_at": utc(e.created_at, "LogEntry.created_at"),
            }
            for e in leaves
        ]
        node_rows = [{"level": lv, "node_index": ix, "hash": h} for lv, ix, h in nodes]
        self._insert_tables([(LogLeafRow, leaf_rows), (LogNodeRow, node_rows)])

    def nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        if not keys:
            return []
        n = LogNodeRow
        by_level: dict[int, list[int]] = {}
        for level, index in dict.fromkeys(keys):
            by_level.setdefault(level, []).append(index)
        # one "level = ? AND node_index IN (...)" per level: SQLite cannot use the primary key
        # for a row-value IN list and would scan the whole table
        with translated():
            connection = self._session.connection()
            if connection.dialect.name == "sqlite":  # plain DB-API: no statement to compile
                clauses = " OR ".join(
                    f"(level = ? AND node_index IN ({', '.join('?' * len(ix))}))"
                    for ix in by_level.values()
                )
                params = tuple(v for level, ix in by_level.items() for v in (level, *ix))
                rows: Iterable[Any] = connection.exec_driver_sql(
                    f"SELECT level, node_index, hash FROM log_nodes WHERE {clauses}",  # noqa: S608
                    params,
                )
            else:
                where = or_(
                    *(and_(n.level == lv, n.node_index.in_(ix)) for lv, ix in by_level.items())
                )
                rows = self._session.execute(select(n.level, n.node_index, n.hash).where(where))
            found = {(int(level), int(index)): bytes(h) for level, index, h in rows}
        try:
            return [found[key] for key in keys]
        except KeyError as exc:
            raise NotFound(f"log: no Merkle node at (level, index) {exc.args[0]}") from None

    def leaf(self, index: int) -> LogEntry | None:
        with translated():
            row = self._session.execute(
                select(LogLeafRow.__table__).where(LogLeafRow.leaf_index == index)
            ).first()
        return None if row is None else _log_entry(row)

    def leaves(self, start: int, end: int) -> list[LogEntry]:
        if start < 0 or end <= start:
            return []
        check_limit(end - start)
        c = LogLeafRow
        return self._entries(
            select(c.__table__)
            .where(c.leaf_index >= start, c.leaf_index < end)
            .order_by(c.leaf_index)
        )

    def find(
        self, *, credential_id: str | None = None, digest: bytes | None = None
    ) -> list[LogEntry]:
        c = LogLeafRow
        if credential_id is not None:
            where = c.credential_id == credential_id
        elif digest is not None:
            where = c.digest == digest
        else:
            return []
        return self._entries(
            select(c.__table__).where(where).order_by(c.leaf_index).limit(_LOG_FIND_LIMIT)
        )

    def _entries(self, statement: Any) -> list[LogEntry]:
        with translated():
            return [_log_entry(row) for row in self._session.execute(statement)]

    def add_checkpoint(self, checkpoint: LogCheckpoint) -> None:
        self._insert(
            LogCheckpointRow,
            [
                {
                    "tree_size": checkpoint.size,
                    "text": checkpoint.text,
                    "created_at": utc(checkpoint.created_at, "LogCheckpoint.created_at"),
                }
            ],
        )

    def latest_checkpoint(self) -> LogCheckpoint | None:
        return self._checkpoint(
            select(LogCheckpointRow).order_by(LogCheckpointRow.tree_size.desc())
        )

    def checkpoint(self, size: int) -> LogCheckpoint | None:
        return self._checkpoint(select(LogCheckpointRow).where(LogCheckpointRow.tree_size == size))

    def _checkpoint(self, statement: Select[LogCheckpointRow]) -> LogCheckpoint | None:
        row = self._first(statement)
        return None if row is None else LogCheckpoint(row.tree_size, row.text, row.created_at)

    def add_cosignature(self, cosignature: LogCosignature) -> None:
        self._insert(
            LogCosignatureRow,
            [
                {
                    "tree_size": cosignature.size,
                    "witness": cosignature.witness,
                    "line": cosignature.line,
                    "received_at": utc(cosignature.received_at, "LogCosignature.received_at"),
                }
            ],
        )

    def cosignatures(self, size: int) -> list[LogCosignature]:
        c = LogCosignatureRow
        rows = self._scalars(select(c).where(c.tree_size == size).order_by(c.witness))
        return [LogCosignature(r.tree_size, r.witness, r.line, r.received_at) for r in rows]

    def add_did_document(self, version: DidDocumentVersion) -> None:
        self._insert(
            DidDocumentVersionRow,
            [
                {
                    "leaf_index": version.index,
                    "did": version.did,
                    "digest": version.digest,
                    "document": _dump(version.document, "DID document"),
                    "logged_at": utc(version.logged_at, "DidDocumentVersion.logged_at"),
                }
            ],
        )

    def did_document(self, did: str, *, before: int | None = None) -> DidDocumentVersion | None:
        v = DidDocumentVersionRow
        statement = select(v).where(v.did == did)
        if before is not None:
            statement = statement.where(v.leaf_index < before)
        row = self._first(statement.order_by(v.leaf_index.desc()))
        if row is None:
            return None
        return DidDocumentVersion(
            int(row.leaf_index), row.did, bytes(row.digest), _load(row.document), row.logged_at
        )

    def add_anchor(self, record: AnchorRecord) -> None:
        check_bigint(record.chain_id, "chain id")
        self._insert(
            LogAnchorRow,
            [
                {
                    "chain_id": record.chain_id,
                    "tx_hash": record.tx_hash,
                    "block_number": record.block_number,
                    "block_hash": record.block_hash,
                    "origin": record.origin,
                    "tree_size": record.tree_size,
                    "root_hash": record.root_hash,
                    "anchored_at": utc(record.anchored_at, "AnchorRecord.anchored_at"),
                }
            ],
        )

    def latest_anchor(self, *, max_size: int | None = None) -> AnchorRecord | None:
        a = LogAnchorRow
        statement = select(a)
        if max_size is not None:
            statement = statement.where(a.tree_size <= max_size)
        order = (a.tree_size.desc(), a.anchored_at.desc(), a.chain_id.desc(), a.tx_hash.desc())
        row = self._first(statement.order_by(*order))
        return None if row is None else _anchor(row)

    def first_anchor(self, *, min_size: int) -> AnchorRecord | None:
        a = LogAnchorRow
        order = (a.tree_size, a.anchored_at, a.chain_id, a.tx_hash)
        row = self._first(select(a).where(a.tree_size >= min_size).order_by(*order))
        return None if row is None else _anchor(row)

    def anchors(self, *, limit: int, offset: int = 0) -> list[AnchorRecord]:
        check_page(limit, offset)
        a = LogAnchorRow
        order = (a.tree_size.desc(), a.anchored_at.desc(), a.chain_id.desc(), a.tx_hash.desc())
        rows = self._scalars(select(a).order_by(*order).limit(limit).offset(offset))
        return [_anchor(row) for row in rows]


def _anchor(row: LogAnchorRow) -> AnchorRecord:
    return AnchorRecord(
        chain_id=int(row.chain_id),
        tx_hash=bytes(row.tx_hash),
        block_number=int(row.block_number),
        block_hash=bytes(row.block_hash),
        origin=row.origin,
        tree_size=int(row.tree_size),
        root_hash=bytes(row.root_hash),
        anchored_at=row.anchored_at,
    )
