"""CLR 2.0 ClrCredential: the 1EdTech implementation-guide vector, pathway bundles, the
platform Issuer, safe mode, the core verifier and @digitalbazaar/vc."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput
from credstack.jsonld.processor import expander
from credstack.platform.achievements import create_achievement, publish
from credstack.platform.issuance import Issuer, IssueRequest
from credstack.platform.keys import KeyCustody, KeyEncryptionKeys, did_document, signing_key
from credstack.platform.organisations import create_organisation, issuer_profile
from credstack.proofs.dataintegrity import parse_datetime, transform
from credstack.resolve.resolver import CompositeResolver
from credstack.skills.clr import (
    CLR_CONTEXTS,
    Association,
    build_clr,
    clr_bundler,
    pathway_associations,
    sign_clr,
    verify_clr,
)
from credstack.skills.pathways import (
    Pathway,
    Progress,
    complete_pathway,
    parse_pathway,
    progress,
    verify_credentials,
)
from credstack.storage.memory import MemoryDatabase
from credstack.verify.verifier import Verifier, VerifyOptions
from tests.interop.jsref import ensure_node_modules, js_verify, js_verify_many, verify_request
from tests.platform.conftest import BASE, DESIGN, HOST
from tests.skills.test_pathways import LEARNER, NOW, T0, ach, make_credential

# ------------------------------------------------------------------ the 1EdTech CLR vector
# 1EdTech/openbadges-specification, ob_v3p0/impl/linked-data-proof-clr.html (develop @ 1af145f):
# "Linked Data Proof Test Vector for Comprehensive Learner Record 2.0".

VECTOR_SECRET = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
VECTOR_PUBLIC = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
VECTOR_ISSUER = "https://example.edu/issuers/565049"
VECTOR_VM = f"{VECTOR_ISSUER}#{VECTOR_PUBLIC}"
VECTOR_DOCUMENT_HASH = "768d7015ae69e0210e1c2a45194d9c1d15d7a6022e52b946574a2a27f6fa85fe"
VECTOR_PROOF_VALUE = (
    "zF52sU1nfPAjcwCqtgxPNSor6SJnAzRBwZW5VNQXPt8xXCHkd39sgqj32DnMjhFCzbyHsLkhQ8HpBqQTkMgXy329"
)
_PROFILE = {"id": VECTOR_ISSUER, "type": "Profile"}


def _vector_achievement(uid: str, n: int) -> dict[str, Any]:
    return {
        "id": f"urn:uuid:{uid}",
        "type": "Achievement",
        "creator": dict(_PROFILE),
        "name": f"Achievement {n}",
        "criteria": {"id": f"https://example.edu/achievements/{uid}/criteria"},
        "description": f"Achievement {n}",
        "image": {"id": "https://example.edu/achievements/sample.png", "type": "Image"},
    }


ACH_1 = _vector_achievement("a7467ef6-56cb-11ec-bf63-0242ac130002", 1)
ACH_2 = _vector_achievement("dd887f0a-56cb-11ec-bf63-0242ac130002", 2)
VECTOR_OB = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ],
    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
    "type": ["VerifiableCredential", "AchievementCredential"],
    "issuer": {**_PROFILE, "name": "Example University"},
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Example University Degree",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": "AchievementSubject",
        "achievement": ACH_1,
    },
    "credentialSchema": [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ],
    "proof": [
        {
            "type": "DataIntegrityProof",
            "created": "2010-01-01T19:23:24Z",
            "verificationMethod": VECTOR_VM,
            "cryptosuite": "eddsa-rdfc-2022",
            "proofPurpose": "assertionMethod",
            "proofValue": "z45QnLySMt2mWuW787G6cf3SLkP97ZkMZxLeXH5yaaTQPCtTup4GCV95tU8HEnQJSy"
            "GCokSj3AvUhmJtvveTmN4Vu",
        }
    ],
}
VECTOR_CONTROLLER = {
    "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
    "id": VECTOR_ISSUER,
    "assertionMethod": [
        {
            "id": VECTOR_VM,
            "type": "Multikey",
            "controller": VECTOR_ISSUER,
            "publicKeyMultibase": VECTOR_PUBLIC,
        }
    ],
}


def _vector_clr() -> dict[str, Any]:
    return build_clr(
        [copy.deepcopy(VECTOR_OB)],
        issuer={**_PROFILE, "name": "Example University"},
        valid_from=parse_datetime("2010-01-01T00:00:00Z"),
        name="Sample Transcript",
        credential_id="http://example.edu/credentials/3732",
        associations=[Association("isParentOf", ACH_1["id"], ACH_2["id"])],
        extra_achievements=[ACH_2],
    )


def test_impl_guide_clr_vector_reproduced_byte_for_byte() -> None:
    clr = _vector_clr()
    assert list(clr["@context"]) == list(CLR_CONTEXTS)
    assert clr["credentialSubject"]["id"] == "did:example:ebfeb1f712ebc6f1c276e12ec21"
    digest = hashlib.sha256(transform(clr, "eddsa-rdfc-2022")).hexdigest()
    assert digest == VECTOR_DOCUMENT_HASH
    key = KeyPair(bytes.fromhex(VECTOR_SECRET))
    assert key.public.multibase == VECTOR_PUBLIC
    signed = sign_clr(
        clr, key, created=parse_datetime("2010-01-01T19:23:24Z"), verification_method=VECTOR_VM
    )
    assert signed["proof"][0]["proofValue"] == VECTOR_PROOF_VALUE


def test_impl_guide_clr_vector_verifies_with_embedded_proof() -> None:
    key = KeyPair(bytes.fromhex(VECTOR_SECRET))
    signed = sign_clr(
        _vector_clr(),
        key,
        created=parse_datetime("2010-01-01T19:23:24Z"),
        verification_method=VECTOR_VM,
    )
    verifier = Verifier(CompositeResolver(documents=[VECTOR_CONTROLLER]))
    result = verify_clr(signed, verifier, VerifyOptions(at=NOW))
    assert result.verified, result.report.render()
    assert [c.kind for c in result.components] == ["open-badge"]


# ------------------------------------------------------------------ pathway bundles (did:key)

UNI = KeyPair(bytes(range(1, 33)))
PARTNER = KeyPair(bytes(range(2, 34)))
REGISTRAR = KeyPair(bytes(range(3, 35)))


def _pathway() -> Pathway:
    return parse_pathway(
        {
            "version": 1,
            "id": "urn:pathway:data-cert",
            "name": "Data Certificate",
            "description": "Two ordered core courses and 10 ECTS overall.",
            "issues": {"achievement": ach("q")},
            "rule": {
                "allOf": [
                    {
                        "allOf": [{"achievement": ach("a")}, {"achievement": ach("b")}],
                        "ordered": True,
                    },
                    {"minTotal": {"ects": 10}, "of": "any"},
                ]
            },
        }
    )


@pytest.fixture(scope="module")
def completed() -> tuple[Progress, dict[str, Any], dict[str, Any]]:
    components = [
        make_credential(UNI, "a", days=0, ects=5),
        make_credential(PARTNER, "b", days=40, ects=2.5),
        make_credential(UNI, "c", days=60, ects=2.5),
    ]
    earned, rejected = verify_credentials([(str(i), c) for i, c in enumerate(components)], at=NOW)
    assert rejected == []
    at = T0 + timedelta(days=90)
    done = complete_pathway(
        _pathway(),
        earned,
        issue=lambda p, s: make_credential(UNI, "q", days=90),
        bundle=clr_bundler(
            REGISTRAR,
            issuer={"id": REGISTRAR.did_key, "type": ["Profile"], "name": "Registrar"},
            at=at,
        ),
    )
    return done.progress, done.qualification, done.clr


def test_pathway_clr_shape_and_associations(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    state, qualification, clr = completed
    assert state.satisfied
    assert clr["@context"] == list(CLR_CONTEXTS)
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = clr["credentialSubject"]
    assert subject["type"] == "ClrSubject"
    assert subject["id"] == LEARNER
    embedded = subject["verifiableCredential"]
    assert [c["credentialSubject"]["achievement"]["id"] for c in embedded] == [
        ach("a"),
        ach("b"),
        ach("c"),
        ach("q"),
    ]
    assert embedded[-1] == qualification
    assert all(c["proof"] for c in embedded)
    assert [a["id"] for a in subject["achievement"]] == [ach(n) for n in "abcq"]
    links = {(a["associationType"], a["sourceId"], a["targetId"]) for a in subject["association"]}
    assert links == {
        ("isPartOf", ach("a"), ach("q")),
        ("isPartOf", ach("b"), ach("q")),
        ("isPartOf", ach("c"), ach("q")),
        ("precedes", ach("a"), ach("b")),
    }
    assert clr["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_pathway_clr_safe_mode_and_core_verifier(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    _, _, clr = completed
    expanded = expander().expand(clr)  # raises on any dropped term
    assert expanded
    result = verify_clr(clr, Verifier(CompositeResolver()), VerifyOptions(at=NOW))
    assert result.verified, result.report.render()
    assert len(result.components) == 4


def test_pathway_clr_tampered_component_detected(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    _, _, clr = completed
    forged = copy.deepcopy(clr)
    forged["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["achievement"][
        "creditsAvailable"
    ] = 30
    result = verify_clr(forged, Verifier(CompositeResolver()), VerifyOptions(at=NOW))
    assert not result.verified
    assert not result.report.verified
    assert [c.verified for c in result.components] == [True, False, True, True]


def test_pathway_clr_undefined_term_fails_safe_mode(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    _, _, clr = completed
    injected = copy.deepcopy(clr)
    injected["credentialSubject"]["association"][0]["weight"] = 3
    report = Verifier(CompositeResolver()).verify(injected, VerifyOptions(at=NOW))
    assert not report.verified
    assert report.first_failure is not None
    assert report.first_failure.code == "DATA_LOSS_DETECTION_ERROR"


@pytest.mark.interop
def test_pathway_clr_verified_by_digitalbazaar_vc(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    ensure_node_modules()
    _, _, clr = completed
    outer = js_verify(clr, now=NOW)
    assert outer == {"verified": True, "errors": []}
    embedded = clr["credentialSubject"]["verifiableCredential"]
    results = js_verify_many([verify_request(c, now=NOW) for c in embedded])
    assert [r["verified"] for r in results] == [True] * len(embedded)
    forged = copy.deepcopy(clr)
    forged["name"] = "Doctorate"
    rejected = js_verify(forged, now=NOW)
    assert not rejected["verified"]


@pytest.mark.interop
def test_impl_guide_vector_verified_by_digitalbazaar_vc() -> None:
    ensure_node_modules()
    key = KeyPair(bytes.fromhex(VECTOR_SECRET))
    signed = sign_clr(
        _vector_clr(),
        key,
        created=parse_datetime("2010-01-01T19:23:24Z"),
        verification_method=VECTOR_VM,
    )
    documents = {VECTOR_ISSUER: VECTOR_CONTROLLER}
    assert js_verify(signed, documents=documents, now=NOW)["verified"] is True


def test_pathway_associations_only_for_ordered_steps(
    completed: tuple[Progress, dict[str, Any], dict[str, Any]],
) -> None:
    state, _, _ = completed
    assert Association("precedes", ach("a"), ach("b")) in pathway_associations(state, None)
    assert all(a.association_type == "precedes" for a in pathway_associations(state, None))
    unordered = progress(
        parse_pathway(
            {
                "version": 1,
                "id": "p",
                "name": "n",
                "rule": {"allOf": [{"achievement": ach("a")}, {"achievement": ach("b")}]},
            }
        ),
        state.used,
    )
    assert pathway_associations(unordered, None) == []


# ------------------------------------------------------------------ bad input


def test_build_clr_refuses_unsigned_credential() -> None:
    unsigned = {k: v for k, v in make_credential(UNI, "a").items() if k != "proof"}
    with pytest.raises(InvalidInput, match="no proof"):
        build_clr([unsigned], issuer=UNI.did_key, valid_from=T0, name="x")


@pytest.mark.parametrize(
    ("link", "needle"),
    [
        (Association("isPartOf", ach("a"), ach("zz")), "not in the bundle"),
        (Association("contains", ach("a"), ach("a")), "not one of"),
    ],
)
def test_build_clr_refuses_bad_association(link: Association, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        build_clr(
            [make_credential(UNI, "a")],
            issuer=UNI.did_key,
            valid_from=T0,
            name="x",
            associations=[link],
        )


def test_build_clr_without_recipient_refused() -> None:
    one = make_credential(UNI, "a", learner="did:example:one")
    two = make_credential(UNI, "b", learner="did:example:two")
    with pytest.raises(InvalidInput, match="needs an id or an identifier"):
        build_clr([one, two], issuer=UNI.did_key, valid_from=T0, name="x")
    clr = build_clr(
        [one, two], issuer=UNI.did_key, valid_from=T0, name="x", subject_id="did:example:one"
    )
    assert clr["credentialSubject"]["id"] == "did:example:one"


def test_build_clr_empty_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one credential"):
        build_clr([], issuer=UNI.did_key, valid_from=T0, name="x")


# ------------------------------------------------------------------ the platform Issuer

PT0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PlatformRun:
    clr: dict[str, Any]
    did_document: dict[str, Any]
    did: str
    at: datetime
    steps: list[str]  # achievement ids of the ordered steps
    stored: bool  # the qualification is in the platform's store
    rejected: list[Any]
    ects: float


@pytest.fixture(scope="module")
def platform_run() -> PlatformRun:
    """Components and qualification issued by the platform Issuer (in-memory store)."""
    db = MemoryDatabase()
    custody = KeyCustody(KeyEncryptionKeys.generate())
    uow = db.unit_of_work()
    org = create_organisation(
        uow, custody, host=HOST, slug="uni", name="Example University", at=PT0, country="NL"
    )
    versions = {}
    for slug, ects in (("python", 3), ("statistics", 3), ("capstone", 6), ("certificate", 12)):
        draft = create_achievement(
            uow, org, {**DESIGN, "name": f"Data {slug}", "ects": ects}, base_url=BASE, at=PT0
        )
        versions[slug] = publish(uow, org, draft.id, at=PT0)
    uow.commit()
    learner = "did:example:platform-learner"
    issuer = Issuer(db.unit_of_work(), custody, org, BASE)
    components = []
    for day, slug in enumerate(("python", "statistics", "capstone"), start=1):
        issued = issuer.issue(
            versions[slug], IssueRequest(did=learner), at=PT0 + timedelta(days=10 * day)
        )
        components.append(json.loads(issued.credential_json))
    issuer.uow.commit()
    pathway = parse_pathway(
        {
            "version": 1,
            "id": "urn:pathway:data-science",
            "name": "Data Science Certificate",
            "issues": {"achievement": versions["certificate"].achievement_id},
            "rule": {
                "allOf": [
                    {
                        "allOf": [
                            {"achievement": versions["python"].achievement_id},
                            {"achievement": versions["statistics"].achievement_id},
                            {"achievement": versions["capstone"].achievement_id},
                        ],
                        "ordered": True,
                    },
                    {"minTotal": {"ects": 12}, "of": "any"},
                ]
            },
        }
    )
    keys = db.unit_of_work().keys.for_organisation(org.id)
    did_doc = did_document(org, keys)
    at = PT0 + timedelta(days=60)
    earned, rejected = verify_credentials(
        [(c["id"], c) for c in components], at=at, did_documents=[did_doc], recipient_did=learner
    )
    uow = db.unit_of_work()
    platform = Issuer(uow, custody, org, BASE)

    def issue(p: Pathway, state: Progress) -> dict[str, Any]:
        done = platform.issue(versions["certificate"], IssueRequest(did=learner), at=at)
        return dict(json.loads(done.credential_json))

    completion = complete_pathway(
        pathway,
        earned,
        issue=issue,
        bundle=clr_bundler(signing_key(uow, custody, org), issuer=issuer_profile(org), at=at),
    )
    uow.commit()
    stored = db.unit_of_work().credentials.get(completion.qualification["id"]) is not None
    steps = [versions[k].achievement_id for k in ("python", "statistics", "capstone")]
    total_ects = sum((e.ects or 0.0 for e in earned), 0.0)
    return PlatformRun(completion.clr, did_doc, org.did, at, steps, stored, rejected, total_ects)


def test_complete_pathway_with_platform_issuer_verifies(platform_run: PlatformRun) -> None:
    assert platform_run.rejected == []
    assert platform_run.ects == 12
    assert platform_run.stored
    links = platform_run.clr["credentialSubject"]["association"]
    precedes = [(a["sourceId"], a["targetId"]) for a in links if a["associationType"] == "precedes"]
    steps = platform_run.steps
    assert precedes == [(steps[0], steps[1]), (steps[1], steps[2])]
    verifier = Verifier(CompositeResolver(documents=[platform_run.did_document]))
    options = VerifyOptions(at=platform_run.at + timedelta(days=1))
    result = verify_clr(platform_run.clr, verifier, options)
    assert result.verified, result.report.render()
    assert len(result.components) == 4
    assert platform_run.clr["issuer"]["id"] == platform_run.did


@pytest.mark.interop
def test_platform_clr_verified_by_digitalbazaar_vc(platform_run: PlatformRun) -> None:
    ensure_node_modules()
    outer = js_verify(
        platform_run.clr,
        documents={platform_run.did: platform_run.did_document},
        now=platform_run.at + timedelta(days=1),
    )
    assert outer == {"verified": True, "errors": []}
