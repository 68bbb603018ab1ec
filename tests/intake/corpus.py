"""Module pages of real personalised workbooks, degraded as copiers and phones degrade them.

Shared by the intake tests and the intake benchmarks (benchmarks/intake_read.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from builder.course_cache import load_course_kept
from builder.editions import CheckIn, Personal, page_payload
from builder.loader import default_content_root
from builder.pdf import render_personalised
from tests.degrade import degrade
from tracker.codes import PAGE_PAYLOAD

PAGES = 200
MODULES = ["WB1", "TF2", "RL3", "WM1", "HC2"]
PROFILES = ("standard", "large-print", "dyslexia")
DPI = 300


# Key id, serial, signature, page, count. (The key id and signature hold no dots.)
def has_page_code(codes: list[str]) -> bool:
    """Whether one of `codes` is a module page's own code (as intake tells one)."""
    return any(PAGE_PAYLOAD.fullmatch(code.strip().upper()) for code in codes)


def checkins(modules: list[str]) -> list[CheckIn]:
    """Made-up check-in codes, one a module, as the tracker would issue them."""
    return [
        CheckIn(f"https://x.org/c/k1.{n:016d}.abcdefghjkmnpqrs", f"AAAA-BBBB-CC{n:02d}")
        for n in range(len(modules))
    ]


def module_pages(pdf: Path, modules: list[str]) -> list[tuple[int, str]]:
    """Each module page of a workbook: its index and the page code printed on it."""
    footer = re.compile(rf"^({'|'.join(modules)}) · Page (\d+) of (\d+)\s*$", re.M)
    codes = checkins(modules)
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    for index in range(len(document)):
        found = footer.search(document[index].get_textpage().get_text_range())
        if found:
            payload = codes[modules.index(found[1])].payload
            pages.append((index, page_payload(payload, int(found[2]), int(found[3]))))
    document.close()
    return pages


def render_workbooks(
    folder: Path, modules: list[str] = MODULES, profiles: tuple[str, ...] = PROFILES
) -> list[Path]:
    """A personalised workbook of `modules` in each of `profiles`, written in `folder`."""
    course = load_course_kept(default_content_root())  # read once a run, as `cpo` reads it
    personal = Personal("C-1042", "WB-7H3K")
    return [
        render_personalised(
            course, modules, profile, personal, checkins(modules), folder / f"{profile}.pdf"
        )
        for profile in profiles
    ]


def render_page(pdf: Path, index: int, dpi: int = DPI) -> Image.Image:
    """One page of a PDF as a greyscale image, as a copier scans it."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        return _render(document, index, dpi)
    finally:
        document.close()


def _render(document: pdfium.PdfDocument, index: int, dpi: int = DPI) -> Image.Image:
    image: Image.Image = document[index].render(scale=dpi / 72, grayscale=True).to_pil()
    return image


def degraded_pages(
    count: int, workbooks: list[Path], modules: list[str] = MODULES
) -> Iterator[tuple[Image.Image, str, list[str]]]:
    """Yield `count` degraded module pages: the image, its page code, the degradations.

    Pages come from each workbook in turn; the n-th page is degraded with seed n.
    """
    books = [(pdfium.PdfDocument(str(pdf)), module_pages(pdf, modules)) for pdf in workbooks]
    try:
        for n in range(count):
            document, pages = books[n % len(books)]
            index, code = pages[(n // len(books)) % len(pages)]
            image, applied = degrade(_render(document, index), random.Random(n))
            yield image, code, applied
    finally:
        for document, _ in books:
            document.close()


def as_200_dpi(image: Image.Image, applied: list[str]) -> Image.Image:
    """The page as a 200-dpi scanner would give it; a photo keeps its camera's pixels."""
    if "perspective" in applied:
        return image
    return image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.Resampling.BOX)
