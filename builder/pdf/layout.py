"""Lay out a workbook's shared body once: everything but what differs from client to client.

The layout leaves *slots* (the QR codes, the typed codes, whose workbook it is) and records
where each one landed; `builder.pdf.stamp` fills them in for each client. Laying out is
the slow part, so one layout serves a whole batch of clients.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from builder.course import (
    DECLARATION_STATEMENT,
    DECLARATION_TIME,
    Activity,
    Course,
    Diagram,
    Example,
    HelpPanel,
    Module,
    Prose,
    Theme,
)
from builder.pdf.activities import TickBox, activity_flowables
from builder.pdf.diagrams import diagram_flowables
from builder.pdf.front import edition_advice, pictures_page
from builder.pdf.markdown import MarkdownFlowables
from builder.pdf.rules import (
    BLANK,
    KeepWhole,
    NewPage,
    RectoBreak,
    blank_page,
    keep_numbers_whole,
)
from builder.pdf.rules import MARGINS as MARGINS  # re-exported: the stamp uses it
from builder.pdf.styles import INK, MARKER_SHADE, RULE, SHADE, Styles, make_styles
from builder.pictures import theme_icon
from builder.profiles import PRINTABLE_INSET_MM, PrintProfile

PAGE_WIDTH, PAGE_HEIGHT = A4
QR_SIZE = 34 * mm
# Every module page carries a small code in its bottom-right corner saying whose module
# and which page it is, so intake can sort a shuffled envelope. 20 mm with its quiet
# zone is about 0.5 mm a module: 6 pixels in a 300-dpi scan, 4 at 200 dpi.
PAGE_QR_SIZE = 20 * mm
PAGE_QR_BOTTOM = 6 * mm
# The same code again in the bottom-left corner, inside the left margin (clear of the
# footer's text and of the unprinted edge): a pen stroke or a staple across one code
# leaves the other whole, 15 cm away (issue 13).
PAGE_QR_LEFTS = (PAGE_WIDTH - MARGINS["right"] - PAGE_QR_SIZE, MARGINS["left"] - PAGE_QR_SIZE)
START = "Start"
WATERMARK = "SPECIMEN"

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


def lay_out(
    course: Course, modules: tuple[Module, ...], profile: PrintProfile, specimen: bool
) -> Layout:
    """Lay out the workbook for these modules, leaving slots for the personal details."""
    styles = make_styles(profile)
    story = _Story(course, modules, styles, specimen).build()
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
    )


def footer_width() -> float:
    """How wide the footer's lines may be: the text column, less the page code beside them."""
    return PAGE_WIDTH - MARGINS["left"] - MARGINS["right"] - PAGE_QR_SIZE - 4 * mm


def footer_baselines(styles: Styles) -> tuple[float, float]:
    """Where the footer's two lines sit: the page line, then whose workbook it is."""
    size = styles.profile.footer_size
    first = MARGINS["bottom"] - size * 1.9
    return first, first - size * 1.3


class _Section(Flowable):
    """An invisible marker: the pages from here on belong to `key`; adds a bookmark."""

    def __init__(self, key: str, title: str, level: int | None) -> None:
        super().__init__()
        self.key, self.title, self.level = key, title, level

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if isinstance(self.canv, _WorkbookCanvas):
            self.canv.cpo_section = self.key
        if self.level is None:  # a page left blank: no bookmark, no outline entry
            return
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)


class _Mark(Flowable):
    """An invisible marker: records the page it lands on under `key` (for page pictures)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if isinstance(self.canv, _WorkbookCanvas):
            self.canv.marks.setdefault(self.key, len(self.canv.held) + 1)


class _Slot(Flowable):
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
        if isinstance(canvas, _WorkbookCanvas):
            x, y = canvas.absolutePosition(0, 0)
            page = len(canvas.held)
            canvas.slots.append(Slot(self.kind, self.key, page, x, y, self.width, self.height))


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


class _WorkbookCanvas(Canvas):
    """A canvas that holds pages back until the end, so footers can say "page x of y"."""

    def __init__(
        self,
        *args: Any,
        styles: Styles,
        specimen: bool,
        modules: frozenset[str],
        **kwargs: Any,
    ) -> None:
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

    def save(self) -> None:
        totals = Counter(page["cpo_section"] for page in self.held)
        seen: Counter[str] = Counter()
        for number, page in enumerate(self.held, start=1):
            self.first_pages.setdefault(page["cpo_section"], number)
            self.__dict__.update(page)
            if self.cpo_section == BLANK:  # no module, no page code; a specimen still says so
                if self.specimen:
                    self._footer_line(WATERMARK)
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


class _Story:
    """Builds the list of flowables for one workbook body."""

    def __init__(
        self, course: Course, modules: tuple[Module, ...], styles: Styles, specimen: bool
    ) -> None:
        self.course, self.modules, self.styles, self.specimen = course, modules, styles, specimen
        self.md = MarkdownFlowables(styles)

    def build(self) -> list[Flowable]:
        story: list[Flowable] = [_Section(START, "Start", 0), *self.cover(), PageBreak()]
        story += [*self.how_to(), PageBreak(), *self.contents()]
        for theme in self.course.themes:
            modules = [m for m in theme.modules if m in self.modules]
            if not modules:
                continue
            story += [PageBreak(), *self.theme_opener(theme, modules)]
            for module in modules:
                story += [NewPage(), self.recto(), *self.module(module)]
        return story

    def recto(self) -> RectoBreak:
        """Turn over to a right-hand page, leaving a left-hand one blank if need be."""
        height = PAGE_HEIGHT - MARGINS["top"] - MARGINS["bottom"]
        return RectoBreak(blank_page(_Section(BLANK, "", None), self.styles.body, height))

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(keep_numbers_whole(text), getattr(self.styles, style))

    # -- front pages -------------------------------------------------------------------

    def cover(self) -> list[Flowable]:
        course, s = self.course, self.styles
        icons = [theme_icon(t.icon, 24 * mm) for t in course.themes]
        title = Paragraph(
            escape(course.title), _scaled(s.title, 1.6 if s.profile.body_size < 18 else 1.35)
        )
        out: list[Flowable] = [
            Table([icons], hAlign="LEFT", style=s.table([])),
            Spacer(1, 18 * mm),
            title,
            self.p(escape(course.subtitle)),
            Spacer(1, 14 * mm),
            _field_table(["My name"], s),
        ]
        if not self.specimen:
            out += [Spacer(1, 6 * mm), _Slot(WHOSE, "", 2 * s.body.leading)]
        out += [Spacer(1, 10 * mm), self.p(f"{escape(s.profile.label)} edition")]
        return out

    def how_to(self) -> list[Flowable]:
        count = len(self.modules)
        return [
            self.p("How to use this workbook", "title"),
            self.p(
                f"This workbook has {count} part{'' if count == 1 else 's'}."
                " We call each part a <b>module</b>."
            ),
            self.p(
                "Each module takes about <b>2 hours</b>. You do not have to do it all at once. "
                "Short bits of 20 or 30 minutes are fine."
            ),
            self.p(
                "Write your answers in the spaces. Any answer can be a word, a list or a drawing. "
                "You can skip anything that feels too much."
            ),
            self.p("At the end of each module, fill in the short form. Then send the pages back."),
            self.p("How to send pages back", "h2"),
            self.p("Send all the pages of a module together, in the envelope you were given."),
            self.p("Each module has a square code. Please do not write on it or fold it."),
            self.p(
                "The bottom of each page says which module it is from, like "
                "<b>WB1 \u00b7 Page 2 of 9</b>. This helps us put your pages together."
            ),
            self.p("Who to call", "h2"),
            self.p("Your contact's name and phone number:"),
            _Slot(CONTACT, "", 2 * self.styles.line_gap, ruled=2),
            Spacer(1, self.styles.body.spaceAfter),
            self.p(
                "If you feel low or need to talk, call <b>Samaritans</b> free on "
                "<b>116 123</b>, any time, day or night."
            ),
            *edition_advice(self.styles),
            *pictures_page(self.course, self.styles),
        ]

    def contents(self) -> list[Flowable]:
        out: list[Flowable] = [self.p("What is in this workbook", "title")]
        for theme in self.course.themes:
            modules = [m for m in theme.modules if m in self.modules]
            if not modules:
                continue
            out.append(self.p(escape(theme.title), "h2"))
            for m in modules:
                hours = (
                    f"about {m.minutes // 60} hours"
                    if m.minutes % 60 == 0
                    else f"{m.minutes} minutes"
                )
                line = f"<b>{m.id}</b>   {escape(m.title)} ({hours})"
                if self.specimen:  # staff only: a client's workbook never says what it counts as
                    line += f"<br/>Counts as: {escape(m.counts_as_label)}"
                out.append(self.p(line, "bullet"))
        return out

    def theme_opener(self, theme: Theme, modules: list[Module]) -> list[Flowable]:
        out: list[Flowable] = [
            _Section(theme.code, theme.title, 0),
            Spacer(1, 20 * mm),
            theme_icon(theme.icon, 60 * mm),
            Spacer(1, 10 * mm),
            self.p(escape(theme.title), "title"),
            self.p(escape(theme.purpose)),
            self.p("In this theme:", "h3"),
        ]
        out += [self.p(f"<b>{m.id}</b>   {escape(m.title)}", "bullet") for m in modules]
        return out

    # -- a module ----------------------------------------------------------------------

    def module(self, module: Module) -> list[Flowable]:
        theme = self.course.theme_of(module)
        out: list[Flowable] = [
            _Section(module.id, f"{module.id}: {module.title}", 1),
            self.p(f"{escape(theme.title)} \u00b7 Module {module.id}", "h3"),
            self.p(escape(module.title), "title"),
            self.p(f"This module takes {_duration(module.minutes)}."),
            self.code_panel(module, "This code tells us these pages are yours."),
            Spacer(1, 4 * mm),
            self.p("In this module you will:", "h3"),
            *self.md("\n".join(f"- {o}" for o in module.outcomes)),
        ]
        number = 0
        drawn = {b.activity: b for b in module.blocks if isinstance(b, Diagram) and b.activity}
        for block in module.blocks:
            if isinstance(block, Activity):
                number += 1
                diagram = drawn.get(block.id)
                answer: list[Flowable] | None = None
                if diagram:
                    answer = [self.diagram(module, diagram, True)]
                out += activity_flowables(block, number, self.styles, self.md, answer)
            elif isinstance(block, Diagram):
                if not block.activity:  # one for an activity is drawn as its answer space
                    out.append(self.diagram(module, block, False))
            elif isinstance(block, Example):
                out.append(self.panel(f"Example: {escape(block.title)}", block.markdown, SHADE))
            elif isinstance(block, HelpPanel):
                out.append(self.panel("Where to get help", block.markdown, SHADE))
            elif isinstance(block, Prose):
                out += self.md(block.markdown)
        out = self.md.keep_lead_ins(out)  # headings and lead-ins stay with what follows
        out += self.declaration(module)
        return out

    def diagram(self, module: Module, diagram: Diagram, write: bool) -> KeepTogether:
        """A diagram and its caption, marked so that the module's first can be pictured."""
        mark = _Mark(f"{module.id}/{DIAGRAM_MARK}")
        return KeepTogether([mark, *diagram_flowables(diagram, self.styles, write)])

    def code_panel(self, module: Module, why: str) -> Table:
        """The module's QR code with its typed code beside it, both stamped in later."""
        code = self.styles.code
        text = [
            self.p(why),
            _Slot(CODE, module.id, code.leading + code.spaceAfter),
            self.p("If the square will not scan, we type the code instead."),
        ]
        return Table(
            [[_Slot(QR, module.id, QR_SIZE, QR_SIZE), text]],
            colWidths=[QR_SIZE + 6 * mm, None],
            hAlign="LEFT",
            style=self.styles.table(
                [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            ),
        )

    def panel(self, heading: str, markdown: str, shade: Any) -> KeepWhole:
        rows: list[list[Any]] = [[self.p(heading, "h3")], *([f] for f in self.md(markdown))]
        table = Table(
            rows,
            colWidths=["100%"],
            repeatRows=1,  # a box split over two pages has its heading on both
            style=self.styles.table(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), shade),
                    ("BOX", (0, 0), (-1, -1), 1.5, INK),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ]
            ),
            spaceBefore=6,
            spaceAfter=12,
        )
        return KeepWhole(table)

    def declaration(self, module: Module) -> list[Flowable]:
        """The module's last page: the client's form, the code again and the marker's box.

        They are one unit, kept together on a page of their own that ends the module.
        """
        s = self.styles
        statement = Table(
            [[TickBox(s.box), self.p(f"<b>{escape(DECLARATION_STATEMENT)}</b>")]],
            colWidths=[s.box + 5 * mm, None],
            hAlign="LEFT",
            style=s.table([("LEFTPADDING", (0, 0), (-1, -1), 0)]),
        )
        unit = [
            _Mark(f"{module.id}/{END_MARK}"),
            self.p(f"Before you send {module.id} back", "title"),
            self.p("Please fill in this form and tick the box."),
            statement,
            _field_table(
                ["My name", "Signature", "Date", f"{DECLARATION_TIME} (hours and minutes)"], s
            ),
            Spacer(1, 2 * mm),
            self.code_panel(module, "Please keep this code clear."),
            self.marker_box(module),
        ]
        return [NewPage(), KeepTogether(unit)]

    def marker_box(self, module: Module) -> Table:
        """The required activities in a grid, each with a box to tick, and a line to sign."""
        s = self.styles
        # Two rows at most, so the box fits under the declaration on one page in every
        # profile; four across unless a module has more than eight required activities.
        across = max(4, -(-len(module.required_activities) // 2))
        # Activities by number under a heading that names the module: short enough that
        # five fit across even in large print.
        ticks = [
            [TickBox(s.box), self.p(a.id.removeprefix(f"{module.id}-"))]
            for a in module.required_activities
        ]
        cells: list[Any] = [cell for tick in ticks for cell in tick]
        cells += [""] * (-len(cells) % (2 * across))
        grid = [cells[n : n + 2 * across] for n in range(0, len(cells), 2 * across)]
        blank = [""] * (2 * across - 1)
        rows: list[list[Any]] = [
            [self.p(f"For the marker: tick each {module.id} activity tried", "h3"), *blank],
            *grid,
            [self.p("Marker and date:"), *blank],
        ]
        return Table(
            rows,
            colWidths=[s.box + 3 * mm, None] * across,
            style=s.table(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), MARKER_SHADE),
                    ("BOX", (0, 0), (-1, -1), 1.5, INK),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("SPAN", (0, -1), (-1, -1)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, -1), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), s.line_gap * 0.8),
                ]
            ),
            spaceBefore=8,
        )


def _field_table(labels: list[str], styles: Styles) -> Table:
    """Labels with a line to write on, each row tall enough for handwriting."""
    rows = [[Paragraph(escape(label), styles.body), ""] for label in labels]
    return Table(
        rows,
        colWidths=["48%", "50%"],
        hAlign="LEFT",
        style=styles.table(
            [
                ("LINEBELOW", (1, 0), (1, -1), 1, INK),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), styles.line_gap * 0.6),
            ]
        ),
    )


def _scaled(style: ParagraphStyle, factor: float) -> ParagraphStyle:
    return ParagraphStyle(
        f"{style.name}-x{factor}",
        parent=style,
        fontSize=style.fontSize * factor,
        leading=style.fontSize * factor * 1.2,
    )


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return f"about {hours} hours"
    return f"about {hours} hours {rest} minutes" if hours else f"about {rest} minutes"
