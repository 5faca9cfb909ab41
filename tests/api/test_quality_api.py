"""GET /orgs/{slug}/achievements/{uuid}/quality and /orgs/{slug}/credentials/{id}/quality:
the EU standard-element report (docs/quality.md) for members of the organisation."""

from __future__ import annotations

from typing import Any

import pytest

from credstack.platform.achievements import create_achievement, publish, revise
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.organisations import update_profile
from tests.api.conftest import BASE, DESIGN, World
from tests.unit.test_achievement_design import full_design_data

PROBLEM_JSON = "application/problem+json"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _uuid(world: World) -> str:
    return world.published.achievement_id.rsplit("/", 1)[1]


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {e["id"]: e["status"] for e in body["elements"]}


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("viewer", 200), ("issuer", 200), ("owner", 200), ("other-owner", 403)],
)
def test_roles_on_both_reports(world: World, role: str, status: int) -> None:
    for path in (
        f"/orgs/uni/achievements/{_uuid(world)}/quality",
        f"/orgs/uni/credentials/{world.credential_id}/quality",
    ):
        response = world.client.get(path, headers=world.auth(role))
        assert response.status_code == status, (path, response.text)
        if status >= 400:
            assert response.headers["content-type"] == PROBLEM_JSON


def test_achievement_report_of_a_thin_design(world: World) -> None:
    response = world.client.get(
        f"/orgs/uni/achievements/{_uuid(world)}/quality", headers=world.auth("viewer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["achievement"], body["version"], body["status"]) == (
        world.published.achievement_id,
        1,
        "published",
    )
    statuses = _statuses(body)
    # DESIGN: name, ects 3, a criteria narrative; the organisation has no country
    assert statuses["title"] == statuses["workload"] == "present"
    assert statuses["learner"] == statuses["date-of-issuing"] == "at-issuance"
    assert statuses["awarding-body"] == "present"
    assert statuses["country"] == "missing"
    assert statuses["learning-outcomes"] == statuses["quality-assurance"] == "missing"
    assert body["mandatory"]["met"] == 5
    assert body["score"] == round(5 / 11, 4)
    assert body["complete"] is False
    assert len(body["elements"]) == 16
    workload = next(e for e in body["elements"] if e["id"] == "workload")
    assert workload["value"] == "3 ECTS"
    assert workload["paths"] == ["creditsAvailable", "otherIdentifier[0]"]


def test_full_design_scores_eleven_of_eleven_and_picks_versions(world: World) -> None:
    uow = world.db.unit_of_work()
    org = update_profile(uow, world.uni.id, country="AT")
    draft = create_achievement(uow, org, full_design_data(), base_url=BASE, at=world.clock())
    published = publish(uow, org, draft.id, at=world.clock())
    revise(uow, org, published.achievement_id, DESIGN, at=world.clock())  # version 2: thin
    uow.commit()
    uuid = published.achievement_id.rsplit("/", 1)[1]
    path = f"/orgs/uni/achievements/{uuid}/quality"

    latest = world.client.get(path, headers=world.auth("viewer")).json()
    assert (latest["version"], latest["status"]) == (2, "draft")
    assert latest["complete"] is False

    first = world.client.get(f"{path}?version=1", headers=world.auth("viewer")).json()
    assert first["version"] == 1
    assert first["mandatory"]["met"] == first["mandatory"]["total"] == 11
    assert first["optional"]["met"] == 5
    assert first["complete"] is True
    assert first["summary"] == "11 of 11 mandatory EU elements, 5 of 5 optional ones"

    _problem(world.client.get(f"{path}?version=3", headers=world.auth("viewer")), 404, "NOT_FOUND")
    bad = world.client.get(f"{path}?version=0", headers=world.auth("viewer"))
    _problem(bad, 400, "INVALID_INPUT")


def test_credential_report_from_a_full_design(world: World) -> None:
    uow = world.db.unit_of_work()
    org = update_profile(uow, world.uni.id, country="AT")
    draft = create_achievement(uow, org, full_design_data(), base_url=BASE, at=world.clock())
    version = publish(uow, org, draft.id, at=world.clock())
    issued = Issuer(uow, world.custody, org, BASE).issue(
        version, IssueRequest(did="did:example:learner-4711"), at=world.clock()
    )
    uow.commit()
    response = world.client.get(
        f"/orgs/uni/credentials/{issued.id}/quality", headers=world.auth("issuer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential"] == issued.id
    assert body["subject"] == "credential"
    assert body["mandatory"]["present"] == 11
    learner = next(e for e in body["elements"] if e["id"] == "learner")
    assert (learner["value"], learner["paths"]) == (
        "did:example:learner-4711",
        ["credentialSubject.id"],
    )
    statuses = _statuses(body)
    assert statuses["grade"] == "missing"  # the design has a scale; this credential no grade
    assert all(statuses[e] == "present" for e in ("prerequisites", "supervision", "stackability"))


def test_unknown_and_foreign_resources_are_not_found(world: World) -> None:
    other_uuid = world.other_version.achievement_id.rsplit("/", 1)[1]
    paths = [
        "/orgs/uni/achievements/00000000-0000-4000-8000-000000000000/quality",
        f"/orgs/uni/achievements/{other_uuid}/quality",
        "/orgs/uni/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/quality",
        f"/orgs/other/credentials/{world.credential_id}/quality",
        "/orgs/nowhere/credentials/x/quality",
    ]
    for path in paths:
        who = "other-owner" if path.startswith("/orgs/other/") else "owner"
        _problem(world.client.get(path, headers=world.auth(who)), 404, "NOT_FOUND")


def _org_auth(world: World) -> dict[str, str]:
    response = world.client.post(
        "/orgs/uni/tokens", headers=world.auth("owner"), json={"scopes": ["read", "issue"]}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_vcapi_credential_degrades_to_missing_elements(world: World) -> None:
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT],
            "type": ["VerifiableCredential"],
            "credentialSubject": {
                "id": "did:example:alice",
                "type": ["AchievementSubject"],
                "achievement": "https://elsewhere.example/achievements/1",  # by reference
            },
        }
    }
    issued = world.client.post("/credentials/issue", headers=_org_auth(world), json=body)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["verifiableCredential"]["id"]
    response = world.client.get(
        f"/orgs/uni/credentials/{credential_id}/quality", headers=world.auth("viewer")
    )
    assert response.status_code == 200, response.text
    report = response.json()
    statuses = _statuses(report)
    assert statuses["learner"] == statuses["date-of-issuing"] == "present"
    assert statuses["awarding-body"] == "malformed"  # the issuer is only a DID, without a name
    assert statuses["title"] == statuses["workload"] == "malformed"
    assert report["mandatory"]["met"] == 2
    # the placeholder achievement that holds VC-API credentials has no report of its own
    _problem(
        world.client.get("/orgs/uni/achievements/vc-api/quality", headers=world.auth("viewer")),
        404,
        "NOT_FOUND",
    )
