"""Alembic environment: runs on the connection ``SqlDatabase.migrate()`` hands over, or on
``sqlalchemy.url`` from the Alembic config (for ``alembic revision --autogenerate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import credstack.storage.obclient_sql
import credstack.storage.relevance_sql
import credstack.storage.rows
import credstack.storage.trust_sql
import credstack.storage.wallet_sql  # noqa: F401
from credstack.storage.base import Base
from credstack.storage.session import create_engine_for

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("credstack migrations run online only")
run_migrations_online()
