"""Engines, the SQL unit of work and the database handle.

* SQLite (``sqlite:///path``, or a bare file path): WAL journal, foreign keys on, a busy
  timeout, and explicit ``BEGIN`` so transactions and SAVEPOINTs behave (the pysqlite driver
  otherwise defers ``BEGIN`` to the first write).
* PostgreSQL (``postgresql://``, ``postgres://`` or ``postgresql+psycopg://``) through psycopg 3,
  with pre-ping so a restarted server costs one reconnect, not an error.

Database exceptions never escape: they become :class:`~credstack.errors.Conflict`,
:class:`~credstack.errors.Unavailable` or :class:`~credstack.errors.ConfigurationError`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from credstack.errors import ConfigurationError, CredstackError
from credstack.platform.ports import (
    AchievementRepository,
    ChallengeRepository,
    ClaimRepository,
    CredentialRepository,
    EndorsementRepository,
    JobRepository,
    KeyRepository,
    LogRepository,
    OrganisationRepository,
    OutboxRepository,
    PlatformKeyRepository,
    StatusListRepository,
    TokenRepository,
    UserRepository,
)
from credstack.storage._translate import translate, translated
from credstack.storage.repositories import (
    SqlAchievementRepository,
    SqlChallengeRepository,
    SqlClaimRepository,
    SqlCredentialRepository,
    SqlEndorsementRepository,
    SqlJobRepository,
    SqlKeyRepository,
    SqlLogRepository,
    SqlOrganisationRepository,
    SqlOutboxRepository,
    SqlPlatformKeyRepository,
    SqlStatusListRepository,
    SqlTokenRepository,
    SqlUserRepository,
)

__all__ = ["SqlDatabase", "SqlUnitOfWork", "create_engine_for", "normalise_url"]

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5


def normalise_url(url: str) -> URL:
    """The SQLAlchemy URL for ``url``: a bare path means a SQLite file, ``postgres(ql)://``
    means psycopg 3; anything else is refused."""
    if "://" not in url:
        if not url:
            raise ConfigurationError("empty database URL")
        url = f"sqlite:///{Path(url)}"
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError (and ValueError for bad ports)
        raise ConfigurationError(f"bad database URL: {exc.__class__.__name__}") from exc
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise ConfigurationError(
        f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql://"
    )


def _sqlite_events(engine: Engine, *, file_backed: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if file_backed:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def create_engine_for(url: str) -> Engine:
    """An engine for a SQLite file (or ``sqlite://`` in memory) or a PostgreSQL server."""
    parsed = normalise_url(url)
    try:
        if parsed.drivername.startswith("sqlite"):
            database = parsed.database or ""
            file_backed = database not in ("", ":memory:") and not database.startswith("file:")
            if file_backed:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            _sqlite_events(engine, file_backed=file_backed)
            return engine
        return create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
        )
    except OSError as exc:
        raise ConfigurationError(f"cannot use database location: {exc.strerror}") from exc
    except Exception as exc:
        raise translate(exc) from exc


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except Exception:  # noqa: S110 - the connection may be gone; the server rolls back
        pass


class SqlUnitOfWork:
    """One transaction (one :class:`~sqlalchemy.orm.Session`) over every SQL repository.

    As a context manager it rolls back on an exception and always closes the session; work
    not committed explicitly is discarded.
    """

    def __init__(
        self, session: Session, *, before_commit: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self._before_commit = before_commit
        self.organisations: OrganisationRepository = SqlOrganisationRepository(session, self)
        self.keys: KeyRepository = SqlKeyRepository(session, self)
        self.achievements: AchievementRepository = SqlAchievementRepository(session, self)
        self.credentials: CredentialRepository = SqlCredentialRepository(session, self)
        self.status_lists: StatusListRepository = SqlStatusListRepository(session, self)
        self.jobs: JobRepository = SqlJobRepository(session, self)
        self.users: UserRepository = SqlUserRepository(session, self)
        self.tokens: TokenRepository = SqlTokenRepository(session, self)
        self.endorsements: EndorsementRepository = SqlEndorsementRepository(session, self)
        self.challenges: ChallengeRepository = SqlChallengeRepository(session, self)
        self.claims: ClaimRepository = SqlClaimRepository(session, self)
        self.outbox: OutboxRepository = SqlOutboxRepository(session, self)
        self.platform_keys: PlatformKeyRepository = SqlPlatformKeyRepository(session, self)
        self.log: LogRepository = SqlLogRepository(session, self)

    def commit(self) -> None:
        """Commit, or roll back everything and raise (Conflict, Unavailable, …)."""
        try:
            with translated():
                self.session.flush()
                if self._before_commit is not None:
                    self._before_commit()
                self.session.commit()
        except CredstackError:
            self._quiet_rollback()
            raise
        except Exception as exc:  # the hook may raise anything; the database must stay whole
            self._quiet_rollback()
            raise translate(exc) from exc

    def rollback(self) -> None:
        """Discard every change since the last commit."""
        with translated():
            self.session.rollback()

    def close(self) -> None:
        """Discard uncommitted changes and give the connection back to the pool."""
        with translated():
            self.session.close()

    def _quiet_rollback(self) -> None:
        try:
            self.session.rollback()
        except Exception:  # noqa: S110 - the connection may be gone; the server rolls back
            pass

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._quiet_rollback()
        self.session.close()


class SqlDatabase:
    """A database reached through SQLAlchemy: makes units of work and runs the migrations.

    ``before_commit`` (for tests) runs in every commit after the flush and before COMMIT; if it
    raises, the transaction is rolled back and the commit raises
    :class:`~credstack.errors.Unavailable` (or the credstack error it raised).
    """

    def __init__(self, url: str, *, before_commit: Callable[[], None] | None = None) -> None:
        self.url = url
        self.engine = create_engine_for(url)
        self.before_commit = before_commit
        self._sessions = sessionmaker(self.engine, autoflush=True, expire_on_commit=True)
        self._closers: set[weakref.finalize[Any, Any]] = set()

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def unit_of_work(self) -> SqlUnitOfWork:
        session = self._sessions()
        uow = SqlUnitOfWork(session, before_commit=self._call_before_commit)
        # a unit of work dropped without close() still gives its connection back
        self._closers = {c for c in self._closers if c.alive}
        self._closers.add(weakref.finalize(uow, _close_quietly, session))
        return uow

    def _call_before_commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit()

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` with Alembic (the migrations ship in this
        package)."""
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError

        config = Config()
        config.set_main_option("script_location", str(files("credstack.storage") / "migrations"))
        try:
            with translated(), self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except CommandError as exc:
            raise ConfigurationError(f"migration failed: {exc}") from exc

    def dispose(self) -> None:
        """Roll back and close every unit of work still open, then every pooled connection."""
        for closer in list(self._closers):
            closer()
        self._closers.clear()
        self.engine.dispose()
