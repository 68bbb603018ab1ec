"""Answers files are read, checked and refused with a clear reason when they are bad."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builder.answers import (
    MAX_BYTES,
    AnswersError,
    Plan,
    Rating,
    canonical_json,
    checksum_of,
    read_answers,
)
from builder.errors import CpoError


def answers_doc() -> dict[str, Any]:
    return {
        "format": "cpo-offline answers",
        "version": 1,
        "course": {"title": "Steps Forward", "version": "abc123"},
        "workbook": "WB-7H3K",
        "specimen": False,
        "exported": "2026-05-04T10:11:12.345Z",
        "modules": [
            {
                "id": "AA1",
                "title": "Every kind of activity",
                "checkin": "https://example.org/c/7QX2M9K4PZ3T",
                "code": "7QX2-M9K4-PZ3T",
                "activities": [
                    {"id": "AA1-1", "type": "write", "title": "What helps",
                     "required": True, "answer": "A walk, café \U0001f600"},
                    {"id": "AA1-2", "type": "choose", "title": "Signs", "required": True,
                     "answer": ["I sleep badly"]},
                    {"id": "AA1-3", "type": "scale", "title": "Feel", "required": True,
                     "answer": [{"item": "", "value": 7}]},
                    {"id": "AA1-5", "type": "list", "title": "Good", "required": True,
                     "answer": ["", "", ""]},
                    {"id": "AA1-6", "type": "plan", "title": "Money", "required": True,
                     "answer": {"columns": ["What", "In"],
                                "labels": [["Rent", ""], ["", ""]],
                                "answers": [["", "£120"], ["", ""]]}},
                ],
                "declaration": {"statement": True, "name": "Sam", "date": "2026-05-04",
                                "minutes": 125},
            }
        ],
    }  # fmt: skip


def encoded(doc: dict[str, Any], checksum: bool = True) -> bytes:
    if checksum:
        doc = {**doc, "checksum": checksum_of(doc)}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()


def test_a_good_file_reads_into_records() -> None:
    answers = read_answers(encoded(answers_doc()), "answers.json")
    assert answers.workbook == "WB-7H3K" and answers.course_version == "abc123"
    assert answers.exported.year == 2026
    module = answers.module("AA1")
    assert module.checkin == "https://example.org/c/7QX2M9K4PZ3T"
    assert module.answer("AA1-1").value == "A walk, café \U0001f600"
    assert module.answer("AA1-3").value == (Rating("", 7),)
    plan = module.answer("AA1-6").value
    assert isinstance(plan, Plan) and plan.rows == (("Rent", "£120"), ("", ""))
    tried = {a.id: a.tried for a in module.answers}
    assert tried == {"AA1-1": True, "AA1-2": True, "AA1-3": True, "AA1-5": False, "AA1-6": True}
    d = module.declaration
    assert d.complete and d.date == date(2026, 5, 4) and d.minutes == 125


def test_every_problem_is_a_project_error_naming_the_file() -> None:
    with pytest.raises(CpoError, match=r"^mine\.json: is empty$"):
        read_answers(b"  \n", "mine.json")


def mutate(change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = answers_doc()
    change(doc)
    return encoded(doc)


def set_in(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


GOOD = encoded(answers_doc())
ACTIVITY = ["modules", 0, "activities"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"\xff\xfe\x00junk", "not text"),
        (b"PK\x03\x04 not json", "not JSON"),
        (GOOD[: len(GOOD) // 2], "cut short"),
        (GOOD[:-3], "cut short"),
        (b"[1, 2]", "not an answers file from a workbook"),
        (b'{"format": "cpo-offline answers", "version": 2}', "version 2"),
        (b'{"format": "a", "format": "cpo-offline answers"}', "'format' twice"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (GOOD.replace(b"A walk", b"A talk"), "changed since it was saved"),
        (encoded(answers_doc(), checksum=False), "no checksum"),
        (mutate(set_in(["workbook"], "")), "'workbook' is empty"),
        (mutate(set_in(["specimen"], "no")), "'specimen' is not true or false"),
        (mutate(set_in(["exported"], "yesterday")), "not a date and time"),
        (mutate(set_in(["extra"], 1)), "fields this program does not know: extra"),
        (mutate(lambda d: d["modules"].append(d["modules"][0])), "has a module twice"),
        (mutate(lambda d: d["modules"][0].pop("checkin")), "module AA1 has no 'checkin'"),
        (mutate(set_in([*ACTIVITY, 0, "type"], "draw")), "unknown type 'draw'"),
        (mutate(set_in([*ACTIVITY, 0, "answer"], 5)), "AA1-1's answer is not text"),
        (mutate(set_in([*ACTIVITY, 1, "answer"], "x")), "AA1-2's answer is not a list"),
        (
            mutate(set_in([*ACTIVITY, 2, "answer"], [{"item": "", "value": 2.5}])),
            "not a whole number",
        ),
        (
            mutate(set_in([*ACTIVITY, 2, "answer"], [{"item": "", "value": True}])),
            "not a whole number",
        ),
        (
            mutate(set_in([*ACTIVITY, 4, "answer", "answers"], [["", "£1"]])),
            "different shapes",
        ),
        (
            mutate(set_in([*ACTIVITY, 4, "answer", "answers"], [["x", ""], ["", ""]])),
            "cell that holds printed words",
        ),
        (mutate(set_in(["modules", 0, "declaration", "minutes"], -5)), "time spent"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(AnswersError, match=reason) as caught:
        read_answers(data, "answers.json")
    assert caught.value.source == "answers.json"


def test_an_oversized_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(AnswersError, match="too big"):
        read_answers(b" " * (MAX_BYTES + 1), "big.json")


def test_a_tampered_file_with_a_recomputed_checksum_is_still_checked_for_shape() -> None:
    doc = answers_doc()
    doc["modules"][0]["declaration"]["minutes"] = "lots"
    with pytest.raises(AnswersError, match="time spent"):
        read_answers(encoded(doc), "answers.json")


@given(st.text())
def test_the_canonical_form_escapes_everything_past_ascii(text: str) -> None:
    form = canonical_json({"b": text, "a": [text]})
    assert form.isascii()
    assert json.loads(form) == {"a": [text], "b": text}
    assert form.startswith(b'{"a":[')


def test_checksum_covers_everything_but_itself() -> None:
    doc = answers_doc()
    first = checksum_of(doc)
    assert checksum_of({**doc, "checksum": "anything"}) == first
    changed = copy.deepcopy(doc)
    changed["modules"][0]["declaration"]["statement"] = False
    assert checksum_of(changed) != first


@pytest.mark.parametrize("typed", ["2026-02-30", "4/5/2026", "last Tuesday", ""])
def test_a_date_that_is_not_a_real_one_is_kept_as_text(typed: str) -> None:
    data = mutate(set_in(["modules", 0, "declaration", "date"], typed))
    declaration = read_answers(data, "answers.json").module("AA1").declaration
    assert declaration.date is None and declaration.date_text == typed
    assert not declaration.complete
