"""``credstack verify`` with verification bundles and baked badges: pinned keys, witnesses,
trust lists, exit codes 0/1/2, size bound, and unchanged behaviour for plain credentials."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from credstack.baking import bake_png, bake_svg
from credstack.cli.main import main
from credstack.log.bundle import NO_TRUST_MESSAGE, TrustAnchors
from credstack.log.cosign import cosign, cosignature_signer
from tests.log.test_bundle import (
    DOC_V1,
    FORGER_LOG,
    LOG,
    STATUS_AT,
    WITNESS_A,
    compromise_scenario,
    issued_scenario,
)
from tests.unit.test_baking import tiny_png

AT = "2026-01-01T00:00:00Z"
LOG_VKEY = LOG.verifier.to_vkey()
WITNESS = cosignature_signer("witness-0.example", WITNESS_A)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def write_bundle(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "bundle.json"
    if data is None:
        path.write_bytes(issued_scenario().bundle.dumps())
    else:
        path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_verify_bundle_with_log_key_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bundle(tmp_path)
    code, out, _ = run(capsys, "verify", str(path), "--at", AT, "--log-key", LOG_VKEY)
    assert code == 0
    assert out.startswith("VALID: verification bundle (log evidence trusted)")
    assert "status evidence is 12 days old" in out


def test_verify_bundle_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_bundle(tmp_path)
    code, out, _ = run(capsys, "verify", str(path), "--at", AT, "--log-key", LOG_VKEY, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["verified"] is True
    assert report["logTrusted"] is True
    assert report["credential"]["verified"] is True


def test_verify_bundle_without_log_key_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bundle(tmp_path)
    code, out, _ = run(capsys, "verify", str(path), "--at", AT)
    assert code == 0  # the credential alone verifies
    assert "log evidence NOT trusted" in out
    assert NO_TRUST_MESSAGE in out


def test_verify_bundle_with_wrong_log_key_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bundle(tmp_path)
    code, out, _ = run(
        capsys, "verify", str(path), "--at", AT, "--log-key", FORGER_LOG.verifier.to_vkey()
    )
    assert code == 1
    assert out.startswith("NOT VALID")


def test_verify_altered_bundle_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(issued_scenario().bundle.dumps())
    data["credential"]["name"] = "Forged"
    path = write_bundle(tmp_path, data)
    code, out, _ = run(capsys, "verify", str(path), "--at", AT, "--log-key", LOG_VKEY)
    assert code == 1
    assert "altered" in out


def test_verify_malformed_bundle_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(issued_scenario().bundle.dumps())
    data["version"] = 99
    code, out, _ = run(capsys, "verify", str(write_bundle(tmp_path, data)), "--at", AT)
    assert code == 2
    assert "UNUSABLE INPUT" in out


def test_verify_bundle_witnesses_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = issued_scenario().bundle
    cosigned = replace(
        bundle, checkpoint=cosign(bundle.checkpoint, WITNESS_A, "witness-0.example", STATUS_AT)
    )
    path = tmp_path / "cosigned.json"
    path.write_bytes(cosigned.dumps())
    wkey = WITNESS.verifier.to_vkey()
    base = ["verify", str(path), "--at", AT, "--log-key", LOG_VKEY, "--witness-key", wkey]
    assert run(capsys, *base, "--witnesses", "1")[0] == 0
    # the uncosigned bundle lacks the required cosignature
    plain = write_bundle(tmp_path)
    code, out, _ = run(
        capsys, "verify", str(plain), "--at", AT, "--log-key", LOG_VKEY, "--witness-key", wkey,
        "--witnesses", "1",
    )  # fmt: skip
    assert code == 1
    assert "cosignature" in out


def test_verify_bundle_with_trust_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(TrustAnchors(log_keys=(LOG.verifier,)).to_json()))
    code, out, _ = run(
        capsys, "verify", str(write_bundle(tmp_path)), "--at", AT, "--trust", str(trust)
    )
    assert code == 0
    assert "log evidence trusted" in out


def test_verify_bundle_bad_key_option_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(write_bundle(tmp_path))
    code, _, err = run(capsys, "verify", path, "--at", AT, "--log-key", "nonsense")
    assert code == 2
    assert "INVALID_KEY" in err
    code, _, err = run(
        capsys, "verify", path, "--at", AT, "--log-key", LOG_VKEY, "--witnesses", "2"
    )
    assert code == 2
    assert "CONFIGURATION_ERROR" in err


def test_verify_compromised_key_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tmp_path / "before.json"
    before.write_bytes(compromise_scenario().bundle.dumps())
    after = tmp_path / "after.json"
    after.write_bytes(compromise_scenario(logged_after_compromise=True).bundle.dumps())
    assert run(capsys, "verify", str(before), "--at", AT, "--log-key", LOG_VKEY)[0] == 0
    code, out, _ = run(capsys, "verify", str(after), "--at", AT, "--log-key", LOG_VKEY)
    assert code == 1
    assert "compromised since" in out


def test_verify_50_mb_bundle_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.write(b'{"type": "CredstackVerificationBundle", "pad": "')
        fh.truncate(50 * 1024 * 1024)
    code, _, err = run(capsys, "verify", str(path), "--at", AT)
    assert code == 2
    assert "INPUT_TOO_LARGE" in err


def test_verify_baked_png_with_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = issued_scenario().bundle
    png = tmp_path / "badge.png"
    png.write_bytes(bake_png(tiny_png(), bundle.credential, bundle=bundle.to_json()))
    code, out, _ = run(capsys, "verify", str(png), "--at", AT, "--log-key", LOG_VKEY)
    assert code == 0
    assert "Baked credential matches the bundle" in out


def test_verify_baked_svg_whose_credential_differs_from_bundle_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = issued_scenario().bundle
    other = dict(bundle.credential, name="Swapped")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    path = tmp_path / "badge.svg"
    path.write_bytes(bake_svg(svg, other, bundle=bundle.to_json()))
    code, out, _ = run(capsys, "verify", str(path), "--at", AT, "--log-key", LOG_VKEY)
    assert code == 1
    assert "differs" in out


def test_verify_baked_png_without_bundle_verifies_credential(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = issued_scenario().bundle
    png = tmp_path / "badge.png"
    png.write_bytes(bake_png(tiny_png(), bundle.credential))
    doc = tmp_path / "did.json"
    doc.write_text(json.dumps(DOC_V1))
    code, out, _ = run(capsys, "verify", str(png), "--at", AT, "--did-document", str(doc))
    assert code == 0
    assert out.startswith("VALID: open-badge")


def test_verify_plain_credential_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = issued_scenario().bundle.credential
    path = tmp_path / "cred.json"
    path.write_text(json.dumps(credential))
    doc = tmp_path / "did.json"
    doc.write_text(json.dumps(DOC_V1))
    code, out, _ = run(capsys, "verify", str(path), "--at", AT, "--did-document", str(doc))
    assert code == 0
    assert out.startswith("VALID: open-badge")
    big = tmp_path / "big.json"
    big.write_text(json.dumps(dict(credential, pad="x" * (5 * 1024 * 1024))))
    code, _, err = run(capsys, "verify", str(big), "--at", AT)
    assert code == 2
    assert "INPUT_TOO_LARGE" in err
