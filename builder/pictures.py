"""Simple, recognisable pictures drawn as vector graphics: theme icons and activity pictograms."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Ellipse,
    Group,
    Line,
    Polygon,
    PolyLine,
    Rect,
)
from reportlab.lib.colors import Color, HexColor, white

INK = HexColor("#1F3A5F")  # dark blue: 10:1 on white, prints well in greyscale
Shape = Circle | Ellipse | Line | PolyLine | Polygon | Rect | Group


def _drawing(size: float, shapes: list[Shape]) -> Drawing:
    """Shapes drawn on a 100 x 100 grid, scaled to `size` points."""
    group = Group(*shapes)
    group.scale(size / 100, size / 100)
    drawing = Drawing(size, size)
    drawing.add(group)
    return drawing


_S = TypeVar("_S", Circle, Ellipse, Line, PolyLine, Polygon, Rect)


def _stroke(shape: _S, width: float = 6, fill: Color | None = None) -> _S:
    shape.strokeColor = INK
    shape.strokeWidth = width
    if not isinstance(shape, Line | PolyLine):
        shape.fillColor = fill
    if isinstance(shape, Line | PolyLine | Polygon):
        shape.strokeLineJoin = 1
        shape.strokeLineCap = 1
    return shape


def sun() -> list[Shape]:
    rays: list[Shape] = []
    for n in range(8):
        a = n * math.pi / 4
        rays.append(
            _stroke(
                Line(
                    50 + 30 * math.cos(a),
                    50 + 30 * math.sin(a),
                    50 + 44 * math.cos(a),
                    50 + 44 * math.sin(a),
                )
            )
        )
    return [_stroke(Circle(50, 50, 20), fill=INK), *rays]


def thought() -> list[Shape]:
    return [
        _stroke(Ellipse(56, 62, 36, 24), fill=white),
        _stroke(Circle(28, 30, 8), fill=white),
        _stroke(Circle(14, 14, 5), fill=white),
    ]


def people() -> list[Shape]:
    return [
        _stroke(Circle(34, 68, 13), fill=INK),
        _stroke(Polygon([10, 10, 58, 10, 52, 46, 16, 46]), fill=INK),
        _stroke(Circle(68, 62, 11), fill=white),
        _stroke(Polygon([46, 10, 92, 10, 86, 40, 52, 40]), fill=white),
    ]


def briefcase() -> list[Shape]:
    return [
        _stroke(Rect(10, 14, 80, 54, rx=6, ry=6), fill=white),
        _stroke(Rect(36, 68, 28, 14, rx=4, ry=4)),
        _stroke(Line(10, 44, 90, 44)),
        _stroke(Rect(44, 38, 12, 12), fill=INK),
    ]


def signpost() -> list[Shape]:
    return [
        _stroke(Line(50, 6, 50, 94)),
        _stroke(Polygon([50, 82, 84, 82, 94, 72, 84, 62, 50, 62]), fill=white),
        _stroke(Polygon([50, 52, 16, 52, 6, 42, 16, 32, 50, 32]), fill=white),
    ]


def toolbox() -> list[Shape]:
    return [
        _stroke(Rect(8, 12, 84, 50, rx=4, ry=4), fill=white),
        _stroke(PolyLine([34, 62, 38, 78, 62, 78, 66, 62])),
        _stroke(Line(8, 40, 92, 40)),
        _stroke(Rect(42, 34, 16, 12), fill=INK),
    ]


def pencil() -> list[Shape]:
    body = Group(
        _stroke(Rect(-8, 0, 16, 62), fill=white),
        _stroke(Polygon([-8, 0, 8, 0, 0, -18]), fill=INK),
        _stroke(Rect(-8, 62, 16, 10), fill=INK),
    )
    body.translate(58, 22)
    body.rotate(-35)
    return [body, _stroke(Line(8, 8, 60, 8), width=4)]


def tick_box() -> list[Shape]:
    return [
        _stroke(Rect(12, 12, 76, 76), fill=white),
        _stroke(PolyLine([26, 50, 44, 30, 76, 72]), width=9),
    ]


def scale_line() -> list[Shape]:
    dots = [_stroke(Circle(14 + n * 24, 50, 9), fill=INK if n == 2 else white) for n in range(4)]
    return [_stroke(Line(8, 50, 92, 50), width=4), *dots]


def numbered_list() -> list[Shape]:
    shapes: list[Shape] = []
    for y in (78, 50, 22):
        shapes.append(_stroke(Circle(16, y, 7), fill=INK))
        shapes.append(_stroke(Line(34, y, 90, y)))
    return shapes


def grid() -> list[Shape]:
    shapes: list[Shape] = [_stroke(Rect(8, 14, 84, 72), fill=white)]
    shapes += [_stroke(Line(8 + 28 * n, 14, 8 + 28 * n, 86), width=4) for n in (1, 2)]
    shapes += [_stroke(Line(8, 14 + 24 * n, 92, 14 + 24 * n), width=4) for n in (1, 2)]
    return shapes


def light_bulb() -> list[Shape]:
    return [
        _stroke(Circle(50, 60, 28), fill=white),
        _stroke(Rect(38, 12, 24, 18, rx=3, ry=3), fill=INK),
        _stroke(Line(42, 40, 50, 52)),
        _stroke(Line(58, 40, 50, 52)),
    ]


THEME_ICONS: dict[str, Callable[[], list[Shape]]] = {
    "sun": sun,
    "thought": thought,
    "people": people,
    "briefcase": briefcase,
    "signpost": signpost,
    "toolbox": toolbox,
}
ACTIVITY_PICTOGRAMS: dict[str, Callable[[], list[Shape]]] = {
    "write": pencil,
    "choose": tick_box,
    "scale": scale_line,
    "list": numbered_list,
    "plan": grid,
    "reflect": light_bulb,
}


def theme_icon(name: str, size: float) -> Drawing:
    """The theme's icon at `size` points."""
    return _drawing(size, THEME_ICONS[name]())


def pictogram(kind: str, size: float) -> Drawing:
    """The activity type's pictogram at `size` points."""
    return _drawing(size, ACTIVITY_PICTOGRAMS[kind]())
