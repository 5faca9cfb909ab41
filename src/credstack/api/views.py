"""Records as API JSON (camelCase, RFC 3339 times); never a secret or a password hash."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from credstack.platform.domain import (
    AchievementVersion,
    ApiToken,
    IssuanceJob,
    IssuedCredential,
    JobRow,
    Organisation,
    SigningKey,
    User,
)
from credstack.proofs.dataintegrity import format_datetime


def when(at: datetime | None) -> str | None:
    return None if at is None else format_datetime(at)


def organisation(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "did": org.did,
        "url": org.url,
        "email": org.email,
        "image": org.image,
        "country": org.country,
        "createdAt": when(org.created_at),
    }


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "kind": u.kind.value, "createdAt": when(u.created_at)}


def token(t: ApiToken, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "scopes": sorted(t.scopes),
        "organisationId": t.organisation_id,
        "createdAt": when(t.created_at),
        "expiresAt": when(t.expires_at),
        "revokedAt": when(t.revoked_at),
    }
    if secret is not None:
        out["token"] = secret  # shown this once; only its SHA-256 is stored
    return out


def key(k: SigningKey, org: Organisation) -> dict[str, Any]:
    return {
        "id": k.id,
        "verificationMethod": f"{org.did}#{k.fragment}",
        "publicKeyMultibase": k.public_key_multibase,
        "status": k.status.value,
        "activatedAt": when(k.activated_at),
        "retiredAt": when(k.retired_at),
    }


def version(v: AchievementVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "achievementId": v.achievement_id,
        "version": v.version,
        "status": v.status.value,
        "data": v.data,
        "createdAt": when(v.created_at),
        "publishedAt": when(v.published_at),
    }


def credential(c: IssuedCredential, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "achievementVersionId": c.achievement_version_id,
        "issuedAt": when(c.issued_at),
        "recipientDid": c.recipient_did,
        "idempotencyKey": c.idempotency_key,
        "jobId": c.job_id,
        "revokedAt": when(c.revoked_at),
        "revocationReason": c.revocation_reason,
        "suspendedAt": when(c.suspended_at),
        "suspensionReason": c.suspension_reason,
    }
    if full:
        out["verifiableCredential"] = json.loads(c.credential_json)
    return out


def job(j: IssuanceJob) -> dict[str, Any]:
    done = j.issued + j.invalid
    return {
        "id": j.id,
        "achievementVersionId": j.achievement_version_id,
        "status": j.status.value,
        "dryRun": j.dry_run,
        "total": j.total,
        "issued": j.issued,
        "invalid": j.invalid,
        "pending": max(0, j.total - done),
        "progress": 1.0 if j.total == 0 else round(done / j.total, 4),
        "createdAt": when(j.created_at),
        "finishedAt": when(j.finished_at),
        "error": j.error,
    }


def job_row(r: JobRow) -> dict[str, Any]:
    return {
        "line": r.line,
        "status": r.status.value,
        "idempotencyKey": None if r.idempotency_key.startswith("\x00") else r.idempotency_key,
        "error": r.error,
        "credentialId": r.credential_id,
    }
