"""Request bodies of the HTTP API (pydantic models; they also describe the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from credstack.platform.domain import Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewAccount(_Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class Login(_Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    scopes: list[str] | None = Field(default=None, max_length=8)


class RevokeToken(_Strict):
    token: str = Field(max_length=200)


class NewOrganisation(_Strict):
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=2048)
    email: str | None = Field(default=None, max_length=254)
    image: str | None = Field(default=None, max_length=2048)
    country: str | None = Field(default=None, max_length=2)


class NewOrgToken(_Strict):
    scopes: list[str] = Field(max_length=8)
    expires_in_days: int = Field(default=90, ge=1, le=366)


class NewMember(_Strict):
    email: str = Field(max_length=254)
    role: Role


class IssueFromAchievement(_Strict):
    """One credential from a published achievement version (``IssueRequest``'s fields)."""

    achievement_version_id: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=254)
    did: str | None = Field(default=None, max_length=2048)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    narrative: str | None = Field(default=None, max_length=10_000)
    evidence_url: str | None = Field(default=None, max_length=2048)
    idempotency_key: str | None = Field(default=None, max_length=128)
    result_value: str | None = Field(default=None, min_length=1, max_length=256)


class Revocation(_Strict):
    reason: str | None = Field(default=None, max_length=1000)


class Suspension(_Strict):
    reason: str = Field(min_length=1, max_length=500, description="recorded with the suspension")


class IssueOptions(BaseModel):
    # the OAS closes options; the W3C suites send type/cryptosuite too, so extras are ignored
    model_config = ConfigDict(extra="ignore")
    credentialId: str | None = Field(default=None, max_length=2048)


class IssueCredentialBody(BaseModel):
    """VC-API ``IssueCredentialRequest``."""

    credential: dict[str, Any]
    options: IssueOptions | None = None


class VerifyCredentialBody(BaseModel):
    """VC-API ``VerifyCredentialRequest``."""

    verifiableCredential: dict[str, Any] | str
    options: dict[str, Any] | None = None


class PresentationOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    challenge: str = Field(max_length=256)
    domain: str = Field(max_length=256)


class VerifyPresentationBody(BaseModel):
    """VC-API ``VerifyPresentationRequest`` (a signed presentation bound to a challenge)."""

    verifiablePresentation: dict[str, Any]
    options: PresentationOptions


class NewChallenge(BaseModel):
    domain: str | None = Field(default=None, max_length=256)
