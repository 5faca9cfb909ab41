"""C2SP signed notes, key strings and checkpoints."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidInput, InvalidKey, ProofError
from credstack.log.checkpoint import (
    Checkpoint,
    parse_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
    verify_checkpoint,
)
from credstack.log.merkle import leaf_hash, root
from credstack.log.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

# Known answer from golang.org/x/mod/sumdb/note (BSD-3-Clause), the reference implementation of
# signed notes: its documented example key pair and signed note.  Ed25519 is deterministic, so
# signing the same text must give the same bytes.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

ORIGIN = "credstack.example/log"
LOG = NoteSigner(ORIGIN, KeyPair(bytes([7]) * 32))
OTHER = NoteSigner("other.example/log", KeyPair(bytes([8]) * 32))
ROOT = root([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])


def test_go_reference_signer_key_parses_and_reproduces_note() -> None:
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert signer.to_skey() == GO_SKEY
    assert signer.verifier.to_vkey() == GO_VKEY
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE


def test_go_reference_note_verifies_and_tampered_text_fails() -> None:
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    note, verified = open_note(GO_NOTE, [verifier])
    assert note.text == GO_TEXT
    assert [s.name for s in verified] == ["PeterNeumann"]
    with pytest.raises(ProofError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [verifier])


def test_key_id_is_truncated_sha256_of_name_type_and_key() -> None:
    pub = bytes(range(32))
    digest = hashlib.sha256(b"example.com/x\n\x01" + pub).digest()
    assert key_id("example.com/x", ED25519, pub) == int.from_bytes(digest[:4], "big")


@pytest.mark.parametrize(
    ("vkey", "sig_type", "expected_id"),
    [
        # transparency-dev/formats note tests (Apache-2.0): a type 0x01 key whose base64
        # contains '+', and a native type 0x04 witness key.
        ("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", ED25519, 0x7997405C),
        (
            "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
            COSIGNATURE_V1,
            0xDA77ADE7,
        ),
    ],
)
def test_vkey_from_other_implementations_parses(vkey: str, sig_type: int, expected_id: int) -> None:
    verifier = NoteVerifier.from_vkey(vkey)
    assert verifier.sig_type == sig_type
    assert verifier.key_id == expected_id
    assert verifier.to_vkey() == vkey


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a3",  # missing key
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 hex digits
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # bad base64
        "PeterNeumann+c74f20a3+AxPc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x03
    ],
)
def test_vkey_malformed_is_refused(vkey: str) -> None:
    with pytest.raises(InvalidKey):
        NoteVerifier.from_vkey(vkey)


def test_skey_malformed_is_refused() -> None:
    with pytest.raises(InvalidKey):
        NoteSigner.from_skey(GO_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"))
    with pytest.raises(InvalidKey, match="key ID"):
        NoteSigner.from_skey(GO_SKEY.replace("c74f20a3", "c74f20a4"))


def test_signer_repr_hides_the_secret() -> None:
    assert "PRIVATE" not in repr(NoteSigner.from_skey(GO_SKEY))


def test_sign_checkpoint_writes_exact_body_and_independent_signature() -> None:
    text = sign_checkpoint(ORIGIN, 3, ROOT, LOG)
    body = f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n"
    # independent signature: the `cryptography` package, not PyNaCl
    sig = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32).sign(body.encode())
    blob = base64.b64encode(LOG.key_id.to_bytes(4, "big") + sig).decode()
    assert text == f"{body}\n— {ORIGIN} {blob}\n"


def test_verify_checkpoint_returns_tree_head_and_signers() -> None:
    text = sign_checkpoint(ORIGIN, 3, ROOT, LOG, extensions=["ext line"])
    result = verify_checkpoint(text, [LOG.verifier])
    assert result.checkpoint == Checkpoint(ORIGIN, 3, ROOT, ("ext line",))
    assert result.signers == (ORIGIN,)


def test_verify_checkpoint_ignores_unknown_keys() -> None:
    text = sign_checkpoint(ORIGIN, 3, ROOT, LOG)
    extra = OTHER.sign(parse_note(text).text).line
    # same name, different key ID: an unknown key, ignored even with a garbage signature
    impostor = NoteSigner(ORIGIN, KeyPair(bytes([9]) * 32)).sign("garbage\n").line
    result = verify_checkpoint(text + extra + impostor, [LOG.verifier])
    assert result.signers == (ORIGIN,)


def test_verify_checkpoint_refuses_bad_signature_from_known_key() -> None:
    text = sign_checkpoint(ORIGIN, 3, ROOT, LOG)
    forged = text.replace("\n3\n", "\n4\n")
    with pytest.raises(ProofError, match="does not verify"):
        verify_checkpoint(forged, [LOG.verifier])


def test_verify_checkpoint_refuses_note_without_trusted_signature() -> None:
    text = sign_checkpoint(ORIGIN, 3, ROOT, OTHER)
    with pytest.raises(ProofError, match="0 valid"):
        verify_checkpoint(text, [LOG.verifier])


def test_verify_checkpoint_required_counts_distinct_keys() -> None:
    body = Checkpoint(ORIGIN, 3, ROOT).body
    text = sign_note(body, [LOG, OTHER])
    assert len(verify_checkpoint(text, [LOG.verifier, OTHER.verifier], required=2).verified) == 2
    with pytest.raises(ProofError, match="2 required"):
        verify_checkpoint(text, [LOG.verifier], required=2)


def test_ambiguous_verifiers_are_refused() -> None:
    twin = NoteVerifier(LOG.name, LOG.key_id, OTHER.key.public)
    with pytest.raises(InvalidKey, match="share"):
        verify_checkpoint(sign_checkpoint(ORIGIN, 3, ROOT, LOG), [LOG.verifier, twin])


GOOD = sign_checkpoint(ORIGIN, 3, ROOT, LOG)
SIG_LINE = GOOD.split("\n\n", 1)[1]


@pytest.mark.parametrize(
    "note",
    [
        GOOD.replace("\n\n", "\n"),  # no blank line
        GOOD + SIG_LINE,  # the same key twice
        GOOD[:-1],  # last signature line without newline
        GOOD.split("\n\n")[0] + "\n\n",  # no signature lines
        GOOD.replace("— ", "- "),  # hyphen instead of em dash
        GOOD.replace("— ", "—"),  # no space after the dash
        GOOD.replace(f"— {ORIGIN} ", f"— {ORIGIN}  "),  # double space
        GOOD.replace(f"— {ORIGIN} ", "—  "),  # empty name
        GOOD.replace("=\n", "\n"),  # signature base64 without padding
        GOOD.replace("\n3\n", "\n3\r\n"),  # control character
        GOOD.replace("\n3\n", "\n03\n"),  # leading zero in tree size
        GOOD.replace("\n3\n", "\n-3\n"),  # negative tree size
        GOOD.replace("\n3\n", "\n99999999999999999999\n"),  # beyond 2**63-1
        GOOD.replace("\n3\n", "\n3\n\n"),  # empty line where extensions go
        GOOD.replace(base64.b64encode(ROOT).decode(), "AAAA"),  # 3-byte root
        GOOD.replace(base64.b64encode(ROOT).decode(), "not base64!"),
        f"{ORIGIN}\n3\n\n{SIG_LINE}",  # two lines only
        "— " + SIG_LINE,  # nothing at all
    ],
)
def test_parse_checkpoint_refuses_malformed_note(note: str) -> None:
    with pytest.raises((ProofError, InvalidInput)):
        verify_checkpoint(note, [LOG.verifier])


def test_parse_note_refuses_invalid_utf8_and_oversize() -> None:
    with pytest.raises(ProofError, match="UTF-8"):
        parse_note(b"\xff\xfe\n\n" + SIG_LINE.encode())
    with pytest.raises(InvalidInput) as info:
        parse_note("a" * (2 * 1024 * 1024))
    assert info.value.code == "INPUT_TOO_LARGE"


def test_parse_note_refuses_too_many_signatures() -> None:
    lines = "".join(
        NoteSigner(f"w{i}.example", LOG.key).sign(GOOD.split("\n\n")[0] + "\n").line
        for i in range(101)
    )
    with pytest.raises(ProofError, match="more than"):
        parse_note(GOOD.split("\n\n")[0] + "\n\n" + lines)


def test_parse_checkpoint_accepts_empty_tree() -> None:
    text = sign_checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest(), LOG)
    assert parse_checkpoint(text).checkpoint.size == 0
    assert parse_checkpoint_body(Checkpoint(ORIGIN, 0, root([])).body).root_hash == root([])


@pytest.mark.parametrize(
    ("origin", "size", "root_hash", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("two\nlines", 1, ROOT, ()),
        (ORIGIN, -1, ROOT, ()),
        (ORIGIN, 1, ROOT[:31], ()),
        (ORIGIN, 1, ROOT, ("",)),
        (ORIGIN, 1, ROOT, ("tab\there",)),
    ],
)
def test_sign_checkpoint_refuses_bad_fields(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidInput):
        sign_checkpoint(origin, size, root_hash, LOG, extensions)
