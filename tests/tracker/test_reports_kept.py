"""The weekly report's kept rows (migration 9) always equal the figures counted from scratch
and `cpo hours`, whatever happens between reports: issues, check-ins one at a time and
in groups, marks, credits, reversals, revocations, late credit, adjustments, days passing.
On both engines."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import make_order
from tests.tracker.racers import module_of
from tests.tracker.seed import seed
from tests.tracker.test_reports_sql import records
from tracker.audit import verify
from tracker.checkins import checkin, checkin_groups
from tracker.errors import TrackerError
from tracker.issuing import issue, revoke
from tracker.ledger import hours_statement, reverse_credit
from tracker.marking import credit_pending, mark
from tracker.orders import adjust_order
from tracker.report_rows import SUMMARY_COLUMNS, Summary, count_changed, recount
from tracker.reports import weekly_report, weekly_report_from_statements
from tracker.tracker import Tracker

CLIENTS = ("K-1", "K-2", "K-3")
MODULES = ("WB1", "WB2", "WB3")

# One step: what to do, two numbers choosing whom or what it is done to, and whether a
# report (which keeps its rows) follows.
STEP = st.tuples(
    st.sampled_from(
        [
            "issue",
            "checkin",
            "checkin-group",
            "accept",
            "send-back",
            "refuse",
            "revoke",
            "reverse",
            "adjust",
            "credit-pending",
            "days",
            "report",
            "take-out",
        ]
    ),
    st.integers(0, 50),
    st.integers(0, 50),
    st.booleans(),
)


def do(t: Tracker, step: tuple[str, int, int, bool], out: Path) -> None:
    """Do one step through the library, as staff would; a step the rules refuse is skipped."""
    action, a, b, report = step
    with t.db.read() as tx:
        codes = [r[0] for r in tx.tuples("SELECT code FROM tokens ORDER BY id")]
        waiting = [
            r[0]
            for r in tx.tuples(
                "SELECT r.id FROM returns r LEFT JOIN marks m ON m.return_id = r.id"
                " WHERE m.id IS NULL ORDER BY r.id"
            )
        ]
        live = [r[0] for r in tx.tuples("SELECT id FROM credits ORDER BY id")]
        books = [r[0] for r in tx.tuples("SELECT number FROM workbooks WHERE revoked_at IS NULL")]
    client = CLIENTS[a % len(CLIENTS)]
    try:
        if action == "issue":
            chosen = [m for n, m in enumerate(MODULES) if (b >> n) & 1] or [MODULES[b % 3]]
            issue(t, client, "tester", module_ids=chosen, out_root=out)
        elif action == "checkin" and codes:
            list(checkin(t, [codes[a % len(codes)]], "tester"))
        elif action == "checkin-group" and codes:
            group = [codes[(a + n) % len(codes)] for n in range(1 + b % 4)]
            list(checkin_groups(t, [group], "tester"))
        elif action in ("accept", "send-back", "refuse") and waiting:
            return_id = waiting[a % len(waiting)]
            tried = {x.id: True for x in t.course.module(module_of(t, return_id)).activities}
            mark(
                t,
                return_id,
                action,
                "Marker",
                tried,
                declared_minutes=60 + b if action == "accept" else None,
                feedback="Try activity 2 again" if action == "send-back" else "",
                reason="Another person's pages" if action == "refuse" else "",
            )
        elif action == "revoke" and books:
            revoke(t, books[a % len(books)], "lost in the post", "tester")
        elif action == "reverse" and live:
            reverse_credit(t, live[a % len(live)], "wrong order", "tester")
        elif action == "adjust":
            day = t.today()
            adjust_order(t, f"{client}/1", "tester", "court varied it", day, -60 * (1 + b % 90))
        elif action == "credit-pending":
            credit_pending(t, f"{client}/1", "tester")
        elif action == "days":
            t.clock.advance(days=1 + b % 30)  # type: ignore[attr-defined]
        elif action == "take-out" and waiting:
            _take_out(t, waiting[a % len(waiting)])
        elif action == "report":
            weekly_report(t, "north")  # keeps its rows
    except TrackerError:
        pass  # refused by the rules (a second credit, a reversal of a reversal...): skipped
    if report:
        weekly_report(t, "north")


def _take_out(t: Tracker, return_id: int) -> None:
    """Remove an unmarked return, as intake's corrections remove one left with no pages."""
    with t.db.write() as tx:
        tx.execute("DELETE FROM returns WHERE id = ?", (return_id,))
        t.audit(tx, "tester", "intake.uncode", f"R{return_id}", return_removed=True)


def kept_equal_counted(t: Tracker) -> None:
    """The kept rows, where nothing changed since they were kept, equal a count from scratch."""
    modules = [m.id for m in t.course.modules]
    with t.db.read() as tx:
        changed = count_changed(tx, modules).orders
        everything = [r[0] for r in tx.tuples("SELECT id FROM orders ORDER BY id")]
        fresh, out = recount(tx, everything, modules)
        kept = {Summary(*r) for r in tx.tuples(f"SELECT {SUMMARY_COLUMNS} FROM report_orders")}
        kept_out = set(tx.tuples("SELECT token_id, order_id, due_on FROM report_out"))
    assert {s for s in kept if s.order_id not in changed} == {
        s for s in fresh if s.order_id not in changed
    }
    assert {o for o in kept_out if o[1] not in changed} == {
        tuple(o) for o in out if o.order_id not in changed
    }


def reconciles(t: Tracker) -> None:
    """The report (kept rows and all) is the statements' report and `cpo hours`, to the figure."""
    report = weekly_report(t, "north")
    assert report == weekly_report_from_statements(t, "north")
    last_week = t.today() - timedelta(weeks=1)
    assert weekly_report(t, "north", last_week) == weekly_report_from_statements(
        t, "north", last_week
    )
    for line in report.lines:
        hours = hours_statement(t, line.order)
        assert line.credited_to_date_minutes == hours.credited
        assert line.cap_minutes == hours.cap


def start(t: Tracker, out: Path) -> None:
    """Three clients with every module out; one has sent all back, one was credited."""
    for client in CLIENTS:
        make_order(t, client)
        issued = issue(t, client, "tester", module_ids=list(MODULES), out_root=out)
        if client == CLIENTS[0]:
            list(checkin(t, [m.code for m in issued.modules], "tester"))
    do(t, ("accept", 0, 30, True), out)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_kept_rows_always_equal_the_records_counted_again(
    request: pytest.FixtureRequest,
    db_url: str,
    tmp_path: Path,
    steps: list[tuple[str, int, int, bool]],
) -> None:
    with records(request, db_url, tmp_path) as t:
        start(t, tmp_path / "issues")
        for step in steps:
            do(t, step, tmp_path / "issues")
            kept_equal_counted(t)
        reconciles(t)
        kept_equal_counted(t)
        reconciles(t)  # once more: now from the rows the last report kept
        assert verify(t.db, t.audit_key).ok  # keeping rows is not a change to the records


def test_a_report_keeps_its_rows_and_the_next_counts_only_what_changed(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> None:
    with records(request, db_url, tmp_path) as t:
        seed(t, {"north": 40}, modules=(3, 12), rng_seed=5)
        order = make_order(t, "K-1")
        issued = issue(t, "K-1", "tester", module_ids=["WB1"], out_root=tmp_path / "issues")
        modules = [m.id for m in t.course.modules]
        with t.db.read() as tx:
            assert len(count_changed(tx, modules).orders) == 41  # nothing kept yet
        first = weekly_report(t, "north")
        with t.db.read() as tx:
            assert not count_changed(tx, modules).orders  # all kept
        list(checkin(t, [issued.modules[0].code], "tester"))
        with t.db.read() as tx:
            assert count_changed(tx, modules).orders == {order.id}
        again = weekly_report(t, "north")  # counts order 1 again, and keeps it
        assert again == weekly_report_from_statements(t, "north")
        assert again.audit == weekly_report(t, "north").audit  # keeping is not a record
        assert first.audit != again.audit  # the check-in is


def test_a_course_with_other_modules_counts_every_order_again(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> None:
    with records(request, db_url, tmp_path) as t:
        seed(t, {"north": 10}, modules=(3, 12), rng_seed=9)
        weekly_report(t, "north")
        fewer = [m.id for m in t.course.modules][1:]
        with t.db.read() as tx:
            assert len(count_changed(tx, fewer).orders) == 10


def test_every_order_of_an_office_is_read_once(tracker: Tracker) -> None:
    make_order(tracker, "K-1")
    report = weekly_report(tracker, "north")
    assert [line.order for line in report.lines] == ["K-1/1"]
    assert report.lines[0].issued == 0 and report.lines[0].credited_to_date_minutes == 0
    assert date.fromisoformat(report.lines[0].deadline) == date(2027, 5, 1)
