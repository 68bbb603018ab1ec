"""Activities on paper: a header with a pictogram, the task, and real space to answer."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from builder.course import (
    Activity,
    ChooseActivity,
    ListActivity,
    PlanActivity,
    ReflectActivity,
    ScaleActivity,
    WriteActivity,
)
from builder.pdf.markdown import MarkdownFlowables
from builder.pdf.rules import FRAME_HEIGHT, FRAME_WIDTH, Gap, KeepStart
from builder.pdf.styles import INK, RULE, SHADE, Styles
from builder.pictures import pictogram

MIN_SPLIT_LINES = 6  # answer lines are never split leaving fewer than this on a page
LABEL_SHARE = 0.25  # a column of printed labels takes at most this share of the width; they wrap


class AnswerLines(Flowable):
    """Ruled lines for handwriting; splits across pages like text does."""

    def __init__(self, count: int, gap: float, first_label: str = "", start: int = 0) -> None:
        super().__init__()
        self.count, self.gap, self.first_label, self.start = count, gap, first_label, start

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.count * self.gap

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        fits = int(avail_height // self.gap)
        # A short answer space moves whole; a long one leaves a fair share on each page.
        if fits < MIN_SPLIT_LINES or self.count - fits < MIN_SPLIT_LINES:
            return []
        return [
            AnswerLines(fits, self.gap, self.first_label, self.start),
            AnswerLines(self.count - fits, self.gap, self.first_label, self.start + fits),
        ]

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.8)
        for n in range(self.count):
            y = (self.count - n - 1) * self.gap + 2
            left = 0.0
            if self.first_label:  # numbered blanks: "1." then a line
                canvas.setFillColor(INK)
                canvas.setFont(self.first_label, self.gap * 0.55)
                canvas.drawString(0, y + 3, f"{self.start + n + 1}.")
                left = self.gap * 1.4
            canvas.line(left, y, self.width, y)


class TickBox(Flowable):
    """An empty square to tick."""

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1.5)
        self.canv.rect(0, 0, self.size, self.size)


class ScaleRow(Flowable):
    """Numbers in circles from low to high, to circle one; end labels beneath."""

    def __init__(self, activity: ScaleActivity, styles: Styles) -> None:
        super().__init__()
        self.activity, self.styles = activity, styles
        self.step, self.stacked = 0.0, False

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.step, self.stacked = scale_spacing(self.activity, self.styles, avail_width)
        lines = 2 if self.stacked else 1
        return avail_width, self.styles.box * 1.4 + self.styles.body.leading * lines

    def draw(self) -> None:
        canvas, styles, a, step = self.canv, self.styles, self.activity, self.step
        count = a.high - a.low + 1
        radius = styles.box * 0.62
        leading = styles.body.leading
        top = leading * (2 if self.stacked else 1) + radius + 2
        canvas.setLineWidth(1.4)
        canvas.setStrokeColor(INK)
        canvas.setFillColor(INK)
        canvas.setFont(styles.regular, styles.body.fontSize)
        for n in range(count):
            x = step * n + step / 2
            canvas.circle(x, top, radius, stroke=1, fill=0)
            canvas.drawCentredString(x, top - styles.body.fontSize * 0.35, str(a.low + n))
        canvas.setFillColor(styles.body.textColor)
        canvas.drawString(0, 2 + (leading if self.stacked else 0), a.low_label)
        canvas.drawRightString(max(step * count, self._width(a.high_label)), 2, a.high_label)

    def _width(self, text: str) -> float:
        return float(stringWidth(text, self.styles.regular, self.styles.body.fontSize))


LABEL_GAP = 3  # ems between a scale's end labels on one line


def scale_spacing(activity: ScaleActivity, styles: Styles, width: float) -> tuple[float, bool]:
    """The distance between a scale's numbers, and whether its end labels need a line each.

    The numbers spread out (up to the whole width) until the labels beneath the two ends
    keep a clear space between them (LABEL_GAP), so they read as two labels, not one
    phrase; where even the whole width cannot, the labels go on a line each (wide dyslexia
    fonts, long labels).
    """
    count = activity.high - activity.low + 1
    size = styles.body.fontSize
    ends = (activity.low_label, activity.high_label)
    labels = size * LABEL_GAP + sum(stringWidth(text, styles.regular, size) for text in ends)
    step = min(width / count, max(styles.box * 2.2, labels / count))
    return step, labels > step * count


def activity_flowables(
    activity: Activity,
    number: int,
    styles: Styles,
    md: MarkdownFlowables,
    answer: list[Flowable] | None = None,
) -> list[Flowable]:
    """The activity as it is printed: header, task, answer space (its own, or `answer`)."""
    extra = "" if activity.required else " (extra, if you want to)"
    title = f"Activity {number}: {escape(activity.title)}{extra}"
    size = styles.body.fontSize * 2.2
    header = Table(
        [[pictogram(activity.kind, size), Paragraph(title, styles.h3)]],
        colWidths=[size + 4 * mm, None],
        style=styles.table(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 1.5, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
            ]
        ),
    )
    task = md(activity.prompt)
    answer = answer or ANSWER_SPACE[activity.kind](activity, styles)
    head = KeepStart([header, *task], answer[0], lambda a, h: _first_part(a, h, styles))
    return [head, *answer[1:], Gap(1, styles.body.leading)]


def _first_part(answer: Flowable, height: float, styles: Styles) -> float:
    """How much of an answer space (`height` tall) must follow its task on the same page."""
    if isinstance(answer, Table):  # whole if it fits on a page, else the header and two rows
        if height <= FRAME_HEIGHT:
            return height
        return min(height, sum(answer._rowHeights[:3]))  # type: ignore[attr-defined]
    if isinstance(answer, AnswerLines):
        return min(height, MIN_SPLIT_LINES * styles.line_gap)
    return height


def _lines(activity: Activity, styles: Styles) -> list[Flowable]:
    assert isinstance(activity, WriteActivity | ReflectActivity)
    return [AnswerLines(activity.lines, styles.line_gap)]


def _list(activity: Activity, styles: Styles) -> list[Flowable]:
    assert isinstance(activity, ListActivity)
    return [AnswerLines(activity.items, styles.line_gap, styles.bold)]


def _choose(activity: Activity, styles: Styles) -> list[Flowable]:
    assert isinstance(activity, ChooseActivity)
    rows = [[TickBox(styles.box), Paragraph(escape(o), styles.body)] for o in activity.options]
    return [
        Table(
            rows,
            colWidths=[styles.box + 5 * mm, None],
            style=styles.table(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (0, -1), 5),
                ]
            ),
        )
    ]


def _scale(activity: Activity, styles: Styles) -> list[Flowable]:
    assert isinstance(activity, ScaleActivity)
    if not activity.items:
        return [ScaleRow(activity, styles)]
    gap = styles.body.leading * 0.6  # "Very good" is not read as the next item's title
    items = [
        [
            Paragraph(f"<b>{escape(item)}</b>", styles.small),
            ScaleRow(activity, styles),
            Spacer(1, gap),
        ]
        for item in activity.items
    ]
    if len(items) > 2:  # the last item never goes over to a page on its own
        items[-2:] = [[*items[-2], *items[-1]]]
    return [KeepTogether(item) for item in items]


def _plan(activity: Activity, styles: Styles) -> list[Flowable]:
    assert isinstance(activity, PlanActivity)
    header = [Paragraph(f"<b>{escape(c)}</b>", styles.small) for c in activity.columns]
    # An empty cell is for the client: a spacer makes it tall enough to write in.
    space = styles.profile.write_cell_mm * mm
    body = [
        [Paragraph(escape(cell), styles.small) if cell else Spacer(1, space) for cell in row]
        for row in activity.rows
    ]
    last = len(body)  # the header is row 0
    table = Table(
        [header, *body],
        colWidths=plan_widths(activity, styles, FRAME_WIDTH),
        repeatRows=1,
        style=styles.table(
            [
                ("GRID", (0, 0), (-1, -1), 1, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                # Split only between rows, never leaving the header with fewer than
                # two rows, nor the last row (often a total) with fewer than two others.
                ("NOSPLIT", (0, 0), (-1, min(2, last))),
                ("NOSPLIT", (0, max(0, last - 2)), (-1, last)),
            ]
        ),
    )
    return [table]


def plan_widths(activity: PlanActivity, styles: Styles, width: float) -> list[float]:
    """Column widths that follow the content and fill `width`.

    A label column (every cell printed) gets what its words need, up to a quarter; the
    columns with room to write share the rest, wider where the example or the header
    says more, so that a "what happened" column is wider than a "0 to 10" one.
    """
    font, size = styles.regular, styles.small.fontSize
    pad = 12  # the table's left and right cell padding

    def need(text: str) -> float:
        return stringWidth(text, styles.bold, size) + pad

    columns = list(zip(activity.columns, *activity.rows, strict=True))
    labels = {n for n, (_, *cells) in enumerate(columns) if all(cells)}
    if len(labels) == len(columns):  # nothing to write in: share by what each needs
        labels = set()
    widths: dict[int, float] = {}
    for n in labels:
        longest = max(stringWidth(t, font, size) + pad for t in columns[n])
        widths[n] = min(longest, width * LABEL_SHARE)
    rest = width - sum(widths.values())
    weights = {
        n: min(max(len(max(column, key=len)), 8), 30)
        for n, column in enumerate(columns)
        if n not in labels
    }
    for n, weight in weights.items():
        widths[n] = rest * weight / sum(weights.values())
    # No column narrower than its header's longest word.
    for n, heading in enumerate(activity.columns):
        widths[n] = max(widths[n], max((need(w) for w in heading.split()), default=pad))
    scale = width / sum(widths.values())
    return [widths[n] * scale for n in range(len(columns))]


ANSWER_SPACE: dict[str, Callable[[Activity, Styles], list[Flowable]]] = {
    "write": _lines,
    "reflect": _lines,
    "list": _list,
    "choose": _choose,
    "scale": _scale,
    "plan": _plan,
}
