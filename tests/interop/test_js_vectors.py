"""Cross-checks against the JavaScript reference stack (@digitalbazaar/vc 7, offline).

Vectors: W3C vc-di-eddsa, eddsa-rdfc-2022 (https://www.w3.org/TR/vc-di-eddsa/#representation-eddsa-rdfc-2022).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from .jsref import js_bench, js_sign, js_verify

pytestmark = pytest.mark.interop

ASSETS = Path(__file__).resolve().parents[1] / "assets"
VECTORS = ASSETS / "vc-di-eddsa"
VECTOR_CREATED = "2023-02-24T23:36:38Z"
# A did:key whose secret key the tests do not hold (from the did:key method examples).
OTHER_DID = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def signed_vector() -> dict[str, Any]:
    return _load(VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json")


@pytest.fixture(scope="module")
def key_pair() -> dict[str, Any]:
    return _load(VECTORS / "keyPair.json")


@pytest.fixture(scope="module")
def issuer_did(key_pair: dict[str, Any]) -> str:
    return f"did:key:{key_pair['publicKeyMultibase']}"


@pytest.fixture(scope="module")
def ob_unsigned(issuer_did: str) -> dict[str, Any]:
    credential = _load(ASSETS / "ob_credential_unsigned.json")
    credential["issuer"]["id"] = issuer_did
    return credential


@pytest.fixture(scope="module")
def ob_signed(ob_unsigned: dict[str, Any], key_pair: dict[str, Any]) -> dict[str, Any]:
    return js_sign(ob_unsigned, key_pair)


def _joined(errors: list[str]) -> str:
    return " | ".join(errors).lower()


def test_verify_w3c_vector_assertion_purpose_verified(signed_vector: dict[str, Any]) -> None:
    result = js_verify(signed_vector, purpose="assertion")
    assert result == {"verified": True, "errors": []}


def test_verify_w3c_vector_issuance_purpose_rejected(signed_vector: dict[str, Any]) -> None:
    # issuer https://vc.example/issuers/5678 is not the controller of the did:key method
    result = js_verify(signed_vector, purpose="issuance")
    assert result["verified"] is False
    assert "issuer must match the verification method controller" in _joined(result["errors"])


def test_verify_tampered_vector_rejected_invalid_signature(
    signed_vector: dict[str, Any],
) -> None:
    tampered = copy.deepcopy(signed_vector)
    tampered["credentialSubject"]["alumniOf"] = "The School of Counterfeits"
    result = js_verify(tampered, purpose="assertion")
    assert result["verified"] is False
    assert "invalid signature" in _joined(result["errors"])


def test_verify_undefined_term_rejected_safe_mode(ob_signed: dict[str, Any]) -> None:
    # The OB credential is used because the W3C vector's examples context has an @vocab
    # that would define any term (giving "Invalid signature" instead of a safe-mode error).
    injected = copy.deepcopy(ob_signed)
    injected["credentialSubject"]["undefinedTerm"] = "x"
    result = js_verify(injected)
    assert result["verified"] is False
    assert "safe mode validation error" in _joined(result["errors"])


def test_verify_unknown_remote_context_rejected_offline(ob_signed: dict[str, Any]) -> None:
    unknown = "https://contexts.example/not-vendored/v1"
    credential = copy.deepcopy(ob_signed)
    credential["@context"] = [*credential["@context"], unknown]
    result = js_verify(credential)
    assert result["verified"] is False
    assert any(
        "offline document loader refused" in e.lower() and unknown in e for e in result["errors"]
    )


def test_sign_w3c_unsigned_reproduces_vector_proof(
    signed_vector: dict[str, Any], key_pair: dict[str, Any]
) -> None:
    proof_config = _load(VECTORS / "eddsa-rdfc-2022" / "proofConfigDataInt.json")
    unsigned = _load(VECTORS / "unsigned.json")
    signed = js_sign(
        unsigned,
        key_pair,
        verification_method=proof_config["verificationMethod"],
        created=proof_config["created"],
    )
    assert signed["proof"] == signed_vector["proof"]
    assert signed["proof"]["proofValue"] == signed_vector["proof"]["proofValue"]
    assert {k: v for k, v in signed.items() if k != "proof"} == unsigned
    assert js_verify(signed, purpose="assertion") == {"verified": True, "errors": []}


def test_sign_default_verification_method_is_did_key(
    key_pair: dict[str, Any], issuer_did: str
) -> None:
    signed = js_sign(_load(VECTORS / "unsigned.json"), key_pair, created=VECTOR_CREATED)
    proof = signed["proof"]
    assert proof["verificationMethod"] == f"{issuer_did}#{key_pair['publicKeyMultibase']}"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["created"] == VECTOR_CREATED


def test_sign_open_badge_verifies_with_issuance_purpose(
    ob_signed: dict[str, Any], issuer_did: str
) -> None:
    alignments = ob_signed["credentialSubject"]["achievement"]["alignment"]
    assert len(alignments) == 3
    assert ob_signed["issuer"]["id"] == issuer_did
    assert ob_signed["proof"]["type"] == "DataIntegrityProof"
    assert js_verify(ob_signed, purpose="issuance") == {"verified": True, "errors": []}


def test_verify_open_badge_foreign_issuer_rejected(
    ob_unsigned: dict[str, Any], key_pair: dict[str, Any]
) -> None:
    credential = copy.deepcopy(ob_unsigned)
    credential["issuer"]["id"] = OTHER_DID
    signed = js_sign(credential, key_pair)
    assert js_verify(signed, purpose="assertion")["verified"] is True
    result = js_verify(signed, purpose="issuance")
    assert result["verified"] is False
    assert "issuer must match the verification method controller" in _joined(result["errors"])


def test_verify_https_issuer_with_supplied_controller_document_verified(
    key_pair: dict[str, Any],
) -> None:
    issuer = "https://issuer.example/controllers/1"
    method = f"{issuer}#key-1"
    credential = _load(VECTORS / "unsigned.json")
    credential["issuer"] = issuer
    signed = js_sign(credential, key_pair, verification_method=method, controller=issuer)
    controller_document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": key_pair["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [method],
    }
    refused = js_verify(signed)
    assert refused["verified"] is False
    assert any("offline document loader refused" in e.lower() for e in refused["errors"])
    result = js_verify(signed, documents={issuer: controller_document})
    assert result == {"verified": True, "errors": []}


def _encoded_list(set_bits: set[int], length: int = 131072) -> str:
    # https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding (index 0 = first MSB)
    raw = bytearray(length // 8)
    for index in set_bits:
        raw[index // 8] |= 0x80 >> (index % 8)
    packed = base64.urlsafe_b64encode(gzip.compress(bytes(raw), mtime=0)).rstrip(b"=")
    return "u" + packed.decode("ascii")


@pytest.mark.parametrize(("index", "revoked"), [(7, True), (8, False)])
def test_verify_status_list_bit_reported(
    ob_unsigned: dict[str, Any],
    key_pair: dict[str, Any],
    issuer_did: str,
    index: int,
    revoked: bool,
) -> None:
    list_url = "https://issuer.example/status/1"
    status_list = js_sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_did,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{list_url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": _encoded_list({7}),
            },
        },
        key_pair,
    )
    credential = copy.deepcopy(ob_unsigned)
    credential["credentialStatus"] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    signed = js_sign(credential, key_pair)
    result = js_verify(signed, documents={list_url: status_list})
    # @digitalbazaar/vc reports a set bit in `status`, not as a verification failure
    assert result["verified"] is True
    assert result.get("status") == [{"purpose": "revocation", "status": revoked, "verified": True}]


def test_bench_open_badge_reports_counts(
    ob_unsigned: dict[str, Any], key_pair: dict[str, Any]
) -> None:
    result = js_bench(ob_unsigned, key_pair, seconds=0.2)
    assert result["n_issue"] >= 1
    assert result["n_verify"] >= 1
    assert result["issue_per_s"] > 0
    assert result["verify_per_s"] > 0
