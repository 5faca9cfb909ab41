"""``credstack skills match|show|occupation`` on the real framework."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from credstack.cli import main as cli_main
from credstack.cli.skills import register
from credstack.errors import CredstackError, InvalidInput
from credstack.skills.matching import SkillMatcher

SKILL = "http://data.europa.eu/esco/skill/"
PYTHON = SKILL + "ccd0a1d9-afda-43d9-b901-96344886e14d"
FORKLIFT = SKILL + "28cb374e-6261-4133-8371-f9a5470145da"
TECHNICAL_DIRECTOR = "http://data.europa.eu/esco/occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"


def _wired() -> bool:
    parser = cli_main.build_parser()
    return any(
        isinstance(a, argparse._SubParsersAction) and "skills" in a.choices for a in parser._actions
    )


def run(argv: Sequence[str]) -> int:
    """Through ``credstack.cli.main`` once it registers ``skills``; else the same mapping."""
    if _wired():
        return cli_main.main(list(argv))
    parser = argparse.ArgumentParser(prog="credstack")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub, argparse.ArgumentParser)
    args = parser.parse_args(list(argv))
    try:
        code: int = args.func(args)
        return code
    except CredstackError as exc:
        sys.stderr.write(f"credstack: {exc.diagnostics()}\n")
        return 2 if isinstance(exc, InvalidInput) else 1


@pytest.fixture
def cache(matcher: SkillMatcher) -> str:
    """The session index cache (already built by the ``matcher`` fixture)."""
    assert matcher.stats.cache_file is not None
    return str(matcher.stats.cache_file.parent)


def test_match_json_lists_skills_best_first(cache: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["skills", "match", "--cache-dir", cache, "--json", "--top", "5",
                "A short course in Python programming for analysts"])  # fmt: skip
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"matches"}
    uris = [m["uri"] for m in answer["matches"]]
    assert PYTHON in uris
    assert len(uris) == 5
    scores = [m["score"] for m in answer["matches"]]
    assert scores == sorted(scores, reverse=True)
    first = answer["matches"][0]
    assert set(first) == {"uri", "label", "score", "evidence"}


def test_match_reads_stdin_and_prints_text(
    cache: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"Drive a forklift in the warehouse."))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert run(["skills", "match", "--cache-dir", cache, "--top", "3", "-"]) == 0
    out = capsys.readouterr().out
    assert "operate forklift" in out
    assert "evidence:" in out
    assert "ESCO classification of the European Commission" in out


def test_match_empty_text_exits_2(cache: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["skills", "match", "--cache-dir", cache, "   "]) == 2
    assert "empty" in capsys.readouterr().err


def test_match_huge_stdin_exits_2(
    cache: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"python " * (10 * 1024 * 1024 // 7)))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert run(["skills", "match", "--cache-dir", cache, "-"]) == 2
    assert "INPUT_TOO_LARGE" in capsys.readouterr().err


def test_match_french_text_gives_notice(cache: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = "Nous cherchons un cuisinier pour notre restaurant, avec une expérience dans la cuisine."
    assert run(["skills", "match", "--cache-dir", cache, "--json", text]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["matches"] == []
    assert "French" in answer["notice"]


def test_show_skill_lists_broader_and_occupations(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["skills", "show", "--json", FORKLIFT]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["label"] == "operate forklift"
    assert view["broader"]
    assert view["occupations"]["essential_count"] + view["occupations"]["optional_count"] > 0
    assert view["alignment"]["targetFramework"] == "ESCO v1.2"


def test_show_unknown_uri_fails_with_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["skills", "show", SKILL + "nope"]) != 0
    assert "NOT_FOUND" in capsys.readouterr().err


def test_occupation_lists_essential_and_optional(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["skills", "occupation", TECHNICAL_DIRECTOR]) == 0
    out = capsys.readouterr().out
    assert "technical director" in out
    assert "essential skills (" in out
    assert "optional skills (" in out


def test_occupation_unknown_uri_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["skills", "occupation", "http://data.europa.eu/esco/occupation/x"]) != 0
    assert "no occupation" in capsys.readouterr().err


def test_default_cache_dir_follows_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from credstack.cli.skills import default_cache_dir

    monkeypatch.setenv("CREDSTACK_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "skills"
