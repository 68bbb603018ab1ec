"""Marks people make over the page code: a pen stroke, a staple; and two pages in one photo.

Each takes a clean 300-dpi page, the box round its page code (as `find_codes` gives it)
and a `random.Random`, and returns the page marked. They are meant to be what comes
back in real envelopes: a signature's tail or a crossing-out through the code, a staple
put through the corner. A person could still read the page; the code may be hurt.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageFilter

Box = tuple[int, int, int, int]
Mark = Callable[[Image.Image, Box, random.Random], Image.Image]
MM = 300 / 25.4  # pixels a millimetre at 300 dpi


def pen_stroke(image: Image.Image, box: Box, rng: random.Random) -> Image.Image:
    """Draw a pen stroke (0.3 to 1 mm wide, a gentle curve) across the code."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    points = _curve_through(box, rng)
    if rng.random() < 0.8:  # a ballpoint or gel pen, black or blue
        width, ink = rng.uniform(0.3, 0.7), rng.randint(20, 140)
    else:  # a felt-tip
        width, ink = rng.uniform(0.7, 1.0), rng.randint(20, 90)
    draw.line(points, fill=_fill(out, ink), width=round(width * MM), joint="curve")
    return out


def staple(image: Image.Image, box: Box, rng: random.Random) -> Image.Image:
    """Put a staple (12 mm by 0.7 mm of bright metal with dark edges) through the code."""
    left, top, right, bottom = box
    cx, cy = rng.uniform(left, right), rng.uniform(top, bottom)
    angle = rng.uniform(0, math.pi)
    half = 6 * MM
    dx, dy = math.cos(angle) * half, math.sin(angle) * half
    ends = [(cx - dx, cy - dy), (cx + dx, cy + dy)]
    # The staple's soft shadow on the paper. Made in a box round the staple only: outside
    # it the shadow is white (255), which multiplies a pixel by one, so the page is the same
    # as with a whole-page shadow (checked in tests/intake/test_marks.py) at a tenth the cost.
    around = round(half + 10 * MM)  # the blur reaches a few pixels past the line
    crop = (
        max(0, math.floor(cx) - around),
        max(0, math.floor(cy) - around),
        min(image.width, math.floor(cx) + around),
        min(image.height, math.floor(cy) + around),
    )
    shadow = Image.new("L", (crop[2] - crop[0], crop[3] - crop[1]), 255)
    moved = [(x - crop[0], y - crop[1]) for x, y in ends]
    ImageDraw.Draw(shadow).line(moved, fill=rng.randint(60, 130), width=round(1.4 * MM))
    shadow = shadow.filter(ImageFilter.GaussianBlur(2))
    grey = image.convert("L")
    grey.paste(ImageChops.multiply(grey.crop(crop), shadow), crop[:2])
    out = grey.convert(image.mode)
    draw = ImageDraw.Draw(out)
    metal = round(0.7 * MM)
    draw.line(ends, fill=_fill(out, rng.randint(20, 70)), width=metal + 2)  # its dark edges
    draw.line(ends, fill=_fill(out, rng.randint(170, 235)), width=max(1, metal - 2))  # shine
    for end in ends:  # the legs bent behind the paper leave two dents
        x, y = end
        r = 0.5 * MM
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_fill(out, rng.randint(30, 90)))
    return out


def _curve_through(box: Box, rng: random.Random) -> list[tuple[float, float]]:
    """A smooth stroke entering on one side of the box and leaving on the other."""
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    reach = rng.uniform(0.6, 1.4)
    if rng.random() < 0.6:  # mostly across, as writing runs
        start = (left - reach * w, rng.uniform(top, bottom))
        end = (right + reach * w, rng.uniform(top, bottom))
    else:
        start = (rng.uniform(left, right), top - reach * h)
        end = (rng.uniform(left, right), bottom + reach * h)
    bend = (
        rng.uniform(left, right) + rng.uniform(-0.3, 0.3) * w,
        rng.uniform(top, bottom) + rng.uniform(-0.3, 0.3) * h,
    )
    steps = 40
    points = []
    for i in range(steps + 1):  # a quadratic Bezier through the bend
        s = i / steps
        x = (1 - s) ** 2 * start[0] + 2 * (1 - s) * s * bend[0] + s**2 * end[0]
        y = (1 - s) ** 2 * start[1] + 2 * (1 - s) * s * bend[1] + s**2 * end[1]
        points.append((x, y))
    return points


def _fill(image: Image.Image, level: int) -> int | tuple[int, ...]:
    bands = len(image.getbands())
    return level if bands == 1 else (level,) * bands


MARKS: dict[str, Mark] = {"pen": pen_stroke, "staple": staple}


def side_by_side(left: Image.Image, right: Image.Image, rng: random.Random) -> Image.Image:
    """Two pages lying side by side on a table, photographed together (landscape)."""
    gap = round(rng.uniform(2, 15) * MM)
    margin = round(rng.uniform(5, 20) * MM)
    width = left.width + right.width + gap + 2 * margin
    height = max(left.height, right.height) + 2 * margin
    table = Image.new("L", (width, height), rng.randint(40, 110))
    table.paste(left.convert("L"), (margin, margin + rng.randint(0, margin // 2)))
    table.paste(right.convert("L"), (margin + left.width + gap, margin))
    return table.rotate(rng.uniform(-2, 2), Image.Resampling.BILINEAR, fillcolor=80)
