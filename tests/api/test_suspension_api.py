"""Suspension over HTTP: POST /orgs/{slug}/credentials/{id}/suspend and /reinstate, the served
suspension list, VC-API verification of a suspended and a reinstated credential, and the
errors (bad reason 400, not suspendable or revoked 409, unknown or foreign 404)."""

from __future__ import annotations

from typing import Any

import pytest

from credstack.statuslist import decode_list, read_status
from tests.api.conftest import BASE, DESIGN, World


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert "Traceback" not in response.text
    return body


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _suspendable_credential(world: World) -> dict[str, Any]:
    """A suspendable achievement designed, published and issued from, all over the API."""
    auth = world.auth("issuer")
    draft = _ok(
        world.client.post(
            "/orgs/uni/achievements", headers=auth, json={**DESIGN, "suspendable": True}
        ),
        201,
    )
    assert draft["data"]["suspendable"] is True
    _ok(world.client.post(f"/orgs/uni/achievement-versions/{draft['id']}/publish", headers=auth))
    body = {"achievement_version_id": draft["id"], "email": "eve@example.org"}
    return _ok(world.client.post("/orgs/uni/credentials", headers=auth, json=body), 201)


def _suspension_bit(world: World, credential: dict[str, Any]) -> int:
    (entry,) = [e for e in credential["credentialStatus"] if e["statusPurpose"] == "suspension"]
    served = _ok(world.client.get(entry["statusListCredential"].removeprefix(BASE)))
    assert served["credentialSubject"]["statusPurpose"] == "suspension"
    bits = decode_list(served["credentialSubject"]["encodedList"])
    return read_status(bits, int(entry["statusListIndex"]))


def _verify(world: World, credential: dict[str, Any]) -> Any:
    return world.client.post("/credentials/verify", json={"verifiableCredential": credential})


def test_suspend_and_reinstate_over_the_api(world: World) -> None:
    record = _suspendable_credential(world)
    credential = record["verifiableCredential"]
    purposes = [e["statusPurpose"] for e in credential["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    assert record["suspendedAt"] is None
    assert _ok(_verify(world, credential))["verified"] is True
    assert _suspension_bit(world, credential) == 0

    path = f"/orgs/uni/credentials/{record['id']}"
    suspended = _ok(
        world.client.post(
            f"{path}/suspend", headers=world.auth("issuer"), json={"reason": "under review"}
        )
    )
    assert suspended["suspendedAt"] is not None
    assert suspended["suspensionReason"] == "under review"
    assert suspended["revokedAt"] is None
    shown = _ok(world.client.get(path, headers=world.auth("viewer")))
    assert (shown["suspendedAt"], shown["suspensionReason"]) == (
        suspended["suspendedAt"],
        "under review",
    )
    assert _suspension_bit(world, credential) == 1
    body = _problem(_verify(world, credential), 400, "CREDENTIAL_SUSPENDED")
    assert body["verificationReport"]["error"]["code"] == "CREDENTIAL_SUSPENDED"
    assert "suspended" in body["detail"]

    world.clock.advance(hours=1)
    reinstated = _ok(world.client.post(f"{path}/reinstate", headers=world.auth("owner")))
    assert (reinstated["suspendedAt"], reinstated["suspensionReason"]) == (None, None)
    assert _suspension_bit(world, credential) == 0
    assert _ok(_verify(world, credential))["verified"] is True


@pytest.mark.parametrize(
    "body",
    [None, {}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 5}],
)
def test_suspend_needs_a_reason_of_at_most_500_characters(
    world: World, body: dict[str, Any] | None
) -> None:
    record = _suspendable_credential(world)
    path = f"/orgs/uni/credentials/{record['id']}"
    response = world.client.post(f"{path}/suspend", headers=world.auth("issuer"), json=body)
    _problem(response, 400, "INVALID_INPUT")
    assert _ok(world.client.get(path, headers=world.auth("viewer")))["suspendedAt"] is None


def test_credential_of_a_non_suspendable_achievement_is_invalid_state(world: World) -> None:
    path = f"/orgs/uni/credentials/{world.credential_id}"
    auth = world.auth("issuer")
    body = _problem(
        world.client.post(f"{path}/suspend", headers=auth, json={"reason": "review"}),
        409,
        "INVALID_STATE",
    )
    assert "not suspendable" in body["detail"]
    _problem(world.client.post(f"{path}/reinstate", headers=auth), 409, "INVALID_STATE")


def test_revoked_credential_cannot_be_suspended_or_reinstated(world: World) -> None:
    record = _suspendable_credential(world)
    path = f"/orgs/uni/credentials/{record['id']}"
    auth = world.auth("issuer")
    _ok(world.client.post(f"{path}/revoke", headers=auth, json={"reason": "fraud"}))
    body = _problem(
        world.client.post(f"{path}/suspend", headers=auth, json={"reason": "review"}),
        409,
        "INVALID_STATE",
    )
    assert "revoked" in body["detail"]
    _problem(world.client.post(f"{path}/reinstate", headers=auth), 409, "INVALID_STATE")


def test_unknown_or_foreign_credential_reads_as_missing(world: World) -> None:
    record = _suspendable_credential(world)
    auth = world.auth("issuer")
    missing = "/orgs/uni/credentials/urn:uuid:00000000-0000-4000-8000-000000000000"
    _problem(
        world.client.post(f"{missing}/suspend", headers=auth, json={"reason": "x"}),
        404,
        "NOT_FOUND",
    )
    _problem(world.client.post(f"{missing}/reinstate", headers=auth), 404, "NOT_FOUND")
    foreign = f"/orgs/other/credentials/{record['id']}"
    other = world.auth("other-owner")
    _problem(
        world.client.post(f"{foreign}/suspend", headers=other, json={"reason": "x"}),
        404,
        "NOT_FOUND",
    )
    got = _ok(world.client.get(f"/orgs/uni/credentials/{record['id']}", headers=auth))
    assert got["suspendedAt"] is None
