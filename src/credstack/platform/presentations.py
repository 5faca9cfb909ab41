"""Verifiable Presentations: one-time challenges, a learner's wallet signing a presentation,
and checking one against the challenge it answers.

An employer (or any VC-API client) asks this server for a challenge bound to a domain
(:func:`new_challenge`).  The learner's wallet puts the chosen credentials, exactly as
received, into a presentation whose ``holder`` is the learner's wallet DID and signs it with
proof purpose ``authentication`` over that challenge and domain (:func:`build_presentation`).
The verifier consumes the challenge first (:func:`consume_challenge`: each works once, so a
replayed presentation is refused), then checks the holder's signature, the challenge and
domain inside the proof, and every credential with its status
(:func:`verify_presentation`).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credstack._json import parse_json
from credstack.crypto.keys import KeyPair
from credstack.errors import ConfigurationError, InvalidInput
from credstack.jsonld.loader import CREDENTIALS_V2
from credstack.platform.domain import Challenge
from credstack.platform.keys import KeyCustody
from credstack.platform.ports import UnitOfWork
from credstack.platform.wallet import LearnerKey
from credstack.proofs.dataintegrity import add_proof
from credstack.verify.report import VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "CHALLENGE_TTL",
    "MAX_BUILT_BYTES",
    "MAX_PRESENTATION_BYTES",
    "MAX_PRESENTED",
    "REQUEST_TTL",
    "Answer",
    "build_presentation",
    "check_challenge",
    "consume_challenge",
    "new_challenge",
    "open_learner_key",
    "parse_presentation",
    "presentation_answer",
    "verify_presentation",
]

#: how long a challenge from ``POST /challenges`` lasts (a program answers at once)
CHALLENGE_TTL = timedelta(minutes=5)
#: how long an employer's verification request lasts (a person answers it)
REQUEST_TTL = timedelta(days=7)
#: the largest presentation built or read
MAX_PRESENTATION_BYTES = 5 * 1024 * 1024
#: the largest presentation the wallet builds (as indented JSON): room below the reading limit
#: for the line breaks a browser form turns into CR LF
MAX_BUILT_BYTES = 4 * 1024 * 1024
#: the most credentials in one presentation
MAX_PRESENTED = 20
_MAX_DOMAIN = 256
_MAX_CHALLENGE = 256
_USED = (
    "the challenge was already used, has expired, or was not issued by this server for this "
    "domain (each challenge works once)"
)


def new_challenge(
    uow: UnitOfWork, *, domain: str, at: datetime, ttl: timedelta = CHALLENGE_TTL
) -> Challenge:
    """A fresh random challenge for ``domain``, stored to be consumed once before ``at + ttl``."""
    domain = domain.strip()
    if not domain or len(domain) > _MAX_DOMAIN:
        raise InvalidInput(f"a domain is 1 to {_MAX_DOMAIN} characters")
    created = Challenge(
        value=secrets.token_urlsafe(24), domain=domain, created_at=at, expires_at=at + ttl
    )
    uow.challenges.add(created)
    return created


def consume_challenge(uow: UnitOfWork, value: str, *, at: datetime) -> Challenge | None:
    """Use up the challenge ``value`` (``None`` when unknown, expired or used already).
    Commit the unit of work before verifying anything, so that a replay finds it used, then
    pass the result to :func:`check_challenge`."""
    return uow.challenges.consume(value, at) if 0 < len(value) <= _MAX_CHALLENGE else None


def check_challenge(consumed: Challenge | None, *, domain: str) -> Challenge:
    """The consumed challenge, if it was issued for ``domain``; otherwise :class:`InvalidInput`
    (code ``INVALID_CHALLENGE_ERROR``)."""
    if consumed is None or consumed.domain != domain:
        raise InvalidInput(_USED, code="INVALID_CHALLENGE_ERROR")
    return consumed


def open_learner_key(custody: KeyCustody, key: LearnerKey) -> KeyPair:
    """The signing key of a learner's wallet DID (sealed with its DID as associated data, as
    :func:`credstack.web.wallet_keys.new_learner_key` seals it)."""
    seed = custody.open_seed(key.sealed_seed, key.kek_id, key.did, name=f"the wallet key {key.did}")
    pair = KeyPair(seed, controller=key.did)
    if pair.did_key != key.did:
        raise ConfigurationError(f"the wallet key {key.did} does not match its DID")
    return pair


def build_presentation(
    credentials: Sequence[Mapping[str, Any]],
    key: KeyPair,
    *,
    challenge: str,
    domain: str,
    at: datetime,
) -> dict[str, Any]:
    """A presentation of ``credentials`` (kept exactly as given) whose holder is the DID of
    ``key``, signed by it (eddsa-rdfc-2022, proof purpose ``authentication``) over
    ``challenge`` and ``domain``."""
    challenge, domain = challenge.strip(), domain.strip()
    if not challenge or len(challenge) > _MAX_CHALLENGE:
        raise InvalidInput("the challenge is missing: open the link the employer sent")
    if not domain or len(domain) > _MAX_DOMAIN:
        raise InvalidInput("the domain is missing: open the link the employer sent")
    if not credentials:
        raise InvalidInput("choose at least one credential to present")
    if len(credentials) > MAX_PRESENTED:
        raise InvalidInput(f"a presentation holds at most {MAX_PRESENTED} credentials")
    holder = key.did_key
    presentation: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [dict(c) for c in credentials],
    }
    if len(json.dumps(presentation, indent=2).encode()) > MAX_BUILT_BYTES:
        raise InvalidInput(
            f"the chosen credentials are over {MAX_BUILT_BYTES // 1_048_576} MB together: "
            "choose fewer"
        )
    return add_proof(
        presentation,
        key,
        created=at,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def parse_presentation(data: bytes | str) -> dict[str, Any]:
    """A presentation read from text: :class:`InvalidInput` with a plain message when it is
    over :data:`MAX_PRESENTATION_BYTES`, not JSON, or not a signed presentation."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_PRESENTATION_BYTES:
        raise InvalidInput(
            f"the presentation is over the limit of {MAX_PRESENTATION_BYTES // 1_048_576} MB",
            code="INPUT_TOO_LARGE",
        )
    if not raw.strip():
        raise InvalidInput("paste the presentation the candidate sent, or choose its file")
    value = parse_json(
        raw.lstrip(b"\xef\xbb\xbf"), what="the presentation", max_bytes=MAX_PRESENTATION_BYTES
    )
    if not isinstance(value, dict):
        raise InvalidInput("the presentation must be a JSON object")
    types = value.get("type")
    listed = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    if "VerifiablePresentation" not in listed:
        raise InvalidInput(
            "this is not a verifiable presentation (a single credential is checked on the "
            "Verify page)"
        )
    return value


@dataclass(frozen=True, slots=True)
class Answer:
    """The challenge and domain a presentation's authentication proof was signed over."""

    challenge: str
    domain: str | None


def presentation_answer(presentation: Mapping[str, Any]) -> Answer:
    """What the holder's proof answers; :class:`InvalidInput` when it is unsigned or bound to
    no challenge."""
    proof = presentation.get("proof")
    proofs = [proof] if isinstance(proof, dict) else proof if isinstance(proof, list) else []
    for item in proofs:
        if isinstance(item, dict) and item.get("proofPurpose") == "authentication":
            challenge, domain = item.get("challenge"), item.get("domain")
            if isinstance(challenge, str) and challenge:
                return Answer(challenge, domain if isinstance(domain, str) else None)
    raise InvalidInput(
        "the presentation is not signed over a challenge (proof purpose authentication): "
        "ask the candidate to answer your verification request with their wallet"
    )


def verify_presentation(
    verifier: Verifier,
    presentation: Mapping[str, Any],
    *,
    challenge: Challenge,
    at: datetime,
    status_lists: Mapping[str, dict[str, Any]],
) -> VerificationReport:
    """Verify a presentation answering the (already consumed) ``challenge``: the holder's
    signature over that challenge and its domain, and every credential with its status."""
    if presentation.get("proof") is None:
        raise InvalidInput("the presentation must be signed (proof purpose authentication)")
    options = VerifyOptions(
        at=at, status_lists=status_lists, challenge=challenge.value, domain=challenge.domain
    )
    return verifier.verify(dict(presentation), options)
