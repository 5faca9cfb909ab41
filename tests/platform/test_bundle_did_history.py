"""Bundles carry the issuer's DID document as of issuance: every logged DID document version
is stored with its leaf, and a credential's bundle takes the version logged last before the
credential (plus the current one when it differs), verifiable offline with the log key."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from credstack.log.bundle import Bundle, BundleReport, BundleStepName, TrustAnchors, verify_bundle
from credstack.log.leaf import EventType, did_document_digest
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import AchievementVersion, IssuedCredential, Organisation
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import (
    KeyCustody,
    KeyEncryptionKeys,
    did_document,
    mark_compromised,
    new_key,
    rotate_key,
)
from credstack.platform.organisations import create_organisation, update_profile
from credstack.platform.platform_identity import ensure_platform_key, platform_did_document
from credstack.platform.ports import UnitOfWork
from credstack.platform.translog import (
    append_events,
    credential_bundle,
    did_document_event,
    key_event,
    log_verifiers,
)
from credstack.storage.memory import MemoryDatabase
from credstack.storage.session import SqlDatabase
from credstack.verify.report import Outcome
from tests.platform.conftest import BASE, DESIGN, HOST, T0

AT = T0 + timedelta(days=1)
LATER = AT + timedelta(days=30)
CHECK_AT = LATER + timedelta(days=1)

Database = MemoryDatabase | SqlDatabase


class Deployment:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.custody = KeyCustody(KeyEncryptionKeys.generate())
        uow = db.unit_of_work()
        ensure_platform_key(uow, self.custody, HOST, at=T0)
        self.org = create_organisation(uow, self.custody, host=HOST, slug="uni", name="Uni", at=T0)
        draft = create_achievement(uow, self.org, DESIGN, base_url=BASE, at=T0)
        self.version: AchievementVersion = publish(uow, self.org, draft.id, at=T0)
        uow.commit()

    def issue(self, at: Any) -> IssuedCredential:
        uow = self.db.unit_of_work()
        issuer = Issuer(uow, self.custody, self.org, BASE)
        issued = issuer.issue(self.version, IssueRequest(email="ann@example.org"), at=at)
        uow.commit()
        return issued

    def document(self) -> dict[str, Any]:
        uow = self.db.unit_of_work()
        return did_document(self.org, uow.keys.for_organisation(self.org.id))

    def rotate(self, at: Any) -> None:
        uow = self.db.unit_of_work()
        rotate_key(uow, self.custody, self.org, at)
        uow.commit()

    def bundle(self, credential: IssuedCredential, at: Any = LATER) -> Bundle:
        uow = self.db.unit_of_work()
        bundle = credential_bundle(uow, self.custody, HOST, BASE, self.org, credential, at)
        uow.commit()
        return bundle

    def trust(self) -> TrustAnchors:
        document = platform_did_document(self.db.unit_of_work(), HOST)
        return TrustAnchors(log_keys=tuple(log_verifiers(document, HOST)))

    def verify(self, bundle: Bundle) -> BundleReport:
        return verify_bundle(bundle.to_json(), at=CHECK_AT, trust=self.trust())


@pytest.fixture(params=["memory", "sqlite"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if request.param == "memory":
        yield Deployment(MemoryDatabase())
        return
    db = SqlDatabase(f"sqlite:///{tmp_path / 'history.sqlite'}")
    db.migrate()
    try:
        yield Deployment(db)
    finally:
        db.dispose()


def _step(report: BundleReport, name: BundleStepName) -> tuple[Outcome, str]:
    step = report.step(name)
    assert step is not None, name
    return step.outcome, step.message


def _document_leaves(uow: UnitOfWork) -> list[tuple[int, bytes]]:
    entries = uow.log.leaves(0, uow.log.size())
    return [(e.index, e.digest) for e in entries if e.event == EventType.DID_DOCUMENT]


def test_every_logged_did_document_version_is_stored_with_its_leaf(
    deployment: Deployment,
) -> None:
    first = deployment.document()
    deployment.rotate(AT)
    second = deployment.document()
    uow = deployment.db.unit_of_work()
    leaves = _document_leaves(uow)
    assert [digest for _, digest in leaves] == [
        did_document_digest(first),
        did_document_digest(second),
    ]
    latest = uow.log.did_document(deployment.org.did)
    assert latest is not None
    assert (latest.index, latest.document) == (leaves[1][0], second)
    earlier = uow.log.did_document(deployment.org.did, before=leaves[1][0])
    assert earlier is not None
    assert (earlier.index, earlier.digest, earlier.document) == (*leaves[0], first)
    assert earlier.logged_at == T0


def test_rolled_back_rotation_stores_no_version(deployment: Deployment) -> None:
    uow = deployment.db.unit_of_work()
    rotate_key(uow, deployment.custody, deployment.org, AT)
    uow.rollback()
    uow = deployment.db.unit_of_work()
    latest = uow.log.did_document(deployment.org.did)
    assert latest is not None
    assert latest.index == 1
    assert len(_document_leaves(uow)) == 1


def test_bundle_after_rotation_carries_pre_rotation_document(deployment: Deployment) -> None:
    before = deployment.document()
    credential = deployment.issue(AT)
    deployment.rotate(AT + timedelta(days=1))
    after = deployment.document()
    assert before != after
    bundle = deployment.bundle(credential)
    assert bundle.did_document == before  # in force at issuance: key-1 active, no key-2
    assert bundle.did_document_log.index < bundle.credential_log.index
    assert bundle.current_did_document == after  # it verifies the status list (key-2)
    assert bundle.current_did_document_log is not None
    assert bundle.current_did_document_log.index > bundle.credential_log.index
    report = deployment.verify(bundle)
    assert report.verified, report.render()
    assert report.log_trusted
    outcome, message = _step(report, BundleStepName.DID_DOCUMENT_LOGGED)
    assert outcome is Outcome.PASSED
    assert "in force at issuance" in message
    assert _step(report, BundleStepName.CURRENT_DID_DOCUMENT_LOGGED)[0] is Outcome.PASSED
    # the retired key still verifies the old credential; a swapped document does not fit
    swapped = bundle.to_json()
    swapped["didDocument"], swapped["currentDidDocument"] = after, before
    assert not verify_bundle(swapped, at=CHECK_AT, trust=deployment.trust()).verified


def test_bundle_of_credential_issued_after_rotation_carries_new_document(
    deployment: Deployment,
) -> None:
    deployment.issue(AT)
    deployment.rotate(AT + timedelta(days=1))
    after = deployment.document()
    credential = deployment.issue(AT + timedelta(days=2))
    bundle = deployment.bundle(credential)
    assert bundle.did_document == after
    assert bundle.current_did_document is None
    assert "currentDidDocument" not in bundle.to_json()
    report = deployment.verify(bundle)
    assert report.verified, report.render()


def test_bundle_keeps_logged_document_after_unlogged_profile_change(
    deployment: Deployment,
) -> None:
    logged = deployment.document()
    credential = deployment.issue(AT)
    uow = deployment.db.unit_of_work()
    deployment.org = update_profile(uow, deployment.org.id, url="https://uni.example")
    uow.commit()
    assert deployment.document() != logged  # alsoKnownAs changed; no new version was logged
    bundle = deployment.bundle(credential)
    assert bundle.did_document == logged
    assert bundle.current_did_document is None
    assert deployment.verify(bundle).verified


def test_key_compromised_after_issuance_keeps_old_credential_valid(
    deployment: Deployment,
) -> None:
    credential = deployment.issue(AT)
    uow = deployment.db.unit_of_work()
    key = uow.keys.for_organisation(deployment.org.id)[0]
    since = AT + timedelta(days=2)
    mark_compromised(uow, deployment.custody, deployment.org, key.id, since=since, at=since)
    uow.commit()
    bundle = deployment.bundle(credential)
    assert any(k["publicKeyMultibase"] == key.public_key_multibase for k in _methods(bundle))
    (record,) = [k for k in bundle.key_history if k.status == "compromised"]
    assert record.compromise_log is not None
    report = deployment.verify(bundle)
    assert report.verified, report.render()
    outcome, message = _step(report, BundleStepName.KEY_COMPROMISE)
    assert outcome is Outcome.PASSED
    assert "before that" in message


def test_key_compromised_before_issuance_is_rejected(deployment: Deployment) -> None:
    credential = deployment.issue(AT)
    uow = deployment.db.unit_of_work()
    key = uow.keys.for_organisation(deployment.org.id)[0]
    since = AT - timedelta(hours=1)  # reported later, effective before the credential
    mark_compromised(
        uow, deployment.custody, deployment.org, key.id, since=since, at=AT + timedelta(days=1)
    )
    uow.commit()
    bundle = deployment.bundle(credential)
    # the document of issuance still lists the key (the compromise was not known yet)
    assert any(k["publicKeyMultibase"] == key.public_key_multibase for k in _methods(bundle))
    report = deployment.verify(bundle)
    assert not report.verified
    step = report.step(BundleStepName.KEY_COMPROMISE)
    assert step is not None
    assert (step.outcome, step.code) == (Outcome.FAILED, "CRYPTOGRAPHIC_SECURITY_ERROR")
    assert "not before" in step.message


def _methods(bundle: Bundle) -> list[dict[str, Any]]:
    methods = bundle.did_document.get("verificationMethod", [])
    assert isinstance(methods, list)
    return methods


def test_log_without_stored_versions_falls_back_to_current_document() -> None:
    """A log written before the versions were stored (migration 0007): the bundle carries
    today's document, found in the log by its digest, as before."""
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    ensure_platform_key(uow, custody, HOST, at=T0)
    org = Organisation(
        id=str(uuid.uuid4()),
        slug="old",
        name="Old Uni",
        did=f"did:web:{HOST}:orgs:old",
        created_at=T0,
    )
    uow.organisations.add(org)
    key = new_key(custody, org, "key-1", T0)
    uow.keys.add(key)
    document = did_document(org, [key])
    unstored = dataclasses.replace(did_document_event(org.did, document, T0), document=None)
    append_events(uow, [key_event(EventType.KEY_ACTIVATED, org.did, key, T0), unstored], T0)
    version = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    credential = Issuer(uow, custody, org, BASE).issue(
        version, IssueRequest(email="bo@example.org"), at=AT
    )
    uow.commit()
    uow = db.unit_of_work()
    assert uow.log.did_document(org.did) is None
    bundle = credential_bundle(uow, custody, HOST, BASE, org, credential, LATER)
    assert bundle.did_document == document
    trust = TrustAnchors(log_keys=tuple(log_verifiers(platform_did_document(uow, HOST), HOST)))
    assert verify_bundle(bundle.to_json(), at=CHECK_AT, trust=trust).verified
