"""Record a workbook's pages as they are laid out, for the pagination checker.

The checker (`builder.pdf.pagination`) reads a printed PDF back with PDFium: every
character with its place, a few seconds a course. Laying out already knows where each
line of text is set and what is drawn, so a laying-out canvas can note it as it goes
(`lay_out(..., record=True)`) and the checker reads the same `Page`s from the notes:
text runs as reportlab's text objects set them, and the lowest point of what is drawn
from the page's own drawing operators. Only laying out for a check records: printing
never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.textobject import PDFTextObject

from builder.pdf.pagination import (
    BODY_BOTTOM,
    PAGE_HEIGHT,
    WATERMARK_SIZE,
    Line,
    Page,
    lines_of,
)

Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class Run:
    """Text set in one go: where its baseline starts, its size, its width and its words."""

    x: float
    baseline: float
    size: float
    width: float
    text: str


class RecordedText(PDFTextObject):
    """A text object that notes each run of text it sets, where the PDF's cursor is."""

    def __init__(self, canvas: Any, x: float = 0, y: float = 0, direction: Any = None) -> None:
        self.runs: list[Run] = []
        self._line = [x, y]  # the PDF's text line matrix (start of the line)...
        self._at = [x, y]  # ...and its text position, which each run moves on
        super().__init__(canvas, x, y, direction)

    def setTextOrigin(self, x: float, y: float) -> None:
        super().setTextOrigin(x, y)
        self._line, self._at = [x, y], [x, y]

    def setTextTransform(self, a: float, b: float, c: float, d: float, e: float, f: float) -> None:
        super().setTextTransform(a, b, c, d, e, f)
        self._line, self._at = [e, f], [e, f]

    def moveCursor(self, dx: float, dy: float) -> None:
        super().moveCursor(dx, dy)
        self._line = [self._line[0] + dx, self._line[1] - dy]  # reportlab's dy runs down
        self._at = list(self._line)

    def _textOut(self, text: str, TStar: int = 0) -> None:
        self._note(text)
        PDFTextObject._textOut(self, text, TStar)  # type: ignore[attr-defined]  # not in the stubs
        if TStar:
            self._next_line()

    def textOut(self, text: str) -> None:
        self._note(text)
        super().textOut(text)

    def textLine(self, text: str = "") -> None:
        self._note(text)
        super().textLine(text)
        self._next_line()

    def _next_line(self) -> None:
        """T*: the next line starts one leading below this one's start."""
        self._line = [self._line[0], self._line[1] - float(self.__dict__["_leading"])]
        self._at = list(self._line)

    def _note(self, text: str) -> None:
        if not text:
            return
        size = float(self.__dict__["_fontsize"])
        width = stringWidth(text, self.__dict__["_fontname"], size)
        rise = float(getattr(self, "_rise", 0) or 0)
        self.runs.append(Run(self._at[0], self._at[1] + rise, size, width, str(text)))
        self._at[0] += width


class PageNotes:
    """What one laid-out page holds so far: its text runs, placed on the page."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def add(self, text: RecordedText, matrix: Matrix) -> None:
        """Note a text object's runs as drawn under the canvas's current matrix."""
        a, b, c, d, e, f = matrix
        scale = abs(a * d - b * c) ** 0.5
        for run in text.runs:
            x, y = run.x, run.baseline
            self.runs.append(
                Run(
                    a * x + c * y + e,
                    b * x + d * y + f,
                    run.size * scale,
                    run.width * scale,
                    run.text,
                )
            )


def recorded_page(number: int, notes: PageNotes, code: list[str], width: float) -> Page:
    """A page as the checker reads it, from its notes and its drawing operators."""
    runs = [r for r in notes.runs if r.size < WATERMARK_SIZE]
    lines = lines_of(
        [(r.baseline, r.x, r.x + r.width, r.baseline + r.size * 0.7, r.size, r.text) for r in runs]
    )
    body = tuple(line for line in lines if line.bottom >= BODY_BOTTOM - 2)
    footer = tuple(line for line in lines if line.bottom < BODY_BOTTOM - 2)
    lowest = min((line.bottom for line in body), default=PAGE_HEIGHT)
    for left, bottom, right, top in drawn_boxes(code):
        if right - left > width * 0.9 and top - bottom > PAGE_HEIGHT * 0.9:
            continue  # a page-sized fill (a cream page) is not content
        if bottom >= BODY_BOTTOM and top <= PAGE_HEIGHT:
            lowest = min(lowest, bottom)
    return Page(number, body, footer, lowest)


_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)$")
_PAINT = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}


def drawn_boxes(code: list[str]) -> list[tuple[float, float, float, float]]:
    """The box round each path or image a page's drawing operators paint (text left out)."""
    boxes: list[tuple[float, float, float, float]] = []
    matrix: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    saved: list[tuple[Matrix, float]] = []
    points: list[tuple[float, float]] = []
    operands: list[float] = []
    line_width = 1.0
    for entry in code:
        if entry.startswith(("BT", "BI")):  # text is noted as it is set; no inline images
            continue
        for token in entry.split():
            if _NUMBER.match(token):
                operands.append(float(token))
                continue
            if token == "q":
                saved.append((matrix, line_width))
            elif token == "Q" and saved:
                matrix, line_width = saved.pop()
            elif token == "cm" and len(operands) >= 6:
                matrix = _times(tuple(operands[-6:]), matrix)  # type: ignore[arg-type]
            elif token == "w" and operands:
                line_width = operands[-1]
            elif token in {"m", "l"} and len(operands) >= 2:
                points.append(_apply(matrix, operands[-2], operands[-1]))
            elif token in {"c", "v", "y"}:
                pairs = operands[-(6 if token == "c" else 4) :]
                points += [_apply(matrix, *pairs[i : i + 2]) for i in range(0, len(pairs), 2)]
            elif token == "re" and len(operands) >= 4:
                x, y, w, h = operands[-4:]
                points += [_apply(matrix, x + dx, y + dy) for dx in (0, w) for dy in (0, h)]
            elif token == "Do":
                points = [_apply(matrix, x, y) for x in (0, 1) for y in (0, 1)]
                boxes.append(_box(points, 0))
                points = []
            elif token in _PAINT:
                if points:
                    stroked = token not in {"f", "F", "f*"}
                    scale = abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]) ** 0.5
                    boxes.append(_box(points, line_width * scale / 2 if stroked else 0))
                points = []
            elif token == "n":
                points = []
            operands = []
    return boxes


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _times(first: Matrix, then: Matrix) -> Matrix:
    """`first` then `then`: the PDF's `cm` puts its matrix before the current one."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _box(points: list[tuple[float, float]], pad: float) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def line_texts(lines: tuple[Line, ...]) -> list[str]:
    """Lines' words without spaces: where PDFium hears a space between runs is its own."""
    return [re.sub(r"\s+", "", line.text) for line in lines]
