"""A dated sample of job postings with a built-in trend, for demos, tests and benchmarks.

The texts come from the skills engine's generator
(:func:`credstack.skills.generate.generate_postings`): each posting is written from 5–10
essential skills of one real ESCO occupation (occupation → skill relations), so it names
real skills.  This module adds what relevance needs: a few occupations (so each has enough
postings to show a trend), a date for every posting spread over ``months`` months ending on
``end``, and a trend per occupation — in turn **declining** (the monthly rate falls to a
twentieth), **rising** (the mirror) and **steady** — so declines exist to be found.  The same
seed gives the same file.
"""

from __future__ import annotations

import calendar
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from credstack.errors import FileExists, InvalidInput
from credstack.skills.generate import (
    _CITIES,
    OccupationText,
    SkillText,
    generate_postings,
)

__all__ = ["TRENDS", "SamplePosting", "generate_sample", "write_sample"]

TRENDS: Final = ("declining", "rising", "steady")
MAX_COUNT: Final = 500_000
MIN_ESSENTIAL: Final = 6


@dataclass(frozen=True, slots=True)
class SamplePosting:
    id: str
    title: str
    text: str
    posted_on: date
    location: str
    occupation: str
    trend: str
    gold: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The posting file's fields, plus what it was made from (ignored on import)."""
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "date": self.posted_on.isoformat(),
            "location": self.location,
            "language": "en",
            "occupation": self.occupation,
            "trend": self.trend,
            "gold": list(self.gold),
        }


def _month(end: date, back: int) -> tuple[int, int]:
    total = end.year * 12 + end.month - 1 - back
    return total // 12, total % 12 + 1


def _weight(trend: str, position: float) -> float:
    """The relative posting rate at ``position`` (0 = first month, 1 = last)."""
    if trend == "declining":
        return 1.9 - 1.8 * position
    if trend == "rising":
        return 0.1 + 1.8 * position
    return 1.0


def generate_sample(
    skills: Sequence[SkillText],
    occupations: Sequence[OccupationText],
    *,
    count: int,
    seed: int,
    end: date,
    months: int = 24,
    occupation_count: int = 6,
    chosen: Sequence[str] = (),
) -> list[SamplePosting]:
    """``count`` postings over ``occupation_count`` occupations (or the ``chosen`` URIs),
    dated over the ``months`` months ending on ``end``, oldest first."""
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"count must be from 1 to {MAX_COUNT:,}")
    if not 3 <= months <= 120:
        raise InvalidInput("months must be from 3 to 120")
    rng = random.Random(f"credstack-relevance-sample-{seed}")  # noqa: S311 - demo data
    usable = sorted(
        (o for o in occupations if len(o.essential) >= MIN_ESSENTIAL), key=lambda o: o.uri
    )
    by_uri = {o.uri: o for o in usable}
    if chosen:
        unknown = [u for u in chosen if u not in by_uri]
        if unknown:
            raise InvalidInput(
                f"not an occupation with {MIN_ESSENTIAL} or more essential skills: {unknown[0]}"
            )
        picked = [by_uri[u] for u in dict.fromkeys(chosen)]
    else:
        if not 1 <= occupation_count <= len(usable):
            raise InvalidInput(f"occupations must be from 1 to {len(usable)}")
        picked = rng.sample(usable, occupation_count)
    out: list[SamplePosting] = []
    for index, occupation in enumerate(picked):
        share = count // len(picked) + (1 if index < count % len(picked) else 0)
        if share == 0:
            continue
        direction = TRENDS[index % len(TRENDS)]
        weights = [_weight(direction, m / (months - 1)) for m in range(months)]
        written = generate_postings(skills, [occupation], count=share, seed=seed * 1000 + index)
        for posting in written:
            back = months - 1 - rng.choices(range(months), weights)[0]
            year, month = _month(end, back)
            last = calendar.monthrange(year, month)[1]
            if (year, month) == (end.year, end.month):
                last = end.day
            city = next((c for c in _CITIES if f" in {c}." in posting.text), "Remote")
            out.append(
                SamplePosting(
                    id="",
                    title=posting.title,
                    text=posting.text,
                    posted_on=date(year, month, rng.randint(1, last)),
                    location=city,
                    occupation=occupation.uri,
                    trend=direction,
                    gold=posting.gold,
                )
            )
    out.sort(key=lambda p: (p.posted_on, p.occupation, p.text))
    return [
        SamplePosting(
            f"sample-{seed}-{n:06d}",
            p.title,
            p.text,
            p.posted_on,
            p.location,
            p.occupation,
            p.trend,
            p.gold,
        )
        for n, p in enumerate(out, start=1)
    ]


def write_sample(
    path: str | Path, postings: Iterable[SamplePosting], *, force: bool = False
) -> int:
    """Write postings as JSON Lines (refuses to overwrite unless ``force``); how many."""
    target = Path(path)
    try:
        out = target.open("w" if force else "x", encoding="utf-8", newline="\n")
    except FileExistsError:
        raise FileExists(f"{target} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    written = 0
    with out:
        for posting in postings:
            out.write(json.dumps(posting.to_json(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            written += 1
    return written
