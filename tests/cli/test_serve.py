"""``credstack serve --demo`` over real TLS: the demo deployment answers on loopback, its
did:web document verifies the demo credentials, and status lists are served signed."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from credstack.resolve.resolver import CompositeResolver
from credstack.verify.verifier import Verifier, VerifyOptions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    root = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "CREDSTACK_DATA_DIR": str(root / "data")}
    env.pop("CREDSTACK_DATABASE_URL", None)
    env.pop("CREDSTACK_KEK", None)
    log_path = root / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "credstack.cli.main", "serve", "--demo", "--port", str(port)],
        env=env,
        stderr=log,
        stdout=subprocess.DEVNULL,
    )
    ca = root / "data" / "tls" / "ca.pem"
    base = f"https://localhost:{port}"
    try:
        # wait for readiness by polling the socket (bounded; no fixed sleeps decide the result)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited: {log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start within 60 s")
        yield base, ca, root / "data" / "credstack.db"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_demo_did_document_over_tls_verifies_demo_credentials(
    server: tuple[str, Path, Path],
) -> None:
    base, ca, database = server
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=30) as client:
        did_doc = client.get(f"{base}/orgs/demo-university/did.json")
        assert did_doc.status_code == 200, did_doc.text
        platform = client.get(f"{base}/.well-known/did.json")
        assert platform.status_code == 200, platform.text
        assert platform.json()["id"].startswith("did:web:localhost")
        document = did_doc.json()
        rows = (
            sqlite3.connect(database)
            .execute("select credential_json from issued_credentials")
            .fetchall()
        )
        assert len(rows) == 6
        credential = json.loads(rows[0][0])
        status_url = credential["credentialStatus"]["statusListCredential"]
        assert status_url.startswith(base)
        status = client.get(status_url)
        assert status.status_code == 200
        assert "max-age" in status.headers.get("cache-control", "")
    report = Verifier(CompositeResolver(documents=[document])).verify(
        rows[0][0], VerifyOptions(at=datetime.now(UTC), status_lists={status_url: status.json()})
    )
    assert report.verified, report.render()
    assert document["id"] == credential["issuer"]["id"]


def test_plain_http_client_refused_by_tls_server(server: tuple[str, Path, Path]) -> None:
    base, _, _ = server
    with httpx.Client(timeout=10) as client, pytest.raises(httpx.HTTPError):
        client.get(base.replace("https://", "http://") + "/orgs/demo-university/did.json")
