"""The reads behind the staff web app's pages, on both engines, scoped like every entry point."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.tracker.conftest import Clock, make_order, staff_account
from tests.tracker.test_audit_trust import tamper
from tests.tracker.test_records import all_tried
from tracker.accounts import NotPermitted, Role, actor_for
from tracker.checkins import checkin_one
from tracker.dashboard import (
    audit_status,
    client_summary,
    default_modules,
    find_clients,
    flagged_orders,
    intake_counts,
    offices_served,
    overdue_now,
)
from tracker.errors import TrackerError
from tracker.intake.evidence import return_evidence
from tracker.issuing import issue
from tracker.kept import Kept
from tracker.marking import mark, pending
from tracker.reports import overdue_items
from tracker.tracker import Tracker


def pages_arrived(t: Tracker, return_id: int, numbers: list[int], count: int) -> None:
    """Intake's rows for pages of a return that came in (a test's shortcut past scanning)."""
    with t.db.write() as tx:
        file_id = tx.insert(
            "INSERT INTO intake_files (sha256, name, kind, size_bytes, items, taken_at, taken_by)"
            " VALUES (?, 'scan.pdf', 'pdf', 10, ?, ?, 'tester')",
            (f"{return_id:064d}", len(numbers) + 1, t.now()),
        )
        for position, number in enumerate(numbers, start=1):
            tx.execute(
                "INSERT INTO intake_pages (file_id, position, class, page_number, page_count,"
                " return_id) VALUES (?, ?, 'ours', ?, ?, ?)",
                (file_id, position, number, count, return_id),
            )
        tx.execute(
            "INSERT INTO intake_pages (file_id, position, class, reason)"
            " VALUES (?, ?, 'unreadable', 'no code found')",
            (file_id, len(numbers) + 1),
        )


def test_a_facilitator_counts_only_their_offices_returns(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "N-1")
    make_order(tracker, "S-1", office="south")
    returns = {}
    for client in ("N-1", "S-1"):
        issued = issue(tracker, client, "x", out_root=tmp_path / "out")
        returns[client] = [checkin_one(tracker, m.code, "x").return_id for m in issued.modules[:3]]
    tried = all_tried(tracker, "WB1")
    mark(tracker, returns["N-1"][0], "accept", "x", tried, 60)
    pages_arrived(tracker, returns["N-1"][1], [1, 2], 4)  # pages 3 and 4 did not come
    pages_arrived(tracker, returns["N-1"][2], [1, 2, 3, 4], 4)  # every page came
    pages_arrived(tracker, returns["S-1"][0], [1, 2, 3, 4], 4)
    staff_account(tracker, "north-fac", Role.FACILITATOR, ["north"])
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    tracker.actor = actor_for(tracker, "north-fac")
    counts = intake_counts(tracker)
    assert (counts.waiting, counts.pages_missing, counts.unreadable) == (2, 1, 3)
    # The same rule as the marker's page: a return counts when its evidence lacks pages.
    lacking = [
        p.return_id for p in pending(tracker) if return_evidence(tracker, p.return_id).missing_pages
    ]
    assert len(lacking) == counts.pages_missing
    tracker.actor = actor_for(tracker, "south-cw")
    with pytest.raises(NotPermitted, match="caseworker may not mark"):
        intake_counts(tracker)


def test_search_finds_by_reference_or_name_in_your_offices_only(tracker: Tracker) -> None:
    make_order(tracker, "N-1")
    make_order(tracker, "N-2")
    make_order(tracker, "S-1", office="south")
    assert [c.reference for c in find_clients(tracker, "client n")] == ["N-1", "N-2"]
    assert [c.reference for c in find_clients(tracker, "s-1")] == ["S-1"]
    assert find_clients(tracker, "%") == [] and find_clients(tracker, "_") == []
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    tracker.actor = actor_for(tracker, "south-cw")
    assert [c.reference for c in find_clients(tracker, "client")] == ["S-1"]
    assert [o.code for o in offices_served(tracker)] == ["south"]
    with pytest.raises(TrackerError, match="type part of"):
        find_clients(tracker, "  ")
    with pytest.raises(NotPermitted, match="no client"):
        client_summary(tracker, "N-1")


def test_a_clients_page_and_the_default_modules_match_what_issue_does(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    chosen, why = default_modules(tracker, "N-1/1")
    assert chosen and why == ""
    issued = issue(tracker, "N-1", "x", out_root=tmp_path / "out")
    assert [m.module_id for m in issued.modules] == chosen
    summary = client_summary(tracker, "N-1")
    assert [o.reference for o in summary.orders] == ["N-1/1"]
    assert [(w.number, list(w.modules)) for w in summary.workbooks] == [(issued.number, chosen)]
    again, why = default_modules(tracker, "N-1/1")
    assert again == [] and "nothing to issue" in why


def test_audit_status_names_problems_to_an_admin_only(tracker: Tracker) -> None:
    make_order(tracker, "N-1")
    assert audit_status(tracker).ok
    tamper(tracker, "UPDATE orders SET ordered_minutes = 9000")  # a change outside cpo
    status = audit_status(tracker)
    assert not status.ok and status.problems
    staff_account(tracker, "north-cw", Role.CASEWORKER, ["north"])
    tracker.actor = actor_for(tracker, "north-cw")
    status = audit_status(tracker)
    assert not status.ok and status.problems == ()


def test_this_weeks_report_is_made_again_only_when_the_records_change(tracker: Tracker) -> None:
    from tracker.dashboard import this_weeks_report

    make_order(tracker, "N-1")
    first = this_weeks_report(tracker, "north")
    assert this_weeks_report(tracker, "north") is first  # nothing changed: the same report
    make_order(tracker, "N-2")
    again = this_weeks_report(tracker, "north")
    assert again is not first and [line.client for line in again.lines] == ["N-1", "N-2"]
    make_order(tracker, "S-1", office="south")
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    tracker.actor = actor_for(tracker, "south-cw")
    with pytest.raises(NotPermitted, match="office"):
        this_weeks_report(tracker, "north")  # a report kept for north is still north's
    assert [line.client for line in this_weeks_report(tracker).lines] == ["S-1"]


def test_intake_counts_are_kept_only_while_the_records_stay_the_same(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    issued = issue(tracker, "N-1", "x", out_root=tmp_path / "out")
    checkin_one(tracker, issued.modules[0].code, "x")
    assert intake_counts(tracker).waiting == 1
    assert intake_counts(tracker) is intake_counts(tracker)  # nothing changed: counted once
    checkin_one(tracker, issued.modules[1].code, "x")
    assert intake_counts(tracker).waiting == 2  # a return came in: counted again


def test_the_overdue_list_kept_is_the_overdue_list_and_scoped(
    tracker: Tracker, clock: Clock, tmp_path: Path
) -> None:
    from tests.tracker.test_reports import a_month

    a_month(tracker, clock, tmp_path)
    assert overdue_now(tracker) == overdue_items(tracker) != []
    assert overdue_now(tracker, "north") == overdue_items(tracker, "north")
    clock.advance(days=1)  # a day later, each is a day more overdue
    assert [i.days_overdue for i in overdue_now(tracker)] == [8, 8]
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    tracker.actor = actor_for(tracker, "south-cw")
    assert overdue_now(tracker) == [] == overdue_items(tracker)  # not north's list, kept
    with pytest.raises(NotPermitted, match="office"):
        overdue_now(tracker, "north")


def test_twenty_threads_asking_at_once_wait_for_one_computation() -> None:
    kept, made, started = Kept(), [], threading.Event()

    def make() -> str:
        made.append(1)
        started.wait(5)  # stay busy until every thread is waiting
        return "report"

    with ThreadPoolExecutor(20) as pool:
        answers = [pool.submit(kept.get, "key", make) for _ in range(20)]
        time.sleep(0.2)
        started.set()
        assert {a.result() for a in answers} == {"report"}
    assert len(made) == 1
    assert kept.get("other", lambda: "b") == "b"  # another key is made apart


def test_a_failed_computation_is_not_kept() -> None:
    kept = Kept()

    def fail() -> str:
        raise TrackerError("the records could not be read")

    with pytest.raises(TrackerError):
        kept.get("key", fail)
    assert kept.get("key", lambda: "made") == "made"


def test_flagged_orders_are_the_reports_flagged_lines(
    tracker: Tracker, clock: Clock, tmp_path: Path
) -> None:
    from tests.tracker.test_reports import a_month
    from tracker.reports import weekly_report

    a_month(tracker, clock, tmp_path)
    report = weekly_report(tracker, "north")
    wanted = [line for line in report.lines if line.flags or line.sent_back]
    found = flagged_orders(tracker, "north", most=1)
    assert wanted and found.count == len(wanted) and list(found.lines) == wanted[:1]
    assert list(flagged_orders(tracker, "north").lines) == wanted


def _until(check: Callable[[], bool]) -> bool:
    """Whether `check` comes true within a few seconds (another thread is working on it)."""
    for _ in range(200):
        if check():
            return True
        time.sleep(0.05)
    return False


def test_latest_gives_the_last_value_at_once_while_one_thread_makes_the_new() -> None:
    kept, made, release = Kept(), [], threading.Event()
    assert kept.latest("q", "head 1", lambda: "first", lambda: "unused") == ("first", True)

    def again() -> str:
        made.append(1)
        release.wait(5)  # still being made while pages ask
        return "second"

    asked = [kept.latest("q", "head 2", again, again) for _ in range(5)]
    assert asked == [("first", False)] * 5  # nobody waited for the new value
    release.set()
    assert _until(lambda: kept.latest("q", "head 2", again, again) == ("second", True))
    assert made == [1]  # made once, by one thread, however many asked
    assert kept.latest("other", "other 1", lambda: "b", again) == ("b", True)  # another question


def test_latest_after_a_failed_remake_shows_the_last_value_and_tries_again() -> None:
    kept = Kept()
    kept.latest("q", "head 1", lambda: "first", lambda: "unused")

    def fail() -> str:
        raise TrackerError("the records could not be read")

    assert kept.latest("q", "head 2", fail, fail) == ("first", False)
    assert _until(lambda: kept.latest("q", "head 2", fail, lambda: "second")[0] == "second")


def test_home_counts_not_waiting_show_the_last_count_then_the_new(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    issued = issue(tracker, "N-1", "x", out_root=tmp_path / "out")
    checkin_one(tracker, issued.modules[0].code, "x")
    first = intake_counts(tracker, wait=False)
    assert (first.waiting, first.fresh) == (1, True)  # nothing kept yet: counted now
    checkin_one(tracker, issued.modules[1].code, "x")
    assert intake_counts(tracker, wait=True).waiting == 2  # waiting: always the new count
    checkin_one(tracker, issued.modules[2].code, "x")
    at_once = intake_counts(tracker, wait=False)
    assert (at_once.waiting, at_once.fresh) == (2, False)  # the last count, said to be so
    assert _until(lambda: intake_counts(tracker, wait=False) == intake_counts(tracker))
    assert intake_counts(tracker, wait=False).waiting == 3


def test_flagged_orders_not_waiting_are_scoped_and_catch_up(
    tracker: Tracker, clock: Clock, tmp_path: Path
) -> None:
    from tests.tracker.test_reports import a_month
    from tracker.reports import weekly_report

    a_month(tracker, clock, tmp_path)
    found = flagged_orders(tracker, "north", wait=False)
    assert found.fresh and found == flagged_orders(tracker, "north")
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    admin = tracker.actor
    tracker.actor = actor_for(tracker, "south-cw")
    with pytest.raises(NotPermitted, match="office"):
        flagged_orders(tracker, "north", wait=False)  # north's, kept, is still north's
    tracker.actor = admin
    make_order(tracker, "N-9")  # a change: the report is made again, elsewhere
    assert not flagged_orders(tracker, "north", wait=False).fresh
    assert _until(lambda: flagged_orders(tracker, "north", wait=False).fresh)
    wanted = [
        line for line in weekly_report(tracker, "north").lines if line.flags or line.sent_back
    ]
    assert list(flagged_orders(tracker, "north", wait=False).lines) == wanted
