"""``credstack witness --once`` against a real credstack app (in-process ASGI transport)."""

from __future__ import annotations

import argparse
import base64
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

import httpx

from credstack.api import create_app
from credstack.cli.witness import check_log_url, register
from credstack.crypto.keys import KeyPair, write_key_file
from credstack.errors import InvalidInput
from credstack.log.cosign import cosignature_verifier, verify_cosignatures
from credstack.log.note import NoteVerifier
from credstack.log.witness import load_state
from credstack.platform.platform_identity import ensure_platform_key
from credstack.platform.translog import log_verifiers
from tests.api.conftest import BASE, FAST_HASHER, HOST, T0, World
from tests.api.conftest import world as world  # the API world fixture

WITNESS = KeyPair(bytes(range(32)))
WITNESS_NAME = "witness.example/w1"
Run = Callable[..., int]


@pytest.fixture
def app_client(world: World) -> Callable[[], httpx.Client]:
    """A factory of clients of an app that accepts cosignatures from the witness."""
    uow = world.db.unit_of_work()
    ensure_platform_key(uow, world.custody, HOST, at=T0)
    uow.commit()
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        password_hasher=FAST_HASHER,
        witnesses=[cosignature_verifier(WITNESS_NAME, WITNESS.public).to_vkey()],
    )
    # Starlette's TestClient speaks the httpx Client interface (from httpx2) over ASGI
    return lambda: cast(httpx.Client, TestClient(app, base_url=BASE))


@pytest.fixture
def run(world: World, app_client: Callable[[], httpx.Client], tmp_path: Path) -> Run:
    key_file = tmp_path / "witness.json"
    write_key_file(WITNESS, key_file)
    with app_client() as client:
        document = client.get("/.well-known/did.json").json()
    vkey = log_verifiers(document, HOST)[0].to_vkey()

    def invoke(
        *extra: str,
        log: str = BASE,
        log_key: str = vkey,
        factory: Callable[[], httpx.Client] = app_client,
    ) -> int:
        parser = argparse.ArgumentParser(prog="credstack")
        sub = parser.add_subparsers(dest="command", required=True)
        register(sub, argparse.ArgumentParser, client_factory=factory, clock=world.clock)
        argv = ["witness", "--log", log, "--log-key", log_key, "--key", str(key_file)]
        argv += ["--name", WITNESS_NAME, "--state", str(tmp_path / "state.json"), *extra]
        args = parser.parse_args(argv)
        code: int = args.func(args)
        return code

    return invoke


def _issue(world: World, email: str) -> None:
    response = world.client.post(
        "/orgs/uni/credentials",
        headers=world.auth("issuer"),
        json={"achievement_version_id": world.published.id, "email": email},
    )
    assert response.status_code == 201, response.text


def _served_cosignatures(world: World) -> tuple[int, int]:
    text = world.client.get("/log/checkpoint").text
    verifier = cosignature_verifier(WITNESS_NAME, WITNESS.public)
    head, sigs = verify_cosignatures(text, [verifier], required_n=0)
    return head.size, len(sigs)


def test_witness_once_submit_cosigns_log_heads_exit_0(
    world: World, run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--once", "--submit") == 0
    state = load_state(tmp_path / "state.json")
    assert state is not None
    assert state.origin == f"{HOST}/log"
    assert _served_cosignatures(world) == (state.size, 1)
    assert "first" in capsys.readouterr().err

    _issue(world, "new@example.org")
    assert run("--once", "--submit") == 0
    later = load_state(tmp_path / "state.json")
    assert later is not None
    assert later.size == state.size + 1
    assert _served_cosignatures(world) == (later.size, 1)
    assert "advanced" in capsys.readouterr().err

    assert run("--once", "--submit") == 0  # nothing new: already cosigned, nothing sent
    assert "already cosigned" in capsys.readouterr().err


def test_witness_once_without_submit_prints_cosigned_checkpoint(
    world: World, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--once") == 0
    out = capsys.readouterr().out
    verifier = cosignature_verifier(WITNESS_NAME, WITNESS.public)
    head, sigs = verify_cosignatures(out, [verifier], required_n=1)
    assert len(sigs) == 1
    assert _served_cosignatures(world) == (head.size, 0)  # nothing was submitted


def test_witness_equivocation_exits_3(
    world: World, run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--once") == 0
    path = tmp_path / "state.json"
    data = json.loads(path.read_text())
    data["root_hash"] = base64.b64encode(bytes(32)).decode()  # the log showed another head
    path.write_text(json.dumps(data))
    capsys.readouterr()
    assert run("--once", "--submit") == 3
    err = capsys.readouterr().err
    assert "ALARM equivocation" in err
    assert _served_cosignatures(world)[1] == 0
    assert json.loads(path.read_text()) == data  # the alarm keeps the known head


def test_witness_inconsistent_history_exits_3(
    world: World, run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--once") == 0
    path = tmp_path / "state.json"
    data = json.loads(path.read_text())
    data["root_hash"] = base64.b64encode(bytes(32)).decode()
    path.write_text(json.dumps(data))
    _issue(world, "new@example.org")
    capsys.readouterr()
    assert run("--once") == 3
    assert "ALARM inconsistent" in capsys.readouterr().err


def test_witness_wrong_log_key_exits_2(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    other = KeyPair(bytes([5]) * 32)
    vkey = NoteVerifier.for_key(f"{HOST}/log", other.public).to_vkey()
    assert run("--once", log_key=vkey) == 2
    assert "PROOF_VERIFICATION_ERROR" in capsys.readouterr().err


def test_witness_plain_http_refused_exits_2(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--once", log="http://credstack.example") == 2
    assert "https" in capsys.readouterr().err


def test_check_log_url_allows_http_only_to_loopback_when_asked() -> None:
    assert check_log_url("http://127.0.0.1:8000/", allow_http_loopback=True) == (
        "http://127.0.0.1:8000"
    )
    with pytest.raises(InvalidInput):
        check_log_url("http://127.0.0.1:8000")
    with pytest.raises(InvalidInput):
        check_log_url("http://example.org", allow_http_loopback=True)
    assert check_log_url("https://log.example/") == "https://log.example"


def test_witness_unreachable_log_exits_2(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def offline() -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(refuse))

    assert run("--once", factory=offline) == 2
    assert "UNAVAILABLE" in capsys.readouterr().err
    assert not (tmp_path / "state.json").exists()
