"""Relevance over HTTP: uploads by role, incremental imports, bad files, figures by role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from credstack.api import routes_skills
from credstack.skills.service import SkillsService
from tests.api.conftest import World
from tests.platform.test_relevance import declining_file
from tests.relevance.fakes import FakeMatcher

JSONL = {"Content-Type": "application/jsonl"}


@pytest.fixture
def matcher(world: World) -> FakeMatcher:
    fake = FakeMatcher()
    fake.framework = None  # type: ignore[attr-defined]  # what SkillsService reads from it
    routes_skills.configure(world.client.app, SkillsService(matcher=fake))  # type: ignore[arg-type]
    return fake


def upload(world: World, role: str, data: bytes, **params: Any) -> Any:
    return world.client.post(
        "/orgs/uni/postings", content=data, headers={**world.auth(role), **JSONL}, params=params
    )


def mainframe(world: World) -> str:
    design = {
        "name": "Mainframe maintenance <b>",
        "description": "COBOL on mainframes.",
        "criteria_narrative": "Pass.",
        "skills": [
            {"url": "urn:skill:cobol", "name": "COBOL"},
            {"url": "urn:skill:sql", "name": "SQL"},
        ],
    }
    r = world.client.post("/orgs/uni/achievements", json=design, headers=world.auth("issuer"))
    assert r.status_code == 201, r.text
    return str(r.json()["achievementId"]).rsplit("/", 1)[-1]


def test_issuer_imports_once_and_a_second_upload_maps_nothing(
    world: World, matcher: FakeMatcher
) -> None:
    data = declining_file(world.clock.now)
    r = upload(world, "issuer", data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["new"], body["skipped"], body["invalid"]) == (128, 0, 0)
    assert body["unmappedLanguage"] == 1
    assert body["pool"]["postings"] == 128
    calls = len(matcher.calls)
    again = upload(world, "owner", data).json()
    assert (again["new"], again["skipped"]) == (0, 128)
    assert len(matcher.calls) == calls
    # the pool is the deployment's: another organisation's owner sees the same postings
    r = world.client.post(
        "/orgs/other/postings", content=data, headers={**world.auth("other-owner"), **JSONL}
    )
    assert r.json()["skipped"] == 128


def test_dry_run_reports_and_stores_nothing(world: World, matcher: FakeMatcher) -> None:
    body = upload(world, "issuer", declining_file(world.clock.now), dry_run="true").json()
    assert body["dryRun"] is True
    assert body["new"] == 128
    assert body["pool"]["postings"] == 0
    assert matcher.calls == []


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("viewer", 403), ("other-owner", 403)]
)
def test_upload_needs_the_issue_role_here(
    world: World, matcher: FakeMatcher, role: str, status: int
) -> None:
    r = upload(world, role, declining_file(world.clock.now))
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert matcher.calls == []


def test_bad_records_are_listed_by_line(world: World, matcher: FakeMatcher) -> None:
    huge = "COBOL " * 180_000  # 1 MB of text
    lines = [
        {"title": "ok", "text": "SQL", "date": "2026-02-01", "location": "Porto"},
        {"title": "no location", "text": "SQL", "date": "2026-02-01"},
        {"title": "bad date", "text": "SQL", "date": "01.10.2026", "location": "Porto"},
        {"title": "huge", "text": huge, "date": "2026-02-01", "location": "Porto"},
    ]
    data = "\n".join(json.dumps(x) for x in lines).encode()
    assert len(data) > 1_048_576  # over the API's usual 1 MB body limit: postings may be bigger
    body = upload(world, "issuer", data).json()
    assert body["new"] == 1
    errors = {e["line"]: e["message"] for e in body["errors"]}
    assert errors[2] == "location is missing"
    assert "not an ISO 8601 date" in errors[3]
    assert "refused, not truncated" in errors[4]


def test_unusable_uploads_are_problems(world: World, matcher: FakeMatcher) -> None:
    r = upload(world, "issuer", b"\xff\xfe\x00bad")
    assert r.status_code == 400
    assert "not UTF-8" in r.json()["detail"]
    r = world.client.post(
        "/orgs/uni/postings",
        content=b"title;text\n",
        headers={**world.auth("issuer"), "Content-Type": "text/csv"},
        params={"kind": "csv"},
    )
    assert r.status_code == 400
    assert "CSV header must name" in r.json()["detail"]
    too_big = b"{" + b" " * (20 * 1_048_576) + b"}"
    r = upload(world, "issuer", too_big)
    assert r.status_code == 413
    assert r.json()["code"] == "INPUT_TOO_LARGE"
    many = "\n".join(
        json.dumps({"title": "t", "text": f"SQL {n}", "date": "2026-02-01", "location": "x"})
        for n in range(2001)
    ).encode()
    r = upload(world, "issuer", many)
    assert r.status_code == 400
    assert "more than 2,000" in r.json()["detail"]
    assert upload(world, "issuer", b"", dry_run="true").status_code == 400
    assert (
        world.client.get("/orgs/uni/relevance", headers=world.auth("viewer")).json()["pool"][
            "postings"
        ]
        == 0
    )


def test_figures_per_achievement_by_role(world: World, matcher: FakeMatcher) -> None:
    upload(world, "issuer", declining_file(world.clock.now))
    uuid = mainframe(world)
    r = world.client.get(f"/orgs/uni/achievements/{uuid}/relevance", headers=world.auth("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["achievement"]["name"] == "Mainframe maintenance <b>"
    assert body["currentPostings"] == 18
    assert body["flags"]["declining"] is True
    assert body["flags"]["decliningSkills"] == [{"url": "urn:skill:cobol", "name": "COBOL"}]
    assert body["flags"]["pairedSkills"][0]["skill"]["name"] == "use Docker"
    assert body["monthly"][-1] == 5
    assert body["pool"]["mapped"] == 126
    wider = world.client.get(
        f"/orgs/uni/achievements/{uuid}/relevance",
        headers=world.auth("viewer"),
        params={"window_days": 365, "months": 24},
    ).json()
    assert wider["window"]["days"] == 365
    assert len(wider["monthly"]) == 24
    assert wider["currentPostings"] > body["currentPostings"]
    every = world.client.get("/orgs/uni/relevance", headers=world.auth("viewer")).json()
    names = [a["achievement"]["name"] for a in every["achievements"]]
    assert "Mainframe maintenance <b>" in names
    assert "Draft badge" in names


def test_figures_access_rules(world: World, matcher: FakeMatcher) -> None:
    uuid = mainframe(world)
    path = f"/orgs/uni/achievements/{uuid}/relevance"
    assert world.client.get(path).status_code == 401
    assert world.client.get(path, headers=world.auth("other-owner")).status_code == 403
    other_uuid = world.other_version.achievement_id.rsplit("/", 1)[-1]
    r = world.client.get(
        f"/orgs/uni/achievements/{other_uuid}/relevance", headers=world.auth("owner")
    )
    assert r.status_code == 404  # another organisation's achievement is as if missing
    r = world.client.get("/orgs/uni/achievements/nope/relevance", headers=world.auth("owner"))
    assert r.status_code == 404
    r = world.client.get(path, headers=world.auth("owner"), params={"window_days": 0})
    assert r.status_code == 400
    r = world.client.get("/orgs/nope/relevance", headers=world.auth("owner"))
    assert r.status_code == 404
