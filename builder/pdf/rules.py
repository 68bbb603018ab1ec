"""Pagination rules the layout keeps as it flows: modules on right-hand pages, numbers whole.

`builder.pdf.pagination` checks the finished PDF against the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table

# Wide margins survive a staple on the left and a photocopier's grip on every side.
MARGINS = {"left": 25 * mm, "right": 20 * mm, "top": 20 * mm, "bottom": 32 * mm}
FRAME_WIDTH = A4[0] - MARGINS["left"] - MARGINS["right"]
# A block moves whole to the next page only if that leaves less than this share of
# this page empty; otherwise it splits, so that no page carries only a few lines.
MOST_EMPTY = 0.5
FRAME_HEIGHT = A4[1] - MARGINS["top"] - MARGINS["bottom"] - 12  # less the frame's padding
BLANK = "blank"  # the section of a page left blank on purpose: no footer, no page code
BLANK_NOTE = "This page is left blank on purpose."
# A space between two digits is part of a phone number ("0800 83 85 87", "116 123"):
# a no-break space keeps the number on one line.
_NUMBER_SPACE = re.compile(r"(?<=\d) (?=\d)")


def keep_numbers_whole(markup: str) -> str:
    """Paragraph markup with the spaces inside numbers made no-break spaces."""
    return _NUMBER_SPACE.sub("\u00a0", markup)


class _Turn(Flowable):
    """Puts `flowables` into the story here when `applies` says so, once; takes no room."""

    locChanger = 1  # never inside a KeepTogether: it acts on the page it lands on

    def __init__(self, flowables: list[Flowable]) -> None:
        super().__init__()
        self.flowables, self.done = flowables, False

    def applies(self, doc: Any) -> bool:
        raise NotImplementedError

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        doc = getattr(getattr(self, "canv", None), "_doctemplate", None)
        # Platypus may wrap a flowable more than once; the pages must turn only once.
        if not self.done and doc is not None and self.applies(doc):
            self.done = True
            doc.frame.add_generated_content(*self.flowables)
        return 0, 0

    def draw(self) -> None:
        pass


class RectoBreak(_Turn):
    """At the top of a left-hand (even) page, leave it blank on purpose and turn over.

    Put it straight after a page break, before a module: the module then starts on a
    right-hand page, so a sheet printed on both sides never holds two modules.
    """

    def applies(self, doc: Any) -> bool:
        return bool(doc.page % 2 == 0)


class NewPage(_Turn):
    """Turn to a new page, unless nothing has been put on this one yet."""

    def __init__(self) -> None:
        super().__init__([PageBreak()])

    def applies(self, doc: Any) -> bool:
        return not doc.frame._atTop


class Gap(Spacer):
    """Space between blocks that is dropped at the top of a page (it would push a page on)."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        frame = getattr(self, "_frame", None)
        if frame is not None and frame._atTop:
            return avail_width, 0
        return super().wrap(avail_width, avail_height)


def blank_page(section: Flowable, style: ParagraphStyle, height: float) -> list[Flowable]:
    """What a page left blank on purpose holds: its section marker and a short note."""
    note = ParagraphStyle("blank-note", parent=style, alignment=TA_CENTER)
    return [section, Spacer(1, height / 2), Paragraph(BLANK_NOTE, note), NewPage()]


class KeepStart(Flowable):
    """A heading and its task kept with the first part of their answer space.

    If the heading, the task and `first(answer, its height)` points of the answer do not fit in
    what is left of the page, they all move to the next page; once started, the answer
    may flow on (a long table splits between rows, its header repeated). Unlike
    reportlab's KeepTogether it never leaves a page empty when the group is taller than
    a page.
    """

    def __init__(
        self, head: list[Flowable], answer: Flowable, first: Callable[[Flowable, float], float]
    ) -> None:
        super().__init__()
        self.head, self.answer, self.first = head, answer, first

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # Always too tall, so that the frame asks to split it: into its parts, or to
        # the next page. Its parts are then laid out one by one as usual.
        return avail_width, avail_height + 1

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        parts = [*self.head, self.answer]
        heights = [_height(f, self.canv, avail_width, avail_height) for f in parts]
        spaces = sum(f.getSpaceBefore() + f.getSpaceAfter() for f in parts)
        first = self.first(self.answer, heights[-1])
        need = sum(heights[:-1]) + first + spaces
        frame = getattr(self, "_frame", None)
        # An answer that cannot split (a diagram) never leaves its task behind.
        whole = first >= heights[-1] and not isinstance(self.answer, Table)
        at_top = bool(getattr(frame, "_atTop", False))
        if need > avail_height and not (at_top if whole else _mostly_empty(frame, avail_height)):
            return []  # to the next page, all together
        return parts

    def draw(self) -> None:  # pragma: no cover - it is always split into its parts
        raise AssertionError("KeepStart is laid out by its parts")


def _height(flowable: Flowable, canvas: Any, avail_width: float, avail_height: float) -> float:
    """How tall a flowable is set (a KeepTogether says 'too tall' to make itself split)."""
    height = flowable.wrapOn(canvas, avail_width, avail_height)[1]
    return float(getattr(flowable, "_H", height)) if isinstance(flowable, KeepTogether) else height


def _mostly_empty(frame: Any, avail_height: float) -> bool:
    """Whether moving on now would leave most of the page empty (or nothing is on it yet)."""
    return bool(getattr(frame, "_atTop", False)) or avail_height > FRAME_HEIGHT * MOST_EMPTY


class KeepWhole(Flowable):
    """A box kept whole on one page when it fits there, split between its rows when not.

    It moves whole to the next page unless that would leave most of this page empty.
    """

    def __init__(self, flowable: Flowable) -> None:
        super().__init__()
        self.flowable = flowable

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        width, height = self.flowable.wrapOn(self.canv, avail_width, avail_height)
        self.width, self.height = width, height
        return width, height

    def getSpaceBefore(self) -> float:
        return float(self.flowable.getSpaceBefore())

    def getSpaceAfter(self) -> float:
        return float(self.flowable.getSpaceAfter())

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        if not _mostly_empty(getattr(self, "_frame", None), avail_height):
            return []  # to the next page, whole
        return list(self.flowable.splitOn(self.canv, avail_width, avail_height))

    def draw(self) -> None:
        self.flowable.drawOn(self.canv, 0, 0)
