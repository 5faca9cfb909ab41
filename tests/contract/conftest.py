"""Fixtures for the storage contract: one ``database`` per test, for each backend.

* ``memory``: a fresh :class:`MemoryDatabase`;
* ``sqlite``: a copy of a migrated template file in ``tmp_path``;
* ``postgresql``: one real server per session (see :mod:`tests.contract.pgserver`), one
  migrated database, every table truncated before each test.
"""

from __future__ import annotations

import atexit
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from credstack.storage.base import Base
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from tests.contract.pgserver import PostgresServer, PostgresUnavailable

BACKENDS = ["memory", "sqlite", "postgresql"]
SQL_BACKENDS = ["sqlite", "postgresql"]

Database = MemoryDatabase | SqlDatabase


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
        atexit.register(server.stop)  # also if the session dies before fixture teardown
        server.start()
    except (PostgresUnavailable, OSError) as exc:
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgresServer) -> str:
    url = pg_server.create_database("credstack_contract")
    database = SqlDatabase(url)
    database.migrate()
    database.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    database = SqlDatabase(f"sqlite:///{path}")
    database.migrate()
    database.dispose()
    return path


def _truncate_all(database: SqlDatabase) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE {names} CASCADE"))


def make_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Database:
    if backend == "memory":
        return MemoryDatabase()
    if backend == "sqlite":
        path = tmp_path / "credstack.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return SqlDatabase(f"sqlite:///{path}")
    database = SqlDatabase(request.getfixturevalue("pg_url"))
    _truncate_all(database)
    return database


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    db = make_database(request, request.param, tmp_path)
    yield db
    if isinstance(db, SqlDatabase):
        db.dispose()


@pytest.fixture(params=SQL_BACKENDS)
def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    db = make_database(request, request.param, tmp_path)
    assert isinstance(db, SqlDatabase)
    yield db
    db.dispose()
