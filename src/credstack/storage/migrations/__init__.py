"""Alembic migrations of the credstack schema (run by ``SqlDatabase.migrate()``)."""
