"""The page that explains the workbook's pictures, and a word for the reader of an edition."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table

from builder.course import ACTIVITY_ASKS, ACTIVITY_TYPES, Course
from builder.pdf.rules import NewPage
from builder.pdf.styles import Styles
from builder.pictures import pictogram, theme_icon


def edition_advice(styles: Styles) -> list[Flowable]:
    """The edition's own advice (the dyslexia edition's word on cream paper), if it has any."""
    advice = styles.profile.advice
    return [Paragraph(f"<b>{escape(advice)}</b>", styles.body)] if advice else []


def pictures_page(course: Course, styles: Styles) -> list[Flowable]:
    """A page on the pictures: each theme's icon, and what each activity's picture asks."""
    size = styles.body.fontSize * 2.2
    themes = [
        [theme_icon(t.icon, size), Paragraph(escape(t.title), styles.body)] for t in course.themes
    ]
    asks = [
        [
            pictogram(kind, size),
            Paragraph(f"<b>{kind.title()}</b>: {escape(ACTIVITY_ASKS[kind])}", styles.body),
        ]
        for kind in ACTIVITY_TYPES
    ]
    return [
        NewPage(),
        Paragraph("The pictures in this workbook", styles.title),
        Paragraph(
            "Each theme has its own picture. You see it at the start of the theme.", styles.body
        ),
        _pictures(themes, size, styles),
        Paragraph("What the activities ask", styles.h2),
        Paragraph("Each activity has a picture too. It shows what to do.", styles.body),
        _pictures(asks, size, styles),
    ]


def _pictures(rows: list[list[Flowable]], size: float, styles: Styles) -> Table:
    return Table(
        rows,
        colWidths=[size + 6 * mm, None],
        hAlign="LEFT",
        style=styles.table(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
        spaceAfter=styles.body.spaceAfter,
    )
