"""A scale's two end labels are never printed over each other, in any print profile.

Found by reading a dyslexia workbook back: the wide font ran "I lose my cool fast" into
"I stay calm" (TF3) and "Does not matter" into "Matters a lot" (SW7).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from builder.course import ScaleActivity
from builder.pdf.activities import LABEL_GAP, ScaleRow
from builder.pdf.rules import FRAME_WIDTH
from builder.pdf.styles import Styles, make_styles
from builder.profiles import PROFILES
from tests.conftest import shipped_course

Placed = tuple[float, float, float, str]  # left edge, right edge, baseline, text


class Drawn:
    """A canvas that notes each string drawn: its left and right edge, baseline and text."""

    def __init__(self) -> None:
        self.strings: list[Placed] = []
        self.font = ("Helvetica", 12.0)

    def setFont(self, name: str, size: float) -> None:
        self.font = (name, size)

    def drawString(self, x: float, y: float, text: str) -> None:
        self.strings.append((x, x + self._width(text), y, text))

    def drawRightString(self, x: float, y: float, text: str) -> None:
        self.strings.append((x - self._width(text), x, y, text))

    def drawCentredString(self, x: float, y: float, text: str) -> None:
        half = self._width(text) / 2
        self.strings.append((x - half, x + half, y, text))

    def _width(self, text: str) -> float:
        return float(stringWidth(text, *self.font))

    def __getattr__(self, name: str) -> Any:  # lines, circles, colours: not text
        return lambda *args, **kwargs: None


def labels(
    scale: ScaleActivity, styles: Styles
) -> tuple[list[tuple[float, float, float, str]], float]:
    """Where the scale's end labels are drawn at the frame's width, and the row's height."""
    row = ScaleRow(scale, styles)
    _, height = row.wrap(FRAME_WIDTH, 1000)
    row.canv = Drawn()  # type: ignore[assignment]
    row.draw()
    ends = {scale.low_label, scale.high_label}
    return [s for s in row.canv.strings if s[3] in ends], height  # type: ignore[attr-defined]


def apart(scale: ScaleActivity, styles: Styles) -> bool:
    """Both labels inside the frame, and a clear space between them where they share a line."""
    (low_left, low_right, low_y, _), (high_left, high_right, high_y, _) = labels(scale, styles)[0]
    inside = low_left >= 0 and high_right <= FRAME_WIDTH + 0.01
    gap = styles.body.fontSize * LABEL_GAP - 0.01
    return inside and (low_y != high_y or low_right + gap <= high_left)


SCALES = [a for m in shipped_course().modules for a in m.activities if isinstance(a, ScaleActivity)]


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_scale_s_end_labels_stand_apart(profile: str) -> None:
    styles = make_styles(PROFILES[profile])
    crowded = [a.id for a in SCALES if not apart(a, styles)]
    assert crowded == []


def test_labels_too_long_for_one_line_go_on_a_line_each() -> None:
    styles = make_styles(PROFILES["dyslexia"])
    usual = next(a for a in SCALES if a.id == "TF3-4")
    long = replace(usual, low_label="I lose my cool very fast " * 2, high_label="I stay calm " * 3)
    (low, high), height = labels(long, styles)
    _, usual_height = labels(usual, styles)
    assert low[2] > high[2]  # the low label above the high one
    assert height == usual_height + styles.body.leading  # the row is a line taller for it
    assert apart(long, styles)
