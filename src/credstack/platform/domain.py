"""Platform records: plain frozen dataclasses, one per idea, shared by services and storage.

Times are timezone-aware UTC datetimes passed in by the caller.  Ids are strings (UUIDs
unless said otherwise).  JSON payloads are kept as the exact text that was signed or stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs new credentials; in assertionMethod
    RETIRED = "retired"  # no longer signs; stays in assertionMethod (old credentials verify)
    COMPROMISED = "compromised"  # removed from assertionMethod


class AchievementStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Role(StrEnum):
    OWNER = "owner"
    ISSUER = "issuer"
    VIEWER = "viewer"


class UserKind(StrEnum):
    STAFF = "staff"  # belongs to organisations through memberships
    LEARNER = "learner"
    EMPLOYER = "employer"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RowStatus(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    slug: str  # URL-safe, unique; did:web path segment
    name: str
    did: str  # did:web:<host>:orgs:<slug>
    url: str | None = None
    email: str | None = None
    image: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 (EU member state for the EU elements)
    address: dict[str, Any] | None = None
    created_at: datetime | None = None


PLATFORM_ID = "platform"
"""``SigningKey.organisation_id`` of the platform's own keys (``did:web:<host>``)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    id: str
    organisation_id: str
    fragment: str  # verification method is f"{org.did}#{fragment}"
    public_key_multibase: str
    encrypted_secret: bytes  # AES-256-GCM under the key-encryption key named by kek_id
    kek_id: str
    status: KeyStatus
    activated_at: datetime
    retired_at: datetime | None = None
    compromised_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class AchievementVersion:
    id: str  # this version's row id
    achievement_id: str  # stable across versions
    organisation_id: str
    version: int  # 1, 2, ...
    status: AchievementStatus
    data: dict[str, Any]  # authoring fields (OB Achievement + EU elements), see docs/eu-elements.md
    created_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusList:
    id: str
    organisation_id: str
    purpose: str  # "revocation" or "suspension"
    size: int  # entries (bits); at least 131,072
    bits: bytes  # the bitstring, index 0 = most significant bit of byte 0
    allocated: int  # entries handed out
    version: int  # bumped on every change (optimistic concurrency)
    updated_at: datetime
    index_seed: bytes = b""  # secret key of the permutation that makes indexes look random


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    id: str  # the credential's id (urn:uuid:...)
    organisation_id: str
    achievement_version_id: str
    credential_json: str  # exact signed text; never changes after issuance
    issued_at: datetime
    status_list_id: str | None = None
    status_index: int | None = None
    recipient_email_hash: str | None = None  # "sha256$..." as in the credential
    recipient_did: str | None = None
    idempotency_key: str | None = None  # unique per organisation
    request_digest: str | None = None  # SHA-256 of the issuing request, to detect key reuse
    job_id: str | None = None
    supersedes: str | None = None  # re-issue bound to a DID: the credential it replaces
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    suspended_at: datetime | None = None  # suspended now (cleared when reinstated)
    suspension_reason: str | None = None


@dataclass(frozen=True, slots=True)
class IssuanceJob:
    id: str
    organisation_id: str
    achievement_version_id: str
    status: JobStatus
    dry_run: bool
    total: int
    issued: int
    invalid: int
    created_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class JobRow:
    job_id: str
    line: int  # 1-based line number in the upload (header = line 1 for CSV)
    idempotency_key: str
    payload: dict[str, Any]  # the parsed row
    status: RowStatus
    error: str | None = None
    credential_id: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    password_hash: str  # argon2id
    kind: UserKind
    created_at: datetime
    did: str | None = None  # a learner's DID, once claimed


@dataclass(frozen=True, slots=True)
class Membership:
    user_id: str
    organisation_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    user_id: str
    token_hash: str  # SHA-256 hex of the secret; the secret is shown once
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    organisation_id: str | None = None  # tokens act for one organisation (or none)
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Endorsement:
    id: str  # the EndorsementCredential id
    endorser_organisation_id: str
    subject_id: str  # what is endorsed: an organisation DID/URL, an achievement id, a credential id
    credential_json: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Challenge:
    value: str
    domain: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A page of results with the total count."""

    items: list[Any] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    """A single-use link that lets the e-mail recipient of a credential bind it to a DID."""

    token_hash: str  # SHA-256 hex of the secret token; the token itself is only mailed
    credential_id: str  # the credential issued to the e-mail address
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    claimed_credential_id: str | None = None  # the re-issue bound to the learner's DID


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An e-mail written in the transaction that caused it, sent after that commits."""

    id: str
    recipient: str
    subject: str
    text: str  # plain-text body (cleared once sent: it may hold a claim link)
    html: str  # HTML body (same)
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None
