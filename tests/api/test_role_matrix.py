"""Every management endpoint against every kind of caller: the exact outcome of each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from credstack.api import routes_skills
from credstack.skills.matching import SkillMatcher
from credstack.skills.service import SkillsService
from tests.api.conftest import BASE, DESIGN, World, csv_upload
from tests.skills.conftest import esco, matcher, skills_cache_dir  # noqa: F401

Call = Callable[[World], tuple[str, str, dict[str, Any]]]

ROLES = ("anonymous", "viewer", "issuer", "owner", "other-owner")
# what each role may do in "uni" (the organisation in every path below)
ALLOWED = {
    "read": {"viewer", "issuer", "owner"},
    "issue": {"issuer", "owner"},
    "manage": {"owner"},
}


def _org_token(w: World) -> str:
    """A fresh token of the issuer, bound to "uni"."""
    from datetime import timedelta

    from credstack.platform.accounts import create_token

    uow = w.db.unit_of_work()
    org = uow.organisations.get_by_slug("uni")
    user = uow.users.get_by_email("issuer@example.org")
    assert org is not None
    assert user is not None
    token, _ = create_token(uow, user, at=w.clock(), lifetime=timedelta(days=1), organisation=org)
    uow.commit()
    return token.id


def _uuid(w: World) -> str:
    return w.published.achievement_id.rsplit("/", 1)[1]


def _suspendable_credential(w: World) -> str:
    """A fresh credential of "uni" from a suspendable achievement."""
    from credstack.platform.achievements import create_achievement, publish
    from credstack.platform.issuance import Issuer, IssueRequest

    uow = w.db.unit_of_work()
    design = {**DESIGN, "name": "Suspendable badge", "suspendable": True}
    draft = create_achievement(uow, w.uni, design, base_url=BASE, at=w.clock())
    version = publish(uow, w.uni, draft.id, at=w.clock())
    issuer = Issuer(uow, w.custody, w.uni, BASE)
    issued = issuer.issue(version, IssueRequest(did="did:example:sam"), at=w.clock())
    uow.commit()
    return issued.id


# name -> (needed action, success status, request)
ENDPOINTS: dict[str, tuple[str, int, Call]] = {
    "list achievements": ("read", 200, lambda w: ("GET", "/orgs/uni/achievements", {})),
    "get achievement": ("read", 200, lambda w: ("GET", f"/orgs/uni/achievements/{_uuid(w)}", {})),
    "create achievement": (
        "issue",
        201,
        lambda w: ("POST", "/orgs/uni/achievements", {"json": DESIGN}),
    ),
    "revise achievement": (
        "issue",
        201,
        lambda w: ("POST", f"/orgs/uni/achievements/{_uuid(w)}/versions", {"json": DESIGN}),
    ),
    "get version": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/achievement-versions/{w.published.id}", {}),
    ),
    "render version": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/achievement-versions/{w.published.id}/achievement", {}),
    ),
    "publish version": (
        "issue",
        200,
        lambda w: ("POST", f"/orgs/uni/achievement-versions/{w.draft.id}/publish", {}),
    ),
    "retire version": (
        "issue",
        200,
        lambda w: ("POST", f"/orgs/uni/achievement-versions/{w.published.id}/retire", {}),
    ),
    "issue credential": (
        "issue",
        201,
        lambda w: (
            "POST",
            "/orgs/uni/credentials",
            {"json": {"achievement_version_id": w.published.id, "email": "x@example.org"}},
        ),
    ),
    "list credentials": ("read", 200, lambda w: ("GET", "/orgs/uni/credentials", {})),
    "get credential": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/credentials/{w.credential_id}", {}),
    ),
    "revoke credential": (
        "issue",
        200,
        lambda w: (
            "POST",
            f"/orgs/uni/credentials/{w.credential_id}/revoke",
            {"json": {"reason": "error"}},
        ),
    ),
    "suspend credential": (
        "issue",
        200,
        lambda w: (
            "POST",
            f"/orgs/uni/credentials/{_suspendable_credential(w)}/suspend",
            {"json": {"reason": "under review"}},
        ),
    ),
    "reinstate credential": (
        "issue",
        200,
        lambda w: ("POST", f"/orgs/uni/credentials/{_suspendable_credential(w)}/reinstate", {}),
    ),
    "dry-run job": (
        "issue",
        200,
        lambda w: (
            "POST",
            f"/orgs/uni/jobs?version={w.published.id}&dry_run=true",
            {"content": csv_upload("d-1,d@example.org,,,,,,,")},
        ),
    ),
    "create job": (
        "issue",
        201,
        lambda w: (
            "POST",
            f"/orgs/uni/jobs?version={w.published.id}",
            {"content": csv_upload("n-1,n@example.org,,,,,,,")},
        ),
    ),
    "get job": ("read", 200, lambda w: ("GET", f"/orgs/uni/jobs/{w.job_id}", {})),
    "job rows": ("read", 200, lambda w: ("GET", f"/orgs/uni/jobs/{w.job_id}/rows", {})),
    "list keys": ("read", 200, lambda w: ("GET", "/orgs/uni/keys", {})),
    "rotate key": ("manage", 200, lambda w: ("POST", "/orgs/uni/keys/rotate", {})),
    "create org token": (
        "manage",
        201,
        lambda w: ("POST", "/orgs/uni/tokens", {"json": {"scopes": ["read"]}}),
    ),
    "add member": (
        "manage",
        201,
        lambda w: (
            "POST",
            "/orgs/uni/members",
            {"json": {"email": "other-owner@example.org", "role": "viewer"}},
        ),
    ),
    "list jobs": ("read", 200, lambda w: ("GET", "/orgs/uni/jobs", {})),
    "list members": ("manage", 200, lambda w: ("GET", "/orgs/uni/members", {})),
    "list org tokens": ("manage", 200, lambda w: ("GET", "/orgs/uni/tokens", {})),
    "revoke org token": (
        "manage",
        200,
        lambda w: ("DELETE", f"/orgs/uni/tokens/{_org_token(w)}", {}),
    ),
    "suggest skills": (
        "issue",
        200,
        lambda w: ("POST", "/orgs/uni/skills/suggest", {"json": {"text": "Python programming"}}),
    ),
    # authorised callers get past the role check to the rule check: nothing earned yet (409)
    "complete pathway": (
        "issue",
        409,
        lambda w: (
            "POST",
            "/orgs/uni/pathways/complete",
            {
                "json": {
                    "rules": {
                        "version": 1,
                        "id": "urn:example:p",
                        "name": "P",
                        "issues": {"achievement": w.published.achievement_id},
                        "rule": {"allOf": [{"achievement": "urn:example:component"}]},
                    },
                    "credentials": [],
                    "recipient": {"did": "did:example:alice"},
                }
            },
        ),
    ),
    "achievement quality": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/achievements/{_uuid(w)}/quality", {}),
    ),
    "credential quality": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/credentials/{w.credential_id}/quality", {}),
    ),
    "relevance": ("read", 200, lambda w: ("GET", "/orgs/uni/relevance", {})),
    "achievement relevance": (
        "read",
        200,
        lambda w: ("GET", f"/orgs/uni/achievements/{_uuid(w)}/relevance", {}),
    ),
    "import postings (dry run)": (
        "issue",
        200,
        lambda w: (
            "POST",
            "/orgs/uni/postings?dry_run=true&kind=jsonl",
            {
                "content": b'{"id": "p-1", "title": "Data analyst", "text": "Python and SQL.",'
                b' "date": "2026-02-01", "location": "Utrecht"}\n'
            },
        ),
    ),
    "VC-API issue as uni": (
        "issue",
        201,
        lambda w: (
            "POST",
            "/issuers/uni/credentials/issue",
            {
                "json": {
                    "credential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"],
                        "credentialSubject": {"id": "did:example:alice"},
                    }
                }
            },
        ),
    ),
}


@pytest.fixture(autouse=True)
def _skills(world: World, matcher: SkillMatcher) -> None:  # noqa: F811
    routes_skills.configure(world.client.app, SkillsService(matcher=matcher))  # type: ignore[arg-type]


def expected_status(action: str, success: int, role: str) -> int:
    if role == "anonymous":
        return 401
    return success if role in ALLOWED[action] else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_role_matrix_gives_exact_outcome(world: World, endpoint: str, role: str) -> None:
    action, success, call = ENDPOINTS[endpoint]
    method, url, kwargs = call(world)
    response = world.client.request(method, url, headers=world.auth(role), **kwargs)
    want = expected_status(action, success, role)
    assert response.status_code == want, response.text
    if want >= 400:
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert body["status"] == want
        codes = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 409: "INVALID_STATE"}
        assert body["code"] == codes[want]
        if want == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/other/credentials/{credential}",
        "/orgs/other/achievement-versions/{version}",
        "/orgs/other/jobs/{job}",
    ],
)
def test_resource_of_another_org_reads_as_not_found(world: World, path: str) -> None:
    # other-owner names its own organisation but an id of "uni": 404, existence not told
    url = path.format(credential=world.credential_id, version=world.published.id, job=world.job_id)
    response = world.client.get(url, headers=world.auth("other-owner"))
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_revoke_credential_of_another_org_refused(world: World) -> None:
    response = world.client.post(
        f"/orgs/other/credentials/{world.credential_id}/revoke", headers=world.auth("other-owner")
    )
    assert response.status_code == 404
    got = world.client.get(
        f"/orgs/uni/credentials/{world.credential_id}", headers=world.auth("owner")
    )
    assert got.json()["revokedAt"] is None


def test_issue_from_version_of_another_org_refused(world: World) -> None:
    response = world.client.post(
        "/orgs/other/credentials",
        headers=world.auth("other-owner"),
        json={"achievement_version_id": world.published.id, "email": "x@example.org"},
    )
    assert response.status_code == 404
