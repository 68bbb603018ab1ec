"""Reports for case workers: the weekly report, the overdue list, the ledger export, and
the client's own record of what they completed.

The weekly report is counted by the database in one snapshot (`tracker.report_sql`);
every figure in it is the figure `cpo hours` shows for the same order, and
`weekly_report_from_statements` builds it from `all_statements` to check that.
Reports that may be emailed (weekly, overdue, export) name people by case reference
only; the client's name appears only in the client's own documents (`client_record`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from typing import Any

from tracker.access import Subject, entry, keeps, served_offices
from tracker.accounts import Action, NotPermitted
from tracker.audit import fingerprint
from tracker.errors import NotFound, TrackerError
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
    statement,
)
from tracker.orders import Order, load_order
from tracker.people import get_client, get_office
from tracker.policy import hours
from tracker.report_sql import OrderFigures, order_figures
from tracker.store import Transaction
from tracker.tracker import Tracker

# When a row is flagged. Settings, not judgements: the case worker decides what they mean.
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


@dataclass(frozen=True)
class ReportLine:
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


CSV_COLUMNS = tuple(ReportLine.__dataclass_fields__)


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


@dataclass(frozen=True)
class OverdueItem:
    """An issued module not back by its due date: what a case worker needs to follow up."""

    case_worker: str
    case_worker_contact: str
    client: str
    order: str
    office: str
    workbook: str
    module: str
    issued_on: str
    due_on: str
    days_overdue: int


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row with the order it belongs to, for reconciling with a case system."""

    id: int
    created_at: str
    office: str
    client: str
    order: str
    module: str
    minutes: int
    reverses: int | None
    approver: str
    reason: str


@dataclass(frozen=True)
class Completed:
    """A module the client completed, as their own record shows it."""

    module_id: str
    title: str
    minutes: int
    credited_on: str
    approver: str


@dataclass(frozen=True)
class SentBack:
    """A module sent back to the client to try again, and still waiting for them."""

    module_id: str
    title: str
    sent_back_on: str  # the day it was marked
    feedback: str


@dataclass(frozen=True)
class ClientRecord:
    """What a client completed: for the statement and certificate they keep."""

    reference: str
    name: str
    course: str
    today: date
    completed: tuple[Completed, ...]
    audit: str = ""  # the audit chain's fingerprint when the record was read
    sent_back: tuple[SentBack, ...] = ()  # modules to try again, for the statement
    office: str = ""  # the office's name, for the certificate

    @property
    def minutes(self) -> int:
        return sum(c.minutes for c in self.completed)


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
    end = (start + timedelta(days=6)).isoformat()
    weeks = [start - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]
    with t.db.read() as tx:
        if office:
            get_office(tx, office)
        audit = str(fingerprint(tx))
        activity = _activity(tx, office)
        figures, chart = order_figures(tx, t.course, office, weeks)
        overdue = _overdue_counts(_overdue(tx, today, office))
    order = {m.id: n for n, m in enumerate(t.course.modules)}
    lines = [_sql_line(f, activity, overdue, order, end, today, thresholds) for f in figures]
    lines.sort(key=lambda line: (line.case_worker, line.client, line.order))
    return WeeklyReport(office, start, today, tuple(lines), chart, thresholds, audit)


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


def _sql_line(
    f: OrderFigures,
    activity: dict[int, str],
    overdue: dict[str, int],
    order: dict[str, int],
    end: str,
    today: date,
    thresholds: Thresholds,
) -> ReportLine:
    counts = f.states
    left = max(0, f.cap - f.to_date)
    refused = sorted(f.refused, key=lambda r: order[r[0]])
    states = list(counts.elements())
    statement = _Figures(f.order)
    flags = _flags(statement, states, left, activity.get(f.order.id), today, thresholds)
    return ReportLine(
        case_worker=f.case_worker,
        client=f.order.client_reference,
        order=f.order.reference,
        office=f.office,
        jurisdiction=f.order.jurisdiction,
        deadline=f.order.deadline,
        ordered_minutes=f.order.minutes,
        cap_minutes=f.cap,
        credited_week_minutes=f.week,
        credited_to_date_minutes=f.to_date,
        allowance_left_minutes=left,
        issued=sum(counts.values()),
        returned=sum(counts[state] for state in RETURNED),
        accepted=counts[CREDITED] + counts[ACCEPTED],
        completed_without_credit=counts[ACCEPTED],
        awaiting_marking=counts[AWAITING],
        sent_back=counts[SENT_BACK],
        refused=counts[REFUSED],
        refused_reasons="; ".join(f"{module}: {why}" for module, why in refused),
        overdue=overdue.get(f.order.reference, 0),
        last_returned=activity.get(f.order.id, ""),
        flags="; ".join(flags),
    )


@dataclass(frozen=True)
class _Figures:
    """What `_flags` reads of a statement: its order."""

    order: Order


def _people(tx: Transaction, office: str | None) -> dict[str, tuple[str, str]]:
    """Each client's (case worker, office code), by reference."""
    rows = tx.all(
        "SELECT c.reference, c.case_worker, f.code FROM clients c "
        "JOIN offices f ON f.id = c.office_id" + (" WHERE f.code = ?" if office else ""),
        (office,) if office else (),
    )
    return {r["reference"]: (r["case_worker"], r["code"]) for r in rows}


def _activity(tx: Transaction, office: str | None) -> dict[int, str]:
    """Each order's latest day something came back (or, if nothing has, its first issue)."""
    rows = tx.all(
        "SELECT w.order_id, MAX(r.received_at) AS returned, MIN(w.issued_on) AS issued "
        "FROM workbooks w JOIN tokens k ON k.workbook_id = w.id "
        "LEFT JOIN returns r ON r.token_id = k.id "
        "JOIN clients c ON c.id = w.client_id JOIN offices f ON f.id = c.office_id "
        + ("WHERE f.code = ? " if office else "")
        + "GROUP BY w.order_id",
        (office,) if office else (),
    )
    return {r["order_id"]: (r["returned"] or r["issued"])[:10] for r in rows}


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
    activity: dict[int, str],
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
    flags = _flags(s, states, left, activity.get(s.order.id), today, thresholds)
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
        last_returned=activity.get(s.order.id, ""),
        flags="; ".join(flags),
    )


def _flags(
    s: Statement | _Figures,
    states: list[str],
    left: int,
    last_activity: str | None,
    today: date,
    thresholds: Thresholds,
) -> list[str]:
    flags = []
    if left == 0:
        flags.append("allowance used")
    elif left <= thresholds.near_cap_minutes:
        flags.append(f"allowance nearly used ({hours(left)} left)")
    days = (date.fromisoformat(s.order.deadline) - today).days
    if days < 0:
        flags.append(f"deadline passed {-days} days ago")
    elif days <= thresholds.deadline_days:
        flags.append(f"deadline in {days} days")
    unpaid = states.count(ACCEPTED)
    if unpaid:
        flags.append(f"{unpaid} completed without credit")
    if ISSUED in states and last_activity:
        quiet = (today - date.fromisoformat(last_activity)).days
        if quiet >= thresholds.quiet_days:
            flags.append(f"nothing returned for {quiet} days")
    return flags


@entry(Action.READ_RECORDS)
def overdue_items(t: Tracker, office: str | None = None) -> list[OverdueItem]:
    """Modules out in a live workbook past its due date and never returned, by case worker.

    A module counts once it is due and nothing has come back for it on its order; it
    says nothing about why. Whether a reason is good enough is the case worker's call.
    """
    today = t.today()
    office, _ = served_offices(t, office)
    with t.db.read() as tx:
        if office:
            get_office(tx, office)
        return [item for item in _overdue(tx, today, office) if keeps(t, item.office)]


def _overdue(tx: Transaction, today: date, office: str | None) -> list[OverdueItem]:
    """The overdue modules, read inside `tx`."""
    rows = tx.all(
        "SELECT c.case_worker, c.case_worker_contact, c.reference, o.number, f.code,"
        " w.number AS workbook, k.module_id, w.issued_on, w.due_on "
        "FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
        "JOIN orders o ON o.id = w.order_id JOIN clients c ON c.id = o.client_id "
        "JOIN offices f ON f.id = c.office_id "
        "WHERE w.revoked_at IS NULL AND w.due_on < ? "
        + ("AND f.code = ? " if office else "")
        + "AND NOT EXISTS (SELECT 1 FROM returns r JOIN tokens k2 ON k2.id = r.token_id"
        " JOIN workbooks w2 ON w2.id = k2.workbook_id"
        " WHERE w2.order_id = w.order_id AND k2.module_id = k.module_id) "
        "AND (SELECT COALESCE(SUM(x.minutes), 0) FROM credits x"
        " WHERE x.order_id = w.order_id AND x.module_id = k.module_id) <= 0 "
        "ORDER BY c.case_worker, c.reference, o.number, w.due_on, k.module_id",
        (today.isoformat(), office) if office else (today.isoformat(),),
    )
    return [
        OverdueItem(
            case_worker=r["case_worker"],
            case_worker_contact=r["case_worker_contact"],
            client=r["reference"],
            order=f"{r['reference']}/{r['number']}",
            office=r["code"],
            workbook=r["workbook"],
            module=r["module_id"],
            issued_on=r["issued_on"],
            due_on=r["due_on"],
            days_overdue=(today - date.fromisoformat(r["due_on"])).days,
        )
        for r in rows
    ]


@entry(Action.READ_RECORDS)
def export_ledger(t: Tracker, first: date, last: date) -> list[LedgerEntry]:
    """The ledger rows entered from `first` to `last` (both days included), oldest first."""
    if last < first:
        raise TrackerError(f"the range ends ({last}) before it starts ({first})")
    with t.db.read() as tx:
        rows = tx.all(
            "SELECT x.*, c.reference, o.number, f.code FROM credits x "
            "JOIN orders o ON o.id = x.order_id JOIN clients c ON c.id = o.client_id "
            "JOIN offices f ON f.id = c.office_id "
            "WHERE x.created_at >= ? AND x.created_at < ? ORDER BY x.id",
            (first.isoformat(), (last + timedelta(days=1)).isoformat()),
        )
    return [
        LedgerEntry(
            id=r["id"],
            created_at=r["created_at"],
            office=r["code"],
            client=r["reference"],
            order=f"{r['reference']}/{r['number']}",
            module=r["module_id"],
            minutes=r["minutes"],
            reverses=r["reverses"],
            approver=r["approver"],
            reason=r["reason"],
        )
        for r in rows
        if keeps(t, r["code"])
    ]


@entry(Action.READ_RECORDS, Subject.CLIENT, "reference")
def client_record(t: Tracker, reference: str) -> ClientRecord:
    """The modules a client has completed and been credited for, on all their orders."""
    with t.db.read() as tx:
        client = get_client(tx, reference)
        audit = str(fingerprint(tx))
        ids = tx.all("SELECT id FROM orders WHERE client_id = ? ORDER BY number", (client.id,))
        if not ids:
            raise NotFound(f"{client.reference} has no order yet: add one with `cpo order add`")
        statements = [statement(t, tx, load_order(tx, r["id"])) for r in ids]
        office = get_office(tx, client.office).name
        sent_back = _sent_back(t, tx, statements)
    completed = []
    for s in statements:
        for m in s.modules:
            if m.minutes <= 0:
                continue
            live = [r for r in s.ledger if r.module_id == m.module_id and r.minutes > 0]
            latest = live[-1]  # net credit is positive, so a live credit exists
            completed.append(
                Completed(m.module_id, m.title, m.minutes, latest.created_at[:10], latest.approver)
            )
    completed.sort(key=lambda c: (c.credited_on, c.module_id))
    return ClientRecord(
        client.reference,
        client.name,
        t.course.title,
        t.today(),
        tuple(completed),
        audit,
        sent_back,
        office,
    )


def _sent_back(t: Tracker, tx: Transaction, statements: list[Statement]) -> tuple[SentBack, ...]:
    """The modules whose latest return was sent back, with the day and the marker's words."""
    out = []
    for s in statements:
        for m in s.modules:
            if m.state != SENT_BACK:
                continue
            row = tx.one(
                "SELECT m.marked_at, m.feedback FROM marks m JOIN returns r ON r.id = m.return_id"
                " JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id"
                " WHERE w.order_id = ? AND k.module_id = ? AND m.decision = 'send-back'"
                " ORDER BY m.id DESC",
                (s.order.id, m.module_id),
            )
            if row is not None:
                out.append(SentBack(m.module_id, m.title, row["marked_at"][:10], row["feedback"]))
    return tuple(out)


def audit_fingerprint(t: Tracker) -> str:
    """The audit chain's fingerprint now, to print on what leaves the office (ID:HASH)."""
    with t.db.read() as tx:
        return str(fingerprint(tx))


def as_csv(rows: Sequence[Any], columns: Sequence[str], audit: str = "") -> str:
    """Dataclass rows as CSV text with a header, columns in the given order.

    With `audit`, each row ends with it as `audit_fingerprint` (see `cpo audit verify`).
    """
    out = io.StringIO()
    names = [*columns, AUDIT_COLUMN] if audit else list(columns)
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = {k: ("" if v is None else v) for k, v in asdict(row).items()}
        writer.writerow({**values, AUDIT_COLUMN: audit} if audit else values)
    return out.getvalue()


AUDIT_COLUMN = "audit_fingerprint"
OVERDUE_COLUMNS = tuple(OverdueItem.__dataclass_fields__)
LEDGER_COLUMNS = tuple(LedgerEntry.__dataclass_fields__)
