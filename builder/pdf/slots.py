"""What a laid-out workbook leaves for each client, and the markers that record it.

A `SlotSpace` keeps room for a client's detail (a QR code, a typed code, whose workbook
it is) and a `Section` or `Mark` notes which pages belong to what; each records where it
landed on the canvas that lays the workbook out (a `Recording`), so the stamp can fill
the slots in for each client later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.platypus import Flowable

from builder.pdf.styles import RULE

START = "Start"

DIAGRAM_MARK, END_MARK = "diagram", "end"  # marks: a module's first diagram, its last page
# What a slot holds; `key` names the module for QR, CODE and PAGE.
QR, CODE, WHOSE, CONTACT, PAGE = "qr", "code", "whose", "contact", "page"


@dataclass(frozen=True)
class Slot:
    """A space left in the layout for one client's details: page (from 0), box in points."""

    kind: str
    key: str
    page: int
    x: float
    y: float
    width: float
    height: float
    number: int = 0  # PAGE: the page's number within its module, and the module's page count
    total: int = 0


class Recording:
    """What the laying-out canvas keeps: the section now, pages held, slots and marks."""

    cpo_section: str
    held: list[dict[str, Any]]
    slots: list[Slot]
    marks: dict[str, int]


class Section(Flowable):
    """An invisible marker: the pages from here on belong to `key`; adds a bookmark."""

    def __init__(self, key: str, title: str, level: int | None) -> None:
        super().__init__()
        self.key, self.title, self.level = key, title, level

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if isinstance(self.canv, Recording):
            self.canv.cpo_section = self.key
        if self.level is None:  # a page left blank: no bookmark, no outline entry
            return
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)


class Mark(Flowable):
    """An invisible marker: records the page it lands on under `key` (for page pictures)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if isinstance(self.canv, Recording):
            self.canv.marks.setdefault(self.key, len(self.canv.held) + 1)


class SlotSpace(Flowable):
    """Space kept for a client's detail; records where on which page it was drawn.

    With `ruled`, it draws a writing line under each of its lines, so a specimen or
    a workbook without the detail leaves room to write it by hand.
    """

    def __init__(
        self, kind: str, key: str, height: float, width: float = 0, ruled: int = 0
    ) -> None:
        super().__init__()
        self.kind, self.key, self.fixed_width, self.ruled = kind, key, width, ruled
        self.height = height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = self.fixed_width or avail_width
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        if self.ruled:
            canvas.saveState()
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(1)
            step = self.height / self.ruled
            for line in range(self.ruled):
                y = self.height - (line + 1) * step + 2
                canvas.line(0, y, self.width, y)
            canvas.restoreState()
        if isinstance(canvas, Recording):
            x, y = canvas.absolutePosition(0, 0)
            page = len(canvas.held)
            canvas.slots.append(Slot(self.kind, self.key, page, x, y, self.width, self.height))
