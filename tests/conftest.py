"""Shared fixtures: test assets, fixed times, factories for valid credentials and keys."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof

ASSETS = Path(__file__).parent / "assets"
_RECURSION_LIMIT = sys.getrecursionlimit()


@pytest.fixture(autouse=True)
def _keep_recursion_limit() -> Iterator[None]:
    """Some dependencies (py_ecc, py-evm) raise the recursion limit when imported; keep each
    test on the interpreter's own limit so one test's imports cannot change another's."""
    yield
    if sys.getrecursionlimit() != _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)


VECTORS = ASSETS / "vc-di-eddsa"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CREATED = datetime(2025, 7, 1, 12, 0, 0, tzinfo=UTC)


def asset_json(relative: str) -> Any:
    return json.loads((ASSETS / relative).read_text("utf-8"))


def vector_text(relative: str) -> str:
    return (VECTORS / relative).read_text("utf-8")


def vector_json(relative: str) -> Any:
    return json.loads(vector_text(relative))


def vector_key(name: str = "keyPair.json") -> KeyPair:
    return KeyPair.from_multikey(vector_json(name))


def make_open_badge(issuer: str, **overrides: Any) -> dict[str, Any]:
    """A valid unsigned OpenBadgeCredential (3 skill alignments) issued by ``issuer``."""
    badge: dict[str, Any] = copy.deepcopy(asset_json("ob_credential_unsigned.json"))
    badge["issuer"]["id"] = issuer
    badge.update(overrides)
    return badge


@pytest.fixture
def issuer_key() -> KeyPair:
    return KeyPair(bytes(range(32)))


@pytest.fixture
def signed_badge(issuer_key: KeyPair) -> dict[str, Any]:
    return add_proof(make_open_badge(issuer_key.did_key), issuer_key, created=CREATED)
