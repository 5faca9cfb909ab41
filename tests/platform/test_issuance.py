"""Achievement versions, issuing, idempotency, revocation with status lists."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from credstack.errors import Conflict, InvalidInput, InvalidState, PermissionDenied
from credstack.platform.achievements import (
    create_achievement,
    issuable,
    publish,
    render_achievement,
    revise,
)
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import AchievementStatus, JobStatus, RowStatus
from credstack.platform.issuance import Issuer, IssueRequest, revoke
from credstack.platform.keys import rotate_key, signing_key
from credstack.platform.organisations import create_organisation
from credstack.platform.statuslists import set_entry, status_list_credential, status_list_url
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.platform.conftest import BASE, DESIGN, HOST, T0, World

AT = T0 + timedelta(days=1)
NOW = T0 + timedelta(days=10)


def _issue(world: World, request: IssueRequest):  # type: ignore[no-untyped-def]
    uow = world.db.unit_of_work()
    issued = Issuer(uow, world.custody, world.org, BASE).issue(world.version, request, at=AT)
    uow.commit()
    return issued


def _status_lists(world: World) -> dict[str, dict]:  # type: ignore[type-arg]
    uow = world.db.unit_of_work()
    key = signing_key(uow, world.custody, world.org)
    out = {}
    for credential in uow.credentials.for_organisation(world.org.id, limit=100, offset=0)[0]:
        assert credential.status_list_id is not None
        status_list = uow.status_lists.get(credential.status_list_id)
        assert status_list is not None
        url = status_list_url(BASE, world.org, status_list.id)
        out[url] = status_list_credential(world.org, status_list, key, url=url, at=NOW)
    return out


def test_draft_edits_in_place_published_edit_makes_new_version(world: World) -> None:
    uow = world.db.unit_of_work()
    changed = {**DESIGN, "description": "Now with pandas."}
    v2 = revise(uow, world.org, world.version.achievement_id, changed, at=AT)
    assert (v2.version, v2.status) == (2, AchievementStatus.DRAFT)
    again = revise(uow, world.org, world.version.achievement_id, {**changed, "ects": 4}, at=AT)
    assert again.id == v2.id
    assert again.data["ects"] == 4
    published = publish(uow, world.org, v2.id, at=AT)
    versions = uow.achievements.versions(world.version.achievement_id)
    assert [v.status for v in versions] == [AchievementStatus.RETIRED, AchievementStatus.PUBLISHED]
    assert published.achievement_id == world.version.achievement_id
    with pytest.raises(InvalidState):
        publish(uow, world.org, v2.id, at=AT)


def test_invalid_design_refused_with_readable_message(world: World) -> None:
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput) as info:
        create_achievement(uow, world.org, {**DESIGN, "eqf_level": 12}, base_url=BASE, at=AT)
    assert "eqf_level" in info.value.message


def test_issue_by_email_verifies_with_did_web_and_status(world: World) -> None:
    issued = _issue(world, IssueRequest(email="Learner@Example.org"))
    credential = json.loads(issued.credential_json)
    assert credential["issuer"]["id"] == "did:web:credstack.example:orgs:uni"
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["identityHash"].startswith("sha256$")
    assert "learner@example.org" not in issued.credential_json.lower()
    assert credential["credentialSubject"]["achievement"]["creditsAvailable"] == 3
    entry = credential["credentialStatus"]
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    report = Verifier(world.resolver()).verify(
        issued.credential_json, VerifyOptions(at=NOW, status_lists=_status_lists(world))
    )
    assert report.verified, report.render()
    assert [s.outcome.value for s in report.steps if s.name.value == "status"] == ["passed"]


def test_fresh_salt_per_credential(world: World) -> None:
    a = json.loads(_issue(world, IssueRequest(email="a@example.org")).credential_json)
    b = json.loads(_issue(world, IssueRequest(email="a@example.org")).credential_json)
    ida, idb = a["credentialSubject"]["identifier"][0], b["credentialSubject"]["identifier"][0]
    assert ida["salt"] != idb["salt"]
    assert ida["identityHash"] != idb["identityHash"]


def test_idempotent_retry_returns_same_credential_conflict_on_other_content(world: World) -> None:
    first = _issue(world, IssueRequest(did="did:example:alice", idempotency_key="row-1"))
    again = _issue(world, IssueRequest(did="did:example:alice", idempotency_key="row-1"))
    assert again.id == first.id
    with pytest.raises(Conflict):
        _issue(world, IssueRequest(did="did:example:bob", idempotency_key="row-1"))


def test_issue_unpublished_or_foreign_achievement_refused(world: World) -> None:
    uow = world.db.unit_of_work()
    draft = create_achievement(uow, world.org, DESIGN, base_url=BASE, at=AT)
    issuer = Issuer(uow, world.custody, world.org, BASE)
    with pytest.raises(InvalidState):
        issuable(uow, world.org, draft.id)
    other = create_organisation(uow, world.custody, host=HOST, slug="other", name="Other", at=AT)
    with pytest.raises(PermissionDenied):
        Issuer(uow, world.custody, other, BASE).issue(
            world.version, IssueRequest(did="did:example:x"), at=AT
        )
    with pytest.raises(InvalidInput):
        issuer.issue(world.version, IssueRequest(), at=AT)
    with pytest.raises(InvalidInput):
        issuer.issue(world.version, IssueRequest(email="not-an-email"), at=AT)


def test_revoke_sets_bit_and_verifier_reports_revoked(world: World) -> None:
    issued = _issue(world, IssueRequest(did="did:example:alice"))
    kept = _issue(world, IssueRequest(did="did:example:bob"))
    uow = world.db.unit_of_work()
    revoked = revoke(uow, world.org, issued.id, reason="issued in error", at=AT)
    uow.commit()
    assert revoked.revoked_at == AT
    assert revoked.credential_json == issued.credential_json  # the credential never changes
    lists = _status_lists(world)
    verifier = Verifier(world.resolver())
    report = verifier.verify(issued.credential_json, VerifyOptions(at=NOW, status_lists=lists))
    assert report.first_failure is not None
    assert report.first_failure.code == "CREDENTIAL_REVOKED"
    assert verifier.verify(kept.credential_json, VerifyOptions(at=NOW, status_lists=lists)).verified
    uow = world.db.unit_of_work()
    assert revoke(uow, world.org, issued.id, reason=None, at=NOW).revoked_at == AT  # idempotent


def test_revoke_by_another_organisation_refused(world: World) -> None:
    issued = _issue(world, IssueRequest(did="did:example:alice"))
    uow = world.db.unit_of_work()
    other = create_organisation(uow, world.custody, host=HOST, slug="other", name="Other", at=AT)
    with pytest.raises(PermissionDenied):
        revoke(uow, other, issued.id, reason=None, at=AT)


def test_status_list_version_conflict_detected(world: World) -> None:
    issued = _issue(world, IssueRequest(did="did:example:alice"))
    assert issued.status_list_id is not None
    first, second = world.db.unit_of_work(), world.db.unit_of_work()
    stale = second.status_lists.get(issued.status_list_id)
    assert stale is not None
    set_entry(first, issued.status_list_id, 1, 1, AT)
    first.commit()

    def update_then_commit() -> None:  # the conflict may show at the update or at commit
        bumped = replace(stale, version=stale.version + 1)
        second.status_lists.update(bumped, expected_version=stale.version)
        second.commit()

    with pytest.raises(Conflict):
        update_then_commit()


def test_credential_verifies_after_key_rotation(world: World) -> None:
    issued = _issue(world, IssueRequest(did="did:example:alice"))
    uow = world.db.unit_of_work()
    rotate_key(uow, world.custody, world.org, AT + timedelta(days=1))
    uow.commit()
    report = Verifier(world.resolver()).verify(issued.credential_json, VerifyOptions(at=NOW))
    assert report.verified, report.render()


def test_rendered_achievement_carries_version(world: World) -> None:
    achievement = render_achievement(world.version, world.org)
    assert achievement["id"] == world.version.achievement_id
    assert achievement["version"] == "1"


CSV = (
    "idempotency_key,email,did\n"
    "r1,ana@example.org,\n"
    "r2,,did:example:bea\n"
    "r3,not-an-email,\n"
    "r4,carl@example.org,did:example:carl\n"
)


def _job(world: World, text: str = CSV, dry_run: bool = False):  # type: ignore[no-untyped-def]
    uow = world.db.unit_of_work()
    job = create_job(
        uow,
        world.org,
        world.version.id,
        parse_bulk(io.BytesIO(text.encode()), kind="csv", max_bytes=None),
        at=AT,
        dry_run=dry_run,
    )
    uow.commit()
    return job


def test_bulk_job_issues_valid_rows_and_reports_bad_lines(world: World) -> None:
    job = _job(world)
    assert (job.total, job.invalid) == (4, 1)
    done = run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        job.id,
        base_url=BASE,
        clock=lambda: AT,
        batch_size=2,
    )
    assert done.status is JobStatus.DONE
    assert done.issued == 3
    uow = world.db.unit_of_work()
    invalid = list(uow.jobs.rows(job.id, status=RowStatus.INVALID))
    assert [r.line for r in invalid] == [4]
    assert invalid[0].error is not None
    assert "email" in invalid[0].error.lower()


def test_bulk_job_crash_before_commit_then_resume_issues_each_row_once(world: World) -> None:
    job = _job(world)

    class Crash(Exception):
        pass

    calls = {"n": 0}

    def crash_on_second_batch(rows: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash

    with pytest.raises(Crash):
        run_job(
            world.db.unit_of_work,
            world.custody,
            world.org.id,
            job.id,
            base_url=BASE,
            clock=lambda: AT,
            batch_size=1,
            before_commit=crash_on_second_batch,
        )
    uow = world.db.unit_of_work()
    assert len(uow.credentials.for_organisation(world.org.id, limit=100, offset=0)[0]) == 1
    done = run_job(
        world.db.unit_of_work, world.custody, world.org.id, job.id, base_url=BASE, clock=lambda: AT
    )
    assert done.issued == 3
    uow = world.db.unit_of_work()
    credentials, total = uow.credentials.for_organisation(world.org.id, limit=100, offset=0)
    assert total == 3
    assert len({c.idempotency_key for c in credentials}) == 3
    # running a finished job again issues nothing
    again = run_job(
        world.db.unit_of_work, world.custody, world.org.id, job.id, base_url=BASE, clock=lambda: AT
    )
    assert again.issued == 3


def test_bulk_rerun_of_same_file_issues_nothing_new(world: World) -> None:
    first = _job(world)
    run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        first.id,
        base_url=BASE,
        clock=lambda: AT,
    )
    second = _job(world)
    run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        second.id,
        base_url=BASE,
        clock=lambda: AT,
    )
    uow = world.db.unit_of_work()
    assert uow.credentials.for_organisation(world.org.id, limit=100, offset=0)[1] == 3


def test_bulk_dry_run_issues_nothing(world: World) -> None:
    job = _job(world, dry_run=True)
    assert job.status is JobStatus.DONE
    uow = world.db.unit_of_work()
    assert uow.credentials.for_organisation(world.org.id, limit=10, offset=0)[1] == 0
    with pytest.raises(InvalidState):
        run_job(
            world.db.unit_of_work,
            world.custody,
            world.org.id,
            job.id,
            base_url=BASE,
            clock=lambda: AT,
        )


def _job_credentials(world: World) -> list:  # type: ignore[type-arg]
    uow = world.db.unit_of_work()
    return uow.credentials.for_organisation(world.org.id, limit=100, offset=0)[0]


def test_bulk_job_signed_in_worker_processes_verifies_and_matches_rows(world: World) -> None:
    job = _job(world)
    done = run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        job.id,
        base_url=BASE,
        clock=lambda: AT,
        batch_size=1,
        sign_workers=1,
    )
    assert (done.status, done.issued, done.invalid) == (JobStatus.DONE, 3, 1)
    uow = world.db.unit_of_work()
    rows = {r.idempotency_key: r for r in uow.jobs.rows(job.id, status=RowStatus.ISSUED)}
    credentials = _job_credentials(world)
    assert {c.idempotency_key for c in credentials} == {"r1", "r2", "r4"}
    lists = _status_lists(world)
    for credential in credentials:
        assert rows[credential.idempotency_key].credential_id == credential.id
        report = Verifier(world.resolver()).verify(
            credential.credential_json, VerifyOptions(at=NOW, status_lists=lists)
        )
        assert report.verified, report.render()
    assert len({(c.status_list_id, c.status_index) for c in credentials}) == 3


def test_pipelined_job_crash_before_commit_then_resume_issues_each_row_once(world: World) -> None:
    job = _job(world)

    class Crash(Exception):
        pass

    def crash_on_second_batch(rows: int, calls: list[int] = []) -> None:  # noqa: B006
        calls.append(rows)
        if len(calls) == 2:
            raise Crash

    with pytest.raises(Crash):
        run_job(
            world.db.unit_of_work,
            world.custody,
            world.org.id,
            job.id,
            base_url=BASE,
            clock=lambda: AT,
            batch_size=1,
            sign_workers=1,
            before_commit=crash_on_second_batch,
        )
    assert len(_job_credentials(world)) == 1  # the first batch only; the second rolled back
    done = run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        job.id,
        base_url=BASE,
        clock=lambda: AT,
        batch_size=2,
        sign_workers=1,
    )
    assert done.issued == 3
    credentials = _job_credentials(world)
    assert sorted(c.idempotency_key for c in credentials) == ["r1", "r2", "r4"]


def test_dead_signing_worker_is_unavailable_not_a_crash(world: World) -> None:
    import os
    import signal

    from credstack.errors import Unavailable
    from credstack.platform.signing import ProcessSigner, SignTask

    uow = world.db.unit_of_work()
    key = signing_key(uow, world.custody, world.org)
    signer = ProcessSigner(key, workers=1)
    try:
        achievement = render_achievement(world.version, world.org)
        entry = {
            "id": f"{BASE}/s#1",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": f"{BASE}/s",
        }
        task = SignTask(achievement, IssueRequest(email="a@example.org"), "urn:uuid:1", entry, AT)
        first = signer.submit(world.org, [task]).result()
        assert first[0].error is None
        assert first[0].credential_json.startswith("{")
        for pid in signer.worker_pids():
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(Unavailable, match="signing worker failed"):
            signer.submit(world.org, [task]).result()
    finally:
        signer.close()


def test_process_signer_shares_batches_with_the_caller_and_keeps_order(world: World) -> None:
    from credstack.platform.signing import ProcessSigner, SignTask

    uow = world.db.unit_of_work()
    key = signing_key(uow, world.custody, world.org)
    achievement = render_achievement(world.version, world.org)
    tasks = [
        SignTask(
            achievement,
            IssueRequest(email=f"l{i}@example.org"),
            f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            {
                "id": f"{BASE}/s#{i}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(i),
                "statusListCredential": f"{BASE}/s",
            },
            AT,
        )
        for i in range(6)
    ]
    signer = ProcessSigner(key, workers=1, local_share=0.5)  # 3 signed here, 3 in the worker
    try:
        first = signer.submit(world.org, tasks).result()
        second = signer.submit(world.org, tasks).result()
    finally:
        signer.close()
    for signed in (first, second):
        ids = [json.loads(s.credential_json)["id"] for s in signed]
        assert ids == [t.credential_id for t in tasks]
        assert all(s.digest is not None and len(s.digest) == 32 for s in signed)
