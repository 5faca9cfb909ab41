"""A one-page PDF certificate of a shared credential (fpdf2), with a QR code of its public page.

The PDF is a printable companion, not the credential: the QR code and the address printed
beside it lead to the page that verifies the credential itself.

Names are printed with DejaVu Sans when the system has it (Latin, Greek, Cyrillic and more),
embedded as a subset.  Characters the font cannot draw, and right-to-left scripts (which would
need text shaping), are printed as "?" and the certificate says that the credential page shows
the names exactly; without DejaVu Sans the PDF falls back to Helvetica and Latin-1.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

__all__ = ["Certificate", "certificate_pdf", "close_fonts", "unicode_font"]

#: where DejaVu Sans lives on Debian/Ubuntu, Fedora and Arch (first found wins)
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
_FAMILY = "CredstackSans"
_INK = (27, 31, 36)
_MUTED = (74, 85, 96)
_BRAND = (11, 92, 173)
_RTL = frozenset({"R", "AL", "RLE", "RLO", "RLI"})


@dataclass(frozen=True, slots=True)
class Certificate:
    achievement_name: str
    issuer_name: str
    issued_at: datetime | None
    public_url: str  # the credential's public page (it verifies the credential)
    credential_id: str | None
    holder_name: str | None  # as the holder gave it on their portfolio; None: not named
    printed_at: datetime


@lru_cache(maxsize=1)
def unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans (regular, bold) if installed."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Writer:
    """Text in the certificate's font, with characters it cannot draw replaced."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.replaced = False
        font = unicode_font()
        if font is not None:
            pdf.add_font(_FAMILY, "", str(font[0]))
            pdf.add_font(_FAMILY, "B", str(font[1]))
            cmap = getattr(pdf.fonts.get(_FAMILY.lower()), "cmap", None) or {}
            self.family = _FAMILY
            self.covered: frozenset[int] | None = frozenset(cmap)
        else:
            self.family = "Helvetica"
            self.covered = None  # Latin-1

    def _drawable(self, char: str) -> bool:
        if unicodedata.bidirectional(char) in _RTL:
            return False
        if self.covered is None:
            return ord(char) < 256
        return ord(char) in self.covered

    def clean(self, text: str, limit: int) -> str:
        text = " ".join(text.split())  # no control characters, no line breaks
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        out: list[str] = []
        for char in text:
            if self._drawable(char):
                out.append(char)
                continue
            # a letter with accents the font lacks: its base letter, else "?"
            base = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
            if base and all(self._drawable(c) for c in base):
                out.extend(base)
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def centred(
        self, text: str, size: float, *, bold: bool = False, limit: int = 200, lines: int = 1
    ) -> None:
        """``text`` centred on the page in at most ``lines`` lines: the font shrinks (to 9
        points) to fit, and what still does not fit is cut."""
        text = self.clean(text, limit)
        while True:
            self.font(size, bold)
            split = self.pdf.multi_cell(0, size * 0.5, text, dry_run=True, output="LINES")
            assert isinstance(split, list)
            if len(split) <= lines or size <= 9:
                break
            size -= 1
        if len(split) > lines:
            text = " ".join(split[:lines]).rstrip()
            text = text[: max(len(text) - 3, 0)] + "..."
        self.pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` drawn as vector squares (quiet zone included in ``size``)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def close_fonts(pdf: FPDF) -> None:
    """Close the font files fontTools keeps open (they would leak until collected)."""
    for font in pdf.fonts.values():
        close = getattr(font, "close", None)
        if callable(close):
            close()


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as PDF bytes (A4 landscape, one page)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    try:
        _draw(pdf, certificate)
        return bytes(pdf.output())
    finally:
        close_fonts(pdf)


def _draw(pdf: FPDF, c: Certificate) -> None:
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 18, 22)
    pdf.set_creation_date(c.printed_at)
    pdf.set_creator("credstack")
    pdf.set_lang("en")
    write = _Writer(pdf)
    pdf.set_title(write.clean(f"Certificate: {c.achievement_name}", 200))
    pdf.add_page()
    pdf.set_draw_color(*_BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)

    pdf.set_y(24)
    pdf.set_text_color(*_MUTED)
    write.centred(c.issuer_name, 13, limit=200)
    pdf.ln(2)
    pdf.set_text_color(*_BRAND)
    write.centred("Certificate of achievement", 28, bold=True)
    pdf.ln(4)
    pdf.set_text_color(*_INK)
    write.centred("This certifies that", 12)
    pdf.ln(1)
    write.centred(c.holder_name or "the holder of this credential", 22, bold=True, lines=2)
    pdf.ln(1)
    write.centred("has earned", 12)
    pdf.ln(1)
    write.centred(c.achievement_name, 20, bold=True, limit=300, lines=3)
    pdf.ln(2)
    issued = f"issued by {c.issuer_name}"
    if c.issued_at is not None:
        issued += f" on {c.issued_at.strftime('%-d %B %Y')}"
    write.centred(issued, 12, limit=300, lines=2)

    # the QR code, and the same address in text beside it
    _qr(pdf, c.public_url, 22, 150, 38)
    pdf.set_xy(66, 154)
    write.font(10, bold=True)
    pdf.cell(text="Check this certificate online:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(66)
    pdf.set_font("Helvetica", "", 10)  # the address is ASCII: searchable and copyable as is
    pdf.set_text_color(*_BRAND)
    pdf.cell(text=c.public_url, link=c.public_url, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_MUTED)
    write.font(8)
    notes = []
    if c.credential_id:
        notes.append(f"Credential ID: {c.credential_id}")
    notes.append(
        "The page verifies the credential's signature, issuer and revocation status. "
        "The holder's name is as they gave it on their portfolio."
    )
    notes.append(f"Printed {c.printed_at.strftime('%-d %B %Y')}.")
    lines = [write.clean(note, 300) for note in notes]
    if write.replaced:
        lines.append(
            "Some characters could not be printed with this certificate's font (shown as ?); "
            "the page above shows every name exactly."
        )
    for line in lines:
        pdf.set_x(66)
        pdf.multi_cell(205, 4, line, new_x="LMARGIN", new_y="NEXT")
