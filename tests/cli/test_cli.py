"""The ``credstack`` command line: keys new, sign, verify, validate, exit codes and messages.

Most tests call :func:`credstack.cli.main.main` in-process; a few run the installed console
script to prove that no Python traceback ever reaches the user.
"""

from __future__ import annotations

import base64
import io
import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
from credstack.resolve.did_web import make_did_document
from credstack.statuslist import encode_list
from tests.conftest import CREATED, VECTORS, make_open_badge, vector_json

AT = "2026-01-01T00:00:00Z"
DID_WEB = "did:web:issuer.example"
STATUS_URL = "https://issuer.example/status/1"
REVOKED_INDEX = 5
STEP_ORDER = [
    "parse",
    "context",
    "schema",
    "safe_mode",
    "key_resolution",
    "proof",
    "controller",
    "validity",
    "status",
]


# ------------------------------------------------------------------------------- helpers


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def key_file(tmp_path: Path, key: KeyPair, name: str = "issuer.key.json") -> Path:
    return write_json(tmp_path / name, key.to_multikey())


def signed_file(tmp_path: Path, document: dict[str, Any], key: KeyPair, name: str) -> Path:
    return write_json(tmp_path / name, add_proof(document, key, created=CREATED))


def json_report(out: str) -> dict[str, Any]:
    report = json.loads(out)
    assert isinstance(report, dict)
    return report


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in report["steps"] if s["step"] == name]
    assert found, f"no {name} step in {report['steps']}"
    first: dict[str, Any] = found[0]
    return first


def status_list(issuer: KeyPair, *, revoked: int | None) -> dict[str, Any]:
    """A signed BitstringStatusListCredential (131,072 entries) with at most one bit set."""
    bits = bytearray(16384)
    if revoked is not None:
        bits[revoked // 8] |= 0x80 >> (revoked % 8)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": STATUS_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did_key,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{STATUS_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits),
        },
    }
    return add_proof(unsigned, issuer, created=CREATED)


def badge_with_status(issuer: KeyPair, index: int) -> dict[str, Any]:
    entry = {
        "id": f"{STATUS_URL}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": STATUS_URL,
    }
    return add_proof(
        make_open_badge(issuer.did_key, credentialStatus=entry), issuer, created=CREATED
    )


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("credstack")
    return [str(script)] if script.exists() else [sys.executable, "-m", "credstack.cli.main"]


# ------------------------------------------------------------------------------- keys new


def test_keys_new_prints_multikey(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "keys", "new")
    assert code == 0
    data = json.loads(out)
    assert data["type"] == "Multikey"
    assert data["publicKeyMultibase"].startswith("z6Mk")
    assert data["secretKeyMultibase"].startswith("z3u2")
    pair = KeyPair.from_multikey(data)
    assert pair.public.multibase == data["publicKeyMultibase"]


def test_keys_new_records_id_and_controller(capsys: pytest.CaptureFixture[str]) -> None:
    vm = f"{DID_WEB}#key-1"
    code, out, _ = run(capsys, "keys", "new", "--id", vm, "--controller", DID_WEB)
    assert code == 0
    data = json.loads(out)
    assert data["id"] == vm
    assert data["controller"] == DID_WEB


def test_keys_new_out_creates_private_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "issuer.key.json"
    code, out, err = run(capsys, "keys", "new", "--out", str(target))
    assert code == 0
    assert out == ""  # the secret never goes to stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = json.loads(target.read_text("utf-8"))
    assert data["secretKeyMultibase"].startswith("z3u2")
    assert data["publicKeyMultibase"] in err
    assert data["secretKeyMultibase"] not in err


def test_keys_new_out_refuses_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "issuer.key.json"
    target.write_text("precious", encoding="utf-8")
    code, out, err = run(capsys, "keys", "new", "--out", str(target))
    assert code == 2
    assert "FILE_EXISTS" in err
    assert out == ""
    assert target.read_text("utf-8") == "precious"


# ------------------------------------------------------------------------------- sign


def test_sign_default_suite_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    code, out, _ = run(capsys, "sign", "--key", str(key_file(tmp_path, issuer_key)), str(badge))
    assert code == 0
    signed = json.loads(out)
    [proof] = signed["proof"]  # Open Badges: the proof is an array
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == issuer_key.verification_method
    signed_path = write_json(tmp_path / "signed.json", signed)
    code, out, _ = run(capsys, "verify", "--at", AT, str(signed_path))
    assert code == 0
    assert out.startswith("VALID: open-badge")


def test_sign_jcs_suite_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    keyf = key_file(tmp_path, issuer_key)
    code, out, _ = run(capsys, "sign", "--suite", "eddsa-jcs-2022", "--key", str(keyf), str(badge))
    assert code == 0
    signed = json.loads(out)
    assert signed["proof"][0]["cryptosuite"] == "eddsa-jcs-2022"
    assert signed["proof"][0]["@context"] == signed["@context"]
    code, out, _ = run(
        capsys, "verify", "--json", "--at", AT, str(write_json(tmp_path / "s.json", signed))
    )
    assert code == 0
    assert step(json_report(out), "proof")["details"]["suite"] == "eddsa-jcs-2022"


def test_sign_created_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    keyf = key_file(tmp_path, issuer_key)
    code, out, _ = run(
        capsys, "sign", "--created", "2025-07-01T14:00:00+02:00", "--key", str(keyf), str(badge)
    )
    assert code == 0
    assert json.loads(out)["proof"][0]["created"] == "2025-07-01T12:00:00Z"


def test_sign_without_created_writes_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    code, out, _ = run(capsys, "sign", "--key", str(key_file(tmp_path, issuer_key)), str(badge))
    assert code == 0
    assert "created" not in json.loads(out)["proof"][0]


def test_sign_verification_method_option_wins(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    keyed = KeyPair(issuer_key.seed, id=f"{DID_WEB}#key-1")
    badge = write_json(tmp_path / "badge.json", make_open_badge(DID_WEB))
    chosen = f"{DID_WEB}#key-2"
    code, out, _ = run(
        capsys,
        "sign",
        "--verification-method",
        chosen,
        "--key",
        str(key_file(tmp_path, keyed)),
        str(badge),
    )
    assert code == 0
    assert json.loads(out)["proof"][0]["verificationMethod"] == chosen


def test_sign_key_file_id_is_verification_method(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    vm = f"{DID_WEB}#key-1"
    keyed = KeyPair(issuer_key.seed, id=vm, controller=DID_WEB)
    badge = write_json(tmp_path / "badge.json", make_open_badge(DID_WEB))
    code, out, _ = run(capsys, "sign", "--key", str(key_file(tmp_path, keyed)), str(badge))
    assert code == 0
    assert json.loads(out)["proof"][0]["verificationMethod"] == vm


def test_sign_private_key_multibase_reproduces_w3c_vector(
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = vector_json("eddsa-rdfc-2022/signedDataInt.json")
    code, out, _ = run(
        capsys,
        "sign",
        "--created",
        expected["proof"]["created"],
        "--key",
        str(VECTORS / "keyPair.json"),
        str(VECTORS / "unsigned.json"),
    )
    assert code == 0
    signed = json.loads(out)
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert signed == expected


def test_sign_mismatched_key_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    other = KeyPair(bytes(range(1, 33)))
    data = issuer_key.to_multikey()
    data["publicKeyMultibase"] = other.public.multibase
    keyf = write_json(tmp_path / "bad.key.json", data)
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(badge))
    assert code == 2
    assert out == ""
    assert "INVALID_KEY" in err
    assert "does not match" in err


def test_sign_key_file_without_secret_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    keyf = write_json(tmp_path / "pub.json", issuer_key.to_multikey(include_secret=False))
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    code, out, err = run(capsys, "sign", "--key", str(keyf), str(badge))
    assert code == 2
    assert out == ""
    assert "secretKeyMultibase" in err


def test_sign_invalid_open_badge_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    del badge["credentialSubject"]["achievement"]
    path = write_json(tmp_path / "badge.json", badge)
    code, out, err = run(capsys, "sign", "--key", str(key_file(tmp_path, issuer_key)), str(path))
    assert code == 1
    assert out == ""
    assert "SCHEMA_VIOLATION" in err
    assert "invalid Open Badge" in err


def test_sign_reads_stdin(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    issuer_key: KeyPair,
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    feed_stdin(monkeypatch, json.dumps(badge).encode())
    code, out, _ = run(capsys, "sign", "--key", str(key_file(tmp_path, issuer_key)), "-")
    assert code == 0
    signed = json.loads(out)
    assert {k: v for k, v in signed.items() if k != "proof"} == badge
    assert len(signed["proof"]) == 1


def test_sign_plain_vc_keeps_single_proof_object(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keyf = VECTORS / "keyPair.json"
    code, out, _ = run(capsys, "sign", "--key", str(keyf), str(VECTORS / "unsigned.json"))
    assert code == 0
    assert isinstance(json.loads(out)["proof"], dict)


# ------------------------------------------------------------------------------- verify


def test_verify_human_report_lists_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    code, out, err = run(capsys, "verify", "--at", AT, str(path))
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"VALID: open-badge {signed_badge['id']}"
    assert lines[1] == f"  issuer: {signed_badge['issuer']['id']}"
    assert any(line.startswith("  ok   Signature: valid eddsa-rdfc-2022 proof") for line in lines)
    assert any("Key belongs to the issuer" in line for line in lines)
    assert "FAIL" not in out


def test_verify_json_report_steps_in_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(path))
    assert code == 0
    report = json_report(out)
    assert report["verified"] is True
    assert report["kind"] == "open-badge"
    assert report["checkedAt"] == AT
    assert report["issuer"] == signed_badge["issuer"]["id"]
    assert [s["step"] for s in report["steps"]] == STEP_ORDER
    assert [s["outcome"] for s in report["steps"]][:-1] == ["passed"] * (len(STEP_ORDER) - 1)
    assert step(report, "status")["outcome"] == "skipped"
    assert "error" not in report
    assert all("code" not in s for s in report["steps"])


def test_verify_tampered_json_reports_proof_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    tampered = dict(signed_badge, name="Forged Badge")
    path = write_json(tmp_path / "tampered.json", tampered)
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(path))
    assert code == 1
    report = json_report(out)
    assert report["verified"] is False
    assert step(report, "proof")["code"] == "PROOF_VERIFICATION_ERROR"
    assert report["error"] == {
        "step": "proof",
        "code": "PROOF_VERIFICATION_ERROR",
        "message": step(report, "proof")["message"],
    }


def test_verify_reads_stdin(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed_badge: dict[str, Any],
) -> None:
    feed_stdin(monkeypatch, json.dumps(signed_badge).encode())
    code, out, _ = run(capsys, "verify", "--at", AT)
    assert code == 0
    assert out.startswith("VALID: open-badge")


def test_verify_at_before_valid_from_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    code, out, _ = run(capsys, "verify", "--json", "--at", "2025-01-15T08:59:59Z", str(path))
    assert code == 1
    report = json_report(out)
    assert report["verified"] is False
    assert report["error"]["code"] == "CREDENTIAL_NOT_YET_VALID"
    assert step(report, "proof")["outcome"] == "passed"


def test_verify_at_after_valid_until_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key, validUntil="2026-06-30T23:59:59Z")
    path = signed_file(tmp_path, badge, issuer_key, "signed.json")
    code, out, _ = run(capsys, "verify", "--json", "--at", "2026-06-30T23:59:59Z", str(path))
    assert code == 0  # validUntil itself is still valid
    code, out, _ = run(capsys, "verify", "--json", "--at", "2026-07-01T00:00:00Z", str(path))
    assert code == 1
    report = json_report(out)
    assert report["error"]["code"] == "CREDENTIAL_EXPIRED"
    assert step(report, "validity")["outcome"] == "failed"


def _did_web_setup(tmp_path: Path, seed: bytes) -> tuple[Path, Path]:
    key = KeyPair(seed, id=f"{DID_WEB}#key-1")
    document = make_did_document(DID_WEB, [("key-1", key.public.multibase)], ["key-1"])
    did_path = write_json(tmp_path / "did.json", document)
    signed = signed_file(tmp_path, make_open_badge(DID_WEB), key, "signed.json")
    return did_path, signed


def test_verify_did_web_with_document_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    did_path, signed = _did_web_setup(tmp_path, issuer_key.seed)
    code, out, _ = run(
        capsys, "verify", "--json", "--at", AT, "--did-document", str(did_path), str(signed)
    )
    assert code == 0
    report = json_report(out)
    assert report["verified"] is True
    assert step(report, "key_resolution")["details"]["controller"] == DID_WEB
    assert step(report, "controller")["outcome"] == "passed"


def test_verify_did_web_without_document_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    _, signed = _did_web_setup(tmp_path, issuer_key.seed)
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(signed))
    assert code == 1
    report = json_report(out)
    resolution = step(report, "key_resolution")
    assert resolution["outcome"] == "failed"
    assert resolution["code"] == "UNRESOLVABLE_VERIFICATION_METHOD"
    assert DID_WEB in resolution["message"]
    assert report["error"]["step"] == "key_resolution"


def test_verify_did_web_wrong_document_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    _, signed = _did_web_setup(tmp_path, issuer_key.seed)
    impostor = KeyPair(bytes(range(1, 33)))
    document = make_did_document(DID_WEB, [("key-1", impostor.public.multibase)], ["key-1"])
    did_path = write_json(tmp_path / "impostor-did.json", document)
    code, out, _ = run(
        capsys, "verify", "--json", "--at", AT, "--did-document", str(did_path), str(signed)
    )
    assert code == 1
    assert json_report(out)["error"]["code"] == "PROOF_VERIFICATION_ERROR"


def test_verify_revoked_status_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    lst = write_json(tmp_path / "list.json", status_list(issuer_key, revoked=REVOKED_INDEX))
    cred = write_json(tmp_path / "cred.json", badge_with_status(issuer_key, REVOKED_INDEX))
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, "--status-list", str(lst), str(cred))
    assert code == 1
    report = json_report(out)
    assert report["error"]["code"] == "CREDENTIAL_REVOKED"
    assert step(report, "status")["outcome"] == "failed"
    assert step(report, "proof")["outcome"] == "passed"


def test_verify_not_revoked_status_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    lst = write_json(tmp_path / "list.json", status_list(issuer_key, revoked=REVOKED_INDEX))
    cred = write_json(tmp_path / "cred.json", badge_with_status(issuer_key, REVOKED_INDEX + 1))
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, "--status-list", str(lst), str(cred))
    assert code == 0
    status = step(json_report(out), "status")
    assert status["outcome"] == "passed"
    assert status["details"]["statusPurpose"] == "revocation"


def test_verify_status_list_missing_warns_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    cred = write_json(tmp_path / "cred.json", badge_with_status(issuer_key, REVOKED_INDEX))
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(cred))
    assert code == 0
    report = json_report(out)
    assert report["verified"] is True
    status = step(report, "status")
    assert status["outcome"] == "warning"
    assert status["code"] == "STATUS_RETRIEVAL_ERROR"
    assert STATUS_URL in status["message"]
    code, out, _ = run(capsys, "verify", "--at", AT, str(cred))
    assert code == 0
    assert "warn Revocation status" in out


def test_verify_status_list_from_other_issuer_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    stranger = KeyPair(bytes(range(1, 33)))
    lst = write_json(tmp_path / "list.json", status_list(stranger, revoked=None))
    cred = write_json(tmp_path / "cred.json", badge_with_status(issuer_key, REVOKED_INDEX))
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, "--status-list", str(lst), str(cred))
    assert code == 1
    assert json_report(out)["error"]["code"] == "STATUS_VERIFICATION_ERROR"


def test_verify_status_list_without_id_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    raw = status_list(issuer_key, revoked=None)
    del raw["id"]
    lst = write_json(tmp_path / "list.json", raw)
    cred = write_json(tmp_path / "cred.json", badge_with_status(issuer_key, REVOKED_INDEX))
    code, out, err = run(capsys, "verify", "--at", AT, "--status-list", str(lst), str(cred))
    assert code == 2
    assert out == ""
    assert "has no id" in err


# ------------------------------------------------------------------------------- validate


def test_validate_valid_badge_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    path = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert out.startswith("VALID")
    code, out, _ = run(capsys, "validate", "--json", str(path))
    assert code == 0
    assert json.loads(out) == {"valid": True, "problems": []}


def test_validate_invalid_badge_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = make_open_badge(issuer_key.did_key)
    del badge["credentialSubject"]["achievement"]
    path = write_json(tmp_path / "badge.json", badge)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.startswith("NOT VALID")
    code, out, _ = run(capsys, "validate", "--json", str(path))
    assert code == 1
    result = json.loads(out)
    assert result["valid"] is False
    assert result["problems"]
    assert {"path", "code", "message"} == set(result["problems"][0])


def test_validate_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, issuer_key: KeyPair
) -> None:
    feed_stdin(monkeypatch, json.dumps(make_open_badge(issuer_key.did_key)).encode())
    code, out, _ = run(capsys, "validate", "-")
    assert code == 0
    assert out.startswith("VALID")


def test_validate_not_a_credential_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_json(tmp_path / "thing.json", {"name": "no context"})
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert out == ""
    assert "not a credential" in err


# ------------------------------------------------------------------------------- usage


def test_sign_unknown_suite_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    keyf = key_file(tmp_path, issuer_key)
    code, out, err = run(
        capsys, "sign", "--suite", "ecdsa-rdfc-2019", "--key", str(keyf), str(badge)
    )
    assert code == 2
    assert out == ""
    assert "--suite" in err
    assert "ecdsa-rdfc-2019" in err


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z"]
)
def test_verify_bad_at_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any], value: str
) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    code, out, err = run(capsys, "verify", "--at", value, str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("credstack: --at:")


def test_sign_bad_created_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    badge = write_json(tmp_path / "badge.json", make_open_badge(issuer_key.did_key))
    keyf = key_file(tmp_path, issuer_key)
    code, out, err = run(capsys, "sign", "--created", "noon", "--key", str(keyf), str(badge))
    assert code == 2
    assert out == ""
    assert "--created" in err


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["keys"], ["sign", "badge.json"], ["verify", "--bogus", "x.json"]],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("credstack: ")


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "verify", str(tmp_path / "absent.json"))
    assert code == 2
    assert out == ""
    assert "cannot read credential" in err


def test_missing_did_document_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    code, out, err = run(capsys, "verify", "--did-document", str(tmp_path / "nope.json"), str(path))
    assert code == 2
    assert out == ""
    assert "nope.json" in err


# ------------------------------------------------------------------------------- real process


def _run_process(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*console_script(), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_console_script_verifies_signed_badge(tmp_path: Path, signed_badge: dict[str, Any]) -> None:
    path = write_json(tmp_path / "signed.json", signed_badge)
    done = _run_process(["verify", "--at", AT, str(path)])
    assert done.returncode == 0
    assert done.stdout.decode().startswith("VALID: open-badge")
    assert b"Traceback" not in done.stderr


def test_console_script_malformed_json_no_traceback() -> None:
    done = _run_process(["verify", "-"], stdin=b'{"@context": [')
    assert done.returncode == 2
    output = (done.stdout + done.stderr).decode()
    assert "Traceback" not in output
    assert "INVALID_JSON" in output
    assert "UNUSABLE INPUT" in output


def test_console_script_bad_inputs_no_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 10_000 + b"]" * 10_000)
    for args, stdin in (
        (["verify", str(deep)], b""),
        (["sign", "--key", str(tmp_path / "none.key"), "-"], b"{}"),
        (["validate", "-"], b'{"@context": [], "type": "X", "n": NaN}'),
        (["keys", "new", "--out", str(tmp_path)], b""),
    ):
        done = _run_process(args, stdin)
        output = (done.stdout + done.stderr).decode()
        assert done.returncode == 2, (args, output)
        assert "Traceback" not in output
        assert "credstack" in output or "UNUSABLE INPUT" in output


def test_console_script_module_entry_matches(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "credstack.cli.main", "keys", "new"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["type"] == "Multikey"


def test_verify_default_time_is_now(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    future = datetime.now(UTC).replace(microsecond=0).year + 5
    badge = make_open_badge(issuer_key.did_key, validFrom=f"{future}-01-01T00:00:00Z")
    path = signed_file(tmp_path, badge, issuer_key, "future.json")
    code, out, _ = run(capsys, "verify", "--json", str(path))
    assert code == 1
    assert json_report(out)["error"]["code"] == "CREDENTIAL_NOT_YET_VALID"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_verify_vc_jwt_file_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, issuer_key: KeyPair
) -> None:
    credential = make_open_badge(issuer_key.did_key)
    payload = {
        **credential,
        "iss": issuer_key.did_key,
        "jti": credential["id"],
        "nbf": 1736931600,
        "sub": credential["credentialSubject"]["id"],
    }
    header = {"alg": "EdDSA", "typ": "JWT", "kid": issuer_key.verification_method}
    signing_input = (
        f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
    )
    token = f"{signing_input}.{_b64url(issuer_key.sign(signing_input.encode()))}\n"
    path = tmp_path / "badge.jwt"
    path.write_text(token, encoding="ascii")
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(path))
    assert code == 0
    assert json_report(out)["kind"] == "vc-jwt+open-badge"
    broken = tmp_path / "broken.jwt"
    broken.write_text(token[:-10] + "AAAAAAAAA\n", encoding="ascii")
    code, out, _ = run(capsys, "verify", "--json", "--at", AT, str(broken))
    assert code == 1
    assert json_report(out)["verified"] is False


def test_verify_presentation_exits_by_nested_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signed_badge: dict[str, Any]
) -> None:
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [signed_badge],
    }
    code, out, _ = run(capsys, "verify", "--at", AT, str(write_json(tmp_path / "vp.json", vp)))
    assert code == 0
    assert out.startswith("VALID: presentation")
    vp["verifiableCredential"] = [dict(signed_badge, name="Forged")]
    code, out, _ = run(
        capsys, "verify", "--json", "--at", AT, str(write_json(tmp_path / "bad.json", vp))
    )
    assert code == 1
    report = json_report(out)
    assert [c["verified"] for c in report["credentials"]] == [False]
