"""Paragraph styles for one print profile: every size follows from the profile's body size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from builder.fonts import register_fonts
from builder.profiles import PrintProfile

TEXT = HexColor("#111111")
INK = HexColor("#1F3A5F")
SHADE = HexColor("#EEF2F7")  # panels: light enough for text on it to keep 4.5:1
MARKER_SHADE = HexColor("#E6E6E6")
RULE = HexColor("#6B7280")


@dataclass(frozen=True)
class Styles:
    """The styles and measures a workbook is laid out with."""

    profile: PrintProfile
    regular: str
    bold: str
    body: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    bullet: ParagraphStyle
    code: ParagraphStyle

    @property
    def line_gap(self) -> float:
        return self.profile.answer_line_mm * mm

    @property
    def box(self) -> float:
        return self.profile.box_mm * mm

    @property
    def page_colour(self) -> Color:
        return HexColor(self.profile.page_colour)

    def table(self, commands: list[tuple[Any, ...]]) -> TableStyle:
        """A table style in the workbook's font (reportlab's default would be Helvetica)."""
        font = ("FONT", (0, 0), (-1, -1), self.regular, self.body.fontSize)
        return TableStyle([font, *commands])


def make_styles(profile: PrintProfile) -> Styles:
    """Styles for a profile: body, headings and notes scaled from its body size."""
    regular, bold = register_fonts(profile.letter_spacing, profile.word_spacing)
    size = profile.body_size
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=size,
        leading=profile.leading,
        textColor=TEXT,
        alignment=TA_LEFT,
        spaceAfter=size * 0.6,
        allowWidows=0,
        allowOrphans=0,
    )

    def heading(name: str, scale: float) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            parent=body,
            fontName=bold,
            fontSize=size * scale,
            leading=size * scale * 1.25,
            textColor=INK,
            spaceBefore=size * 0.8,
            spaceAfter=size * 0.5,
            keepWithNext=1,
        )

    title_scale, h2_scale, h3_scale = profile.heading_scale
    return Styles(
        profile=profile,
        regular=regular,
        bold=bold,
        body=body,
        # Notes stay at body size: clear print never goes smaller than the body text.
        small=ParagraphStyle("small", parent=body, spaceAfter=size * 0.3),
        title=heading("title", title_scale),
        h2=heading("h2", h2_scale),
        h3=heading("h3", h3_scale),
        bullet=ParagraphStyle("bullet", parent=body, leftIndent=size * 1.4, spaceAfter=size * 0.3),
        code=ParagraphStyle("code", parent=body, fontName=bold, fontSize=size * 1.3),
    )
