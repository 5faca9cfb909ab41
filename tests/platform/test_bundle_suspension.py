"""Offline bundles of suspendable credentials: besides ``statusList`` (the revocation list) a
bundle carries ``statusLists`` (the suspension list), so an offline check shows a suspension and
its lifting; bundles in the earlier shape (no ``statusLists``) still parse and verify, and a
``statusLists`` entry that was altered, is not the issuer's or is not named is rejected."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput
from credstack.log.bundle import (
    MAX_EXTRA_STATUS_LISTS,
    Bundle,
    BundleReport,
    BundleStepName,
    TrustAnchors,
    build_bundle,
    parse_bundle,
    status_list_urls,
    verify_bundle,
)
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import AchievementVersion, IssuedCredential
from credstack.platform.issuance import Issuer, IssueRequest, reinstate, suspend
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys, signing_key
from credstack.platform.organisations import create_organisation
from credstack.platform.platform_identity import ensure_platform_key, platform_did_document
from credstack.platform.statuslists import status_list_credential
from credstack.platform.translog import credential_bundle, log_verifiers
from credstack.proofs.dataintegrity import add_proof
from credstack.statuslist import decode_list, encode_list
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from credstack.verify.report import Outcome, StepName
from tests.platform.conftest import BASE, DESIGN, HOST, T0

AT = T0 + timedelta(days=1)
SUSPENDED_AT = T0 + timedelta(days=3)
REINSTATED_AT = T0 + timedelta(days=5)
CHECK_AT = T0 + timedelta(days=7)

Database = MemoryDatabase | SqlDatabase


class Deployment:
    """One organisation with a suspendable achievement, and the platform's log key."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.custody = KeyCustody(KeyEncryptionKeys.generate())
        uow = db.unit_of_work()
        ensure_platform_key(uow, self.custody, HOST, at=T0)
        self.org = create_organisation(uow, self.custody, host=HOST, slug="uni", name="Uni", at=T0)
        design = {**DESIGN, "name": "Lab Safety", "suspendable": True}
        draft = create_achievement(uow, self.org, design, base_url=BASE, at=T0)
        self.suspendable: AchievementVersion = publish(uow, self.org, draft.id, at=T0)
        plain = create_achievement(uow, self.org, DESIGN, base_url=BASE, at=T0)
        self.plain: AchievementVersion = publish(uow, self.org, plain.id, at=T0)
        uow.commit()

    def issue(self, version: AchievementVersion | None = None) -> IssuedCredential:
        uow = self.db.unit_of_work()
        issued = Issuer(uow, self.custody, self.org, BASE).issue(
            version or self.suspendable, IssueRequest(did="did:example:alice"), at=AT
        )
        uow.commit()
        return issued

    def suspend(self, credential: IssuedCredential) -> None:
        uow = self.db.unit_of_work()
        suspend(uow, self.org, credential.id, reason="under investigation", at=SUSPENDED_AT)
        uow.commit()

    def reinstate(self, credential: IssuedCredential) -> None:
        uow = self.db.unit_of_work()
        reinstate(uow, self.org, credential.id, at=REINSTATED_AT)
        uow.commit()

    def bundle(self, credential: IssuedCredential, at: Any) -> Bundle:
        uow = self.db.unit_of_work()
        bundle = credential_bundle(uow, self.custody, HOST, BASE, self.org, credential, at)
        uow.commit()
        return bundle

    def list_credential(self, url: str, at: Any) -> dict[str, Any]:
        """The org's list behind ``url``, signed as of ``at``."""
        uow = self.db.unit_of_work()
        found = uow.status_lists.get(url.rpartition("/status/")[2])
        assert found is not None
        key = signing_key(uow, self.custody, self.org)
        signed = status_list_credential(self.org, found, key, url=url, at=at)
        uow.rollback()
        return signed

    def trust(self) -> TrustAnchors:
        document = platform_did_document(self.db.unit_of_work(), HOST)
        return TrustAnchors(log_keys=tuple(log_verifiers(document, HOST)))

    def verify(self, bundle: Bundle | dict[str, Any], **options: Any) -> BundleReport:
        data = bundle.to_json() if isinstance(bundle, Bundle) else bundle
        return verify_bundle(json.dumps(data), at=CHECK_AT, trust=self.trust(), **options)


@pytest.fixture(params=["memory", "sqlite"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if request.param == "memory":
        yield Deployment(MemoryDatabase())
        return
    db = SqlDatabase(f"sqlite:///{tmp_path / 'suspension.sqlite'}")
    db.migrate()
    try:
        yield Deployment(db)
    finally:
        db.dispose()


@pytest.fixture
def memory() -> Deployment:
    return Deployment(MemoryDatabase())


def _status_steps(report: BundleReport) -> list[tuple[str, Outcome, str | None]]:
    assert report.credential is not None
    return [
        (str(s.details.get("statusPurpose")), s.outcome, s.code)
        for s in report.credential.steps
        if s.name is StepName.STATUS
    ]


def _step(report: BundleReport, name: BundleStepName) -> tuple[Outcome, str, str | None]:
    step = report.step(name)
    assert step is not None, name
    return step.outcome, step.message, step.code


def _entries(credential: IssuedCredential) -> dict[str, dict[str, Any]]:
    status = json.loads(credential.credential_json)["credentialStatus"]
    return {entry["statusPurpose"]: entry for entry in status}


# ------------------------------------------------------------------ the lifecycle


def test_suspension_shows_in_bundles_and_reinstatement_lifts_it(deployment: Deployment) -> None:
    issued = deployment.issue()
    entries = _entries(issued)
    revocation_url = entries["revocation"]["statusListCredential"]
    suspension_url = entries["suspension"]["statusListCredential"]

    fresh = deployment.bundle(issued, AT)
    assert fresh.status_list is not None
    assert fresh.status_list["id"] == revocation_url
    assert [s["id"] for s in fresh.status_lists] == [suspension_url]
    data = fresh.to_json()
    assert list(data).index("statusLists") == list(data).index("statusList") + 1
    assert parse_bundle(fresh.dumps()) == fresh
    report = deployment.verify(fresh)
    assert report.verified, report.render()
    assert report.log_trusted
    assert _status_steps(report) == [
        ("revocation", Outcome.PASSED, None),
        ("suspension", Outcome.PASSED, None),
    ]

    deployment.suspend(issued)
    suspended = deployment.bundle(issued, SUSPENDED_AT)
    report = deployment.verify(suspended)
    assert not report.verified
    failure = report.first_failure
    assert failure is not None
    assert (failure.name, failure.code) == (BundleStepName.CREDENTIAL, "CREDENTIAL_SUSPENDED")
    assert _status_steps(report) == [
        ("revocation", Outcome.PASSED, None),
        ("suspension", Outcome.FAILED, "CREDENTIAL_SUSPENDED"),
    ]
    assert "suspended" in report.render()
    # the earlier bundle still shows the state at its own time
    assert deployment.verify(fresh).verified

    deployment.reinstate(issued)
    report = deployment.verify(deployment.bundle(issued, REINSTATED_AT))
    assert report.verified, report.render()
    assert _status_steps(report)[1] == ("suspension", Outcome.PASSED, None)


def test_freshness_covers_every_list_and_reports_the_oldest(memory: Deployment) -> None:
    issued = memory.issue()
    bundle = memory.bundle(issued, CHECK_AT - timedelta(days=1))
    outcome, message, _ = _step(memory.verify(bundle), BundleStepName.STATUS_FRESHNESS)
    assert outcome is Outcome.PASSED
    assert message.startswith("status evidence is 1 day old (the oldest of 2 status lists")
    # the suspension list as of ten days earlier (still validly signed): the line follows it
    suspension_url = _entries(issued)["suspension"]["statusListCredential"]
    older = memory.list_credential(suspension_url, CHECK_AT - timedelta(days=11))
    stale = dataclasses.replace(bundle, status_lists=(older,))
    report = memory.verify(stale, status_max_age=timedelta(days=5))
    assert report.verified, report.render()  # a stale list only warns
    step = report.step(BundleStepName.STATUS_FRESHNESS)
    assert step is not None
    assert step.outcome is Outcome.WARNING
    assert step.message.startswith(
        f"status evidence is 11 days old (the oldest of 2 status lists, {suspension_url}: "
        "status list issued"
    )
    assert "a status change since then would not show" in step.message
    assert [item["id"] for item in step.details["statusLists"]] == [
        _entries(issued)["revocation"]["statusListCredential"],
        suspension_url,
    ]
    assert report.status_age == timedelta(days=11)


# ------------------------------------------------------------------ bundles made before


def test_a_bundle_in_the_earlier_shape_still_parses_and_verifies(memory: Deployment) -> None:
    issued = memory.issue()
    data = memory.bundle(issued, AT).to_json()
    old = {k: v for k, v in data.items() if k != "statusLists"}
    assert set(old) == {
        "type",
        "version",
        "credential",
        "didDocument",
        "keyHistory",
        "statusList",
        "statusCheckedAt",
        "log",
    }
    parsed = parse_bundle(json.dumps(old))
    assert parsed.status_lists == ()
    assert parsed.to_json() == old  # written back in the same shape
    report = memory.verify(old)
    assert report.verified, report.render()
    # as before: the suspension list was not supplied, which the credential report says
    assert report.credential is not None
    steps = [s for s in report.credential.steps if s.name is StepName.STATUS]
    assert [(s.outcome, s.code) for s in steps] == [
        (Outcome.PASSED, None),
        (Outcome.WARNING, "STATUS_RETRIEVAL_ERROR"),
    ]
    assert steps[1].message.startswith("suspension status not checked")
    assert "was not supplied" in steps[1].message
    outcome, message, _ = _step(report, BundleStepName.STATUS_FRESHNESS)
    assert outcome is Outcome.PASSED
    assert message == "status evidence is 6 days old (status list issued 2026-03-02T09:00:00Z)"


def test_an_ordinary_credential_bundle_keeps_the_earlier_shape(memory: Deployment) -> None:
    issued = memory.issue(memory.plain)
    bundle = memory.bundle(issued, AT)
    assert bundle.status_lists == ()
    assert "statusLists" not in bundle.to_json()
    assert memory.verify(bundle).verified


# ------------------------------------------------------------------ bad statusLists


def _suspended_bundle(memory: Deployment) -> tuple[IssuedCredential, dict[str, Any]]:
    issued = memory.issue()
    memory.suspend(issued)
    return issued, memory.bundle(issued, SUSPENDED_AT).to_json()


def test_an_altered_status_lists_entry_is_rejected(memory: Deployment) -> None:
    issued, data = _suspended_bundle(memory)
    forged = copy.deepcopy(data)
    subject = forged["statusLists"][0]["credentialSubject"]
    bits = bytearray(decode_list(subject["encodedList"]))
    assert any(bits)
    subject["encodedList"] = encode_list(bytes(len(bits)))  # "nobody is suspended"
    report = memory.verify(forged)
    assert not report.verified
    outcome, message, code = _step(report, BundleStepName.CREDENTIAL)
    assert (outcome, code) == (Outcome.FAILED, "STATUS_VERIFICATION_ERROR")
    assert "does not verify" in message
    suspension_url = _entries(issued)["suspension"]["statusListCredential"]
    assert message.startswith(f"the credential does not verify: the status list {suspension_url}")
    assert _status_steps(report)[1][1:] == (Outcome.FAILED, "STATUS_VERIFICATION_ERROR")


def test_a_status_list_that_is_not_the_issuers_is_rejected(memory: Deployment) -> None:
    issued, data = _suspended_bundle(memory)
    url = _entries(issued)["suspension"]["statusListCredential"]
    stranger = KeyPair(bytes([77]) * 32)
    genuine = data["statusLists"][0]
    unsigned = {k: v for k, v in genuine.items() if k != "proof"}
    unsigned["issuer"] = stranger.did_key
    unsigned["credentialSubject"] = {
        **genuine["credentialSubject"],
        "encodedList": encode_list(bytes(16 * 1024)),
    }
    data["statusLists"] = [add_proof(unsigned, stranger, created=SUSPENDED_AT)]
    assert data["statusLists"][0]["id"] == url
    report = memory.verify(data)
    assert not report.verified
    outcome, message, code = _step(report, BundleStepName.CREDENTIAL)
    assert (outcome, code) == (Outcome.FAILED, "STATUS_VERIFICATION_ERROR")
    assert "not by the issuer" in message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(statusLists={"id": "x"}), "statusLists must be a list"),
        (
            lambda d: d.update(statusLists=[d["statusLists"][0]] * (MAX_EXTRA_STATUS_LISTS + 1)),
            f"at most {MAX_EXTRA_STATUS_LISTS}",
        ),
        (lambda d: d["statusLists"].append("list"), "must be a JSON object"),
        (lambda d: d["statusLists"][0].pop("id"), "has no id"),
        (lambda d: d["statusLists"].append(d["statusLists"][0]), "twice"),
        (lambda d: d["statusLists"].append(d["statusList"]), "twice"),
        (
            lambda d: d["statusLists"][0].update(id="https://elsewhere.example/status/1"),
            "not a status list the credential names",
        ),
    ],
)
def test_a_malformed_status_lists_member_is_refused(
    memory: Deployment, change: Any, problem: str
) -> None:
    _, data = _suspended_bundle(memory)
    change(data)
    with pytest.raises(InvalidInput) as caught:
        parse_bundle(data)
    assert problem in caught.value.message
    report = memory.verify(data)
    assert report.unusable
    assert not report.verified
    outcome, message, _ = _step(report, BundleStepName.FORMAT)
    assert outcome is Outcome.FAILED
    assert problem in message


def test_build_bundle_refuses_a_list_the_credential_does_not_name(memory: Deployment) -> None:
    issued = memory.issue()
    bundle = memory.bundle(issued, AT)
    assert status_list_urls(bundle.credential) == [
        bundle.all_status_lists[0]["id"],
        bundle.all_status_lists[1]["id"],
    ]
    stray = {**bundle.status_lists[0], "id": f"{BASE}/orgs/uni/status/unknown"}
    with pytest.raises(InvalidInput, match="not a status list the credential names"):
        build_bundle(
            credential=bundle.credential,
            did_document=bundle.did_document,
            checkpoint=bundle.checkpoint,
            credential_log=bundle.credential_log,
            did_document_log=bundle.did_document_log,
            status_list=bundle.status_list,
            status_checked_at=bundle.status_checked_at,
            status_lists=[stray],
        )
