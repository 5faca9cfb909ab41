"""Three issued credentials every export is tested with.

* ``full`` — an achievement with every EU element (tests/unit/test_achievement_design.py),
  an organisation with country, address, e-mail and homepage, an e-mail recipient, a grade,
  evidence and an end date;
* ``bare`` — only a name, a description and a criteria narrative (what a design needs); an
  organisation with nothing optional; a DID recipient;
* ``vcapi`` — a minimal Open Badge as a VC-API caller supplies it (no credstack fields).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from credstack.platform.achievement_design import AchievementDesign, to_achievement
from credstack.platform.domain import Organisation
from credstack.platform.issuance import IssueRequest, build_credential
from credstack.platform.organisations import issuer_profile
from tests.unit.test_achievement_design import full_design_data

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = "https://credstack.example"
FULL_ID = "urn:uuid:0b5e2c1a-7f3d-4c8e-9a41-5d2f6b8c9e10"
BARE_ID = "urn:uuid:1c6f3d2b-8a4e-4d9f-8b52-6e3a7c9d0f21"
VCAPI_ID = "urn:uuid:2d7a4e3c-9b5f-4e0a-9c63-7f4b8d0e1a32"
SALT = "5f1c0d9e8b7a69584736251403f2e1d0"
EMAIL = "ann@example.org"
DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

UNI = Organisation(
    id="org-uni",
    slug="uni",
    name="Example University",
    did="did:web:credstack.example:orgs:uni",
    url="https://university.example/",
    email="info@university.example",
    country="AT",
    address={
        "streetAddress": "Universitätsring 1",
        "postalCode": "1010",
        "addressLocality": "Wien",
    },
)
PLAIN_ORG = Organisation(
    id="org-plain", slug="plain", name="Plain Academy", did="did:web:credstack.example:orgs:plain"
)


def achievement_url(org: Organisation, name: str) -> str:
    return f"{BASE}/orgs/{org.slug}/achievements/{name}"


def _issue(
    org: Organisation, design: dict[str, Any], request: IssueRequest, credential_id: str
) -> dict[str, Any]:
    aid = achievement_url(org, credential_id[-4:])
    achievement = to_achievement(
        AchievementDesign.from_json(design), achievement_id=aid, issuer_profile=issuer_profile(org)
    )
    return build_credential(
        org, achievement, request, credential_id=credential_id, status=None, at=AT, salt=SALT
    )


def full_credential() -> dict[str, Any]:
    grade = {
        "type": ["Result"],
        "resultDescription": f"{achievement_url(UNI, '9e10')}#grade",
        "value": "B",
    }
    request = IssueRequest(
        email=EMAIL,
        valid_until=datetime(2031, 3, 1, tzinfo=UTC),
        narrative="Defended the plan before the panel.",
        evidence_url="https://university.example/evidence/4711",
        extra_subject={"result": [grade]},
    )
    return _issue(UNI, full_design_data(), request, FULL_ID)


def bare_credential() -> dict[str, Any]:
    design = {
        "name": "Library Orientation",
        "description": "Knows the way around the library.",
        "criteria_narrative": "Attended the orientation tour.",
    }
    return _issue(PLAIN_ORG, design, IssueRequest(did=DID), BARE_ID)


def vcapi_credential() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": VCAPI_ID,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": UNI.did, "type": ["Profile"], "name": UNI.name},
        "validFrom": "2026-03-01T09:00:00Z",
        "credentialSubject": {
            "id": DID,
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


CASES = {"full": full_credential, "bare": bare_credential, "vcapi": vcapi_credential}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """(name, credential) for each of the three credentials."""
    name: str = request.param
    return name, copy.deepcopy(CASES[name]())
