"""The story of a workbook: the flowables of its cover, front pages, themes and modules.

Everything a client writes in or is told, in print order; `builder.pdf.layout` lays it
out once, and leaves slots for each client's details.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
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
    MARGINS,
    KeepWhole,
    NewPage,
    RectoBreak,
    blank_page,
    keep_numbers_whole,
)
from builder.pdf.slots import (
    CODE,
    CONTACT,
    DIAGRAM_MARK,
    END_MARK,
    QR,
    START,
    WHOSE,
    Mark,
    Section,
    SlotSpace,
)
from builder.pdf.styles import INK, MARKER_SHADE, SHADE, Styles
from builder.pictures import theme_icon

QR_SIZE = 34 * mm


class Story:
    """Builds the list of flowables for one workbook body."""

    def __init__(
        self, course: Course, modules: tuple[Module, ...], styles: Styles, specimen: bool
    ) -> None:
        self.course, self.modules, self.styles, self.specimen = course, modules, styles, specimen
        self.md = MarkdownFlowables(styles)

    def build(self) -> list[Flowable]:
        story: list[Flowable] = [Section(START, "Start", 0), *self.cover(), PageBreak()]
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
        height = A4[1] - MARGINS["top"] - MARGINS["bottom"]
        return RectoBreak(blank_page(Section(BLANK, "", None), self.styles.body, height))

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
            out += [Spacer(1, 6 * mm), SlotSpace(WHOSE, "", 2 * s.body.leading)]
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
            SlotSpace(CONTACT, "", 2 * self.styles.line_gap, ruled=2),
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
            Section(theme.code, theme.title, 0),
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
            Section(module.id, f"{module.id}: {module.title}", 1),
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
        mark = Mark(f"{module.id}/{DIAGRAM_MARK}")
        return KeepTogether([mark, *diagram_flowables(diagram, self.styles, write)])

    def code_panel(self, module: Module, why: str) -> Table:
        """The module's QR code with its typed code beside it, both stamped in later."""
        code = self.styles.code
        text = [
            self.p(why),
            SlotSpace(CODE, module.id, code.leading + code.spaceAfter),
            self.p("If the square will not scan, we type the code instead."),
        ]
        return Table(
            [[SlotSpace(QR, module.id, QR_SIZE, QR_SIZE), text]],
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
            Mark(f"{module.id}/{END_MARK}"),
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
