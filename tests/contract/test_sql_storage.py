"""SQL-only behaviour: migrations, engine settings, URLs, and a database that is down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from credstack.errors import ConfigurationError, Unavailable
from credstack.storage.base import Base
from credstack.storage.session import SqlDatabase, create_engine_for, normalise_url
from tests.contract.pgserver import PostgresServer, _free_port


def _head_revision() -> str:
    """The newest revision shipped in the package (every migration applied)."""
    from importlib.resources import files

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(files("credstack.storage") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _empty_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> SqlDatabase:
    if backend == "sqlite":
        return SqlDatabase(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    server: PostgresServer = request.getfixturevalue("pg_server")
    return SqlDatabase(server.create_database("credstack_migration"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrate_empty_database_matches_orm_metadata(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    database = _empty_database(request, backend, tmp_path)
    try:
        database.migrate()
        database.migrate()  # a second run has nothing to do
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert differences == []
        assert tables == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
        assert revision == _head_revision()
    finally:
        database.dispose()


def test_unmigrated_database_raises_configuration_error(tmp_path: Path) -> None:
    database = SqlDatabase(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        with pytest.raises(ConfigurationError, match="migrations"):
            database.unit_of_work().organisations.list()
    finally:
        database.dispose()


def test_sqlite_engine_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000
    finally:
        engine.dispose()
    assert (tmp_path / "sub" / "db.sqlite").exists()


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
        ("data/credstack.sqlite", "sqlite"),
    ],
)
def test_normalise_url_picks_supported_driver(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


@pytest.mark.parametrize("given", ["mysql://u@h/db", "", "postgresql://u@h:notaport/db"])
def test_normalise_url_unsupported_raises_configuration_error(given: str) -> None:
    with pytest.raises(ConfigurationError):
        normalise_url(given)


def test_unreachable_server_raises_unavailable_without_traceback() -> None:
    database = SqlDatabase(f"postgresql://postgres@127.0.0.1:{_free_port()}/nothing")
    try:
        with pytest.raises(Unavailable) as caught:
            database.unit_of_work().organisations.get("org-1")
        message = caught.value.diagnostics()
        assert message.startswith("UNAVAILABLE: the database is unavailable")
        assert "\n" not in message
        assert "Traceback" not in message
        assert "SELECT" not in message
        with pytest.raises(Unavailable):
            database.migrate()
    finally:
        database.dispose()


def test_server_restart_is_survived_by_pool(pg_server: PostgresServer, pg_url: str) -> None:
    database = SqlDatabase(pg_url)
    admin = SqlDatabase(pg_url)
    try:
        with database.unit_of_work() as uow:
            assert uow.organisations.get("nope") is None
        with admin.engine.connect() as connection:  # kill the pooled connection(s)
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        assert killed == 1
        with database.unit_of_work() as uow:  # pre-ping replaces the dead pooled connection
            assert uow.organisations.get("nope") is None
    finally:
        database.dispose()
        admin.dispose()


def test_memory_store_imports_without_sqlalchemy() -> None:
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from credstack.storage.memory import MemoryDatabase\n"
        "MemoryDatabase().unit_of_work().organisations.list()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_migrations_register_every_table_in_a_fresh_process(tmp_path: Path) -> None:
    """In a process that imports nothing else, migrating registers every SQL table on the
    metadata (``migrations/env.py`` imports each row module), so the schema the migrations make
    and the tables the code maps are the same set; other tests' imports cannot hide a gap."""
    code = (
        "import sys\n"
        "from sqlalchemy import inspect\n"
        "from credstack.storage.base import Base\n"
        "from credstack.storage.session import SqlDatabase\n"
        f"db = SqlDatabase('sqlite:///{tmp_path / 'fresh.sqlite'}')\n"
        "db.migrate()\n"
        "with db.engine.connect() as c:\n"
        "    made = set(inspect(c).get_table_names()) - {'alembic_version'}\n"
        "mapped = {t.name for t in Base.metadata.sorted_tables}\n"
        "print(sorted(made ^ mapped))\n"
        "sys.exit(0 if made == mapped else 1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
