"""1EdTech Comprehensive Learner Record 2.0: the ``ClrCredential`` that bundles a pathway.

https://www.imsglobal.org/spec/clr/v2p0/ (data model; ``ClrSubject``, ``Association``) and the
Open Badges 3.0 implementation guide's CLR proof example
(https://www.imsglobal.org/spec/ob/v3p0/impl/#linked-data-proof-test-vector-for-clr): signing
is the same as for Open Badges, a Data Integrity proof with ``eddsa-rdfc-2022``
(https://www.w3.org/TR/vc-di-eddsa/#eddsa-rdfc-2022).  Every embedded credential keeps its
own issuer's proof; the CLR's proof covers the whole bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput
from credstack.jsonld.loader import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from credstack.proofs.dataintegrity import Cryptosuite, add_proof, format_datetime
from credstack.skills.pathways import BuildClr, Pathway, Progress
from credstack.verify.report import VerificationReport
from credstack.verify.verifier import Verifier, VerifyOptions

__all__ = [
    "ASSOCIATION_TYPES",
    "CLR_CONTEXT",
    "CLR_CONTEXTS",
    "CLR_SCHEMA",
    "Association",
    "ClrVerification",
    "build_clr",
    "clr_bundler",
    "pathway_associations",
    "sign_clr",
    "verify_clr",
]

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
#: the order the 1EdTech validator expects (docs/standards.md §2.1)
CLR_CONTEXTS = (CREDENTIALS_V2, CLR_CONTEXT, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS)
CLR_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
ASSOCIATION_TYPES = frozenset(
    {
        "exactMatchOf",
        "isChildOf",
        "isParentOf",
        "isPartOf",
        "isPeerOf",
        "isRelatedTo",
        "precedes",
        "replacedBy",
    }
)


@dataclass(frozen=True, slots=True)
class Association:
    """A CLR ``Association`` between two Achievements (by id)."""

    association_type: str
    source_id: str
    target_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "Association",
            "associationType": self.association_type,
            "sourceId": self.source_id,
            "targetId": self.target_id,
        }


def _achievement_of(credential: Mapping[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict) or not isinstance(achievement.get("id"), str):
        raise InvalidInput(
            f"credential {credential.get('id')!r} has no credentialSubject.achievement.id"
        )
    return achievement


def _recipient(
    credentials: Sequence[Mapping[str, Any]],
) -> tuple[str | None, list[dict[str, Any]]]:
    ids: set[str] = set()
    identifiers: list[dict[str, Any]] = []
    for credential in credentials:
        subject = credential.get("credentialSubject")
        if not isinstance(subject, dict):
            continue
        if isinstance(subject.get("id"), str):
            ids.add(subject["id"])
        found = subject.get("identifier")
        for entry in found if isinstance(found, list) else [found]:
            if isinstance(entry, dict) and entry not in identifiers:
                identifiers.append(dict(entry))
    return (next(iter(ids)) if len(ids) == 1 else None), identifiers


def build_clr(
    credentials: Sequence[Mapping[str, Any]],
    *,
    issuer: str | Mapping[str, Any],
    valid_from: datetime,
    name: str,
    credential_id: str | None = None,
    subject_id: str | None = None,
    identifiers: Sequence[Mapping[str, Any]] | None = None,
    associations: Iterable[Association] = (),
    extra_achievements: Sequence[Mapping[str, Any]] = (),
    description: str | None = None,
    partial: bool | None = None,
) -> dict[str, Any]:
    """The unsigned ``ClrCredential`` over signed achievement credentials (CLR 2.0 §ClrSubject).

    ``achievement`` lists each credential's Achievement once, then ``extra_achievements``
    (achievements in the record without a credential, e.g. a pathway's open steps).  The
    recipient (``ClrSubject`` ``id`` or ``identifier``) defaults to the credentials' common
    subject id, else their identity objects.  Associations must name achievements in the bundle.
    """
    if not credentials:
        raise InvalidInput("a CLR bundles at least one credential")
    embedded: list[dict[str, Any]] = []
    achievements: dict[str, dict[str, Any]] = {}
    seen_ids: set[str] = set()
    for credential in credentials:
        if not isinstance(credential, Mapping):
            raise InvalidInput("each bundled credential is a JSON object")
        if not credential.get("proof"):
            raise InvalidInput(
                f"credential {credential.get('id')!r} has no proof; a CLR bundles signed "
                "credentials, each with its own proof"
            )
        cid = credential.get("id")
        if isinstance(cid, str):
            if cid in seen_ids:
                continue
            seen_ids.add(cid)
        embedded.append(dict(credential))
        achievement = _achievement_of(credential)
        achievements.setdefault(achievement["id"], achievement)
    for extra in extra_achievements:
        if not isinstance(extra, Mapping) or not isinstance(extra.get("id"), str):
            raise InvalidInput("an extra achievement is a JSON object with an id")
        achievements.setdefault(extra["id"], dict(extra))
    links = list(dict.fromkeys(associations))
    for link in links:
        if link.association_type not in ASSOCIATION_TYPES:
            raise InvalidInput(
                f"association type {link.association_type!r} is not one of "
                + ", ".join(sorted(ASSOCIATION_TYPES))
            )
        for end in (link.source_id, link.target_id):
            if end not in achievements:
                raise InvalidInput(f"association names {end}, which is not in the bundle")
    common_id, common_identifiers = _recipient(embedded)
    subject: dict[str, Any] = {"type": "ClrSubject"}
    if subject_id is not None:
        subject["id"] = subject_id
    elif identifiers is None and common_id is not None:
        subject["id"] = common_id
    chosen = [dict(i) for i in identifiers] if identifiers is not None else common_identifiers
    if "id" not in subject and chosen:
        subject["identifier"] = chosen
    if "id" not in subject and "identifier" not in subject:
        raise InvalidInput("a ClrSubject needs an id or an identifier; none could be derived")
    subject["verifiableCredential"] = embedded
    subject["achievement"] = list(achievements.values())
    if links:
        subject["association"] = [link.to_json() for link in links]
    clr: dict[str, Any] = {
        "@context": list(CLR_CONTEXTS),
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": format_datetime(valid_from),
        "name": name,
    }
    if description is not None:
        clr["description"] = description
    if partial is not None:
        clr["partial"] = partial
    clr["credentialSubject"] = subject
    clr["credentialSchema"] = [{"id": CLR_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    return clr


def sign_clr(
    clr: dict[str, Any],
    key: KeyPair,
    *,
    created: datetime | None = None,
    verification_method: str | None = None,
) -> dict[str, Any]:
    """Secure the CLR with an ``eddsa-rdfc-2022`` Data Integrity proof (written as an array)."""
    return add_proof(
        clr,
        key,
        cryptosuite=Cryptosuite.EDDSA_RDFC_2022,
        created=created,
        verification_method=verification_method,
        proof_as_array=True,
    )


def pathway_associations(
    progress: Progress, qualification_achievement_id: str | None
) -> list[Association]:
    """Component ``isPartOf`` the qualification, and ``precedes`` between ordered steps."""
    links: list[Association] = []
    used = list(dict.fromkeys(e.achievement_id for e in progress.tree.used))
    if qualification_achievement_id is not None:
        links += [
            Association("isPartOf", a, qualification_achievement_id)
            for a in used
            if a != qualification_achievement_id
        ]
    stack = [progress.tree]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.kind != "allOf" or not node.detail.get("ordered"):
            continue
        for before, after in zip(node.children, node.children[1:], strict=False):
            sources = dict.fromkeys(e.achievement_id for e in before.used)
            targets = dict.fromkeys(e.achievement_id for e in after.used)
            links += [Association("precedes", s, t) for s in sources for t in targets if s != t]
    return list(dict.fromkeys(links))


def clr_bundler(
    key: KeyPair,
    *,
    issuer: str | Mapping[str, Any],
    at: datetime,
    verification_method: str | None = None,
    credential_id: str | None = None,
    subject_id: str | None = None,
) -> BuildClr:
    """A ``bundle`` callback for :func:`credstack.skills.pathways.complete_pathway`: a signed
    ClrCredential with the used component credentials and the qualification credential."""

    def bundle(
        pathway: Pathway, progress: Progress, qualification: Mapping[str, Any]
    ) -> dict[str, Any]:
        components: list[Mapping[str, Any]] = []
        for earned in progress.used:
            if earned.document is None:
                raise InvalidInput(
                    f"credential {earned.credential_id} was summarized without its document; "
                    "the CLR must embed the signed credential"
                )
            components.append(earned.document)
        qualification_id = _achievement_of(qualification)["id"]
        clr = build_clr(
            [*components, qualification],
            issuer=issuer,
            valid_from=at,
            name=pathway.name,
            credential_id=credential_id,
            subject_id=subject_id,
            associations=pathway_associations(progress, qualification_id),
            description=pathway.description,
        )
        return sign_clr(clr, key, created=at, verification_method=verification_method)

    return bundle


@dataclass(frozen=True, slots=True)
class ClrVerification:
    """The CLR's own verification and that of each embedded credential (in order)."""

    report: VerificationReport
    components: tuple[VerificationReport, ...]

    @property
    def verified(self) -> bool:
        return self.report.verified and all(c.verified for c in self.components)


def verify_clr(
    clr: Mapping[str, Any], verifier: Verifier, options: VerifyOptions
) -> ClrVerification:
    """Verify the CLR proof and, separately, the proof of every embedded credential."""
    if not isinstance(clr, Mapping):
        raise InvalidInput("a ClrCredential is a JSON object")
    report = verifier.verify(dict(clr), options)
    subject = clr.get("credentialSubject")
    embedded = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    items = embedded if isinstance(embedded, list) else [] if embedded is None else [embedded]
    return ClrVerification(report, tuple(verifier.verify(item, options) for item in items))
