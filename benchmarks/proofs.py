"""Issue and verify throughput of credstack against the JavaScript reference, in one run.

Usage: ``.venv/bin/python benchmarks/proofs.py [--seconds S] [--no-js]`` (or ``make bench``).

Credential: an OpenBadgeCredential with 3 skill alignments
(tests/assets/ob_credential_unsigned.json), copied for 256 learners.
"Issue" = build the proof, canonicalize, hash, sign, encode, safe mode on.  "Verify" = the
proof and safe-mode steps (key resolution of a did:key included).  Both processes are pinned
to the same single core.  Prints per-second figures, the ratios to @digitalbazaar/vc, the OB
schema-validation cost on its own line, and the peak RSS of a process signing 10,000
credentials.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from credstack.crypto.keys import KeyPair  # noqa: E402
from credstack.jsonld.processor import expander  # noqa: E402
from credstack.models.validate import validate_credential  # noqa: E402
from credstack.proofs.dataintegrity import Cryptosuite, add_proof, verify_proof  # noqa: E402
from credstack.resolve.resolver import CompositeResolver  # noqa: E402

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS = {
    # suite: (issue, verify) — a ratio to the JS figure for rdfc, absolute per second for jcs
    "eddsa-rdfc-2022": ("ratio", 5.0, 5.0),
    "eddsa-jcs-2022": ("absolute", 10_000.0, 5_000.0),
}


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def rate(fn: Callable[[], object], seconds: float) -> float:
    for _ in range(20):  # warm-up: caches, memo, imports
        fn()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def credential(key: KeyPair) -> dict[str, Any]:
    raw = (ROOT / "tests/assets/ob_credential_unsigned.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(raw.replace("did:key:PLACEHOLDER", key.did_key))
    return doc


def learners(doc: dict[str, Any], count: int = 256) -> list[dict[str, Any]]:
    """``count`` copies of the credential for different learners (bulk issuance)."""
    out = []
    for i in range(count):
        copy = json.loads(json.dumps(doc))
        copy["id"] = f"urn:uuid:7d3f0000-0000-4000-8000-{i:012d}"
        copy["credentialSubject"]["id"] = f"did:example:learner-{i}"
        copy["name"] = f"{doc['name']} — cohort {i % 7}, learner {i}"
        out.append(copy)
    return out


def cycling(items: list[Any]) -> Callable[[], Any]:
    it = itertools.cycle(items)
    return lambda: next(it)


def python_figures(
    doc: dict[str, Any], key: KeyPair, seconds: float
) -> dict[str, tuple[float, float]]:
    resolver = CompositeResolver()
    batch = learners(doc)
    out = {}
    for suite in (Cryptosuite.EDDSA_RDFC_2022, Cryptosuite.EDDSA_JCS_2022):
        next_doc = cycling(batch)

        def issue(suite: Cryptosuite = suite, next_doc: Callable[[], Any] = next_doc) -> object:
            return add_proof(next_doc(), key, cryptosuite=suite, created=CREATED)

        next_signed = cycling(
            [add_proof(d, key, cryptosuite=suite, created=CREATED) for d in batch]
        )

        def verify(next_signed: Callable[[], Any] = next_signed) -> object:
            signed = next_signed()
            expander().check(signed)
            check = verify_proof(signed, signed["proof"][0], resolver)
            if not check.verified:
                raise SystemExit(f"benchmark credential does not verify: {check.message}")
            return check

        out[suite.value] = (rate(issue, seconds), rate(verify, seconds))
    return out


def js_figures(
    doc: dict[str, Any], key: KeyPair, seconds: float, core: int
) -> dict[str, tuple[float, float]]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed: run `make setup` (or pass --no-js)")
    out = {}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        request = {
            "credential": doc,
            "keyPair": key.to_multikey(),
            "seconds": seconds,
            "cryptosuite": suite,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(request, fh)
            path = fh.name
        try:
            cmd = [node, str(ROOT / "interop/js/bench.mjs"), path]
            if shutil.which("taskset"):
                cmd = ["taskset", "-c", str(core), *cmd]
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        finally:
            os.unlink(path)
        if result.returncode != 0:
            raise SystemExit(f"bench.mjs failed: {result.stderr.strip()}")
        figures = json.loads(result.stdout)
        out[suite] = (float(figures["issue_per_s"]), float(figures["verify_per_s"]))
    return out


def schema_figures(doc: dict[str, Any], seconds: float) -> tuple[float, float | None]:
    """Microseconds per OB schema validation: credstack's compiled validator and `jsonschema`."""
    ours = 1e6 / rate(lambda: validate_credential(doc), seconds)
    try:
        import jsonschema  # dev dependency, reference only
    except ImportError:
        return ours, None
    schema = json.loads(
        (ROOT / "src/credstack/schemas/ob_v3p0_achievementcredential_schema.json").read_text(
            "utf-8"
        )
    )
    validator = jsonschema.Draft201909Validator(schema)
    reference = 1e6 / rate(lambda: validator.is_valid(doc), min(seconds, 1.0))
    return ours, reference


def peak_rss_signing(count: int) -> float:
    """Max RSS (MB) of a fresh process that signs ``count`` credentials."""
    code = f"""
import json, resource, sys
sys.path.insert(0, {str(ROOT / "src")!r})
from benchmarks.proofs import credential, CREATED
from credstack.crypto.keys import KeyPair
from credstack.proofs.dataintegrity import add_proof
key = KeyPair.generate()
doc = credential(key)
for i in range({count}):
    doc["id"] = f"urn:uuid:00000000-0000-4000-8000-{{i:012d}}"
    doc["credentialSubject"]["id"] = f"did:example:learner-{{i}}"
    add_proof(doc, key, created=CREATED)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=900,
    )
    return float(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--no-js", action="store_true", help="skip the JavaScript reference")
    parser.add_argument("--rss-count", type=int, default=10_000)
    args = parser.parse_args()
    core = pin_to_one_core()
    key = KeyPair.generate()
    doc = credential(key)
    print(
        f"credential: OpenBadgeCredential, 3 alignments, {len(json.dumps(doc))} bytes; core {core}"
    )
    py = python_figures(doc, key, args.seconds)
    js = None if args.no_js else js_figures(doc, key, args.seconds, core)
    failures = []
    header = f"{'suite':17} {'op':7} {'credstack/s':>12} {'@digitalbazaar/vc/s':>20} {'ratio':>7}"
    print(f"\n{header}  target")
    for suite, (py_issue, py_verify) in py.items():
        kind, want_issue, want_verify = TARGETS[suite]
        for op, ours, want in (("issue", py_issue, want_issue), ("verify", py_verify, want_verify)):
            theirs = None if js is None else js[suite][0 if op == "issue" else 1]
            ratio = None if theirs is None else ours / theirs
            if kind == "ratio":
                met = ratio is not None and ratio >= want
                target = f">= {want:.0f}x JS: {'met' if met else 'NOT MET'}"
                if ratio is None:
                    target = f">= {want:.0f}x JS: (JS not run)"
            else:
                met = ours >= want
                target = f">= {want:,.0f}/s: {'met' if met else 'NOT MET'}"
            if not met and not (kind == "ratio" and ratio is None):
                failures.append(f"{suite} {op}")
            their_text = "-" if theirs is None else f"{theirs:,.0f}"
            ratio_text = "-" if ratio is None else f"{ratio:.1f}x"
            print(f"{suite:17} {op:7} {ours:12,.0f} {their_text:>20} {ratio_text:>7}  {target}")
    ours_us, ref_us = schema_figures(doc, min(args.seconds, 2.0))
    ref_text = (
        "" if ref_us is None else f"; jsonschema {ref_us:.0f} µs ({ref_us / ours_us:.0f}x slower)"
    )
    schema_ok = ours_us < 200
    if not schema_ok:
        failures.append("schema validation")
    print(
        f"\nOB schema validation: {ours_us:.0f} µs per credential{ref_text}; target < 200 µs: "
        f"{'met' if schema_ok else 'NOT MET'}"
    )
    rss = peak_rss_signing(args.rss_count)
    rss_ok = rss < 150
    if not rss_ok:
        failures.append("memory")
    print(
        f"peak RSS signing {args.rss_count:,} credentials (eddsa-rdfc-2022): {rss:.0f} MB; "
        f"target < 150 MB: {'met' if rss_ok else 'NOT MET'}"
    )
    print(f"\nself RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if failures:
        print("targets not met: " + ", ".join(failures))
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
