"""Issuing a caller-supplied credential (the VC-API ``/credentials/issue`` operation).

https://w3c-ccg.github.io/vc-api/#issue-credential — the organisation signs the given
credential: its ``issuer`` is set to (or must already be) the organisation's DID, a revocation
entry is added, Open Badges are checked against the OB 3.0 schema and rules, the document is
signed with eddsa-rdfc-2022 (which expands in safe mode: an undefined term is refused) and
stored as an :class:`IssuedCredential`.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from credstack.errors import ValidationFailed
from credstack.jsonld.loader import CREDENTIALS_V2
from credstack.models.validate import check_credential
from credstack.platform.achievements import achievement_url
from credstack.platform.domain import (
    AchievementStatus,
    AchievementVersion,
    IssuedCredential,
    Organisation,
)
from credstack.platform.issuance import serialize
from credstack.platform.keys import KeyCustody, signing_key
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.statuslists import allocate_entry, status_entry, status_list_url
from credstack.platform.translog import append_events, credential_events
from credstack.proofs.dataintegrity import OPEN_BADGE_TYPES, add_proof, format_datetime

#: the achievement "slot" VC-API credentials are filed under (stored credentials need one)
VCAPI_ACHIEVEMENT = "vc-api"
_PLACEHOLDER_DESIGN = {
    "name": "Credentials issued through the VC-API",
    "description": "Credentials supplied whole by the caller of POST /credentials/issue.",
    "criteria_narrative": "Not issued from an achievement of this platform.",
    "achievement_type": "MicroCredential",
    "tags": [],
    "related": [],
    "skills": [],
    "learning_outcomes": [],
    "assessment_types": [],
}


def _rule(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="RULE_VIOLATION", problems=[message])


def is_placeholder(version: AchievementVersion, base_url: str, organisation: Organisation) -> bool:
    return version.achievement_id == achievement_url(base_url, organisation, VCAPI_ACHIEVEMENT)


def _placeholder(
    uow: UnitOfWork, organisation: Organisation, *, base_url: str, at: datetime
) -> AchievementVersion:
    achievement_id = achievement_url(base_url, organisation, VCAPI_ACHIEVEMENT)
    versions = uow.achievements.versions(achievement_id)
    if versions:
        return versions[0]
    version = AchievementVersion(
        id=str(uuid.uuid4()),
        achievement_id=achievement_id,
        organisation_id=organisation.id,
        version=1,
        status=AchievementStatus.RETIRED,  # never issuable from the management API
        data=dict(_PLACEHOLDER_DESIGN),
        created_at=at,
    )
    uow.achievements.add(version)
    return version


def _types(document: dict[str, Any]) -> list[str]:
    raw = document.get("type")
    return [raw] if isinstance(raw, str) else [t for t in raw or [] if isinstance(t, str)]


def prepare(
    organisation: Organisation,
    credential: dict[str, Any],
    *,
    credential_id: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The credential as it will be signed (without its status entry); rule checks."""
    if not isinstance(credential, dict):
        raise _rule("credential must be a JSON object")
    document = copy.deepcopy(credential)
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        raise _rule(f"@context must be a list starting with {CREDENTIALS_V2}")
    types = _types(document)
    if "VerifiableCredential" not in types:
        raise _rule("type must include VerifiableCredential")
    if "credentialSubject" not in document:
        raise _rule("a credential needs a credentialSubject")
    if "proof" in document:
        raise _rule("the credential to issue must not carry a proof")
    if "credentialStatus" in document:
        raise _rule("credentialStatus is added by the issuer; leave it out")
    is_ob = bool(OPEN_BADGE_TYPES.intersection(types))
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id != organisation.did:
        raise _rule(f"issuer must be {organisation.did}, the DID of {organisation.slug}")
    if issuer is None or (is_ob and not isinstance(issuer, dict)):
        document["issuer"] = issuer_profile(organisation) if is_ob else organisation.did
    if credential_id is not None:
        if "id" in document and document["id"] != credential_id:
            raise _rule("options.credentialId and credential.id differ")
        document["id"] = credential_id
    document.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    if not isinstance(document["id"], str):
        raise _rule("credential id must be a string (a URL)")
    document.setdefault("validFrom", format_datetime(at))
    return document


def issue_credential(
    uow: UnitOfWork,
    custody: KeyCustody,
    organisation: Organisation,
    credential: dict[str, Any],
    *,
    base_url: str,
    at: datetime,
    credential_id: str | None = None,
) -> IssuedCredential:
    """Sign and store ``credential`` as ``organisation`` (see the module docstring)."""
    document = prepare(organisation, credential, credential_id=credential_id, at=at)
    status_list, index = allocate_entry(uow, organisation, at)
    document["credentialStatus"] = status_entry(
        status_list_url(base_url, organisation, status_list.id), index
    )
    if OPEN_BADGE_TYPES.intersection(_types(document)):
        check_credential(document, allow_compacted=True)
    signed = add_proof(document, signing_key(uow, custody, organisation), created=at)
    subject = signed.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    issued = IssuedCredential(
        id=signed["id"],
        organisation_id=organisation.id,
        achievement_version_id=_placeholder(uow, organisation, base_url=base_url, at=at).id,
        credential_json=serialize(signed),
        issued_at=at,
        status_list_id=status_list.id,
        status_index=index,
        recipient_did=subject_id
        if isinstance(subject_id, str) and subject_id.startswith("did:")
        else None,
    )
    uow.credentials.add(issued)
    append_events(uow, credential_events([issued], organisation.did), at)  # same transaction
    return issued
