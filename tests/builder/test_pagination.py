"""Every module in every profile keeps the pagination rules, as laid out and as printed.

The checker is `builder.pdf.pagination.check_pages`. Each profile's whole course is checked
on its pages as the layout noted them while laying out (`lay_out(..., record=True)`):
reading a printed course back with PDFium cost as much again as laying it out. One
profile's course is also printed and read back, page by page, to show the notes are what
is printed. A hand-set workbook that breaks each rule shows the checker can fail.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from builder import Course
from builder.editions import pick_modules, specimen_edition
from builder.fonts import register_fonts
from builder.pdf.layout import Layout, lay_out
from builder.pdf.pagination import Line, Page, Rule, check_pages, check_pagination, read_pages
from builder.pdf.recorded import PageNotes, RecordedText, recorded_page
from builder.pdf.slots import CODE
from builder.pdf.stamp import stamp
from builder.profiles import PROFILES, get_profile
from tests.conftest import shipped_course

# One worker runs this module (`make test` runs with `--dist loadgroup`): the profile read
# back is laid out once, for its check and for the read-back.
pytestmark = pytest.mark.xdist_group("pagination")
# Read back: letters spaced out, a cream page under everything, the most pages but one.
READ_BACK = "dyslexia-cream"


@pytest.fixture(scope="module")
def course() -> Course:
    return shipped_course()


@cache
def recorded(profile: str) -> Layout:
    """The whole course's specimen laid out in `profile`, each page noted as it was laid out."""
    course = shipped_course()
    modules = pick_modules(course, None)
    return lay_out(course, modules, get_profile(profile), specimen=True, record=True)


@pytest.mark.slow  # a large corpus: the whole course laid out, once a profile
@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_module_keeps_the_pagination_rules(course: Course, profile: str) -> None:
    layout = recorded(profile)
    pages = list(layout.recorded)
    assert len(pages) == layout.pages
    findings = check_pages(pages, get_profile(profile).body_size)
    blank = sum(1 for p in pages if p.section is None and "on purpose" in str(p.lines))
    print(
        f"\n{profile}: {len(pages)} pages, {blank} left blank on purpose, {len(findings)} findings"
    )
    for finding in findings:
        print(f"  {finding}")
    first_pages = layout.first_pages
    assert {m.id for m in course.modules} <= first_pages.keys()
    assert all(first_pages[m.id] % 2 == 1 for m in course.modules)
    assert findings == []


@pytest.mark.slow  # a whole course printed and read back with PDFium
def test_the_pages_noted_while_laying_out_are_the_pages_printed(course: Course) -> None:
    """The noted pages equal the printed course read back, but for what the stamp fills in."""
    layout = recorded(READ_BACK)
    edition = specimen_edition(course, pick_modules(course, None), get_profile(READ_BACK))
    printed = read_pages(stamp(layout, edition))
    assert len(printed) == len(layout.recorded) == layout.pages
    for page, noted in zip(printed, layout.recorded, strict=True):
        body = tuple(line for line in page.lines if not in_a_slot(line, page.number, layout))
        assert words(page.footer) == words(noted.footer), page.number
        assert words(body) == words(noted.lines), page.number
        for line, same in zip(body, noted.lines, strict=True):
            assert abs(line.bottom - same.bottom) < 0.5 and abs(line.size - same.size) < 0.05
        assert abs(page.lowest - noted.lowest) < 3, page.number  # a stroke's width, rounded
    size = edition.profile.body_size
    assert check_pages(printed, size) == check_pages(list(layout.recorded), size)


def in_a_slot(line: Line, number: int, layout: Layout) -> bool:
    """Whether a printed line is one the stamp filled in (a typed code), not laid out."""
    return any(
        slot.page == number - 1
        and slot.y <= line.bottom <= slot.y + slot.height
        and slot.x - 1 <= line.left <= slot.x + slot.width
        for slot in layout.slots
        if slot.kind == CODE
    )


def words(lines: tuple[Line, ...]) -> list[Counter[str]]:
    """Each line's letters, spaces left out.

    PDFium puts a space between runs as it sees fit, and where two runs overlap (a
    scale's two labels in the dyslexia profiles) it mixes their letters.
    """
    return [Counter(line.text.replace(" ", "")) for line in lines]


def test_the_checker_finds_each_broken_rule_from_the_notes_too() -> None:
    """The hand-set workbook, noted as it is drawn: the same findings as read back."""
    noted: list[Page] = []
    printed = broken_workbook(partial(NotingCanvas, pages=noted))
    assert noted and check_pages(noted, 14) == check_pagination(printed, 14)


class NotingCanvas(Canvas):
    """A canvas that notes its pages as the workbook's laying-out canvas does."""

    def __init__(self, *args: Any, pages: list[Page], **kwargs: Any) -> None:
        self.notes, self.pages = PageNotes(), pages
        super().__init__(*args, **kwargs)

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> RecordedText:
        return RecordedText(self, x, y, direction)

    def drawText(self, aTextObject: Any) -> None:
        super().drawText(aTextObject)
        self.notes.add(aTextObject, self._currentMatrix)  # type: ignore[attr-defined]

    def showPage(self) -> None:
        number = len(self.pages) + 1
        self.pages.append(recorded_page(number, self.notes, self._code, A4[0]))  # type: ignore[attr-defined]
        self.notes = PageNotes()
        super().showPage()


def test_the_checker_finds_each_broken_rule() -> None:
    findings = check_pagination(broken_workbook(), 14)
    found = Counter(f.rule for f in findings)
    assert set(found) == set(Rule), found
    by_page = {(f.rule, f.page) for f in findings}
    assert {
        (Rule.RECTO, 2),
        (Rule.KEEP, 2),
        (Rule.NUMBER, 2),
        (Rule.SPARSE, 3),
        (Rule.BLANK, 4),
        (Rule.DECLARATION, 5),
        (Rule.DECLARATION, 6),
    } <= by_page


def broken_workbook(make: Callable[..., Canvas] = Canvas) -> bytes:
    """A hand-set module, ZZ1, that breaks every rule once (drawn on a canvas `make` makes)."""
    regular, bold = register_fonts()
    out = io.BytesIO()
    canvas = make(out, pagesize=A4)
    top = A4[1] - 25 * mm

    def page(section: str | None, lines: list[tuple[str, float]]) -> None:
        y = top
        for text, size in lines:
            canvas.setFont(bold if size > 14 else regular, size)
            canvas.drawString(25 * mm, y, text)
            y -= size * 1.5
        if section:
            canvas.setFont(bold, 14)
            canvas.drawString(25 * mm, 22 * mm, section)
        canvas.showPage()

    body = [(f"Line {n} of plain reading text on this page.", 14.0) for n in range(30)]
    page(None, [("What is in this workbook", 24.0)])
    page(  # starts on a left-hand page, splits a number, ends with a heading
        "ZZ1 · Page 1 of 5",
        [
            *body,
            ("If you need help, call free on 0800", 14.0),
            ("83 85 87 any time.", 14.0),
            ("Activity 3: My plan", 19.6),
        ],
    )
    page("ZZ1 · Page 2 of 5", body[:2])  # two lines, the rest of the page empty
    page(None, [])  # blank, and it does not say so
    page("ZZ1 · Page 3 of 5", [("Before you send ZZ1 back", 24.0), *body[:20]])
    page("ZZ1 · Page 4 of 5", [("Marker and date:", 14.0), *body[:20]])
    page("ZZ1 · Page 5 of 5", body)
    canvas.save()
    return out.getvalue()
