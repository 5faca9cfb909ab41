"""Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/): encode and read.

``encodedList`` is ``u`` + base64url (no padding) of the GZIP of the bitstring; index 0 is the
left-most (most significant) bit of the first byte; a list holds at least 131,072 entries.
"""

from __future__ import annotations

import base64
import gzip
import zlib

from credstack.errors import CredstackError

MIN_LIST_BITS = 131_072
MAX_LIST_BYTES = 16 * 1024 * 1024  # decompressed bound against gzip bombs


def encode_list(bits: bytes | bytearray) -> str:
    """The ``encodedList`` value for a bitstring (mtime 0 so equal lists encode equally)."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``; raises STATUS_VERIFICATION_ERROR on malformed data."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise CredstackError(
            "encodedList must be a multibase base64url string ('u' prefix)",
            code="STATUS_VERIFICATION_ERROR",
        )
    body = encoded[1:]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = inflater.decompress(raw, MAX_LIST_BYTES + 1)
    except (ValueError, zlib.error) as exc:
        raise CredstackError(
            f"encodedList is not base64url GZIP data: {exc}", code="STATUS_VERIFICATION_ERROR"
        ) from None
    if len(bits) > MAX_LIST_BYTES:
        raise CredstackError(
            "encodedList decompresses beyond the size limit", code="STATUS_VERIFICATION_ERROR"
        )
    return bits


def read_status(bits: bytes, index: int, size: int = 1) -> int:
    """The status value of ``size`` bits at entry ``index``."""
    if len(bits) * 8 // size < MIN_LIST_BITS:
        raise CredstackError(
            f"status list has {len(bits) * 8 // size} entries; "
            f"at least {MIN_LIST_BITS} are required",
            code="STATUS_LIST_LENGTH_ERROR",
        )
    first = index * size
    if index < 0 or first + size > len(bits) * 8:
        raise CredstackError(f"statusListIndex {index} is outside the list", code="RANGE_ERROR")
    value = 0
    for bit in range(first, first + size):
        value = (value << 1) | ((bits[bit // 8] >> (7 - bit % 8)) & 1)
    return value


def set_status(bits: bytearray, index: int, value: int, size: int = 1) -> None:
    """Write ``value`` into entry ``index`` of a mutable bitstring."""
    first = index * size
    if index < 0 or first + size > len(bits) * 8:
        raise CredstackError(f"statusListIndex {index} is outside the list", code="RANGE_ERROR")
    for offset in range(size):
        bit = first + offset
        mask = 1 << (7 - bit % 8)
        if (value >> (size - 1 - offset)) & 1:
            bits[bit // 8] |= mask
        else:
            bits[bit // 8] &= ~mask & 0xFF
