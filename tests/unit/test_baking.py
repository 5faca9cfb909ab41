"""OB 3.0 baking: PNG iTXt and SVG element, the credstack bundle slot, strict parsing, and
extraction by tools independent of credstack (a separate PNG chunk walker, lxml for SVG)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from credstack.baking import (
    BUNDLE_NS,
    MAX_IMAGE_BYTES,
    OB_NS,
    bake_png,
    bake_svg,
    extract,
    extract_png,
    extract_svg,
)
from credstack.errors import InvalidInput

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:1",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Data Stewardship — ünïcode ]]> inside",
    "proof": [{"type": "DataIntegrityProof", "proofValue": "z3abc"}],
}
BUNDLE: dict[str, Any] = {"type": "CredstackVerificationBundle", "version": 1, "credential": {}}
JWS = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6ZXhhbXBsZSJ9.c2lnbmF0dXJl"


# ------------------------------------------------------------------------------- PNG helpers
# An independent chunk walker (PNG §5.3), deliberately not using credstack.baking.


def chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def tiny_png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1 greyscale
    idat = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def walk(png: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        out.append((kind, png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def independent_itxt(png: bytes) -> dict[str, tuple[int, str]]:
    """keyword -> (compression flag, text) for every iTXt chunk."""
    found: dict[str, tuple[int, str]] = {}
    for kind, data in walk(png):
        if kind != b"iTXt":
            continue
        keyword, rest = data.split(b"\x00", 1)
        flag = rest[0]
        _lang, _translated, text = rest[2:].split(b"\x00", 2)
        found[keyword.decode("latin-1")] = (flag, text.decode("utf-8"))
    return found


# ------------------------------------------------------------------------------- PNG


def test_bake_png_round_trips_credential_and_bundle() -> None:
    baked = bake_png(tiny_png(), CREDENTIAL, bundle=BUNDLE)
    assert extract_png(baked) == (CREDENTIAL, BUNDLE)
    assert extract(baked) == (CREDENTIAL, BUNDLE)


def test_bake_png_credential_found_by_independent_walker() -> None:
    baked = bake_png(tiny_png(), CREDENTIAL, bundle=BUNDLE)
    itxt = independent_itxt(baked)
    flag, text = itxt["openbadgecredential"]
    assert flag == 0  # never compressed
    assert json.loads(text) == CREDENTIAL  # the credential alone, no bundle
    assert json.loads(itxt["credstackbundle"][1]) == BUNDLE
    kinds = [k for k, _ in walk(baked)]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    assert kinds.count(b"iTXt") == 2


def test_bake_png_jws_and_no_bundle() -> None:
    baked = bake_png(tiny_png(), JWS)
    assert extract_png(baked) == (JWS, None)
    assert independent_itxt(baked)["openbadgecredential"] == (0, JWS)


def test_bake_png_twice_replaces_the_credential() -> None:
    once = bake_png(tiny_png(), CREDENTIAL, bundle=BUNDLE)
    twice = bake_png(once, JWS)
    assert extract_png(twice) == (JWS, None)
    assert [k for k, _ in walk(twice)].count(b"iTXt") == 1


def test_extract_png_refuses_second_credential_chunk() -> None:
    baked = bake_png(tiny_png(), CREDENTIAL)
    parts = walk(baked)
    itxt = next(data for kind, data in parts if kind == b"iTXt")
    doubled = b"\x89PNG\r\n\x1a\n" + b"".join(
        chunk(kind, data) + (chunk(b"iTXt", itxt) if kind == b"iTXt" else b"")
        for kind, data in parts
    )
    with pytest.raises(InvalidInput, match="more than one"):
        extract_png(doubled)


def test_extract_png_refuses_bad_crc() -> None:
    baked = bytearray(bake_png(tiny_png(), CREDENTIAL))
    baked[40] ^= 0x01  # inside the iTXt chunk right after IHDR
    with pytest.raises(InvalidInput, match="CRC"):
        extract_png(bytes(baked))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a", "signature"),
        (tiny_png()[:-6], "truncated|past the end"),
        (tiny_png() + b"junk", "after IEND"),
        (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 2**31) + b"IHDR" + b"\x00" * 8, "2\\^31"),
        (b"\x89PNG\r\n\x1a\n" + chunk(b"IDAT", b"") + chunk(b"IEND", b""), "IHDR"),
    ],
)
def test_extract_png_refuses_malformed(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        extract_png(data)


def test_extract_png_refuses_compressed_credential() -> None:
    text = zlib.compress(json.dumps(CREDENTIAL).encode())
    itxt = b"openbadgecredential\x00\x01\x00\x00\x00" + text
    png = tiny_png()
    png = png[:33] + chunk(b"iTXt", itxt) + png[33:]
    with pytest.raises(InvalidInput, match="compressed"):
        extract_png(png)


def test_extract_png_without_credential_refused() -> None:
    with pytest.raises(InvalidInput, match="no baked credential"):
        extract_png(tiny_png())


def test_bake_png_refuses_non_credential() -> None:
    with pytest.raises(InvalidInput):
        bake_png(tiny_png(), "not a jws")
    with pytest.raises(InvalidInput):
        bake_png(tiny_png(), {"no": "context"})


def test_extract_png_refuses_oversized_image() -> None:
    with pytest.raises(InvalidInput) as info:
        extract_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES)
    assert info.value.code == "INPUT_TOO_LARGE"


# ------------------------------------------------------------------------------- SVG

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b">'
    b'<circle cx="5" cy="5" r="4"/></svg>\n'
)


def lxml_extract(svg: bytes) -> tuple[etree._Element, etree._Element]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(svg, parser)
    return root, root[0]


def test_bake_svg_round_trips_credential_and_bundle() -> None:
    baked = bake_svg(SVG, CREDENTIAL, bundle=BUNDLE)
    assert extract_svg(baked) == (CREDENTIAL, BUNDLE)
    assert extract(baked) == (CREDENTIAL, BUNDLE)
    assert baked.endswith(b'<circle cx="5" cy="5" r="4"/></svg>\n')  # the rest kept as is


def test_bake_svg_credential_found_by_lxml() -> None:
    baked = bake_svg(SVG, CREDENTIAL, bundle=BUNDLE)
    root, first = lxml_extract(baked)
    assert root.nsmap["openbadges"] == OB_NS
    assert first.tag == f"{{{OB_NS}}}credential"
    assert json.loads(first.text or "") == CREDENTIAL
    assert root[1].tag == f"{{{BUNDLE_NS}}}bundle"
    assert json.loads(root[1].text or "") == BUNDLE
    assert root[2].tag == "{http://www.w3.org/2000/svg}circle"


def test_bake_svg_jws_uses_verify_attribute() -> None:
    baked = bake_svg(SVG, JWS)
    _, first = lxml_extract(baked)
    assert first.get("verify") == JWS
    assert extract_svg(baked) == (JWS, None)


def test_bake_svg_empty_root() -> None:
    baked = bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', CREDENTIAL)
    assert extract_svg(baked) == (CREDENTIAL, None)


def test_bake_svg_refuses_already_baked() -> None:
    with pytest.raises(InvalidInput, match="already"):
        bake_svg(bake_svg(SVG, CREDENTIAL), CREDENTIAL)


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
    b"<openbadges:credential>&xxe;</openbadges:credential></svg>"
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
)


@pytest.mark.parametrize("svg", [XXE, LAUGHS])
def test_extract_svg_refuses_dtd_and_entities(svg: bytes) -> None:
    with pytest.raises(InvalidInput, match="DTD or entity"):
        extract_svg(svg)
    with pytest.raises(InvalidInput, match="DTD or entity"):
        bake_svg(svg, CREDENTIAL)


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>", "well-formed"),
        (b"<html/>", "not an SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "no baked credential"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:o='https://purl.imsglobal.org/ob/v3p0'>"
            b"<o:credential>{}</o:credential><o:credential>{}</o:credential></svg>",
            "more than one",
        ),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:o='https://purl.imsglobal.org/ob/v3p0'>"
            b"<g><o:credential>{}</o:credential></g></svg>",
            "child of the root",
        ),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><svg/>', "UTF-8"),
    ],
)
def test_extract_svg_refuses_malformed(svg: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        extract_svg(svg)


def test_bake_svg_refuses_prefix_bound_elsewhere() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    with pytest.raises(InvalidInput, match="another namespace"):
        bake_svg(svg, CREDENTIAL)


def test_extract_refuses_unknown_format() -> None:
    with pytest.raises(InvalidInput, match="not a PNG or SVG"):
        extract(b"GIF89a")
