"""The platform commands end to end on SQLite: org, achievement, issue (one and bulk), revoke,
jobs; and a bulk job killed with SIGKILL mid-way, then resumed: every row issued exactly once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from credstack.cli.platform import FAULT_KILL_AFTER_BATCHES
from tests.platform.conftest import DESIGN


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDSTACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CREDSTACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDSTACK_KEK", raising=False)
    design = tmp_path / "design.json"
    design.write_text(json.dumps(DESIGN))
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> Any:
    assert main(argv) == code
    return json.loads(capsys.readouterr().out)


def _setup(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    _json(
        capsys,
        ["org", "create", "--slug", "uni", "--name", "Example University", "--country", "NL"],
    )
    made = _json(
        capsys,
        [
            "achievement",
            "create",
            "--org",
            "uni",
            "--design",
            str(root / "design.json"),
            "--publish",
        ],
    )
    assert made["status"] == "published"
    return str(made["version_id"])


def test_issue_one_then_revoke(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    version = _setup(capsys, deployment)
    credential = _json(
        capsys, ["issue", "--org", "uni", "--achievement", version, "--email", "ana@example.org"]
    )
    assert credential["issuer"]["id"].startswith("did:web:localhost%3A8443:orgs:uni")
    assert (deployment / "data" / "kek").stat().st_mode & 0o777 == 0o600
    revoked = _json(capsys, ["revoke", "--org", "uni", "--reason", "typo", credential["id"]])
    assert revoked["revoked_at"] is not None


def test_unknown_org_is_a_clear_error(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issue", "--org", "nope", "--achievement", "x", "--email", "a@example.org"]) == 1
    assert "no organisation 'nope'" in capsys.readouterr().err


def test_bulk_dry_run_reports_bad_lines(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    version = _setup(capsys, deployment)
    upload = deployment / "rows.csv"
    upload.write_text("idempotency_key,email\nr1,ana@example.org\nr2,broken\n")
    report = _json(
        capsys,
        ["issue", "--org", "uni", "--achievement", version, "--file", str(upload), "--dry-run"],
        1,
    )
    assert report["invalid"] == 1
    assert report["errors"][0]["line"] == 3
    listed = _json(capsys, ["jobs", "list", "--org", "uni"])
    assert listed[0]["dry_run"] is True


def test_bulk_killed_midway_then_resumed_issues_each_row_once(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    version = _setup(capsys, deployment)
    upload = deployment / "rows.csv"
    upload.write_text(
        "idempotency_key,email\n" + "".join(f"k{i},l{i}@example.org\n" for i in range(450))
    )
    env = {**os.environ, FAULT_KILL_AFTER_BATCHES: "1"}
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "credstack.cli.main",
            "issue",
            "--org",
            "uni",
            "--achievement",
            version,
            "--file",
            str(upload),
            "--batch-size",
            "200",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr  # SIGKILL after the first committed batch
    job = _json(capsys, ["jobs", "list", "--org", "uni"])[0]
    assert job["status"] == "running"
    assert job["issued"] == 200
    done = _json(capsys, ["jobs", "resume", "--org", "uni", job["job_id"]])
    assert (done["status"], done["issued"]) == ("done", 450)
    again = _json(capsys, ["jobs", "resume", "--org", "uni", job["job_id"]])
    assert again["issued"] == 450
    database = sqlite3.connect(deployment / "data" / "credstack.db")
    count, distinct = database.execute(
        "select count(*), count(distinct idempotency_key) from issued_credentials"
    ).fetchone()
    assert (count, distinct) == (450, 450)


def test_bulk_issue_mails_claim_links_over_smtp(
    deployment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.platform.test_claims_endorsements import SmtpSink, body_text

    sink = SmtpSink()
    sink.start()
    try:
        monkeypatch.setenv(
            "CREDSTACK_SMTP_URL", f"smtp://127.0.0.1:{sink.port}?from=badges@uni.example&starttls=0"
        )
        version = _setup(capsys, deployment)
        upload = deployment / "rows.csv"
        upload.write_text("idempotency_key,email,did\nr1,ana@example.org,\nr2,,did:example:bea\n")
        done = _json(
            capsys, ["issue", "--org", "uni", "--achievement", version, "--file", str(upload)]
        )
        assert done["issued"] == 2
    finally:
        sink.stop()
    assert [m["To"] for m in sink.messages] == ["ana@example.org"]  # the DID-only row gets no mail
    assert sink.messages[0]["From"] == "badges@uni.example"
    assert "/claim/" in body_text(sink.messages[0])


def test_bad_smtp_url_is_a_configuration_error(
    deployment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDSTACK_SMTP_URL", "http://mail.example")
    assert main(["org", "list"]) == 2
    assert "CREDSTACK_SMTP_URL" in capsys.readouterr().err
