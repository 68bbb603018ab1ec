"""Lay out a workbook's shared body once: everything but what differs from client to client.

The layout leaves *slots* (the QR codes, the typed codes, whose workbook it is) and records
where each one landed; `builder.pdf.stamp` fills them in for each client. Laying out is
the slow part, so one layout serves a whole batch of clients.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from builder.course import Course, Module
from builder.pdf.rules import BLANK
from builder.pdf.rules import MARGINS as MARGINS  # re-exported: the stamp uses it
from builder.pdf.slots import PAGE, START, Recording, Slot
from builder.pdf.story import Story
from builder.pdf.styles import INK, Styles, make_styles
from builder.profiles import PRINTABLE_INSET_MM, PrintProfile

if TYPE_CHECKING:
    from builder.pdf.pagination import Page
    from builder.pdf.recorded import PageNotes

PAGE_WIDTH, PAGE_HEIGHT = A4
# Every module page carries a small code in its bottom-right corner saying whose module
# and which page it is, so intake can sort a shuffled envelope. 20 mm with its quiet
# zone is about 0.5 mm a module: 6 pixels in a 300-dpi scan, 4 at 200 dpi.
PAGE_QR_SIZE = 20 * mm
PAGE_QR_BOTTOM = 6 * mm
# The same code again in the bottom-left corner, inside the left margin (clear of the
# footer's text and of the unprinted edge): a pen stroke or a staple across one code
# leaves the other whole, 15 cm away (issue 13).
PAGE_QR_LEFTS = (PAGE_WIDTH - MARGINS["right"] - PAGE_QR_SIZE, MARGINS["left"] - PAGE_QR_SIZE)
WATERMARK = "SPECIMEN"


@dataclass(frozen=True)
class Layout:
    """A laid-out workbook body, shared by every client who gets the same modules."""

    pdf: bytes
    styles: Styles
    specimen: bool
    pages: int
    slots: tuple[Slot, ...]
    # section (START, theme code, module id) -> first page, from 1; and where a module's
    # first diagram and its last page landed ("TF1/diagram", "TF1/end"), for page pictures.
    first_pages: dict[str, int]
    # Each page as the pagination checker reads it, noted while laying out (`record`).
    recorded: tuple[Page, ...] = ()


def lay_out(
    course: Course,
    modules: tuple[Module, ...],
    profile: PrintProfile,
    specimen: bool,
    record: bool = False,
) -> Layout:
    """Lay out the workbook for these modules, leaving slots for the personal details.

    With `record`, also note each page as the pagination checker reads it (`recorded`).
    """
    styles = make_styles(profile)
    story = Story(course, modules, styles, specimen).build()
    buffer = io.BytesIO()
    ids = ", ".join(m.id for m in modules)
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
        title=f"{course.title}: {profile.label.lower()} workbook",
        subject=f"{'Specimen workbook' if specimen else 'Workbook'}: modules {ids}",
        author=course.title,
        creator="cpo-offline",
        lang=course.language,
        invariant=1,
        initialFontName=styles.regular,  # so no unembedded Helvetica is ever referenced
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=_Background(styles, specimen))]
    )
    made: list[_WorkbookCanvas] = []

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        made.append(
            _WorkbookCanvas(
                *args,
                styles=styles,
                specimen=specimen,
                modules=frozenset(m.id for m in modules),
                record=record,
                **kwargs,
            )
        )
        return made[-1]

    # Plain Flate streams, not ASCII85 on top: a quarter smaller, and qpdf can copy
    # them as they are when each client's details are stamped on.
    use_a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(story, canvasmaker=canvasmaker)
    finally:
        rl_config.useA85 = use_a85
    canvas = made[-1]  # platypus makes one canvas a build
    return Layout(
        pdf=buffer.getvalue(),
        styles=styles,
        specimen=specimen,
        pages=canvas.page_count,
        slots=tuple(canvas.slots),
        first_pages={**canvas.first_pages, **canvas.marks},
        recorded=tuple(canvas.recorded),
    )


def footer_width() -> float:
    """How wide the footer's lines may be: the text column, less the page code beside them."""
    return PAGE_WIDTH - MARGINS["left"] - MARGINS["right"] - PAGE_QR_SIZE - 4 * mm


def footer_baselines(styles: Styles) -> tuple[float, float]:
    """Where the footer's two lines sit: the page line, then whose workbook it is."""
    size = styles.profile.footer_size
    first = MARGINS["bottom"] - size * 1.9
    return first, first - size * 1.3


class _Background:
    """Paints the page colour and, on a specimen, the watermark, under the page's content."""

    def __init__(self, styles: Styles, specimen: bool) -> None:
        self.styles, self.specimen = styles, specimen

    def __call__(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        if self.styles.profile.print_fill:  # inside what an office printer can reach
            inset = PRINTABLE_INSET_MM * mm
            canvas.setFillColor(self.styles.page_colour)
            canvas.rect(
                inset, inset, PAGE_WIDTH - 2 * inset, PAGE_HEIGHT - 2 * inset, stroke=0, fill=1
            )
        if self.specimen:
            canvas.setFillColor(HexColor("#D9D9D9"))
            canvas.setFont(self.styles.bold, 96)
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -30, WATERMARK)
        canvas.restoreState()


class _WorkbookCanvas(Recording, Canvas):
    """A canvas that holds pages back until the end, so footers can say "page x of y"."""

    def __init__(
        self,
        *args: Any,
        styles: Styles,
        specimen: bool,
        modules: frozenset[str],
        record: bool = False,
        **kwargs: Any,
    ) -> None:
        self.notes: PageNotes | None = None
        if record:
            from builder.pdf.recorded import PageNotes

            self.notes = PageNotes()
        self.recorded: list[Page] = []
        super().__init__(*args, **kwargs)
        self.styles, self.specimen, self.modules = styles, specimen, modules
        self.cpo_section = START
        self.held: list[dict[str, Any]] = []
        self.slots: list[Slot] = []
        self.first_pages: dict[str, int] = {}  # section -> its first page, filled in on save
        self.marks: dict[str, int] = {}  # "TF1/diagram", "TF1/end" -> the page they landed on
        self.page_count = 0

    def showPage(self) -> None:
        self.held.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]
        if self.notes is not None:
            self.notes = type(self.notes)()

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
        """A text object; one that notes what it sets, when the layout is recorded."""
        if self.notes is None:
            return super().beginText(x, y, direction)
        from builder.pdf.recorded import RecordedText

        return RecordedText(self, x, y, direction)

    def drawText(self, aTextObject: Any) -> None:
        super().drawText(aTextObject)
        if self.notes is not None:
            self.notes.add(aTextObject, self._currentMatrix)  # type: ignore[attr-defined]

    def _note_page(self, number: int) -> None:
        """Keep the finished page as the checker reads it, when the layout is recorded."""
        if self.notes is not None:
            from builder.pdf.recorded import recorded_page

            self.recorded.append(recorded_page(number, self.notes, self._code, PAGE_WIDTH))  # type: ignore[attr-defined]

    def save(self) -> None:
        totals = Counter(page["cpo_section"] for page in self.held)
        seen: Counter[str] = Counter()
        for number, page in enumerate(self.held, start=1):
            self.first_pages.setdefault(page["cpo_section"], number)
            self.__dict__.update(page)
            if self.cpo_section == BLANK:  # no module, no page code; a specimen still says so
                if self.specimen:
                    self._footer_line(WATERMARK)
                self._note_page(number)
                Canvas.showPage(self)
                continue
            seen[self.cpo_section] += 1
            self._footer(seen[self.cpo_section], totals[self.cpo_section])
            if self.cpo_section in self.modules:
                self.slots.extend(
                    Slot(
                        PAGE,
                        self.cpo_section,
                        number - 1,
                        left,
                        PAGE_QR_BOTTOM,
                        PAGE_QR_SIZE,
                        PAGE_QR_SIZE,
                        seen[self.cpo_section],
                        totals[self.cpo_section],
                    )
                    for left in PAGE_QR_LEFTS
                )
            self._note_page(number)
            Canvas.showPage(self)
        self.page_count = len(self.held)
        Canvas.save(self)

    def _footer(self, page: int, total: int) -> None:
        """Module id and page x of y within the module; the stamp adds whose it is."""
        line = f"{self.cpo_section}   \u00b7   Page {page} of {total}"
        if self.specimen:
            line += f"   \u00b7   {WATERMARK}"
        self._footer_line(line)

    def _footer_line(self, line: str) -> None:
        """The footer's first line, in the footer's place and type."""
        self.saveState()
        self.setFillColor(INK)
        self.setFont(self.styles.bold, self.styles.profile.footer_size)
        self.drawString(MARGINS["left"], footer_baselines(self.styles)[0], line)
        self.restoreState()
