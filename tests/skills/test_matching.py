"""Text → skills on the real ESCO framework (fast option), bad input, the index cache."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credstack.errors import ConfigurationError, InvalidInput
from credstack.skills.embed import OnnxMiniLM, StaticEmbedder, WordPiece, static_model_dir
from credstack.skills.framework import Framework, load_custom
from credstack.skills.language import guess_language
from credstack.skills.matching import (
    DEFAULT_WEIGHTS,
    MAX_TEXT_CHARS,
    MatchResult,
    SkillMatcher,
    Weights,
    _segments,
)

SKILL = "http://data.europa.eu/esco/skill/"
PYTHON = SKILL + "ccd0a1d9-afda-43d9-b901-96344886e14d"
WOUND_CARE = SKILL + "1c6736c2-77de-419c-9b84-8932e15abc21"
FORKLIFT = SKILL + "28cb374e-6261-4133-8371-f9a5470145da"
SQL = SKILL + "598de5b0-5b58-4ea7-8058-a4bc4d18c742"


def _uris(result: MatchResult) -> list[str]:
    return [m.uri for m in result.matches]


def test_match_python_course_finds_python_with_evidence(matcher: SkillMatcher) -> None:
    result = matcher.match(
        "In this course you learn Python programming: variables, loops, functions and "
        "writing small scripts.",
        top=5,
    )
    assert PYTHON in _uris(result)
    python = next(m for m in result.matches if m.uri == PYTHON)
    assert any("Python" in phrase for phrase in python.evidence)
    assert result.notice is None


def test_match_scores_are_in_unit_interval_best_first(matcher: SkillMatcher) -> None:
    result = matcher.match("operate a forklift truck in a warehouse", top=10)
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert _uris(result)[0] == FORKLIFT
    assert len(result.matches) == 10


def test_match_long_posting_returns_several_named_skills(matcher: SkillMatcher) -> None:
    posting = (
        "We are a busy teaching hospital looking for a registered nurse for our surgical ward. "
        "You will carry out wound care after operations, administer prescribed medication and "
        "monitor patients' vital signs during each shift. You keep electronic health records "
        "up to date and hand over clearly to the next team. In the evenings you may also help "
        "in the hospital's warehouse, where you operate a forklift to move pallets of supplies. "
        "Our IT team asks every nurse to learn basic SQL so that you can query the ward's "
        "database for audit reports. We offer a permanent contract, training and a friendly "
        "team. " * 2
    )
    uris = _uris(matcher.match(posting, top=20))
    assert {WOUND_CARE, FORKLIFT, SQL} <= set(uris)


def test_match_empty_text_raises_invalid_input(matcher: SkillMatcher) -> None:
    for text in ("", "   \n\t "):
        with pytest.raises(InvalidInput, match="empty"):
            matcher.match(text)


def test_match_ten_megabytes_raises_invalid_input(matcher: SkillMatcher) -> None:
    with pytest.raises(InvalidInput, match="limit") as caught:
        matcher.match("python " * (10 * 1024 * 1024 // 7))
    assert caught.value.code == "INPUT_TOO_LARGE"


def test_match_just_under_limit_is_accepted(matcher: SkillMatcher) -> None:
    text = ("Operate a forklift truck safely. " * (MAX_TEXT_CHARS // 33))[:MAX_TEXT_CHARS]
    assert FORKLIFT in _uris(matcher.match(text, top=3))


def test_match_bad_top_raises_invalid_input(matcher: SkillMatcher) -> None:
    with pytest.raises(InvalidInput, match="top"):
        matcher.match("python", top=0)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Nous recherchons un développeur pour notre équipe, avec une expérience dans la "
         "programmation et les bases de données.", "French"),
        ("Wir suchen eine Pflegekraft für die Station, die sich um die Patienten kümmert und "
         "mit dem Team zusammenarbeitet.", "German"),
        ("私たちはソフトウェア開発者を探しています。", "non-Latin script"),
    ],
)  # fmt: skip
def test_match_other_language_returns_notice_not_garbage(
    matcher: SkillMatcher, text: str, language: str
) -> None:
    result = matcher.match(text)
    assert result.matches == []
    assert result.notice is not None
    assert language in result.notice
    assert "English" in result.notice


def test_guess_language_keeps_terse_english_lists() -> None:
    assert guess_language("Python, SQL, Docker, Kubernetes").language == "English"
    assert guess_language("the data and the models of the team").language == "English"


def test_match_nonsense_has_low_confidence_notice(matcher: SkillMatcher) -> None:
    result = matcher.match("zzqx vlorp 12345 qqq")
    assert result.notice is not None
    assert "low confidence" in result.notice


def test_build_second_time_loads_cache(esco: Framework, tmp_path: Path) -> None:
    first = SkillMatcher.build(esco, cache_dir=tmp_path)
    second = SkillMatcher.build(esco, cache_dir=tmp_path)
    assert first.stats.loaded_from_cache is False
    assert second.stats.loaded_from_cache is True
    assert second.stats.cache_file == first.stats.cache_file
    assert second.stats.skills == 13_939
    text = "bake bread and pastries"
    assert _uris(first.match(text)) == _uris(second.match(text))


def test_build_corrupted_cache_is_rebuilt(matcher: SkillMatcher, esco: Framework) -> None:
    path = matcher.stats.cache_file
    assert path is not None
    assert path.exists()
    original = path.read_bytes()
    try:
        path.write_bytes(b"PK\x03\x04 this is not an index")
        rebuilt = SkillMatcher.build(esco, cache_dir=path.parent)
        assert rebuilt.stats.loaded_from_cache is False
        assert rebuilt.stats.rebuilt_corrupt_cache is True
        again = SkillMatcher.build(esco, cache_dir=path.parent)
        assert again.stats.loaded_from_cache is True
    finally:
        path.write_bytes(original)


def test_custom_framework_loads_and_matches(tmp_path: Path) -> None:
    path = tmp_path / "acme.jsonl"
    records = [
        {"uri": "https://acme.example/s/widgets", "label": "widget assembly",
         "alt_labels": ["assemble widgets", "build widgets"],
         "description": "Fit the parts of a widget together on the production line."},
        {"uri": "https://acme.example/s/invoices", "label": "invoice processing",
         "description": "Check supplier invoices and book them in the ledger."},
        {"uri": "https://acme.example/s/forklift", "label": "forklift driving",
         "description": "Move pallets with a forklift truck."},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    framework = load_custom(path, name="ACME")
    matcher = SkillMatcher.build(framework, cache_dir=tmp_path / "cache")
    result = matcher.match("Our clerks check and book supplier invoices every day.", top=2)
    assert result.matches[0].uri == "https://acme.example/s/invoices"
    assert matcher.stats.skills == 3


def _acme(tmp_path: Path) -> Framework:
    path = tmp_path / "acme.jsonl"
    records = [
        {"uri": "https://acme.example/s/widgets", "label": "widget assembly",
         "alt_labels": ["assemble widgets"],
         "description": "Fit the parts of a widget together on the production line."},
        {"uri": "https://acme.example/s/invoices", "label": "invoice processing",
         "description": "Check supplier invoices and book them in the ledger."},
        {"uri": "https://acme.example/s/forklift", "label": "forklift driving",
         "description": "Move pallets with a forklift truck."},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return load_custom(path, name="ACME")


def test_segments_short_text_is_kept_whole() -> None:
    segments = _segments("  project management; budgeting - reporting")
    assert segments[0].text == "project management; budgeting - reporting"
    assert segments[0].start == 2
    assert segments[0].clause is False
    assert [s.text for s in segments[1:]] == ["project management", "budgeting", "reporting"]
    long_text = "We teach Python programming. " * 30
    assert all(s.text != long_text.strip() for s in _segments(long_text))


def test_default_weights_sum_to_one_per_option() -> None:
    for weights in DEFAULT_WEIGHTS.values():
        total = weights.cos + weights.desc + weights.lex + weights.cover
        assert abs(total - 1.0) < 1e-9
    assert DEFAULT_WEIGHTS["quality"] != DEFAULT_WEIGHTS["fast"]


def test_match_description_signal_finds_skill_by_description(tmp_path: Path) -> None:
    framework = _acme(tmp_path)
    only_desc = Weights(cos=0.0, lex=0.0, cover=0.0, desc=1.0)
    matcher = SkillMatcher.build(framework, cache_dir=tmp_path / "c", weights=only_desc)
    result = matcher.match("Move pallets with a forklift truck.", top=3)
    assert result.matches[0].uri == "https://acme.example/s/forklift"
    assert result.matches[0].score > 0.99
    no_desc = SkillMatcher.build(framework, fields=("label", "alt_labels"), weights=only_desc)
    assert no_desc.match("Move pallets with a forklift truck.").matches == []


def test_match_quality_weights_keep_scores_in_unit_interval(
    matcher: SkillMatcher, esco: Framework, skills_cache_dir: Path
) -> None:
    assert matcher.stats.cache_file is not None  # the fast index is in the cache folder
    matcher = SkillMatcher.build(
        esco, cache_dir=skills_cache_dir, weights=DEFAULT_WEIGHTS["quality"]
    )
    assert matcher.stats.loaded_from_cache is True
    result = matcher.match(
        "In this course you learn Python programming: variables, loops and functions.", top=10
    )
    scores = [m.score for m in result.matches]
    assert PYTHON in _uris(result)[:3]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_quality_without_extra_raises_configuration_error(
    monkeypatch: pytest.MonkeyPatch, esco: Framework
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ConfigurationError, match="skills-quality"):
        SkillMatcher.build(esco, quality="quality")


def test_quality_embedder_ranks_related_text_closer() -> None:
    model = OnnxMiniLM()
    vectors = model.encode(
        ["writing software in Python", "Python programming", "baking sourdough bread"]
    )
    assert vectors.shape == (3, 384)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_wordpiece_matches_bert_ids() -> None:
    static = WordPiece.from_file(static_model_dir() / "tokenizer.json")
    # ids of the model's own vocabulary (BERT uncased minus [unused*]/[CLS]/[SEP]/[MASK])
    assert static.encode("manage musical staff") == [6133 - 997, 3315 - 997, 3095 - 997]
    assert static.encode("Café") == static.encode("cafe")
    assert static.encode("x" * 150) == [static.unk_id]
    pieces = static.encode("unaffordable")
    assert len(pieces) > 1
    assert static.unk_id not in pieces


def test_static_embeddings_are_normalised() -> None:
    model = StaticEmbedder()
    vectors = model.encode(["data analysis", "", "zzzzqqq"])
    assert vectors.shape == (3, 256)
    assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 1e-5
    assert float(abs(vectors[1]).sum()) == 0.0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_match_any_text_answers_or_refuses_cleanly(matcher: SkillMatcher, text: str) -> None:
    try:
        result = matcher.match(text, top=5)
    except InvalidInput:
        assert not text.strip()
        return
    assert len(result.matches) <= 5
    assert all(0.0 <= m.score <= 1.0 and m.evidence for m in result.matches)
