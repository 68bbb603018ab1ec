"""The weekly report for case workers: a row per order, by case worker, with a chart.

It is counted by the database in one snapshot (`tracker.report_sql`); every figure in it
is the figure `cpo hours` shows for the same order, and `weekly_report_from_statements`
builds it from `all_statements` to check that. It names people by case reference only,
so it may be emailed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from typing import NamedTuple

from tracker.access import entry, served_offices
from tracker.accounts import Action, NotPermitted
from tracker.audit import fingerprint
from tracker.errors import TrackerError
from tracker.ledger import (
    ACCEPTED,
    AWAITING,
    CREDITED,
    ISSUED,
    NOT_ISSUED,
    REFUSED,
    SENT_BACK,
    Statement,
    all_statements,
)
from tracker.overdue import OverdueItem, overdue_items
from tracker.people import get_office
from tracker.policy import hours
from tracker.report_rows import keep
from tracker.report_sql import OrderFigures, order_figures
from tracker.store import Transaction
from tracker.tracker import Tracker

NEAR_CAP_MINUTES = 4 * 60  # two modules' guided time or less left of the allowance
DEADLINE_DAYS = 28  # the deadline is this many days away or fewer
QUIET_DAYS = 21  # modules are out and nothing has come back for this many days
CHART_WEEKS = 8  # the chart shows this many weeks, ending with the report's week

RETURNED = frozenset({CREDITED, ACCEPTED, AWAITING, SENT_BACK, REFUSED})


@dataclass(frozen=True)
class Thresholds:
    """When the weekly report raises a flag."""

    near_cap_minutes: int = NEAR_CAP_MINUTES
    deadline_days: int = DEADLINE_DAYS
    quiet_days: int = QUIET_DAYS


class ReportLine(NamedTuple):  # not a frozen dataclass: made once an order, twice as quick
    """One order's row in the weekly report: figures in whole minutes, no names."""

    case_worker: str
    client: str
    order: str
    office: str
    jurisdiction: str
    deadline: str
    ordered_minutes: int
    cap_minutes: int
    credited_week_minutes: int
    credited_to_date_minutes: int
    allowance_left_minutes: int
    issued: int
    returned: int
    accepted: int
    completed_without_credit: int  # accepted when no hours were left: `cpo credit pending`
    awaiting_marking: int
    sent_back: int
    refused: int
    refused_reasons: str
    overdue: int
    last_returned: str
    flags: str


CSV_COLUMNS = ReportLine._fields


@dataclass(frozen=True)
class WeeklyReport:
    """The weekly report of one office (or all): a row per order, by case worker."""

    office: str | None
    week_start: date
    today: date
    lines: tuple[ReportLine, ...]
    weekly_minutes: tuple[tuple[date, int], ...]  # minutes credited in each chart week
    thresholds: Thresholds = field(default_factory=Thresholds)
    audit: str = ""  # the audit chain's fingerprint when the report was made

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    def by_case_worker(self) -> list[tuple[str, list[ReportLine]]]:
        return [(k, list(g)) for k, g in groupby(self.lines, key=lambda line: line.case_worker)]


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@entry(Action.READ_RECORDS)
def weekly_report(
    t: Tracker,
    office: str | None = None,
    week: date | None = None,
    thresholds: Thresholds = Thresholds(),
) -> WeeklyReport:
    """The week's report (the week holding `week`, default this week), by case worker.

    Read in one transaction, so every figure comes from the same moment of the records.
    """
    office, several = served_offices(t, office)
    if several is not None:
        raise NotPermitted("office", "you serve several offices: name one for the report")
    today = t.today()
    start = _week_to_report(week, today)
    weeks = [start - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]
    with t.db.read() as tx:
        if office:
            get_office(tx, office)
        audit = str(fingerprint(tx))
        figures, chart, counted = order_figures(tx, t.course, office, weeks, today)
    keep(t.db, counted)  # after the snapshot: the next report counts fewer orders again
    days = _Days(today)
    lines = [_sql_line(f, days, thresholds) for f in figures]
    lines.sort(key=lambda line: (line.case_worker, line.client, line.order))
    return WeeklyReport(office, start, today, tuple(lines), chart, thresholds, audit)


@entry(Action.READ_RECORDS)
def weekly_report_from_statements(
    t: Tracker,
    office: str | None = None,
    week: date | None = None,
    thresholds: Thresholds = Thresholds(),
) -> WeeklyReport:
    """The same report built in Python from every order's statement (the reference)."""
    today = t.today()
    start = _week_to_report(week, today)
    with t.db.read() as tx:
        if office:
            get_office(tx, office)
        audit = str(fingerprint(tx))  # read first: the chain holds at least this much
        people = _people(tx, office)
        activity = _activity(tx, office)
    statements = all_statements(t, office)
    overdue = _overdue_counts(overdue_items(t, office))
    end = (start + timedelta(days=6)).isoformat()
    lines = [_line(s, people, activity, overdue, start, end, today, thresholds) for s in statements]
    lines.sort(key=lambda line: (line.case_worker, line.client, line.order))
    chart = _weekly_minutes(statements, start)
    return WeeklyReport(office, start, today, tuple(lines), chart, thresholds, audit)


def _week_to_report(week: date | None, today: date) -> date:
    start = week_start(week or today)
    if start > today:
        raise TrackerError(f"the week of {start} has not started yet (today is {today})")
    return start


class _Days(dict[str, int]):
    """Days from `today` to each ISO date asked for, each worked out once a report."""

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    def __missing__(self, day: str) -> int:
        self[day] = n = (date.fromisoformat(day) - self.today).days
        return n


def _sql_line(f: OrderFigures, days: _Days, thresholds: Thresholds) -> ReportLine:
    s = f.summary
    credited, reversed_, unpaid, awaiting, sent_back, refused, out = s.counts
    left = max(0, f.cap - f.to_date)
    deadline = f.deadline
    since = s.last_returned or s.first_issued or None
    return ReportLine(
        case_worker=f.case_worker,
        client=f.client,
        order=f"{f.client}/{f.number}",
        office=f.office,
        jurisdiction=f.jurisdiction,
        deadline=deadline,
        ordered_minutes=f.minutes,
        cap_minutes=f.cap,
        credited_week_minutes=f.week,
        credited_to_date_minutes=f.to_date,
        allowance_left_minutes=left,
        issued=credited + reversed_ + unpaid + awaiting + sent_back + refused + out,
        returned=credited + unpaid + awaiting + sent_back + refused,
        accepted=credited + unpaid,
        completed_without_credit=unpaid,
        awaiting_marking=awaiting,
        sent_back=sent_back,
        refused=refused,
        refused_reasons=s.refused_reasons,
        overdue=f.overdue,
        last_returned=s.last_returned,
        flags="; ".join(_flags(days[deadline], unpaid, out, left, since, days, thresholds)),
    )


def _people(tx: Transaction, office: str | None) -> dict[str, tuple[str, str]]:
    """Each client's (case worker, office code), by reference."""
    rows = tx.all(
        "SELECT c.reference, c.case_worker, f.code FROM clients c "
        "JOIN offices f ON f.id = c.office_id" + (" WHERE f.code = ?" if office else ""),
        (office,) if office else (),
    )
    return {r["reference"]: (r["case_worker"], r["code"]) for r in rows}


def _since(activity: dict[int, tuple[str, str]], order_id: int) -> str | None:
    """The day an order was last active: something came back, or else it was first issued."""
    returned, issued = activity.get(order_id, ("", ""))
    return returned or issued or None


def _activity(tx: Transaction, office: str | None) -> dict[int, tuple[str, str]]:
    """Each order's latest day something came back ("" if nothing has) and its first issue."""
    rows = tx.tuples(
        "SELECT w.order_id, MAX(r.received_at), MIN(w.issued_on) "
        "FROM workbooks w JOIN tokens k ON k.workbook_id = w.id "
        "LEFT JOIN returns r ON r.token_id = k.id "
        "JOIN clients c ON c.id = w.client_id JOIN offices f ON f.id = c.office_id "
        + ("WHERE f.code = ? " if office else "")
        + "GROUP BY w.order_id",
        (office,) if office else (),
    )
    return {order: ((returned or "")[:10], issued[:10]) for order, returned, issued in rows}


def _overdue_counts(items: Iterable[OverdueItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.order] = counts.get(item.order, 0) + 1
    return counts


def _weekly_minutes(statements: Iterable[Statement], last: date) -> tuple[tuple[date, int], ...]:
    """Net minutes entered in the ledgers in each chart week, ending with `last`'s week."""
    weeks = [last - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]
    first, end = weeks[0].isoformat(), (last + timedelta(days=6)).isoformat()
    totals = dict.fromkeys(weeks, 0)
    for s in statements:
        for r in s.ledger:
            day = r.created_at[:10]
            if first <= day <= end:
                totals[_week_of(day)] += r.minutes
    return tuple(totals.items())


@cache
def _week_of(day: str) -> date:
    return week_start(date.fromisoformat(day))


def _line(
    s: Statement,
    people: dict[str, tuple[str, str]],
    activity: dict[int, tuple[str, str]],
    overdue: dict[str, int],
    start: date,
    end: str,
    today: date,
    thresholds: Thresholds,
) -> ReportLine:
    states = [m.state for m in s.modules]
    counts = Counter(states)
    low, to_date, week = start.isoformat(), 0, 0
    for r in s.ledger:
        day = r.created_at[:10]
        if day <= end:
            to_date += r.minutes
            if day >= low:
                week += r.minutes
    left = max(0, s.cap - to_date)
    case_worker, office = people[s.order.client_reference]
    refused = [f"{m.module_id}: {m.note}" for m in s.modules if m.state == REFUSED]
    days = _Days(today)
    since = _since(activity, s.order.id)
    flags = _flags(
        days[s.order.deadline], counts[ACCEPTED], counts[ISSUED], left, since, days, thresholds
    )
    return ReportLine(
        case_worker=case_worker,
        client=s.order.client_reference,
        order=s.order.reference,
        office=office,
        jurisdiction=s.order.jurisdiction,
        deadline=s.order.deadline,
        ordered_minutes=s.order.minutes,
        cap_minutes=s.cap,
        credited_week_minutes=week,
        credited_to_date_minutes=to_date,
        allowance_left_minutes=left,
        issued=len(states) - counts[NOT_ISSUED],
        returned=sum(counts[state] for state in RETURNED),
        accepted=counts[CREDITED] + counts[ACCEPTED],
        completed_without_credit=counts[ACCEPTED],
        awaiting_marking=counts[AWAITING],
        sent_back=counts[SENT_BACK],
        refused=counts[REFUSED],
        refused_reasons="; ".join(refused),
        overdue=overdue.get(s.order.reference, 0),
        last_returned=activity.get(s.order.id, ("", ""))[0],
        flags="; ".join(flags),
    )


def _flags(
    until_deadline: int,
    unpaid: int,
    out: int,
    left: int,
    last_activity: str | None,
    days: _Days,
    thresholds: Thresholds,
) -> list[str]:
    flags = []
    if left == 0:
        flags.append("allowance used")
    elif left <= thresholds.near_cap_minutes:
        flags.append(f"allowance nearly used ({hours(left)} left)")
    if until_deadline < 0:
        flags.append(f"deadline passed {-until_deadline} days ago")
    elif until_deadline <= thresholds.deadline_days:
        flags.append(f"deadline in {until_deadline} days")
    if unpaid:
        flags.append(f"{unpaid} completed without credit")
    if out and last_activity:
        quiet = -days[last_activity]
        if quiet >= thresholds.quiet_days:
            flags.append(f"nothing returned for {quiet} days")
    return flags
