"""Issuing Open Badges: one credential, or many through a job (see :mod:`.bulk`).

An issue request names a published achievement version and a recipient (an e-mail, hashed in
the credential with a fresh salt per credential, a DID, or both).  The credential gets a
revocation entry in a status list, is signed with the organisation's active key
(eddsa-rdfc-2022) and stored as the exact signed text.  With an idempotency key, repeating a
request returns the credential already issued; reusing the key for a different request is a
:class:`Conflict`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from credstack.crypto.keys import KeyPair
from credstack.errors import (
    Conflict,
    CredstackError,
    InvalidInput,
    InvalidState,
    NotFound,
    PermissionDenied,
)
from credstack.jsonld.loader import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from credstack.models.ob import IdentityObject
from credstack.platform.achievements import render_achievement
from credstack.platform.domain import AchievementVersion, IssuedCredential, Organisation
from credstack.platform.keys import KeyCustody, signing_key
from credstack.platform.notify import record_claims
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.statuslists import (
    allocate_entries,
    set_entry,
    status_entry,
    status_list_url,
)
from credstack.proofs.dataintegrity import add_proof, format_datetime

OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z")
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]\Z")
MAX_CREDENTIAL_BYTES = 1_048_576


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """What one credential is issued from."""

    email: str | None = None
    did: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    narrative: str | None = None
    evidence_url: str | None = None
    idempotency_key: str | None = None
    extra_subject: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if self.email is None and self.did is None:
            raise InvalidInput("a recipient needs an e-mail address or a DID")
        if self.email is not None and not _EMAIL.match(self.email):
            raise InvalidInput(f"{self.email!r} is not an e-mail address")
        if self.did is not None and not _DID.match(self.did):
            raise InvalidInput(f"{self.did!r} is not a DID")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise InvalidInput("valid_until is before valid_from")
        if self.idempotency_key is not None and not 1 <= len(self.idempotency_key) <= 128:
            raise InvalidInput("an idempotency key is 1 to 128 characters")

    def digest(self, version_id: str) -> str:
        """Fingerprint of the request, to tell a retry from a reused idempotency key."""
        fields = {
            "version": version_id,
            "email": self.email.lower() if self.email else None,
            "did": self.did,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "narrative": self.narrative,
            "evidence_url": self.evidence_url,
            "extra": self.extra_subject,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def build_credential(
    organisation: Organisation,
    achievement: dict[str, Any],
    request: IssueRequest,
    *,
    credential_id: str,
    status: dict[str, Any] | None,
    at: datetime,
    salt: str | None = None,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for one recipient."""
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if request.did:
        subject["id"] = request.did
    if request.email:
        identity = IdentityObject.hashed_email(request.email.lower(), salt or os.urandom(16).hex())
        subject["identifier"] = [identity.to_json()]
    subject["achievement"] = achievement
    if request.narrative:
        subject["narrative"] = request.narrative
    subject.update(request.extra_subject)
    credential: dict[str, Any] = {
        # extensions.json defines 1EdTechJsonSchemaValidator2019 (credentialSchema's type)
        "@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer_profile(organisation),
        "validFrom": format_datetime(request.valid_from or at),
        "awardedDate": format_datetime(at),
    }
    if request.valid_until:
        credential["validUntil"] = format_datetime(request.valid_until)
    credential["credentialSubject"] = subject
    if request.evidence_url:
        credential["evidence"] = [{"id": request.evidence_url, "type": ["Evidence"]}]
    if status is not None:
        credential["credentialStatus"] = status
    credential["credentialSchema"] = [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    return credential


def serialize(credential: dict[str, Any]) -> str:
    """The stored and served text of a signed credential."""
    try:
        data = orjson.dumps(credential)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise InvalidInput(f"the credential cannot be written as JSON: {exc}") from None
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise InvalidInput(f"a credential may be at most {MAX_CREDENTIAL_BYTES} bytes")
    return data.decode("utf-8")


@dataclass(slots=True)
class Issuer:
    """Issues credentials of one organisation inside one unit of work."""

    uow: UnitOfWork
    custody: KeyCustody
    organisation: Organisation
    base_url: str
    _key: KeyPair | None = None
    _achievements: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _signing_key(self) -> KeyPair:
        if self._key is None:
            self._key = signing_key(self.uow, self.custody, self.organisation)
        return self._key

    def _achievement(self, version: AchievementVersion) -> dict[str, Any]:
        found = self._achievements.get(version.id)
        if found is None:
            found = self._achievements[version.id] = render_achievement(version, self.organisation)
        return found

    def issue(
        self,
        version: AchievementVersion,
        request: IssueRequest,
        *,
        at: datetime,
        job_id: str | None = None,
        supersedes: str | None = None,
    ) -> IssuedCredential:
        """Issue one credential (or return the one already issued under its idempotency key)."""
        result = self.issue_many(version, [request], at=at, job_id=job_id, supersedes=supersedes)[0]
        if isinstance(result, CredstackError):
            raise result
        return result

    def issue_many(
        self,
        version: AchievementVersion,
        requests: Sequence[IssueRequest],
        *,
        at: datetime,
        job_id: str | None = None,
        supersedes: str | None = None,
    ) -> list[IssuedCredential | CredstackError]:
        """Issue a batch: one idempotency lookup, one status-list write and one insert for the
        whole batch.  Each result is the credential, or the row's error (:class:`InvalidInput`
        for a bad request, :class:`Conflict` for a reused idempotency key)."""
        if version.organisation_id != self.organisation.id:
            raise PermissionDenied("the achievement belongs to another organisation")
        results: dict[int, IssuedCredential | CredstackError] = {}
        keys = [r.idempotency_key for r in requests if r.idempotency_key is not None]
        known = (
            self.uow.credentials.get_by_idempotency_keys(self.organisation.id, keys) if keys else {}
        )
        first_use: dict[str, tuple[str, int]] = {}  # key -> (digest, position) in this batch
        repeats: dict[int, int] = {}  # position -> position of the same request earlier on
        todo: list[tuple[int, IssueRequest, str]] = []
        for position, request in enumerate(requests):
            try:
                request.check()
            except InvalidInput as exc:
                results[position] = exc
                continue
            digest = request.digest(version.id)
            key = request.idempotency_key
            if key is not None and (key in known or key in first_use):
                prior = known.get(key)
                earlier = prior.request_digest if prior is not None else first_use[key][0]
                if earlier != digest:
                    results[position] = Conflict(
                        f"idempotency key {key!r} was used for a different request"
                    )
                elif prior is not None:
                    results[position] = prior
                else:
                    repeats[position] = first_use[key][1]
                continue
            if key is not None:
                first_use[key] = (digest, position)
            todo.append((position, request, digest))
        entries = allocate_entries(self.uow, self.organisation, at, len(todo)) if todo else []
        fresh: list[IssuedCredential] = []
        for (position, request, digest), (status_list, index) in zip(todo, entries, strict=True):
            try:
                issued = self._sign(
                    version, request, digest, status_list.id, index, at, job_id, supersedes
                )
            except InvalidInput as exc:
                results[position] = exc
                continue
            results[position] = issued
            fresh.append(issued)
        if fresh:
            self.uow.credentials.add_many(fresh)
        mailed = [  # e-mail recipients get a claim link
            (done, request.email)
            for position, request, _ in todo
            if request.email is not None and isinstance(done := results[position], IssuedCredential)
        ]
        if mailed:
            record_claims(
                self.uow,
                mailed,
                self.base_url,
                at,
                achievement=self._achievement(version)["name"],
                issuer=self.organisation.name,
            )
        for position, first in repeats.items():
            results[position] = results[first]
        return [results[position] for position in range(len(requests))]

    def _sign(
        self,
        version: AchievementVersion,
        request: IssueRequest,
        digest: str,
        status_list_id: str,
        index: int,
        at: datetime,
        job_id: str | None,
        supersedes: str | None,
    ) -> IssuedCredential:
        url = status_list_url(self.base_url, self.organisation, status_list_id)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        unsigned = build_credential(
            self.organisation,
            self._achievement(version),
            request,
            credential_id=credential_id,
            status=status_entry(url, index),
            at=at,
        )
        signed = add_proof(unsigned, self._signing_key(), created=at)
        identifier = signed["credentialSubject"].get("identifier")
        return IssuedCredential(
            id=credential_id,
            organisation_id=self.organisation.id,
            achievement_version_id=version.id,
            credential_json=serialize(signed),
            issued_at=at,
            status_list_id=status_list_id,
            status_index=index,
            recipient_email_hash=identifier[0]["identityHash"] if identifier else None,
            recipient_did=request.did,
            idempotency_key=request.idempotency_key,
            request_digest=digest,
            job_id=job_id,
            supersedes=supersedes,
        )


def get_credential(
    uow: UnitOfWork, organisation: Organisation, credential_id: str
) -> IssuedCredential:
    found = uow.credentials.get(credential_id)
    if found is None:
        raise NotFound(f"no credential {credential_id}")
    if found.organisation_id != organisation.id:
        raise PermissionDenied(f"credential {credential_id} was issued by another organisation")
    return found


def revoke(
    uow: UnitOfWork,
    organisation: Organisation,
    credential_id: str,
    *,
    reason: str | None,
    at: datetime,
) -> IssuedCredential:
    """Set the credential's revocation bit; the credential itself never changes.
    Revoking twice is harmless and returns the credential as it is."""
    credential = get_credential(uow, organisation, credential_id)
    if credential.revoked_at is not None:
        return credential
    if credential.status_list_id is None or credential.status_index is None:
        raise InvalidState(f"credential {credential_id} has no status entry")
    if reason is not None and len(reason) > 1000:
        raise InvalidInput("a revocation reason is at most 1000 characters")
    set_entry(uow, credential.status_list_id, credential.status_index, 1, at)
    uow.credentials.mark_revoked(credential_id, at, reason)
    revoked = uow.credentials.get(credential_id)
    assert revoked is not None
    return revoked
