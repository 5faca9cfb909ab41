"""Known-answer tests: every expected value of the W3C vc-di-eddsa test vectors, byte for byte."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from credstack.crypto.multibase import encode_multibase
from credstack.proofs.dataintegrity import (
    Cryptosuite,
    add_proof,
    configure_proof,
    hash_data,
    parse_datetime,
    transform,
    verify_proofs,
)
from credstack.resolve.resolver import CompositeResolver
from tests.conftest import vector_json, vector_key, vector_text

CASES = [
    # (folder/prefix, suite, unsigned document, proof config file, suffix)
    ("eddsa-rdfc-2022/", "eddsa-rdfc-2022", "unsigned.json", "DataInt"),
    ("eddsa-rdfc-2022/employ/", "eddsa-rdfc-2022", "employmentAuth.json", "DataInt"),
    ("eddsa-jcs-2022/", "eddsa-jcs-2022", "unsigned.json", "JCS"),
    ("Ed25519Signature2020/", "Ed25519Signature2020", "unsigned.json", "EdSig"),
]


def _config_with_context(folder: str, suffix: str, unsigned: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = vector_json(f"{folder}proofConfig{suffix}.json")
    config.setdefault("@context", unsigned["@context"])
    return config


@pytest.mark.parametrize(("folder", "suite", "unsigned_file", "suffix"), CASES)
def test_vector_steps_reproduce_every_value(
    folder: str, suite: str, unsigned_file: str, suffix: str
) -> None:
    unsigned = vector_json(unsigned_file)
    if suite == "Ed25519Signature2020":
        # the 2020 suite vector signs the document with the suite context appended
        unsigned = vector_json(f"{folder}signedEdSig.json")
        del unsigned["proof"]
    config = _config_with_context(folder, suffix, unsigned)
    canonical_document = transform(unsigned, suite)
    canonical_config = configure_proof(config, suite)
    assert canonical_document.decode() == vector_text(f"{folder}canonDoc{suffix}.txt")
    assert canonical_config.decode() == vector_text(f"{folder}proofCanon{suffix}.txt")
    combined = hash_data(canonical_document, canonical_config)
    assert combined[32:].hex() == vector_text(f"{folder}docHash{suffix}.txt").strip()
    assert combined[:32].hex() == vector_text(f"{folder}proofHash{suffix}.txt").strip()
    assert combined.hex() == vector_text(f"{folder}combinedHash{suffix}.txt").strip()
    signature = vector_key().sign(combined)
    assert signature.hex() == vector_text(f"{folder}sigHex{suffix}.txt").strip()
    assert encode_multibase(signature) == vector_text(f"{folder}sigBTC58{suffix}.txt").strip()


@pytest.mark.parametrize(
    ("suite", "signed_file"),
    [
        (Cryptosuite.EDDSA_RDFC_2022, "eddsa-rdfc-2022/signedDataInt.json"),
        (Cryptosuite.EDDSA_JCS_2022, "eddsa-jcs-2022/signedJCS.json"),
    ],
)
def test_add_proof_reproduces_signed_vector(suite: Cryptosuite, signed_file: str) -> None:
    expected = vector_json(signed_file)
    signed = add_proof(
        vector_json("unsigned.json"),
        vector_key(),
        cryptosuite=suite,
        created=parse_datetime(expected["proof"]["created"]),
    )
    assert signed == expected


def test_add_proof_reproduces_employment_vector_with_blank_nodes() -> None:
    expected = vector_json("eddsa-rdfc-2022/employ/signedDataInt.json")
    signed = add_proof(
        vector_json("employmentAuth.json"),
        vector_key(),
        created=parse_datetime(expected["proof"]["created"]),
    )
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]


@pytest.mark.parametrize(
    "signed_file",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-rdfc-2022/employ/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "Ed25519Signature2020/signedEdSig.json",
        "proof-set-chain/signedProofSet1.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain1.json",
        "proof-set-chain/signedProofChain2.json",
    ],
)
def test_verify_signed_vectors_valid(signed_file: str) -> None:
    checks = verify_proofs(vector_json(signed_file), CompositeResolver())
    assert checks
    assert all(c.verified for c in checks), [c.message for c in checks]


@pytest.mark.parametrize(
    "signed_file",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "Ed25519Signature2020/signedEdSig.json",
        "proof-set-chain/signedProofChain2.json",
    ],
)
def test_verify_tampered_vectors_fails(signed_file: str) -> None:
    document = vector_json(signed_file)
    document["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    checks = verify_proofs(document, CompositeResolver())
    assert not all(c.verified for c in checks)
    assert {c.code for c in checks if not c.verified} == {"PROOF_VERIFICATION_ERROR"}


def _proof_by_id(document: dict[str, Any], proof_id: str) -> dict[str, Any]:
    return next(p for p in document["proof"] if p.get("id") == proof_id)


def test_proof_set_and_chain_reproduce_vectors() -> None:
    keys = vector_json("proof-set-chain/multiKeyPairs.json")
    from credstack.crypto.keys import KeyPair

    pairs = [KeyPair.from_multikey(keys[f"keyPair{i}"]) for i in range(1, 5)]
    unsigned = vector_json("proof-set-chain/unsigned.json")
    expected = vector_json("proof-set-chain/signedProofChain2.json")
    ids = [p.get("id") for p in expected["proof"]]
    created = [parse_datetime(p["created"]) for p in expected["proof"]]
    # two independent proofs (a set), then a chain of two on top of them
    doc = add_proof(unsigned, pairs[0], created=created[0], proof_id=ids[0])
    doc = add_proof(doc, pairs[1], created=created[1], proof_id=ids[1])
    doc = add_proof(
        doc, pairs[2], created=created[2], proof_id=ids[2], previous_proof=[ids[0], ids[1]]
    )
    doc = add_proof(doc, pairs[3], created=created[3], previous_proof=ids[2])
    assert doc == expected


def test_chain_with_missing_previous_proof_fails() -> None:
    document = copy.deepcopy(vector_json("proof-set-chain/signedProofChain2.json"))
    document["proof"] = [
        p
        for p in document["proof"]
        if p.get("id") != "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"
    ]
    checks = verify_proofs(document, CompositeResolver())
    chained = [c for c in checks if "previousProof" in c.proof]
    assert chained
    assert not chained[0].verified
    assert chained[0].code == "PROOF_VERIFICATION_ERROR"


def _legacy_eddsa_2022(document: dict[str, Any]) -> dict[str, Any]:
    """Sign like a pre-rename issuer: cryptosuite ``eddsa-2022``, the RDFC algorithm."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": vector_key().verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {**options, "@context": document["@context"]}
    combined = hash_data(transform(document, "eddsa-2022"), configure_proof(config, "eddsa-2022"))
    return {
        **document,
        "proof": {**options, "proofValue": encode_multibase(vector_key().sign(combined))},
    }


def test_verify_legacy_eddsa_2022_valid_and_tampered_fails() -> None:
    signed = _legacy_eddsa_2022(vector_json("unsigned.json"))
    assert [c.verified for c in verify_proofs(signed, CompositeResolver())] == [True]
    signed["name"] = "Changed"
    checks = verify_proofs(signed, CompositeResolver())
    assert [c.code for c in checks] == ["PROOF_VERIFICATION_ERROR"]


def test_add_proof_refuses_legacy_suite() -> None:
    from credstack.errors import ProofError

    with pytest.raises(ProofError) as info:
        add_proof(vector_json("unsigned.json"), vector_key(), cryptosuite=Cryptosuite.EDDSA_2022)
    assert info.value.code == "PROOF_GENERATION_ERROR"
