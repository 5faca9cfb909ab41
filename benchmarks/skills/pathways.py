"""Pathway evaluation for many learners, with the verify step measured apart.

Usage: ``.venv/bin/python benchmarks/skills/pathways.py [--learners N] [--verify N] [--seed S]``.

Rule: a realistic certificate — three ordered core courses, 2 of 6 electives, one of two
capstones and at least 30 ECTS overall (nested allOf / atLeast / anyOf / minTotal).
Learners: 0–12 credentials each over 14 achievements, award dates spread over two years
(seeded).  The rule step runs over pre-verified :class:`Earned` summaries: the bulk path
(:func:`evaluate_many`, satisfied + fraction) over all learners, and the detailed report
(:func:`progress` + JSON) over a tenth of them.  The verify step (signature, safe mode,
summary) is timed on separately signed credentials; it is per credential, done once, and is
what a deployment caches.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from credstack.crypto.keys import KeyPair  # noqa: E402
from credstack.proofs.dataintegrity import add_proof, format_datetime  # noqa: E402
from credstack.skills.pathways import (  # noqa: E402
    Earned,
    Pathway,
    evaluate_many,
    parse_pathway,
    progress,
    verify_credentials,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BASE = "https://uni.example/achievements/"
CORE = ["core-python", "core-statistics", "core-ml"]
ELECTIVES = [f"elective-{n}" for n in range(1, 7)]
CAPSTONES = ["capstone-industry", "capstone-research"]
ALL = CORE + ELECTIVES + CAPSTONES + ["extra-ethics", "extra-writing", "extra-sql"]
ECTS = {
    a: (6.0 if a.startswith("core") else 10.0 if a.startswith("capstone") else 3.0) for a in ALL
}


def rule() -> Pathway:
    def leaf(name: str) -> dict[str, Any]:
        return {"achievement": BASE + name}

    return parse_pathway(
        {
            "version": 1,
            "id": "urn:pathway:bench",
            "name": "Data Science Certificate",
            "issues": {"achievement": BASE + "certificate"},
            "rule": {
                "allOf": [
                    {"allOf": [leaf(a) for a in CORE], "ordered": True},
                    {"atLeast": 2, "of": [leaf(a) for a in ELECTIVES]},
                    {"anyOf": [leaf(a) for a in CAPSTONES]},
                    {"minTotal": {"ects": 30}, "of": "any"},
                ]
            },
        }
    )


def learners(n: int, seed: int) -> list[list[Earned]]:
    rng = random.Random(seed)
    out: list[list[Earned]] = []
    start = T0.timestamp()
    for i in range(n):
        names = rng.sample(ALL, rng.randint(0, 12))
        out.append(
            [
                Earned(
                    achievement_id=BASE + name,
                    credential_id=f"urn:bench:{i}:{name}",
                    awarded_ts=start + rng.randrange(0, 730) * 86400.0,
                    ects=ECTS[name],
                )
                for name in names
            ]
        )
    return out


def signed_credentials(n: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    key = KeyPair(rng.randbytes(32))
    items = []
    for i in range(n):
        name = rng.choice(ALL)
        at = T0 + timedelta(days=rng.randrange(0, 730))
        document = {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": key.did_key, "type": ["Profile"], "name": "Uni"},
            "validFrom": format_datetime(at),
            "credentialSubject": {
                "id": "did:example:learner",
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": BASE + name,
                    "type": ["Achievement"],
                    "name": name,
                    "description": name,
                    "criteria": {"narrative": "Pass."},
                    "creditsAvailable": ECTS[name],
                    "otherIdentifier": [
                        {
                            "type": "IdentifierEntry",
                            "identifier": "ECTS",
                            "identifierType": "ext:EUCreditSystem",
                        }
                    ],
                },
            },
        }
        items.append((f"c{i}", add_proof(document, key, created=at)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--verify", type=int, default=200, help="credentials to verify")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    pathway = rule()
    population = learners(args.learners, args.seed)
    credentials = sum(len(x) for x in population)

    started = time.perf_counter()
    results = list(evaluate_many(pathway, population))
    bulk_s = time.perf_counter() - started
    complete = sum(1 for satisfied, _ in results if satisfied)

    detailed = population[: max(1, args.learners // 10)]
    started = time.perf_counter()
    for earned in detailed:
        progress(pathway, earned).to_json()
    detail_s = time.perf_counter() - started

    to_verify = signed_credentials(args.verify, args.seed)
    started = time.perf_counter()
    counted, rejected = verify_credentials(to_verify, at=T0 + timedelta(days=800))
    verify_s = time.perf_counter() - started
    if len(counted) != len(to_verify) or rejected:
        raise SystemExit(f"verification failed: {rejected[:1]}")

    print(f"rule: {pathway.name} (ordered core, 2 of 6, 1 of 2, >= 30 ECTS)")
    print(
        f"bulk rule step:     {args.learners:>7} learners, {credentials} credentials in "
        f"{bulk_s:.2f} s = {args.learners / bulk_s:,.0f} learners/s "
        f"({complete} complete, mean fraction "
        f"{sum(f for _, f in results) / len(results):.3f})"
    )
    print(
        f"detailed progress:  {len(detailed):>7} learners (tree, missing, used, JSON) in "
        f"{detail_s:.2f} s = {len(detailed) / detail_s:,.0f} learners/s"
    )
    print(
        f"verify step:        {len(to_verify):>7} credentials (proof, safe mode, summary) in "
        f"{verify_s:.2f} s = {len(to_verify) / verify_s:,.0f} credentials/s"
    )


if __name__ == "__main__":
    main()
