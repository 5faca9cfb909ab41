"""A learner's skill profile: skills proven by verified credentials, kept apart from the
skills the learner declares.

Each proven skill is traced to the credentials whose achievement is aligned to it (the skills
alignment rule, ``docs/eu-elements.md``: ``targetUrl`` is the framework concept URI), with the
issuer and the date.  Only credentials that passed verification may be given here: the
caller verifies (:class:`credstack.verify.verifier.Verifier`) and passes the survivors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from credstack.errors import InvalidInput
from credstack.platform.achievement_design import ELEMENT_TARGET_TYPES

__all__ = ["Proof", "SkillProfile", "alignments_of", "build_profile"]

MAX_DECLARED = 1000


@dataclass(frozen=True, slots=True)
class Proof:
    """One credential that proves a skill."""

    credential_id: str
    achievement: str
    issuer_id: str
    issuer_name: str
    awarded: str  # the credential's awardedDate or validFrom, as written


@dataclass(frozen=True, slots=True)
class SkillProfile:
    verified: Mapping[str, tuple[Proof, ...]]  # skill URI -> proofs
    labels: Mapping[str, str]  # skill URI -> label (from the alignments or the framework)
    declared: frozenset[str] = field(default_factory=frozenset)  # self-declared, unproven

    @property
    def proven(self) -> frozenset[str]:
        return frozenset(self.verified)

    @property
    def all_skills(self) -> frozenset[str]:
        return self.proven | self.declared

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": [
                {
                    "uri": uri,
                    "label": self.labels.get(uri, uri),
                    "proofs": [
                        {
                            "credential": p.credential_id,
                            "achievement": p.achievement,
                            "issuer": {"id": p.issuer_id, "name": p.issuer_name},
                            "awarded": p.awarded,
                        }
                        for p in proofs
                    ],
                }
                for uri, proofs in sorted(self.verified.items())
            ],
            "declared": [
                {"uri": uri, "label": self.labels.get(uri, uri)}
                for uri in sorted(self.declared - self.proven)
            ],
        }


def alignments_of(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The skill alignments of a credential's achievement (outcome alignments included; EU
    element alignments such as the EQF level left out)."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        return []
    found: list[Any] = list(_as_list(achievement.get("alignment")))
    for outcome in _as_list(achievement.get("resultDescription")):
        if isinstance(outcome, dict):
            found.extend(_as_list(outcome.get("alignment")))
    return [
        a
        for a in found
        if isinstance(a, dict)
        and isinstance(a.get("targetUrl"), str)
        and a.get("targetType") not in ELEMENT_TARGET_TYPES
    ]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _issuer(credential: Mapping[str, Any]) -> tuple[str, str]:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        ident = str(issuer.get("id", ""))
        return ident, str(issuer.get("name", ident))
    return str(issuer or ""), str(issuer or "")


def build_profile(
    verified_credentials: Iterable[Mapping[str, Any]],
    *,
    declared: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
) -> SkillProfile:
    """The profile proven by ``verified_credentials`` (already verified by the caller), plus
    ``declared`` skill URIs (shown apart, never counted as proven)."""
    proofs: dict[str, list[Proof]] = {}
    names: dict[str, str] = dict(labels or {})
    for credential in verified_credentials:
        if not isinstance(credential, Mapping):
            raise InvalidInput("a credential must be a JSON object")
        issuer_id, issuer_name = _issuer(credential)
        subject = credential.get("credentialSubject")
        achievement = subject.get("achievement", {}) if isinstance(subject, dict) else {}
        proof = Proof(
            credential_id=str(credential.get("id", "")),
            achievement=str(achievement.get("name", "")) if isinstance(achievement, dict) else "",
            issuer_id=issuer_id,
            issuer_name=issuer_name,
            awarded=str(credential.get("awardedDate") or credential.get("validFrom") or ""),
        )
        for alignment in alignments_of(credential):
            uri = alignment["targetUrl"]
            listed = proofs.setdefault(uri, [])
            if proof not in listed:
                listed.append(proof)
            name = alignment.get("targetName")
            if isinstance(name, str) and uri not in names:
                names[uri] = name
    declared_set = frozenset(declared)
    if len(declared_set) > MAX_DECLARED:
        raise InvalidInput(f"at most {MAX_DECLARED} self-declared skills")
    return SkillProfile(
        verified={uri: tuple(p) for uri, p in proofs.items()},
        labels=names,
        declared=declared_set,
    )
