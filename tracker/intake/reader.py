"""Read the QR codes on one scanned or photographed page, trying harder only when needed.

Every module page carries a 20 mm page code in its bottom-right corner (about 6 pixels a
module at 300 dpi, 4 at 200), and since issue 13 the same code again bottom left; a
module's first page and declaration page also carry the big 34 mm module code.
Strategies run in this order, cheapest and most rewarding first, until the caller's
`want` is satisfied. Figures are from 1,800 pages degraded as in benchmarks/degrade.py,
300 dpi, one core:

0. Where the page code is printed, twice (issue 19): the bottom two fifths of the page
   at half the reduced size ("coarse": a page-code module about 1.6 pixels at 300
   dpi), then the top two fifths (a page upside down), then the whole coarse page (a
   declaration page's module code is between the bands); then the two bands again,
   reduced as in 1. Intake wants the page code, and on a module's first and
   declaration page the module code too (`pages.has_its_codes`). Of benchmarks/
   intake.py's 200 degraded 300-dpi pages, the coarse look reads 195: a JPEG decoded at
   a quarter size costs less than at half (libjpeg's scaled decoding), and its bands
   are read in a quarter of the time; the 5 it misses are decoded at the reduced size
   (round four of issue 19: 19 against 23 ms a page to read, loaded machine). So a
   code elsewhere on any other page whose page code reads here (a foreign one, say)
   is not read. A blank page stops after the coarse bottom.
1. The whole page reduced to about 1,800 pixels on its long side, so that page-code
   modules are about 3 pixels: reads 1,754 pages' codes (97.4%) in about 10 ms, and the
   module code wherever any strategy does.
2. The corners that can hold the page code (bottom right, then left; top left, then
   right, when the page is upside down) with a fixed threshold, for faded toner and
   blur: 4 ms, 28 more pages. A corner that reads ends the search of the others.
3. The full-size page, zxing-cpp trying smaller scales itself: 3 more pages (7 at 200
   dpi) in about 30 ms. Averaging pixels fills pale scratches across a big code: it alone
   reads three damaged pages of the real MarkUs scans in the shared test corpus.
4. The corners with their thin dark lines taken out (an opening a little narrower than a
   module), with a local and then a global threshold: a crease across a finder pattern
   hides the code otherwise. About 20 ms, 14 more pages.
5. The same with an opening a pixel wider, for wider creases: 1 more page (5 at 200 dpi).

Then every page's code was read (at 200 dpi, all but 2 of 1,800).

6. For a pen stroke or a staple across the page code (tests/intake/marks.py): the
   corners cut plainly at mid-grey (zxing-cpp's BoolCast), where a local threshold
   is pulled about by the dark stroke: a few more pages (3 of 42 missed in 200). Most
   pages missed under a mark have a finder pattern crossed or more modules hidden
   than level Q's 25% can mend; no image-level strategy tried (closings, openings,
   median filters, other binarizers, other scales) read more than that: 164 of 192
   such pages (85%) in the one-code layout, and zbar alone 155. That is why the code
   is printed twice since issue 13: with a mark across either copy, strategy 1 reads
   the other, 192 of 192; with both copies marked, each its own mark, 187 of 192
   (97.4%), as two chances at 85% would give.
Measured and dropped, as they read nothing the above miss: small-angle rotations,
contrast stretching, sharpening, a median filter, a closing for pale lines, and
zxing-cpp's rotated and inverted passes.

A JPEG page (a phone photo, a scanner's page in a PDF) can be decoded straight at the
coarse or the reduced size (`Pixels`, from `sources.page_pixels`), for a fraction of
the cost of decoding it whole and reducing it; each size is decoded only when a
strategy asks for it, the full size only for the strategies after the reduced page,
which about one page in thirty needs (issue 19).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple, cast

import zxingcpp
from PIL import Image, ImageChops

from tracker.intake.images import to_grey

REDUCED_LONG_SIDE = 1800  # pixels: page-code modules of about 3 pixels, the least read well
A4_LONG_SIDE_MM = 297
MODULE_MM = 20 / 37  # the page code is 20 mm across: 29 modules and a 4-module quiet zone
BLANK_RANGE = 64  # grey levels: a page with no more contrast than this holds no code
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

LocalAverage, FixedThreshold, GlobalHistogram, BoolCast = (
    zxingcpp.Binarizer.LocalAverage,
    zxingcpp.Binarizer.FixedThreshold,
    zxingcpp.Binarizer.GlobalHistogram,
    zxingcpp.Binarizer.BoolCast,
)


class Found(NamedTuple):
    """A code read: its text, and the box round it in the image (left, top, right, bottom)."""

    text: str
    box: tuple[int, int, int, int]

    def moved(self, dx: int, dy: int, scale: int = 1) -> Found:
        """The same code in the coordinates of the image this one was cropped or reduced from."""
        left, top, right, bottom = self.box
        return Found(
            self.text,
            (left * scale + dx, top * scale + dy, right * scale + dx, bottom * scale + dy),
        )


@dataclass
class Pixels:
    """A page image: its full size on demand, and maybe already reduced `factor` times."""

    load: Callable[[], Image.Image]  # the full-size page, 8-bit grey
    size: tuple[int, int]  # the full size, known before any pixel is decoded
    small: Image.Image | None = None  # the page already reduced (decoded so, or once asked)
    factor: int = 1  # how many times smaller `small` is
    original: bytes | None = None  # the page's JPEG as it came, when it is kept as evidence
    # A JPEG decoded straight at 1/n of its size (None where libjpeg cannot scale by n).
    scaled: Callable[[int], Image.Image | None] | None = None
    _full: Image.Image | None = field(default=None, repr=False)
    _kept: dict[int, Image.Image] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, image: Image.Image) -> Pixels:
        """A page image already decoded whole."""
        grey = to_grey(image)
        return cls(lambda: grey, grey.size, _full=grey)

    @property
    def full(self) -> Image.Image:
        """The full-size page, decoded the first time it is asked for."""
        if self._full is None:
            self._full = self.load()
        return self._full

    def reduced(self, factor: int) -> Image.Image:
        """The page `factor` times smaller, from the smallest decoding that gives it."""
        if factor == 1:
            return self.full
        have = dict(self._kept)
        if self.small is not None:
            have[self.factor] = self.small
        if self._full is not None:
            have.setdefault(1, self._full)
        for scale in sorted(have, reverse=True):
            if factor % scale == 0:
                if scale == factor:
                    return have[scale]
                image: Image.Image | None = have[scale].reduce(factor // scale)
                break
        else:
            image = self.scaled(factor) if self.scaled is not None else None
        # Kept: the reader reads a reduced page's bottom, its top, then all of it.
        self._kept[factor] = image if image is not None else self.full.reduce(factor)
        return self._kept[factor]


def reduced_factor(size: tuple[int, int]) -> int:
    """How many times the first strategy reduces a page of this size."""
    return max(1, round(max(size) / REDUCED_LONG_SIDE))


def coarse_factor(size: tuple[int, int]) -> int:
    """How many times the coarse bands (the very first look) reduce a page of this size."""
    return 2 * reduced_factor(size)


def read_codes(image: Image.Image, want: Callable[[list[str]], bool] = bool) -> list[str]:
    """Return the texts of the QR codes on a page image, deduplicated, in the order found."""
    return list(dict.fromkeys(found.text for found in find_codes(image, want)))


def _never(codes: list[str]) -> bool:
    return False


def find_codes(
    image: Image.Image | Pixels,
    want: Callable[[list[str]], bool] = bool,
    foreign: Callable[[list[str]], bool] = _never,
) -> list[Found]:
    """Return the QR codes on a page image, where each is, in the order found.

    A code printed twice (the page code, in two corners) is given at each place it was
    read; a code read again at the same place by a later strategy is given once. Once
    the page has been looked at whole (`LOOKED_WHOLE`), codes that say it is another's
    page (`foreign`) end the search too.
    """
    pixels = image if isinstance(image, Pixels) else Pixels.of(image)
    found: list[Found] = []
    whole = False
    for strategy in STRATEGIES.values():
        got = strategy(pixels) if strategy in REDUCED else strategy(pixels.full)
        found += [code for code in got if not any(_same(code, f) for f in found)]
        texts = list(dict.fromkeys(f.text for f in found))
        whole = whole or strategy is LOOKED_WHOLE
        if want(texts) or (whole and foreign(texts)):
            break
        if strategy is _coarse_bottom and not found and is_blank(pixels):
            break  # a blank back page would run every strategy in vain
    return found


def _same(one: Found, other: Found) -> bool:
    """Whether two codes read are the same printed code: the same text, boxes overlapping."""
    a, b = one.box, other.box
    return one.text == other.text and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def is_blank(pixels: Pixels) -> bool:
    """Whether a page has nothing on it: no more contrast than a code could hide in."""
    # Reduced first, so dust specks and grain average out; a code's finder centre, three
    # modules square, still leaves whole dark pixels.
    low, high = cast("tuple[int, int]", pixels.reduced(4).getextrema())
    return high - low < BLANK_RANGE


def _decode(image: Image.Image, binarizer: zxingcpp.Binarizer, downscale: bool) -> list[Found]:
    # Printed codes are dark on light and zxing-cpp's QR finder works at any angle, so
    # the inverted and quarter-turned passes would only cost time.
    codes = zxingcpp.read_barcodes(
        image,
        formats=QR,
        try_rotate=False,
        try_invert=False,
        try_downscale=downscale,
        binarizer=binarizer,
    )
    return [Found(code.text, _box(code.position)) for code in codes]


def _box(position: zxingcpp.Position) -> tuple[int, int, int, int]:
    corners = (position.top_left, position.top_right, position.bottom_left, position.bottom_right)
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _coarse(pixels: Pixels) -> list[Found]:
    """The whole coarse page: a declaration page's module code, between the two bands."""
    return _whole(pixels, coarse_factor(pixels.size))


def _reduced(pixels: Pixels) -> list[Found]:
    return _whole(pixels, reduced_factor(pixels.size))


def _whole(pixels: Pixels, factor: int) -> list[Found]:
    found = _decode(pixels.reduced(factor), LocalAverage, downscale=False)
    return [code.moved(0, 0, factor) for code in found]


BAND = 2 / 5  # of the page's height: both bottom (or top) corners of a page, with margin


def _bottom(pixels: Pixels) -> list[Found]:
    """The bottom of the reduced page, where an upright page has its page code twice."""
    return _band(pixels, upper=False)


def _top(pixels: Pixels) -> list[Found]:
    """The top of the reduced page, where a page upside down has its page code."""
    return _band(pixels, upper=True)


def _coarse_bottom(pixels: Pixels) -> list[Found]:
    """The bottom of the page at half the reduced size: where the page code is, cheapest."""
    return _band(pixels, upper=False, factor=coarse_factor(pixels.size))


def _coarse_top(pixels: Pixels) -> list[Found]:
    """The top of the page at half the reduced size, for a page upside down."""
    return _band(pixels, upper=True, factor=coarse_factor(pixels.size))


def _band(pixels: Pixels, upper: bool, factor: int | None = None) -> list[Found]:
    factor = factor or reduced_factor(pixels.size)
    image = pixels.reduced(factor)
    height = round(image.height * BAND)
    top = 0 if upper else image.height - height
    found = _decode(image.crop((0, top, image.width, top + height)), LocalAverage, False)
    return [code.moved(0, top * factor, factor) for code in found]


def _full(image: Image.Image) -> list[Found]:
    return _decode(image, LocalAverage, downscale=True)


def _corners(image: Image.Image) -> Iterator[tuple[tuple[int, int, int, int], Image.Image]]:
    """Yield the corners that can hold the page code, the likelier first.

    Upright, the code is bottom right, and on pages printed since issue 13 bottom left
    as well; upside down, top left and top right. A photo leaves a margin round the
    page, so each corner is generous: half the width, two fifths the height. A
    landscape image holds a page turned a quarter, its corners turned with it.
    """
    w, h = image.size
    if w > h:  # turned a quarter either way: the bottom-right corner is bottom left or top right
        left, right, top, bottom = (0, w * 2 // 5), (w * 3 // 5, w), (0, h // 2), (h // 2, h)
        corners = [(left, bottom), (right, top), (left, top), (right, bottom)]
    else:
        left, right, top, bottom = (0, w // 2), (w // 2, w), (0, h * 2 // 5), (h * 3 // 5, h)
        corners = [(right, bottom), (left, top), (left, bottom), (right, top)]
    boxes = [(x0, y0, x1, y1) for (x0, x1), (y0, y1) in corners]
    for box in boxes:
        yield box, image.crop(box)


def _corners_read(
    image: Image.Image, binarizers: tuple[zxingcpp.Binarizer, ...], widen: int | None = None
) -> list[Found]:
    """Read the corners, each with `binarizers` in turn until one reads a code.

    With `widen`, each corner first has its creases removed by an opening `widen` pixels
    wider than usual. A page has one page code, so once a corner reads, that is enough.
    """
    width = max(2, round(0.8 * _module_pixels(image)) + (widen or 0))
    for box, corner in _corners(image):
        if widen is not None:
            corner = _opening(corner, width)
        for binarizer in binarizers:
            if found := _decode(corner, binarizer, downscale=True):
                return [code.moved(box[0], box[1]) for code in found]
    return []


def _module_pixels(image: Image.Image) -> float:
    """About how many pixels a page-code module spans in this image."""
    long, short = max(image.size), min(image.size)
    module = long / A4_LONG_SIDE_MM * MODULE_MM
    # A scan is A4-shaped; a photo's frame (4:3, 16:9) leaves a margin round the page.
    return module if abs(long / short - 2**0.5) < 0.05 else 0.8 * module


def _opening(image: Image.Image, width: int) -> Image.Image:
    """Remove dark lines thinner than `width` pixels, such as a crease; keep wider marks."""
    return _spread(_spread(image, width, ImageChops.lighter), width, ImageChops.darker)


def _spread(
    image: Image.Image, width: int, pick: Callable[[Image.Image, Image.Image], Image.Image]
) -> Image.Image:
    """Take `pick` (lighter or darker) over a `width`-pixel square round each pixel."""
    # A square is a row then a column; shifted copies are several times quicker than
    # Pillow's MaxFilter, and wrapping round at the edges changes only the corner's rim.
    shifts = [s for s in range(-(width // 2), (width + 1) // 2) if s]
    for axis in ((1, 0), (0, 1)):
        out = image
        for s in shifts:
            out = pick(out, ImageChops.offset(image, s * axis[0], s * axis[1]))
        image = out
    return image


# After this strategy every part of the page has been read at least once, so a page with
# another's code and none of ours is taken for another's: on a clean or degraded page of
# ours, its own code is read by then (see `find_codes`).
LOOKED_WHOLE = _reduced

# The first six take the page's Pixels (they may never need the full size); the rest
# the full page.
REDUCED = (_coarse_bottom, _coarse_top, _coarse, _bottom, _top, _reduced)
STRATEGIES: dict[str, Callable[..., list[Found]]] = {
    "bottom of the coarse page": _coarse_bottom,
    "top of the coarse page": _coarse_top,
    "coarse page": _coarse,
    "bottom of the reduced page": _bottom,
    "top of the reduced page": _top,
    "reduced page": _reduced,
    "corners, fixed threshold": partial(_corners_read, binarizers=(FixedThreshold,)),
    "full page": _full,
    "corners, crease removed": partial(
        _corners_read, binarizers=(LocalAverage, GlobalHistogram), widen=0
    ),
    "corners, wider crease removed": partial(_corners_read, binarizers=(LocalAverage,), widen=1),
    "corners, plain cut at mid-grey": partial(_corners_read, binarizers=(BoolCast,)),
}
