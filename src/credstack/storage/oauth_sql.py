""":class:`~credstack.platform.oauth.OAuthStore` in the SQL database (SQLite or PostgreSQL),
so OAuth clients, grants and learner uploads survive a restart.

Every method runs its own short transaction.  A code or refresh token is used at most once:
one conditional ``UPDATE … WHERE used_at IS NULL`` decides who used it first, as in
:meth:`~credstack.storage.repositories.SqlChallengeRepository.consume`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Row, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from credstack.errors import Unavailable
from credstack.platform.oauth import AuthorizationCode, LearnerCredential, OAuthClient, OAuthToken
from credstack.storage._common import json_text, utc
from credstack.storage._translate import translated
from credstack.storage.base import Base
from credstack.storage.rows import (
    LearnerCredentialRow,
    LearnerProfileRow,
    OAuthClientRow,
    OAuthCodeRow,
    OAuthTokenRow,
)
from credstack.storage.session import SqlDatabase

__all__ = ["SqlOAuthStore"]


def _scopes_text(scopes: frozenset[str]) -> str:
    return json_text(sorted(scopes), "scopes")


def _load(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Unavailable(f"stored {what} is not valid JSON") from exc


def _scopes(text: str) -> frozenset[str]:
    return frozenset(_load(text, "scopes"))


def _client(row: Row[Any]) -> OAuthClient:
    return OAuthClient(
        client_id=row.client_id,
        secret_hash=row.secret_hash,
        metadata=_load(row.metadata_json, "client metadata"),
        created_at=row.created_at,
    )


def _code(row: Row[Any]) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row.code_hash,
        client_id=row.client_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        scopes=_scopes(row.scopes_json),
        code_challenge=row.code_challenge,
        created_at=row.created_at,
        expires_at=row.expires_at,
        grant_id=row.grant_id,
        used_at=row.used_at,
    )


def _token(row: Row[Any]) -> OAuthToken:
    return OAuthToken(
        token_hash=row.token_hash,
        kind=row.kind,
        grant_id=row.grant_id,
        client_id=row.client_id,
        user_id=row.user_id,
        scopes=_scopes(row.scopes_json),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _credential(row: Row[Any]) -> LearnerCredential:
    return LearnerCredential(
        user_id=row.user_id,
        key=row.key,
        content=row.content,
        is_jws=bool(row.is_jws),
        stored_at=row.stored_at,
    )


class SqlOAuthStore:
    """The OAuth store on a :class:`~credstack.storage.session.SqlDatabase` (migrated to
    revision 0003 or later)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends; database errors translated."""
        with translated(), self._database.engine.begin() as connection:
            yield connection

    def _upsert(
        self, connection: Connection, row: type[Base], keys: list[str], values: Mapping[str, Any]
    ) -> None:
        """Insert ``values``, or overwrite the row with the same ``keys`` (one statement)."""
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(row).values(**values)
        changes = {k: v for k, v in values.items() if k not in keys}
        connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))

    # clients -------------------------------------------------------------------------------

    def add_client(self, client: OAuthClient) -> None:
        values = {
            "client_id": client.client_id,
            "secret_hash": client.secret_hash,
            "metadata_json": json_text(client.metadata, "client metadata"),
            "created_at": utc(client.created_at, "created_at"),
        }
        with self._begin() as connection:
            connection.execute(insert(OAuthClientRow).values(**values))

    def get_client(self, client_id: str) -> OAuthClient | None:
        c = OAuthClientRow
        with self._begin() as connection:
            row = connection.execute(select(c).where(c.client_id == client_id)).first()
        return None if row is None else _client(row)

    # authorization codes -------------------------------------------------------------------

    def add_code(self, code: AuthorizationCode) -> None:
        values = {
            "code_hash": code.code_hash,
            "client_id": code.client_id,
            "user_id": code.user_id,
            "redirect_uri": code.redirect_uri,
            "scopes_json": _scopes_text(code.scopes),
            "code_challenge": code.code_challenge,
            "created_at": utc(code.created_at, "created_at"),
            "expires_at": utc(code.expires_at, "expires_at"),
            "grant_id": code.grant_id,
            "used_at": None if code.used_at is None else utc(code.used_at, "used_at"),
        }
        with self._begin() as connection:
            connection.execute(insert(OAuthCodeRow).values(**values))

    def use_code(self, code_hash: str, at: datetime) -> AuthorizationCode | None:
        """The code as it was before (``used_at`` set if used before), now marked used at
        ``at`` by one conditional UPDATE; ``None`` if unknown."""
        at = utc(at, "at")
        c = OAuthCodeRow
        with self._begin() as connection:
            result = connection.execute(
                update(c).where(c.code_hash == code_hash, c.used_at.is_(None)).values(used_at=at)
            )
            won = cast(CursorResult[Any], result).rowcount == 1
            row = connection.execute(select(c).where(c.code_hash == code_hash)).first()
        if row is None:
            return None
        found = _code(row)
        return dataclasses.replace(found, used_at=None) if won else found

    # tokens --------------------------------------------------------------------------------

    def add_token(self, token: OAuthToken) -> None:
        revoked = token.revoked_at
        values = {
            "token_hash": token.token_hash,
            "kind": token.kind,
            "grant_id": token.grant_id,
            "client_id": token.client_id,
            "user_id": token.user_id,
            "scopes_json": _scopes_text(token.scopes),
            "created_at": utc(token.created_at, "created_at"),
            "expires_at": utc(token.expires_at, "expires_at"),
            "revoked_at": None if revoked is None else utc(revoked, "revoked_at"),
        }
        with self._begin() as connection:
            connection.execute(insert(OAuthTokenRow).values(**values))

    def get_token(self, token_hash: str) -> OAuthToken | None:
        t = OAuthTokenRow
        with self._begin() as connection:
            row = connection.execute(select(t).where(t.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def revoke_token(self, token_hash: str, at: datetime) -> OAuthToken | None:
        """The token as it was before (``revoked_at`` set if revoked before), now revoked at
        ``at`` by one conditional UPDATE; ``None`` if unknown."""
        at = utc(at, "at")
        t = OAuthTokenRow
        with self._begin() as connection:
            result = connection.execute(
                update(t)
                .where(t.token_hash == token_hash, t.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            won = cast(CursorResult[Any], result).rowcount == 1
            row = connection.execute(select(t).where(t.token_hash == token_hash)).first()
        if row is None:
            return None
        found = _token(row)
        return dataclasses.replace(found, revoked_at=None) if won else found

    def revoke_grant(self, grant_id: str, at: datetime) -> None:
        at = utc(at, "at")
        t = OAuthTokenRow
        with self._begin() as connection:
            connection.execute(
                update(t)
                .where(t.grant_id == grant_id, t.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    def purge_expired(self, at: datetime) -> int:
        at = utc(at, "at")
        with self._begin() as connection:
            codes = connection.execute(delete(OAuthCodeRow).where(OAuthCodeRow.expires_at < at))
            tokens = connection.execute(delete(OAuthTokenRow).where(OAuthTokenRow.expires_at < at))
        return int(
            cast(CursorResult[Any], codes).rowcount + cast(CursorResult[Any], tokens).rowcount
        )

    # learner uploads and profiles ----------------------------------------------------------

    def put_credential(self, credential: LearnerCredential) -> None:
        values = {
            "user_id": credential.user_id,
            "key": credential.key,
            "content": credential.content,
            "is_jws": credential.is_jws,
            "stored_at": utc(credential.stored_at, "stored_at"),
        }
        with self._begin() as connection:
            self._upsert(connection, LearnerCredentialRow, ["user_id", "key"], values)

    def get_credential(self, user_id: str, key: str) -> LearnerCredential | None:
        c = LearnerCredentialRow
        with self._begin() as connection:
            row = connection.execute(select(c).where(c.user_id == user_id, c.key == key)).first()
        return None if row is None else _credential(row)

    def credentials(self, user_id: str) -> list[LearnerCredential]:
        """The learner's uploads, oldest first."""
        c = LearnerCredentialRow
        query = select(c).where(c.user_id == user_id).order_by(c.stored_at, c.key)
        with self._begin() as connection:
            rows = connection.execute(query).all()
        return [_credential(row) for row in rows]

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        p = LearnerProfileRow
        with self._begin() as connection:
            row = connection.execute(select(p).where(p.user_id == user_id)).first()
        if row is None:
            return None
        profile = _load(row.profile_json, "profile")
        if not isinstance(profile, dict):
            raise Unavailable("a stored profile is not a JSON object")
        return profile

    def put_profile(self, user_id: str, profile: dict[str, Any]) -> None:
        values = {"user_id": user_id, "profile_json": json_text(profile, "profile")}
        with self._begin() as connection:
            self._upsert(connection, LearnerProfileRow, ["user_id"], values)
