"""Assemble a workbook PDF: cover, how-to, contents, theme openers, modules, footers."""

from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
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
    Example,
    HelpPanel,
    Module,
    Prose,
    Theme,
)
from builder.editions import (
    CheckIn,
    Edition,
    Personal,
    personal_edition,
    pick_modules,
    specimen_edition,
)
from builder.errors import BuildError
from builder.pdf.activities import TickBox, activity_flowables
from builder.pdf.markdown import MarkdownFlowables
from builder.pdf.styles import INK, MARKER_SHADE, SHADE, Styles, make_styles
from builder.pictures import theme_icon
from builder.profiles import get_profile

PAGE_WIDTH, PAGE_HEIGHT = A4
# Wide margins survive a staple on the left and a photocopier's grip on every side.
MARGINS = {"left": 25 * mm, "right": 20 * mm, "top": 20 * mm, "bottom": 32 * mm}
QR_SIZE = 34 * mm
START = "Start"
WATERMARK = "SPECIMEN"


def render_pdf(edition: Edition) -> bytes:
    """The workbook as PDF bytes; the same edition always gives the same bytes."""
    return render_pdf_pages(edition)[0]


def render_pdf_pages(edition: Edition) -> tuple[bytes, dict[str, int]]:
    """The workbook as PDF bytes, and the first page of each module and theme."""
    styles = make_styles(edition.profile)
    story = _Story(edition, styles).build()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
        title=f"{edition.course.title}: {edition.profile.label.lower()} workbook",
        subject=_subject(edition),
        author=edition.course.title,
        creator="cpo-offline",
        lang=edition.course.language,
        invariant=1,
        initialFontName=styles.regular,  # so no unembedded Helvetica is ever referenced
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=_Background(edition, styles))]
    )
    canvas = _canvas_maker(edition, styles)
    doc.build(story, canvasmaker=canvas)
    return buffer.getvalue(), canvas.first_pages


def render_specimen(
    course: Course, profile: str, module_ids: list[str] | None, out_dir: Path
) -> tuple[Path, dict[str, int]]:
    """Write a specimen workbook (codes say SPECIMEN, never creditable) into `out_dir`.

    Returns its path and the first page of each module and theme.
    """
    edition = specimen_edition(course, pick_modules(course, module_ids), get_profile(profile))
    data, pages = render_pdf_pages(edition)
    return write_atomically(data, out_dir / f"workbook-specimen-{profile}.pdf"), pages


def render_personalised(
    course: Course,
    module_ids: list[str],
    profile: str,
    personal: Personal,
    checkins: list[CheckIn],
    out_path: Path,
) -> Path:
    """Write a client's workbook with the check-in codes the tracker issued, one per module."""
    modules = pick_modules(course, module_ids)
    if [m.id for m in modules] != list(module_ids):
        raise BuildError("give the modules in course order, each once")
    edition = personal_edition(course, modules, get_profile(profile), personal, checkins)
    return write_atomically(render_pdf(edition), out_path)


def write_atomically(data: bytes, path: Path) -> Path:
    """Write `data` to `path` so that a reader never sees a partial file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as err:
        raise BuildError(f"cannot write to {path.parent}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(f"cannot write {path}: {err.strerror}") from None
    return path


def _subject(edition: Edition) -> str:
    ids = ", ".join(m.id for m in edition.modules)
    kind = "Specimen workbook" if edition.specimen else "Workbook"
    return f"{kind}: modules {ids}"


class _Section(Flowable):
    """An invisible marker: the pages from here on belong to `key`; adds a bookmark."""

    def __init__(self, key: str, title: str, level: int) -> None:
        super().__init__()
        self.key, self.title, self.level = key, title, level

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if isinstance(self.canv, _WorkbookCanvas):
            self.canv.cpo_section = self.key
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)


class _Background:
    """Paints the page colour and, on a specimen, the watermark, under the page's content."""

    def __init__(self, edition: Edition, styles: Styles) -> None:
        self.edition, self.styles = edition, styles

    def __call__(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        if self.styles.profile.page_colour.upper() != "#FFFFFF":
            canvas.setFillColor(self.styles.page_colour)
            canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
        if self.edition.specimen:
            canvas.setFillColor(HexColor("#D9D9D9"))
            canvas.setFont(self.styles.bold, 96)
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -30, WATERMARK)
        canvas.restoreState()


class _WorkbookCanvas(Canvas):
    """A canvas that holds pages back until the end, so footers can say "page x of y"."""

    edition: Edition
    styles: Styles
    first_pages: dict[str, int]  # section -> its first page number, filled in on save

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cpo_section = START
        self.held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self.held.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        totals = Counter(page["cpo_section"] for page in self.held)
        seen: Counter[str] = Counter()
        for number, page in enumerate(self.held, start=1):
            self.first_pages.setdefault(page["cpo_section"], number)
            self.__dict__.update(page)
            seen[self.cpo_section] += 1
            _footer(self, seen[self.cpo_section], totals[self.cpo_section])
            Canvas.showPage(self)
        Canvas.save(self)


def _canvas_maker(edition: Edition, styles: Styles) -> type[_WorkbookCanvas]:
    """The canvas class for one edition."""
    attributes = {"edition": edition, "styles": styles, "first_pages": {}}
    return type("WorkbookCanvas", (_WorkbookCanvas,), attributes)


def _footer(canvas: _WorkbookCanvas, page: int, total: int) -> None:
    """Module id, page x of y within the module, and whose workbook this is."""
    edition, styles = canvas.edition, canvas.styles
    size = styles.profile.footer_size
    section = canvas.cpo_section
    lines = [f"{section}   \u00b7   Page {page} of {total}"]
    if edition.specimen:
        lines[0] += f"   \u00b7   {WATERMARK}"
    if edition.personal:
        lines.append(
            f"Ref {edition.personal.reference}   \u00b7   Workbook {edition.personal.workbook}"
        )
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.setFont(styles.bold, size)
    y = MARGINS["bottom"] - size * 1.9
    for line in lines:
        canvas.drawString(MARGINS["left"], y, line)
        y -= size * 1.3
    canvas.restoreState()


def _qr(payload: str, size: float) -> Drawing:
    """A QR code at error-correction level Q: it survives a photocopy and a smudge."""
    widget = QrCodeWidget(payload, barLevel="Q")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


class _Story:
    """Builds the list of flowables for one edition."""

    def __init__(self, edition: Edition, styles: Styles) -> None:
        self.edition, self.styles = edition, styles
        self.md = MarkdownFlowables(styles)

    def build(self) -> list[Flowable]:
        story: list[Flowable] = [_Section(START, "Start", 0), *self.cover(), PageBreak()]
        story += [*self.how_to(), PageBreak(), *self.contents()]
        for theme in self.edition.course.themes:
            modules = [m for m in theme.modules if m in self.edition.modules]
            if not modules:
                continue
            story += [PageBreak(), *self.theme_opener(theme, modules)]
            for module in modules:
                story += [PageBreak(), *self.module(module)]
        return story

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(text, getattr(self.styles, style))

    # -- front pages -------------------------------------------------------------------

    def cover(self) -> list[Flowable]:
        course, s = self.edition.course, self.styles
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
        if self.edition.personal:
            personal = self.edition.personal
            out += [
                Spacer(1, 6 * mm),
                self.p(f"Reference: <b>{escape(personal.reference)}</b>"),
                self.p(f"Workbook: <b>{escape(personal.workbook)}</b>"),
            ]
        out += [Spacer(1, 10 * mm), self.p(f"{escape(s.profile.label)} edition")]
        return out

    def how_to(self) -> list[Flowable]:
        count = len(self.edition.modules)
        personal = self.edition.personal
        contact = (
            f"Your contact: <b>{escape(personal.contact)}</b>"
            if personal and personal.contact
            else "Your contact's name and phone number: ____________________"
        )
        return [
            self.p("How to use this workbook", "title"),
            self.p(f"This workbook has {count} parts. We call each part a <b>module</b>."),
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
            self.p(contact),
            self.p(
                "If you feel low or need to talk, call <b>Samaritans</b> free on "
                "<b>116 123</b>, any time, day or night."
            ),
        ]

    def contents(self) -> list[Flowable]:
        out: list[Flowable] = [self.p("What is in this workbook", "title")]
        for theme in self.edition.course.themes:
            modules = [m for m in theme.modules if m in self.edition.modules]
            if not modules:
                continue
            out.append(self.p(escape(theme.title), "h2"))
            for m in modules:
                hours = (
                    f"about {m.minutes // 60} hours"
                    if m.minutes % 60 == 0
                    else f"{m.minutes} minutes"
                )
                out.append(self.p(f"<b>{m.id}</b>   {escape(m.title)} ({hours})", "bullet"))
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
        theme = self.edition.course.theme_of(module)
        checkin = self.edition.checkins[module.id]
        out: list[Flowable] = [
            _Section(module.id, f"{module.id}: {module.title}", 1),
            self.p(f"{escape(theme.title)} \u00b7 Module {module.id}", "h3"),
            self.p(escape(module.title), "title"),
            self.p(f"This module takes {_duration(module.minutes)}."),
            self.code_panel(checkin, "This code tells us these pages are yours."),
            Spacer(1, 4 * mm),
            self.p("In this module you will:", "h3"),
            *self.md("\n".join(f"- {o}" for o in module.outcomes)),
        ]
        number = 0
        for block in module.blocks:
            if isinstance(block, Activity):
                number += 1
                out += activity_flowables(block, number, self.styles, self.md)
            elif isinstance(block, Example):
                out.append(self.panel(f"Example: {escape(block.title)}", block.markdown, SHADE))
            elif isinstance(block, HelpPanel):
                out.append(self.panel("Where to get help", block.markdown, SHADE))
            elif isinstance(block, Prose):
                out += self.md(block.markdown)
        out += [*self.declaration(module, checkin), self.marker_box(module)]
        return out

    def code_panel(self, checkin: CheckIn, why: str) -> Table:
        text = [
            self.p(why),
            self.p(f"Code: <b>{escape(checkin.code)}</b>", "code"),
            self.p("If the square will not scan, we type the code instead."),
        ]
        return Table(
            [[_qr(checkin.payload, QR_SIZE), text]],
            colWidths=[QR_SIZE + 6 * mm, None],
            hAlign="LEFT",
            style=self.styles.table(
                [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            ),
        )

    def panel(self, heading: str, markdown: str, shade: Any) -> KeepTogether:
        rows: list[list[Any]] = [[self.p(heading, "h3")], *([f] for f in self.md(markdown))]
        table = Table(
            rows,
            colWidths=["100%"],
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
        return KeepTogether([table])  # moves whole to the next page when it can

    def declaration(self, module: Module, checkin: CheckIn) -> list[Flowable]:
        s = self.styles
        statement = Table(
            [[TickBox(s.box), self.p(f"<b>{escape(DECLARATION_STATEMENT)}</b>")]],
            colWidths=[s.box + 5 * mm, None],
            hAlign="LEFT",
            style=s.table([("LEFTPADDING", (0, 0), (-1, -1), 0)]),
        )
        return [
            PageBreak(),
            self.p(f"Before you send {module.id} back", "title"),
            self.p("Please fill in this form and tick the box."),
            statement,
            _field_table(
                ["My name", "Signature", "Date", f"{DECLARATION_TIME} (hours and minutes)"], s
            ),
            Spacer(1, 6 * mm),
            self.code_panel(checkin, "Keep this code clear when you send the pages back."),
        ]

    def marker_box(self, module: Module) -> Table:
        s = self.styles
        rows: list[list[Any]] = [
            [self.p("For the marker only", "h3"), "", ""],
            [self.p("<b>Required activity</b>"), "", self.p("<b>Tried</b>")],
        ]
        rows += [
            [self.p(a.id), self.p(escape(a.title)), TickBox(s.box)]
            for a in module.required_activities
        ]
        rows.append([self.p("Marker and date:"), "", ""])
        return Table(
            rows,
            colWidths=[s.body.fontSize * 5, None, s.body.fontSize * 4],
            style=s.table(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), MARKER_SHADE),
                    ("BOX", (0, 0), (-1, -1), 1.5, INK),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("SPAN", (0, -1), (-1, -1)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 18),
                ]
            ),
            spaceBefore=12,
        )


def _field_table(labels: list[str], styles: Styles) -> Table:
    """Labels with a line to write on, each row tall enough for handwriting."""
    rows = [[Paragraph(escape(label), styles.body), ""] for label in labels]
    return Table(
        rows,
        colWidths=["40%", "55%"],
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
