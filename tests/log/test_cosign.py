"""C2SP tlog-cosignature (cosignature/v1) witness cosignatures."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, ProofError
from credstack.log.checkpoint import sign_checkpoint, verify_checkpoint
from credstack.log.cosign import (
    Cosignature,
    cosign,
    cosignature_signer,
    cosignature_timestamp,
    cosignature_verifier,
    verify_cosignatures,
)
from credstack.log.note import NoteSignature, NoteSigner, NoteVerifier, parse_note

# The checkpoint of the C2SP tlog-checkpoint / tlog-cosignature examples, cosigned at the time
# of the tlog-cosignature signed-message example (1679315147 = 2023-03-20T12:25:47Z).
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_TIME = datetime(2023, 3, 20, 12, 25, 47, tzinfo=UTC)
SPEC_ORIGIN = "example.com/behind-the-sofa"
SPEC_ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")

LOG = NoteSigner(SPEC_ORIGIN, KeyPair(bytes([1]) * 32))
W1_SEED = bytes(range(32))
W1 = KeyPair(W1_SEED)
W2 = KeyPair(bytes([2]) * 32)
W1_NAME = "witness.example.com/w1"
W2_NAME = "witness.example.com/w2"
W1_V = cosignature_verifier(W1_NAME, W1.public)
W2_V = cosignature_verifier(W2_NAME, W2.public)
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _checkpoint() -> str:
    return sign_checkpoint(SPEC_ORIGIN, 20852163, SPEC_ROOT, LOG)


def test_cosign_known_answer_derived_by_hand() -> None:
    text = _checkpoint()
    assert parse_note(text).text == SPEC_BODY
    out = cosign(text, W1, W1_NAME, SPEC_TIME)
    # Independently: the signed message written out as in the spec's example, signed with the
    # `cryptography` package (not PyNaCl, which credstack uses), key ID with type byte 0x04.
    message = (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    private = Ed25519PrivateKey.from_private_bytes(W1_SEED)
    public = W1.public.raw
    kid = hashlib.sha256(W1_NAME.encode() + b"\n\x04" + public).digest()[:4]
    blob = kid + (1679315147).to_bytes(8, "big") + private.sign(message)
    assert out == text + f"— {W1_NAME} {base64.b64encode(blob).decode()}\n"


@pytest.mark.parametrize(
    ("blob", "expected"),
    [
        # the cosignature line of the C2SP tlog-cosignature example
        (
            "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==",
            1679315147,
        ),
        # transparency-dev/formats note tests (Apache-2.0), TestCosignatureTimestamp
        (
            "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
            1727964367,
        ),
    ],
)
def test_cosignature_timestamp_reads_published_examples(blob: str, expected: int) -> None:
    raw = base64.b64decode(blob)
    sig = NoteSignature("w", int.from_bytes(raw[:4], "big"), raw[4:])
    assert cosignature_timestamp(sig) == expected


def test_cosignature_timestamp_refuses_plain_signature() -> None:
    with pytest.raises(ProofError):
        cosignature_timestamp(NoteSignature("w", 1, bytes(64)))


def test_verify_cosignatures_counts_witnesses_and_keeps_log_signature_valid() -> None:
    text = cosign(cosign(_checkpoint(), W1, W1_NAME, SPEC_TIME), W2, W2_NAME, AT)
    checkpoint, cosigs = verify_cosignatures(text, [W1_V, W2_V], required_n=2)
    assert checkpoint.size == 20852163
    assert cosigs == (
        Cosignature(W1_NAME, W1_V.key_id, 1679315147),
        Cosignature(W2_NAME, W2_V.key_id, int(AT.timestamp())),
    )
    assert cosigs[0].time == SPEC_TIME
    # the log's own signature still verifies and the witness lines are ignored by it
    assert verify_checkpoint(text, [LOG.verifier]).signers == (SPEC_ORIGIN,)


def test_verify_cosignatures_refuses_too_few_witnesses() -> None:
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    with pytest.raises(ProofError, match="2 required"):
        verify_cosignatures(text, [W1_V, W2_V], required_n=2)


def test_verify_cosignatures_ignores_unknown_witness() -> None:
    stranger = KeyPair(bytes([3]) * 32)
    text = cosign(cosign(_checkpoint(), stranger, "stranger.example", AT), W1, W1_NAME, AT)
    _, cosigs = verify_cosignatures(text, [W1_V], required_n=1)
    assert [c.name for c in cosigs] == [W1_NAME]


def test_verify_cosignatures_refuses_cosignature_over_other_head() -> None:
    other = sign_checkpoint(SPEC_ORIGIN, 20852164, SPEC_ROOT, LOG)
    line = cosign(other, W1, W1_NAME, AT).rsplit("\n", 2)[-2] + "\n"
    with pytest.raises(ProofError, match="does not verify"):
        verify_cosignatures(_checkpoint() + line, [W1_V], required_n=1)


def test_verify_cosignatures_refuses_altered_timestamp() -> None:
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    note = parse_note(text)
    sig = note.signatures[-1]
    later = (cosignature_timestamp(sig) + 1).to_bytes(8, "big") + sig.signature[8:]
    forged = text.replace(sig.line, NoteSignature(sig.name, sig.key_id, later).line)
    with pytest.raises(ProofError, match="does not verify"):
        verify_cosignatures(forged, [W1_V], required_n=1)


def test_cosignature_covers_extension_lines() -> None:
    text = cosign(sign_checkpoint(SPEC_ORIGIN, 5, SPEC_ROOT, LOG, ["ext A"]), W1, W1_NAME, AT)
    with pytest.raises(ProofError):
        verify_cosignatures(text.replace("ext A", "ext B"), [W1_V], required_n=1)


def test_verify_cosignatures_refuses_future_timestamp_when_now_given() -> None:
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    with pytest.raises(ProofError, match="future"):
        verify_cosignatures(text, [W1_V], required_n=1, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert verify_cosignatures(text, [W1_V], required_n=1, now=AT)[1][0].timestamp == int(
        AT.timestamp()
    )


def test_plain_ed25519_key_does_not_verify_cosignature() -> None:
    # Same key and name but type 0x01: a different key ID, so the line is not its signature.
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    plain = NoteVerifier.for_key(W1_NAME, W1.public)
    with pytest.raises(InvalidInput, match="0x04"):
        verify_cosignatures(text, [plain], required_n=1)
    with pytest.raises(ProofError, match="0 valid"):
        verify_checkpoint(text, [plain])


def test_cosign_refuses_second_cosignature_by_same_witness() -> None:
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    with pytest.raises(InvalidInput, match="already"):
        cosign(text, cosignature_signer(W1_NAME, W1), W1_NAME, AT)


def test_cosign_refuses_malformed_checkpoint_and_naive_time() -> None:
    with pytest.raises(ProofError):
        cosign("not a checkpoint\n\n— x AAAAAAA=\n", W1, W1_NAME, AT)
    with pytest.raises(InvalidInput, match="timezone"):
        cosign(_checkpoint(), W1, W1_NAME, datetime(2026, 1, 1))


def test_cosignature_vkey_round_trips_with_type_04() -> None:
    vkey = W1_V.to_vkey()
    assert vkey.split("+")[2].startswith("BA")  # base64 of 0x04 ...
    assert NoteVerifier.from_vkey(vkey) == W1_V


def test_verify_cosignatures_with_zero_required_still_refuses_bad_known_line() -> None:
    text = cosign(_checkpoint(), W1, W1_NAME, AT)
    assert verify_cosignatures(_checkpoint(), [W1_V], required_n=0)[1] == ()
    with pytest.raises(ProofError, match="does not verify"):
        verify_cosignatures(text.replace("20852163", "20852164"), [W1_V], required_n=0)
