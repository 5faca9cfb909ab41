"""Credentials issued through credstack's HTTP API, judged by credstack and by JavaScript.

The API is driven end to end (management ``POST /orgs/{slug}/credentials`` and VC-API
``POST /credentials/issue``, key rotation, revocation); the DID document and the status list
credential the app serves are handed to @digitalbazaar/vc 7 as static documents.  Every
JavaScript verdict comes from one batched ``node`` run made once for the module.

Specifications: VC-API (https://w3c-ccg.github.io/vc-api/), did:web
(https://w3c-ccg.github.io/did-method-web/), Bitstring Status List
(https://www.w3.org/TR/vc-bitstring-status-list/), vc-di-eddsa
(https://www.w3.org/TR/vc-di-eddsa/).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from credstack.platform.accounts import create_token, create_user
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.domain import AchievementVersion, Membership, Role
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys
from credstack.platform.organisations import create_organisation
from credstack.resolve.resolver import CompositeResolver
from credstack.storage.memory import MemoryDatabase
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.api.conftest import BASE, DESIGN, FAST_HASHER, HOST, PASSWORD, T0, Clock, make_app
from tests.conftest import make_open_badge

from .jsref import JsVerifyResult, js_verify_many, verify_request

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.interop

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
SLUG = "uni"
DID = f"did:web:{HOST}:orgs:{SLUG}"


@dataclass
class Snapshot:
    """What the app served at one moment: its DID document and its status lists by URL."""

    did_document: dict[str, Any]
    status_lists: dict[str, dict[str, Any]]
    at: datetime

    def documents(self) -> dict[str, dict[str, Any]]:
        return {DID: self.did_document, **self.status_lists}


@dataclass
class Platform:
    """Credentials made through the API, the app's documents over time, and JS verdicts."""

    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # management views
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    js: dict[str, JsVerifyResult] = field(default_factory=dict)


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _status_url(credential: dict[str, Any]) -> str:
    url: str = credential["credentialStatus"]["statusListCredential"]
    return url


def _snapshot(client: TestClient, clock: Clock, credentials: dict[str, dict[str, Any]]) -> Snapshot:
    did_document = _ok(client.get(f"/orgs/{SLUG}/did.json"))
    lists: dict[str, dict[str, Any]] = {}
    for credential in credentials.values():
        url = _status_url(credential)
        assert url.startswith(f"{BASE}/orgs/{SLUG}/status/")
        lists[url] = _ok(client.get(url.removeprefix(BASE)))
    return Snapshot(did_document, lists, clock.now)


def _seed(clock: Clock) -> tuple[MemoryDatabase, KeyCustody, AchievementVersion, str]:
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    org = create_organisation(uow, custody, host=HOST, slug=SLUG, name="Example University", at=T0)
    published = publish(
        uow, org, create_achievement(uow, org, DESIGN, base_url=BASE, at=T0).id, at=T0
    )
    user = create_user(uow, email="owner@example.org", password=PASSWORD, at=T0, hasher=FAST_HASHER)
    uow.users.add_membership(Membership(user.id, org.id, Role.OWNER))
    _, secret = create_token(uow, user, at=T0, lifetime=timedelta(days=30))
    uow.commit()
    return db, custody, published, secret


def _build() -> Platform:
    clock = Clock(T0 + timedelta(days=1))
    db, custody, published, secret = _seed(clock)
    out = Platform()
    with make_app(db, custody, clock) as client:
        user_auth = {"Authorization": f"Bearer {secret}"}
        org_token = _ok(
            client.post(
                f"/orgs/{SLUG}/tokens", headers=user_auth, json={"scopes": ["read", "issue"]}
            ),
            201,
        )["token"]
        org_auth = {"Authorization": f"Bearer {org_token}"}

        def management(name: str, email: str) -> None:
            body = {"achievement_version_id": published.id, "email": email}
            record = _ok(
                client.post(f"/orgs/{SLUG}/credentials", headers=user_auth, json=body), 201
            )
            out.records[name] = record
            out.credentials[name] = record["verifiableCredential"]

        def vcapi(name: str, credential: dict[str, Any]) -> None:
            body = {"credential": credential}
            issued = _ok(client.post("/credentials/issue", headers=org_auth, json=body), 201)
            out.credentials[name] = issued["verifiableCredential"]

        def plain(subject: str) -> dict[str, Any]:
            return {
                "@context": [VC_CONTEXT],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": subject},
            }

        badge = make_open_badge(DID)
        del badge["id"], badge["validFrom"]
        management("mgmt", "ann@example.org")
        vcapi("vcapi-plain", plain("did:example:alice"))
        vcapi("vcapi-badge", badge)
        management("to-revoke", "bo@example.org")
        management("kept", "cy@example.org")
        out.snapshots["issued"] = _snapshot(client, clock, out.credentials)

        clock.advance(hours=1)
        revoked = _ok(
            client.post(
                f"/orgs/{SLUG}/credentials/{out.records['to-revoke']['id']}/revoke",
                headers=user_auth,
                json={"reason": "issued in error"},
            )
        )
        out.records["to-revoke"] = revoked
        out.snapshots["revoked"] = _snapshot(client, clock, out.credentials)

        clock.advance(hours=1)
        out.keys["before"] = _ok(client.get(f"/orgs/{SLUG}/keys", headers=user_auth))["items"]
        _ok(client.post(f"/orgs/{SLUG}/keys/rotate", headers=user_auth))
        out.keys["after"] = _ok(client.get(f"/orgs/{SLUG}/keys", headers=user_auth))["items"]
        management("mgmt-new-key", "di@example.org")
        vcapi("vcapi-new-key", plain("did:example:bob"))
        out.snapshots["rotated"] = _snapshot(client, clock, out.credentials)

    requests: dict[str, dict[str, Any]] = {}
    for snapshot_name, snapshot in out.snapshots.items():
        for name, credential in out.credentials.items():
            if _status_url(credential) in snapshot.status_lists:
                requests[f"{snapshot_name}/{name}"] = verify_request(
                    credential, snapshot.documents(), "issuance", snapshot.at
                )
    verdicts = js_verify_many(list(requests.values()))
    out.js = dict(zip(requests, verdicts, strict=True))
    return out


@pytest.fixture(scope="module")
def platform() -> Platform:
    return _build()


def _credstack(platform: Platform, snapshot: str, name: str) -> VerificationReport:
    served = platform.snapshots[snapshot]
    resolver = CompositeResolver(documents=[served.did_document])
    options = VerifyOptions(at=served.at, status_lists=served.status_lists)
    return Verifier(resolver).verify(platform.credentials[name], options)


def _status_step(report: VerificationReport) -> tuple[Outcome, str | None]:
    steps = [s for s in report.steps if s.name is StepName.STATUS]
    assert len(steps) == 1, report.render()
    return steps[0].outcome, steps[0].code


def _verification_method(credential: dict[str, Any]) -> str:
    proof = credential["proof"]
    first = proof[0] if isinstance(proof, list) else proof
    method: str = first["verificationMethod"]
    return method


UNREVOKED_JS: JsVerifyResult = {
    "verified": True,
    "errors": [],
    "status": [{"purpose": "revocation", "status": False, "verified": True}],
}


# ------------------------------------------------------------------ 1. issued through the API


@pytest.mark.parametrize("name", ["mgmt", "vcapi-plain", "vcapi-badge"])
def test_api_issued_credential_verified_by_both(platform: Platform, name: str) -> None:
    credential = platform.credentials[name]
    issuer = credential["issuer"]
    assert (issuer["id"] if isinstance(issuer, dict) else issuer) == DID
    assert _verification_method(credential).startswith(f"{DID}#")
    report = _credstack(platform, "issued", name)
    assert report.verified, report.render()
    assert _status_step(report) == (Outcome.PASSED, None)
    assert platform.js[f"issued/{name}"] == UNREVOKED_JS


def test_api_issued_credentials_share_one_served_status_list(platform: Platform) -> None:
    urls = {_status_url(c) for c in platform.credentials.values()}
    assert len(urls) == 1
    (url,) = urls
    served = platform.snapshots["issued"].status_lists[url]
    assert served["id"] == url
    assert served["issuer"] == DID
    assert "BitstringStatusListCredential" in served["type"]


# ------------------------------------------------------------------ 2. key rotation


def test_rotate_key_keeps_old_method_in_did_document(platform: Platform) -> None:
    before = {k["verificationMethod"]: k["status"] for k in platform.keys["before"]}
    after = {k["verificationMethod"]: k["status"] for k in platform.keys["after"]}
    (old,) = before
    assert before[old] == "active"
    assert after[old] == "retired"
    (new,) = set(after) - {old}
    assert after[new] == "active"
    document = platform.snapshots["rotated"].did_document
    assert {old, new} <= {vm["id"] for vm in document["verificationMethod"]}
    assert {old, new} <= set(document["assertionMethod"])
    assert _verification_method(platform.credentials["mgmt"]) == old
    assert _verification_method(platform.credentials["mgmt-new-key"]) == new
    assert _verification_method(platform.credentials["vcapi-new-key"]) == new


@pytest.mark.parametrize("name", ["mgmt", "vcapi-plain", "vcapi-badge", "kept"])
def test_old_credential_after_rotation_verified_by_both(platform: Platform, name: str) -> None:
    report = _credstack(platform, "rotated", name)
    assert report.verified, report.render()
    assert platform.js[f"rotated/{name}"] == UNREVOKED_JS


@pytest.mark.parametrize("name", ["mgmt-new-key", "vcapi-new-key"])
def test_new_key_credential_verified_by_both(platform: Platform, name: str) -> None:
    report = _credstack(platform, "rotated", name)
    assert report.verified, report.render()
    assert platform.js[f"rotated/{name}"] == UNREVOKED_JS


def test_status_list_after_rotation_signed_with_new_key(platform: Platform) -> None:
    (served,) = platform.snapshots["rotated"].status_lists.values()
    new = _verification_method(platform.credentials["mgmt-new-key"])
    assert _verification_method(served) == new


# ------------------------------------------------------------------ 3. revocation


def test_revoke_response_records_reason(platform: Platform) -> None:
    record = platform.records["to-revoke"]
    assert record["revokedAt"] is not None
    assert record["revocationReason"] == "issued in error"


def test_revoked_credential_reported_by_both(platform: Platform) -> None:
    for snapshot in ("revoked", "rotated"):
        report = _credstack(platform, snapshot, "to-revoke")
        assert not report.verified
        assert report.first_failure is not None
        assert (report.first_failure.name, report.first_failure.code) == (
            StepName.STATUS,
            "CREDENTIAL_REVOKED",
        )
        js = platform.js[f"{snapshot}/to-revoke"]
        # @digitalbazaar/vc keeps `verified` true for a set bit: the status result tells
        assert js["verified"] is True
        assert js.get("status") == [{"purpose": "revocation", "status": True, "verified": True}]


def test_revoked_credential_fine_before_revocation_in_both(platform: Platform) -> None:
    assert _credstack(platform, "issued", "to-revoke").verified
    assert platform.js["issued/to-revoke"] == UNREVOKED_JS


def test_unrevoked_credential_on_same_list_fine_in_both(platform: Platform) -> None:
    kept, revoked = platform.credentials["kept"], platform.credentials["to-revoke"]
    assert _status_url(kept) == _status_url(revoked)
    assert (
        kept["credentialStatus"]["statusListIndex"]
        != revoked["credentialStatus"]["statusListIndex"]
    )
    report = _credstack(platform, "revoked", "kept")
    assert report.verified, report.render()
    assert _status_step(report) == (Outcome.PASSED, None)
    assert platform.js["revoked/kept"] == UNREVOKED_JS
