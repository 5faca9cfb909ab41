"""Contract of :class:`~credstack.platform.oauth.OAuthStore`: in memory, on SQLite and on
PostgreSQL (:class:`~credstack.storage.oauth_sql.SqlOAuthStore`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from credstack.errors import Conflict, InvalidInput
from credstack.platform.oauth import (
    AuthorizationCode,
    LearnerCredential,
    OAuthClient,
    OAuthStore,
    OAuthToken,
)
from credstack.storage.oauth_memory import MemoryOAuthStore
from credstack.storage.oauth_sql import SqlOAuthStore
from credstack.storage.session import SqlDatabase
from tests.contract.conftest import BACKENDS, make_database

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OAuthStore]:
    if request.param == "memory":
        yield MemoryOAuthStore()
        return
    database = make_database(request, request.param, tmp_path)
    assert isinstance(database, SqlDatabase)
    yield SqlOAuthStore(database)
    database.dispose()


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


def test_add_code_twice_conflicts(store: OAuthStore) -> None:
    store.add_code(_code())
    with pytest.raises(Conflict):
        store.add_code(_code("g2"))
    found = store.use_code("c" * 64, T0)
    assert found == _code()


def test_add_token_twice_conflicts(store: OAuthStore) -> None:
    store.add_token(_token("t1"))
    with pytest.raises(Conflict):
        store.add_token(_token("t1", "g2"))
    assert store.get_token("t1") == _token("t1")
    assert store.get_token("t2") is None


def test_client_metadata_round_trips(store: OAuthStore) -> None:
    metadata = {"client_name": "W", "redirect_uris": ["https://w.example/cb"], "n": 1}
    store.add_client(OAuthClient("client", "h" * 64, metadata, T0))
    got = store.get_client("client")
    assert got is not None
    assert got.metadata == metadata
    assert got.created_at == T0


def test_use_code_concurrently_succeeds_once(store: OAuthStore) -> None:
    store.add_code(_code())
    results: list[AuthorizationCode | None] = []
    barrier = threading.Barrier(6)

    def use() -> None:
        barrier.wait()
        results.append(store.use_code("c" * 64, T0))

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    assert sum(1 for r in results if r is not None and r.used_at is None) == 1


def test_revoke_token_concurrently_succeeds_once(store: OAuthStore) -> None:
    store.add_token(_token("r1", kind="refresh"))
    results: list[OAuthToken | None] = []
    barrier = threading.Barrier(6)

    def revoke() -> None:
        barrier.wait()
        results.append(store.revoke_token("r1", T0))

    threads = [threading.Thread(target=revoke) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    assert sum(1 for r in results if r is not None and r.revoked_at is None) == 1


def test_credentials_listed_oldest_first(store: OAuthStore) -> None:
    store.put_credential(LearnerCredential("ann", "urn:b", "b", True, T0 + timedelta(hours=1)))
    store.put_credential(LearnerCredential("ann", "urn:a", "a", False, T0))
    store.put_credential(LearnerCredential("ann", "urn:c", "c", False, T0))
    listed = store.credentials("ann")
    assert [c.key for c in listed] == ["urn:a", "urn:c", "urn:b"]
    assert [c.is_jws for c in listed] == [False, False, True]
    assert store.credentials("bo") == []


def test_put_profile_replaces_previous(store: OAuthStore) -> None:
    store.put_profile("ann", {"id": "urn:x", "name": "Ann"})
    store.put_profile("ann", {"id": "urn:x"})
    assert store.get_profile("ann") == {"id": "urn:x"}


def test_sql_store_state_survives_new_store(sql_database: SqlDatabase) -> None:
    SqlOAuthStore(sql_database).add_token(_token("t1"))
    SqlOAuthStore(sql_database).put_profile("ann", {"id": "urn:x"})
    again = SqlOAuthStore(sql_database)
    assert again.get_token("t1") == _token("t1")
    assert again.get_profile("ann") == {"id": "urn:x"}


def test_sql_store_naive_datetime_invalid_input(sql_database: SqlDatabase) -> None:
    store = SqlOAuthStore(sql_database)
    store.add_token(_token("t1"))
    with pytest.raises(InvalidInput):
        store.revoke_token("t1", datetime(2026, 3, 1, 9, 0))
    assert store.get_token("t1") == _token("t1")


def test_purge_expired_deletes_only_expired_codes_and_tokens(store: OAuthStore) -> None:
    store.add_code(_code())
    store.add_token(_token("a" * 64))
    store.add_token(_token("r" * 64, kind="refresh"))
    assert store.purge_expired(T0 + timedelta(minutes=10)) == 1  # the code (5 minutes)
    assert store.use_code("c" * 64, T0) is None
    assert store.get_token("a" * 64) is not None
    assert store.purge_expired(T0 + timedelta(hours=2)) == 2
    assert store.get_token("a" * 64) is None
    assert store.get_token("r" * 64) is None
    assert store.purge_expired(T0 + timedelta(days=400)) == 0
