"""`credstack suspend` and `credstack reinstate` on SQLite, beside `credstack revoke`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from tests.platform.conftest import DESIGN


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDSTACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CREDSTACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDSTACK_KEK", raising=False)
    monkeypatch.delenv("CREDSTACK_SMTP_URL", raising=False)
    for name, suspendable in (("plain", False), ("suspendable", True)):
        design = {**DESIGN, "name": f"{name} badge", "suspendable": suspendable}
        (tmp_path / f"{name}.json").write_text(json.dumps(design))
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> Any:
    assert main(argv) == code
    return json.loads(capsys.readouterr().out)


def _issue(capsys: pytest.CaptureFixture[str], root: Path, design: str) -> str:
    made = _json(
        capsys,
        ["achievement", "create", "--org", "uni", "--design", str(root / design), "--publish"],
    )
    version = str(made["version_id"])
    issued = _json(
        capsys, ["issue", "--org", "uni", "--achievement", version, "--email", "ana@example.org"]
    )
    return str(issued["id"])


def test_suspend_then_reinstate(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _json(capsys, ["org", "create", "--slug", "uni", "--name", "Example University"])
    credential_id = _issue(capsys, deployment, "suspendable.json")
    suspended = _json(
        capsys, ["suspend", "--org", "uni", "--reason", "complaint under review", credential_id]
    )
    assert suspended["id"] == credential_id
    assert suspended["suspended_at"] is not None
    assert suspended["suspension_reason"] == "complaint under review"
    reinstated = _json(capsys, ["reinstate", "--org", "uni", credential_id])
    assert reinstated == {"id": credential_id, "suspended_at": None}


def test_refusals_are_clear_errors(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _json(capsys, ["org", "create", "--slug", "uni", "--name", "Example University"])
    plain = _issue(capsys, deployment, "plain.json")
    assert main(["suspend", "--org", "uni", "--reason", "review", plain]) == 1
    captured = capsys.readouterr()
    assert "INVALID_STATE" in captured.err
    assert "not suspendable" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""

    suspendable = _issue(capsys, deployment, "suspendable.json")
    assert main(["suspend", "--org", "uni", "--reason", "   ", suspendable]) == 2
    assert "needs a reason" in capsys.readouterr().err
    _json(capsys, ["revoke", "--org", "uni", "--reason", "fraud", suspendable])
    assert main(["reinstate", "--org", "uni", suspendable]) == 1
    assert "a revocation cannot be lifted" in capsys.readouterr().err

    assert main(["suspend", "--org", "uni", suspendable]) == 2  # --reason is required
    assert "required: --reason" in capsys.readouterr().err
