"""Workbooks built in a fresh interpreter, for tests/builder/test_profiles.py.

Apart from the tests so that a spawned process imports the builder alone, not pytest,
Hypothesis and the tests' fixtures (half a second of CPU in each process).
"""

from __future__ import annotations

import os

from builder.course_cache import load_course_kept
from builder.editions import CheckIn, Personal
from builder.loader import default_content_root
from builder.pdf.document import client_edition, render_pdf
from builder.pdf.layout_cache import CACHE_ENV
from builder.pdf.pagination import read_pages

MODULES = ("TF1",)
PERSONAL = Personal(reference="C-7", workbook="WB-7")
CHECKINS = (CheckIn("P7-TF1", "K7TF-1"),)
Widths = list[tuple[int, str, float]]  # (page, line, its width in points)


def widths(pdf: bytes) -> Widths:
    """Every body line of every page with its width: what the spacing decides."""
    return [
        (page.number, line.text, round(line.right - line.left, 1))
        for page in read_pages(pdf)
        for line in page.lines
    ]


def build(profiles: tuple[str, ...]) -> dict[str, Widths]:
    """Build each profile's workbook in turn, in this process; their line widths."""
    # The course as the run keeps it (reading it sets no spacing: it is the same in every
    # profile), then laid out here, not read from the run's layout cache: a kept layout
    # would hide a leak.
    course = load_course_kept(default_content_root())
    os.environ[CACHE_ENV] = ""
    return {
        name: widths(render_pdf(client_edition(course, MODULES, name, PERSONAL, CHECKINS)))
        for name in profiles
    }
