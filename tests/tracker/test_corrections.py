"""Issue 17: corrections (name, office, address), workbooks looked up, one module printed
again, batch issue refusals, the overdue list by workbook and `last_returned`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.pdf.batch import read_jobs
from tests.tracker.conftest import Clock, make_order, snapshot, staff_account
from tracker.accounts import NotPermitted, Role, actor_for
from tracker.checkins import checkin_one
from tracker.errors import NotFound, TrackerError
from tracker.issuing import issue, reprint
from tracker.marking import mark
from tracker.people import add_office, update_client, update_office
from tracker.print_run import issue_batch
from tracker.reports import client_record, overdue_workbooks, weekly_report
from tracker.tracker import Tracker
from tracker.validate import InputError
from tracker.workbooks import list_workbooks, send_back_letter, show_workbook


def entries(t: Tracker, action: str) -> list[dict[str, object]]:
    with t.db.read() as tx:
        rows = tx.all("SELECT details FROM audit_log WHERE action = ? ORDER BY id", (action,))
    return [json.loads(r["details"]) for r in rows]


def test_a_client_is_corrected_and_the_audit_says_what_changed(tracker: Tracker) -> None:
    make_order(tracker, "C-1")
    add_office(tracker, "south", "South", "tester")
    fixed = update_client(
        tracker, "C-1", "tester", name="Alex Smyth", office="south", address=("1 Low Rd", "Ayr")
    )
    assert (fixed.name, fixed.office, fixed.address) == ("Alex Smyth", "south", ("1 Low Rd", "Ayr"))
    last = entries(tracker, "client.update")[-1]
    assert last["name"] == "Alex Smyth" and last["was"] == "Client C-1"
    assert last["office"] == "south" and last["address"] == "changed"  # not the address itself
    assert update_client(tracker, "C-1", "tester", address=()).address == ()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "the name"),
        ({"name": "A\nB"}, "the name"),
        ({"address": ("x",) * 7}, "the address"),
        ({"address": ("a" * 61,)}, "the address"),
        ({}, "changes"),
    ],
)
def test_a_bad_correction_changes_nothing(
    tracker: Tracker, change: dict[str, object], field: str
) -> None:
    make_order(tracker, "C-1")
    before = snapshot(tracker)
    with pytest.raises(InputError) as refused:
        update_client(tracker, "C-1", "tester", **change)  # type: ignore[arg-type]
    assert refused.value.field == field and snapshot(tracker) == before


def test_moving_a_client_needs_both_offices(tracker: Tracker) -> None:
    make_order(tracker, "C-1")
    add_office(tracker, "south", "South", "tester")
    staff_account(tracker, "ana", Role.CASEWORKER, ["north"])
    tracker.actor = actor_for(tracker, "ana")
    with pytest.raises(NotPermitted):
        update_client(tracker, "C-1", "ana", office="south")


def test_workbooks_are_listed_and_shown_with_their_codes(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "tester", module_ids=["WB1", "WB2"], out_root=tmp_path)
    [listed] = list_workbooks(tracker, "C-1")
    shown = show_workbook(tracker, issued.number.lower())
    assert listed == shown and shown.order == "C-1/1"
    assert [(m.module_id, m.code, m.state) for m in shown.modules] == [
        (m.module_id, m.code, "issued, not returned") for m in issued.modules
    ]
    with pytest.raises(NotFound):
        show_workbook(tracker, "WZZZZZ")


def test_a_sent_back_module_is_printed_alone_with_its_own_code(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "tester", module_ids=["WB1", "WB2"], out_root=tmp_path)
    result = checkin_one(tracker, issued.modules[0].code, "tester")
    assert result.return_id is not None
    with pytest.raises(TrackerError, match="was not sent back"):
        send_back_letter(tracker, result.return_id, tmp_path)
    mark(tracker, result.return_id, "send-back", "tester", {}, feedback="Try again")
    [back] = client_record(tracker, "C-1").sent_back  # for the client's statement
    assert (back.module_id, back.sent_back_on, back.feedback) == ("WB1", "2026-11-23", "Try again")
    assert client_record(tracker, "C-1").office == "North"
    with pytest.raises(TrackerError, match=f"workbook print {issued.number} --module WB1"):
        issue(tracker, "C-1", "tester", module_ids=["WB1"], out_root=tmp_path)
    again = reprint(tracker, issued.number, "tester", out_root=tmp_path, module="wb1")
    assert again.folder == tmp_path / f"{issued.number}-WB1"
    assert [m.code for m in again.modules] == [issued.modules[0].code]
    assert (tmp_path / issued.number / "workbook.pdf").exists()  # the rest left as it was
    assert checkin_one(tracker, issued.modules[0].code, "tester").recorded  # its second go
    with pytest.raises(NotFound, match="has no module TF1"):
        reprint(tracker, issued.number, "tester", out_root=tmp_path, module="TF1")


def test_issue_json_feeds_the_batch_printer(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "tester", module_ids=["WB1", "HC2"], out_root=tmp_path)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps(issued.as_job()) + "\n")
    [job], problems = read_jobs(jobs, tmp_path)
    assert problems == []
    assert job.module_ids == ("WB1", "HC2") and job.personal.workbook == issued.number
    assert [c.payload for c in job.checkins] == [m.payload for m in issued.modules]


def test_a_batch_names_each_client_it_could_not_issue_to(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "C-1")
    make_order(tracker, "C-2")
    update_office(tracker, "north", "tester", batch_modules=2)
    run = issue_batch(tracker, "tester", clients=["C-2", "NOPE", "C-1"], out_root=tmp_path)
    # Stand-in files (no rendering here) cannot go in a print run: named, records kept.
    assert {(s.client, s.field) for s in run.skipped} == {
        ("NOPE", "client"),
        ("C-1", "files"),
        ("C-2", "files"),
    }
    assert run.path is None
    workbooks = {w.client: w for c in ("C-1", "C-2") for w in list_workbooks(tracker, c)}
    assert [len(w.modules) for w in workbooks.values()] == [2, 2]
    with pytest.raises(TrackerError, match="an office or a list"):
        issue_batch(tracker, "tester", office="north", clients=["C-1"], out_root=tmp_path)


def test_the_overdue_list_has_a_line_a_workbook(
    tracker: Tracker, clock: Clock, tmp_path: Path
) -> None:
    make_order(tracker, "C-1")
    first = issue(tracker, "C-1", "tester", module_ids=["WB1", "WB2", "WB3"], out_root=tmp_path)
    second = issue(tracker, "C-1", "tester", module_ids=["TF1"], out_root=tmp_path)
    checkin_one(tracker, first.modules[1].code, "tester")
    clock.advance(days=40)
    lines = overdue_workbooks(tracker)
    assert {w.workbook: w.modules for w in lines} == {first.number: "WB1 WB3", second.number: "TF1"}
    assert len(lines) == 2


def test_last_returned_is_empty_until_something_comes_back(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "tester", module_ids=["WB1"], out_root=tmp_path)
    assert weekly_report(tracker).lines[0].last_returned == ""
    checkin_one(tracker, issued.modules[0].code, "tester")
    assert weekly_report(tracker).lines[0].last_returned == tracker.today().isoformat()
