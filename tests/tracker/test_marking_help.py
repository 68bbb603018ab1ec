"""Marking from an answers file: the declared time and answered activities pre-filled, and an
accept that says a blank activity was tried refused; returns listed with pages and gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tracker.conftest import cli_order, snapshot
from tests.tracker.test_intake import answers_file, issue_two, run
from tracker.marking import mark, pending
from tracker.marking_help import BlankTried, prefill
from tracker.tracker import Tracker

READS_PDFS = True


def test_an_answers_file_prefills_and_blank_activities_cannot_be_tried(
    tracker: Tracker, tmp_path: Path
) -> None:
    first, _ = issue_two(tracker, tmp_path)
    saved = tmp_path / "answers.json"
    saved.write_bytes(answers_file(first, "WB1"))
    [outcome] = run(tracker, [saved], workers=1)
    return_id = outcome.pages[0].return_id
    assert return_id is not None
    given = prefill(tracker, return_id)
    assert (given.from_answers, given.declared_minutes, given.tried) == (True, 95, ("WB1-1",))
    assert "WB1-2" in given.blank
    [waiting] = [p for p in pending(tracker) if p.return_id == return_id]
    assert waiting.pages is not None and waiting.pages.answers
    every = {a.id: True for a in tracker.course.module("WB1").activities}
    before = snapshot(tracker)
    with pytest.raises(BlankTried) as refused:
        mark(tracker, return_id, "accept", "tester", every, 95)
    assert refused.value.field == "tried" and refused.value.blank[0] == "WB1-2"
    assert snapshot(tracker) == before
    sent = mark(tracker, return_id, "send-back", "tester", every, feedback="Please try 2 to 8")
    assert sent.decision == "send-back"  # sending back is never refused for this


def test_paper_returns_prefill_nothing(tracker: Tracker, tmp_path: Path) -> None:
    from tracker.checkins import checkin_one

    first, _ = issue_two(tracker, tmp_path)
    result = checkin_one(tracker, first.modules[0].code, "tester")
    assert result.return_id is not None
    given = prefill(tracker, result.return_id)
    assert not given.from_answers and given.tried == () and given.declared_minutes is None
    [waiting] = pending(tracker)
    assert waiting.pages is not None and waiting.pages.received == 0


def test_a_mistyped_time_is_asked_again_and_nothing_is_lost(cpo) -> None:  # type: ignore[no-untyped-def]
    cpo("office", "add", "north", "--name", "North")
    cpo("client", "add", "C-1", "--name", "Sam", "--office", "north", "--case-worker", "Ana")
    cli_order(cpo)
    issued = cpo("issue", "C-1", "--modules", "TF1", "--json").output
    import json

    cpo("checkin", json.loads(issued)["modules"][0]["code"])
    answers = "\n".join(["y"] * 12 + ["accept", "lots", "3h"]) + "\n"
    asked = cpo("mark", "R1", stdin=answers).output
    assert "Error: the time 'lots' is not a time" in asked  # told why, then asked again
    assert "credited 2 h (3 h declared" in asked
