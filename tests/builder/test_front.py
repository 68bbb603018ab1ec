"""The front pages explain the pictures; the dyslexia edition is on white and says cream paper."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from reportlab.lib.units import mm

from builder import Course
from builder.course import ACTIVITY_ASKS, ACTIVITY_TYPES
from builder.editions import pick_modules, specimen_edition
from builder.pdf import render_pdf
from builder.profiles import PRINTABLE_INSET_MM, get_profile
from tests.conftest import shipped_course


@pytest.fixture(scope="module")
def course() -> Course:
    return shipped_course()


def pages(course: Course, profile: str) -> list[pdfium.PdfPage]:
    edition = specimen_edition(course, pick_modules(course, ["WB1"]), get_profile(profile))
    document = pdfium.PdfDocument(render_pdf(edition))
    return [document[n] for n in range(len(document))]


def text(page: pdfium.PdfPage) -> str:
    return " ".join(page.get_textpage().get_text_range().split())


def fills(page: pdfium.PdfPage) -> list[tuple[float, float, float, float]]:
    """The bounds of filled shapes nearly as big as the page."""
    width, height = page.get_size()
    found = []
    for obj in page.get_objects():
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = obj.get_bounds()
        if right - left > width * 0.8 and top - bottom > height * 0.8:
            found.append((left, bottom, right, top))
    return found


def test_every_activity_type_says_what_it_asks() -> None:
    assert set(ACTIVITY_ASKS) == set(ACTIVITY_TYPES)


def test_a_page_explains_each_theme_picture_and_what_each_activity_asks(course: Course) -> None:
    found = next(text(p) for p in pages(course, "standard") if "The pictures in" in text(p))
    assert all(theme.title in found for theme in course.themes)
    assert all(ask in found for ask in ACTIVITY_ASKS.values())


def test_the_dyslexia_edition_prints_on_white_and_advises_cream_paper(course: Course) -> None:
    printed = pages(course, "dyslexia")
    assert not any(fills(p) for p in printed)
    assert any("cream paper" in text(p) for p in printed[:3])


def test_the_cream_edition_keeps_its_fill_inside_the_printable_area(course: Course) -> None:
    for page in pages(course, "dyslexia-cream"):
        ((left, bottom, right, top),) = fills(page)
        width, height = page.get_size()
        inset = PRINTABLE_INSET_MM * mm - 0.5
        assert left >= inset and bottom >= inset
        assert right <= width - inset and top <= height - inset
