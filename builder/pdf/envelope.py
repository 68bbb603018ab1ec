"""Where a letter's addresses go so they show through a window envelope, and its fold marks.

We follow DIN 5008 form B, the layout window envelopes are made for (DIN 680 and
ISO 269 windows, 90 x 45 mm, 20 mm from the envelope's left edge): on an A4 page the
address field is 85 x 45 mm, 20 mm from the left edge and 45 mm from the top. Its top
part holds the return address on one small line; the addressee's lines sit below it.
The page folds in three at 105 mm and 210 mm for a DL envelope (110 x 220 mm), or in
half at 148.5 mm for a C5 envelope (162 x 229 mm); either way the address field is on
the front panel, behind the window. Only the field shows, so nothing else printed on
the letter can be read through the window.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from builder.fonts import register_fonts
from builder.fonts_fallback import draw_string
from builder.pdf.styles import Styles
from builder.profiles import PRINTABLE_INSET_MM

MAX_ADDRESS_LINES = 6  # postal lines after the name: what fits the field at the sizes below
ADDRESS_SIZE = 10.5  # points: the field is for the post, not the reader, in every profile
ADDRESS_LEADING = 12.3
ADDRESS_LEAST = 8.0  # a long line is set smaller down to this before it is cut
RETURN_SIZE = 8.0  # DIN 5008's return line is small; it must fit one line of the field
RETURN_LEAST = 6.0  # a long return address is set smaller down to this, then cut


@dataclass(frozen=True)
class Field:
    """A rectangle on the A4 page, in millimetres from its top-left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


# DIN 5008 form B: the whole field, and its return-address zone and address zone.
ADDRESS_FIELD = Field(left=20, top=45, width=85, height=45)
# The zones sit inside a 90 x 35 mm window too, the size many UK DL envelopes have.
RETURN_ZONE = Field(left=25, top=49, width=80, height=4)
ADDRESS_ZONE = Field(left=25, top=54, width=80, height=31)
# Where to fold: thirds for DL (DIN 5008 form B), half for C5.
FOLDS_MM = {"DL": (105.0, 210.0), "C5": (148.5,)}
BODY_TOP_MM = 94.0  # the letter's text starts just below the address field
LEFT_MM, RIGHT_MM, TOP_MM, BOTTOM_MM = 25.0, 20.0, 20.0, 20.0  # the letter's margins


@dataclass(frozen=True)
class Window:
    """What shows through the window: who the letter is to, and where it goes back to."""

    sender: str  # the heading: the course's name, nothing that says why the letter came
    name: str
    address: tuple[str, ...] = ()
    return_address: tuple[str, ...] = ()


def posted_pdf(story: Sequence[Flowable], window: Window, styles: Styles) -> bytes:
    """Lay `story` out as a posted letter: window field on page 1, text below it."""
    buffer = io.BytesIO()
    width, height = A4
    text_width = width - (LEFT_MM + RIGHT_MM) * mm

    def frame(top_mm: float) -> Frame:
        frame_height = height - (top_mm + BOTTOM_MM) * mm
        return Frame(LEFT_MM * mm, BOTTOM_MM * mm, text_width, frame_height, 0, 0, 0, 0)

    def first(canvas: Any, doc: Any) -> None:
        _paint(canvas, styles)
        draw_string(canvas, LEFT_MM * mm, height - TOP_MM * mm - 12, window.sender, styles.bold, 12)
        # The window is read by the post: plain letters, whatever the reader's profile.
        plain = register_fonts(0.0, 0.0)[0]
        draw_window(canvas, window.name, window.address, window.return_address, plain)

    def later(canvas: Any, doc: Any) -> None:
        _paint(canvas, styles)

    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=window.sender,
        author=window.sender,
        creator="cpo-offline",
        lang="en-GB",
        invariant=1,
        initialFontName=styles.regular,
        pageTemplates=[
            PageTemplate("first", [frame(BODY_TOP_MM)], onPage=first, autoNextPageTemplate="later"),
            PageTemplate("later", [frame(TOP_MM)], onPage=later),
        ],
    )
    doc.build(list(story))
    return buffer.getvalue()


def _paint(canvas: Any, styles: Styles) -> None:
    """Fill the page in the profile's colour (cream paper), as its workbook is."""
    if not styles.profile.print_fill:
        return
    inset = PRINTABLE_INSET_MM * mm
    canvas.saveState()
    canvas.setFillColor(styles.page_colour)
    canvas.rect(inset, inset, A4[0] - 2 * inset, A4[1] - 2 * inset, stroke=0, fill=1)
    canvas.restoreState()


def printable(line: str) -> str:
    """`line` with control characters (which no font can draw) as spaces, and spaces collapsed."""
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in line).split())


def address_lines(name: str, address: tuple[str, ...]) -> tuple[str, ...]:
    """The lines in the window: the name, then the postal lines (blank ones dropped).

    More lines than fit are joined onto the last, so none of the address is lost.
    """
    name = printable(name)
    lines = [printable(line) for line in address if printable(line)]
    if len(lines) > MAX_ADDRESS_LINES:
        keep = MAX_ADDRESS_LINES - 1
        lines = [*lines[:keep], ", ".join(lines[keep:])]
    return (name, *lines) if name else tuple(lines)


def return_line(return_address: tuple[str, ...]) -> str:
    """The return address as DIN 5008's one line: its parts joined with commas."""
    return ", ".join(printable(line) for line in return_address if printable(line))


def draw_window(
    canvas: Any, name: str, address: tuple[str, ...], return_address: tuple[str, ...], font: str
) -> None:
    """Draw the return line and the address in the window field, and the fold marks."""
    height = A4[1]
    back = return_line(return_address)
    if back:
        width = ADDRESS_FIELD.width * mm - 10 * mm
        size = _fitting_size(back, font, width, RETURN_SIZE, RETURN_LEAST)
        text = _cut(back, font, size, width)
        draw_string(
            canvas, RETURN_ZONE.left * mm, height - RETURN_ZONE.bottom * mm, text, font, size
        )
    y = height - ADDRESS_ZONE.top * mm - ADDRESS_SIZE
    for line in address_lines(name, address):
        width = ADDRESS_ZONE.width * mm
        size = _fitting_size(line, font, width, ADDRESS_SIZE, ADDRESS_LEAST)
        draw_string(canvas, ADDRESS_ZONE.left * mm, y, _cut(line, font, size, width), font, size)
        y -= ADDRESS_LEADING
    draw_fold_marks(canvas)


def draw_fold_marks(canvas: Any) -> None:
    """Short marks at the left edge where to fold, for a DL or a C5 envelope."""
    height = A4[1]
    canvas.saveState()
    canvas.setLineWidth(0.5)
    canvas.setStrokeGray(0.45)
    for folds, length in ((FOLDS_MM["DL"], 5 * mm), (FOLDS_MM["C5"], 8 * mm)):
        for at in folds:
            y = height - at * mm
            x = PRINTABLE_INSET_MM * mm
            canvas.line(x, y, x + length, y)
    canvas.restoreState()


def _fitting_size(text: str, font: str, width: float, largest: float, least: float) -> float:
    """The largest size from `largest` down to `least` (in half points) at which `text` fits."""
    size = largest
    while size > least and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _cut(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis if it is wider than `width` at `size`."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"
