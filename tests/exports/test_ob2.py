"""Open Badges 2.0 hosted documents: built from each kind of credential, valid by the
vendored context and the OB 2.0 class rules, recipients always hashed."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

import pytest

from credstack.errors import InvalidInput
from credstack.exports import ob2
from credstack.platform.organisations import issuer_profile
from tests.exports.conftest import (
    BASE,
    DID,
    EMAIL,
    PLAIN_ORG,
    SALT,
    UNI,
    bare_credential,
    full_credential,
)

URLS = ob2.HostedUrls(
    assertion=f"{BASE}/ob2/assertions/0b5e2c1a-7f3d-4c8e-9a41-5d2f6b8c9e10",
    badge=f"{BASE}/ob2/badges/4f0c2a1b-5d3e-4f6a-8b7c-9d0e1f2a3b4c",
    issuer=f"{BASE}/ob2/issuers/uni",
)
PREFIX = f"{BASE}/ob2/assertions/"


def _documents(credential: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    achievement = credential["credentialSubject"]["achievement"]
    assertion = ob2.assertion(credential, urls=URLS)
    badge = ob2.badge_class(achievement, badge_url=URLS.badge, issuer_url=URLS.issuer)
    issuer = ob2.issuer_profile(
        credential["issuer"],
        issuer_url=URLS.issuer,
        homepage=f"{BASE}/",
        contact_email="badges@credstack.example",
        assertions_prefix=PREFIX,
    )
    return assertion, badge, issuer


def test_each_credential_gives_three_valid_linked_documents(
    case: tuple[str, dict[str, Any]],
) -> None:
    name, credential = case
    assertion, badge, issuer = _documents(credential)
    for document in (assertion, badge, issuer):
        assert document["@context"] == ob2.OB2_CONTEXT
        check = ob2.validate(document)
        assert check.ok, (name, check.errors)
    hosted = ob2.check_hosted(assertion, badge, issuer)
    assert hosted.ok, (name, hosted.errors)
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert badge["name"] == credential["credentialSubject"]["achievement"]["name"]


def test_email_recipient_reuses_the_credentials_salted_hash() -> None:
    credential = full_credential()
    identity = credential["credentialSubject"]["identifier"][0]
    recipient = ob2.assertion(credential, urls=URLS)["recipient"]
    assert recipient == {
        "type": "email",
        "hashed": True,
        "salt": SALT,
        "identity": identity["identityHash"],
    }
    # the same scheme in both versions: sha256$ + hex SHA-256 of address followed by salt
    expected = hashlib.sha256((EMAIL + SALT).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"


def test_did_recipient_is_a_hashed_url_identity_and_never_in_clear() -> None:
    credential = bare_credential()
    assertion = ob2.assertion(credential, urls=URLS)
    recipient = assertion["recipient"]
    assert recipient["type"] == "url"
    assert recipient["hashed"] is True
    digest = hashlib.sha256((DID + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${digest}"
    assert DID not in json.dumps(assertion)
    # stable: a verifier fetching twice sees the same assertion
    assert ob2.assertion(credential, urls=URLS) == assertion


def test_plain_email_identifier_is_hashed_before_publishing() -> None:
    credential = full_credential()
    credential["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "hashed": False, "identityHash": EMAIL,
         "identityType": "emailAddress"}
    ]  # fmt: skip
    assertion = ob2.assertion(credential, urls=URLS)
    assert EMAIL not in json.dumps(assertion)
    salt = assertion["recipient"]["salt"]
    digest = hashlib.sha256((EMAIL + salt).encode()).hexdigest()
    assert assertion["recipient"]["identity"] == f"sha256${digest}"


def test_assertion_carries_dates_evidence_and_narrative() -> None:
    credential = full_credential()
    assertion = ob2.assertion(credential, urls=URLS)
    assert assertion["issuedOn"] == credential["awardedDate"]
    assert assertion["expires"] == credential["validUntil"]
    assert assertion["evidence"] == [
        {"type": "Evidence", "id": "https://university.example/evidence/4711"}
    ]
    assert assertion["narrative"] == "Defended the plan before the panel."


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"].pop("id"),
        lambda c: c.update(
            credentialSubject={
                "type": ["AchievementSubject"],
                "achievement": c["credentialSubject"]["achievement"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "hashed": True,
                        "identityHash": "x",
                        "identityType": "studentId",
                    }
                ],
            }
        ),
    ],
    ids=["no-recipient", "foreign-identifier-only"],
)
def test_credential_without_expressible_recipient_is_refused(change: Any) -> None:
    credential = bare_credential()
    change(credential)
    with pytest.raises(InvalidInput, match="recipient"):
        ob2.assertion(credential, urls=URLS)


def test_a_plain_verifiable_credential_is_not_an_open_badge() -> None:
    plain = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
             "issuer": "did:example:x", "credentialSubject": {"id": "did:example:y"}}  # fmt: skip
    with pytest.raises(InvalidInput, match="not an Open Badge"):
        ob2.assertion(plain, urls=URLS)
    with pytest.raises(InvalidInput):
        ob2.assertion("not a credential", urls=URLS)  # type: ignore[arg-type]


def test_revoked_form_is_valid_and_tells_nothing_recorded() -> None:
    revoked = ob2.revoked_assertion(URLS.assertion)
    assert revoked == {
        "@context": ob2.OB2_CONTEXT,
        "type": "Assertion",
        "id": URLS.assertion,
        "revoked": True,
        "revocationReason": "Revoked by the issuer.",
    }
    assert ob2.validate(revoked).ok
    assert ob2.validate({**revoked, "revoked": "yes"}).errors


def test_badge_without_usable_image_gets_an_escaped_generated_svg() -> None:
    achievement = copy.deepcopy(bare_credential()["credentialSubject"]["achievement"])
    achievement["name"] = "<script>alert(1)</script> & Co"
    achievement["image"] = {"id": "data:image/jpeg;base64,/9j/4AAQ", "type": "Image"}
    badge = ob2.badge_class(achievement, badge_url=URLS.badge, issuer_url=URLS.issuer)
    assert badge["image"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(badge["image"].split(",", 1)[1]).decode()
    assert "<script" not in svg
    assert ob2.validate(badge).ok
    own = ob2.badge_class(
        {**achievement, "image": "https://cdn.example/b.png"},
        badge_url=URLS.badge,
        issuer_url=URLS.issuer,
    )
    assert own["image"] == "https://cdn.example/b.png"


def test_badge_alignments_keep_skills_and_drop_eu_text_elements() -> None:
    achievement = full_credential()["credentialSubject"]["achievement"]
    badge = ob2.badge_class(achievement, badge_url=URLS.badge, issuer_url=URLS.issuer)
    urls = [a["targetUrl"] for a in badge["alignment"]]
    assert any(u.startswith("http://data.europa.eu/esco/skill/") for u in urls)
    assert "http://data.europa.eu/snb/eqf/6" in urls
    assert not [u for u in urls if "#eu-" in u]
    assert "https://deqar.example/reports/1234" not in urls  # quality assurance is text
    assert badge["tags"] == ["research data", "FAIR"]


def test_missing_description_and_criteria_are_filled_for_ob2() -> None:
    badge = ob2.badge_class(
        {"id": "urn:uuid:3e8b5f4d-0c6a-4f1b-8d74-8a5c9e1f2b43", "name": "Only a name"},
        badge_url=URLS.badge,
        issuer_url=URLS.issuer,
    )
    assert badge["description"] == "Only a name"
    assert badge["criteria"] == {"narrative": "Only a name"}
    assert ob2.validate(badge).ok


def test_issuer_needs_an_email_which_the_caller_may_supply() -> None:
    profile = issuer_profile(PLAIN_ORG)
    without = ob2.issuer_profile(profile, issuer_url=URLS.issuer, homepage=f"{BASE}/")
    assert "email" not in without
    assert any("email" in e for e in ob2.validate(without).errors)
    with_contact = ob2.issuer_profile(
        profile, issuer_url=URLS.issuer, homepage=f"{BASE}/", contact_email="badges@x.example"
    )
    assert ob2.validate(with_contact).ok
    own = ob2.issuer_profile(issuer_profile(UNI), issuer_url=URLS.issuer, contact_email="x@y.z")
    assert own["email"] == UNI.email
    assert own["url"] == UNI.url


def _broken(document: dict[str, Any], **changes: Any) -> list[str]:
    changed = {**copy.deepcopy(document), **changes}
    return list(ob2.validate(changed).errors)


def test_validate_reports_each_kind_of_breakage() -> None:
    assertion, badge, issuer = _documents(full_credential())
    assert any("'madeUp'" in e for e in _broken(assertion, madeUp=1))
    assert any("@context" in e for e in _broken(assertion, **{"@context": "https://x.example"}))
    assert any("issuedOn" in e for e in _broken(assertion, issuedOn="yesterday"))
    assert any("expires is before" in e for e in _broken(assertion, expires="2000-01-01T00:00:00Z"))
    assert any("recipient" in e for e in _broken(assertion, recipient=None))
    bad_hash = {**assertion["recipient"], "identity": "sha256$abc"}
    assert any("hashed identity" in e for e in _broken(assertion, recipient=bad_hash))
    assert any(
        "single" in e
        for e in _broken(assertion, verification={"type": ["HostedBadge", "SignedBadge"]})
    )
    assert any("criteria" in e for e in _broken(badge, criteria={}))
    assert any("image" in e for e in _broken(badge, image="data:image/gif;base64,R0lGOD"))
    assert any("http(s)" in e for e in _broken(issuer, id="did:web:credstack.example"))
    assert any("type" in e for e in _broken(issuer, type="Person"))


def test_check_hosted_needs_links_and_scope() -> None:
    assertion, badge, issuer = _documents(full_credential())
    outside = {**assertion, "id": "https://elsewhere.example/a/1"}
    assert any("startsWith" in e for e in ob2.check_hosted(outside, badge, issuer).errors)
    assert any(
        "BadgeClass id" in e
        for e in ob2.check_hosted(
            {**assertion, "badge": "https://credstack.example/x"}, badge, issuer
        ).errors
    )
    no_scope = {k: v for k, v in issuer.items() if k != "verification"}
    foreign = {**assertion, "id": "https://other.example/ob2/assertions/1"}
    assert any("origin" in e for e in ob2.check_hosted(foreign, badge, no_scope).errors)
    assert ob2.check_hosted(assertion, badge, no_scope).ok
