"""Open Badges 2.0 hosted verification over HTTP: the assertion, its BadgeClass and issuer
Profile are served as JSON-LD, validate and link up; revoked and suspended credentials
answer 410 with the revoked form; unknown ids are 404 problems."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from credstack.exports import ob2
from tests.api.conftest import BASE, DESIGN, World


def _uuid(credential_id: str) -> str:
    return credential_id.removeprefix("urn:uuid:")


def _get(world: World, url: str, status: int = 200, **headers: str) -> dict[str, Any]:
    assert url.startswith(BASE), url
    response = world.client.get(url.removeprefix(BASE), headers=headers)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _give_uni_an_email(world: World) -> None:
    uow = world.db.unit_of_work()
    uow.organisations.update(replace(world.uni, email="badges@uni.example"))
    uow.commit()


def test_hosted_assertion_badge_and_issuer_validate_together(world: World) -> None:
    _give_uni_an_email(world)
    path = f"/ob2/assertions/{_uuid(world.credential_id)}"
    response = world.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assertion = response.json()
    assert assertion["id"] == BASE + path
    badge = _get(world, assertion["badge"])
    issuer = _get(world, badge["issuer"])
    assert badge["id"] == f"{BASE}/ob2/badges/{world.published.id}"
    assert badge["name"] == DESIGN["name"]
    assert issuer["id"] == f"{BASE}/ob2/issuers/uni"
    assert issuer["email"] == "badges@uni.example"
    check = ob2.check_hosted(assertion, badge, issuer)
    assert check.ok, check.errors
    assert assertion["recipient"]["type"] == "email"
    assert assertion["recipient"]["identity"].startswith("sha256$")
    assert "ann@example.org" not in response.text


def test_json_is_served_to_clients_that_ask_only_for_json(world: World) -> None:
    path = f"/ob2/assertions/{_uuid(world.credential_id)}"
    response = world.client.get(path, headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json")
    both = world.client.get(path, headers={"Accept": "application/ld+json, application/json"})
    assert both.headers["content-type"].startswith("application/ld+json")


def test_issuer_without_any_email_is_served_but_reported_invalid(world: World) -> None:
    issuer = _get(world, f"{BASE}/ob2/issuers/uni")
    assert "email" not in issuer
    assert issuer["url"] == f"{BASE}/"  # the server stands in for a missing homepage
    assert any("email" in e for e in ob2.validate(issuer).errors)


def test_revoked_credential_answers_410_without_the_recorded_reason(world: World) -> None:
    reason = "Plagiarism found in Ann Example's thesis"
    revoked = world.client.post(
        f"/orgs/uni/credentials/{world.credential_id}/revoke",
        headers=world.auth("issuer"),
        json={"reason": reason},
    )
    assert revoked.status_code == 200, revoked.text
    path = f"/ob2/assertions/{_uuid(world.credential_id)}"
    response = world.client.get(path)
    assert response.status_code == 410
    body = response.json()
    assert body == ob2.revoked_assertion(BASE + path)
    assert reason not in response.text
    assert ob2.validate(body).ok


def test_suspended_credential_answers_410_until_reinstated(world: World) -> None:
    auth = world.auth("issuer")
    draft = world.client.post(
        "/orgs/uni/achievements", headers=auth, json={**DESIGN, "suspendable": True}
    ).json()
    world.client.post(f"/orgs/uni/achievement-versions/{draft['id']}/publish", headers=auth)
    record = world.client.post(
        "/orgs/uni/credentials",
        headers=auth,
        json={"achievement_version_id": draft["id"], "email": "eve@example.org"},
    ).json()
    path = f"/ob2/assertions/{_uuid(record['id'])}"
    assert world.client.get(path).status_code == 200
    world.client.post(
        f"/orgs/uni/credentials/{record['id']}/suspend", headers=auth, json={"reason": "review"}
    )
    suspended = world.client.get(path)
    assert suspended.status_code == 410
    assert suspended.json()["revocationReason"] == ob2.SUSPENDED_REASON
    assert "review" not in suspended.text
    world.client.post(f"/orgs/uni/credentials/{record['id']}/reinstate", headers=auth)
    assert world.client.get(path).status_code == 200


def test_vcapi_badge_comes_from_the_credential_itself(world: World) -> None:
    _give_uni_an_email(world)
    token = world.client.post(
        "/orgs/uni/tokens", headers=world.auth("owner"), json={"scopes": ["read", "issue"]}
    ).json()["token"]
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:3e8b5f4d-0c6a-4f1b-8d74-8a5c9e1f2b43",
                "type": ["Achievement"],
                "name": "Peer Tutor",
                "description": "Tutored first-year students for a term.",
                "criteria": {"narrative": "Tutored at least ten sessions."},
            },
        },
    }
    issued = world.client.post(
        "/credentials/issue",
        headers={"Authorization": f"Bearer {token}"},
        json={"credential": credential},
    )
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assertion = _get(world, f"{BASE}/ob2/assertions/{_uuid(vc['id'])}")
    assert assertion["badge"] == f"{BASE}/ob2/assertions/{_uuid(vc['id'])}/badge"
    badge = _get(world, assertion["badge"])
    assert badge["name"] == "Peer Tutor"
    issuer = _get(world, badge["issuer"])
    assert ob2.check_hosted(assertion, badge, issuer).ok
    assert assertion["recipient"]["type"] == "url"
    assert "did:example:learner-1" not in str(assertion)


@pytest.mark.parametrize(
    "path",
    [
        "/ob2/assertions/00000000-0000-4000-8000-000000000000",
        "/ob2/assertions/not-a-uuid",
        "/ob2/assertions/00000000-0000-4000-8000-000000000000/badge",
        "/ob2/badges/00000000-0000-4000-8000-000000000000",
        "/ob2/badges/..%2F..%2Fetc",
        "/ob2/issuers/nobody",
    ],
)
def test_unknown_addresses_are_404_problems(world: World, path: str) -> None:
    response = world.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_draft_versions_have_no_badge(world: World) -> None:
    assert world.client.get(f"/ob2/badges/{world.draft.id}").status_code == 404
    published = world.client.get(f"/ob2/badges/{world.published.id}")
    assert published.status_code == 200
    assert ob2.validate(published.json()).ok
