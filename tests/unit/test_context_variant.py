"""The OB 3.0.3 context as published, and the 1EdTech validator's variant (adds endorsementJwt)."""

from __future__ import annotations

from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.crypto.multibase import encode_multibase
from credstack.errors import JsonLdError
from credstack.jsonld.loader import OB_V3P0_CONTEXT, ContextVariant, load_context
from credstack.jsonld.rdf import canonical_nquads
from credstack.proofs.dataintegrity import add_proof, hash_data, verify_proofs
from credstack.resolve.resolver import CompositeResolver
from tests.conftest import CREATED, make_open_badge

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"


def _sign_with_validator_variant(document: dict[str, Any], key: KeyPair) -> dict[str, Any]:
    """Sign as an issuer whose context loader serves the validator's copy of 3.0.3."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-07-01T12:00:00Z",
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
    }
    variant = ContextVariant.VALIDATOR
    config = canonical_nquads({**options, "@context": document["@context"]}, variant).encode()
    body = canonical_nquads(document, variant).encode()
    signature = key.sign(hash_data(body, config))
    return {**document, "proof": [{**options, "proofValue": encode_multibase(signature)}]}


def test_variant_defines_endorsement_jwt_and_published_does_not() -> None:
    published = load_context(OB_V3P0_CONTEXT)["@context"]
    variant = load_context(OB_V3P0_CONTEXT, ContextVariant.VALIDATOR)["@context"]
    assert "endorsementJwt" in variant
    assert "endorsementJwt" not in published


def test_verify_validator_variant_credential_with_endorsement_jwt_valid() -> None:
    key = KeyPair(bytes(range(32)))
    badge = make_open_badge(key.did_key, endorsementJwt=[JWT])
    signed = _sign_with_validator_variant(badge, key)
    checks = verify_proofs(signed, CompositeResolver())
    assert [c.verified for c in checks] == [True]
    signed["endorsementJwt"] = [JWT + "x"]  # the variant's term is signed over, so tampering shows
    assert [c.code for c in verify_proofs(signed, CompositeResolver())] == [
        "PROOF_VERIFICATION_ERROR"
    ]


def test_add_proof_with_endorsement_jwt_refused_under_published_context() -> None:
    key = KeyPair(bytes(range(32)))
    with pytest.raises(JsonLdError) as info:
        add_proof(make_open_badge(key.did_key, endorsementJwt=[JWT]), key, created=CREATED)
    assert info.value.code == "DATA_LOSS_DETECTION_ERROR"
    assert "endorsementJwt" in info.value.message


def test_verify_other_undefined_terms_not_rescued_by_variant() -> None:
    key = KeyPair(bytes(range(32)))
    signed = add_proof(make_open_badge(key.did_key), key, created=CREATED)
    signed["endorsementJwt"] = [JWT]
    signed["notATerm"] = 1
    checks = verify_proofs(signed, CompositeResolver())
    assert [c.code for c in checks] == ["DATA_LOSS_DETECTION_ERROR"]
