"""Returned pages as scanners and phones really make them: skewed, blurred, faded, creased.

Each degradation takes a 300-dpi page and a `random.Random` and returns an image of the
same mode; all randomness comes from that generator, so a seed gives the same page.
They are meant to be realistic rather than adversarial: a person could still read every
page, though a crease may well run through the small page code, as it does on real paper.

The warps, the blur and the grain are OpenCV's: the same bilinear warps and Gaussian as
Pillow's, at a third of the CPU (a degraded 300-dpi page cost ~0.3 s with Pillow's, most
of what the intake tests' corpora cost). Pillow draws and encodes the rest.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from statistics import NormalDist

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageDraw

Degradation = Callable[[Image.Image, random.Random], Image.Image]

PHOTO_FRAME = (3000, 4000)  # a 12-megapixel phone photo of a 300-dpi page, portrait
PAGE_HEIGHT_300_DPI = 3508  # A4's long side at 300 dpi
# One thread: the tests already run one worker a core, and OpenCV's own threads would only
# contend with them (a warp's result is the same on any number of threads).
cv2.setNumThreads(1)


def rotate_small(image: Image.Image, rng: random.Random) -> Image.Image:
    """Skew the page by 0.5 to 5 degrees either way, as a page fed askew into a scanner."""
    angle = rng.uniform(0.5, 5.0) * rng.choice((-1, 1))
    pixels = _pixels(image)
    centre = ((image.width - 1) / 2, (image.height - 1) / 2)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)  # anticlockwise, as Pillow's rotate
    white = _colour(image.mode, 255)
    return _image(cv2.warpAffine(pixels, turn, image.size, None, cv2.INTER_LINEAR, 0, white))


def upside_down(image: Image.Image, rng: random.Random) -> Image.Image:
    """Turn the page round, as a page put into the feeder the wrong way up."""
    return image.transpose(Image.Transpose.ROTATE_180)


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    """Soften the page as a cheap copier's optics or a phone slightly out of focus do."""
    # A page-code module is about 6 pixels: a radius of 2.2 smears each edge over most of it.
    # (Measured: page codes still read at a radius of 3; at 3.5 none do.) The radius is the
    # Gaussian's standard deviation, as in Pillow's GaussianBlur.
    return _image(cv2.GaussianBlur(_pixels(image), (0, 0), rng.uniform(0.8, 2.2)))


def noise(image: Image.Image, rng: random.Random) -> Image.Image:
    """Add sensor grain, and now and then the dust specks of a dirty copier glass."""
    width, height = image.size
    # Pillow's effect_noise cannot be seeded: uniform bytes from rng, made Gaussian by a table.
    sigma, normal = rng.uniform(10, 28), NormalDist()
    table = np.array(
        [round(128 + sigma * normal.inv_cdf((v + 0.5) / 256)) for v in range(256)], np.uint8
    )
    half = (width // 2, height // 2)  # grain a little coarser than a pixel, as a sensor's is
    uniform = np.frombuffer(rng.randbytes(half[0] * half[1]), np.uint8).reshape(half[::-1])
    grain = cv2.resize(table[uniform], image.size, interpolation=cv2.INTER_LINEAR)
    pixels = _pixels(image)
    if pixels.ndim == 3:
        grain = cv2.merge([grain] * pixels.shape[2])
    out = _image(cv2.addWeighted(pixels, 1.0, grain, 1.0, -128.0))  # each pixel + grain - 128
    if rng.random() < 0.5:
        draw = ImageDraw.Draw(out)
        for _ in range(rng.randrange(200, 1200)):
            x, y, r = rng.randrange(width), rng.randrange(height), rng.uniform(0.5, 2.0)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=_grey(out.mode, rng.randrange(0, 90)))
    return out


def jpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    """Compress the page as JPEG at quality 20 to 50, as scan-to-email settings often do."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=rng.randint(20, 50))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert(image.mode)


def contrast_loss(image: Image.Image, rng: random.Random) -> Image.Image:
    """Fade the page as low toner does: black prints as mid-grey, white as light grey."""
    low, high = rng.randint(70, 110), rng.randint(190, 225)
    return image.point([low + v * (high - low) // 255 for v in range(256)] * _bands(image))


def fold_line(image: Image.Image, rng: random.Random) -> Image.Image:
    """Draw a crease across the page or its corner: a soft shadow, the ink perhaps cracked."""
    width, height = image.size
    if rng.random() < 0.35:
        # A dog-eared or twice-folded corner: the crease runs through the page code.
        x, y = rng.uniform(0.78, 0.90) * width, rng.uniform(0.90, 0.97) * height
    else:  # folded in half or in thirds to fit an envelope
        x, y = rng.uniform(0.3, 0.7) * width, rng.choice((1 / 3, 1 / 2, 2 / 3)) * height
    slope = rng.uniform(-0.25, 0.25) if rng.random() < 0.6 else rng.uniform(0.6, 1.6)
    ends = (0, y - slope * x, width, y + slope * (width - x))
    width_px, darkest = rng.randint(2, 5), rng.randint(90, 170)
    # Drawn in the band the crease crosses only: outside it the shade is white (255) and
    # the crack black (0), which leave a pixel as it is, so the page is the same as with
    # whole-page layers (checked in tests/intake/test_reader.py), for less CPU.
    reach = width_px + 8  # the widest stroke's half, with room
    top = max(0, math.floor(min(ends[1], ends[3])) - reach)
    bottom = min(height, math.ceil(max(ends[1], ends[3])) + reach)
    band = (0, top, width, bottom)
    moved = (ends[0], ends[1] - top, ends[2], ends[3] - top)
    shade = Image.new("L", (width, bottom - top), 255)
    draw = ImageDraw.Draw(shade)
    # Wide and faint to narrow and dark: a soft-edged shadow without blurring a whole page.
    for step in range(4, 0, -1):
        fill = 255 - (255 - darkest) // step
        draw.line(moved, fill=fill, width=width_px + 2 * (step - 1))
    part = ImageChops.multiply(image.crop(band), shade.convert(image.mode))
    if rng.random() < 0.4:  # the toner cracked along the fold: a pale line through the ink
        crack = Image.new("L", shade.size, 0)
        ImageDraw.Draw(crack).line(moved, fill=rng.randint(150, 230), width=rng.randint(1, 3))
        part = ImageChops.lighter(part, crack.convert(image.mode))
    out = image.copy()
    out.paste(part, band[:2])
    return out


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """Photograph the page with a phone: smaller than the frame, tilted, unevenly lit."""
    frame_w, frame_h = frame = photo_frame(image)
    scale = rng.uniform(0.75, 0.92) * frame_h / image.height
    page_w, page_h = image.width * scale, image.height * scale
    left = rng.uniform(0.1, 0.9) * (frame_w - page_w)
    top = rng.uniform(0.1, 0.9) * (frame_h - page_h)
    tilt = rng.uniform(-0.06, 0.06) * page_w  # keystone: one edge nearer the lens
    lean = rng.uniform(-0.04, 0.04) * page_h
    corners = [
        (left + tilt + _jitter(rng, page_w), top + lean),
        (left + page_w - tilt + _jitter(rng, page_w), top - lean),
        (left + page_w + tilt + _jitter(rng, page_w), top + page_h + lean),
        (left - tilt + _jitter(rng, page_w), top + page_h - lean),
    ]
    source = [(0.0, 0.0), (image.width, 0.0), (image.width, image.height), (0.0, image.height)]
    warp = cv2.getPerspectiveTransform(np.array(source, np.float32), np.array(corners, np.float32))
    table = _colour(image.mode, rng.randint(40, 110))  # a table or a dark blanket
    photo = cv2.warpPerspective(_pixels(image), warp, frame, None, cv2.INTER_LINEAR, 0, table)
    light = cv2.resize(_pixels(_lighting(rng)), frame, interpolation=cv2.INTER_LINEAR)
    if photo.ndim == 3:
        light = cv2.merge([light] * photo.shape[2])
    return _image(cv2.multiply(photo, light, scale=1 / 255))


def photo_frame(image: Image.Image) -> tuple[int, int]:
    """The photo's size: 12 megapixels for a 300-dpi page, in proportion for a smaller one."""
    if image.height >= PAGE_HEIGHT_300_DPI:
        return PHOTO_FRAME
    scale = image.height / PAGE_HEIGHT_300_DPI  # a test's quarter-size page: a quarter photo
    return round(PHOTO_FRAME[0] * scale), round(PHOTO_FRAME[1] * scale)


def _lighting(rng: random.Random) -> Image.Image:
    """A smooth light falloff, to be stretched across the frame: a lamp or window to one side."""
    dark = rng.randint(150, 215)
    ramp = Image.linear_gradient("L").point(lambda v: 255 - v * (255 - dark) // 255)
    ramp = ramp.rotate(rng.uniform(0, 360), Image.Resampling.BILINEAR, expand=True, fillcolor=dark)
    return ramp.crop((ramp.width // 4, ramp.height // 4, ramp.width * 3 // 4, ramp.height * 3 // 4))


def _jitter(rng: random.Random, span: float) -> float:
    return rng.uniform(-0.015, 0.015) * span


def _pixels(image: Image.Image) -> np.ndarray:
    """The image's pixels as an array OpenCV takes (rows, columns[, bands])."""
    return np.asarray(image)


def _image(pixels: np.ndarray) -> Image.Image:
    """An array of 8-bit pixels back as an image (one band grey, three RGB)."""
    return Image.fromarray(pixels)


def _colour(mode: str, level: int) -> tuple[int, ...]:
    """A grey `level` as OpenCV's border colour for an image of `mode`."""
    return (level,) * Image.getmodebands(mode)


def _grey(mode: str, level: int) -> int | tuple[int, ...]:
    """A grey `level` as a fill colour for an image of `mode`."""
    bands = Image.getmodebands(mode)
    return level if bands == 1 else (level,) * bands


def _bands(image: Image.Image) -> int:
    return len(image.getbands())


# In the order they happen: on paper, then the page's pose, then the optics, the sensor and
# the file. `degrade` applies a random few in this order.
DEGRADATIONS: dict[str, Degradation] = {
    "contrast_loss": contrast_loss,
    "fold_line": fold_line,
    "upside_down": upside_down,
    "rotate_small": rotate_small,
    "perspective": perspective,
    "blur": blur,
    "noise": noise,
    "jpeg": jpeg,
}


def degrade(image: Image.Image, rng: random.Random) -> tuple[Image.Image, list[str]]:
    """Apply a random realistic combination of 1 to 3 degradations; return it and their names."""
    names = rng.sample(list(DEGRADATIONS), rng.choice((1, 2, 2, 3)))
    applied = [name for name in DEGRADATIONS if name in names]
    for name in applied:
        image = DEGRADATIONS[name](image, rng)
    return image, applied
