"""base58btc multibase and multicodec helpers for Multikey (W3C Controlled Identifiers 1.0).

Only base58btc (prefix ``z``) is used by the Ed25519 cryptosuites; other multibase
prefixes are refused.  Encoding works in chunks of 58**10 so that a 64-byte signature
takes a handful of big-integer divisions instead of one per output digit.
"""

from __future__ import annotations

from credstack.errors import InvalidInput

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_CHUNK = 58**10
# every pair of digits, so each 58**10 chunk becomes 5 table look-ups
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]
_PAIR_BASE = 58 * 58

ED25519_PUB_HEADER = b"\xed\x01"
ED25519_PRIV_HEADER = b"\x80\x26"


def b58encode(data: bytes) -> str:
    """base58btc (Bitcoin alphabet) encoding of ``data``."""
    n = int.from_bytes(data, "big")
    parts: list[str] = []
    pairs = _PAIRS
    while n:
        n, chunk = divmod(n, _CHUNK)
        c4, p4 = divmod(chunk, _PAIR_BASE)
        c3, p3 = divmod(c4, _PAIR_BASE)
        c2, p2 = divmod(c3, _PAIR_BASE)
        p0, p1 = divmod(c2, _PAIR_BASE)
        parts.append(pairs[p0] + pairs[p1] + pairs[p2] + pairs[p3] + pairs[p4])
    digits = "".join(reversed(parts)).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + digits


def b58decode(text: str) -> bytes:
    """Decode base58btc; raises :class:`InvalidInput` on characters outside the alphabet."""
    n = 0
    index = _INDEX
    try:
        for ch in text:
            n = n * 58 + index[ch]
    except KeyError as exc:
        raise InvalidInput(f"not base58btc: unexpected character {str(exc)!r}") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def decode_multibase(value: str) -> bytes:
    """Decode a multibase string; only base58btc (``z``) is accepted."""
    if not isinstance(value, str) or not value:
        raise InvalidInput("multibase value must be a non-empty string")
    if value[0] != "z":
        raise InvalidInput(
            f"unsupported multibase prefix {value[0]!r}: only base58btc 'z' is accepted"
        )
    return b58decode(value[1:])


def encode_multibase(data: bytes) -> str:
    """Encode bytes as base58btc multibase (``z`` prefix)."""
    return "z" + b58encode(data)
