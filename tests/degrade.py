"""Returned pages as scanners and phones really make them: skewed, blurred, faded, creased.

Each degradation takes a 300-dpi page and a `random.Random` and returns an image of the
same mode; all randomness comes from that generator, so a seed gives the same page.
They are meant to be realistic rather than adversarial: a person could still read every
page, though a crease may well run through the small page code, as it does on real paper.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from statistics import NormalDist

from PIL import Image, ImageChops, ImageDraw, ImageFilter

Degradation = Callable[[Image.Image, random.Random], Image.Image]

PHOTO_FRAME = (3000, 4000)  # a 12-megapixel phone photo, portrait


def rotate_small(image: Image.Image, rng: random.Random) -> Image.Image:
    """Skew the page by 0.5 to 5 degrees either way, as a page fed askew into a scanner."""
    angle = rng.uniform(0.5, 5.0) * rng.choice((-1, 1))
    return image.rotate(angle, Image.Resampling.BILINEAR, fillcolor=_grey(image.mode, 255))


def upside_down(image: Image.Image, rng: random.Random) -> Image.Image:
    """Turn the page round, as a page put into the feeder the wrong way up."""
    return image.transpose(Image.Transpose.ROTATE_180)


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    """Soften the page as a cheap copier's optics or a phone slightly out of focus do."""
    # A page-code module is about 6 pixels: a radius of 2.2 smears each edge over most of it.
    # (Measured: page codes still read at a radius of 3; at 3.5 none do.)
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.2)))


def noise(image: Image.Image, rng: random.Random) -> Image.Image:
    """Add sensor grain, and now and then the dust specks of a dirty copier glass."""
    width, height = image.size
    # Pillow's effect_noise cannot be seeded: uniform bytes from rng, made Gaussian by a table.
    sigma, normal = rng.uniform(10, 28), NormalDist()
    table = [round(128 + sigma * normal.inv_cdf((v + 0.5) / 256)) for v in range(256)]
    half = (width // 2, height // 2)  # grain a little coarser than a pixel, as a sensor's is
    grain = Image.frombytes("L", half, rng.randbytes(half[0] * half[1])).point(table)
    grain = grain.resize(image.size, Image.Resampling.BILINEAR)
    out = ImageChops.add(image, grain.convert(image.mode), 1.0, -128)
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
    shade = Image.new("L", image.size, 255)
    draw = ImageDraw.Draw(shade)
    width_px, darkest = rng.randint(2, 5), rng.randint(90, 170)
    # Wide and faint to narrow and dark: a soft-edged shadow without blurring a whole page.
    for step in range(4, 0, -1):
        fill = 255 - (255 - darkest) // step
        draw.line(ends, fill=fill, width=width_px + 2 * (step - 1))
    out = ImageChops.multiply(image, shade.convert(image.mode))
    if rng.random() < 0.4:  # the toner cracked along the fold: a pale line through the ink
        crack = Image.new("L", image.size, 0)
        ImageDraw.Draw(crack).line(ends, fill=rng.randint(150, 230), width=rng.randint(1, 3))
        out = ImageChops.lighter(out, crack.convert(image.mode))
    return out


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """Photograph the page with a phone: smaller than the frame, tilted, unevenly lit."""
    frame_w, frame_h = PHOTO_FRAME
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
    photo = image.transform(
        PHOTO_FRAME,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(corners, source),
        Image.Resampling.BILINEAR,
        fillcolor=_grey(image.mode, rng.randint(40, 110)),  # a table or a dark blanket
    )
    return ImageChops.multiply(photo, _lighting(rng).convert(image.mode))


def _lighting(rng: random.Random) -> Image.Image:
    """A smooth light falloff across the frame: a lamp or window to one side."""
    dark = rng.randint(150, 215)
    ramp = Image.linear_gradient("L").point(lambda v: 255 - v * (255 - dark) // 255)
    ramp = ramp.rotate(rng.uniform(0, 360), Image.Resampling.BILINEAR, expand=True, fillcolor=dark)
    box = (ramp.width // 4, ramp.height // 4, ramp.width * 3 // 4, ramp.height * 3 // 4)
    return ramp.crop(box).resize(PHOTO_FRAME, Image.Resampling.BILINEAR)


def _jitter(rng: random.Random, span: float) -> float:
    return rng.uniform(-0.015, 0.015) * span


def _perspective_coefficients(
    frame: list[tuple[float, float]], page: list[tuple[float, float]]
) -> tuple[float, ...]:
    """The 8 coefficients Pillow's PERSPECTIVE takes to map `frame` corners to `page` corners."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(frame, page, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    return tuple(_solve(rows))


def _solve(rows: list[list[float]]) -> list[float]:
    """Solve a small augmented linear system by Gaussian elimination with partial pivoting."""
    n = len(rows)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[r][n] / rows[r][r] for r in range(n)]


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
