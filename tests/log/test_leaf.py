"""Version-1 log leaf encoding: exact bytes, round trips, bounds checks, digests."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, InvalidKey
from credstack.log.leaf import (
    MAX_ISSUER_BYTES,
    EventType,
    LogLeaf,
    credential_digest,
    decode_leaf,
    did_document_digest,
    encode_leaf,
    key_digest,
)
from credstack.log.merkle import leaf_hash

AT = datetime(2025, 7, 1, 12, 0, 0, 123000, tzinfo=UTC)
ISSUER = "did:web:example.com"
DIGEST = bytes(range(32))

# Written out by hand from the layout in docs/transparency-log.md.
EXPECTED_HEX = "".join(
    [
        "01",  # version 1
        "01",  # CREDENTIAL_ISSUED
        "00000197c5dbb67b",  # 1751371200123 ms = 2025-07-01T12:00:00.123Z
        "0013",  # issuer length 19
        b"did:web:example.com".hex(),  # issuer
        DIGEST.hex(),  # digest, 32 bytes
    ]
)


def test_encode_leaf_matches_documented_bytes() -> None:
    assert encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, AT, DIGEST).hex() == EXPECTED_HEX


def test_decode_leaf_round_trips_every_event_type() -> None:
    for event in EventType:
        data = encode_leaf(event, ISSUER, AT, DIGEST)
        leaf = decode_leaf(data)
        assert leaf == LogLeaf(event, ISSUER, 1751371200123, DIGEST)
        assert leaf.time == AT
        assert leaf.encode() == data
        assert leaf.leaf_hash == leaf_hash(data)


def test_encode_leaf_drops_sub_millisecond_and_converts_zones() -> None:
    at = datetime(2025, 7, 1, 14, 0, 0, 123999, tzinfo=timezone(timedelta(hours=2)))
    assert decode_leaf(encode_leaf(EventType.KEY_RETIRED, ISSUER, at, DIGEST)).time == AT


@pytest.mark.parametrize("cut", range(len(bytes.fromhex(EXPECTED_HEX))))
def test_decode_leaf_refuses_truncated_input(cut: int) -> None:
    with pytest.raises(InvalidInput):
        decode_leaf(bytes.fromhex(EXPECTED_HEX)[:cut])


def test_decode_leaf_refuses_trailing_bytes() -> None:
    with pytest.raises(InvalidInput, match="extra bytes"):
        decode_leaf(bytes.fromhex(EXPECTED_HEX) + b"\x00")


def test_decode_leaf_refuses_time_after_year_9999() -> None:
    data = bytearray.fromhex(EXPECTED_HEX)
    data[2:10] = (253402300799999 + 1).to_bytes(8, "big")
    with pytest.raises(InvalidInput, match="time"):
        decode_leaf(bytes(data))
    data[2:10] = (253402300799999).to_bytes(8, "big")
    assert decode_leaf(bytes(data)).time == datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def test_decode_leaf_refuses_oversized_input() -> None:
    with pytest.raises(InvalidInput) as info:
        decode_leaf(b"\x01" * 10_000)
    assert info.value.code == "INPUT_TOO_LARGE"


@pytest.mark.parametrize(
    ("offset", "value", "reason"),
    [
        (0, 0x02, "version"),
        (0, 0x00, "version"),
        (1, 0x05, "event type"),
        (1, 0xFF, "event type"),
        (2, 0x80, "time"),
        (10, 0xFF, "length"),
        (12, ord("D"), "DID"),  # "Did:web:..."
        (16, ord(" "), "DID"),  # a space in the method name
    ],
)
def test_decode_leaf_refuses_bad_field(offset: int, value: int, reason: str) -> None:
    data = bytearray.fromhex(EXPECTED_HEX)
    data[offset] = value
    with pytest.raises(InvalidInput, match=reason):
        decode_leaf(bytes(data))


def test_decode_leaf_refuses_non_ascii_issuer() -> None:
    data = bytearray.fromhex(EXPECTED_HEX)
    data[20] = 0xC3
    with pytest.raises(InvalidInput, match="ASCII"):
        decode_leaf(bytes(data))


@pytest.mark.parametrize(
    "issuer",
    [
        "",
        "example.com",
        "did:web:",
        "did:Web:example.com",
        "did:web:a b",
        "did:web:x/y",
        "did:web:é",
    ],
)
def test_encode_leaf_refuses_non_did_issuer(issuer: str) -> None:
    with pytest.raises(InvalidInput):
        encode_leaf(EventType.CREDENTIAL_ISSUED, issuer, AT, DIGEST)


def test_encode_leaf_refuses_overlong_issuer() -> None:
    with pytest.raises(InvalidInput):
        encode_leaf(EventType.DID_DOCUMENT, "did:web:" + "a" * MAX_ISSUER_BYTES, AT, DIGEST)


def test_encode_leaf_accepts_did_web_with_port_and_path() -> None:
    issuer = "did:web:example.com%3A8443:issuers:42"
    assert decode_leaf(encode_leaf(EventType.DID_DOCUMENT, issuer, AT, DIGEST)).issuer == issuer


def test_encode_leaf_refuses_naive_and_pre_epoch_times() -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, datetime(2025, 1, 1), DIGEST)
    with pytest.raises(InvalidInput, match="1970"):
        encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, datetime(1969, 12, 31, tzinfo=UTC), DIGEST)


def test_encode_leaf_refuses_wrong_digest_size_and_unknown_event() -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        encode_leaf(EventType.CREDENTIAL_ISSUED, ISSUER, AT, DIGEST[:31])
    with pytest.raises(InvalidInput, match="event type"):
        encode_leaf(99, ISSUER, AT, DIGEST)  # type: ignore[arg-type]


CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:web:example.com", "type": ["Profile"]},
    "validFrom": "2025-07-01T12:00:00Z",
    "proof": [{"type": "DataIntegrityProof", "proofValue": "z3abc"}],
}


def test_credential_digest_is_sha256_of_jcs() -> None:
    # For ASCII text and no numbers, JCS is sorted keys without whitespace.
    jcs = json.dumps(CREDENTIAL, sort_keys=True, separators=(",", ":")).encode()
    assert credential_digest(CREDENTIAL) == hashlib.sha256(jcs).digest()


def test_credential_digest_ignores_member_order_but_not_the_proof() -> None:
    reordered = dict(reversed(list(CREDENTIAL.items())))
    assert credential_digest(reordered) == credential_digest(CREDENTIAL)
    altered = copy.deepcopy(CREDENTIAL)
    altered["proof"][0]["proofValue"] = "z3abd"
    assert credential_digest(altered) != credential_digest(CREDENTIAL)


def test_digests_refuse_non_objects() -> None:
    with pytest.raises(InvalidInput):
        credential_digest("eyJhbGciOi...")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        did_document_digest([1, 2])  # type: ignore[arg-type]


def test_did_document_digest_is_sha256_of_jcs() -> None:
    doc = {"id": "did:web:example.com", "@context": ["https://www.w3.org/ns/did/v1"]}
    expected = b'{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:web:example.com"}'
    assert did_document_digest(doc) == hashlib.sha256(expected).digest()


def test_key_digest_hashes_multicodec_key_bytes() -> None:
    pair = KeyPair(bytes(32))
    assert (
        key_digest(pair.public.multibase) == hashlib.sha256(b"\xed\x01" + pair.public.raw).digest()
    )
    with pytest.raises(InvalidKey):
        key_digest("not-multibase")
