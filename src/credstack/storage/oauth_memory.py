""":class:`~credstack.platform.oauth.OAuthStore` in memory (one process; lost on restart).

Each method holds one lock, so consuming a code or rotating a refresh token is atomic.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from datetime import datetime
from typing import Any

from credstack.errors import Conflict
from credstack.platform.oauth import AuthorizationCode, LearnerCredential, OAuthClient, OAuthToken

__all__ = ["MemoryOAuthStore"]


class MemoryOAuthStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, OAuthClient] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._tokens: dict[str, OAuthToken] = {}
        self._credentials: dict[tuple[str, str], LearnerCredential] = {}
        self._profiles: dict[str, dict[str, Any]] = {}

    def add_client(self, client: OAuthClient) -> None:
        with self._lock:
            if client.client_id in self._clients:
                raise Conflict(f"client {client.client_id} exists")
            self._clients[client.client_id] = copy.deepcopy(client)

    def get_client(self, client_id: str) -> OAuthClient | None:
        with self._lock:
            return copy.deepcopy(self._clients.get(client_id))

    def add_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            if code.code_hash in self._codes:
                raise Conflict("authorization code exists")
            self._codes[code.code_hash] = code

    def use_code(self, code_hash: str, at: datetime) -> AuthorizationCode | None:
        with self._lock:
            found = self._codes.get(code_hash)
            if found is not None and found.used_at is None:
                self._codes[code_hash] = dataclasses.replace(found, used_at=at)
            return found

    def add_token(self, token: OAuthToken) -> None:
        with self._lock:
            if token.token_hash in self._tokens:
                raise Conflict("token exists")
            self._tokens[token.token_hash] = token

    def get_token(self, token_hash: str) -> OAuthToken | None:
        with self._lock:
            return self._tokens.get(token_hash)

    def revoke_token(self, token_hash: str, at: datetime) -> OAuthToken | None:
        with self._lock:
            found = self._tokens.get(token_hash)
            if found is not None and found.revoked_at is None:
                self._tokens[token_hash] = dataclasses.replace(found, revoked_at=at)
            return found

    def revoke_grant(self, grant_id: str, at: datetime) -> None:
        with self._lock:
            for key, token in list(self._tokens.items()):
                if token.grant_id == grant_id and token.revoked_at is None:
                    self._tokens[key] = dataclasses.replace(token, revoked_at=at)

    def purge_expired(self, at: datetime) -> int:
        with self._lock:
            codes = [k for k, c in self._codes.items() if c.expires_at < at]
            tokens = [k for k, t in self._tokens.items() if t.expires_at < at]
            for key in codes:
                del self._codes[key]
            for key in tokens:
                del self._tokens[key]
        return len(codes) + len(tokens)

    def put_credential(self, credential: LearnerCredential) -> None:
        with self._lock:
            self._credentials[(credential.user_id, credential.key)] = credential

    def get_credential(self, user_id: str, key: str) -> LearnerCredential | None:
        with self._lock:
            return self._credentials.get((user_id, key))

    def credentials(self, user_id: str) -> list[LearnerCredential]:
        """The learner's uploads, oldest first."""
        with self._lock:
            found = [c for (owner, _), c in self._credentials.items() if owner == user_id]
        return sorted(found, key=lambda c: (c.stored_at, c.key))

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._profiles.get(user_id))

    def put_profile(self, user_id: str, profile: dict[str, Any]) -> None:
        with self._lock:
            self._profiles[user_id] = copy.deepcopy(profile)
