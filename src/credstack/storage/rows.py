"""Row classes: one table per platform record (:mod:`credstack.platform.domain`).

Rows are storage detail: repositories convert them to and from the frozen domain records and
never hand them out.  JSON payloads are kept as text (exact round trip on every database),
bytes as ``LargeBinary``, datetimes as UTC (:class:`~credstack.storage.base.UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from credstack.storage.base import Base

_ORG_FK = "organisations.id"
# On SQLite an INTEGER PRIMARY KEY is the rowid itself (no second index to keep up).
_BIG_KEY = BigInteger().with_variant(Integer(), "sqlite")


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    slug: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(Text)
    did: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String)
    address_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None]


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("organisation_id", "fragment"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), index=True)
    fragment: Mapped[str] = mapped_column(String)
    public_key_multibase: Mapped[str] = mapped_column(Text)
    encrypted_secret: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16))
    activated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    compromised_since: Mapped[datetime | None]


class PlatformKeyRow(Base):
    """Keys of the platform's own DID (``did:web:<host>``), like an organisation's."""

    __tablename__ = "platform_keys"
    __table_args__ = (UniqueConstraint("fragment"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    fragment: Mapped[str] = mapped_column(String)
    public_key_multibase: Mapped[str] = mapped_column(Text)
    encrypted_secret: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16))
    activated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    compromised_since: Mapped[datetime | None]


class AchievementVersionRow(Base):
    __tablename__ = "achievement_versions"
    __table_args__ = (UniqueConstraint("achievement_id", "version"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    achievement_id: Mapped[str] = mapped_column(String)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    data_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class StatusListRow(Base):
    __tablename__ = "status_lists"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), index=True)
    purpose: Mapped[str] = mapped_column(String)
    size: Mapped[int]
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    allocated: Mapped[int]
    version: Mapped[int]
    updated_at: Mapped[datetime]
    index_seed: Mapped[bytes] = mapped_column(LargeBinary)


class IssuanceJobRow(Base):
    __tablename__ = "issuance_jobs"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), index=True)
    achievement_version_id: Mapped[str] = mapped_column(ForeignKey("achievement_versions.id"))
    status: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool]
    total: Mapped[int]
    issued: Mapped[int]
    invalid: Mapped[int]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class IssuedCredentialRow(Base):
    __tablename__ = "issued_credentials"
    __table_args__ = (
        UniqueConstraint("organisation_id", "idempotency_key"),
        UniqueConstraint("status_list_id", "status_index"),
        Index("ix_issued_credentials_organisation_issued", "organisation_id", "issued_at"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK))
    achievement_version_id: Mapped[str] = mapped_column(ForeignKey("achievement_versions.id"))
    credential_json: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    status_list_id: Mapped[str | None] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int | None]
    recipient_email_hash: Mapped[str | None] = mapped_column(String, index=True)
    recipient_did: Mapped[str | None] = mapped_column(String, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String)
    request_digest: Mapped[str | None] = mapped_column(String)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("issuance_jobs.id"))
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)


class JobRowRow(Base):
    __tablename__ = "job_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "idempotency_key"),
        Index("ix_job_rows_job_status_line", "job_id", "status", "line"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("issuance_jobs.id"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    idempotency_key: Mapped[str] = mapped_column(String)
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    email: Mapped[str] = mapped_column(String, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    did: Mapped[str | None] = mapped_column(Text)


class MembershipRow(Base):
    __tablename__ = "memberships"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String, unique=True)
    scopes_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey(_ORG_FK))
    revoked_at: Mapped[datetime | None]


class EndorsementRow(Base):
    __tablename__ = "endorsements"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    endorser_organisation_id: Mapped[str] = mapped_column(ForeignKey(_ORG_FK), index=True)
    subject_id: Mapped[str] = mapped_column(String, index=True)
    credential_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ChallengeRow(Base):
    __tablename__ = "challenges"

    value: Mapped[str] = mapped_column(String, primary_key=True)
    domain: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ClaimRow(Base):
    __tablename__ = "claims"

    token_hash: Mapped[str] = mapped_column(String, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    claimed_credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))


class OutboxMessageRow(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_sent_created", "sent_at", "created_at"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


# the transparency log (docs/transparency-log.md): append-only, no row is ever changed --------


class LogLeafRow(Base):
    """A log leaf; ``leaf_index`` is the primary key, so two appenders of one index clash."""

    __tablename__ = "log_leaves"

    leaf_index: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    event: Mapped[int] = mapped_column(SmallInteger)
    digest: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    credential_id: Mapped[str | None] = mapped_column(String, index=True)
    created_at: Mapped[datetime]


class LogNodeRow(Base):
    """The hash of the perfect subtree ``(level, node_index)``; level 0 are leaf hashes."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogCheckpointRow(Base):
    """A signed tree head (the log's checkpoint note, without cosignatures)."""

    __tablename__ = "log_checkpoints"

    tree_size: Mapped[int] = mapped_column(_BIG_KEY, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LogCosignatureRow(Base):
    """A witness's cosignature line on one checkpoint."""

    __tablename__ = "log_cosignatures"

    tree_size: Mapped[int] = mapped_column(
        _BIG_KEY, ForeignKey("log_checkpoints.tree_size"), primary_key=True, autoincrement=False
    )
    witness: Mapped[str] = mapped_column(String, primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class DidDocumentVersionRow(Base):
    """The DID document recorded by the ``DID document`` leaf ``leaf_index`` (JSON text)."""

    __tablename__ = "did_document_versions"
    __table_args__ = (Index("ix_did_document_versions_did_leaf_index", "did", "leaf_index"),)

    leaf_index: Mapped[int] = mapped_column(
        _BIG_KEY, ForeignKey("log_leaves.leaf_index"), primary_key=True, autoincrement=False
    )
    did: Mapped[str] = mapped_column(Text)
    digest: Mapped[bytes] = mapped_column(LargeBinary)
    document: Mapped[str] = mapped_column(Text)
    logged_at: Mapped[datetime]


class LogAnchorRow(Base):
    """A tree head anchored in a public-chain transaction (``credstack.log.anchor``)."""

    __tablename__ = "log_anchors"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tx_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[bytes] = mapped_column(LargeBinary)
    origin: Mapped[str] = mapped_column(Text)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    anchored_at: Mapped[datetime]


# the Open Badges API's OAuth state (:mod:`credstack.platform.oauth`) ------------------------


class OAuthClientRow(Base):
    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String)
    metadata_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OAuthCodeRow(Base):
    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String, primary_key=True)
    client_id: Mapped[str] = mapped_column(String)
    user_id: Mapped[str] = mapped_column(String)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes_json: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    grant_id: Mapped[str] = mapped_column(String)
    used_at: Mapped[datetime | None]


class OAuthTokenRow(Base):
    __tablename__ = "oauth_tokens"

    token_hash: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    grant_id: Mapped[str] = mapped_column(String, index=True)
    client_id: Mapped[str] = mapped_column(String)
    user_id: Mapped[str] = mapped_column(String)
    scopes_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LearnerCredentialRow(Base):
    __tablename__ = "learner_credentials"

    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(String, primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    is_jws: Mapped[bool]
    stored_at: Mapped[datetime]


class LearnerProfileRow(Base):
    __tablename__ = "learner_profiles"

    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    profile_json: Mapped[str] = mapped_column(Text)
