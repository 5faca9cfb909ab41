"""``credstack trust`` on SQLite: local registries and entries, signed-list and DCC imports,
an accreditation issued by an organisation of the deployment, and clear refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
from credstack.trust import ACCREDITATION_TYPE, build_trust_list, new_entry
from tests.platform.conftest import DESIGN

UNI = "did:web:uni.example"


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDSTACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CREDSTACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDSTACK_KEK", raising=False)
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> Any:
    assert main(argv) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> str:
    assert main(argv) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def test_local_registry_entries_and_check(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _json(capsys, ["trust", "registry", "add", "partners", "--name", "Partners"])
    assert made == {
        "id": "partners",
        "name": "Partners",
        "source": "local",
        "default": False,
        "entries": 0,
    }
    _json(
        capsys,
        [
            "trust",
            "entry",
            "add",
            "--registry",
            "partners",
            "--did",
            UNI,
            "--name",
            "Uni",
            "--type",
            "MicroCredential",
            "--until",
            "2099-01-01T00:00:00Z",
        ],
    )
    _json(capsys, ["trust", "registry", "default", "partners", "on"])
    listed = _json(capsys, ["trust", "registry", "list"])
    assert listed == [
        {"id": "partners", "name": "Partners", "source": "local", "default": True, "entries": 1}
    ]
    shown = _json(capsys, ["trust", "registry", "show", "partners"])
    assert shown["items"][0]["achievementTypes"] == ["MicroCredential"]
    found = _json(capsys, ["trust", "check", UNI, "--type", "MicroCredential"])
    assert found["recognised"] is True
    assert found["summary"] == "Recognised by Partners"
    badge = _json(capsys, ["trust", "check", UNI, "--type", "Badge"])
    assert badge["recognised"] is False
    _json(capsys, ["trust", "entry", "remove", "--registry", "partners", "--did", UNI])
    assert _json(capsys, ["trust", "check", UNI])["recognised"] is False
    _json(capsys, ["trust", "registry", "remove", "partners"])
    assert _json(capsys, ["trust", "registry", "list"]) == []


def test_bad_input_is_a_clear_error(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, ["trust", "registry", "add", "Bad Id", "--name", "X"], 2)
    assert "not a registry id" in err
    err = _fails(
        capsys, ["trust", "entry", "add", "--registry", "none", "--did", UNI, "--name", "U"], 1
    )
    assert "no trust registry 'none'" in err
    _json(capsys, ["trust", "registry", "add", "p", "--name", "P"])
    err = _fails(
        capsys,
        ["trust", "entry", "add", "--registry", "p", "--did", "uni.example", "--name", "U"],
        2,
    )
    assert "not a DID" in err
    err = _fails(
        capsys,
        ["trust", "entry", "add", "--registry", "p", "--did", UNI, "--name", "U", "--from", "May"],
        2,
    )
    assert "ISO 8601" in err
    broken = deployment / "broken.json"
    broken.write_text("{not json")
    err = _fails(capsys, ["trust", "import-dcc", str(broken), "--id", "dcc", "--name", "D"], 2)
    assert "INVALID_JSON" in err or "JSON" in err
    err = _fails(capsys, ["trust", "accredit", str(deployment / "missing.json")], 2)
    assert "cannot read" in err


def test_signed_list_import_pins_the_publisher(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publisher = KeyPair.generate()
    stranger = KeyPair.generate()
    now = datetime.now(UTC)
    unsigned = build_trust_list(
        publisher=publisher.did_key,
        edition="urn:uuid:0b6f3e51-1c1a-4f33-9a3e-5c6d7e8f9a0b",
        list_id="https://registry.example/heis",
        name="Higher education register",
        entries=[new_entry(UNI, "University of Example")],
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    path = deployment / "list.json"
    path.write_text(json.dumps(add_proof(unsigned, publisher, created=now)))
    err = _fails(
        capsys, ["trust", "import", str(path), "--id", "heis", "--publisher", stranger.did_key], 1
    )
    assert "not by the pinned publisher" in err
    assert _json(capsys, ["trust", "registry", "list"]) == []
    made = _json(
        capsys,
        [
            "trust",
            "import",
            str(path),
            "--id",
            "heis",
            "--publisher",
            publisher.did_key,
            "--default",
        ],
    )
    assert made["source"] == "signed-list"
    assert made["entries"] == 1
    assert made["default"] is True
    assert _json(capsys, ["trust", "check", UNI])["recognisedBy"][0]["registry"] == "heis"


def test_dcc_registry_import(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = deployment / "registry.json"
    path.write_text(
        json.dumps(
            {
                "meta": {"created": "2024-01-01T00:00:00+00:00"},
                "registry": {UNI: {"name": "University of Example", "url": "https://uni.example"}},
            }
        )
    )
    made = _json(capsys, ["trust", "import-dcc", str(path), "--id", "dcc", "--name", "DCC sandbox"])
    assert made["source"] == "dcc"
    assert _json(capsys, ["trust", "check", UNI, "--registry", "dcc"])["recognised"] is True


def test_accreditation_issued_here_is_verified_then_counted(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _json(capsys, ["org", "create", "--slug", "agency", "--name", "Quality Agency"])
    design = deployment / "accreditation.json"
    design.write_text(
        json.dumps(
            {
                **DESIGN,
                "name": "Institutional accreditation",
                "achievement_type": ACCREDITATION_TYPE,
            }
        )
    )
    version = _json(
        capsys,
        ["achievement", "create", "--org", "agency", "--design", str(design), "--publish"],
    )["version_id"]
    orgs = _json(capsys, ["org", "list"])
    agency = orgs[0]["did"]
    credential = _json(capsys, ["issue", "--org", "agency", "--achievement", version, "--did", UNI])
    path = deployment / "accreditation-credential.json"
    path.write_text(json.dumps(credential))
    stored = _json(capsys, ["trust", "accredit", str(path)])
    assert (stored["accreditor"], stored["issuer"], stored["status"]) == (agency, UNI, "valid")
    _json(capsys, ["trust", "registry", "add", "agencies", "--name", "Agencies", "--default"])
    assert _json(capsys, ["trust", "check", UNI])["recognised"] is False  # agency not listed
    _json(
        capsys,
        [
            "trust",
            "entry",
            "add",
            "--registry",
            "agencies",
            "--did",
            agency,
            "--name",
            "Quality Agency",
            "--role",
            "accreditor",
        ],
    )
    found = _json(capsys, ["trust", "check", UNI])
    assert found["recognisedBy"][0]["basis"] == "accredited"
    _json(capsys, ["revoke", "--org", "agency", credential["id"]])
    revoked = _json(capsys, ["trust", "check", UNI])
    assert revoked["recognised"] is False
    assert "revoked" in revoked["notes"][0]["note"]
    err = _fails(capsys, ["trust", "accredit", str(path)], 1)
    assert "revoked" in err
    listed = _json(capsys, ["trust", "accreditations", "list", "--issuer", UNI])
    assert [a["id"] for a in listed] == [credential["id"]]
    _json(capsys, ["trust", "accreditations", "remove", credential["id"]])
    assert _json(capsys, ["trust", "accreditations", "list"]) == []
