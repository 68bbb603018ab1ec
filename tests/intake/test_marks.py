"""The reader on pages with a pen stroke or a staple across a page code (tests/intake/marks.py).

The issue asks for 97% of such pages. Pages printed since issue 13 carry their page code
twice, bottom right and bottom left, so a mark across one leaves the other to read; pages
printed before carry only the right one, and keep the floor they had.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tests.degrade import degrade
from tests.intake.corpus import PROFILES, module_pages, render_page, render_workbooks
from tests.intake.marks import MARKS, _fill
from tracker.intake.pages import has_page_code, parse
from tracker.intake.reader import read_codes

MODULES = ["WB1", "TF2", "HC2"]
PAGES = 60
RATE = 0.97  # the target; measured 100% on these 60, 99.5% on 192 (README)
OLD_FLOOR = 0.75  # one code only, as printed before issue 13: measured 0.85 on 192 pages
QUICK = 8  # pages in the quick test
MM = 300 / 25.4  # pixels a millimetre at 300 dpi
# One worker runs this module (`make test` runs with `--dist loadgroup`), so its pages are
# drawn, and their codes found, once a run: each slow test reads all of them.
pytestmark = pytest.mark.xdist_group("marked-pages")


class Pages(Sequence[tuple[Image.Image, str]]):
    """Module pages at 300 dpi and their page codes, each drawn when a test first asks."""

    def __init__(self, pages: list[tuple[Path, int, str]]) -> None:
        self.pages = pages
        self.drawn: dict[int, Image.Image] = {}
        self.found: dict[int, list[tuple[int, int, int, int]]] = {}

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

    def boxes(self, at: int) -> list[tuple[int, int, int, int]]:
        """Where page `at`'s codes are printed, found once (each slow test asks of every page)."""
        if at not in self.found:
            self.found[at] = code_boxes(self[at][0])
        return self.found[at]


class Workbooks:
    """The workbook of `MODULES` in each profile, each printed when a fixture first asks."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.printed: dict[str, Path] = {}

    def __call__(self, profile: str) -> Path:
        if profile not in self.printed:
            self.printed[profile] = render_workbooks(self.folder, MODULES, (profile,))[0]
        return self.printed[profile]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> Workbooks:
    return Workbooks(tmp_path_factory.mktemp("wb"))


def shuffled(books: list[Path]) -> Pages:
    """`PAGES` of the module pages of `books`, in a shuffled order kept from run to run."""
    pages = [(pdf, i, c) for pdf in books for i, c in module_pages(pdf, MODULES)]
    random.Random(5).shuffle(pages)
    return Pages(pages[:PAGES])


@pytest.fixture(scope="module")
def clean(workbooks: Workbooks) -> Pages:
    """`PAGES` clean 300-dpi module pages of the three profiles, and their page codes."""
    return shuffled([workbooks(profile) for profile in PROFILES])


# The quick tests' pages: the standard profile's in the fast loop (one workbook printed, not
# three: about 2 s of CPU); every profile's too in `make test`, as the slow tests read them.
@pytest.fixture(
    scope="module", params=["standard", pytest.param("every profile", marks=pytest.mark.slow)]
)
def quick(request: pytest.FixtureRequest, workbooks: Workbooks) -> Pages:
    """Clean module pages for the quick tests: the standard profile's, or every profile's."""
    if request.param == "standard":
        return shuffled([workbooks("standard")])
    pages: Pages = request.getfixturevalue("clean")
    return pages


def code_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Where the page code is printed on a clean page, left to right."""
    # A clean page reads at once; QR codes only (looking for every format cost 6 times more).
    found = zxingcpp.read_barcodes(image.reduce(2), formats=zxingcpp.BarcodeFormat.QRCode)
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
def test_a_mark_crosses_the_code_and_is_the_same_for_a_seed(name: str, quick: Pages) -> None:
    image, _ = quick[0]
    box = quick.boxes(0)[-1]
    first = MARKS[name](image, box, random.Random(3))
    assert first.tobytes() == MARKS[name](image, box, random.Random(3)).tobytes()
    left, top, right, bottom = box
    before, after = image.crop(box), first.crop(box)
    assert before.tobytes() != after.tobytes() and first.size == image.size
    assert (right - left) > 100 and (bottom - top) > 100  # the 20 mm code at 300 dpi


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_staple_s_shadow_made_round_it_is_the_whole_page_s(mode: str) -> None:
    """The staple shades a box round itself only: the page is as with a whole-page shadow."""
    page = Image.effect_noise((700, 500), 60).convert(mode)  # ink everywhere, all sizes
    for n, box in enumerate([(250, 150, 450, 350), (0, 0, 120, 120), (580, 380, 700, 500)]):
        made = MARKS["staple"](page, box, random.Random(n))
        assert made.tobytes() == whole_page_staple(page, box, random.Random(n)).tobytes()


def whole_page_staple(
    image: Image.Image, box: tuple[int, int, int, int], rng: random.Random
) -> Image.Image:
    """`marks.staple` as it was first written: its shadow the size of the page."""
    left, top, right, bottom = box
    cx, cy, angle = rng.uniform(left, right), rng.uniform(top, bottom), rng.uniform(0, math.pi)
    dx, dy = math.cos(angle) * 6 * MM, math.sin(angle) * 6 * MM
    ends = [(cx - dx, cy - dy), (cx + dx, cy + dy)]
    shadow = Image.new("L", image.size, 255)
    ImageDraw.Draw(shadow).line(ends, fill=rng.randint(60, 130), width=round(1.4 * MM))
    shadow = shadow.filter(ImageFilter.GaussianBlur(2))
    out = ImageChops.multiply(image.convert("L"), shadow).convert(image.mode)
    draw, metal = ImageDraw.Draw(out), round(0.7 * MM)
    draw.line(ends, fill=_fill(out, rng.randint(20, 70)), width=metal + 2)
    draw.line(ends, fill=_fill(out, rng.randint(170, 235)), width=max(1, metal - 2))
    for x, y in ends:
        r = 0.5 * MM
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_fill(out, rng.randint(30, 90)))
    return out


def test_every_module_page_has_its_page_code_twice_far_apart(
    quick: Pages,
) -> None:
    """Far enough apart that a staple (12 mm) or a stroke over one misses the other."""
    for n in range(6):
        left, right = quick.boxes(n)
        assert right[0] - left[2] > 120 * MM
        assert abs(left[1] - right[1]) < MM  # both on the footer's line


def test_a_page_with_either_code_covered_is_read(quick: Pages) -> None:
    """Quick: whichever of the two copies a sticker or a torn corner takes, the other reads."""
    pages = []
    for n, (image, code) in enumerate(quick[:QUICK]):
        pages += [(covered(image, box), code) for box in quick.boxes(n)]
    assert len(pages) == 2 * QUICK and read_rate(pages) == 1


@pytest.mark.slow  # half the pages degraded too, some into the reader's slower strategies
def test_pages_with_a_pen_stroke_or_staple_on_a_page_code_are_read(
    clean: Pages,
) -> None:
    rng = random.Random(13)
    pages = [
        (marked(image, rng.choice(clean.boxes(n)), n), code)
        for n, (image, code) in enumerate(clean)
    ]
    assert read_rate(pages) >= RATE


@pytest.mark.slow  # each page missed runs every strategy
def test_pages_printed_before_with_a_mark_on_their_one_code_keep_their_floor(
    clean: Pages,
) -> None:
    pages = []
    for n, (image, code) in enumerate(clean):
        boxes = clean.boxes(n)
        pages.append((marked(old_layout(image, boxes), boxes[-1], n), code))
    assert read_rate(pages) >= OLD_FLOOR
