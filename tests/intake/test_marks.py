"""The reader on pages with a pen stroke or a staple across a page code (tests/intake/marks.py).

The issue asks for 97% of such pages. Pages printed since issue 13 carry their page code
twice, bottom right and bottom left, so a mark across one leaves the other to read; pages
printed before carry only the right one, and keep the floor they had.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.degrade import degrade
from tests.intake.corpus import module_pages, render_page, render_workbooks
from tests.intake.marks import MARKS
from tracker.intake.pages import has_page_code, parse
from tracker.intake.reader import read_codes

MODULES = ["WB1", "TF2", "HC2"]
PAGES = 60
RATE = 0.97  # the target; measured 100% on these 60, 99.5% on 192 (README)
OLD_FLOOR = 0.75  # one code only, as printed before issue 13: measured 0.85 on 192 pages
QUICK = 8  # pages in the quick test
MM = 300 / 25.4  # pixels a millimetre at 300 dpi


class Pages(Sequence[tuple[Image.Image, str]]):
    """Module pages at 300 dpi and their page codes, each drawn when a test first asks."""

    def __init__(self, pages: list[tuple[Path, int, str]]) -> None:
        self.pages = pages
        self.drawn: dict[int, Image.Image] = {}

    def __len__(self) -> int:
        return len(self.pages)

    @overload
    def __getitem__(self, at: int) -> tuple[Image.Image, str]: ...
    @overload
    def __getitem__(self, at: slice) -> list[tuple[Image.Image, str]]: ...
    def __getitem__(
        self, at: int | slice
    ) -> tuple[Image.Image, str] | list[tuple[Image.Image, str]]:
        if isinstance(at, slice):
            return [self[n] for n in range(len(self))[at]]
        pdf, index, code = self.pages[at]
        if at not in self.drawn:  # the quick tests look at 8 pages, not all 60
            self.drawn[at] = render_page(pdf, index)
        return self.drawn[at], code


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Pages:
    """`PAGES` clean 300-dpi module pages of the three profiles, and their page codes."""
    books = render_workbooks(tmp_path_factory.mktemp("wb"), MODULES)
    pages = [(pdf, i, c) for pdf in books for i, c in module_pages(pdf, MODULES)]
    random.Random(5).shuffle(pages)
    return Pages(pages[:PAGES])


def code_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Where the page code is printed on a clean page, left to right."""
    found = zxingcpp.read_barcodes(image.reduce(2))  # a clean page reads at once
    boxes = []
    for code in found:
        if parse(code.text).number is not None:
            p = code.position
            xs, ys = (p.top_left.x, p.bottom_right.x), (p.top_left.y, p.bottom_right.y)
            boxes.append((2 * min(xs), 2 * min(ys), 2 * max(xs), 2 * max(ys)))
    return sorted(boxes)


def marked(image: Image.Image, box: tuple[int, int, int, int], n: int) -> Image.Image:
    """Page `n` with a staple or (odd `n`) a pen stroke across `box`, and half degraded too."""
    rng = random.Random(n)
    image = MARKS["pen" if n % 2 else "staple"](image, box, rng)
    return degrade(image, rng)[0] if rng.random() < 0.5 else image


def covered(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The page with the code in `box` covered in white."""
    out = image.copy()
    left, top, right, bottom = box
    ImageDraw.Draw(out).rectangle((left - 20, top - 20, right + 20, bottom + 20), fill=255)
    return out


def old_layout(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """The page as printed before issue 13: no copy of the page code bottom left."""
    return covered(image, boxes[0])


def read_rate(pages: list[tuple[Image.Image, str]]) -> float:
    """The share of pages whose page code is read; no page may give another page's code."""
    read = 0
    for image, code in pages:
        page_codes = [c for c in read_codes(image, has_page_code) if parse(c).number is not None]
        assert page_codes in ([], [code]), page_codes  # a wrong page code is never read
        read += page_codes == [code]
    return read / len(pages)


@pytest.mark.parametrize("name", list(MARKS))
def test_a_mark_crosses_the_code_and_is_the_same_for_a_seed(name: str, clean: Pages) -> None:
    image, _ = clean[0]
    box = code_boxes(image)[-1]
    first = MARKS[name](image, box, random.Random(3))
    assert first.tobytes() == MARKS[name](image, box, random.Random(3)).tobytes()
    left, top, right, bottom = box
    before, after = image.crop(box), first.crop(box)
    assert before.tobytes() != after.tobytes() and first.size == image.size
    assert (right - left) > 100 and (bottom - top) > 100  # the 20 mm code at 300 dpi


def test_every_module_page_has_its_page_code_twice_far_apart(
    clean: Pages,
) -> None:
    """Far enough apart that a staple (12 mm) or a stroke over one misses the other."""
    for image, _ in clean[:6]:
        left, right = code_boxes(image)
        assert right[0] - left[2] > 120 * MM
        assert abs(left[1] - right[1]) < MM  # both on the footer's line


def test_a_page_with_either_code_covered_is_read(clean: Pages) -> None:
    """Quick: whichever of the two copies a sticker or a torn corner takes, the other reads."""
    pages = []
    for image, code in clean[:QUICK]:
        boxes = code_boxes(image)
        pages += [(covered(image, box), code) for box in boxes]
    assert len(pages) == 2 * QUICK and read_rate(pages) == 1


@pytest.mark.slow  # half the pages degraded too, some into the reader's slower strategies
def test_pages_with_a_pen_stroke_or_staple_on_a_page_code_are_read(
    clean: Pages,
) -> None:
    rng = random.Random(13)
    pages = [
        (marked(image, rng.choice(code_boxes(image)), n), code)
        for n, (image, code) in enumerate(clean)
    ]
    assert read_rate(pages) >= RATE


@pytest.mark.slow  # each page missed runs every strategy
def test_pages_printed_before_with_a_mark_on_their_one_code_keep_their_floor(
    clean: Pages,
) -> None:
    pages = []
    for n, (image, code) in enumerate(clean):
        boxes = code_boxes(image)
        pages.append((marked(old_layout(image, boxes), boxes[-1], n), code))
    assert read_rate(pages) >= OLD_FLOOR
