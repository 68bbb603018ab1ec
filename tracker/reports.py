"""Reports for case workers: the weekly report, the overdue list, the ledger export, and
the client's own record of what they completed.

The weekly report is in `tracker.weekly` (counted by `tracker.report_sql`) and the
overdue list in `tracker.overdue`; both are imported here, where the faces find them.
Reports that may be emailed (weekly, overdue, export) name people by case reference
only; the client's name appears only in the client's own documents (`client_record`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from tracker.access import Subject, entry, keeps
from tracker.accounts import Action
from tracker.audit import fingerprint
from tracker.errors import NotFound, TrackerError
from tracker.ledger import SENT_BACK, Statement, statement
from tracker.orders import load_order
from tracker.overdue import (
    OVERDUE_COLUMNS,
    OVERDUE_WORKBOOK_COLUMNS,
    OverdueItem,
    OverdueWorkbook,
    overdue_items,
    overdue_workbooks,
)
from tracker.people import get_client, get_office
from tracker.store import Transaction
from tracker.tracker import Tracker
from tracker.weekly import (
    CHART_WEEKS,
    CSV_COLUMNS,
    DEADLINE_DAYS,
    NEAR_CAP_MINUTES,
    QUIET_DAYS,
    RETURNED,
    ReportLine,
    Thresholds,
    WeeklyReport,
    week_start,
    weekly_report,
    weekly_report_from_statements,
)

__all__ = [
    "AUDIT_COLUMN",
    "CHART_WEEKS",
    "CSV_COLUMNS",
    "DEADLINE_DAYS",
    "LEDGER_COLUMNS",
    "NEAR_CAP_MINUTES",
    "OVERDUE_COLUMNS",
    "OVERDUE_WORKBOOK_COLUMNS",
    "QUIET_DAYS",
    "RETURNED",
    "ClientRecord",
    "Completed",
    "LedgerEntry",
    "OverdueItem",
    "OverdueWorkbook",
    "ReportLine",
    "SentBack",
    "Thresholds",
    "WeeklyReport",
    "as_csv",
    "audit_fingerprint",
    "client_record",
    "export_ledger",
    "overdue_items",
    "overdue_workbooks",
    "week_start",
    "weekly_report",
    "weekly_report_from_statements",
]


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
    """Dataclass or named-tuple rows as CSV text with a header, columns in the given order.

    With `audit`, each row ends with it as `audit_fingerprint` (see `cpo audit verify`).
    """
    out = io.StringIO()
    names = [*columns, AUDIT_COLUMN] if audit else list(columns)
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        named = getattr(row, "_asdict", None)  # a NamedTuple's own
        fields = named() if named else asdict(row)
        values = {k: ("" if v is None else v) for k, v in fields.items()}
        writer.writerow({**values, AUDIT_COLUMN: audit} if audit else values)
    return out.getvalue()


AUDIT_COLUMN = "audit_fingerprint"
LEDGER_COLUMNS = tuple(LedgerEntry.__dataclass_fields__)
