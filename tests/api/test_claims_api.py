"""Claim links and endorsements over HTTP, with mail delivered to a real local SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from credstack.api import create_app
from credstack.crypto.keys import KeyPair
from tests.api.conftest import BASE, FAST_HASHER, World
from tests.platform.test_claims_endorsements import SmtpSink, body_text

LINK = re.compile(re.escape(BASE) + r"/claim/([A-Za-z0-9_-]+)")
PROBLEM = "application/problem+json"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def mail_client(world: World, smtp: SmtpSink) -> Iterator[TestClient]:
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        run_jobs_inline=True,
        password_hasher=FAST_HASHER,
        mailer=smtp.mailer(),
    )
    with TestClient(app, base_url=BASE) as client:
        yield client


def _issue(world: World, client: TestClient, smtp: SmtpSink, address: str) -> tuple[str, str]:
    """Issue to ``address`` through the API; the credential id and the mailed claim token."""
    response = client.post(
        "/orgs/uni/credentials",
        json={"achievement_version_id": world.published.id, "email": address},
        headers=world.auth("issuer"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], _token_for(smtp, address)


def _token_for(smtp: SmtpSink, address: str) -> str:
    for message in reversed(smtp.messages):
        if message["To"] == address:
            found = LINK.search(body_text(message))
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no mail to {address}")


def test_issue_by_api_delivers_claim_mail_after_commit(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    _issue(world, mail_client, smtp, "cleo@example.org")
    recipients = sorted(str(m["To"]) for m in smtp.messages)
    # the fixture's earlier issues were queued too and go out with the first delivery
    assert recipients == ["ann@example.org", "bo@example.org", "cleo@example.org"]
    page = mail_client.get(f"/claim/{_token_for(smtp, 'cleo@example.org')}")
    assert page.status_code == 200
    assert "Data Analysis with Python" in page.text
    assert "Example University" in page.text
    assert '<form method="post"' in page.text


def test_failed_request_sends_no_mail(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    response = mail_client.post(
        "/orgs/uni/credentials",
        json={"achievement_version_id": world.published.id, "email": "not-an-address"},
        headers=world.auth("issuer"),
    )
    assert response.status_code == 400
    assert smtp.messages == []


def test_claim_post_with_did_returns_both_then_gone(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    credential_id, token = _issue(world, mail_client, smtp, "dan@example.org")
    did = KeyPair.generate().did_key
    response = mail_client.post(f"/claim/{token}", json={"did": did})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["original"]["id"] == credential_id
    assert body["claimed"]["credentialSubject"]["id"] == did
    assert body["claimed"]["id"] != credential_id
    stored = world.db.unit_of_work().credentials.get(body["claimed"]["id"])
    assert stored is not None
    assert stored.supersedes == credential_id
    again = mail_client.post(f"/claim/{token}", json={"did": did})
    assert again.status_code == 410
    assert again.headers["content-type"] == PROBLEM
    assert mail_client.get(f"/claim/{token}").status_code == 410
    original = mail_client.get(
        f"/orgs/uni/credentials/{credential_id}", headers=world.auth("viewer")
    ).json()
    assert "revokedAt" in original
    assert original["revokedAt"] is None


def test_claim_with_form_post_is_accepted(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    _, token = _issue(world, mail_client, smtp, "eve@example.org")
    did = KeyPair.generate().did_key
    response = mail_client.post(f"/claim/{token}", data={"did": did})
    assert response.status_code == 201, response.text
    assert response.json()["claimed"]["credentialSubject"]["id"] == did


def test_claim_expired_is_gone_and_unknown_not_found(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    _, token = _issue(world, mail_client, smtp, "fay@example.org")
    world.clock.advance(days=31)
    expired = mail_client.post(f"/claim/{token}", json={"did": KeyPair.generate().did_key})
    assert expired.status_code == 410
    assert expired.json()["detail"] == "this claim link has expired"
    unknown = mail_client.get("/claim/" + "B" * 43)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM


def test_claim_without_did_is_bad_request(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    _, token = _issue(world, mail_client, smtp, "gus@example.org")
    response = mail_client.post(f"/claim/{token}", json={})
    assert response.status_code == 400
    assert mail_client.get(f"/claim/{token}").status_code == 200  # still claimable


# ------------------------------------------------------------------ endorsements


def test_issuer_endorses_and_public_reads(world: World) -> None:
    client = world.client
    response = client.post(
        "/orgs/uni/endorsements",
        json={"subjectId": world.other.did, "comment": "A fine college."},
        headers=world.auth("issuer"),
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert made["issuer"]["id"] == world.uni.did
    assert "proof" in made
    one = client.get(f"/endorsements/{made['id']}")
    assert one.status_code == 200
    assert one.json() == made
    listed = client.get("/endorsements", params={"subject": world.other.did}).json()
    assert listed["total"] == 1
    assert listed["items"] == [made]
    assert client.get("/endorsements", params={"subject": "did:web:x"}).json()["total"] == 0


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("anonymous", 401)])
def test_endorse_without_issue_role_refused(world: World, role: str, status: int) -> None:
    response = world.client.post(
        "/orgs/uni/endorsements",
        json={"subjectId": world.other.did, "comment": "x"},
        headers=world.auth(role),
    )
    assert response.status_code == status


def test_endorse_unknown_subject_not_found(world: World) -> None:
    response = world.client.post(
        "/orgs/uni/endorsements",
        json={"subjectId": "urn:uuid:nothing", "comment": "x"},
        headers=world.auth("owner"),
    )
    assert response.status_code == 404
    assert world.client.get("/endorsements/urn:uuid:nothing").status_code == 404


def test_endorsement_of_credential_by_other_org(world: World) -> None:
    response = world.client.post(
        "/orgs/other/endorsements",
        json={"subjectId": world.credential_id, "comment": "Verified.", "name": "Check"},
        headers=world.auth("other-owner"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Check"
    listed = world.client.get("/endorsements", params={"subject": world.credential_id}).json()
    assert listed["total"] == 1


def test_claim_link_expiry_is_thirty_days(
    world: World, mail_client: TestClient, smtp: SmtpSink
) -> None:
    _, token = _issue(world, mail_client, smtp, "hal@example.org")
    world.clock.advance(days=29)
    assert mail_client.get(f"/claim/{token}").status_code == 200
    world.clock.now += timedelta(days=1)
    assert mail_client.get(f"/claim/{token}").status_code == 410
