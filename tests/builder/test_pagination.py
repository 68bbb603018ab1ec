"""Every module in every profile keeps the pagination rules, read back from the printed PDF.

The checker is `builder.pdf.pagination.check_pagination`; a hand-set workbook that breaks
each rule shows that it can fail.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from builder import Course
from builder.editions import pick_modules, specimen_edition
from builder.fonts import register_fonts
from builder.pdf.document import render_pdf_pages
from builder.pdf.pagination import Rule, check_pages, check_pagination, read_pages
from builder.profiles import PROFILES, get_profile
from tests.conftest import shipped_course


@pytest.fixture(scope="module")
def course() -> Course:
    return shipped_course()


@pytest.mark.slow  # a large corpus: the whole course laid out, once a profile
@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_module_keeps_the_pagination_rules(course: Course, profile: str) -> None:
    edition = specimen_edition(course, pick_modules(course, None), get_profile(profile))
    pdf, first_pages = render_pdf_pages(edition)
    pages = read_pages(pdf)  # once: reading a whole course's PDF is most of the check
    findings = check_pages(pages, edition.profile.body_size)
    blank = sum(1 for p in pages if p.section is None and "on purpose" in str(p.lines))
    print(
        f"\n{profile}: {len(pages)} pages, {blank} left blank on purpose, {len(findings)} findings"
    )
    for finding in findings:
        print(f"  {finding}")
    assert {m.id for m in course.modules} <= first_pages.keys()
    assert all(first_pages[m.id] % 2 == 1 for m in course.modules)
    assert findings == []


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


def broken_workbook() -> bytes:
    """A hand-set module, ZZ1, that breaks every rule once."""
    regular, bold = register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
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
