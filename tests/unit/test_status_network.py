"""Status lists and DID documents from files, a cache folder, or the guarded fetcher."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
from credstack.resolve.fetch import GuardedFetcher
from credstack.resolve.resolver import CompositeResolver
from credstack.statuslist import encode_list, set_status
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.conftest import CREATED, NOW, make_open_badge

LIST_URL = "https://status.example/lists/1"


def _status_list(key: KeyPair, revoked: int) -> dict[str, Any]:
    bits = bytearray(16384)
    set_status(bits, revoked, 1)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.did_key,
        "validFrom": "2025-07-01T00:00:00Z",
        "credentialSubject": {
            "id": LIST_URL + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits),
        },
    }
    return add_proof(unsigned, key, created=CREATED)


def _badge(key: KeyPair, index: int) -> dict[str, Any]:
    badge = make_open_badge(key.did_key)
    badge["credentialStatus"] = {
        "id": f"{LIST_URL}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": LIST_URL,
    }
    return add_proof(badge, key, created=CREATED)


class _Lists(BaseHTTPRequestHandler):
    body = b""
    hits = 0

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@pytest.fixture
def list_server() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Lists)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_verify_status_list_fetched_through_guarded_fetcher(list_server: tuple[str, int]) -> None:
    host, port = list_server
    key = KeyPair(bytes(range(32)))
    url = f"http://{host}:{port}/lists/1"
    status = _status_list(key, revoked=5)
    status_unsigned = {k: v for k, v in status.items() if k != "proof"}
    status_unsigned["id"] = url
    _Lists.body = json.dumps(add_proof(status_unsigned, key, created=CREATED)).encode()
    badge = make_open_badge(key.did_key)
    badge["credentialStatus"] = {
        "id": f"{url}#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": url,
    }
    signed = add_proof(badge, key, created=CREATED)
    fetcher = GuardedFetcher(allow=[("http", host, port)])
    report = Verifier(CompositeResolver()).verify(signed, VerifyOptions(at=NOW, fetcher=fetcher))
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_REVOKED"
    # without the allowlist the same loopback URL is refused: the guard is in the path
    refused = Verifier(CompositeResolver()).verify(
        signed, VerifyOptions(at=NOW, fetcher=GuardedFetcher())
    )
    failure = refused.first_failure
    assert failure is not None
    assert failure.code == "STATUS_RETRIEVAL_ERROR"
    assert "only https" in failure.message
    assert _Lists.hits == 1  # the refused fetch never reached the server


def test_cli_verify_cache_folder_supplies_status_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = KeyPair(bytes(range(32)))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "list.json").write_text(json.dumps(_status_list(key, revoked=7)))
    revoked, fine = tmp_path / "revoked.json", tmp_path / "fine.json"
    revoked.write_text(json.dumps(_badge(key, 7)))
    fine.write_text(json.dumps(_badge(key, 8)))
    at = "2026-01-01T00:00:00Z"
    assert main(["verify", "--at", at, "--cache", str(cache), str(revoked)]) == 1
    assert "CREDENTIAL_REVOKED" in capsys.readouterr().out
    assert main(["verify", "--at", at, "--cache", str(cache), "--json", str(fine)]) == 0
    report = json.loads(capsys.readouterr().out)
    status = [s for s in report["steps"] if s["step"] == "status"]
    assert status[0]["outcome"] == "passed"


def test_cli_verify_cache_missing_folder_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = tmp_path / "c.json"
    credential.write_text(json.dumps(_badge(KeyPair(bytes(range(32))), 1)))
    assert main(["verify", "--cache", str(tmp_path / "nope"), str(credential)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_cli_verify_without_list_warns_and_stays_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = tmp_path / "c.json"
    credential.write_text(json.dumps(_badge(KeyPair(bytes(range(32))), 1)))
    assert main(["verify", "--at", "2026-01-01T00:00:00Z", str(credential)]) == 0
    out = capsys.readouterr().out
    assert "warn" in out
    assert "not supplied" in out
