"""The skills endpoints: frameworks and attribution, matching, gap analysis with verified
credentials, learning paths (inline and platform catalogs), pathway progress, and alignment
suggestions for issuers (role checked)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credstack.api import routes_skills
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.skills.matching import SkillMatcher
from credstack.skills.service import SkillsService
from tests.api.conftest import BASE, DESIGN, T0, World
from tests.skills.conftest import esco, matcher, skills_cache_dir  # noqa: F401

PERFORM_DATA_ANALYSIS = "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture
def client(world: World, matcher: SkillMatcher) -> TestClient:  # noqa: F811
    routes_skills.configure(world.client.app, SkillsService(matcher=matcher))  # type: ignore[arg-type]
    return world.client


@pytest.fixture
def aligned(world: World) -> tuple[str, dict[str, Any]]:
    """A published achievement of "uni" aligned to ESCO "perform data analysis" (75 hours),
    and a credential of it."""
    uow = world.db.unit_of_work()
    design = {
        **DESIGN,
        "name": "Data analysis",
        "workload_hours": 75,
        "skills": [{"url": PERFORM_DATA_ANALYSIS, "name": "perform data analysis"}],
    }
    draft = create_achievement(uow, world.uni, design, base_url=BASE, at=T0)
    version = publish(uow, world.uni, draft.id, at=T0)
    issued = Issuer(uow, world.custody, world.uni, BASE).issue(
        version, IssueRequest(did="did:example:learner"), at=T0
    )
    uow.commit()
    document: dict[str, Any] = json.loads(issued.credential_json)
    return version.achievement_id, document


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_frameworks_show_counts_and_attribution(client: TestClient) -> None:
    body = client.get("/skills/frameworks").json()
    assert body["frameworks"][0]["skills"] == 13939
    assert body["frameworks"][0]["occupations"] == 3039
    notices = " ".join(a["notice"] for a in body["attribution"])
    assert "ESCO classification of the European Commission" in notices
    assert "O*NET 29.2 Database" in notices
    assert "ESCO classification" in client.get("/openapi.json").json()["info"]["description"]


def test_match_finds_python_with_evidence(client: TestClient) -> None:
    text = "An introductory course in Python programming: functions, modules and testing."
    body = client.post("/skills/match", json={"text": text, "top": 5}).json()
    found = {m["uri"]: m for m in body["matches"]}
    assert PYTHON in found
    assert any("Python" in phrase for phrase in found[PYTHON]["evidence"])
    assert all(0 <= m["score"] <= 1 for m in body["matches"])


def test_match_refuses_empty_and_oversized_text(client: TestClient) -> None:
    _problem(client.post("/skills/match", json={"text": "   "}), 400)
    big = _problem(client.post("/skills/match", json={"text": "data " * 30_000}), 400)
    assert "100000" in big["detail"]


def test_gap_counts_only_verified_credentials(
    client: TestClient, aligned: tuple[str, dict[str, Any]]
) -> None:
    good = aligned[1]
    forged = json.loads(json.dumps(good))
    forged["credentialSubject"]["achievement"]["name"] = "Something else"
    framework = client.app.state.skills.framework  # type: ignore[attr-defined]
    target = next(
        o
        for o in framework.occupations_needing(PERFORM_DATA_ANALYSIS)
        if PERFORM_DATA_ANALYSIS in framework.occupation(o).essential
    )
    body = client.post(
        "/skills/gap", json={"occupation": target, "credentials": [good, forged]}
    ).json()
    assert [v["uri"] for v in body["profile"]["verified"]] == [PERFORM_DATA_ANALYSIS]
    assert len(body["profile"]["rejected"]) == 1
    covered = {i["uri"] for i in body["gap"]["covered"]}
    assert covered == {PERFORM_DATA_ANALYSIS}
    assert body["gap"]["missing"]


def test_gap_against_posting_and_unknown_occupation(client: TestClient) -> None:
    posting = "We are hiring a developer with strong Python programming skills."
    body = client.post("/skills/gap", json={"posting": posting}).json()
    missing = {i["uri"]: i for i in body["gap"]["missing"] + body["gap"]["partial"]}
    assert PYTHON in missing
    assert missing[PYTHON]["evidence"]
    unknown = "http://data.europa.eu/esco/occupation/00000000-0000-0000-0000-000000000000"
    problem = _problem(client.post("/skills/gap", json={"occupation": unknown}), 404)
    assert "no occupation" in problem["detail"]
    _problem(client.post("/skills/gap", json={}), 400)


def test_plan_with_inline_catalog_and_platform_catalog(
    client: TestClient, aligned: tuple[str, dict[str, Any]]
) -> None:
    catalog = [
        {"id": "a", "name": "Py 1", "skills": [PYTHON], "hours": 10, "price": 100,
         "issuer": "X", "currency": "EUR"},
        {"id": "b", "name": "Py 2", "skills": [PYTHON, PERFORM_DATA_ANALYSIS], "hours": 30,
         "price": 50, "issuer": "Y", "currency": "EUR", "prerequisites": ["a"]},
        {"id": "c", "name": "Data", "skills": [PERFORM_DATA_ANALYSIS], "hours": 25,
         "price": 500, "issuer": "Z", "currency": "EUR"},
    ]  # fmt: skip
    need = [PYTHON, PERFORM_DATA_ANALYSIS]
    by_hours = client.post("/skills/plan", json={"need": need, "catalog": catalog}).json()
    assert (by_hours["plan"], by_hours["total_hours"], by_hours["optimal"]) == (
        ["a", "c"],
        35,
        True,
    )
    by_price = client.post(
        "/skills/plan", json={"need": need, "catalog": catalog, "minimize": "price"}
    ).json()
    assert (by_price["plan"], by_price["total_price"]) == (["a", "b"], 150)
    # the platform's own published achievements
    platform = client.post("/skills/plan", json={"need": [PERFORM_DATA_ANALYSIS]}).json()
    assert platform["plan"] == [aligned[0]]
    assert platform["total_hours"] == 75
    assert platform["uncovered"] == []
    # a learner who shows a verified credential for it needs nothing
    held = client.post(
        "/skills/plan", json={"need": [PERFORM_DATA_ANALYSIS], "credentials": [aligned[1]]}
    ).json()
    assert held["plan"] == []
    _problem(client.post("/skills/plan", json={"need": ["http://nope"], "catalog": []}), 404)


def test_pathway_progress_over_verified_credentials(
    client: TestClient, aligned: tuple[str, dict[str, Any]]
) -> None:
    rules = {
        "version": 1,
        "id": "urn:example:pathway",
        "name": "Data track",
        "rule": {"allOf": [{"achievement": aligned[0]}]},
    }
    done = client.post(
        "/pathways/progress", json={"rules": rules, "credentials": [aligned[1]]}
    ).json()
    assert done["satisfied"] is True
    empty = client.post("/pathways/progress", json={"rules": rules, "credentials": []}).json()
    assert empty["satisfied"] is False
    bad = {**rules, "rule": {"atLeast": 3, "of": [{"achievement": "x"}]}}
    problem = _problem(
        client.post("/pathways/progress", json={"rules": bad, "credentials": []}), 400
    )
    assert "cannot be satisfied" in problem["detail"]


def test_suggest_alignments_for_issuers_only(client: TestClient, world: World) -> None:
    body = {"text": "Learners write Python programs to analyse data sets."}
    found = client.post("/orgs/uni/skills/suggest", json=body, headers=world.auth("issuer"))
    assert found.status_code == 200, found.text
    suggestions = found.json()["suggestions"]
    assert PYTHON in [s["skill"]["url"] for s in suggestions]
    first = suggestions[0]["skill"]
    assert first["framework"] == "ESCO v1.2"
    assert (
        client.post("/orgs/uni/skills/suggest", json=body, headers=world.auth("viewer")).status_code
        == 403
    )
    assert client.post("/orgs/uni/skills/suggest", json=body).status_code == 401
    assert (
        client.post(
            "/orgs/uni/skills/suggest", json=body, headers=world.auth("other-owner")
        ).status_code
        == 403
    )


def test_complete_pathway_awards_qualification_and_signed_clr(
    client: TestClient, world: World, aligned: tuple[str, dict[str, Any]]
) -> None:
    from credstack.platform.keys import did_document
    from credstack.resolve.resolver import CompositeResolver
    from credstack.skills.clr import verify_clr
    from credstack.verify.verifier import Verifier, VerifyOptions

    uow = world.db.unit_of_work()
    certificate = publish(
        uow,
        world.uni,
        create_achievement(
            uow, world.uni, {**DESIGN, "name": "Certificate"}, base_url=BASE, at=T0
        ).id,
        at=T0,
    )
    uow.commit()
    rules = {
        "version": 1,
        "id": "urn:example:data-certificate",
        "name": "Data certificate",
        "issues": {"achievement": certificate.achievement_id},
        "rule": {"allOf": [{"achievement": aligned[0]}]},
    }
    body = {
        "rules": rules,
        "credentials": [aligned[1]],
        "recipient": {"did": "did:example:learner"},
        "idempotency_key": "cert-1",
    }
    assert (
        client.post(
            "/orgs/uni/pathways/complete", json=body, headers=world.auth("viewer")
        ).status_code
        == 403
    )
    done = client.post("/orgs/uni/pathways/complete", json=body, headers=world.auth("issuer"))
    assert done.status_code == 201, done.text
    answer = done.json()
    qualification = answer["qualification"]
    assert qualification["credentialSubject"]["id"] == "did:example:learner"
    assert qualification["credentialSubject"]["achievement"]["id"] == certificate.achievement_id
    clr = answer["clr"]
    assert "ClrCredential" in clr["type"]
    keys = world.db.unit_of_work().keys.for_organisation(world.uni.id)
    verifier = Verifier(CompositeResolver(documents=[did_document(world.uni, keys)]))
    result = verify_clr(clr, verifier, VerifyOptions(at=world.clock()))
    assert result.verified, result.report.render()
    again = client.post("/orgs/uni/pathways/complete", json=body, headers=world.auth("issuer"))
    assert again.json()["qualification"]["id"] == qualification["id"]  # idempotent
    # credentials of someone else do not count: nothing is awarded
    other = {**body, "recipient": {"did": "did:example:someone-else"}, "idempotency_key": "x"}
    refused = _problem(
        client.post("/orgs/uni/pathways/complete", json=other, headers=world.auth("issuer")), 409
    )
    assert "not complete" in refused["detail"]


def test_plan_to_complete_a_pathway_counts_verified_credentials(
    client: TestClient, aligned: tuple[str, dict[str, Any]]
) -> None:
    catalog = [
        {"id": aligned[0], "name": "Data analysis", "skills": [PERFORM_DATA_ANALYSIS],
         "hours": 75, "price": 0, "issuer": "uni"},
        {"id": "e1", "name": "Elective 1", "skills": [], "hours": 20, "price": 0, "issuer": "X"},
        {"id": "e2", "name": "Elective 2", "skills": [], "hours": 10, "price": 0, "issuer": "X"},
        {"id": "e3", "name": "Elective 3", "skills": [], "hours": 30, "price": 0, "issuer": "X"},
    ]  # fmt: skip
    pathway = {
        "version": 1,
        "id": "urn:example:track",
        "name": "Track",
        "rule": {
            "allOf": [
                {"achievement": aligned[0]},
                {"atLeast": 2, "of": [{"achievement": e} for e in ("e1", "e2", "e3")]},
            ]
        },
    }
    fresh = client.post("/skills/plan", json={"catalog": catalog, "pathway": pathway}).json()
    assert sorted(fresh["plan"]) == sorted([aligned[0], "e1", "e2"])
    assert fresh["pathway"]["satisfied"] is True
    held = client.post(
        "/skills/plan",
        json={"catalog": catalog, "pathway": pathway, "credentials": [aligned[1]]},
    ).json()
    assert sorted(held["plan"]) == ["e1", "e2"]  # the verified credential counts as earned
    assert held["total_hours"] == 30
    _problem(client.post("/skills/plan", json={"catalog": catalog}), 400)
