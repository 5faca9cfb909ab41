"""Issuing Open Badges: one credential, or many through a job (see :mod:`.bulk`).

An issue request names a published achievement version and a recipient (an e-mail, hashed in
the credential with a fresh salt per credential, a DID, or both).  The credential gets a
revocation entry in a status list (and, when its achievement is ``suspendable``, a suspension
entry in a second list: ``credentialStatus`` is then an array of both), is signed with the
organisation's active key (eddsa-rdfc-2022) and stored as the exact signed text.  With an
idempotency key, repeating a request returns the credential already issued; reusing the key for
a different request is a :class:`Conflict`.  :func:`revoke` ends a credential for good;
:func:`suspend` and :func:`reinstate` set and clear its suspension.
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
from credstack.log.leaf import EventType
from credstack.models.ob import IdentityObject
from credstack.platform.achievement_design import GRADE_FRAGMENT
from credstack.platform.achievements import render_achievement
from credstack.platform.domain import (
    AchievementVersion,
    IssuedCredential,
    Organisation,
    StatusList,
)
from credstack.platform.keys import KeyCustody, signing_key
from credstack.platform.notify import record_claims
from credstack.platform.organisations import issuer_profile
from credstack.platform.ports import UnitOfWork
from credstack.platform.signing import (
    InlineSigner,
    ProcessSigner,
    Signed,
    Signer,
    SignTask,
    sign_tasks,
)
from credstack.platform.statuslists import (
    SUSPENSION,
    allocate_entries,
    set_entry,
    status_entry,
    status_list_url,
)
from credstack.platform.translog import (
    append_events,
    credential_events,
    credential_status_event,
)
from credstack.proofs.dataintegrity import format_datetime

OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z")
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]\Z")
MAX_CREDENTIAL_BYTES = 1_048_576
MAX_SUSPENSION_REASON = 500

Status = dict[str, Any] | list[dict[str, Any]]
"""A credential's ``credentialStatus``: one entry, or the revocation and suspension entries."""


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
    result_value: str | None = None  # a grade or score, as text (OB 3.0 Result.value)

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
        if self.result_value is not None and not 1 <= len(self.result_value) <= 256:
            raise InvalidInput("a result value is 1 to 256 characters")

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
        if self.result_value is not None:  # absent from older digests: they stay the same
            fields["result_value"] = self.result_value
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _result(achievement: dict[str, Any], value: str) -> dict[str, Any]:
    """An OB 3.0 Result; tied to the achievement's grade scale when it has one."""
    result: dict[str, Any] = {"type": ["Result"], "value": value}
    descriptions = achievement.get("resultDescription")
    for description in descriptions if isinstance(descriptions, list) else []:
        if isinstance(description, dict) and str(description.get("id", "")).endswith(
            "#" + GRADE_FRAGMENT
        ):
            result["resultDescription"] = description["id"]
            break
    return result


def build_credential(
    organisation: Organisation,
    achievement: dict[str, Any],
    request: IssueRequest,
    *,
    credential_id: str,
    status: Status | None,
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
    if request.result_value is not None:
        subject["result"] = [_result(achievement, request.result_value)]
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
        batch = self.prepare(version, requests, at=at, job_id=job_id, supersedes=supersedes)
        signed = sign_tasks(self._signing_key(), self.organisation, batch.tasks)
        return self.complete(batch, signed)

    def signer(self, *, workers: int = 0) -> Signer:
        """A signer for this organisation's active key: in this process (``workers=0``) or
        in that many worker processes."""
        key = self._signing_key()
        return ProcessSigner(key, workers) if workers > 0 else InlineSigner(key)

    def prepare(
        self,
        version: AchievementVersion,
        requests: Sequence[IssueRequest],
        *,
        at: datetime,
        job_id: str | None = None,
        supersedes: str | None = None,
    ) -> PreparedBatch:
        """Everything before signing: check each request, settle idempotency keys, allocate
        status entries.  The batch's :attr:`PreparedBatch.tasks` are then signed (here or
        elsewhere) and the result handed to :meth:`complete`, possibly in a later unit of work
        (allocated entries that are never used are harmless)."""
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
        suspensions: list[tuple[StatusList, int]] = []
        if todo and is_suspendable(version):  # a second list, allocated in the same way
            suspensions = allocate_entries(
                self.uow, self.organisation, at, len(todo), purpose=SUSPENSION
            )
        achievement = self._achievement(version)
        pending: list[_Pending] = []
        tasks: list[SignTask] = []
        for n, ((position, request, digest), (status_list, index)) in enumerate(
            zip(todo, entries, strict=True)
        ):
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            url = status_list_url(self.base_url, self.organisation, status_list.id)
            revocation = status_entry(url, index)
            entry: Status = revocation
            if suspensions:
                held, place = suspensions[n]
                held_url = status_list_url(self.base_url, self.organisation, held.id)
                entry = [revocation, status_entry(held_url, place, SUSPENSION)]
            pending.append(
                _Pending(position, request, digest, credential_id, status_list.id, index)
            )
            tasks.append(SignTask(achievement, request, credential_id, entry, at))
        return PreparedBatch(
            version_id=version.id,
            achievement_name=str(achievement["name"]),
            size=len(requests),
            at=at,
            job_id=job_id,
            supersedes=supersedes,
            results=results,
            repeats=repeats,
            pending=pending,
            tasks=tasks,
        )

    def complete(
        self, batch: PreparedBatch, signed: Sequence[Signed]
    ) -> list[IssuedCredential | CredstackError]:
        """Store the signed credentials of a prepared batch (one insert), append their
        ``credential issued`` leaves to the transparency log, record the claim e-mails, and
        return one result per request, in order."""
        results = dict(batch.results)
        fresh: list[IssuedCredential] = []
        digests: dict[str, bytes] = {}
        mailed: list[tuple[IssuedCredential, str]] = []
        for item, done in zip(batch.pending, signed, strict=True):
            if done.error is not None:
                results[item.position] = InvalidInput(done.error)
                continue
            issued = IssuedCredential(
                id=item.credential_id,
                organisation_id=self.organisation.id,
                achievement_version_id=batch.version_id,
                credential_json=done.credential_json,
                issued_at=batch.at,
                status_list_id=item.status_list_id,
                status_index=item.index,
                recipient_email_hash=done.email_hash,
                recipient_did=item.request.did,
                idempotency_key=item.request.idempotency_key,
                request_digest=item.digest,
                job_id=batch.job_id,
                supersedes=batch.supersedes,
            )
            results[item.position] = issued
            fresh.append(issued)
            if done.digest is not None:
                digests[issued.id] = done.digest
            if item.request.email is not None:  # e-mail recipients get a claim link
                mailed.append((issued, item.request.email))
        if fresh:
            self.uow.credentials.add_many(fresh)
            # the log's leaves go in with the credentials (one transaction: both or neither)
            events = credential_events(fresh, self.organisation.did, digests=digests)
            append_events(self.uow, events, batch.at)
        if mailed:
            record_claims(
                self.uow,
                mailed,
                self.base_url,
                batch.at,
                achievement=batch.achievement_name,
                issuer=self.organisation.name,
            )
        for position, first in batch.repeats.items():
            results[position] = results[first]
        return [results[position] for position in range(batch.size)]


@dataclass(frozen=True, slots=True)
class _Pending:
    position: int
    request: IssueRequest
    digest: str
    credential_id: str
    status_list_id: str
    index: int


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch between :meth:`Issuer.prepare` and :meth:`Issuer.complete`."""

    version_id: str
    achievement_name: str
    size: int
    at: datetime
    job_id: str | None
    supersedes: str | None
    results: dict[int, IssuedCredential | CredstackError]
    repeats: dict[int, int]
    pending: list[_Pending]
    tasks: list[SignTask]


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
    """Set the credential's revocation bit and append a ``credential revoked`` leaf to the
    transparency log; the credential itself never changes.  Revoking twice is harmless and
    returns the credential as it is.  A suspended credential may be revoked (its suspension
    bit stays set)."""
    credential = get_credential(uow, organisation, credential_id)
    if credential.revoked_at is not None:
        return credential
    if credential.status_list_id is None or credential.status_index is None:
        raise InvalidState(f"credential {credential_id} has no status entry")
    if reason is not None and len(reason) > 1000:
        raise InvalidInput("a revocation reason is at most 1000 characters")
    set_entry(uow, credential.status_list_id, credential.status_index, 1, at)
    uow.credentials.mark_revoked(credential_id, at, reason)
    append_events(uow, credential_events([credential], organisation.did, revoked_at=at), at)
    revoked = uow.credentials.get(credential_id)
    assert revoked is not None
    return revoked


# ------------------------------------------------------------------ suspension


def is_suspendable(version: AchievementVersion) -> bool:
    """Whether credentials of ``version`` get a suspension entry (the design's
    ``suspendable``, false unless set)."""
    return version.data.get("suspendable") is True


def suspension_entry(credential: IssuedCredential) -> tuple[str, int] | None:
    """The credential's suspension entry as (status list id, index), read from its signed
    ``credentialStatus``; ``None`` when it has none (its achievement was not suspendable
    when it was issued)."""
    try:
        document = orjson.loads(credential.credential_json)
    except orjson.JSONDecodeError:
        return None
    status = document.get("credentialStatus") if isinstance(document, dict) else None
    for entry in status if isinstance(status, list) else [status]:
        if not isinstance(entry, dict) or entry.get("statusPurpose") != SUSPENSION:
            continue
        url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
        if isinstance(url, str) and "/status/" in url and isinstance(index, str):
            if index.isascii() and index.isdigit() and len(index) <= 18:
                return url.rpartition("/status/")[2], int(index)
    return None


def _suspension_list(
    uow: UnitOfWork, organisation: Organisation, credential: IssuedCredential
) -> tuple[str, int]:
    found = suspension_entry(credential)
    if found is None:
        raise InvalidState(
            f"credential {credential.id} cannot be suspended: its achievement was not "
            "suspendable when it was issued"
        )
    status_list = uow.status_lists.get(found[0])
    if (
        status_list is None
        or status_list.organisation_id != organisation.id
        or status_list.purpose != SUSPENSION
    ):
        raise InvalidState(
            f"credential {credential.id} names no suspension list of {organisation.slug}"
        )
    return found


def _suspension_reason(reason: str) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput("a suspension needs a reason (it is recorded)")
    if len(text) > MAX_SUSPENSION_REASON:
        raise InvalidInput(f"a suspension reason is at most {MAX_SUSPENSION_REASON} characters")
    return text


def suspend(
    uow: UnitOfWork,
    organisation: Organisation,
    credential_id: str,
    *,
    reason: str,
    at: datetime,
) -> IssuedCredential:
    """Suspend a credential of a suspendable achievement: set its suspension bit, record the
    reason and time, and append a ``credential suspended`` leaf to the transparency log.
    Verifiers see it as suspended until :func:`reinstate`.  A revoked credential, or one
    without a suspension entry, is an :class:`InvalidState`; suspending a suspended
    credential again changes nothing and returns it as it is."""
    credential = get_credential(uow, organisation, credential_id)
    text = _suspension_reason(reason)
    if credential.revoked_at is not None:
        raise InvalidState(
            f"credential {credential_id} is revoked; a revoked credential cannot be suspended"
        )
    list_id, index = _suspension_list(uow, organisation, credential)
    if credential.suspended_at is not None:
        return credential
    set_entry(uow, list_id, index, 1, at)
    uow.credentials.mark_suspended(credential_id, at, text)
    event = credential_status_event(
        credential, organisation.did, EventType.CREDENTIAL_SUSPENDED, at
    )
    append_events(uow, [event], at)
    suspended = uow.credentials.get(credential_id)
    assert suspended is not None
    return suspended


def reinstate(
    uow: UnitOfWork, organisation: Organisation, credential_id: str, *, at: datetime
) -> IssuedCredential:
    """Lift a suspension: clear the suspension bit, the recorded reason and time, and append a
    ``credential reinstated`` leaf.  A revoked credential, or one without a suspension entry,
    is an :class:`InvalidState`; reinstating a credential that is not suspended changes
    nothing and returns it as it is."""
    credential = get_credential(uow, organisation, credential_id)
    if credential.revoked_at is not None:
        raise InvalidState(f"credential {credential_id} is revoked; a revocation cannot be lifted")
    list_id, index = _suspension_list(uow, organisation, credential)
    if credential.suspended_at is None:
        return credential
    set_entry(uow, list_id, index, 0, at)
    uow.credentials.mark_reinstated(credential_id)
    event = credential_status_event(
        credential, organisation.did, EventType.CREDENTIAL_REINSTATED, at
    )
    append_events(uow, [event], at)
    reinstated = uow.credentials.get(credential_id)
    assert reinstated is not None
    return reinstated
