"""``credstack postings sample|import`` and ``credstack relevance`` on SQLite, with the real
ESCO matcher (its index cached for the session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from credstack.cli.main import main
from credstack.skills.matching import SkillMatcher
from tests.skills.conftest import esco, matcher, skills_cache_dir  # noqa: F401


@pytest.fixture
def deployment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    matcher: SkillMatcher,  # noqa: F811 - builds the cached index once
) -> Path:
    monkeypatch.setenv("CREDSTACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CREDSTACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDSTACK_KEK", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> tuple[Any, str]:
    assert main(argv) == code
    captured = capsys.readouterr()
    return (json.loads(captured.out) if captured.out.strip().startswith("{") else None), (
        captured.out + captured.err
    )


def test_sample_import_twice_and_figures(
    deployment: Path,
    capsys: pytest.CaptureFixture[str],
    skills_cache_dir: Path,  # noqa: F811
) -> None:
    sample = deployment / "postings.jsonl"
    _, said = run(
        capsys,
        ["postings", "sample", "--count", "40", "--out", str(sample), "--occupations", "2"],
    )
    assert "wrote 40 postings" in said
    assert "declining" in said
    records = [json.loads(line) for line in sample.read_text().splitlines()]
    assert len(records) == 40
    cache = ["--cache-dir", str(skills_cache_dir)]
    report, said = run(capsys, ["postings", "import", str(sample), *cache])
    assert (report["new"], report["skipped"], report["invalid"]) == (40, 0, 0)
    assert report["mapped"] >= 38  # generated postings name real skills
    assert report["pool"]["postings"] == 40
    assert "added 40" in said
    again, said = run(capsys, ["postings", "import", str(sample), *cache])
    assert (again["new"], again["skipped"], again["mapped"]) == (0, 40, 0)
    # an achievement aligned to the first occupation's skills
    first = records[0]
    gold = [r["gold"] for r in records if r["occupation"] == first["occupation"]]
    skills = sorted({uri for g in gold for uri in g})[:6]
    design = {
        "name": "Occupation skills",
        "description": "The skills of one occupation.",
        "criteria_narrative": "Pass.",
        "skills": [{"url": uri, "name": f"skill {n}"} for n, uri in enumerate(skills)],
    }
    (deployment / "design.json").write_text(json.dumps(design))
    run(capsys, ["org", "create", "--slug", "uni", "--name", "Example University"])
    run(
        capsys,
        ["achievement", "create", "--org", "uni", "--design", str(deployment / "design.json")],
    )
    figures, _ = run(capsys, ["relevance", "--org", "uni", "--json", "--window-days", "3660"])
    [item] = figures["achievements"]
    assert item["achievement"]["name"] == "Occupation skills"
    assert item["currentPostings"] > 0
    assert len(item["monthly"]) == 12
    assert figures["pool"]["mapped"] == report["mapped"]
    _, text = run(capsys, ["relevance", "--org", "uni"])
    assert "Occupation skills" in text
    assert "current postings (last 90 days)" in text


def test_bad_lines_exit_1_and_unusable_files_exit_2(
    deployment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = deployment / "mixed.jsonl"
    good = {"title": "Analyst", "text": "Use SQL.", "date": "2025-05-01", "location": "Porto"}
    mixed.write_text(json.dumps(good) + "\n" + json.dumps({**good, "date": "May 2025"}) + "\n")
    report, said = run(capsys, ["postings", "import", str(mixed), "--dry-run"], code=1)
    assert (report["new"], report["invalid"], report["dryRun"]) == (1, 1, True)
    assert "line 2: date 'May 2025' is not an ISO 8601 date" in said
    assert report["pool"]["postings"] == 0  # a dry run stores nothing
    latin1 = deployment / "latin1.csv"
    latin1.write_bytes("title,text,date,location\nCafé,x,2025-05-01,y\n".encode("latin-1"))
    _, said = run(capsys, ["postings", "import", str(latin1)], code=2)
    assert "not UTF-8" in said
    _, said = run(capsys, ["postings", "import", str(deployment / "absent.jsonl")], code=2)
    assert "cannot read" in said
    _, said = run(
        capsys, ["postings", "import", str(mixed), "--format", "csv", "--dry-run"], code=2
    )
    assert "CSV header must name" in said
    out = deployment / "s.jsonl"
    out.write_text("keep")
    _, said = run(capsys, ["postings", "sample", "--count", "5", "--out", str(out)], code=2)
    assert "exists" in said
    assert out.read_text() == "keep"
    _, said = run(
        capsys, ["postings", "sample", "--count", "5", "--out", str(out), "--end", "soon"], code=2
    )
    assert "is not a date" in said
    _, said = run(capsys, ["relevance", "--org", "nope"], code=1)
    assert "no organisation 'nope'" in said
