"""One bulk-issuance run in a fresh process (so its peak RSS is its own); used by issuance.py.

Arguments: database URL, credential count, CSV upload path, design JSON, signing worker
processes (0 = sign in the storing process; "auto" or absent = the platform default).
Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from credstack.platform.achievements import create_achievement, publish, render_achievement
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.issuance import IssueRequest, build_credential
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys, signing_key
from credstack.platform.organisations import create_organisation
from credstack.platform.ports import UnitOfWork
from credstack.platform.signing import default_workers
from credstack.proofs.dataintegrity import add_proof
from credstack.storage.session import SqlDatabase

BASE = "https://credstack.example"
AT = datetime(2026, 6, 1, tzinfo=UTC)


def main() -> None:
    url, count, upload, design = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
    workers = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] != "auto" else None
    db = SqlDatabase(url)
    db.migrate()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    with db.unit_of_work() as uow:
        org = create_organisation(uow, custody, host="credstack.example", slug="b", name="B", at=AT)
        draft = create_achievement(uow, org, design, base_url=BASE, at=AT)
        version = publish(uow, org, draft.id, at=AT)
        uow.commit()
    start = time.perf_counter()
    with db.unit_of_work() as uow, open(upload, "rb") as fh:
        job = create_job(uow, org, version.id, parse_bulk(fh, kind="csv", max_bytes=None), at=AT)
        uow.commit()

    def unit_of_work() -> UnitOfWork:
        return db.unit_of_work()

    done = run_job(
        unit_of_work,
        custody,
        org.id,
        job.id,
        base_url=BASE,
        clock=lambda: AT,
        batch_size=1000,  # the platform default
        sign_workers=workers,
    )
    elapsed = time.perf_counter() - start
    if done.issued != count:
        raise SystemExit(f"issued {done.issued} of {count}")
    # signing only: the same credential shape, in the same process
    with db.unit_of_work() as uow:
        key = signing_key(uow, custody, org)
        achievement = render_achievement(version, org)
    sample = min(count, 3000)
    docs = []
    for i in range(sample):
        status = {
            "id": f"{BASE}/s#{i}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(i),
            "statusListCredential": f"{BASE}/s",
        }
        request = IssueRequest(email=f"l{i}@example.org")
        credential_id = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        docs.append(
            build_credential(
                org, achievement, request, credential_id=credential_id, status=status, at=AT
            )
        )
    sign_rate = 0.0
    for _ in range(3):  # the best of three: the ratio is taken against the fastest signing
        t = time.perf_counter()
        for doc in docs:
            add_proof(doc, key, created=AT)
        sign_rate = max(sign_rate, sample / (time.perf_counter() - t))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the signing workers have exited (the job closed its pool): their peak is the children's
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "issued": count,
                "seconds": elapsed,
                "rate": count / elapsed,
                "sign_rate": sign_rate,
                "max_rss_mb": rss,
                "worker_max_rss_mb": workers_rss,
                "sign_workers": "auto" if workers is None else workers,
                "workers_used": default_workers() if workers is None else workers,
            }
        )
    )


if __name__ == "__main__":
    main()
