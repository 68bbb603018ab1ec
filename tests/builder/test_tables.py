"""Tables to fill in by hand: the page's width, room where the client writes, enough rows."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Table

from builder.course import PlanActivity
from builder.pdf.activities import ANSWER_SPACE, plan_widths
from builder.pdf.rules import FRAME_WIDTH
from builder.pdf.styles import make_styles
from builder.profiles import PROFILES, get_profile
from tests.conftest import shipped_course

STANDARD = make_styles(get_profile("standard"))
words = st.text(alphabet="abcdefghij ", min_size=0, max_size=40).map(str.strip)


@st.composite
def plans(draw: st.DrawFn) -> PlanActivity:
    columns = draw(st.lists(words.filter(bool), min_size=1, max_size=6))
    rows = draw(
        st.lists(st.tuples(*[words for _ in columns]), min_size=1, max_size=8),
    )
    return PlanActivity(
        id="AA1-1", title="t", required=True, prompt="p", line=1, columns=tuple(columns),
        rows=tuple(rows),
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(plans())
def test_a_plan_table_fills_the_page_width_and_no_column_breaks_a_heading_word(
    plan: PlanActivity,
) -> None:
    widths = plan_widths(plan, STANDARD, FRAME_WIDTH)
    assert len(widths) == len(plan.columns)
    assert sum(widths) == pytest.approx(FRAME_WIDTH)
    assert all(w > 0 for w in widths)


def test_write_columns_get_the_room_and_labels_what_they_need() -> None:
    course = shipped_course()
    diary = next(a for _, a in course.iter_activities() if a.id == "HC1-4")
    assert isinstance(diary, PlanActivity)
    day, drank, units, where, felt = plan_widths(diary, STANDARD, FRAME_WIDTH)
    assert day <= FRAME_WIDTH * 0.25  # a label wraps before it takes room to write in
    assert drank == max(day, drank, units, where, felt) and units < where
    record = next(a for _, a in course.iter_activities() if a.id == "TF1-6")
    assert isinstance(record, PlanActivity)
    widths = plan_widths(record, STANDARD, FRAME_WIDTH)
    score, another_way = widths[2], widths[3]
    assert another_way > score * 1.5  # "Another way to see it" is wider than a 0 to 10


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_thought_record_has_five_rows_tall_enough_to_write_in(profile: str) -> None:
    course = shipped_course()
    record = next(a for _, a in course.iter_activities() if a.id == "TF1-6")
    assert isinstance(record, PlanActivity)
    empty = [row for row in record.rows if not any(row)]
    assert len(empty) >= 5
    styles = make_styles(get_profile(profile))
    (table,) = ANSWER_SPACE["plan"](record, styles)
    assert isinstance(table, Table)
    table.wrapOn(Canvas(io.BytesIO()), FRAME_WIDTH, 10_000)
    heights = table._rowHeights[-len(empty) :]  # type: ignore[attr-defined]
    least = 15 * mm if profile != "large-print" else 18 * mm
    assert min(heights) >= least
