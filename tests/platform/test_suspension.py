"""Suspension: credentials of a suspendable achievement carry a revocation and a suspension
status entry; suspending sets the second bit (verifiers report "suspended"), reinstating
clears it, and both are logged.  Non-suspendable and revoked credentials refuse it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from credstack.errors import InvalidInput, InvalidState, PermissionDenied
from credstack.log.leaf import EventType, credential_digest, decode_leaf, encode_leaf
from credstack.platform.achievement_design import AchievementDesign
from credstack.platform.achievements import create_achievement, publish, render_achievement
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import AchievementVersion, IssuedCredential
from credstack.platform.issuance import (
    Issuer,
    IssueRequest,
    reinstate,
    revoke,
    suspend,
    suspension_entry,
)
from credstack.platform.keys import signing_key
from credstack.platform.organisations import create_organisation
from credstack.platform.statuslists import status_list_credential, status_list_url
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.platform.conftest import BASE, DESIGN, HOST, T0, World

AT = T0 + timedelta(days=1)
LATER = T0 + timedelta(days=2)
NOW = T0 + timedelta(days=10)


def _suspendable(world: World) -> AchievementVersion:
    uow = world.db.unit_of_work()
    design = {**DESIGN, "name": "Lab Safety", "suspendable": True}
    draft = create_achievement(uow, world.org, design, base_url=BASE, at=T0)
    version = publish(uow, world.org, draft.id, at=T0)
    uow.commit()
    return version


def _issue(world: World, version: AchievementVersion, did: str) -> IssuedCredential:
    uow = world.db.unit_of_work()
    issued = Issuer(uow, world.custody, world.org, BASE).issue(
        version, IssueRequest(did=did), at=AT
    )
    uow.commit()
    return issued


def _entries(credential: IssuedCredential) -> list[dict[str, Any]]:
    status = json.loads(credential.credential_json)["credentialStatus"]
    return status if isinstance(status, list) else [status]


def _verify(world: World, credential: IssuedCredential) -> VerificationReport:
    """Verify as of NOW with every status list the credential names, as served now."""
    uow = world.db.unit_of_work()
    key = signing_key(uow, world.custody, world.org)
    lists = {}
    for entry in _entries(credential):
        url = entry["statusListCredential"]
        found = uow.status_lists.get(url.rpartition("/")[2])
        assert found is not None
        assert status_list_url(BASE, world.org, found.id) == url
        lists[url] = status_list_credential(world.org, found, key, url=url, at=NOW)
    uow.rollback()
    return Verifier(world.resolver()).verify(
        credential.credential_json, VerifyOptions(at=NOW, status_lists=lists)
    )


def _status_steps(report: VerificationReport) -> list[tuple[Outcome, str | None]]:
    return [(s.outcome, s.code) for s in report.steps if s.name is StepName.STATUS]


def _events(world: World, credential_id: str) -> list[EventType]:
    uow = world.db.unit_of_work()
    found = [EventType(e.event) for e in uow.log.find(credential_id=credential_id)]
    uow.rollback()
    return found


def _stored(world: World, credential_id: str) -> IssuedCredential:
    uow = world.db.unit_of_work()
    found = uow.credentials.get(credential_id)
    uow.rollback()
    assert found is not None
    return found


# ------------------------------------------------------------------ issuing


def test_suspendable_credential_carries_both_entries_and_verifies(world: World) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    revocation, suspension = _entries(issued)
    assert revocation["statusPurpose"] == "revocation"
    assert suspension["statusPurpose"] == "suspension"
    assert suspension["type"] == "BitstringStatusListEntry"
    assert revocation["statusListCredential"] != suspension["statusListCredential"]
    assert (
        suspension["id"] == f"{suspension['statusListCredential']}#{suspension['statusListIndex']}"
    )
    uow = world.db.unit_of_work()
    ids = [e["statusListCredential"].rpartition("/")[2] for e in (revocation, suspension)]
    lists = [uow.status_lists.get(list_id) for list_id in ids]
    assert [(s.purpose, s.allocated) for s in lists if s is not None] == [
        ("revocation", 1),
        ("suspension", 1),
    ]
    assert suspension_entry(issued) == (ids[1], int(suspension["statusListIndex"]))
    report = _verify(world, issued)
    assert report.verified, report.render()
    assert _status_steps(report) == [(Outcome.PASSED, None), (Outcome.PASSED, None)]
    (schema,) = [s for s in report.steps if s.name is StepName.SCHEMA]
    assert schema.outcome is Outcome.WARNING  # OB 3.0's schema allows one status object
    assert "array of 2 entries" in schema.message


def test_other_achievements_keep_one_entry_and_open_no_suspension_list(world: World) -> None:
    issued = _issue(world, world.version, "did:example:bob")
    status = json.loads(issued.credential_json)["credentialStatus"]
    assert isinstance(status, dict)
    assert status["statusPurpose"] == "revocation"
    assert suspension_entry(issued) is None
    uow = world.db.unit_of_work()
    assert uow.status_lists.open_list(world.org.id, "suspension") is None
    report = _verify(world, issued)
    assert report.verified, report.render()
    (schema,) = [s for s in report.steps if s.name is StepName.SCHEMA]
    assert schema.outcome is Outcome.PASSED


def test_bulk_job_of_suspendable_achievement_gives_every_credential_both_entries(
    world: World,
) -> None:
    version = _suspendable(world)
    rows = "idempotency_key,email,did\n" + "".join(f"k{n},l{n}@example.org,\n" for n in range(7))
    uow = world.db.unit_of_work()
    job = create_job(
        uow,
        world.org,
        version.id,
        parse_bulk(io.BytesIO(rows.encode()), kind="csv", max_bytes=None),
        at=AT,
    )
    uow.commit()
    done = run_job(
        world.db.unit_of_work,
        world.custody,
        world.org.id,
        job.id,
        base_url=BASE,
        clock=lambda: AT,
        batch_size=3,
    )
    assert done.issued == 7
    uow = world.db.unit_of_work()
    issued, _ = uow.credentials.for_organisation(world.org.id, limit=100, offset=0)
    assert len(issued) == 7
    places = set()
    for credential in issued:
        purposes = [e["statusPurpose"] for e in _entries(credential)]
        assert purposes == ["revocation", "suspension"]
        found = suspension_entry(credential)
        assert found is not None
        places.add(found)
    assert len(places) == 7  # every credential its own suspension bit
    (list_id,) = {place[0] for place in places}
    suspension_list = uow.status_lists.get(list_id)
    assert suspension_list is not None
    assert (suspension_list.purpose, suspension_list.allocated) == ("suspension", 7)
    assert _verify(world, issued[0]).verified


# ------------------------------------------------------------------ suspend and reinstate


def test_suspend_then_reinstate(world: World) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    neighbour = _issue(world, _suspendable(world), "did:example:bob")
    uow = world.db.unit_of_work()
    suspended = suspend(uow, world.org, issued.id, reason="  complaint under review ", at=LATER)
    uow.commit()
    assert suspended.suspended_at == LATER
    assert suspended.suspension_reason == "complaint under review"
    assert suspended.credential_json == issued.credential_json  # the credential never changes
    assert _stored(world, issued.id) == suspended

    report = _verify(world, issued)
    assert not report.verified
    failure = report.first_failure
    assert failure is not None
    assert (failure.name, failure.code) == (StepName.STATUS, "CREDENTIAL_SUSPENDED")
    assert failure.message.startswith("suspended")
    assert "lift" in failure.message
    assert _status_steps(report) == [
        (Outcome.PASSED, None),
        (Outcome.FAILED, "CREDENTIAL_SUSPENDED"),
    ]
    assert _verify(world, neighbour).verified  # the same lists, another bit

    uow = world.db.unit_of_work()  # again: nothing changes, nothing is logged
    again = suspend(uow, world.org, issued.id, reason="another reason", at=NOW)
    uow.commit()
    assert (again.suspended_at, again.suspension_reason) == (LATER, "complaint under review")
    assert _events(world, issued.id) == [
        EventType.CREDENTIAL_ISSUED,
        EventType.CREDENTIAL_SUSPENDED,
    ]

    uow = world.db.unit_of_work()
    reinstated = reinstate(uow, world.org, issued.id, at=NOW)
    uow.commit()
    assert (reinstated.suspended_at, reinstated.suspension_reason) == (None, None)
    assert reinstated.revoked_at is None
    report = _verify(world, issued)
    assert report.verified, report.render()
    assert _status_steps(report) == [(Outcome.PASSED, None), (Outcome.PASSED, None)]

    uow = world.db.unit_of_work()
    assert reinstate(uow, world.org, issued.id, at=NOW) == reinstated  # not suspended: as is
    uow.commit()
    assert _events(world, issued.id) == [
        EventType.CREDENTIAL_ISSUED,
        EventType.CREDENTIAL_SUSPENDED,
        EventType.CREDENTIAL_REINSTATED,
    ]
    uow = world.db.unit_of_work()
    leaves = [decode_leaf(e.leaf) for e in uow.log.find(credential_id=issued.id)]
    digest = credential_digest(json.loads(issued.credential_json))
    assert {leaf.digest for leaf in leaves} == {digest}
    assert [leaf.time for leaf in leaves[1:]] == [LATER, NOW]
    assert {leaf.issuer for leaf in leaves} == {world.org.did}


def test_suspended_credential_can_still_be_revoked_and_then_not_reinstated(
    world: World,
) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    uow = world.db.unit_of_work()
    suspend(uow, world.org, issued.id, reason="under review", at=AT)
    revoke(uow, world.org, issued.id, reason="confirmed fraud", at=LATER)
    uow.commit()
    failure = _verify(world, issued).first_failure
    assert failure is not None
    assert failure.code == "CREDENTIAL_REVOKED"  # revocation comes first and is final
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidState, match="a revocation cannot be lifted"):
        reinstate(uow, world.org, issued.id, at=NOW)
    uow.rollback()
    assert _stored(world, issued.id).suspended_at == AT


def test_revoked_credential_cannot_be_suspended(world: World) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    uow = world.db.unit_of_work()
    revoke(uow, world.org, issued.id, reason="issued in error", at=AT)
    uow.commit()
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidState, match="revoked credential cannot be suspended"):
        suspend(uow, world.org, issued.id, reason="why not", at=LATER)
    uow.rollback()
    stored = _stored(world, issued.id)
    assert stored.suspended_at is None
    assert _events(world, issued.id) == [EventType.CREDENTIAL_ISSUED, EventType.CREDENTIAL_REVOKED]


def test_credential_of_non_suspendable_achievement_refuses_both(world: World) -> None:
    issued = _issue(world, world.version, "did:example:alice")
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidState, match="was not suspendable when it was issued"):
        suspend(uow, world.org, issued.id, reason="complaint", at=AT)
    with pytest.raises(InvalidState, match="was not suspendable when it was issued"):
        reinstate(uow, world.org, issued.id, at=AT)
    uow.rollback()
    assert _stored(world, issued.id).suspended_at is None
    assert _events(world, issued.id) == [EventType.CREDENTIAL_ISSUED]


@pytest.mark.parametrize(
    ("reason", "message"), [("", "needs a reason"), ("   ", "needs a reason"), ("x" * 501, "500")]
)
def test_suspension_needs_a_short_reason(world: World, reason: str, message: str) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    uow = world.db.unit_of_work()
    with pytest.raises(InvalidInput, match=message):
        suspend(uow, world.org, issued.id, reason=reason, at=AT)
    uow.rollback()
    assert _stored(world, issued.id).suspended_at is None
    assert _verify(world, issued).verified


def test_suspend_by_another_organisation_refused(world: World) -> None:
    issued = _issue(world, _suspendable(world), "did:example:alice")
    uow = world.db.unit_of_work()
    other = create_organisation(uow, world.custody, host=HOST, slug="other", name="Other", at=AT)
    with pytest.raises(PermissionDenied):
        suspend(uow, other, issued.id, reason="not ours", at=AT)
    with pytest.raises(PermissionDenied):
        reinstate(uow, other, issued.id, at=AT)


# ------------------------------------------------------------------ design and log encoding


def test_suspendable_is_a_strict_boolean_kept_out_of_the_achievement(world: World) -> None:
    with pytest.raises(InvalidInput, match="suspendable"):
        AchievementDesign.from_json({**DESIGN, "suspendable": "yes"})
    assert "suspendable" not in AchievementDesign.from_json(DESIGN).to_data()
    assert (
        "suspendable" not in AchievementDesign.from_json({**DESIGN, "suspendable": False}).to_data()
    )
    version = _suspendable(world)
    assert version.data["suspendable"] is True
    rendered = render_achievement(version, world.org)
    assert "suspendable" not in json.dumps(rendered)


def test_suspension_leaves_differ_from_issued_leaves_in_the_event_byte_only() -> None:
    at = T0.replace(year=2025, month=7, day=1, hour=12, minute=0, microsecond=123000)
    digest = bytes(range(32))
    issued = encode_leaf(EventType.CREDENTIAL_ISSUED, "did:web:example.com", at, digest)
    for event, byte in (
        (EventType.CREDENTIAL_SUSPENDED, 0x03),
        (EventType.CREDENTIAL_REINSTATED, 0x04),
    ):
        leaf = encode_leaf(event, "did:web:example.com", at, digest)
        assert leaf[1] == byte
        assert leaf[:1] + leaf[2:] == issued[:1] + issued[2:]
        assert decode_leaf(leaf).event is event
    # the example in docs/transparency-log.md
    assert (
        encode_leaf(EventType.CREDENTIAL_SUSPENDED, "did:web:example.com", at, digest)[:12].hex(" ")
        == "01 03 00 00 01 97 c5 db b6 7b 00 13"
    )
