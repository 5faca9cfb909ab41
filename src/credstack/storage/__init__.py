"""Storage: the ports of :mod:`credstack.platform.ports` implemented in memory and with SQLAlchemy.

:mod:`credstack.storage.memory` needs nothing beyond the standard library; the SQL modules
(:mod:`credstack.storage.session` and friends) need the ``server`` extra (SQLAlchemy, Alembic,
psycopg), so this package imports none of them eagerly.
"""

from __future__ import annotations
