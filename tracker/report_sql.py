"""The weekly report's figures, counted by the database from the kept rows, in one snapshot.

Each order's modules counted by state come from the report's kept rows
(`tracker.report_rows`, migration 9), a row an order; the orders changed since those
rows were kept are counted again from the records in the same snapshot, by the ledger's
own rules. Credit to date is the kept net less what was entered after the week; the
week's credit and the chart are read from the ledger's date index (its weeks only). The
overdue count is taken on the day from the kept due dates. `weekly_report_from_statements`
(tracker.weekly) builds the same report from `all_statements`; the tests check the two
agree, figure for figure, on both engines, before and after rows are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from builder.course import Course
from tracker.policy import Policy, get_policy
from tracker.report_rows import SUMMARY_COLUMNS, Counted, Summary, count_changed
from tracker.store import Transaction

NOTHING_ISSUED = Summary(0, 0, 0, 0, 0, 0, 0, 0, "", "", "", 0)


@dataclass
class OrderFigures:
    """One order's figures for the weekly report, as the database counted them."""

    id: int
    client: str  # the client's case reference
    number: int
    jurisdiction: str
    deadline: str  # as adjusted
    minutes: int  # ordered, as adjusted
    case_worker: str
    office: str
    cap: int
    to_date: int = 0
    week: int = 0
    summary: Summary = NOTHING_ISSUED
    overdue: int = 0

    @property
    def reference(self) -> str:
        return f"{self.client}/{self.number}"


@dataclass(frozen=True)
class Scope:
    """The orders a report covers: an office's, or every order; as SQL and its parameters."""

    office: str | None

    def orders(self, column: str, drive: bool = True) -> tuple[str, tuple[str, ...]]:
        """A condition that `column` is one of the orders in scope; with `drive` false, a
        check on rows found by other means (the unary + keeps SQLite from leading with it)."""
        if not self.office:
            return "1 = 1", ()
        return (
            f"{'' if drive else '+'}{column} IN (SELECT o.id FROM orders o"
            " JOIN clients c ON c.id = o.client_id JOIN offices f ON f.id = c.office_id"
            " WHERE f.code = ?)",
            (self.office,),
        )


def order_figures(
    tx: Transaction, course: Course, office: str | None, weeks: list[date], today: date
) -> tuple[list[OrderFigures], tuple[tuple[date, int], ...], Counted]:
    """Every order's figures (of one office, or all) for the last of `weeks` (Mondays,
    oldest first), the net minutes entered in the ledgers in each of those weeks, and the
    orders counted again because they changed since the kept rows (see `report_rows.keep`)."""
    if tx.engine == "postgresql":  # a report's plan is quick: compiling it is not
        tx.execute("SET LOCAL jit = off")
        tx.execute("SET LOCAL work_mem = '64MB'")
    scope = Scope(office)
    counted = count_changed(tx, [m.id for m in course.modules])
    figures = _orders(tx, scope)
    _kept(tx, figures, scope, today, counted.orders)
    _counted(figures, counted, today)
    chart = _ledger(tx, figures, scope, weeks)
    return list(figures.values()), chart, counted


def _orders(tx: Transaction, scope: Scope) -> dict[int, OrderFigures]:
    """Each order in scope with its case worker, office and cap; no figures yet."""
    where = "WHERE f.code = ?" if scope.office else ""
    adjusted, params = scope.orders("order_id")
    changes: dict[int, tuple[int, str | None]] = {}
    for order_id, minutes, deadline in tx.tuples(
        "SELECT order_id, minutes_change, new_deadline"
        f" FROM order_adjustments WHERE {adjusted} ORDER BY id",
        params,
    ):  # as Order.minutes and Order.deadline apply them
        total, moved = changes.get(order_id, (0, None))
        changes[order_id] = (total + minutes, deadline or moved)
    figures = {}
    policies: dict[tuple[str, int | None, int | None], Policy] = {}
    for order_id, client, number, jurisdiction, ordered, deadline, worker, code, *cap in tx.tuples(
        "SELECT o.id, c.reference, o.number, o.jurisdiction, o.ordered_minutes, o.deadline,"
        " c.case_worker, f.code, f.cap_percent, f.cap_ceiling_minutes FROM orders o"
        " JOIN clients c ON c.id = o.client_id JOIN offices f ON f.id = c.office_id " + where,
        params,
    ):
        key = (jurisdiction, *cap)
        policy = policies.get(key)
        if policy is None:
            policy = policies[key] = get_policy(*key)
        if order_id in changes:
            change, moved = changes[order_id]
            ordered, deadline = ordered + change, moved or deadline
        figures[order_id] = OrderFigures(
            order_id,
            client,
            number,
            jurisdiction,
            deadline,
            ordered,
            worker,
            code,
            policy.cap(ordered),
        )
    return figures


def _ledger(
    tx: Transaction, figures: dict[int, OrderFigures], scope: Scope, weeks: list[date]
) -> tuple[tuple[date, int], ...]:
    """Each order's minutes credited up to the end of the last of `weeks` (its kept net
    less what was entered later), and in that week; and the net minutes entered in the
    ledgers in each of `weeks`. Each reads only its weeks of the ledger's date index."""
    for f in figures.values():
        f.to_date = f.summary.net_minutes
    end = (weeks[-1] + timedelta(days=7)).isoformat()
    # Summed by order for every office and kept for the orders in scope: the same rows of
    # the date index are read either way, and testing each row against the scope cost
    # more than the sums (a lookup a ledger row against one a summed order). Grouped by
    # `+order_id`, so SQLite reads the few rows after the week by the date index rather than
    # walking the whole ledger by an order index to skip the sort.
    for order_id, later in tx.tuples(
        "SELECT +order_id, SUM(minutes) FROM credits WHERE created_at >= ? GROUP BY 1", (end,)
    ):
        if order_id in figures:
            figures[order_id].to_date -= int(later)
    last_week = 0  # the chart's last week: the week's sums of the orders in scope
    for order_id, minutes in tx.tuples(
        "SELECT order_id, SUM(minutes) FROM credits WHERE created_at >= ? AND created_at < ?"
        " GROUP BY order_id",
        (weeks[-1].isoformat(), end),
    ):
        if order_id in figures:
            figures[order_id].week = int(minutes)
            last_week += int(minutes)
    where, params = scope.orders("order_id", drive=False)
    chart = []
    for week in weeks[:-1]:  # a range a week: no sort of the ledger's days
        minutes = tx.scalar(
            "SELECT SUM(minutes) FROM credits WHERE created_at >= ? AND created_at < ?"
            f" AND {where}",
            (week.isoformat(), (week + timedelta(days=7)).isoformat(), *params),
        )
        chart.append((week, int(minutes or 0)))
    chart.append((weeks[-1], last_week))
    return tuple(chart)


def _kept(
    tx: Transaction,
    figures: dict[int, OrderFigures],
    scope: Scope,
    today: date,
    changed: frozenset[int],
) -> None:
    """Each order's modules by state and its overdue count, from the kept rows; `changed`
    orders are left alone (they were counted again)."""
    where, params = scope.orders("order_id")
    for row in tx.tuples(f"SELECT {SUMMARY_COLUMNS} FROM report_orders WHERE {where}", params):
        f = figures.get(row[0])
        if f is not None and row[0] not in changed:
            f.summary = Summary(*row)
    for order_id, count in tx.tuples(
        f"SELECT order_id, COUNT(*) FROM report_out WHERE due_on < ? AND {where} GROUP BY order_id",
        (today.isoformat(), *params),
    ):
        if order_id in figures and order_id not in changed:
            figures[order_id].overdue = int(count)


def _counted(figures: dict[int, OrderFigures], counted: Counted, today: date) -> None:
    """Each changed order's modules by state and its overdue count, counted again."""
    for summary in counted.summaries:
        f = figures.get(summary.order_id)
        if f is not None:  # not another office's order
            f.summary = summary
    day = today.isoformat()
    for o in counted.out:
        if o.order_id in figures and o.due_on < day:
            figures[o.order_id].overdue += 1
