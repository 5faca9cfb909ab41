"""Open Badges 3.0 baking: a credential (and optionally its verification bundle) in an image.

https://www.imsglobal.org/spec/ob/v3p0/#baking (1EdTech docformat):

- PNG: one ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0 (never
  compressed), empty language tag and translated keyword; the text is the credential's JSON
  or its compact JWS.
- SVG: the root ``<svg>`` declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"``
  and its first child is one ``<openbadges:credential>`` holding the JSON in CDATA, or an
  empty element with ``verify="<compact JWS>"``.

credstack adds its offline verification bundle in a separate slot (PNG keyword
``credstackbundle``, SVG element ``<credstack:bundle>`` in namespace :data:`BUNDLE_NS`), so
other tools still find the credential alone.  Parsing is strict: PNG chunks are bounds- and
CRC-checked and a second credential chunk is refused; SVG with a DTD or entity declaration is
refused (no XXE, no entity expansion).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from credstack._json import MAX_DOCUMENT_BYTES, parse_json
from credstack._xml import hardened_parser
from credstack.errors import InvalidInput
from credstack.log.bundle import MAX_BUNDLE_BYTES

__all__ = [
    "BUNDLE_KEYWORD",
    "BUNDLE_NS",
    "CREDENTIAL_KEYWORD",
    "MAX_IMAGE_BYTES",
    "OB_NS",
    "BakedCredential",
    "bake_png",
    "bake_svg",
    "extract",
    "extract_png",
    "extract_svg",
    "is_png",
    "is_svg",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CREDENTIAL_KEYWORD = "openbadgecredential"
BUNDLE_KEYWORD = "credstackbundle"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
SVG_NS = "http://www.w3.org/2000/svg"
BUNDLE_NS = "urn:credstack:verification-bundle:v1"
#: images larger than this are refused before parsing (credential + bundle + picture)
MAX_IMAGE_BYTES = 32 * 1024 * 1024
_MAX_CHUNK = 2**31 - 1  # PNG §5.3: chunk lengths are at most 2^31 - 1
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_CHUNK_HEAD = struct.Struct(">I4s")

#: a credential as baked: its JSON object, or a compact JWS (VC-JWT)
BakedCredential = dict[str, Any] | str


# ---------------------------------------------------------------------------- shared


def _credential_text(credential: Mapping[str, Any] | str) -> str:
    if isinstance(credential, str):
        token = credential.strip()
        if _JWS.fullmatch(token) is None:
            raise InvalidInput("a credential given as text must be a compact JWS")
        return token
    if not isinstance(credential, Mapping) or "@context" not in credential:
        raise InvalidInput("a credential to bake must be a JSON object (or a compact JWS)")
    return json.dumps(dict(credential), ensure_ascii=False, separators=(",", ":"))


def _bundle_text(bundle: Mapping[str, Any]) -> str:
    if not isinstance(bundle, Mapping):
        raise InvalidInput("a bundle to bake must be a JSON object")
    text = json.dumps(dict(bundle), ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_BUNDLE_BYTES:
        raise InvalidInput("the bundle is too large to bake", code="INPUT_TOO_LARGE")
    return text


def _read_credential(text: str) -> BakedCredential:
    token = text.strip()
    if _JWS.fullmatch(token):
        return token
    value = parse_json(token, what="baked credential", max_bytes=MAX_DOCUMENT_BYTES)
    if not isinstance(value, dict):
        raise InvalidInput("the baked credential is neither a JSON object nor a compact JWS")
    return value


def _read_bundle(text: str) -> dict[str, Any]:
    value = parse_json(text, what="baked verification bundle", max_bytes=MAX_BUNDLE_BYTES)
    if not isinstance(value, dict):
        raise InvalidInput("the baked verification bundle is not a JSON object")
    return value


def _check_image_size(data: bytes, what: str) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(
            f"the {what} is {len(data)} bytes; the limit is {MAX_IMAGE_BYTES}",
            code="INPUT_TOO_LARGE",
        )


# ---------------------------------------------------------------------------- PNG


@dataclass(frozen=True, slots=True)
class _Chunk:
    kind: bytes
    data: bytes

    def encode(self) -> bytes:
        crc = zlib.crc32(self.kind + self.data) & 0xFFFFFFFF
        return _CHUNK_HEAD.pack(len(self.data), self.kind) + self.data + struct.pack(">I", crc)


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def _png_chunks(data: bytes) -> list[_Chunk]:
    """Every chunk, checked: signature, lengths within the file, CRCs, IHDR first, IEND last."""
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidInput("a PNG image is bytes")
    data = bytes(data)
    _check_image_size(data, "PNG image")
    if not is_png(data):
        raise InvalidInput("not a PNG image (bad signature)")
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise InvalidInput(f"PNG is truncated: no complete chunk at byte {pos}")
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        if length > _MAX_CHUNK:
            raise InvalidInput(f"PNG chunk at byte {pos} declares {length} bytes (over 2^31-1)")
        if not kind.isalpha() or not kind.isascii():
            raise InvalidInput(f"PNG chunk at byte {pos} has an invalid type {kind!r}")
        end = pos + 8 + length
        if end + 4 > len(data):
            raise InvalidInput(f"PNG chunk {kind.decode()} at byte {pos} runs past the end")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack_from(">I", data, end)
        if crc != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise InvalidInput(f"PNG chunk {kind.decode()} at byte {pos} has a bad CRC")
        chunks.append(_Chunk(kind, body))
        pos = end + 4
        if kind == b"IEND":
            break
    if pos != len(data):
        raise InvalidInput(f"PNG has {len(data) - pos} byte(s) after IEND")
    if chunks[0].kind != b"IHDR":
        raise InvalidInput("PNG does not start with an IHDR chunk")
    return chunks


def _itxt(keyword: str, text: str) -> _Chunk:
    """An uncompressed iTXt chunk, empty language tag and translated keyword (PNG §11.3.4.5)."""
    return _Chunk(b"iTXt", keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode())


def _itxt_keyword(chunk: _Chunk) -> str:
    end = chunk.data.find(b"\x00", 0, 80)
    if end < 1:
        raise InvalidInput("PNG iTXt chunk has no valid keyword (1-79 bytes, then a 0 byte)")
    return chunk.data[:end].decode("latin-1")


def _itxt_text(chunk: _Chunk, keyword: str) -> str:
    """The text of an iTXt chunk of ours; compressed text is refused (the spec forbids it)."""
    data = chunk.data
    pos = len(keyword) + 1
    if pos + 2 > len(data):
        raise InvalidInput(f"PNG iTXt {keyword!r} is truncated")
    flag, method = data[pos], data[pos + 1]
    if flag != 0:
        raise InvalidInput(f"PNG iTXt {keyword!r} is compressed; baked credentials must not be")
    if method != 0:
        raise InvalidInput(f"PNG iTXt {keyword!r} has an unknown compression method {method}")
    pos += 2
    for field_name in ("language tag", "translated keyword"):
        end = data.find(b"\x00", pos)
        if end < 0:
            raise InvalidInput(f"PNG iTXt {keyword!r} has no end to its {field_name}")
        pos = end + 1
    try:
        return data[pos:].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"PNG iTXt {keyword!r} text is not UTF-8") from None


def bake_png(
    png: bytes, credential: Mapping[str, Any] | str, *, bundle: Mapping[str, Any] | None = None
) -> bytes:
    """The PNG with the credential (and optional bundle) baked in, right after IHDR.

    Any credential or bundle chunk already present is replaced.
    """
    chunks = _png_chunks(png)
    text = _credential_text(credential)
    extra = [_itxt(CREDENTIAL_KEYWORD, text)]
    if bundle is not None:
        extra.append(_itxt(BUNDLE_KEYWORD, _bundle_text(bundle)))
    kept = [
        c
        for c in chunks
        if not (c.kind == b"iTXt" and _itxt_keyword(c) in (CREDENTIAL_KEYWORD, BUNDLE_KEYWORD))
    ]
    out = [kept[0], *extra, *kept[1:]]
    result = PNG_SIGNATURE + b"".join(c.encode() for c in out)
    _check_image_size(result, "baked PNG image")
    return result


def extract_png(png: bytes) -> tuple[BakedCredential, dict[str, Any] | None]:
    """The baked credential (JSON object or compact JWS) and the bundle, if any."""
    found: dict[str, str] = {}
    for chunk in _png_chunks(png):
        if chunk.kind != b"iTXt":
            continue
        keyword = _itxt_keyword(chunk)
        if keyword not in (CREDENTIAL_KEYWORD, BUNDLE_KEYWORD):
            continue
        if keyword in found:
            raise InvalidInput(f"PNG holds more than one {keyword!r} iTXt chunk")
        found[keyword] = _itxt_text(chunk, keyword)
    if CREDENTIAL_KEYWORD not in found:
        raise InvalidInput("the PNG holds no baked credential (no openbadgecredential iTXt)")
    bundle = found.get(BUNDLE_KEYWORD)
    return _read_credential(found[CREDENTIAL_KEYWORD]), (
        None if bundle is None else _read_bundle(bundle)
    )


# ---------------------------------------------------------------------------- SVG


class _Refused(Exception):
    pass


@dataclass(slots=True)
class _SvgScan:
    root_start: int = -1  # byte offset of the root start tag's "<"
    root_ns: dict[str, str] | None = None  # namespace declarations on the root
    credential_text: list[str] | None = None
    credential_verify: str | None = None
    bundle_text: list[str] | None = None
    credentials: int = 0
    bundles: int = 0


def is_svg(data: bytes) -> bool:
    """Looks like XML (the parser decides whether it really is an SVG)."""
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head.startswith(b"<")


def _scan_svg(data: bytes) -> _SvgScan:
    """Parse with expat, no DTD, no entities; record the root and our elements."""
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidInput("an SVG image is bytes")
    data = bytes(data)
    _check_image_size(data, "SVG image")
    scan = _SvgScan()
    depth = 0
    pending_ns: dict[str, str] = {}
    collecting: list[str] | None = None

    def refuse(*_: Any) -> Any:
        raise _Refused("SVG with a DTD or entity declarations is refused")

    parser = hardened_parser(data, refuse, not_utf8="only UTF-8 SVG images can be baked or read")

    def start_ns(prefix: str | None, uri: str) -> None:
        if depth == 0:
            pending_ns[prefix or ""] = uri

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, collecting
        if depth == 0:
            if name != f"{SVG_NS} svg":
                raise _Refused("the root element is not an SVG <svg>")
            scan.root_start = parser.CurrentByteIndex
            scan.root_ns = dict(pending_ns)
        elif name == f"{OB_NS} credential":
            if depth != 1:
                raise _Refused("<openbadges:credential> must be a child of the root <svg>")
            scan.credentials += 1
            if scan.credentials > 1:
                raise _Refused("the SVG holds more than one <openbadges:credential>")
            scan.credential_text = collecting = []
            scan.credential_verify = attributes.get("verify")
        elif name == f"{BUNDLE_NS} bundle":
            if depth != 1:
                raise _Refused("<credstack:bundle> must be a child of the root <svg>")
            scan.bundles += 1
            if scan.bundles > 1:
                raise _Refused("the SVG holds more than one credstack bundle")
            scan.bundle_text = collecting = []
        depth += 1

    def end(_: str) -> None:
        nonlocal depth, collecting
        depth -= 1
        if depth == 1:
            collecting = None

    def text(value: str) -> None:
        if collecting is not None and depth == 2:
            collecting.append(value)

    parser.StartNamespaceDeclHandler = start_ns
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InvalidInput(str(exc)) from None
    except expat.ExpatError as exc:
        raise InvalidInput(f"the SVG is not well-formed XML: {exc}") from None
    if scan.root_start < 0:
        raise InvalidInput("the SVG has no root element")
    return scan


def _start_tag_end(data: bytes, start: int) -> int:
    """Offset of the ``>`` closing the (well-formed) start tag that begins at ``start``."""
    quote = 0
    for pos in range(start, len(data)):
        byte = data[pos]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return pos
    raise InvalidInput("the SVG root start tag has no end")  # pragma: no cover - expat checked


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def bake_svg(
    svg: bytes | str,
    credential: Mapping[str, Any] | str,
    *,
    bundle: Mapping[str, Any] | None = None,
) -> bytes:
    """The SVG with the credential (and optional bundle) baked in as the root's first children.

    The rest of the file is kept byte for byte.  An SVG that already holds a baked credential
    is refused (bake the original image).
    """
    data = svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)
    scan = _scan_svg(data)
    if scan.credentials or scan.bundles:
        raise InvalidInput("the SVG already holds a baked credential; bake the original image")
    declared = (scan.root_ns or {}).get("openbadges")
    if declared is not None and declared != OB_NS:
        raise InvalidInput("the SVG binds the prefix 'openbadges' to another namespace")
    credential_text = _credential_text(credential)
    if isinstance(credential, str):
        element = f'<openbadges:credential verify="{_attribute(credential_text)}"/>'
    else:
        element = f"<openbadges:credential>{_cdata(credential_text)}</openbadges:credential>"
    if bundle is not None:
        element += (
            f'<credstack:bundle xmlns:credstack="{BUNDLE_NS}">'
            f"{_cdata(_bundle_text(bundle))}</credstack:bundle>"
        )
    close = _start_tag_end(data, scan.root_start)
    empty_root = data[close - 1 : close] == b"/"
    if empty_root and not re.match(rb"<svg[\s/]", data[scan.root_start : scan.root_start + 5]):
        raise InvalidInput("an empty prefixed <svg/> root cannot be baked")
    tag_end = close - 1 if empty_root else close
    head = data[:tag_end]
    if declared is None:
        head += f' xmlns:openbadges="{OB_NS}"'.encode()
    inserted = element.encode("utf-8")
    if empty_root:
        result = head + b">" + inserted + b"</svg>" + data[close + 1 :]
    else:
        result = head + b">" + inserted + data[close + 1 :]
    _check_image_size(result, "baked SVG image")
    return result


def extract_svg(svg: bytes | str) -> tuple[BakedCredential, dict[str, Any] | None]:
    """The baked credential (JSON object or compact JWS) and the bundle, if any."""
    data = svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)
    scan = _scan_svg(data)
    if scan.credential_text is None:
        raise InvalidInput("the SVG holds no baked credential (no <openbadges:credential>)")
    if scan.credential_verify is not None:
        if _JWS.fullmatch(scan.credential_verify.strip()) is None:
            raise InvalidInput("the verify attribute of <openbadges:credential> is not a JWS")
        credential: BakedCredential = scan.credential_verify.strip()
    else:
        credential = _read_credential("".join(scan.credential_text))
    bundle = None if scan.bundle_text is None else _read_bundle("".join(scan.bundle_text))
    return credential, bundle


def extract(data: bytes) -> tuple[BakedCredential, dict[str, Any] | None]:
    """Extract from a PNG or SVG, recognised by its content."""
    if is_png(data):
        return extract_png(data)
    if is_svg(data):
        return extract_svg(data)
    raise InvalidInput("not a PNG or SVG image")
