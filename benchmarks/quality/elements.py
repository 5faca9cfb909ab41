"""Cost of the EU standard-element check next to a full verification (issue 7, item 6).

Usage: ``.venv/bin/python benchmarks/quality/elements.py [--calls 20000] [--verifications 200]``

A credential is built by the platform's issuing code (``issuance.build_credential``) from a
design with every EU element (skills, three learning outcomes, EQF and NQF level, …) and signed
with eddsa-rdfc-2022 by a did:key issuer.  The script times, call by call:

* ``check_credential`` on that credential (``--calls`` times), on a thin credential (title and
  criteria only) and on a plain VC-API credential;
* one full offline verification of the signed credential by the ``Verifier`` (parse, schema,
  safe-mode JSON-LD, proof, dates; ``--verifications`` times).  After the first call the
  JSON-LD shape memo serves the expansion, as it does for every further credential of the same
  achievement in production; the first (cold) call is printed too.  The ratio uses the warm
  figure, the smaller one, so it is the check's largest share;

and prints p50 / p99 of each, the check's share of check + verification, and whether the
target "scoring adds under 1 ms to a verification" (p99 of the full credential's check) is met.
The process is pinned to one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "src"))

from credstack.crypto.keys import KeyPair  # noqa: E402
from credstack.platform import issuance  # noqa: E402
from credstack.platform.achievement_design import AchievementDesign, to_achievement  # noqa: E402
from credstack.platform.domain import Organisation  # noqa: E402
from credstack.platform.organisations import issuer_profile  # noqa: E402
from credstack.proofs.dataintegrity import add_proof  # noqa: E402
from credstack.quality import check_credential  # noqa: E402
from credstack.resolve.resolver import CompositeResolver  # noqa: E402
from credstack.verify.verifier import Verifier, VerifyOptions  # noqa: E402

AT = datetime(2026, 1, 1, tzinfo=UTC)
KEY = KeyPair(bytes(range(32)))
TARGET_MS = 1.0
ACHIEVEMENT_ID = "https://university.example/achievements/data-stewardship"
SKILL = "http://data.europa.eu/esco/skill/6a1c5bd6-7e7e-4d43-9d5f-2a6b5f0c1e01"
GRADE = f"{ACHIEVEMENT_ID}#grade"
FAIR = "http://data.europa.eu/esco/skill/2f7d0c6e-1b0a-4b8e-8c43-8a9d3f6b4a02"

FULL_DESIGN: dict[str, Any] = {
    "name": "Data Stewardship",
    "description": "Plans, documents and curates research data following FAIR.",
    "criteria_narrative": "Complete the module and pass the supervised final assessment.",
    "skills": [
        {"url": SKILL, "name": "manage research data", "framework": "ESCO v1.2"},
        {"url": FAIR, "name": "apply FAIR data principles", "framework": "ESCO v1.2"},
    ],
    "learning_outcomes": [
        {"text": "Writes a data management plan for a funded project.", "skills": [SKILL]},
        {"text": "Assesses a data set against the FAIR principles.", "skills": [FAIR]},
        {"text": "Explains the steward's role in a research group."},
    ],
    "workload_hours": 187.5,
    "ects": 7.5,
    "eqf_level": 6,
    "nqf_level": {"level": "6", "framework": "Austrian NQR", "url": "https://nqr.example/6"},
    "assessment_types": ["testing", "portfolio", "other"],
    "assessment_details": "Oral defence of the data management plan.",
    "participation_form": "blended",
    "quality_assurance": {
        "description": "Internal QA under ESG 2015.",
        "url": "https://deqar.example/reports/1234",
    },
    "supervision": "supervised-with-id-onsite",
    "prerequisites": "A bachelor's degree.",
    "stackability": {
        "mode": "stackable",
        "towards": [{"id": "https://university.example/achievements/msc", "name": "MSc Data"}],
    },
    "further_information": "https://university.example/micro-credentials/faq",
    "grade_scale": {
        "name": "Final grade",
        "result_type": "LetterGrade",
        "allowed_values": ["A", "B", "C", "D", "F"],
    },
}
THIN_DESIGN: dict[str, Any] = {
    "name": "Tiny",
    "description": "A badge.",
    "criteria_narrative": "Do",
}
PLAIN_VC: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:issuer",
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:alice"},
}


def credential(design: dict[str, Any]) -> dict[str, Any]:
    org = Organisation(id="o", slug="uni", name="Example University", did=KEY.did_key, country="AT")
    achievement = to_achievement(
        AchievementDesign.from_json(design),
        achievement_id=ACHIEVEMENT_ID,
        issuer_profile=issuer_profile(org),
    )
    request = issuance.IssueRequest(
        email="learner@example.org",
        extra_subject={"result": [{"type": ["Result"], "resultDescription": GRADE, "value": "B"}]},
    )
    return issuance.build_credential(
        org, achievement, request, credential_id="urn:uuid:1", status=None, at=AT, salt="0" * 32
    )


def timings_ms(fn: Callable[[], object], calls: int) -> list[float]:
    for _ in range(min(calls, 50)):  # warm-up
        fn()
    out = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:<44} p50 {percentile(values, 0.5):8.4f} ms   "
        f"p99 {percentile(values, 0.99):8.4f} ms   ({len(values)} calls)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--verifications", type=int, default=200)
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})

    signed = add_proof(credential(FULL_DESIGN), KEY, created=AT)
    verifier = Verifier(CompositeResolver())
    start = time.perf_counter_ns()
    report = verifier.verify(signed, VerifyOptions(at=AT))
    cold_ms = (time.perf_counter_ns() - start) / 1e6
    if not report.verified:
        sys.stderr.write(report.render() + "\n")
        return 1
    scored = check_credential(signed)
    print(f"credential: {len(str(signed)):,} characters; {scored.summary()}  (core {core})")

    full = timings_ms(lambda: check_credential(signed), args.calls)
    thin_doc = credential(THIN_DESIGN)
    thin = timings_ms(lambda: check_credential(thin_doc), args.calls)
    plain = timings_ms(lambda: check_credential(PLAIN_VC), args.calls)
    verify = timings_ms(lambda: verifier.verify(signed, VerifyOptions(at=AT)), args.verifications)

    print(line("check_credential, every element", full))
    print(line("check_credential, thin credential", thin))
    print(line("check_credential, plain VC-API credential", plain))
    print(line("Verifier.verify, same signed credential", verify))
    print(f"{'Verifier.verify, first call (cold caches)':<44} once {cold_ms:8.4f} ms")
    check_p50, verify_p50 = statistics.median(full), statistics.median(verify)
    share = check_p50 / (check_p50 + verify_p50)
    print(
        f"ratio check / verification (p50): 1 : {verify_p50 / check_p50:,.0f} "
        f"(the check is {share:.2%} of check + verification)"
    )
    p99 = percentile(full, 0.99)
    met = "met" if p99 < TARGET_MS else "NOT MET"
    print(f"target: scoring adds under {TARGET_MS:g} ms (p99 {p99:.4f} ms): {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
