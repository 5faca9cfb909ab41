"""Endorsements: an organisation vouches for another organisation, an achievement or a
credential with a signed OB 3.0 ``EndorsementCredential``.

https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from credstack.errors import InvalidInput, NotFound, ValidationFailed
from credstack.jsonld.loader import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from credstack.models.validate import validate_credential
from credstack.platform.domain import Endorsement, Organisation
from credstack.platform.keys import KeyCustody, signing_key
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.proofs.dataintegrity import add_proof, format_datetime

ENDORSEMENT_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
MAX_COMMENT = 10_000
MAX_NAME = 200


def subject_kind(uow: UnitOfWork, subject_id: str) -> str:
    """What ``subject_id`` names on this platform: ``organisation`` (its DID),
    ``achievement`` or ``credential`` (their ids); :class:`NotFound` otherwise."""
    if subject_id.startswith("did:"):
        if any(o.did == subject_id for o in uow.organisations.list()):
            return "organisation"
    elif uow.credentials.get(subject_id) is not None:
        return "credential"
    elif uow.achievements.versions(subject_id):
        return "achievement"
    raise NotFound(f"nothing to endorse is known as {subject_id!r}")


def build_endorsement(
    endorser: Organisation,
    *,
    endorsement_id: str,
    subject_id: str,
    comment: str,
    name: str,
    at: datetime,
) -> dict[str, Any]:
    """The unsigned EndorsementCredential."""
    return {
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS],
        "id": endorsement_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name,
        "issuer": issuer_profile(endorser),
        "validFrom": format_datetime(at),
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
        "credentialSchema": [{"id": ENDORSEMENT_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def endorse(
    uow: UnitOfWork,
    custody: KeyCustody,
    endorser: Organisation,
    *,
    subject_id: str,
    comment: str,
    at: datetime,
    name: str | None = None,
) -> Endorsement:
    """Sign and store an endorsement of ``subject_id`` by ``endorser``."""
    comment = comment.strip()
    if not comment or len(comment) > MAX_COMMENT:
        raise InvalidInput(f"an endorsement comment is 1 to {MAX_COMMENT} characters")
    if subject_id == endorser.did:
        raise InvalidInput("an organisation cannot endorse itself")
    kind = subject_kind(uow, subject_id)
    title = (name or f"Endorsement by {endorser.name}").strip()
    if not title or len(title) > MAX_NAME:
        raise InvalidInput(f"an endorsement name is 1 to {MAX_NAME} characters")
    endorsement_id = f"urn:uuid:{uuid.uuid4()}"
    unsigned = build_endorsement(
        endorser,
        endorsement_id=endorsement_id,
        subject_id=subject_id,
        comment=comment,
        name=title,
        at=at,
    )
    problems = validate_credential(unsigned)
    if problems:
        raise ValidationFailed(
            f"the endorsement of this {kind} is not valid Open Badges 3.0",
            problems=[str(p) for p in problems],
        )
    signed = add_proof(unsigned, signing_key(uow, custody, endorser), created=at)
    endorsement = Endorsement(
        id=endorsement_id,
        endorser_organisation_id=endorser.id,
        subject_id=subject_id,
        credential_json=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
        created_at=at,
    )
    uow.endorsements.add(endorsement)
    return endorsement


def get_endorsement(uow: UnitOfWork, endorsement_id: str) -> Endorsement:
    found = uow.endorsements.get(endorsement_id)
    if found is None:
        raise NotFound(f"no endorsement {endorsement_id}")
    return found
