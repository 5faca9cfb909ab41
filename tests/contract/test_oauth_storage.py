"""Contract of :class:`~credstack.platform.oauth.OAuthStore` (the in-memory implementation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from credstack.errors import Conflict
from credstack.platform.oauth import (
    AuthorizationCode,
    LearnerCredential,
    OAuthClient,
    OAuthStore,
    OAuthToken,
)
from credstack.storage.oauth_memory import MemoryOAuthStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store() -> OAuthStore:
    return MemoryOAuthStore()


def _code(grant: str = "g1") -> AuthorizationCode:
    return AuthorizationCode(
        code_hash="c" * 64,
        client_id="client",
        user_id="user",
        redirect_uri="https://wallet.example/cb",
        scopes=frozenset({"s"}),
        code_challenge="x" * 43,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        grant_id=grant,
    )


def _token(name: str, grant: str = "g1", kind: str = "access") -> OAuthToken:
    return OAuthToken(
        name, kind, grant, "client", "user", frozenset({"s"}), T0, T0 + timedelta(hours=1)
    )


def test_add_client_twice_conflicts(store: OAuthStore) -> None:
    client = OAuthClient("client", "h" * 64, {"client_name": "W"}, T0)
    store.add_client(client)
    with pytest.raises(Conflict):
        store.add_client(client)
    assert store.get_client("client") == client
    assert store.get_client("other") is None


def test_use_code_marks_used_once(store: OAuthStore) -> None:
    store.add_code(_code())
    first = store.use_code("c" * 64, T0)
    second = store.use_code("c" * 64, T0 + timedelta(seconds=1))
    assert first is not None
    assert first.used_at is None
    assert second is not None
    assert second.used_at == T0
    assert store.use_code("d" * 64, T0) is None


def test_revoke_token_returns_previous_state(store: OAuthStore) -> None:
    store.add_token(_token("t1"))
    before = store.revoke_token("t1", T0)
    again = store.revoke_token("t1", T0 + timedelta(seconds=1))
    assert before is not None
    assert before.revoked_at is None
    assert again is not None
    assert again.revoked_at == T0
    assert store.revoke_token("none", T0) is None


def test_revoke_grant_revokes_only_that_grant(store: OAuthStore) -> None:
    store.add_token(_token("a", "g1"))
    store.add_token(_token("b", "g1", "refresh"))
    store.add_token(_token("c", "g2"))
    store.revoke_grant("g1", T0)
    assert [store.get_token(n).revoked_at for n in "abc"] == [T0, T0, None]  # type: ignore[union-attr]


def test_credentials_kept_per_learner(store: OAuthStore) -> None:
    store.put_credential(LearnerCredential("ann", "urn:1", "{}", False, T0))
    store.put_credential(LearnerCredential("bo", "urn:1", "{}", False, T0))
    store.put_credential(LearnerCredential("ann", "urn:1", '{"a":1}', False, T0))
    assert [c.content for c in store.credentials("ann")] == ['{"a":1}']
    assert store.get_credential("bo", "urn:1") is not None
    assert store.get_credential("cy", "urn:1") is None


def test_profile_copy_is_detached(store: OAuthStore) -> None:
    kinds = ["Profile"]
    profile = {"id": "urn:x", "type": kinds}
    store.put_profile("ann", profile)
    kinds.append("Other")
    got = store.get_profile("ann")
    assert got == {"id": "urn:x", "type": ["Profile"]}
    assert store.get_profile("bo") is None
