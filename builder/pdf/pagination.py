"""Check a printed workbook's pages against the pagination rules, from the PDF alone.

The layout follows the rules as it builds (`builder.pdf.layout`); this checker reads the
finished PDF the way a reader meets it (text with its position on each page, and how far
down each page anything is drawn) and reports every place a rule is broken.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from enum import Enum

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

_, PAGE_HEIGHT = A4
BODY_BOTTOM = 32 * mm  # the frame's bottom margin: below it are the footer and page code
BODY_TOP = PAGE_HEIGHT - 20 * mm
FOOTER = re.compile(r"^(?P<section>[A-Z]{2,3}\d{1,2})\s+·\s+Page (?P<page>\d+) of (?P<total>\d+)")
BLANK_NOTE = "left blank on purpose"
DECLARATION = re.compile(r"^Before you send (?P<module>\w+) back")
MARKER_END = "Marker and date"
# A number or code cut at a line's end: digits (or a code's symbols and a dash) that
# go on at the start of the next line.
NUMBER_END = re.compile(r"(?:^|\s)(\d{2,6}|[0-9A-Z]{4}-)$")
NUMBER_START = re.compile(r"^(\d{2,6}|[0-9A-Z]{4})\b")
_DRAWN = (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
FEW_LINES = 4  # a page with fewer body lines than this wastes paper...
LITTLE_USED = 0.3  # ...when it is also this empty (tables and diagrams hold few words)
WATERMARK_SIZE = 60  # points: the SPECIMEN watermark is not a line of text


class Rule(Enum):
    """The pagination rules a workbook follows; each finding names the one it breaks."""

    RECTO = "module starts on a left-hand page"
    BLANK = "blank page that does not say so"
    DECLARATION = "declaration and marker box split or not last"
    KEEP = "heading or lead-in cut from what follows"
    NUMBER = "phone number or code broken across lines"
    SPARSE = "page with only a few lines"


@dataclass(frozen=True)
class Line:
    """One line of text on a page: its words, where it sits, and its size."""

    text: str
    left: float
    right: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Page:
    """A page as the checker reads it: its body lines, footer, and lowest drawn point."""

    number: int  # from 1, in the whole workbook
    lines: tuple[Line, ...]  # body text, top to bottom
    footer: tuple[Line, ...]
    lowest: float  # the lowest point drawn in the body frame (PAGE_HEIGHT if nothing)

    @property
    def section(self) -> tuple[str, int, int] | None:
        """(module id, page within it, its page count) from the footer, if it has one."""
        for line in self.footer:
            match = FOOTER.match(line.text)
            if match:
                return match["section"], int(match["page"]), int(match["total"])
        return None

    @property
    def used(self) -> float:
        """How much of the body frame's height holds something, from 0 to 1."""
        return max(0.0, (BODY_TOP - self.lowest) / (BODY_TOP - BODY_BOTTOM))


@dataclass(frozen=True)
class Finding:
    """One place a rule is broken: the rule, the workbook page, and what is there."""

    rule: Rule
    page: int
    section: str
    detail: str

    def __str__(self) -> str:
        return f"page {self.page} ({self.section}): {self.rule.value}: {self.detail}"


def read_pages(pdf: bytes) -> list[Page]:
    """Every page's lines of text with their positions, read with PDFium."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [_read_page(document[n], n + 1) for n in range(len(document))]
    finally:
        document.close()


def check_pagination(pdf: bytes, body_size: float) -> list[Finding]:
    """Every place the workbook's pages break a pagination rule (none when all is well)."""
    return check_pages(read_pages(pdf), body_size)


def check_pages(pages: list[Page], body_size: float) -> list[Finding]:
    """Every pagination rule broken by pages already read (a caller reading them once)."""
    findings: list[Finding] = []
    for index, page in enumerate(pages):
        following = pages[index + 1] if index + 1 < len(pages) else None
        findings += _check_page(page, following, body_size)
    return findings


def _check_page(page: Page, following: Page | None, body_size: float) -> list[Finding]:
    """The rules one page breaks, seen with the page that follows it."""
    section = page.section
    name = section[0] if section else "front"
    found: list[Finding] = []

    def add(rule: Rule, detail: str) -> None:
        found.append(Finding(rule, page.number, name, detail))

    texts = [line.text for line in page.lines]
    if not texts and page.used == 0:
        add(Rule.BLANK, "nothing on the page")
    if section is None:
        return found
    module, number, total = section
    if number == 1 and page.number % 2 == 0:
        add(Rule.RECTO, f"{module} starts on page {page.number}")
    declared = any(DECLARATION.match(t) for t in texts)
    marked = any(t.startswith(MARKER_END) for t in texts)
    if declared != marked or (declared and number != total):
        add(Rule.DECLARATION, "the declaration page must hold the marker box and end the module")
    if number == total or not page.lines:
        return found
    last = page.lines[-1]
    wordy = any(c.isalpha() for c in last.text)  # not an answer line's number
    if wordy and (last.size > body_size * 1.1 or last.text.endswith(":")):
        add(Rule.KEEP, f"the page ends with '{last.text}'")
    if len(texts) < FEW_LINES and page.used < LITTLE_USED:
        add(Rule.SPARSE, f"{len(texts)} lines: {' / '.join(texts)[:80]}")
    for line, after in zip(page.lines, [*page.lines[1:], *_first(following)], strict=False):
        if NUMBER_END.search(line.text) and NUMBER_START.match(after.text):
            add(Rule.NUMBER, f"'{line.text[-12:]}' / '{after.text[:12]}'")
    return found


def _first(page: Page | None) -> list[Line]:
    return list(page.lines[:1]) if page else []


def _read_page(page: pdfium.PdfPage, number: int) -> Page:
    """One page's text lines (body and footer) and the lowest thing drawn in its body."""
    text = page.get_textpage()
    try:
        lines = _lines(text)
    finally:
        text.close()
    body = tuple(line for line in lines if line.bottom >= BODY_BOTTOM - 2)
    footer = tuple(line for line in lines if line.bottom < BODY_BOTTOM - 2)
    lowest = min((line.bottom for line in body), default=PAGE_HEIGHT)
    width, height = page.get_size()
    # Text is measured by its lines (the watermark left out); rules, boxes and drawings here.
    for obj in page.get_objects(filter=_DRAWN, max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        if right - left > width * 0.9 and top - bottom > height * 0.9:
            continue  # a page-sized fill (a cream page) is not content
        if bottom >= BODY_BOTTOM and top <= PAGE_HEIGHT:
            lowest = min(lowest, bottom)
    page.close()
    return Page(number, body, footer, lowest)


Char = tuple[float, float, float, float, float, str]  # baseline, left, right, top, size, text


def _lines(text: pdfium.PdfTextPage) -> list[Line]:
    """The page's characters joined into lines, top to bottom; the watermark left out."""
    return lines_of(_chars(text))


def lines_of(chars: list[Char]) -> list[Line]:
    """Characters (or runs of them) joined into lines by their baselines, top to bottom."""
    lines: list[list[Char]] = []
    for char in sorted(chars, key=lambda c: (-round(c[0]), c[1])):
        if char[5] in "\r\n":
            continue
        if lines and abs(lines[-1][0][0] - char[0]) < 3:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [_line(sorted(group, key=lambda c: c[1])) for group in lines]


def _chars(text: pdfium.PdfTextPage) -> list[Char]:
    """Every character on the page with its place and size; the watermark left out."""
    # PDFium's own calls, with their out-values made once: a whole course is some 260,000
    # characters, and pypdfium2's per-call wrapper (`get_charbox`) was half the reading.
    raw = text.raw
    font_size, char_box = pdfium_c.FPDFText_GetFontSize, pdfium_c.FPDFText_GetCharBox
    origin, unicode = pdfium_c.FPDFText_GetCharOrigin, pdfium_c.FPDFText_GetUnicode
    left, right, bottom, top, x, baseline = (ctypes.c_double() for _ in range(6))
    box = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    at = (ctypes.byref(x), ctypes.byref(baseline))
    chars: list[Char] = []
    for n in range(pdfium_c.FPDFText_CountChars(raw)):
        size = font_size(raw, n)
        if size >= WATERMARK_SIZE:
            continue
        if not char_box(raw, n, *box):
            raise pdfium.PdfiumError(f"Failed to get the box of character {n}.")
        origin(raw, n, *at)
        chars.append(
            (baseline.value, left.value, right.value, top.value, size, chr(unicode(raw, n)))
        )
    return chars


def _line(chars: list[Char]) -> Line:
    """One line from its characters, left to right."""
    words = "".join(c[5] for c in chars).strip()
    words = re.sub(r"\s+", " ", words)
    return Line(
        words,
        chars[0][1],
        max(c[2] for c in chars),
        max(c[3] for c in chars),
        min(c[0] for c in chars),
        max(c[4] for c in chars),
    )
