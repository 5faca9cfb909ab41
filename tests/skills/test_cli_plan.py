"""``credstack plan``: need/occupation inputs, JSON and human answers, exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NoReturn

import pytest

from credstack.cli.plan import register
from credstack.errors import CredstackError, InvalidInput
from credstack.skills.framework import load_esco

ESCO = "http://data.europa.eu/esco/"
UNKNOWN_SKILL = ESCO + "skill/00000000-0000-0000-0000-000000000000"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def run(argv: list[str]) -> int:
    """Parse and run like ``credstack.cli.main.main``: InvalidInput and bad usage exit 2."""
    parser = _Parser(prog="credstack")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    register(sub, _Parser)
    try:
        args = parser.parse_args(argv)
        code: int = args.func(args)
        return code
    except _UsageError:
        return 2
    except InvalidInput:
        return 2
    except CredstackError:
        return 1


def write_catalog(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def course(ident: str, skills: list[str], **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": ident,
        "name": f"Course {ident}",
        "skills": skills,
        "hours": 10,
        "price": 100,
        "currency": "EUR",
        "prerequisites": [],
        "issuer": "Example Academy",
    }
    record.update(extra)
    return record


@pytest.fixture
def catalog(tmp_path: Path) -> str:
    return write_catalog(
        tmp_path / "catalog.jsonl",
        [
            course("intro", ["http://x.example/s1"], hours=4, price=40),
            course("adv", ["http://x.example/s2", "http://x.example/s3"], prerequisites=["intro"]),
            course("solo", ["http://x.example/s3"], hours=3, price=900),
        ],
    )


def uri_file(path: Path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_plan_json_answer_orders_prerequisites_and_reports_uncovered(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need = uri_file(
        tmp_path / "need.txt",
        "# what the role needs",
        "http://x.example/s2",
        "",
        "http://x.example/s3",
        "http://x.example/s9",
    )
    assert run(["plan", "--catalog", catalog, "--need", need, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["intro", "adv"]
    assert answer["total_hours"] == 14
    assert answer["total_price"] == 140
    assert answer["covered"] == ["http://x.example/s2", "http://x.example/s3"]
    assert answer["uncovered"] == ["http://x.example/s9"]
    assert answer["optimal"] is True
    assert answer["greedy_total"] == 14
    assert answer["steps"][0]["explanation"] == "needed before Course adv"


def test_plan_minimize_price_changes_the_plan(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s3")
    assert run(["plan", "--catalog", catalog, "--need", need, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"] == ["solo"]
    argv = ["plan", "--catalog", catalog, "--need", need, "--minimize", "price", "--json"]
    assert run(argv) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["intro", "adv"]
    assert answer["objective"] == "price"
    assert answer["greedy_total"] == 140


def test_plan_have_file_removes_held_skills(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1", "http://x.example/s3")
    have = uri_file(tmp_path / "have.txt", "http://x.example/s1")
    assert run(["plan", "--catalog", catalog, "--need", need, "--have", have, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["solo"]
    assert answer["covered"] == ["http://x.example/s3"]


def test_plan_human_output_has_numbered_steps_and_totals(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s2", "http://x.example/s9")
    assert run(["plan", "--catalog", catalog, "--need", need]) == 0
    out = capsys.readouterr().out
    assert "Learning path: 2 achievements, minimising hours (proven optimal)" in out
    assert "1. Course intro [intro]: 4 h, 40 EUR" in out
    assert "   needed before Course adv" in out
    assert '2. Course adv [adv]: 10 h, 100 EUR\n   covers "http://x.example/s2"' in out
    assert "Total: 14 h, 140 EUR. A greedy pick would cost 14 h." in out
    assert "No catalog item teaches (1):\n  - http://x.example/s9" in out


def test_plan_all_skills_held_says_so(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1")
    argv = ["plan", "--catalog", catalog, "--need", need, "--have", need]
    assert run(argv) == 0
    assert "Nothing to learn" in capsys.readouterr().out


def test_plan_malformed_catalog_exits_2(tmp_path: Path) -> None:
    bad = write_catalog(
        tmp_path / "bad.jsonl",
        [course("a", ["http://x.example/s1"], hours=-1), course("a", ["http://x.example/s1"])],
    )
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1")
    assert run(["plan", "--catalog", bad, "--need", need]) == 2


@pytest.mark.parametrize(
    "records",
    [
        [course("a", ["s"], prerequisites=["b"]), course("b", ["s"], prerequisites=["a"])],
        [course("a", ["s"], prerequisites=["missing"])],
        [course("a", ["s"], hours=-2)],
        [course("a", ["s"]), course("a", ["s"])],
    ],
    ids=["cycle", "missing-prerequisite", "negative-hours", "duplicate-ids"],
)
def test_plan_bad_catalog_message_names_the_problem(
    tmp_path: Path, records: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_catalog(tmp_path / "bad.jsonl", records)
    need = uri_file(tmp_path / "need.txt", "http://x.example/s")
    parser = _Parser(prog="credstack")
    register(parser.add_subparsers(dest="command", parser_class=_Parser), _Parser)
    args = parser.parse_args(["plan", "--catalog", path, "--need", need])
    with pytest.raises(InvalidInput) as caught:
        args.func(args)
    assert str(path) in caught.value.message
    assert any(
        word in caught.value.message
        for word in ("cycle a -> b -> a", "'missing'", "negative", "duplicate id 'a'")
    )


def test_plan_missing_catalog_file_exits_2(tmp_path: Path) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1")
    assert run(["plan", "--catalog", str(tmp_path / "none.jsonl"), "--need", need]) == 2


def test_plan_need_file_with_a_non_uri_line_exits_2(tmp_path: Path, catalog: str) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1", "budgeting skills")
    assert run(["plan", "--catalog", catalog, "--need", need]) == 2


def test_plan_needs_need_or_occupation_but_not_both(tmp_path: Path, catalog: str) -> None:
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1")
    assert run(["plan", "--catalog", catalog]) == 2
    assert run(["plan", "--catalog", catalog, "--need", need, "--occupation", "x:y"]) == 2
    assert run(["plan", "--catalog", catalog, "--need", need, "--include-optional"]) == 2
    assert run(["plan", "--catalog", catalog, "--need", need, "--minimize", "days"]) == 2
    assert run(["plan", "--catalog", catalog, "--need", need, "--min-quality", "2"]) == 2


def test_plan_mixed_currencies_with_minimize_price_exits_2(tmp_path: Path) -> None:
    path = write_catalog(
        tmp_path / "cat.jsonl",
        [
            course("a", ["http://x.example/s1"], currency="EUR"),
            course("b", ["http://x.example/s2"], currency="GBP"),
        ],
    )
    need = uri_file(tmp_path / "need.txt", "http://x.example/s1", "http://x.example/s2")
    assert run(["plan", "--catalog", path, "--need", need, "--minimize", "price"]) == 2
    assert run(["plan", "--catalog", path, "--need", need, "--minimize", "hours"]) == 0


# ---------------------------------------------------------------------- ESCO occupations


def _occupation() -> tuple[str, list[str], list[str]]:
    framework = load_esco()
    uri = min(u for u, o in framework.occupations.items() if len(o.optional) >= 1)
    occ = framework.occupation(uri)
    return uri, list(occ.essential), [s for s in occ.optional if s not in occ.essential]


def test_plan_occupation_covers_essential_skills_only_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, essential, optional = _occupation()
    path = write_catalog(
        tmp_path / "cat.jsonl",
        [course("e", essential[:2], hours=5), course("o", optional[:1], hours=2)],
    )
    assert run(["plan", "--catalog", path, "--occupation", uri, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["e"]
    assert set(answer["covered"]) == set(essential[:2])
    assert set(answer["uncovered"]) == set(essential[2:])
    assert (
        run(["plan", "--catalog", path, "--occupation", uri, "--include-optional", "--json"]) == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["o", "e"]
    assert set(answer["uncovered"]) == set(essential[2:] + optional[1:])


def test_plan_occupation_human_output_uses_esco_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, essential, _ = _occupation()
    path = write_catalog(tmp_path / "cat.jsonl", [course("e", essential[:1])])
    assert run(["plan", "--catalog", path, "--occupation", uri]) == 0
    label = load_esco().label_of(essential[0])
    assert f'covers "{label}"' in capsys.readouterr().out


def test_plan_unknown_occupation_exits_2(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = ESCO + "occupation/00000000-0000-0000-0000-000000000000"
    assert run(["plan", "--catalog", catalog, "--occupation", missing]) == 2
    parser = _Parser(prog="credstack")
    register(parser.add_subparsers(dest="command", parser_class=_Parser), _Parser)
    args = parser.parse_args(["plan", "--catalog", catalog, "--occupation", missing])
    with pytest.raises(InvalidInput, match="unknown ESCO occupation URI"):
        args.func(args)


def test_plan_check_esco_refuses_unknown_skill_uri(tmp_path: Path, catalog: str) -> None:
    need = uri_file(tmp_path / "need.txt", UNKNOWN_SKILL)
    assert run(["plan", "--catalog", catalog, "--need", need]) == 0  # honest: uncovered
    assert run(["plan", "--catalog", catalog, "--need", need, "--check-esco"]) == 2


# ---------------------------------------------------------------------- pathways


def rules_file(path: Path, rule: dict[str, Any]) -> str:
    document = {"version": 1, "id": "urn:pathway:cli", "name": "CLI Certificate", "rule": rule}
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_plan_pathway_without_need_plans_the_cheapest_completion(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = rules_file(
        tmp_path / "rules.json",
        {"anyOf": [{"achievement": "adv"}, {"achievement": "solo"}]},
    )
    assert run(["plan", "--catalog", catalog, "--pathway", rules, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["plan"] == ["solo"]  # 3 h, rather than intro + adv (14 h)
    assert answer["pathway"] == {
        "id": "urn:pathway:cli",
        "name": "CLI Certificate",
        "satisfied": True,
    }
    assert answer["covered"] == []
    assert answer["steps"][0]["explanation"] == "counts towards CLI Certificate: rule.anyOf[1]"
    argv = ["plan", "--catalog", catalog, "--pathway", rules, "--minimize", "price", "--json"]
    assert run(argv) == 0
    assert json.loads(capsys.readouterr().out)["plan"] == ["intro", "adv"]


def test_plan_pathway_with_need_plans_both_jointly(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = rules_file(tmp_path / "rules.json", {"allOf": [{"achievement": "intro"}]})
    need = uri_file(tmp_path / "need.txt", "http://x.example/s3")
    assert run(["plan", "--catalog", catalog, "--need", need, "--pathway", rules]) == 0
    out = capsys.readouterr().out
    assert "Learning path: 2 achievements" in out
    assert "counts towards CLI Certificate: rule.allOf[0]" in out
    assert "Completes CLI Certificate (urn:pathway:cli)." in out


def test_plan_pathway_already_complete_says_so(
    tmp_path: Path, catalog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = rules_file(tmp_path / "rules.json", {"allOf": [{"achievement": "intro"}]})
    done = uri_file(tmp_path / "done.txt", "intro")
    assert run(["plan", "--catalog", catalog, "--pathway", rules, "--completed", done]) == 0
    assert "CLI Certificate is already complete" in capsys.readouterr().out


def test_plan_pathway_that_cannot_be_completed_exits_2(tmp_path: Path, catalog: str) -> None:
    rules = rules_file(
        tmp_path / "rules.json", {"allOf": [{"achievement": "intro"}, {"achievement": "nope"}]}
    )
    assert run(["plan", "--catalog", catalog, "--pathway", rules]) == 2
    parser = _Parser(prog="credstack")
    register(parser.add_subparsers(dest="command", parser_class=_Parser), _Parser)
    args = parser.parse_args(["plan", "--catalog", catalog, "--pathway", rules])
    with pytest.raises(InvalidInput, match=r"rule\.allOf\[1\]: achievement nope is neither"):
        args.func(args)


def test_plan_pathway_bad_rule_file_exits_2(tmp_path: Path, catalog: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "id": "x", "name": "X", "rule": {"allOf": []}}', "utf-8")
    assert run(["plan", "--catalog", catalog, "--pathway", str(bad)]) == 2
    assert run(["plan", "--catalog", catalog, "--pathway", str(tmp_path / "none.json")]) == 2
