"""C2SP signed notes with Ed25519 keys, and their text key formats.

https://github.com/C2SP/C2SP/blob/main/signed-note.md

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key ID || signature)>``.  The key ID is
``SHA-256(key name || 0x0A || type || public key)[:4]`` (big-endian uint32).  Two signature
types are supported: ``0x01`` (Ed25519 over the note text) and ``0x04`` (timestamped Ed25519
witness cosignature, https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md).

Key text formats (as in Go's golang.org/x/mod/sumdb/note):
verifier ``<name>+<8 hex key ID>+<base64(type || 32-byte public key)>``;
signer ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(type || 32-byte seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from credstack.crypto.keys import KeyPair, PublicKey
from credstack.errors import InvalidInput, InvalidKey, ProofError

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_TYPES = frozenset({ED25519, COSIGNATURE_V1})
MAX_NOTE_BYTES = 1024 * 1024
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
MAX_TIMESTAMP = 2**63 - 1
_DASH = "\u2014 "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_TS = struct.Struct(">Q")


def _malformed(message: str) -> ProofError:
    return ProofError(message, code="MALFORMED_PROOF_ERROR")


def check_key_name(name: object) -> str:
    """A key name is non-empty, without Unicode spaces, ``+`` or control characters."""
    if (
        not isinstance(name, str)
        or not name
        or "+" in name
        or any(ch.isspace() for ch in name)
        or _CONTROL.search(name)
    ):
        raise InvalidKey(f"invalid note key name {name!r}: non-empty, no spaces, no '+'")
    return name


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 with padding, canonical only; :class:`InvalidInput` otherwise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidInput(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise InvalidInput(f"{what} is not canonical base64")
    return raw


def cosignature_message(text: str, timestamp: int) -> bytes:
    """tlog-cosignature Ed25519 signed message: ``cosignature/v1\\ntime <ts>\\n`` + note text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


def _check_type(sig_type: int) -> None:
    if sig_type not in SIGNATURE_TYPES:
        raise InvalidKey(f"unsupported note signature type 0x{sig_type:02x}")


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted public key: name, key ID, Ed25519 key and signature type."""

    name: str
    key_id: int
    public_key: PublicKey
    sig_type: int = ED25519

    @classmethod
    def for_key(
        cls, name: str, public_key: PublicKey | bytes, sig_type: int = ED25519
    ) -> NoteVerifier:
        check_key_name(name)
        _check_type(sig_type)
        pub = public_key if isinstance(public_key, PublicKey) else PublicKey(bytes(public_key))
        if len(pub.raw) != 32:
            raise InvalidKey("an Ed25519 public key is 32 bytes")
        return cls(name, key_id(name, sig_type, pub.raw), pub, sig_type)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex key ID>+<base64(type || public key)>``."""
        if not isinstance(vkey, str):
            raise InvalidKey("a verifier key is a string")
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise InvalidKey("a verifier key is <name>+<key id>+<key>")
        name, hex_id, material = parts
        raw = _key_material(material, hex_id)
        verifier = cls.for_key(name, raw[1:], raw[0])
        if verifier.key_id != int(hex_id, 16):
            raise InvalidKey(f"verifier key {name!r}: key ID does not match the key")
        return verifier

    def to_vkey(self) -> str:
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key.raw).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, text: str, signature: bytes) -> bool:
        """True when ``signature`` (without the key ID) is valid over the note ``text``."""
        if self.sig_type == COSIGNATURE_V1:
            if len(signature) != _TS.size + 64:
                return False
            (timestamp,) = _TS.unpack_from(signature)
            if timestamp > MAX_TIMESTAMP:
                return False
            message = cosignature_message(text, timestamp)
            return self.public_key.verify(signature[_TS.size :], message)
        return self.public_key.verify(signature, text.encode("utf-8"))


def _key_material(material: str, hex_id: str) -> bytes:
    if _HEX8.fullmatch(hex_id) is None:
        raise InvalidKey("a note key ID is 8 hexadecimal digits")
    try:
        raw = b64decode_strict(material, "note key")
    except InvalidInput as exc:
        raise InvalidKey(exc.message) from None
    if len(raw) != 33:
        raise InvalidKey("a note key is one type byte and 32 key bytes")
    _check_type(raw[0])
    return raw


class NoteSigner:
    """An Ed25519 signing key with a note key name and signature type."""

    __slots__ = ("key", "key_id", "name", "sig_type")

    def __init__(self, name: str, key: KeyPair, sig_type: int = ED25519) -> None:
        check_key_name(name)
        _check_type(sig_type)
        self.name = name
        self.key = key
        self.sig_type = sig_type
        self.key_id = key_id(name, sig_type, key.public.raw)

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>``."""
        if not isinstance(skey, str):
            raise InvalidKey("a signer key is a string")
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise InvalidKey("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
        name, hex_id, material = parts[2:]
        check_key_name(name)
        raw = _key_material(material, hex_id)
        signer = cls(name, KeyPair(raw[1:]), raw[0])
        if signer.key_id != int(hex_id, 16):
            raise InvalidKey(f"signer key {name!r}: key ID does not match the key")
        return signer

    def to_skey(self) -> str:
        material = base64.b64encode(bytes([self.sig_type]) + self.key.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{material}"

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key_id, self.key.public, self.sig_type)

    def sign(self, text: str, *, timestamp: int | None = None) -> NoteSignature:
        """Sign note ``text``; a cosignature (type 0x04) needs a POSIX ``timestamp``."""
        check_note_text(text)
        if self.sig_type == COSIGNATURE_V1:
            if timestamp is None or not 0 <= timestamp <= MAX_TIMESTAMP:
                raise InvalidInput("a cosignature needs a timestamp between 0 and 2**63-1")
            sig = _TS.pack(timestamp) + self.key.sign(cosignature_message(text, timestamp))
        else:
            sig = self.key.sign(text.encode("utf-8"))
        return NoteSignature(self.name, self.key_id, sig)

    def __repr__(self) -> str:  # never print the secret
        return f"NoteSigner({self.verifier.to_vkey()!r})"


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key ID and signature bytes (key ID not included)."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        blob = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()
        return f"{_DASH}{self.name} {blob}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed signed note: its text (with the final newline) and signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def format(self) -> str:
        return self.text + "\n" + "".join(sig.line for sig in self.signatures)


def check_note_text(text: object) -> str:
    """Note text: a string ending in a newline, no control characters but newline."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise InvalidInput("note text must be a string ending in a newline")
    if _CONTROL.search(text):
        raise InvalidInput("note text must not contain control characters other than newline")
    return text


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into text and signature lines; malformed notes are refused."""
    if isinstance(note, (bytes, bytearray)):
        if len(note) > MAX_NOTE_BYTES:
            raise InvalidInput(
                f"note is larger than {MAX_NOTE_BYTES} bytes", code="INPUT_TOO_LARGE"
            )
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise _malformed("a note is text")
    if len(note) > MAX_NOTE_BYTES or len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise InvalidInput(f"note is larger than {MAX_NOTE_BYTES} bytes", code="INPUT_TOO_LARGE")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("note is not valid UTF-8") from None
    if _CONTROL.search(note):
        raise _malformed("note contains control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise _malformed("note has no signature lines, or they do not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"note has more than {MAX_SIGNATURES} signatures")
    signatures: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for line in lines:
        sig = _parse_signature_line(line)
        if (sig.name, sig.key_id) in seen:
            raise _malformed(f"note has two signatures by key {sig.name!r} {sig.key_id:08x}")
        seen.add((sig.name, sig.key_id))
        signatures.append(sig)
    return Note(text, tuple(signatures))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise _malformed("a signature line starts with an em dash and a space")
    name, space, blob = line[len(_DASH) :].partition(" ")
    if not space:
        raise _malformed("a signature line is '— <name> <base64>'")
    try:
        check_key_name(name)
        raw = b64decode_strict(blob, "signature")
    except InvalidInput as exc:
        raise _malformed(exc.message) from None
    if len(raw) < 5:
        raise _malformed("a signature is a 4-byte key ID and at least one byte")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def sign_note(text: str, signers: Iterable[NoteSigner], *, timestamp: int | None = None) -> str:
    """Sign ``text`` with each signer and return the note."""
    sigs = tuple(signer.sign(text, timestamp=timestamp) for signer in signers)
    if not sigs:
        raise InvalidInput("a note needs at least one signer")
    if len({(s.name, s.key_id) for s in sigs}) != len(sigs):
        raise InvalidInput("two signers share a key name and key ID")
    return Note(text, sigs).format()


def verifier_index(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    """Verifiers keyed by (name, key ID); two different keys for one pair are refused."""
    index: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if not isinstance(v, NoteVerifier):
            raise InvalidKey("verifiers must be NoteVerifier objects")
        other = index.setdefault((v.name, v.key_id), v)
        if other != v:
            raise InvalidKey(f"two verifier keys share name {v.name!r} and key ID {v.key_id:08x}")
    return index


def open_note(
    note: str | bytes | Note, verifiers: Iterable[NoteVerifier], *, required: int = 1
) -> tuple[Note, tuple[NoteSignature, ...]]:
    """Verify a note against trusted keys; return it and the signatures that verified.

    Per signed-note: unknown keys (name or key ID differ) are ignored; a known key whose
    signature fails rejects the whole note; fewer than ``required`` (at least one) verified
    keys reject it.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    index = verifier_index(verifiers)
    verified: list[NoteSignature] = []
    for sig in parsed.signatures:
        verifier = index.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(parsed.text, sig.signature):
            raise ProofError(f"note signature by {sig.name!r} ({sig.key_id:08x}) does not verify")
        verified.append(sig)
    needed = max(1, required)
    if len(verified) < needed:
        raise ProofError(
            f"note has {len(verified)} valid signature(s) from trusted keys; {needed} required"
        )
    return parsed, tuple(verified)
