"""A suspendable credential issued through credstack's HTTP API, judged by credstack and by
JavaScript (@digitalbazaar/vc with @digitalbazaar/vc-bitstring-status-list) as issued,
suspended and reinstated: its ``credentialStatus`` array holds a revocation and a suspension
entry, each checked against the list the app serves.  Every JavaScript verdict comes from one
batched ``node`` run made once for the module.

Specification: Bitstring Status List (https://www.w3.org/TR/vc-bitstring-status-list/),
several status entries per credential (VC 2.0 §4.10 "Status": one or more objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from credstack.resolve.resolver import CompositeResolver
from credstack.verify.report import Outcome, StepName, VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.api.conftest import BASE, DESIGN, T0, Clock, make_app

from .jsref import JsVerifyResult, js_verify_many, verify_request
from .test_platform_interop import DID, SLUG, Snapshot, _ok, _seed

pytestmark = pytest.mark.interop

STAGES = ("issued", "suspended", "reinstated")


@dataclass
class Suspension:
    credential: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    js: dict[str, JsVerifyResult] = field(default_factory=dict)


def _snapshot(client: Any, clock: Clock, credential: dict[str, Any]) -> Snapshot:
    did_document = _ok(client.get(f"/orgs/{SLUG}/did.json"))
    lists = {
        e["statusListCredential"]: _ok(client.get(e["statusListCredential"].removeprefix(BASE)))
        for e in credential["credentialStatus"]
    }
    return Snapshot(did_document, lists, clock.now)


def _build() -> Suspension:
    clock = Clock(T0 + timedelta(days=1))
    db, custody, _, secret = _seed(clock)
    out = Suspension()
    with make_app(db, custody, clock) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        design = {**DESIGN, "name": "Forklift Operation", "suspendable": True}
        draft = _ok(client.post(f"/orgs/{SLUG}/achievements", headers=auth, json=design), 201)
        _ok(client.post(f"/orgs/{SLUG}/achievement-versions/{draft['id']}/publish", headers=auth))
        body = {"achievement_version_id": draft["id"], "email": "fay@example.org"}
        record = _ok(client.post(f"/orgs/{SLUG}/credentials", headers=auth, json=body), 201)
        out.credential = record["verifiableCredential"]
        path = f"/orgs/{SLUG}/credentials/{record['id']}"
        out.snapshots["issued"] = _snapshot(client, clock, out.credential)
        clock.advance(hours=1)
        _ok(client.post(f"{path}/suspend", headers=auth, json={"reason": "licence check"}))
        out.snapshots["suspended"] = _snapshot(client, clock, out.credential)
        clock.advance(hours=1)
        _ok(client.post(f"{path}/reinstate", headers=auth))
        out.snapshots["reinstated"] = _snapshot(client, clock, out.credential)
    requests = [
        verify_request(
            out.credential, out.snapshots[s].documents(), "issuance", out.snapshots[s].at
        )
        for s in STAGES
    ]
    out.js = dict(zip(STAGES, js_verify_many(requests), strict=True))
    return out


@pytest.fixture(scope="module")
def suspension() -> Suspension:
    return _build()


def _credstack(suspension: Suspension, stage: str) -> VerificationReport:
    served = suspension.snapshots[stage]
    resolver = CompositeResolver(documents=[served.did_document])
    options = VerifyOptions(at=served.at, status_lists=served.status_lists)
    return Verifier(resolver).verify(suspension.credential, options)


def _js_status(bit: bool) -> list[dict[str, Any]]:
    return [
        {"purpose": "revocation", "status": False, "verified": True},
        {"purpose": "suspension", "status": bit, "verified": True},
    ]


def test_credential_carries_two_entries_on_two_served_lists(suspension: Suspension) -> None:
    entries = suspension.credential["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert suspension.credential["issuer"]["id"] == DID
    served = suspension.snapshots["issued"].status_lists
    assert len(served) == 2
    for entry in entries:
        listed = served[entry["statusListCredential"]]
        assert listed["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
        assert listed["issuer"] == DID


@pytest.mark.parametrize("stage", ["issued", "reinstated"])
def test_not_suspended_in_both(suspension: Suspension, stage: str) -> None:
    report = _credstack(suspension, stage)
    assert report.verified, report.render()
    steps = [(s.outcome, s.code) for s in report.steps if s.name is StepName.STATUS]
    assert steps == [(Outcome.PASSED, None), (Outcome.PASSED, None)]
    assert suspension.js[stage] == {"verified": True, "errors": [], "status": _js_status(False)}


def test_suspended_in_both(suspension: Suspension) -> None:
    report = _credstack(suspension, "suspended")
    assert not report.verified
    failure = report.first_failure
    assert failure is not None
    assert (failure.name, failure.code) == (StepName.STATUS, "CREDENTIAL_SUSPENDED")
    js = suspension.js["suspended"]
    # @digitalbazaar/vc keeps `verified` true for a set bit: the status result tells
    assert js["verified"] is True
    assert js.get("status") == _js_status(True)
