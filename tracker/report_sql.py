"""The weekly report's figures, counted by the database: a few aggregate queries, one snapshot.

Each order's ledger totals and its modules' states are summed in SQL (GROUP BY, on the
orders, workbooks, returns and credits indexes), so the report reads a few rows an
order rather than every ledger row and token. The states follow the same rules as
`tracker.ledger` (its `_outcome`, `_settle` and `_assemble`): a module held by one live
workbook is counted by SQL; the few held by more than one workbook, or by a revoked
one, are settled in Python by the ledger's own code. `weekly_report_from_statements`
in tracker.reports builds the same report from `all_statements`; the tests check the
two agree, figure for figure.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from builder.course import Course
from tracker.ledger import (
    ACCEPTED,
    AWAITING,
    CREDITED,
    ISSUED,
    NOT_ISSUED,
    REFUSED,
    REVERSED,
    SENT_BACK,
    STATE_ORDER,
    STATE_ROWS,
    _states,
)
from tracker.orders import Order, order_from_row
from tracker.policy import get_policy
from tracker.store import Row, Transaction


@dataclass
class OrderFigures:
    """One order's figures for the weekly report, as the database counted them."""

    order: Order
    case_worker: str
    office: str
    cap: int
    to_date: int = 0
    week: int = 0
    states: Counter[str] = field(default_factory=Counter)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (module, reason)


# A single live token's state, as `_outcome` and `_assemble` give it, in SQL.
_STATE = (
    "CASE WHEN COALESCE(x.net, 0) > 0 THEN 'credited'"
    " WHEN m.decision = 'accept' AND m.credited_minutes > 0 THEN 'reversed'"
    " WHEN r.id IS NULL THEN 'issued'"
    " WHEN m.decision IS NULL THEN 'awaiting'"
    " WHEN m.decision = 'accept' THEN 'accepted'"
    " WHEN m.decision = 'send-back' THEN 'sent-back'"
    " ELSE 'refused' END"
)
_NAMES = {
    "credited": CREDITED,
    "reversed": REVERSED,
    "issued": ISSUED,
    "awaiting": AWAITING,
    "accepted": ACCEPTED,
    "sent-back": SENT_BACK,
    "refused": REFUSED,
}


def order_figures(
    tx: Transaction, course: Course, office: str | None, weeks: list[date]
) -> tuple[list[OrderFigures], tuple[tuple[date, int], ...]]:
    """Every order's figures (of one office, or all) for the last of `weeks` (Mondays,
    oldest first), and the net minutes entered in the ledgers in each of those weeks."""
    where, params = ("WHERE f.code = ? ", (office,)) if office else ("", ())
    scope = (
        "SELECT o.id FROM orders o JOIN clients c ON c.id = o.client_id "
        "JOIN offices f ON f.id = c.office_id " + where
    )
    figures = _orders(tx, where, params, scope)
    bounds = [w.isoformat() for w in [*weeks, weeks[-1] + timedelta(days=7)]]
    chart = [0] * len(weeks)
    sums = ", ".join(
        "SUM(CASE WHEN created_at >= ? AND created_at < ? THEN minutes ELSE 0 END)" for _ in weeks
    )
    for order_id, to_date, *week_sums in tx.tuples(
        f"SELECT order_id, SUM(CASE WHEN created_at < ? THEN minutes ELSE 0 END), {sums} "
        f"FROM credits WHERE order_id IN ({scope}) GROUP BY order_id",
        (bounds[-1], *[b for pair in itertools.pairwise(bounds) for b in pair], *params),
    ):
        figures[order_id].to_date, figures[order_id].week = int(to_date), int(week_sums[-1])
        chart = [total + int(n) for total, n in zip(chart, week_sums, strict=True)]
    _module_states(tx, figures, scope, params, {m.id for m in course.modules})
    return list(figures.values()), tuple(zip(weeks, chart, strict=True))


def _orders(
    tx: Transaction, where: str, params: tuple[str, ...], scope: str
) -> dict[int, OrderFigures]:
    rows = tx.all(
        "SELECT o.*, c.reference, c.office_id, c.case_worker, f.code AS office_code,"
        " f.cap_percent, f.cap_ceiling_minutes FROM orders o "
        "JOIN clients c ON c.id = o.client_id JOIN offices f ON f.id = c.office_id "
        + where
        + "ORDER BY c.reference, o.number",
        params,
    )
    adjustments: dict[int, list[Row]] = {}
    for row in tx.all(
        f"SELECT * FROM order_adjustments WHERE order_id IN ({scope}) ORDER BY id", params
    ):
        adjustments.setdefault(row["order_id"], []).append(row)
    figures = {}
    for row in rows:
        order = order_from_row(row, adjustments.get(row["id"], []))
        policy = get_policy(order.jurisdiction, row["cap_percent"], row["cap_ceiling_minutes"])
        cap = policy.cap(order.minutes)
        figures[order.id] = OrderFigures(order, row["case_worker"], row["office_code"], cap)
    return figures


# Each module issued on an order: how many workbooks hold it, whether any is revoked,
# and its latest token; with its latest return, that return's mark and its net credit.
_MODULES = (
    "WITH t AS (SELECT w.order_id, k.module_id, COUNT(*) AS n, COUNT(w.revoked_at) AS revoked,"
    " MAX(k.id) AS token_id FROM tokens k JOIN workbooks w ON w.id = k.workbook_id"
    " WHERE w.order_id IN ({scope}) GROUP BY w.order_id, k.module_id), "
    "x AS (SELECT order_id, module_id, SUM(minutes) AS net FROM credits"
    " WHERE order_id IN ({scope}) GROUP BY order_id, module_id) "
    "SELECT s.order_id, s.state, CASE WHEN s.state IN ('refused', 'tangled')"
    " THEN s.module_id END AS mid, CASE WHEN s.state = 'refused' THEN s.why END AS mwhy,"
    " COUNT(*) FROM (SELECT t.order_id, t.module_id, m.reason AS why,"
    " CASE WHEN t.n > 1 OR t.revoked > 0 THEN 'tangled' ELSE {state} END AS state FROM t"
    " LEFT JOIN returns r ON r.id = (SELECT MAX(id) FROM returns WHERE token_id = t.token_id)"
    " LEFT JOIN marks m ON m.return_id = r.id"
    " LEFT JOIN x ON x.order_id = t.order_id AND x.module_id = t.module_id) s "
    "GROUP BY s.order_id, s.state, mid, mwhy"
)


def _module_states(
    tx: Transaction,
    figures: dict[int, OrderFigures],
    scope: str,
    params: tuple[str, ...],
    known: set[str],
) -> None:
    """Count each order's modules by state in SQL; settle the tangled ones in Python."""
    tangled: set[tuple[int, str]] = set()
    for order_id, state, module_id, why, n in tx.tuples(
        _MODULES.format(scope=scope, state=_STATE), (*params, *params)
    ):
        if module_id is not None and module_id not in known:
            continue  # the course no longer has it: a statement does not show it either
        if state == "tangled":
            tangled.add((order_id, module_id))
        elif state == "refused":
            figures[order_id].refused.append((module_id, why))
            figures[order_id].states[REFUSED] += int(n)
        else:
            figures[order_id].states[_NAMES[state]] += int(n)
    if tangled:
        _settle_tangled(tx, figures, tangled)


def _settle_tangled(
    tx: Transaction, figures: dict[int, OrderFigures], tangled: set[tuple[int, str]]
) -> None:
    """Modules held by more than one workbook, or a revoked one: the ledger's own rules."""
    orders = sorted({o for o, _ in tangled})
    marks = ", ".join("?" * len(orders))
    rows = tx.tuples(STATE_ROWS + f"WHERE w.order_id IN ({marks}) " + STATE_ORDER, orders)
    net = {
        (o, m): int(n)
        for o, m, n in tx.tuples(
            f"SELECT order_id, module_id, SUM(minutes) FROM credits WHERE order_id IN ({marks})"
            " GROUP BY order_id, module_id",
            orders,
        )
    }
    for order_id, states in _states(rows).items():
        for module_id, (state, note) in states.items():
            if (order_id, module_id) not in tangled:
                continue
            if net.get((order_id, module_id), 0) > 0:
                state = CREDITED
            elif state == CREDITED:
                state = REVERSED
            if state != NOT_ISSUED:  # its only workbooks were revoked: it can be issued again
                figures[order_id].states[state] += 1
            if state == REFUSED:
                figures[order_id].refused.append((module_id, note))
