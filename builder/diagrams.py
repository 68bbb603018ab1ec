"""Named diagrams the course can draw: one vector drawing, set out once, for paper and screen.

Each diagram is a function of its settings that returns a `Picture`: shapes in millimetres
(origin bottom left, y up) with a text alternative. The PDF (`builder.pdf.diagrams`) and
the HTML (`builder.html.diagrams`) each translate the same shapes, so both show the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

WIDTH = 160.0  # mm: every diagram is as wide as the text column
INK = "#1F3A5F"
SOFT = "#EEF2F7"  # light enough for text on it to keep 4.5:1
SEA = "#D6E4F0"


@dataclass(frozen=True)
class Line:
    """A straight line; `arrows` at both ends when True."""

    x1: float
    y1: float
    x2: float
    y2: float
    arrows: bool = False


@dataclass(frozen=True)
class Circle:
    """A circle, filled or not."""

    x: float
    y: float
    r: float
    fill: str = ""


@dataclass(frozen=True)
class Polygon:
    """A closed shape through its points, or an open line when `closed` is False."""

    points: tuple[tuple[float, float], ...]
    fill: str = ""
    closed: bool = True


@dataclass(frozen=True)
class Text:
    """Words at a point: `anchor` is start, middle or end; y is the first line's baseline."""

    x: float
    y: float
    lines: tuple[str, ...]
    anchor: str = "middle"
    bold: bool = False


Shape = Line | Circle | Polygon | Text


@dataclass(frozen=True)
class Picture:
    """A diagram ready to draw: its size in mm, its shapes and what it shows, in words."""

    width: float
    height: float
    shapes: tuple[Shape, ...]
    alt: str
    text_mm: float  # the height of its text, so renderers set it at the same size


@dataclass(frozen=True)
class Setting:
    """A setting a diagram takes: how many items (split by '|') and their defaults."""

    least: int
    most: int
    default: tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    """A named diagram: what it is, its settings, and how to draw it."""

    about: str
    settings: Mapping[str, Setting]
    draw: Callable[[Mapping[str, tuple[str, ...]], bool, float], Picture]


def split_items(value: str) -> tuple[str, ...]:
    """A setting's items: the parts between '|', trimmed."""
    return tuple(part.strip() for part in value.split("|"))


def wrap(text: str, width_mm: float, text_mm: float) -> tuple[str, ...]:
    """Text broken into lines that fit `width_mm`, by an average letter width."""
    per_line = max(4, int(width_mm / (text_mm * 0.55)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def _and(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- the diagrams ---------------------------------------------------------------------


def cycle(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """The hot cross bun: four parts in a circle cut by a cross, the situation around it."""
    parts, (around,) = settings["parts"], settings["around"]
    height = 150.0 if write else 110.0
    r = (height - 3 * t) / 2 - 3
    cx, cy = WIDTH / 2, r + 4
    box = ((cx - r - 14, 0.5), (cx - r - 14, height - 0.5), (cx + r + 14, height - 0.5))
    shapes: list[Shape] = [
        Polygon((*box, (cx + r + 14, 0.5))),  # the situation, all around
        Text(WIDTH / 2, height - t * 1.3, wrap(around, WIDTH, t), bold=True),
        Circle(cx, cy, r, SOFT),
        Line(cx - r, cy, cx + r, cy),
        Line(cx, cy - r, cx, cy + r),
    ]
    spots = [(-1, 1), (1, 1), (-1, -1), (1, -1)]
    for (dx, dy), part in zip(spots, parts, strict=True):
        x = cx + dx * r * 0.45
        # With room to write, the names go near the outer edge of each quarter.
        y = cy + dy * r * ((0.75 if dy > 0 else 0.2) if write else 0.45)
        shapes.append(Text(x, y, wrap(part, r * 0.8, t), bold=True))
    alt = (
        f"A circle cut into four parts: {_and(parts)}. Each part links to all the others. "
        f"Around the circle: {around}."
    )
    if write:
        alt += " There is room to write in each part."
    return Picture(WIDTH, height, tuple(shapes), alt, t)


def thermometer(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """A 0 to 10 thermometer with its bands named beside it (and room to write)."""
    bands = settings["bands"]
    height = 150.0 if write else 120.0
    bottom, top = 22.0, height - 6
    x = 22.0
    step = (top - bottom) / 10
    shapes: list[Shape] = [
        Polygon(((x - 6, bottom), (x - 6, top), (x + 6, top), (x + 6, bottom)), SOFT),
        Circle(x, bottom - 8, 12, INK),
    ]
    for n in range(11):
        y = bottom + n * step
        shapes += [Line(x + 6, y, x + 10, y), Text(x + 12, y - t * 0.35, (str(n),), "start")]
    spans = _spans(bands)
    for (low, high), band in zip(spans, bands, strict=True):
        y_low, y_high = bottom + low * step, bottom + high * step
        left = x + 22
        shapes.append(Line(left, y_low + 1, left, y_high - 1))
        shapes.append(Text(left + 4, y_high - t * 1.1, wrap(band, 46, t), "start", bold=True))
        if write:
            for n in range(1, 4):
                y = y_high - n * (y_high - y_low) / 3.5
                if y > y_low + 2:
                    shapes.append(Line(left + 52, y, WIDTH, y))
    alt = f"A thermometer from 0 at the bottom to 10 at the top, in parts: {_and(bands)}."
    if write:
        alt += " Beside each part are lines to write on."
    return Picture(WIDTH, height, tuple(shapes), alt, t)


def _spans(bands: tuple[str, ...]) -> list[tuple[float, float]]:
    """Where each band sits on 0 to 10: from its own 'N to M' if it says, else evenly."""
    spans: list[tuple[float, float]] = []
    for n, band in enumerate(bands):
        match = re.match(r"\s*(\d+)\s*to\s*(\d+)", band)
        if match and int(match[1]) <= int(match[2]) <= 10:
            spans.append((max(0, int(match[1]) - 0.5), min(10, int(match[2]) + 0.5)))
        else:
            size = 10 / len(bands)
            spans.append((n * size, (n + 1) * size))
    return spans


def circles(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """Circles of support: you in the middle of three rings, like a target."""
    rings, (middle,) = settings["rings"], settings["middle"]
    height = 158.0 if write else 120.0
    r = height / 2 - 1
    cx, cy = WIDTH / 2, height / 2
    shapes: list[Shape] = []
    radii = [r, r * 0.72, r * 0.44]
    fills = ["#FFFFFF", SOFT, "#FFFFFF"]
    for radius, fill in zip(radii, fills, strict=True):
        shapes.append(Circle(cx, cy, radius, fill))
    shapes.append(Circle(cx, cy, r * 0.14, SEA))
    shapes.append(Text(cx, cy - t * 0.35, (middle,), bold=True))
    # Inner ring first: its name sits just inside its own edge, at the top.
    for ring, outer, inner in zip(rings, radii[::-1], [r * 0.14, *radii[::-1][:-1]], strict=False):
        y = cy + (outer + inner) / 2 - t * 0.35
        shapes.append(Text(cx, y, (ring,), bold=True))
    alt = f"Three rings, one inside the other, with {middle} in the middle. "
    alt += f"From the middle out: {_and(rings)}."
    if write:
        alt += " There is room to write names in each ring."
    return Picture(WIDTH, height, tuple(shapes), alt, t)


def iceberg(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """An iceberg: what shows above the water, and more feelings hidden below it."""
    (top,), below = settings["top"], settings["below"]
    height = 130.0
    water = height * 0.72
    cx = WIDTH / 2
    shapes: list[Shape] = [
        Polygon(((0, 0), (0, water), (WIDTH, water), (WIDTH, 0)), SEA),
        Polygon(((cx - 18, water), (cx - 4, height - 4), (cx + 10, height - 10), (cx + 22, water))),
        Polygon(
            (
                (cx - 18, water),
                (cx - 55, water - 40),
                (cx - 30, 6),
                (cx + 40, 4),
                (cx + 60, water - 45),
                (cx + 22, water),
            ),
            "#FFFFFF",
        ),
        Line(0, water, WIDTH, water),
        Text(cx + 30, height - 12, wrap(top, 50, t), "start", bold=True),
    ]
    rows = (len(below) + 1) // 2
    for n, feeling in enumerate(below):
        column, row = n % 2, n // 2
        x = cx - 20 if column == 0 else cx + 20
        y = water - 14 - row * (water - 24) / max(rows, 1)
        shapes.append(Text(x, y, wrap(feeling, 36, t), bold=write))
    alt = f"An iceberg. Above the water you see: {top}. "
    alt += f"Under the water, bigger and hidden: {_and(below)}."
    return Picture(WIDTH, height, tuple(shapes), alt, t)


def drinks(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """Common drinks side by side, each with its size and its units (or a space for them)."""
    items = [_drink(item) for item in settings["drinks"]]
    slot = WIDTH / len(items)
    labels = [wrap(name, slot - 4, t)[:3] for name, _ in items]
    lines = max(len(label) for label in labels) + 1  # the name, then the units
    base = lines * t * 1.25 + 4
    height = base + 62
    shapes: list[Shape] = []
    for n, ((name, units), label) in enumerate(zip(items, labels, strict=True)):
        cx = slot * n + slot / 2
        shapes += _glass(name, cx, base)
        said = "____ units" if write else f"{units} unit{'' if units == '1' else 's'}"
        shapes.append(Text(cx, base - t * 1.4, (*label, said)))
    names = [f"{name}: {units} units" for name, units in items]
    alt = "Drinks side by side. " + (
        "Under each is a space to write its units: " + _and(tuple(n for n, _ in items))
        if write
        else _and(tuple(names))
    )
    return Picture(WIDTH, height, tuple(shapes), alt + ".", t)


def _drink(item: str) -> tuple[str, str]:
    name, _, units = item.rpartition(":")
    return (name.strip(), units.strip()) if name else (item.strip(), "")


def _cup(cx: float, top: float, bottom: float, top_w: float, bottom_w: float) -> Polygon:
    """A glass seen from the side: wider (or narrower) at the top than at the bottom."""
    return Polygon(
        (
            (cx - top_w / 2, top),
            (cx + top_w / 2, top),
            (cx + bottom_w / 2, bottom),
            (cx - bottom_w / 2, bottom),
        ),
        SOFT,
    )


def _glass(name: str, cx: float, base: float) -> list[Shape]:
    """A simple outline for the kind of drink its name says."""
    lower = name.lower()
    if "wine" in lower:
        stem = [Line(cx, base + 36, cx, base + 6), Line(cx - 9, base + 4, cx + 9, base + 4)]
        return [_cup(cx, base + 58, base + 36, 22, 16), *stem]
    if "can" in lower.split():
        return [_cup(cx, base + 42, base + 4, 18, 18), Line(cx - 9, base + 38, cx + 9, base + 38)]
    if "bottle" not in lower and ("shot" in lower or "spirit" in lower):
        return [_cup(cx, base + 22, base + 4, 12, 10)]
    if "bottle" in lower:
        neck = (
            (cx - 4, base + 60),
            (cx + 4, base + 60),
            (cx + 4, base + 46),
            (cx + 10, base + 38),
            (cx + 10, base + 4),
            (cx - 10, base + 4),
            (cx - 10, base + 38),
            (cx - 4, base + 46),
        )
        return [Polygon(neck, SOFT)]
    return [_cup(cx, base + 52, base + 4, 24, 18)]  # a pint glass


def wave(settings: Mapping[str, tuple[str, ...]], write: bool, t: float) -> Picture:
    """The urge wave: it builds, peaks and passes, over minutes."""
    start, peak, end = settings["labels"]
    height = 95.0
    floor = 3 * t
    points = tuple(
        (
            8 + (WIDTH - 16) * n / 60,
            floor + 4 + (height - floor - 4 * t - 8) * math.exp(-(((n - 24) / 11) ** 2)),
        )
        for n in range(61)
    )
    shapes: list[Shape] = [
        Polygon(points, closed=False),
        Line(8, floor, WIDTH - 4, floor, arrows=False),
        Text(WIDTH / 2, floor - t * 1.3, ("Time (minutes)",)),
        Text(points[6][0], points[6][1] + t, wrap(start, 40, t), "start", bold=True),
        Text(points[24][0], height - t, wrap(peak, 50, t), bold=True),
        Text(points[50][0], points[50][1] + t * 1.2, wrap(end, 40, t), bold=True),
    ]
    alt = f"A wave over time. {start}, rises to a peak ({peak}), then falls away: {end}."
    return Picture(WIDTH, height, tuple(shapes), alt, t)


DIAGRAMS: dict[str, Kind] = {
    "cycle": Kind(
        "thoughts, feelings, body and actions, linked in a circle",
        {
            "parts": Setting(4, 4, ("Thoughts", "Feelings", "Body", "Actions")),
            "around": Setting(1, 1, ("Situation: what happened",)),
        },
        cycle,
    ),
    "thermometer": Kind(
        "a 0 to 10 thermometer in named parts",
        {"bands": Setting(2, 5, ("0 to 3: calm", "4 to 6: wound up", "7 to 10: very angry"))},
        thermometer,
    ),
    "circles": Kind(
        "circles of support: three rings around you",
        {
            "rings": Setting(3, 3, ("Close circle", "Friends circle", "Services circle")),
            "middle": Setting(1, 1, ("Me",)),
        },
        circles,
    ),
    "iceberg": Kind(
        "what shows above the water, and what is hidden below",
        {
            "top": Setting(1, 1, ("Anger",)),
            "below": Setting(2, 6, ("Hurt", "Fear", "Shame", "Stress")),
        },
        iceberg,
    ),
    "drinks": Kind(
        "drinks side by side with their units",
        {
            "drinks": Setting(
                2,
                5,
                (
                    "Pint of 4% lager: 2.3",
                    "Large glass of 12% wine: 3",
                    "Single shot of 40% spirits: 1",
                    "Can of 9% cider: 4.5",
                ),
            )
        },
        drinks,
    ),
    "wave": Kind(
        "the urge wave: it builds, peaks and passes",
        {"labels": Setting(3, 3, ("The urge starts", "It peaks", "It passes"))},
        wave,
    ),
}


def draw(
    name: str, settings: Mapping[str, tuple[str, ...]], write: bool, text_mm: float
) -> Picture:
    """The named diagram with these settings (defaults for any not given)."""
    kind = DIAGRAMS[name]
    full = {key: settings.get(key, spec.default) for key, spec in kind.settings.items()}
    return kind.draw(full, write, text_mm)
