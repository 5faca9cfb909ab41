"""Database exceptions turned into credstack errors, with one-line messages (no SQL, no
parameters: those may hold secrets such as password hashes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from credstack.errors import ConfigurationError, Conflict, CredstackError, InvalidInput, Unavailable

# PostgreSQL SQLSTATEs that mean "another transaction got there first": retry.
_PG_RETRY = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def _reason(error: sa_exc.DBAPIError | sa_exc.SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig) if orig is not None else str(error)
    line = text.strip().splitlines()[0] if text.strip() else type(orig or error).__name__
    return line[:300]


def _sqlite_name(error: sa_exc.DBAPIError) -> str | None:
    name = getattr(error.orig, "sqlite_errorname", None)
    return name if isinstance(name, str) else None


def _pg_state(error: sa_exc.DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def translate(error: Exception) -> CredstackError:
    """The credstack error for a database exception (``error`` itself if already one)."""
    if isinstance(error, CredstackError):
        return error
    if isinstance(error, sa_exc.IntegrityError):
        return Conflict(f"the database refused the change: {_reason(error)}")
    if isinstance(error, sa_exc.DBAPIError):
        reason = _reason(error)
        if _sqlite_name(error) == "SQLITE_BUSY_SNAPSHOT" or _pg_state(error) in _PG_RETRY:
            return Conflict(f"another transaction changed the data meanwhile: {reason}")
        if isinstance(error, sa_exc.DataError):
            return InvalidInput(f"the database refused a value: {reason}")
        if isinstance(error, sa_exc.ProgrammingError) or "no such table" in reason:
            return ConfigurationError(
                f"the database schema is missing or out of date (run the migrations): {reason}"
            )
        return Unavailable(f"the database is unavailable: {reason}")
    if isinstance(error, sa_exc.ArgumentError):
        return ConfigurationError(f"bad database settings: {error}")
    if isinstance(error, sa_exc.SQLAlchemyError):
        return Unavailable(f"the database is unavailable: {_reason(error)}")
    return Unavailable(f"the database layer failed: {type(error).__name__}: {error}")


@contextmanager
def translated() -> Iterator[None]:
    """Run a block, re-raising database exceptions as credstack errors."""
    try:
        yield
    except CredstackError:
        raise
    except (sa_exc.SQLAlchemyError, OSError) as error:
        raise translate(error) from error


@contextmanager
def translated_driver() -> Iterator[None]:
    """Like :func:`translated`, for calls made on the psycopg connection itself (COPY)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - only PostgreSQL connections get here
        yield
        return
    try:
        yield
    except psycopg.errors.IntegrityError as error:
        raise Conflict(f"the database refused the change: {_first_line(error)}") from error
    except psycopg.errors.DataError as error:
        raise InvalidInput(f"the database refused a value: {_first_line(error)}") from error
    except psycopg.Error as error:
        raise Unavailable(f"the database is unavailable: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]
