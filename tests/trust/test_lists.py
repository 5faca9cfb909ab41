"""Signed trust lists (verified against a pinned publisher) and DCC issuer-registry files."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, ProofError
from credstack.proofs.dataintegrity import add_proof
from credstack.trust import (
    EntryRole,
    build_trust_list,
    new_entry,
    read_dcc_registry,
    read_trust_list,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PUBLISHER = KeyPair.generate()


def _list(**changes: Any) -> dict[str, Any]:
    return build_trust_list(
        publisher=changes.pop("publisher", PUBLISHER.did_key),
        edition="urn:uuid:6a1b0f44-57b4-4b8e-9f52-0d3c1b1fd1a0",
        list_id="https://registry.example/lists/higher-education",
        name="Higher education institutions",
        description="Institutions accredited under the national framework.",
        entries=[
            new_entry(
                "did:web:uni.example",
                "University of Example",
                valid_until=T0 + timedelta(days=365),
                scope=["MicroCredential"],
                url="https://uni.example",
            ),
            new_entry("did:web:agency.example", "Quality Agency", role=EntryRole.ACCREDITOR),
        ],
        valid_from=T0 - timedelta(days=1),
        valid_until=changes.pop("valid_until", T0 + timedelta(days=90)),
    )


def _signed(document: dict[str, Any], key: KeyPair = PUBLISHER) -> dict[str, Any]:
    return add_proof(document, key, created=T0 - timedelta(days=1))


def test_a_signed_list_of_the_pinned_publisher_is_read() -> None:
    read = read_trust_list(_signed(_list()), publisher=PUBLISHER.did_key, at=T0)
    assert read.publisher == PUBLISHER.did_key
    assert read.list_id == "https://registry.example/lists/higher-education"
    assert read.name == "Higher education institutions"
    assert read.valid_until == T0 + timedelta(days=90)
    uni, agency = read.entries
    assert uni.did == "did:web:uni.example"
    assert uni.scope == ("MicroCredential",)
    assert uni.valid_until == T0 + timedelta(days=365)
    assert uni.url == "https://uni.example"
    assert agency.role is EntryRole.ACCREDITOR


def test_a_list_with_a_bad_signature_is_refused() -> None:
    signed = _signed(_list())
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["entries"].append(
        {"id": "did:web:diploma-mill.example", "name": "Diploma Mill", "role": "issuer"}
    )
    with pytest.raises(ProofError, match="signature does not verify"):
        read_trust_list(tampered, publisher=PUBLISHER.did_key, at=T0)


def test_a_list_from_an_unknown_publisher_is_refused() -> None:
    stranger = KeyPair.generate()
    theirs = _signed(_list(publisher=stranger.did_key), stranger)
    with pytest.raises(ProofError, match="not by the pinned publisher") as caught:
        read_trust_list(theirs, publisher=PUBLISHER.did_key, at=T0)
    assert caught.value.code == "CONTROLLER_MISMATCH"


def test_a_list_naming_the_publisher_but_signed_by_another_key_is_refused() -> None:
    stranger = KeyPair.generate()
    forged = _signed(_list(), stranger)  # issuer: the publisher; key: the stranger's
    with pytest.raises(ProofError, match="refused"):
        read_trust_list(forged, publisher=PUBLISHER.did_key, at=T0)


def test_an_unsigned_list_is_refused() -> None:
    with pytest.raises(ProofError, match="refused"):
        read_trust_list(_list(), publisher=PUBLISHER.did_key, at=T0)


def test_an_expired_list_is_refused() -> None:
    old = _signed(_list(valid_until=T0 - timedelta(hours=1)))
    with pytest.raises(ProofError, match="not valid now"):
        read_trust_list(old, publisher=PUBLISHER.did_key, at=T0)


def test_a_did_web_publisher_needs_its_did_document() -> None:
    did = "did:web:registry.example"
    method = f"{did}#key-1"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": PUBLISHER.to_multikey(include_secret=False)[
                    "publicKeyMultibase"
                ],
            }
        ],
        "assertionMethod": [method],
    }
    signed = add_proof(_list(publisher=did), PUBLISHER, created=T0, verification_method=method)
    with pytest.raises(ProofError, match="refused"):
        read_trust_list(signed, publisher=did, at=T0)
    read = read_trust_list(signed, publisher=did, at=T0, documents=[document])
    assert len(read.entries) == 2


def test_something_else_is_not_a_trust_list() -> None:
    with pytest.raises(InvalidInput, match="not a trust list"):
        read_trust_list(
            {"@context": ["x"], "type": ["VerifiableCredential"]}, publisher="did:key:z", at=T0
        )
    with pytest.raises(InvalidInput, match="JSON object"):
        read_trust_list([1, 2], publisher=PUBLISHER.did_key, at=T0)


def test_bad_entries_are_named() -> None:
    document = _list()
    document["credentialSubject"]["entries"][1]["id"] = "https://not-a-did.example"
    with pytest.raises(InvalidInput, match="entry 2 of the trust list"):
        read_trust_list(_signed(document), publisher=PUBLISHER.did_key, at=T0)
    document = _list()
    document["credentialSubject"]["entries"][0]["description"] = "a term the VC context defines"
    with pytest.raises(InvalidInput, match="unknown members"):
        read_trust_list(_signed(document), publisher=PUBLISHER.did_key, at=T0)


# ---------------------------------------------------------------------------- DCC

#: a registry file in the shape of the Digital Credentials Consortium's issuer registries
#: (written for this test: invented DIDs and names)
DCC_SAMPLE: dict[str, Any] = {
    "meta": {"created": "2024-01-10T10:00:00+00:00", "updated": "2025-02-01T12:30:00+00:00"},
    "registry": {
        "did:web:college.example": {
            "name": "Example Community College",
            "location": "Springfield, USA",
            "url": "https://college.example",
        },
        "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH": {
            "name": "Example Test Issuer",
            "location": "Everywhere",
        },
        "did:web:noname.example": {},
    },
}


def test_a_dcc_registry_file_is_read() -> None:
    read = read_dcc_registry(DCC_SAMPLE)
    assert read.updated == datetime(2025, 2, 1, 12, 30, tzinfo=UTC)
    by_did = {e.did: e for e in read.entries}
    assert by_did["did:web:college.example"].name == "Example Community College"
    assert by_did["did:web:college.example"].url == "https://college.example"
    assert by_did["did:web:college.example"].role is EntryRole.ISSUER
    assert by_did["did:web:noname.example"].name == "did:web:noname.example"
    older = {"meta": {}, "entries": DCC_SAMPLE["registry"]}  # the older member name
    assert len(read_dcc_registry(older).entries) == 3


def test_a_bad_dcc_file_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="no 'registry' object"):
        read_dcc_registry({"meta": {}})
    with pytest.raises(InvalidInput, match="not a DID"):
        read_dcc_registry({"registry": {"issuer one": {"name": "X"}}})
    with pytest.raises(InvalidInput, match="not an object"):
        read_dcc_registry({"registry": {"did:web:x.example": "X"}})
