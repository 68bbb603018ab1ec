"""The reports as PDFs: the weekly report for the office, and the client's own statement
and certificate. Set in the workbooks' clear-print styles (Source Sans Pro, 14 pt).

The client's documents are written for a reading age of 9 and say nothing about why the
person is doing the course: they may be left on a table at home.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from builder.fonts_fallback import markup as name_markup
from builder.pdf.document import write_atomically
from builder.pdf.styles import INK, RULE, SHADE, Styles, make_styles
from builder.profiles import get_profile
from tracker.errors import TrackerError
from tracker.policy import hours
from tracker.reports import ClientRecord, ReportLine, WeeklyReport

CHART_TITLE = "Hours credited each week"


def long_date(day: date | str) -> str:
    """A date as a person writes it: 23 November 2026."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.day} {d:%B %Y}"


def spoken_hours(minutes: int) -> str:
    """Minutes in plain words: 3 hours 40 minutes, 1 hour, 45 minutes."""
    whole, rest = divmod(minutes, 60)
    parts = []
    if whole:
        parts.append(f"{whole} hour{'s' if whole != 1 else ''}")
    if rest or not whole:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _document(buffer: io.BytesIO, title: str, styles: Styles, wide: bool = False) -> Any:
    return SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="cpo-offline",
        creator="cpo-offline",
        lang="en-GB",
        invariant=1,
        initialFontName=styles.regular,
    )


def render_weekly(report: WeeklyReport, out_path: Path) -> Path:
    """Write the weekly report: a chart of the hours credited, then each case worker's clients."""
    styles = make_styles(get_profile("standard"))
    buffer = io.BytesIO()
    scope = f"office {report.office}" if report.office else "all offices"
    title = f"Weekly report: week of {long_date(report.week_start)}"
    story: list[Flowable] = [
        Paragraph(escape(title), styles.title),
        Paragraph(
            escape(
                f"{scope.capitalize()}. Monday {long_date(report.week_start)} to Sunday "
                f"{long_date(report.week_end)}. Made on {long_date(report.today)}. "
                "Clients are named by case reference only."
            ),
            styles.body,
        ),
        Paragraph(
            escape(
                f"Audit fingerprint {report.audit}: to prove the records still hold what this "
                f"report shows, run `cpo audit verify --since {report.audit}`."
            ),
            styles.small,
        ),
        hours_chart(report.weekly_minutes, styles),
    ]
    if not report.lines:
        story.append(Paragraph("There are no clients with an order in this office.", styles.body))
    for worker, lines in report.by_case_worker():
        story.append(Paragraph(escape(f"Case worker: {worker}"), styles.h2))
        story += [Paragraph(_describe(line), styles.body) for line in lines]
    doc = _document(buffer, title, styles, wide=True)
    doc.build(story)
    return write_atomically(buffer.getvalue(), out_path)


def _describe(line: ReportLine) -> str:
    """One client's paragraph in the weekly report, in the order of the CSV's columns."""
    parts = [
        f"<b>{escape(line.order)}</b> ({escape(line.jurisdiction)}), deadline "
        f"{long_date(line.deadline)}.",
        f"Ordered {hours(line.ordered_minutes)}; allowance {hours(line.cap_minutes)}; "
        f"credited {hours(line.credited_week_minutes)} this week, "
        f"{hours(line.credited_to_date_minutes)} to date; "
        f"{hours(line.allowance_left_minutes)} left.",
        f"Modules: {line.issued} issued, {line.returned} returned, {line.accepted} accepted, "
        f"{line.awaiting_marking} waiting to be marked, {line.sent_back} sent back, "
        f"{line.refused} refused, {line.overdue} overdue.",
    ]
    if line.refused_reasons:
        parts.append(f"Refused: {escape(line.refused_reasons)}.")
    if line.flags:
        parts.append(f"<b>Flags:</b> {escape(line.flags)}.")
    return "<br/>".join(parts)


def hours_chart(weekly: Sequence[tuple[date, int]], styles: Styles) -> Drawing:
    """A small bar chart of the hours credited in each week, titled in the drawing."""
    width, height = 160 * mm, 60 * mm
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, CHART_TITLE, fontName=styles.bold, fontSize=12))
    chart = VerticalBarChart()
    chart.x, chart.y = int(14 * mm), int(10 * mm)
    chart.width, chart.height = int(width - 20 * mm), int(height - 26 * mm)
    chart.data = [[round(minutes / 60, 1) for _, minutes in weekly] or [0]]
    chart.categoryAxis.categoryNames = [f"{d.day} {d:%b}" for d, _ in weekly]
    chart.categoryAxis.labels.fontName = styles.regular
    chart.categoryAxis.labels.fontSize = 10
    chart.valueAxis.labels.fontName = styles.regular
    chart.valueAxis.labels.fontSize = 10
    chart.valueAxis.valueMin = 0
    chart.valueAxis.strokeColor = RULE
    chart.categoryAxis.strokeColor = RULE
    chart.bars[0].fillColor = INK
    chart.bars[0].strokeColor = INK
    drawing.add(chart)
    return drawing


def render_statement(record: ClientRecord, out_path: Path) -> Path:
    """Write the client's statement: each module completed, its hours, date and checker."""
    styles = make_styles(get_profile("standard"))
    p = styles.body
    count = len(record.completed)
    story: list[Flowable] = [
        Paragraph(f"<b>{escape(record.course)}</b>", p),
        Paragraph("Your learning record", styles.title),
        Paragraph(f"Name: <b>{name_markup(record.name, styles.bold)}</b>", p),
        Paragraph(f"Reference: {escape(record.reference)}", p),
        Paragraph(f"Date: {long_date(record.today)}", p),
        Spacer(1, 4 * mm),
    ]
    if not count:
        story.append(Paragraph("You have not finished a module yet. Keep going!", p))
    else:
        story += [
            Paragraph(
                f"You have finished <b>{count} {'module' if count == 1 else 'modules'}</b>. "
                f"That is <b>{spoken_hours(record.minutes)}</b> of learning.",
                p,
            ),
            Paragraph("Here is each one, with the date it was checked and who checked it.", p),
            _modules_table(record, styles),
        ]
    story += _sent_back(record, styles)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("Well done. Keep this page safe.", p))
    if record.audit:
        story.append(Paragraph(escape(f"Record check: {record.audit}"), styles.small))
    return _build(story, f"{record.course}: learning record", styles, out_path)


def _sent_back(record: ClientRecord, styles: Styles) -> list[Flowable]:
    """The modules sent back to try again, each with our note."""
    if not record.sent_back:
        return []
    p = styles.body
    items = "".join(
        f"<br/>\u2022 <b>{escape(m.module_id)}</b> {escape(m.title)}, "
        f"sent back on {long_date(m.sent_back_on)}"
        + (f": {escape(m.feedback)}" if m.feedback.strip() else "")
        for m in record.sent_back
    )
    count = len(record.sent_back)
    return [
        Paragraph("To try again", styles.h2),
        Paragraph(
            f"We sent {'this module' if count == 1 else 'these modules'} back to you to try again. "
            "When you send it back, we will check it again." + items,
            p,
        ),
    ]


def _modules_table(record: ClientRecord, styles: Styles) -> Table:
    header = ["Module", "Date", "Time", "Checked by"]
    rows = [
        [
            Paragraph(f"<b>{escape(c.module_id)}</b> {escape(c.title)}", styles.small),
            Paragraph(long_date(c.credited_on), styles.small),
            Paragraph(spoken_hours(c.minutes), styles.small),
            Paragraph(escape(c.approver), styles.small),
        ]
        for c in record.completed
    ]
    header_row = [Paragraph(f"<b>{h}</b>", styles.small) for h in header]
    table = Table([header_row, *rows], colWidths=[54 * mm, 44 * mm, 42 * mm, 30 * mm])
    table.setStyle(
        styles.table(
            [
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def render_certificate(record: ClientRecord, out_path: Path) -> Path:
    """Write the client's certificate: their name, the modules, the hours and the dates."""
    styles = make_styles(get_profile("standard"))
    p = styles.body
    if not record.completed:
        raise TrackerError(
            f"{record.reference} has not been credited for a module yet: nothing to certify"
        )
    count = len(record.completed)
    first, last = record.completed[0].credited_on, record.completed[-1].credited_on
    checkers = sorted({c.approver for c in record.completed})
    titles = "".join(
        f"<br/>\u2022 {escape(c.title)}"
        for c in sorted(record.completed, key=lambda c: c.module_id)
    )
    story: list[Flowable] = [
        Paragraph(f"<b>{escape(record.course)}</b>", p),
        Spacer(1, 10 * mm),
        Paragraph("Certificate", styles.title),
        Paragraph("This certificate is for", p),
        Paragraph(f"<b>{name_markup(record.name, styles.bold)}</b>", styles.h2),
        Paragraph(
            f"You finished <b>{count} {'module' if count == 1 else 'modules'}</b>. "
            f"That is <b>{spoken_hours(record.minutes)}</b> of learning.",
            p,
        ),
        Paragraph("The modules were:" + titles, p),
        Paragraph(
            f"You did them between {long_date(first)} and {long_date(last)}."
            if first != last
            else f"You finished them on {long_date(last)}.",
            p,
        ),
        Paragraph(f"Checked by: {escape(', '.join(checkers))}.", p),
        *([Paragraph(f"Office: {escape(record.office)}.", p)] if record.office else []),
        Paragraph(f"Date: {long_date(record.today)}. Reference: {escape(record.reference)}.", p),
        Paragraph("Well done!", styles.h2),
        Spacer(1, 4 * mm),
        signature_lines(styles),
    ]
    return _build(story, f"{record.course}: certificate", styles, out_path)


def signature_lines(styles: Styles) -> Flowable:
    """Lines to sign on by hand: signature, name, role and date."""
    labels = ("Signed", "Name", "Role", "Date")
    rows = [[Paragraph(f"{label}:", styles.body), ""] for label in labels]
    table = Table(rows, colWidths=[30 * mm, 100 * mm], rowHeights=12 * mm, hAlign="LEFT")
    table.setStyle(
        styles.table(
            [
                ("LINEBELOW", (1, 0), (1, -1), 0.75, INK),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return KeepTogether([table])  # all four lines on one page


def _build(story: list[Flowable], title: str, styles: Styles, out_path: Path) -> Path:
    buffer = io.BytesIO()
    _document(buffer, title, styles).build(story)
    return write_atomically(buffer.getvalue(), out_path)
