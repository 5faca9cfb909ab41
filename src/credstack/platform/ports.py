"""Ports: what the services need from storage.  ``credstack.storage`` implements them with
SQLAlchemy (SQLite or PostgreSQL) and in memory; services depend only on these protocols.

Rules every implementation keeps:
* repositories never commit; :class:`UnitOfWork` commits or rolls back, and only the edges
  (API request, CLI command, job runner step) call it;
* ``get_*`` returns ``None`` when absent; ``add_*`` raises
  :class:`credstack.errors.Conflict` on a unique-key clash (slug, idempotency key, …);
* ``update_*`` with an expected ``version`` raises :class:`credstack.errors.Conflict` when the
  stored version differs (optimistic concurrency);
* there is no delete for issued credentials, keys or status lists;
* the transparency log (:class:`LogRepository`) is append-only: it has no update or delete
  at all, and leaf indexes are dense (a clash with a concurrent appender is a ``Conflict``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from credstack.log.anchor import AnchorRecord
from credstack.platform.domain import (
    AchievementVersion,
    ApiToken,
    Challenge,
    Claim,
    Endorsement,
    IssuanceJob,
    IssuedCredential,
    JobRow,
    Membership,
    Organisation,
    OutboxMessage,
    SigningKey,
    StatusList,
    User,
)


class OrganisationRepository(Protocol):
    def add(self, organisation: Organisation) -> None: ...
    def get(self, organisation_id: str) -> Organisation | None: ...
    def get_by_slug(self, slug: str) -> Organisation | None: ...
    def update(self, organisation: Organisation) -> None: ...
    def list(self) -> list[Organisation]: ...


class KeyRepository(Protocol):
    def add(self, key: SigningKey) -> None: ...
    def update(self, key: SigningKey) -> None: ...
    def for_organisation(self, organisation_id: str) -> list[SigningKey]:
        """Every key of the organisation, oldest first."""
        ...


class AchievementRepository(Protocol):
    def add(self, version: AchievementVersion) -> None: ...
    def update(self, version: AchievementVersion) -> None: ...
    def get_version(self, version_id: str) -> AchievementVersion | None: ...
    def versions(self, achievement_id: str) -> list[AchievementVersion]:
        """Every version of one achievement, version 1 first."""
        ...

    def for_organisation(self, organisation_id: str) -> list[AchievementVersion]:
        """The latest version of each achievement of the organisation."""
        ...


class CredentialRepository(Protocol):
    def add(self, credential: IssuedCredential) -> None: ...
    def add_many(self, credentials: Sequence[IssuedCredential]) -> None: ...
    def get(self, credential_id: str) -> IssuedCredential | None: ...
    def get_by_idempotency_key(self, organisation_id: str, key: str) -> IssuedCredential | None: ...
    def get_by_idempotency_keys(
        self, organisation_id: str, keys: Sequence[str]
    ) -> dict[str, IssuedCredential]:
        """The credentials already issued under any of ``keys`` (one query), by key."""
        ...

    def mark_revoked(self, credential_id: str, at: datetime, reason: str | None) -> None: ...
    def mark_suspended(self, credential_id: str, at: datetime, reason: str) -> None:
        """Record a suspension; while suspended, suspending again keeps the first time and
        reason."""
        ...

    def mark_reinstated(self, credential_id: str) -> None:
        """Clear the suspension's time and reason (nothing to do when not suspended)."""
        ...

    def for_organisation(
        self, organisation_id: str, *, limit: int, offset: int
    ) -> tuple[list[IssuedCredential], int]: ...
    def for_recipient(
        self, *, email_hash: str | None = None, did: str | None = None
    ) -> list[IssuedCredential]: ...


class StatusListRepository(Protocol):
    def add(self, status_list: StatusList) -> None: ...
    def get(self, status_list_id: str) -> StatusList | None: ...
    def open_list(self, organisation_id: str, purpose: str) -> StatusList | None:
        """A list of the organisation with free entries (allocated < size), if any."""
        ...

    def update(self, status_list: StatusList, *, expected_version: int) -> None: ...


class JobRepository(Protocol):
    def add(self, job: IssuanceJob) -> None: ...
    def get(self, job_id: str) -> IssuanceJob | None: ...
    def update(self, job: IssuanceJob) -> None: ...
    def for_organisation(self, organisation_id: str) -> list[IssuanceJob]: ...
    def unfinished(self) -> list[IssuanceJob]:
        """Jobs (not dry runs) still pending or running, oldest first: to resume on start."""
        ...

    def add_rows(self, rows: Sequence[JobRow]) -> None: ...
    def update_rows(self, rows: Sequence[JobRow]) -> None: ...
    def pending_rows(self, job_id: str, *, limit: int, after_line: int = -1) -> list[JobRow]:
        """Rows still pending after line ``after_line``, lowest line first."""
        ...

    def rows(self, job_id: str, *, status: str | None = None) -> Iterator[JobRow]: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def update(self, user: User) -> None: ...
    def add_membership(self, membership: Membership) -> None: ...
    def memberships(self, user_id: str) -> list[Membership]: ...
    def members(self, organisation_id: str) -> list[Membership]:
        """The organisation's memberships, by user id."""
        ...


class TokenRepository(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: str) -> ApiToken | None: ...
    def get_by_hash(self, token_hash: str) -> ApiToken | None: ...
    def for_user(self, user_id: str) -> list[ApiToken]:
        """The user's tokens, newest first."""
        ...

    def update(self, token: ApiToken) -> None: ...


class EndorsementRepository(Protocol):
    def add(self, endorsement: Endorsement) -> None: ...
    def get(self, endorsement_id: str) -> Endorsement | None: ...
    def for_subject(self, subject_id: str) -> list[Endorsement]: ...
    def by_endorser(self, organisation_id: str) -> list[Endorsement]: ...


class ChallengeRepository(Protocol):
    def add(self, challenge: Challenge) -> None: ...
    def consume(self, value: str, at: datetime) -> Challenge | None:
        """Mark the challenge used and return it, or ``None`` if unknown, expired or used
        already (atomic: a challenge is consumed once)."""
        ...


class ClaimRepository(Protocol):
    def add(self, claim: Claim) -> None: ...
    def add_many(self, claims: Sequence[Claim]) -> None: ...
    def get(self, token_hash: str) -> Claim | None: ...
    def consume(self, token_hash: str, at: datetime, claimed_credential_id: str) -> Claim | None:
        """Mark the claim used by ``claimed_credential_id`` and return it, or ``None`` if
        unknown, expired or used already (atomic: a claim is consumed once)."""
        ...


class OutboxRepository(Protocol):
    def add(self, message: OutboxMessage) -> None: ...
    def add_many(self, messages: Sequence[OutboxMessage]) -> None: ...
    def get(self, message_id: str) -> OutboxMessage | None: ...
    def update(self, message: OutboxMessage) -> None: ...
    def pending(self, *, limit: int, max_attempts: int) -> list[OutboxMessage]:
        """Unsent messages tried fewer than ``max_attempts`` times, oldest first."""
        ...


class PlatformKeyRepository(Protocol):
    """Keys of the platform's own DID; records carry ``organisation_id == PLATFORM_ID``."""

    def add(self, key: SigningKey) -> None: ...
    def update(self, key: SigningKey) -> None: ...
    def all(self) -> list[SigningKey]:
        """Every platform key, oldest (by ``activated_at``) first."""
        ...


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One leaf of the transparency log (``credstack.log.leaf``): its position, bytes and
    RFC 9162 leaf hash, plus lookup columns taken from it (event type, digest) and the
    credential it concerns, if any (never part of the leaf bytes)."""

    index: int
    leaf: bytes
    leaf_hash: bytes
    event: int
    digest: bytes
    credential_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LogCheckpoint:
    """A signed tree head: the C2SP checkpoint note signed by the log (no cosignatures)."""

    size: int
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LogCosignature:
    """A witness's C2SP cosignature line (``— <name> <base64>\\n``) on checkpoint ``size``."""

    size: int
    witness: str
    line: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class DidDocumentVersion:
    """A DID document version the log recorded: the JSON document, its
    ``did_document_digest``, and the index of its ``DID document`` leaf."""

    index: int
    did: str
    digest: bytes
    document: dict[str, Any]
    logged_at: datetime


class LogRepository(Protocol):
    """The append-only transparency log: leaves, Merkle nodes, checkpoints, cosignatures,
    the DID document versions behind its ``DID document`` leaves and public-chain anchors.

    There is deliberately no update or delete.  ``append`` takes the leaves ``size() ..
    size() + n - 1`` (dense, in order) with the Merkle nodes they complete; a leaf index or
    node already present (a concurrent appender) is a :class:`~credstack.errors.Conflict`.
    """

    def reserve(self) -> int:
        """Take the log for appending until this unit of work ends (other appenders wait;
        PostgreSQL: a transaction-scoped advisory lock); returns its size."""
        ...

    def size(self) -> int:
        """The number of leaves (the next leaf's index)."""
        ...

    def append(
        self, leaves: Sequence[LogEntry], nodes: Sequence[tuple[int, int, bytes]]
    ) -> None: ...
    def nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hashes at ``(level, index)`` keys, in order (one query); NotFound if one is absent."""
        ...

    def leaf(self, index: int) -> LogEntry | None: ...
    def leaves(self, start: int, end: int) -> list[LogEntry]:
        """Leaves ``start <= index < end`` (at most 10,000), by index."""
        ...

    def find(
        self, *, credential_id: str | None = None, digest: bytes | None = None
    ) -> list[LogEntry]:
        """Leaves about ``credential_id``, or with event ``digest``, by index (at most 100)."""
        ...

    def add_checkpoint(self, checkpoint: LogCheckpoint) -> None: ...
    def latest_checkpoint(self) -> LogCheckpoint | None:
        """The checkpoint of the largest tree size."""
        ...

    def checkpoint(self, size: int) -> LogCheckpoint | None: ...
    def add_cosignature(self, cosignature: LogCosignature) -> None:
        """Conflict if the witness already cosigned that size."""
        ...

    def cosignatures(self, size: int) -> list[LogCosignature]:
        """The cosignatures of checkpoint ``size``, by witness name."""
        ...

    def add_did_document(self, version: DidDocumentVersion) -> None:
        """Store the document of the ``DID document`` leaf ``version.index`` (which must
        exist); Conflict if that leaf already has one."""
        ...

    def did_document(self, did: str, *, before: int | None = None) -> DidDocumentVersion | None:
        """The latest stored version of ``did``'s document (with ``before``: the latest whose
        leaf index is smaller)."""
        ...

    def add_anchor(self, record: AnchorRecord) -> None:
        """Store a public-chain anchor; Conflict for the same (chain id, transaction) again,
        InvalidInput for a chain id beyond 2^63-1."""
        ...

    def latest_anchor(self, *, max_size: int | None = None) -> AnchorRecord | None:
        """The anchor of the largest tree size (at most ``max_size``), newest first on ties."""
        ...

    def first_anchor(self, *, min_size: int) -> AnchorRecord | None:
        """The anchor of the smallest tree size of at least ``min_size``, oldest on ties."""
        ...

    def anchors(self, *, limit: int, offset: int = 0) -> list[AnchorRecord]:
        """Anchors, largest tree size (then newest) first; ``limit`` at most 10,000."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    organisations: OrganisationRepository
    keys: KeyRepository
    achievements: AchievementRepository
    credentials: CredentialRepository
    status_lists: StatusListRepository
    jobs: JobRepository
    users: UserRepository
    tokens: TokenRepository
    endorsements: EndorsementRepository
    challenges: ChallengeRepository
    claims: ClaimRepository
    outbox: OutboxRepository
    platform_keys: PlatformKeyRepository
    log: LogRepository

    def commit(self) -> None: ...
    def rollback(self) -> None: ...
