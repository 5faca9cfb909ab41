"""Claiming: the e-mail recipient of a credential binds it to a DID with the mailed link.

Claiming issues a *new* credential from the same achievement version whose
``credentialSubject.id`` is the learner's DID and whose record ``supersedes`` the original.
The original stays valid (it is not revoked): the learner keeps both.  A claim is consumed
once; expired, used and unknown tokens are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from credstack.errors import InvalidInput, InvalidState, NotFound
from credstack.platform.domain import Claim, IssuedCredential, User, UserKind
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody
from credstack.platform.notify import hash_token
from credstack.platform.ports import UnitOfWork

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}\Z")
_SUBJECT_KEYS = frozenset({"id", "type", "identifier", "achievement", "narrative"})


class ClaimGone(InvalidState):
    """The claim exists but can no longer be used (expired, or used already)."""


@dataclass(frozen=True, slots=True)
class ClaimView:
    """What the claim page shows: the claim and the credential it is for."""

    claim: Claim
    credential: IssuedCredential
    achievement_name: str
    issuer_name: str


@dataclass(frozen=True, slots=True)
class ClaimResult:
    original: IssuedCredential
    claimed: IssuedCredential


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def find_claim(uow: UnitOfWork, token: str, *, at: datetime) -> ClaimView:
    """The usable claim of ``token``: :class:`NotFound` if unknown, :class:`ClaimGone` if
    expired or used."""
    claim = uow.claims.get(hash_token(token)) if _TOKEN.match(token) else None
    if claim is None:
        raise NotFound("no such claim link")
    if claim.used_at is not None:
        raise ClaimGone("this claim link was used already")
    if at >= claim.expires_at:
        raise ClaimGone("this claim link has expired")
    credential = uow.credentials.get(claim.credential_id)
    if credential is None:  # references are enforced; this is a broken store
        raise NotFound("no such claim link")
    document: dict[str, Any] = json.loads(credential.credential_json)
    issuer = document.get("issuer")
    subject = document.get("credentialSubject", {})
    return ClaimView(
        claim=claim,
        credential=credential,
        achievement_name=str(subject.get("achievement", {}).get("name", document.get("name"))),
        issuer_name=str(
            issuer.get("name", issuer.get("id")) if isinstance(issuer, dict) else issuer
        ),
    )


def _reissue_request(original: IssuedCredential, did: str) -> IssueRequest:
    """The original credential's request, for ``did`` instead of the e-mail address."""
    document: dict[str, Any] = json.loads(original.credential_json)
    subject: dict[str, Any] = document.get("credentialSubject", {})
    evidence = document.get("evidence")
    evidence_url = None
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], dict):
        evidence_url = evidence[0].get("id")
    return IssueRequest(
        did=did,
        valid_from=_parse_time(document.get("validFrom")),
        valid_until=_parse_time(document.get("validUntil")),
        narrative=subject.get("narrative"),
        evidence_url=evidence_url,
        extra_subject={k: v for k, v in subject.items() if k not in _SUBJECT_KEYS},
    )


def claim_with_did(
    uow: UnitOfWork,
    custody: KeyCustody,
    token: str,
    did: str,
    *,
    base_url: str,
    at: datetime,
) -> ClaimResult:
    """Consume the claim and issue the credential again, bound to ``did``."""
    view = find_claim(uow, token, at=at)
    original = view.credential
    organisation = uow.organisations.get(original.organisation_id)
    version = uow.achievements.get_version(original.achievement_version_id)
    if organisation is None or version is None:
        raise NotFound("no such claim link")
    request = _reissue_request(original, did)
    request.check()
    claimed = Issuer(uow, custody, organisation, base_url).issue(
        version, request, at=at, supersedes=original.id
    )
    if uow.claims.consume(view.claim.token_hash, at, claimed.id) is None:
        raise ClaimGone("this claim link was used already")  # a concurrent claim won
    return ClaimResult(original=original, claimed=claimed)


def claim_for_user(
    uow: UnitOfWork,
    custody: KeyCustody,
    token: str,
    user: User,
    *,
    did: str | None,
    base_url: str,
    at: datetime,
) -> ClaimResult:
    """Claim for a learner account: with its DID (a first DID given here is recorded)."""
    if user.kind is not UserKind.LEARNER:
        raise InvalidInput("only learner accounts claim credentials")
    chosen = did or user.did
    if chosen is None:
        raise InvalidInput("give a DID: this account has none yet")
    if user.did is not None and did is not None and did != user.did:
        raise InvalidInput("this account is bound to another DID")
    result = claim_with_did(uow, custody, token, chosen, base_url=base_url, at=at)
    if user.did is None:
        uow.users.update(replace(user, did=chosen))
    return result
