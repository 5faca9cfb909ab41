"""Seeded demo and benchmark data: a course catalog, learners and job postings.

Everything is drawn from a framework's real text (ESCO by default): each achievement teaches
3 to 6 skills of one occupation (so items read like real courses), prerequisites point only to
earlier items of the same occupation (a DAG by construction), issuers have their own price per
hour and quality level.  Job postings weave skill labels and descriptions into template
sentences and keep the gold skills for evaluation.  The same seed gives the same bytes.

Usage: ``python -m credstack.skills.generate --catalog OUT --size N --seed S
[--learners OUT] [--postings OUT] [--count N] [--force]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from credstack.errors import CredstackError, FileExists, InvalidInput
from credstack.skills.catalog import Achievement, dump_catalog

MAX_SIZE = 500_000


class SkillText(NamedTuple):
    """A framework skill's text; ``kind`` is ``skill`` (a verb phrase) or ``knowledge``."""

    uri: str
    label: str
    description: str
    kind: str = "skill"


class OccupationText(NamedTuple):
    """An occupation and the skill URIs it lists as essential and optional."""

    uri: str
    label: str
    essential: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Learner:
    """A learner in one occupation who wants another; ``have`` are the skills they hold."""

    id: str
    current_occupation: str
    target_occupation: str
    have: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "current_occupation": self.current_occupation,
            "target_occupation": self.target_occupation,
            "have": list(self.have),
        }


@dataclass(frozen=True, slots=True)
class JobPosting:
    """A generated job posting with the skills it was written from (the gold labels)."""

    id: str
    occupation: str
    title: str
    text: str
    gold: tuple[str, ...]
    gold_labels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occupation": self.occupation,
            "title": self.title,
            "text": self.text,
            "gold": list(self.gold),
            "gold_labels": list(self.gold_labels),
        }


# ---------------------------------------------------------------------- word lists

_PLACE = (
    "North", "South", "East", "West", "Lake", "River", "Stone", "Oak", "Maple", "Harbour",
    "Bridge", "Hill", "Cedar", "Silver", "Iron", "Bright", "Clear", "Green", "Elm", "Ash",
)  # fmt: skip
_END = ("field", "gate", "wood", "ford", "port", "view", "brook", "vale", "crest", "mere")
_SCHOOL = (
    "Institute", "Academy", "College", "University", "School of Professional Studies",
    "Training Centre", "Polytechnic", "Learning Lab",
)  # fmt: skip
_FIRM = ("Ltd", "GmbH", "BV", "Group", "Solutions", "Partners", "Works", "Services")
_CITIES = (
    "Amsterdam", "Lisbon", "Dublin", "Vienna", "Lyon", "Ghent", "Tallinn", "Porto", "Krakow",
    "Turin", "Malmo", "Leipzig", "Valencia", "Brno", "Aarhus", "Ljubljana",
)  # fmt: skip
_TITLES = {  # (skill as a verb phrase, knowledge as a noun phrase) × level
    "skill": (
        ("Learn to {t}", "{T}: the basics", "How to {t}", "{T}: first steps"),
        ("{T} in practice", "{T}: practical workshop", "{T}: applied course"),
        ("{T}: advanced course", "{T}: masterclass", "{T}: expert practice"),
    ),
    "knowledge": (
        ("Introduction to {t}", "Foundations of {t}", "{T} essentials"),
        ("{T} in practice", "Applied {t}", "Intermediate {t}"),
        ("Advanced {t}", "{T}: masterclass", "{T} capstone"),
    ),
}
_SKILL_LINES = (
    "You will {x}.",
    "Day to day you {x}.",
    "We expect you to be able to {x}.",
    "Part of the job is to {x}.",
    "You are confident when asked to {x}.",
)
_KNOWLEDGE_LINES = (
    "Solid knowledge of {x} is required.",
    "You are familiar with {x}.",
    "Experience with {x} is a strong plus.",
    "A good grounding in {x} is essential.",
)
_FILLER = (
    "We offer flexible working hours and a hybrid set-up.",
    "Our team is small, friendly and proud of its work.",
    "You report to the head of department.",
    "We support your training with a yearly learning budget.",
    "The position is permanent and full time.",
    "We value diversity and welcome applications from everyone.",
    "Relocation support is available for the right candidate.",
    "You will join a growing organisation with an international customer base.",
)


# ---------------------------------------------------------------------- inputs


def esco_inputs() -> tuple[list[SkillText], list[OccupationText]]:
    """ESCO v1.2 skills and occupations, as generator inputs (loads the shipped framework)."""
    from credstack.skills.framework import load_esco

    framework = load_esco()
    skills = [
        SkillText(s.uri, s.label, s.description, s.skill_type)
        for s in sorted(framework.skills.values(), key=lambda s: s.uri)
    ]
    occupations = [
        OccupationText(o.uri, o.label, o.essential, o.optional)
        for o in sorted(framework.occupations.values(), key=lambda o: o.uri)
    ]
    return skills, occupations


def _usable(
    skills: Sequence[SkillText], occupations: Sequence[OccupationText], minimum: int
) -> tuple[dict[str, SkillText], list[OccupationText]]:
    by_uri = {s.uri: s for s in sorted(skills, key=lambda s: s.uri)}
    usable = []
    for occ in sorted(occupations, key=lambda o: o.uri):
        essential = tuple(dict.fromkeys(u for u in occ.essential if u in by_uri))
        optional = tuple(
            dict.fromkeys(u for u in occ.optional if u in by_uri and u not in essential)
        )
        if len(essential) + len(optional) >= minimum:
            usable.append(OccupationText(occ.uri, occ.label, essential, optional))
    if not usable:
        raise InvalidInput(f"no occupation lists {minimum} or more known skills")
    return by_uri, usable


def _pick_skills(rng: random.Random, occ: OccupationText, k: int) -> list[str]:
    """k distinct skills of the occupation, essential ones more likely."""
    essential = list(occ.essential)
    optional = list(occ.optional)
    rng.shuffle(essential)
    rng.shuffle(optional)
    out: list[str] = []
    while len(out) < k and (essential or optional):
        source = essential if essential and (not optional or rng.random() < 0.7) else optional
        out.append(source.pop())
    return out


def _rng(stream: str, seed: int) -> random.Random:
    """A seeded generator per data kind (demo data, not security: S311 does not apply)."""
    return random.Random(f"credstack-{stream}-{seed}")  # noqa: S311


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------- catalog


def generate_catalog(
    skills: Sequence[SkillText],
    occupations: Sequence[OccupationText],
    *,
    size: int,
    seed: int,
    currency: str = "EUR",
) -> list[Achievement]:
    """``size`` achievements (3 to 6 skills each), prerequisites first; deterministic per seed."""
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput(f"size must be from 1 to {MAX_SIZE}")
    rng = _rng("catalog", seed)
    by_uri, usable = _usable(skills, occupations, 6)
    names = [f"{a}{b} {c}" for a, b, c in itertools.product(_PLACE, _END, _SCHOOL)]
    issuers = [
        (name, rng.uniform(8, 60), rng.uniform(0.45, 0.92))
        for name in rng.sample(names, min(len(names), max(5, size // 40)))
    ]
    earlier: dict[str, list[tuple[int, int]]] = {}  # occupation → (item number, depth)
    items: list[Achievement] = []
    for number in range(size):
        occ = rng.choice(usable)
        chosen = _pick_skills(rng, occ, rng.randint(3, 6))
        previous = earlier.setdefault(occ.uri, [])
        prereqs: list[tuple[int, int]] = []
        if previous and rng.random() < 0.45:
            prereqs = rng.sample(previous, 2 if len(previous) > 1 and rng.random() < 0.25 else 1)
        depth = 1 + max((d for _, d in prereqs), default=-1)
        main = by_uri[chosen[0]]
        topic = main.label
        levels = _TITLES["knowledge" if main.kind == "knowledge" else "skill"]
        pattern = rng.choice(levels[min(depth, 2)])
        name = pattern.format(t=topic, T=_capital(topic))
        if rng.random() < 0.3:
            name += f" ({occ.label} track)"
        issuer, rate, quality_mean = rng.choice(issuers)
        hours = max(1, round(rng.lognormvariate(2.5 + 0.35 * min(depth, 3), 0.6)))
        price = (
            0
            if rng.random() < 0.08
            else max(5, round(hours * rate * rng.uniform(0.8, 1.2) / 5) * 5)
        )
        quality = None
        if rng.random() < 0.8:
            quality = round(min(1.0, max(0.0, rng.gauss(quality_mean, 0.07))), 2)
        items.append(
            Achievement(
                id=f"ach-{number + 1:06d}",
                name=name,
                skills=tuple(chosen),
                hours=hours,
                price=price,
                issuer=issuer,
                prerequisites=tuple(f"ach-{n + 1:06d}" for n, _ in sorted(prereqs)),
                currency=currency,
                quality=quality,
            )
        )
        previous.append((number, depth))
    return items


# ---------------------------------------------------------------------- learners, postings


def generate_learners(
    occupations: Sequence[OccupationText], *, count: int, seed: int
) -> list[Learner]:
    """Learners holding part of their current occupation's skills and a little of the target's."""
    rng = _rng("learners", seed)
    usable = [o for o in sorted(occupations, key=lambda o: o.uri) if o.essential]
    if not usable:
        raise InvalidInput("no occupation lists essential skills")
    learners = []
    for number in range(count):
        current, target = rng.choice(usable), rng.choice(usable)
        own = [*current.essential, *current.optional]
        have = rng.sample(own, round(len(own) * rng.uniform(0.4, 0.8)))
        aim = list(target.essential)
        have += rng.sample(aim, round(len(aim) * rng.uniform(0.0, 0.3)))
        learners.append(
            Learner(
                f"learner-{number + 1:06d}",
                current.uri,
                target.uri,
                tuple(sorted(set(have))),
            )
        )
    return learners


def _sentence(rng: random.Random, skill: SkillText) -> str:
    description = skill.description.strip().split(". ")[0].rstrip(".")
    if description and rng.random() < 0.35:
        if skill.kind == "knowledge":
            return f"The role draws on the following: {description[:1].lower()}{description[1:]}."
        return f"In this role you {description[:1].lower()}{description[1:]}."
    lines = _KNOWLEDGE_LINES if skill.kind == "knowledge" else _SKILL_LINES
    return rng.choice(lines).format(x=skill.label)


def generate_postings(
    skills: Sequence[SkillText],
    occupations: Sequence[OccupationText],
    *,
    count: int,
    seed: int,
    min_skills: int = 5,
    max_skills: int = 10,
    min_words: int = 0,
) -> list[JobPosting]:
    """Job postings, each written from 5–10 of an occupation's essential skills (the gold)."""
    if not 1 <= min_skills <= max_skills:
        raise InvalidInput("need 1 <= min_skills <= max_skills")
    rng = _rng("postings", seed)
    by_uri, usable = _usable(skills, occupations, min_skills)
    usable = [o for o in usable if len(o.essential) >= min_skills]
    if not usable:
        raise InvalidInput(f"no occupation lists {min_skills} or more essential skills")
    companies = [f"{a}{b} {c}" for a, b, c in itertools.product(_PLACE, _END, _FIRM)]
    postings = []
    for number in range(count):
        occ = rng.choice(usable)
        gold = rng.sample(
            occ.essential, min(len(occ.essential), rng.randint(min_skills, max_skills))
        )
        title = rng.choice(("", "Senior ", "Junior ", "Lead ")) + occ.label
        opening = (
            f"{rng.choice(companies)} is looking for a {title.lower()} "
            f"to join our team in {rng.choice(_CITIES)}."
        )
        body = [_sentence(rng, by_uri[u]) for u in gold]
        fillers = list(_FILLER)
        rng.shuffle(fillers)
        extra = fillers[: rng.randint(1, 3)]
        text = " ".join([opening, *body, *extra])
        while len(text.split()) < min_words:
            text += " " + rng.choice(_FILLER)
        text += " Apply with your CV and a short motivation letter."
        postings.append(
            JobPosting(
                f"posting-{number + 1:06d}",
                occ.uri,
                _capital(title),
                text,
                tuple(gold),
                tuple(by_uri[u].label for u in gold),
            )
        )
    return postings


# ---------------------------------------------------------------------- files


def _open_new(path: Path, force: bool) -> TextIO:
    try:
        return path.open("w" if force else "x", encoding="utf-8", newline="\n")
    except FileExistsError:
        raise FileExists(f"{path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def write_catalog(path: str | Path, items: Iterable[Achievement], *, force: bool = False) -> None:
    """Write a catalog JSON Lines file (refuses to overwrite unless ``force``)."""
    with _open_new(Path(path), force) as out:
        dump_catalog(items, out)


def write_jsonl(
    path: str | Path, records: Iterable[Learner | JobPosting], *, force: bool = False
) -> None:
    """Write learners or postings as JSON Lines."""
    with _open_new(Path(path), force) as out:
        for record in records:
            out.write(json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a generated catalog (and optionally learners and postings)."""
    parser = argparse.ArgumentParser(
        prog="python -m credstack.skills.generate",
        description="Write a seeded demo catalog (and learners, job postings) from ESCO.",
    )
    parser.add_argument("--catalog", required=True, help="catalog JSON Lines file to write")
    parser.add_argument("--size", type=int, default=5000, help="number of achievements")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learners", help="also write learners (JSON Lines) here")
    parser.add_argument("--postings", help="also write job postings (JSON Lines) here")
    parser.add_argument("--count", type=int, default=100, help="learners and postings each")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        skills, occupations = esco_inputs()
        items = generate_catalog(skills, occupations, size=args.size, seed=args.seed)
        write_catalog(args.catalog, items, force=args.force)
        if args.learners:
            learners = generate_learners(occupations, count=args.count, seed=args.seed)
            write_jsonl(args.learners, learners, force=args.force)
        if args.postings:
            postings = generate_postings(skills, occupations, count=args.count, seed=args.seed)
            write_jsonl(args.postings, postings, force=args.force)
    except CredstackError as exc:
        sys.stderr.write(f"generate: {exc.diagnostics()}\n")
        return 2
    sys.stderr.write(f"wrote {len(items)} achievements to {args.catalog}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
