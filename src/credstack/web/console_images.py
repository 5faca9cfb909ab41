"""Badge images in the issuer console: uploads checked to really be PNG or SVG, and generated
badges.

An upload is accepted by what its bytes are, never by its name or declared type: a PNG must
have the PNG signature and well-formed chunks (lengths within the file, CRCs, IHDR first, IEND
last, https://www.w3.org/TR/png-3/#5Chunk-layout); an SVG must parse as XML with an ``<svg>``
root and carry nothing active (no DTD or entities, no script, no event attributes, no
``javascript:`` links, no external references).  Accepted images become ``data:`` URIs, which is
how an achievement design holds its image.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from credstack._xml import hardened_parser
from credstack.errors import InvalidInput

__all__ = [
    "MAX_IMAGE_BYTES",
    "PALETTES",
    "check_data_uri",
    "check_image",
    "data_uri",
    "generated_badge",
]

#: the largest badge image the console accepts
MAX_IMAGE_BYTES = 2 * 1_048_576
PNG = "image/png"
SVG = "image/svg+xml"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_MAX_SIDE = 16_384
#: SVG elements that run code or pull in other documents
_ACTIVE = frozenset({"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"})
_DATA_URI = re.compile(r"data:(image/png|image/svg\+xml);base64,([A-Za-z0-9+/]+=*)\Z")

#: generated badge colours: name -> (background, ring and text); text contrast is over 4.5:1
PALETTES: dict[str, tuple[str, str, str]] = {
    "blue": ("Blue", "#0b5cad", "#ffffff"),
    "green": ("Green", "#13653a", "#ffffff"),
    "purple": ("Purple", "#5b2a86", "#ffffff"),
    "red": ("Red", "#a4161a", "#ffffff"),
    "gold": ("Gold", "#f2c14e", "#1b1f24"),
    "slate": ("Slate", "#2f3b48", "#ffffff"),
}


def check_image(content: bytes) -> str:
    """The media type of ``content`` (``image/png`` or ``image/svg+xml``) once it is known to
    be such an image; :class:`InvalidInput` otherwise."""
    if len(content) > MAX_IMAGE_BYTES:
        raise InvalidInput(f"the image is over the limit of {MAX_IMAGE_BYTES // 1_048_576} MB")
    if content.startswith(_PNG_SIGNATURE):
        _check_png(content)
        return PNG
    head = content[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if head.startswith(b"<"):
        _check_svg(content)
        return SVG
    raise InvalidInput("the file is not a PNG or SVG image")


def data_uri(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def check_data_uri(value: str) -> str:
    """A ``data:`` image URI kept in a form, checked again like an upload (it came back from
    the browser, so it is input like any other)."""
    match = _DATA_URI.match(value)
    if match is None:
        raise InvalidInput("the image must be a PNG or SVG image")
    try:
        content = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the image data is not valid base64") from None
    if check_image(content) != match.group(1):
        raise InvalidInput("the image data does not match its declared type")
    return value


def _check_png(content: bytes) -> None:
    bad = InvalidInput("the file claims to be a PNG image but is damaged or incomplete")
    pos = len(_PNG_SIGNATURE)
    first = True
    while True:
        if pos + 8 > len(content):
            raise bad
        length, kind = struct.unpack(">I4s", content[pos : pos + 8])
        end = pos + 8 + length + 4
        if length > 2**31 - 1 or end > len(content):
            raise bad
        data = content[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", content[end - 4 : end])
        if zlib.crc32(kind + data) & 0xFFFFFFFF != crc:
            raise bad
        if first:
            if kind != b"IHDR" or length != 13:
                raise bad
            width, height = struct.unpack(">II", data[:8])
            if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
                raise InvalidInput(f"a PNG image is 1 to {_MAX_SIDE} pixels on each side")
            first = False
        pos = end
        if kind == b"IEND":
            return


class _Refused(Exception):
    pass


def _check_svg(content: bytes) -> None:
    depth = 0

    def refuse(*_: Any) -> Any:
        raise _Refused("an SVG image with a DTD or entity declarations is refused")

    parser = hardened_parser(content, refuse, not_utf8="an SVG image must be UTF-8")

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        namespace, _, local = name.rpartition(" ")
        if depth == 0 and (namespace, local) != (_SVG_NS, "svg"):
            raise _Refused("the file is XML but not an SVG image")
        if local in _ACTIVE:
            raise _Refused(f"an SVG image may not contain <{local}>")
        for attribute, value in attributes.items():
            attribute_ns, _, attribute_local = attribute.rpartition(" ")
            if attribute_local.lower().startswith("on"):
                raise _Refused("an SVG image may not have event handler attributes")
            if "javascript:" in value.lower().replace(" ", ""):
                raise _Refused("an SVG image may not contain javascript: links")
            if attribute_local == "href" and attribute_ns in ("", _XLINK_NS):
                if not value.startswith(("#", "data:image/")):
                    raise _Refused("an SVG image may not refer to other files")
        depth += 1

    def end(_: str) -> None:
        nonlocal depth
        depth -= 1

    def text(value: str) -> None:
        lowered = value.lower()
        if "@import" in lowered or "javascript:" in lowered:
            raise _Refused("an SVG image may not import style sheets or run scripts")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(content, True)
    except _Refused as exc:
        raise InvalidInput(str(exc)) from None
    except (expat.ExpatError, UnicodeError, ValueError) as exc:
        raise InvalidInput(f"the file is not a well-formed SVG image ({exc})") from None


def _initials(name: str) -> str:
    words = [w for w in re.split(r"\W+", name) if w]
    letters = "".join(w[0] for w in words[:3]).upper()
    return letters or "?"


def generated_badge(name: str, palette: str) -> bytes:
    """A round badge with the initials of ``name`` in the colours of ``palette``: the same
    name and colours always give the same bytes.  Every text is XML-escaped."""
    if palette not in PALETTES:
        raise InvalidInput(f"choose one of the colours {', '.join(PALETTES)}")
    _, background, ink = PALETTES[palette]
    title = escape(" ".join(name.split())[:200], {'"': "&quot;"})
    letters = escape(_initials(name))
    size = 96 if len(letters) < 3 else 72
    svg = (
        f'<svg xmlns="{_SVG_NS}" width="256" height="256" viewBox="0 0 256 256" role="img">'
        f"<title>{title}</title>"
        f'<circle cx="128" cy="128" r="124" fill="{background}"/>'
        f'<circle cx="128" cy="128" r="104" fill="none" stroke="{ink}" stroke-width="6"/>'
        f'<text x="128" y="128" dy="0.35em" text-anchor="middle" font-family="sans-serif" '
        f'font-weight="700" font-size="{size}" fill="{ink}">{letters}</text>'
        "</svg>"
    )
    return svg.encode("utf-8")
