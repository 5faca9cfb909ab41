"""``credstack skills …``: map text to ESCO skills, show a skill or an occupation.

The skills index is built on first use (a few seconds) and cached under ``--cache-dir``
(default: ``CREDSTACK_CACHE_DIR`` or ``~/.cache/credstack``, sub-folder ``skills``).
Bad input (empty or oversized text, unknown URI) exits 2 through the CLI's error mapping.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from credstack.errors import InvalidInput
from credstack.skills.framework import ESCO_ATTRIBUTION, Framework, load_esco
from credstack.skills.matching import MAX_TEXT_CHARS, MatchResult, SkillMatcher

__all__ = ["default_cache_dir", "register"]

_EPILOG = ESCO_ATTRIBUTION


def default_cache_dir() -> Path:
    """``$CREDSTACK_CACHE_DIR/skills``, else ``$XDG_CACHE_HOME/credstack/skills`` (~/.cache)."""
    explicit = os.environ.get("CREDSTACK_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser() / "skills"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "credstack" / "skills"


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _read_text(words: list[str]) -> str:
    """The text argument, or standard input for ``-`` (read with a bound, never whole)."""
    if words == ["-"]:
        limit = MAX_TEXT_CHARS * 4 + 1  # UTF-8 is at most 4 bytes a character
        data = sys.stdin.buffer.read(limit)
        if len(data) >= limit:
            raise InvalidInput(
                f"standard input is larger than {MAX_TEXT_CHARS:,} characters",
                code="INPUT_TOO_LARGE",
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("standard input is not UTF-8 text") from exc
    return " ".join(words)


def _render(result: MatchResult) -> str:
    lines: list[str] = []
    if result.notice:
        lines.append(f"notice: {result.notice}")
    for match in result.matches:
        lines.append(f"{match.score:.2f}  {match.label}  <{match.uri}>")
        for phrase in match.evidence:
            lines.append(f"      evidence: {phrase!r}")
    lines.append(f"-- {ESCO_ATTRIBUTION}")
    return "\n".join(lines)


def _cmd_match(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise InvalidInput("--top must be at least 1")
    text = _read_text(args.text)
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
            code="INPUT_TOO_LARGE",
        )
    if not text.strip():
        raise InvalidInput("the text to match is empty")
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    matcher = SkillMatcher.build(
        load_esco(), cache_dir=cache, quality="quality" if args.quality else "fast"
    )
    result = matcher.match(text, top=args.top)
    if args.json:
        _emit(result.to_json())
    else:
        sys.stdout.write(_render(result) + "\n")
    return 0


def _labelled(framework: Framework, uris: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [{"uri": u, "label": framework.label_of(u)} for u in uris]


def _cmd_show(args: argparse.Namespace) -> int:
    framework = load_esco()
    skill = framework.skill(args.uri)
    needing = framework.occupations_needing(skill.uri)
    essential = [u for u in needing if skill.uri in framework.occupations[u].essential]
    optional = [u for u in needing if u not in essential]
    broader = _labelled(framework, skill.broader)
    view: dict[str, Any] = {
        "uri": skill.uri,
        "label": skill.label,
        "type": skill.skill_type,
        "description": skill.description,
        "alt_labels": list(skill.alt_labels),
        "broader": broader,
        "related": _labelled(framework, framework.related.get(skill.uri, ())),
        "occupations": {
            "essential_count": len(essential),
            "optional_count": len(optional),
            "essential": _labelled(framework, essential[: args.limit]),
            "optional": _labelled(framework, optional[: args.limit]),
        },
        "alignment": framework.alignment(skill.uri),
    }
    if args.json:
        _emit(view)
        return 0
    lines = [f"{skill.label} ({skill.skill_type})  <{skill.uri}>", "", skill.description, ""]
    if skill.alt_labels:
        lines.append("also: " + "; ".join(skill.alt_labels[: args.limit]))
    for item in broader:
        lines.append(f"broader: {item['label']}  <{item['uri']}>")
    lines.append(
        f"needed by {len(essential)} occupations as essential, {len(optional)} as optional:"
    )
    for uri in essential[: args.limit]:
        lines.append(f"  essential  {framework.label_of(uri)}  <{uri}>")
    for uri in optional[: args.limit]:
        lines.append(f"  optional   {framework.label_of(uri)}  <{uri}>")
    lines.append(f"-- {ESCO_ATTRIBUTION}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _cmd_occupation(args: argparse.Namespace) -> int:
    framework = load_esco()
    occupation = framework.occupation(args.uri)
    view = {
        "uri": occupation.uri,
        "label": occupation.label,
        "isco_code": occupation.isco_code,
        "code": occupation.code,
        "description": occupation.description,
        "essential": _labelled(framework, occupation.essential),
        "optional": _labelled(framework, occupation.optional),
    }
    if args.json:
        _emit(view)
        return 0
    lines = [
        f"{occupation.label}  <{occupation.uri}>",
        f"ISCO {occupation.isco_code}, ESCO code {occupation.code}",
        "",
        occupation.description,
        "",
        f"essential skills ({len(occupation.essential)}):",
        *(f"  {framework.label_of(u)}  <{u}>" for u in occupation.essential),
        f"optional skills ({len(occupation.optional)}):",
        *(f"  {framework.label_of(u)}  <{u}>" for u in occupation.optional),
        f"-- {ESCO_ATTRIBUTION}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def register(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    """Add ``skills match``, ``skills show`` and ``skills occupation``."""
    skills = sub.add_parser("skills", help="ESCO skills: match text, show skills", epilog=_EPILOG)
    skills_sub = skills.add_subparsers(
        dest="skills_command", required=True, parser_class=parser_class
    )

    match = skills_sub.add_parser(
        "match", help="map a text to ranked ESCO skills with evidence", epilog=_EPILOG
    )
    match.add_argument("--top", type=int, default=10, help="number of skills (default 10)")
    match.add_argument("--json", action="store_true", help="machine-readable output")
    match.add_argument(
        "--quality",
        action="store_true",
        help="int8 MiniLM embeddings (needs the skills-quality extra; slower)",
    )
    match.add_argument("--cache-dir", help="index cache folder (default: see credstack docs)")
    match.add_argument("text", nargs="+", help="the text, or - to read standard input")
    match.set_defaults(func=_cmd_match)

    show = skills_sub.add_parser("show", help="a skill: description, hierarchy, occupations")
    show.add_argument("--json", action="store_true")
    show.add_argument("--limit", type=int, default=10, help="occupations listed per kind")
    show.add_argument("uri", help="ESCO skill URI")
    show.set_defaults(func=_cmd_show)

    occupation = skills_sub.add_parser(
        "occupation", help="an occupation's essential/optional skills"
    )
    occupation.add_argument("--json", action="store_true")
    occupation.add_argument("uri", help="ESCO occupation URI")
    occupation.set_defaults(func=_cmd_occupation)
