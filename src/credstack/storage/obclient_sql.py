""":class:`~credstack.platform.obclient.ObConnectionStore` in the SQL database (SQLite or
PostgreSQL): the table ``ob_connections`` (migration 0004).

The client secret, the tokens and the PKCE code verifier are sealed together with AES-256-GCM
under the configured key-encryption key (:class:`~credstack.platform.keys.KeyEncryptionKeys`,
the same keys that seal organisation signing keys), with the connection id as associated
data; the KEK id is stored beside the blob so KEK rotation keeps old rows readable.  States
and browser bindings are stored as SHA-256 digests only.  A pending authorization is taken
by one conditional ``UPDATE … WHERE state_hash = …``, so it works once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Connection,
    CursorResult,
    LargeBinary,
    Row,
    String,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from credstack.errors import ConfigurationError, NotFound, Unavailable
from credstack.platform.keys import KeyEncryptionKeys
from credstack.platform.obclient import ObConnection, PendingAuthorization
from credstack.storage._common import json_text, utc
from credstack.storage._translate import translated
from credstack.storage.base import Base
from credstack.storage.session import SqlDatabase

__all__ = ["ObConnectionRow", "SqlObConnectionStore"]

_NONCE = 12
_SECRETS = ("client_secret", "access_token", "refresh_token", "code_verifier")


class ObConnectionRow(Base):
    """A learner's connection to an Open Badges host (:mod:`credstack.platform.obclient`)."""

    __tablename__ = "ob_connections"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[str] = mapped_column(String, index=True)
    discovery_url: Mapped[str] = mapped_column(Text)
    host_name: Mapped[str] = mapped_column(Text)
    api_base: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    refresh_url: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    scopes_json: Mapped[str] = mapped_column(Text)
    sealed_secrets: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    connected_at: Mapped[datetime | None]
    access_expires_at: Mapped[datetime | None]
    state_hash: Mapped[str | None] = mapped_column(String, unique=True)
    binding_hash: Mapped[str | None] = mapped_column(String)
    session_id: Mapped[str | None] = mapped_column(String)
    state_expires_at: Mapped[datetime | None]


def _optional(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else utc(value, what)


class SqlObConnectionStore:
    """Connections on a :class:`~credstack.storage.session.SqlDatabase` migrated to revision
    0004 or later; secrets sealed with ``keks``."""

    def __init__(self, database: SqlDatabase, keks: KeyEncryptionKeys) -> None:
        self._database = database
        self._keks = keks

    def __repr__(self) -> str:
        return "SqlObConnectionStore()"

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with translated(), self._database.engine.begin() as connection:
            yield connection

    # sealing -------------------------------------------------------------------------------

    def _seal(self, connection: ObConnection) -> tuple[bytes, str]:
        values = {
            "client_secret": connection.client_secret,
            "access_token": connection.access_token,
            "refresh_token": connection.refresh_token,
            "code_verifier": None
            if connection.pending is None
            else connection.pending.code_verifier,
        }
        nonce = os.urandom(_NONCE)
        kek = self._keks.keys[self._keks.current]
        plain = json.dumps(values).encode()
        sealed = AESGCM(kek).encrypt(nonce, plain, f"ob-connection:{connection.id}".encode())
        return nonce + sealed, self._keks.current

    def _open(self, row: Row[Any]) -> dict[str, str | None]:
        kek = self._keks.keys.get(row.kek_id)
        if kek is None:
            raise ConfigurationError(
                f"connection {row.id} is sealed with key-encryption key {row.kek_id!r}, "
                "which is not configured"
            )
        blob: bytes = row.sealed_secrets
        try:
            plain = AESGCM(kek).decrypt(
                blob[:_NONCE], blob[_NONCE:], f"ob-connection:{row.id}".encode()
            )
            values = json.loads(plain)
        except (InvalidTag, ValueError):
            raise ConfigurationError(
                f"the secrets of connection {row.id} do not open with key-encryption key "
                f"{row.kek_id!r}"
            ) from None
        if not isinstance(values, dict) or not all(
            values.get(name) is None or isinstance(values.get(name), str) for name in _SECRETS
        ):
            raise Unavailable(f"the stored secrets of connection {row.id} are malformed")
        return {name: values.get(name) for name in _SECRETS}

    # rows ----------------------------------------------------------------------------------

    def _values(self, connection: ObConnection) -> dict[str, Any]:
        sealed, kek_id = self._seal(connection)
        pending = connection.pending
        return {
            "id": connection.id,
            "user_id": connection.user_id,
            "discovery_url": connection.discovery_url,
            "host_name": connection.host_name,
            "api_base": connection.api_base,
            "token_url": connection.token_url,
            "refresh_url": connection.refresh_url,
            "client_id": connection.client_id,
            "scopes_json": json_text(sorted(connection.scopes), "scopes"),
            "sealed_secrets": sealed,
            "kek_id": kek_id,
            "created_at": utc(connection.created_at, "created_at"),
            "connected_at": _optional(connection.connected_at, "connected_at"),
            "access_expires_at": _optional(connection.access_expires_at, "access_expires_at"),
            "state_hash": None if pending is None else pending.state_hash,
            "binding_hash": None if pending is None else pending.binding_hash,
            "session_id": None if pending is None else pending.session_id,
            "state_expires_at": None if pending is None else utc(pending.expires_at, "expires_at"),
        }

    def _connection(self, row: Row[Any]) -> ObConnection:
        opened = self._open(row)
        client_secret = opened["client_secret"]
        if client_secret is None:
            raise Unavailable(f"connection {row.id} has no stored client secret")
        try:
            scopes = frozenset(json.loads(row.scopes_json))
        except (TypeError, ValueError) as exc:
            raise Unavailable(f"the stored scopes of connection {row.id} are malformed") from exc
        pending = None
        verifier = opened["code_verifier"]
        if row.state_hash is not None and verifier is not None:
            pending = PendingAuthorization(
                row.state_hash,
                row.binding_hash or "",
                row.session_id or "",
                verifier,
                expires_at=row.state_expires_at,
            )
        return ObConnection(
            id=row.id,
            user_id=row.user_id,
            discovery_url=row.discovery_url,
            host_name=row.host_name,
            api_base=row.api_base,
            token_url=row.token_url,
            refresh_url=row.refresh_url,
            client_id=row.client_id,
            client_secret=client_secret,
            scopes=scopes,
            created_at=row.created_at,
            connected_at=row.connected_at,
            access_token=opened["access_token"],
            refresh_token=opened["refresh_token"],
            access_expires_at=row.access_expires_at,
            pending=pending,
        )

    # the store -----------------------------------------------------------------------------

    def add(self, connection: ObConnection) -> None:
        values = self._values(connection)
        with self._begin() as db:
            db.execute(insert(ObConnectionRow).values(**values))

    def get(self, connection_id: str) -> ObConnection | None:
        c = ObConnectionRow
        with self._begin() as db:
            row = db.execute(select(c).where(c.id == connection_id)).first()
        return None if row is None else self._connection(row)

    def for_user(self, user_id: str) -> list[ObConnection]:
        c = ObConnectionRow
        query = select(c).where(c.user_id == user_id).order_by(c.created_at, c.id)
        with self._begin() as db:
            rows = db.execute(query).all()
        return [self._connection(row) for row in rows]

    def replace(self, connection: ObConnection) -> None:
        c = ObConnectionRow
        values = self._values(connection)
        del values["id"]
        with self._begin() as db:
            result = db.execute(update(c).where(c.id == connection.id).values(**values))
            if cast(CursorResult[Any], result).rowcount != 1:
                raise NotFound("no such connection")

    def delete(self, connection_id: str) -> bool:
        c = ObConnectionRow
        with self._begin() as db:
            result = db.execute(delete(c).where(c.id == connection_id))
            return cast(CursorResult[Any], result).rowcount == 1

    def take_pending(self, state_hash: str) -> ObConnection | None:
        c = ObConnectionRow
        cleared = {"state_hash": None, "binding_hash": None, "session_id": None}
        with self._begin() as db:
            row = db.execute(select(c).where(c.state_hash == state_hash)).first()
            if row is None:
                return None
            result = db.execute(
                update(c)
                .where(c.id == row.id, c.state_hash == state_hash)
                .values(**cleared, state_expires_at=None)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                return None  # another request took it first
        return self._connection(row)
