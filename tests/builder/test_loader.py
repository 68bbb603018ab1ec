"""Loading a good course gives the typed records the renderers and the tracker share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import (
    ChooseActivity,
    Course,
    Example,
    HelpPanel,
    ListActivity,
    PlanActivity,
    Prose,
    ReflectActivity,
    ScaleActivity,
    WriteActivity,
    load_course,
)
from tests.conftest import GOOD_COURSE


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course(GOOD_COURSE)


def test_course_has_themes_in_order_with_their_modules(course: Course) -> None:
    assert course.title == "Test Course"
    assert [t.id for t in course.themes] == ["alpha", "beta"]
    assert [m.id for m in course.themes[0].modules] == ["AA1"]
    assert [m.id for m in course.modules] == ["AA1", "BB1"]
    assert course.guided_minutes == 240
    assert course.theme_of(course.module("BB1")).code == "BB"


def test_every_activity_type_is_parsed_with_its_settings(course: Course) -> None:
    a = {act.id: act for act in course.module("AA1").activities}
    assert isinstance(a["AA1-1"], WriteActivity) and a["AA1-1"].lines == 6
    assert (
        a["AA1-1"].prompt == "What helps you feel calm?\nYou can write a word, a list or draw it."
    )
    choose = a["AA1-2"]
    assert isinstance(choose, ChooseActivity) and choose.many
    assert choose.options == ("I sleep badly", "I get headaches", "Something else")
    assert choose.prompt == "Which of these do you notice? Tick all that fit."
    scale = a["AA1-3"]
    assert isinstance(scale, ScaleActivity)
    assert (scale.low, scale.high, scale.low_label, scale.high_label) == (
        0,
        10,
        "Very low",
        "Very good",
    )
    rated = a["AA1-4"]
    assert isinstance(rated, ScaleActivity)
    assert rated.items == ("I sleep well", "I eat well") and not rated.required
    assert isinstance(a["AA1-5"], ListActivity) and a["AA1-5"].items == 3
    plan = a["AA1-6"]
    assert isinstance(plan, PlanActivity)
    assert plan.columns == ("What", "Money in", "Money out")
    assert plan.rows == (("Wages or benefits", "", ""), ("Rent", "", ""), ("", "", ""))
    assert isinstance(a["AA1-7"], ReflectActivity) and a["AA1-7"].lines == 8


def test_blocks_keep_reading_order_and_source_lines(course: Course) -> None:
    blocks = course.module("AA1").blocks
    kinds = [type(b).__name__ for b in blocks]
    assert kinds[:3] == ["Prose", "Example", "WriteActivity"]
    assert isinstance(blocks[0], Prose) and blocks[0].line == 11
    assert blocks[0].markdown.startswith("In this part you will try each kind of task.")
    example = blocks[1]
    assert isinstance(example, Example) and example.title == "Sam's morning"
    assert example.markdown.endswith("He feels tense.")
    assert any(isinstance(b, HelpPanel) for b in blocks)
    assert not any(":::" in b.markdown for b in blocks if isinstance(b, Prose))


def test_required_activities(course: Course) -> None:
    ids = [a.id for a in course.module("AA1").required_activities]
    assert ids == ["AA1-1", "AA1-2", "AA1-3", "AA1-5", "AA1-6", "AA1-7"]


def test_records_are_immutable(course: Course) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        course.module("AA1").title = "Changed"  # type: ignore[misc]


def test_version_changes_when_module_text_changes(
    copy_course: Callable[[Path], Path], course: Course
) -> None:
    root = copy_course(GOOD_COURSE)
    assert load_course(root).version == course.version
    module = root / "modules" / "BB1.md"
    module.write_text(module.read_text().replace("Write one thing.", "Write one good thing."))
    assert load_course(root).version != course.version
