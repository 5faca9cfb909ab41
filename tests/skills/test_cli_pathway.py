"""``credstack pathway check`` and ``credstack pathway progress``."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.pathway import register
from credstack.crypto.keys import KeyPair
from credstack.resolve.did_web import make_did_document
from tests.skills.test_pathways import NOW, ach, make_credential

KEY = KeyPair(bytes(range(5, 37)))
RULES: dict[str, Any] = {
    "version": 1,
    "id": "urn:pathway:data",
    "name": "Data Certificate",
    "rule": {
        "allOf": [
            {"achievement": ach("a")},
            {"atLeast": 1, "of": [{"achievement": ach("b")}, {"achievement": ach("c")}]},
            {"minTotal": {"ects": 10}, "of": "any"},
        ]
    },
}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="credstack")
    register(parser.add_subparsers(dest="command", required=True), argparse.ArgumentParser)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write(tmp_path / "rules.json", RULES)


def _progress(
    capsys: pytest.CaptureFixture[str], rules: Path, credentials: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    code = run(
        [
            "pathway",
            "progress",
            "--rules",
            str(rules),
            "--credentials",
            str(credentials),
            "--json",
            "--at",
            NOW.isoformat(),
            *extra,
        ]
    )
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out else {"stderr": captured.err}
    return code, data


def test_progress_folder_complete_exit_0(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "creds"
    folder.mkdir()
    write(folder / "a.json", make_credential(KEY, "a", ects=5))
    write(folder / "c.json", make_credential(KEY, "c", days=3, ects=5))
    (folder / "notes.txt").write_text("not a credential", encoding="utf-8")
    (folder / "broken.json").write_text("{broken", encoding="utf-8")
    code, data = _progress(capsys, rules, folder)
    assert code == 0
    assert data["satisfied"] is True
    assert [(r["source"], r["code"]) for r in data["rejected"]] == [
        (str(folder / "broken.json"), "INVALID_JSON")
    ]
    assert data["fraction"] == 1.0
    assert data["missing"] == []
    assert sorted(u["achievement"] for u in data["used"]) == [ach("a"), ach("c")]
    assert data["tree"]["children"][1]["satisfied_children"] == 1


def test_progress_incomplete_with_rejected_exit_0(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = copy.deepcopy(make_credential(KEY, "b", ects=5))
    tampered["credentialSubject"]["achievement"]["creditsAvailable"] = 40
    path = write(tmp_path / "all.json", [make_credential(KEY, "a", ects=2.5), tampered])
    code, data = _progress(capsys, rules, path)
    assert code == 0
    assert data["satisfied"] is False
    assert data["missing"] == [f"one of: {ach('b')}, {ach('c')}", "7.5 more ECTS"]
    assert [r["source"] for r in data["rejected"]] == [f"{path}[1]"]
    assert data["rejected"][0]["code"] == "PROOF_VERIFICATION_ERROR"


def test_progress_json_lines_file(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [make_credential(KEY, n, days=i, ects=4) for i, n in enumerate("abc")]
    path = tmp_path / "creds.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in lines) + "\n", encoding="utf-8")
    code, data = _progress(capsys, rules, path)
    assert code == 0
    assert data["satisfied"] is True
    assert len(data["used"]) == 3


def test_progress_did_web_with_did_document(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    did = "did:web:uni.example"
    credential = make_credential(KEY, "a", ects=5, issuer=did, verification_method=f"{did}#k1")
    path = write(tmp_path / "a.json", credential)
    code, data = _progress(capsys, rules, path)
    assert code == 0
    assert data["used"] == []
    assert data["rejected"][0]["code"] == "UNRESOLVABLE_VERIFICATION_METHOD"
    doc = write(
        tmp_path / "did.json",
        make_did_document(did, [("k1", KEY.public.multibase)], assertion=["k1"]),
    )
    code, data = _progress(capsys, rules, path, "--did-document", str(doc))
    assert code == 0
    assert [u["issuer"] for u in data["used"]] == [did]


def test_progress_text_output_names_missing(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "a.json", make_credential(KEY, "a", ects=5))
    code = run(["pathway", "progress", "--rules", str(rules), "--credentials", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Data Certificate (urn:pathway:data): 50% complete" in out
    assert "5 more ECTS" in out


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "INVALID_JSON"),
        (json.dumps({**RULES, "version": 7}), "version 7"),
        (
            json.dumps({**RULES, "rule": {"atLeast": 3, "of": [{"achievement": ach("a")}]}}),
            "cannot be satisfied: rule: atLeast 3 of only 1",
        ),
    ],
)
def test_progress_bad_rules_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(content, encoding="utf-8")
    creds = write(tmp_path / "a.json", make_credential(KEY, "a"))
    code, data = _progress(capsys, bad, creds)
    assert code == 2
    assert needle in data["stderr"]


def test_progress_missing_credentials_exit_2(
    tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _progress(capsys, rules, tmp_path / "nowhere")
    assert code == 2
    assert "neither a folder nor a file" in data["stderr"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, data = _progress(capsys, rules, empty)
    assert code == 2
    assert "no credentials found" in data["stderr"]


def test_check_valid_rules_exit_0(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["pathway", "check", "--rules", str(rules), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "valid": True,
        "id": "urn:pathway:data",
        "achievements": [ach(n) for n in "abc"],
    }


def test_check_unsatisfiable_exit_2_with_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(
        tmp_path / "r.json",
        {**RULES, "rule": {"allOf": [{"anyOf": []}, {"achievement": ach("a")}]}},
    )
    assert run(["pathway", "check", "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "cannot be satisfied: rule.allOf[0].anyOf: an empty list" in err
