"""The overdue list: modules out in a live workbook past its due date, never returned.

It names people by case reference only, so it may be emailed. The weekly report counts
the same modules order by order (`tracker.report_sql`); the tests check the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tracker.access import entry, keeps, served_offices
from tracker.accounts import Action
from tracker.people import get_office
from tracker.store import Transaction
from tracker.tracker import Tracker

CHUNK = 500  # order ids to a query, well inside both engines' limits on parameters


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
class OverdueWorkbook:
    """A workbook with modules not back by its due date: one line to follow up, not one a module."""

    case_worker: str
    case_worker_contact: str
    client: str
    order: str
    office: str
    workbook: str
    modules: str  # the overdue modules, space-separated: "WB1 WB2 WB3"
    issued_on: str
    due_on: str
    days_overdue: int


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
        return [item for item in overdue_in(tx, today, office) if keeps(t, item.office)]


def overdue_in(
    tx: Transaction, today: date, office: str | None, orders: Sequence[int] | None = None
) -> list[OverdueItem]:
    """The overdue modules (of one office, or all; of `orders` only if given), inside `tx`."""
    if orders is None:
        return _overdue(tx, today, office, "")
    out = []
    for start in range(0, len(orders), CHUNK):
        chunk = orders[start : start + CHUNK]
        out += _overdue(tx, today, office, ",".join(str(int(n)) for n in chunk))
    return out


def _overdue(tx: Transaction, today: date, office: str | None, orders: str) -> list[OverdueItem]:
    rows = tx.all(
        "SELECT c.case_worker, c.case_worker_contact, c.reference, o.number, f.code,"
        " w.number AS workbook, k.module_id, w.issued_on, w.due_on "
        "FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
        "JOIN orders o ON o.id = w.order_id JOIN clients c ON c.id = o.client_id "
        "JOIN offices f ON f.id = c.office_id "
        "WHERE w.revoked_at IS NULL AND w.due_on < ? "
        + ("AND f.code = ? " if office else "")
        + (f"AND w.order_id IN ({orders}) " if orders else "")
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
def overdue_workbooks(t: Tracker, office: str | None = None) -> list[OverdueWorkbook]:
    """The overdue modules (see `overdue_items`) grouped by workbook, by case worker."""
    grouped: dict[str, list[OverdueItem]] = {}
    for item in overdue_items(t, office):
        grouped.setdefault(item.workbook, []).append(item)
    return [
        OverdueWorkbook(
            case_worker=items[0].case_worker,
            case_worker_contact=items[0].case_worker_contact,
            client=items[0].client,
            order=items[0].order,
            office=items[0].office,
            workbook=workbook,
            modules=" ".join(i.module for i in items),
            issued_on=items[0].issued_on,
            due_on=items[0].due_on,
            days_overdue=items[0].days_overdue,
        )
        for workbook, items in grouped.items()
    ]


OVERDUE_COLUMNS = tuple(OverdueItem.__dataclass_fields__)
OVERDUE_WORKBOOK_COLUMNS = tuple(OverdueWorkbook.__dataclass_fields__)
