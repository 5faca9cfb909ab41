"""Badge images to download and preview: the credential baked into a PNG or an SVG (Open Badges
3.0 baking, :mod:`credstack.baking`: the credential alone, no verification bundle).

The picture is the achievement's own image when the credential carries it as a ``data:`` URI
of the right type (PNG for ``badge.png``, SVG for ``badge.svg``); otherwise a simple badge is
drawn, the same every time for the same achievement and issuer: a coloured disc, a ring and
a tick, with the achievement's name as the SVG's title.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from credstack.baking import bake_png, bake_svg
from credstack.errors import InvalidInput
from credstack.platform.wallet import WalletItem

__all__ = ["SIZE", "baked_png", "baked_svg", "generated_png", "generated_svg"]

SIZE = 300
#: dark enough for a white tick at WCAG AA contrast
_PALETTE = ("#0b5cad", "#13653a", "#7a2e8e", "#a4161a", "#5a4a00", "#1d5f66", "#3d3d99")
_MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _colour(achievement_name: str, issuer_id: str) -> str:
    digest = hashlib.sha256(f"{issuer_id}\x00{achievement_name}".encode()).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


def _tick(scale: float) -> list[tuple[float, float]]:
    return [(x * scale, y * scale) for x, y in ((95, 155), (135, 195), (210, 110))]


@lru_cache(maxsize=256)
def generated_png(achievement_name: str, issuer_id: str) -> bytes:
    """A plain PNG badge (no credential baked in)."""
    from PIL import Image, ImageDraw

    colour = _colour(achievement_name, issuer_id)
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, SIZE - 6, SIZE - 6), fill=colour)
    draw.ellipse((28, 28, SIZE - 28, SIZE - 28), outline="#ffffff", width=6)
    draw.line(_tick(SIZE / 300), fill="#ffffff", width=24, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def generated_svg(achievement_name: str, issuer_id: str) -> bytes:
    """A plain SVG badge (no credential baked in), titled with the achievement's name."""
    colour = _colour(achievement_name, issuer_id)
    title = escape(achievement_name, {'"': "&quot;"})
    points = " ".join(f"{x:g},{y:g}" for x, y in _tick(SIZE / 300))
    half = SIZE // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img">'
        f"<title>{title}</title>"
        f'<circle cx="{half}" cy="{half}" r="{half - 6}" fill="{colour}"/>'
        f'<circle cx="{half}" cy="{half}" r="{half - 31}" fill="none" stroke="#ffffff" '
        f'stroke-width="6"/>'
        f'<polyline points="{points}" fill="none" stroke="#ffffff" stroke-width="24" '
        f'stroke-linecap="round" stroke-linejoin="round"/>'
        "</svg>"
    ).encode()


def _own_image(credential: Mapping[str, Any], media_type: str) -> bytes | None:
    """The achievement's image when it is a ``data:`` URI of ``media_type``."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    image = achievement.get("image") if isinstance(achievement, Mapping) else None
    source = image.get("id") if isinstance(image, Mapping) else image
    prefix = f"data:{media_type};base64,"
    if not isinstance(source, str) or not source.startswith(prefix):
        return None
    if len(source) > _MAX_IMAGE_BYTES * 4 // 3 + len(prefix) + 4:
        return None
    try:
        return base64.b64decode(source[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return None


def baked_png(item: WalletItem) -> bytes:
    """The badge as a PNG with the credential baked in (iTXt ``openbadgecredential``)."""
    credential = item.credential
    own = _own_image(credential, "image/png")
    if own is not None:
        try:
            return bake_png(own, credential)
        except InvalidInput:  # not a usable PNG: draw one instead
            pass
    return bake_png(generated_png(item.achievement_name, item.issuer_id), credential)


def baked_svg(item: WalletItem) -> bytes:
    """The badge as an SVG with the credential baked in (``<openbadges:credential>``)."""
    credential = item.credential
    own = _own_image(credential, "image/svg+xml")
    if own is not None:
        try:
            return bake_svg(own, credential)
        except InvalidInput:  # not a usable SVG (or already baked): draw one instead
            pass
    return bake_svg(generated_svg(item.achievement_name, item.issuer_id), credential)
