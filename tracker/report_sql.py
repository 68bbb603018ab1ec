"""The weekly report's figures, counted by the database: a few aggregate queries, one snapshot.

Every token of an office is read once, in one aggregate query that gives each order a
letter a module (its state, as `tracker.ledger`'s `_outcome` and `_assemble` give it)
instead of a row a module: the latest return, its mark and the module's net credit are
read from indexes (migration 8). SQLite seeks them token by token; PostgreSQL cannot
run a subquery a row quickly, so there they are hashed aggregates joined once. An
order where a module is held by more than one workbook, or by a revoked one, is settled
in Python by the ledger's own rules (`_states`), as few orders are. The ledger is summed
a row an order. `weekly_report_from_statements` (tracker.weekly) builds the same report
from `all_statements`; the tests check the two agree, figure for figure, on both engines.
"""

from __future__ import annotations

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
from tracker.orders import Adjustment, Order
from tracker.overdue import CHUNK, overdue_in
from tracker.policy import Policy, get_policy
from tracker.store import Transaction


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
    overdue: int = 0


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


# One letter a token, for its module's state. An issued module not back by its due date
# is 'o' (overdue); a module the course no longer has is 'x', or 'X' if overdue: the
# overdue list counts it, a statement does not show it.
LETTERS = {
    "c": CREDITED,
    "v": REVERSED,
    "i": ISSUED,
    "o": ISSUED,
    "w": AWAITING,
    "a": ACCEPTED,
    "s": SENT_BACK,
    "r": REFUSED,
}
_NOT_BACK = "r.id IS NULL AND COALESCE({net}, 0) <= 0 AND w.due_on < ?"
_STATE = (
    "CASE WHEN k.module_id NOT IN ({known}) THEN"
    " CASE WHEN " + _NOT_BACK + " THEN 'X' ELSE 'x' END"
    " WHEN COALESCE({net}, 0) > 0 THEN 'c'"
    " WHEN m.decision = 'accept' AND m.credited_minutes > 0 THEN 'v'"
    " WHEN r.id IS NULL THEN CASE WHEN w.due_on < ? THEN 'o' ELSE 'i' END"
    " WHEN m.decision IS NULL THEN 'w'"
    " WHEN m.decision = 'accept' THEN 'a'"
    " WHEN m.decision = 'send-back' THEN 's'"
    " ELSE 'r' END"
)
# Each token's latest return and its module's net credit, as each engine reads them best.
_NET = (
    "(SELECT SUM(x.minutes) FROM credits x"
    " WHERE x.order_id = w.order_id AND x.module_id = k.module_id)"
)
_LATEST = {
    "sqlite": "LEFT JOIN returns r INDEXED BY returns_by_token ON r.token_id = k.id"
    " AND r.id = (SELECT MAX(id) FROM returns WHERE token_id = k.id) ",
    "postgresql": "LEFT JOIN (SELECT token_id, MAX(id) AS id FROM returns"
    " WHERE token_id IN (SELECT k.id FROM tokens k JOIN workbooks w ON w.id = k.workbook_id"
    " WHERE {scope}) GROUP BY token_id) r ON r.token_id = k.id ",
}
_NETS = {
    "sqlite": ("", _NET),
    "postgresql": (
        "LEFT JOIN (SELECT order_id, module_id, SUM(minutes) AS net FROM credits x"
        " WHERE {scope} GROUP BY order_id, module_id) x"
        " ON x.order_id = w.order_id AND x.module_id = k.module_id ",
        "x.net",
    ),
}
# SQLite would read the mark's row by its unique index; the covering one saves a read.
_MARKS = {
    "sqlite": "LEFT JOIN marks m INDEXED BY marks_by_return ON m.return_id = r.id ",
    "postgresql": "LEFT JOIN marks m ON m.return_id = r.id ",
}
_LETTERS = {"sqlite": "group_concat(s, '')", "postgresql": "string_agg(s, '')"}


def order_figures(
    tx: Transaction, course: Course, office: str | None, weeks: list[date], today: date
) -> tuple[list[OrderFigures], tuple[tuple[date, int], ...]]:
    """Every order's figures (of one office, or all) for the last of `weeks` (Mondays,
    oldest first), and the net minutes entered in the ledgers in each of those weeks."""
    if tx.engine == "postgresql":  # a report's plan is quick: compiling it is not
        tx.execute("SET LOCAL jit = off")
        tx.execute("SET LOCAL work_mem = '64MB'")
    scope = Scope(office)
    figures = _orders(tx, scope)
    _ledger(tx, figures, scope, weeks[-1])
    tangled = _module_states(tx, figures, scope, [m.id for m in course.modules], today)
    if tangled:
        _settle_tangled(tx, figures, tangled, {m.id for m in course.modules}, today, office)
    return list(figures.values()), _chart(tx, scope, weeks)


def _orders(tx: Transaction, scope: Scope) -> dict[int, OrderFigures]:
    """Each order in scope with its case worker, office and cap; no figures yet."""
    where = "WHERE f.code = ?" if scope.office else ""
    adjusted, params = scope.orders("order_id")
    adjustments: dict[int, list[Adjustment]] = {}
    for order_id, *a in tx.tuples(
        "SELECT order_id, id, minutes_change, new_deadline, effective_on, reason, made_by"
        f" FROM order_adjustments WHERE {adjusted} ORDER BY id",
        params,
    ):
        adjustments.setdefault(order_id, []).append(Adjustment(*a))
    figures = {}
    policies: dict[tuple[str, int | None, int | None], Policy] = {}
    for row in tx.tuples(
        "SELECT o.id, o.client_id, c.reference, c.office_id, o.number, o.jurisdiction,"
        " o.ordered_minutes, o.made_on, o.deadline, c.case_worker, f.code, f.cap_percent,"
        " f.cap_ceiling_minutes FROM orders o JOIN clients c ON c.id = o.client_id"
        " JOIN offices f ON f.id = c.office_id " + where,
        params,
    ):
        order = Order(
            id=row[0],
            client_id=row[1],
            client_reference=row[2],
            office_id=row[3],
            number=row[4],
            jurisdiction=row[5],
            ordered_minutes=row[6],
            made_on=row[7],
            original_deadline=row[8],
            adjustments=tuple(adjustments.get(row[0], ())),
        )
        key = (order.jurisdiction, row[11], row[12])
        if key not in policies:
            policies[key] = get_policy(*key)
        cap = policies[key].cap(order.minutes)
        figures[order.id] = OrderFigures(order, row[9], row[10], cap)
    return figures


def _ledger(tx: Transaction, figures: dict[int, OrderFigures], scope: Scope, week: date) -> None:
    """Each order's minutes credited up to the end of `week`, and in it."""
    start, end = week.isoformat(), (week + timedelta(days=7)).isoformat()
    where, params = scope.orders("order_id")
    for order_id, to_date, in_week in tx.tuples(
        "SELECT order_id, SUM(CASE WHEN created_at < ? THEN minutes ELSE 0 END),"
        " SUM(CASE WHEN created_at >= ? AND created_at < ? THEN minutes ELSE 0 END)"
        f" FROM credits WHERE {where} GROUP BY order_id",
        (end, start, end, *params),
    ):
        figures[order_id].to_date, figures[order_id].week = int(to_date), int(in_week)


def _chart(tx: Transaction, scope: Scope, weeks: list[date]) -> tuple[tuple[date, int], ...]:
    """The net minutes entered in the ledgers in each of `weeks`, read by date."""
    where, params = scope.orders("order_id")
    end = (weeks[-1] + timedelta(days=7)).isoformat()
    totals = dict.fromkeys(weeks, 0)
    for day, minutes in tx.tuples(
        "SELECT substr(created_at, 1, 10), SUM(minutes) FROM credits"
        f" WHERE created_at >= ? AND created_at < ? AND {where} GROUP BY substr(created_at, 1, 10)",
        (weeks[0].isoformat(), end, *params),
    ):
        monday = date.fromisoformat(day)
        totals[monday - timedelta(days=monday.weekday())] += int(minutes)
    return tuple(totals.items())


def _module_states(
    tx: Transaction,
    figures: dict[int, OrderFigures],
    scope: Scope,
    known: list[str],
    today: date,
) -> list[int]:
    """Count each order's modules by state in one pass; the orders left to settle in Python."""
    engine = tx.engine
    where, params = scope.orders("w.order_id")
    net_join, net = _NETS[engine]
    marks = ", ".join("?" * len(known))
    state = _STATE.format(known=marks, net=net)
    day = today.isoformat()
    latest = _LATEST[engine].format(scope=where)
    sql = (
        "SELECT order_id, COUNT(*), COUNT(DISTINCT module_id), COUNT(revoked_at),"
        f" {_LETTERS[engine]} FROM (SELECT w.order_id, k.module_id, w.revoked_at, {state} AS s"
        " FROM workbooks w JOIN tokens k ON k.workbook_id = w.id "
        + latest
        + _MARKS[engine]
        + net_join.format(scope=scope.orders("x.order_id")[0])
        + f"WHERE {where}) t GROUP BY order_id"
    )
    joined = (*params, *params) if engine == "postgresql" else ()  # the two joins' scopes
    args = (*known, day, day, *joined, *params)
    tangled = []
    for order_id, n, modules, revoked, letters in tx.tuples(sql, args):
        if n != modules or revoked:
            tangled.append(order_id)  # a module held twice, or a revoked workbook
            continue
        counts = Counter(letters)
        f = figures[order_id]
        f.overdue = counts["o"] + counts["X"]
        for letter, count in counts.items():
            if letter in LETTERS:
                f.states[LETTERS[letter]] += count
    _refused(tx, figures, scope, set(known), set(tangled))
    return tangled


def _refused(
    tx: Transaction, figures: dict[int, OrderFigures], scope: Scope, known: set[str], skip: set[int]
) -> None:
    """Why each module refused at its latest return was refused (few rows: read apart)."""
    where, params = scope.orders("w.order_id", drive=False)
    for order_id, module_id, why in tx.tuples(
        "SELECT w.order_id, k.module_id, m.reason FROM marks m"
        " JOIN returns r ON r.id = m.return_id JOIN tokens k ON k.id = r.token_id"
        " JOIN workbooks w ON w.id = k.workbook_id"
        f" WHERE m.decision = 'refuse' AND {where}"
        " AND NOT EXISTS (SELECT 1 FROM returns n WHERE n.token_id = r.token_id AND n.id > r.id)"
        f" AND COALESCE({_NET}, 0) <= 0",
        params,
    ):
        if order_id not in skip and module_id in known:
            figures[order_id].refused.append((module_id, why))


def _settle_tangled(
    tx: Transaction,
    figures: dict[int, OrderFigures],
    tangled: list[int],
    known: set[str],
    today: date,
    office: str | None,
) -> None:
    """Orders with a module held by more than one workbook, or a revoked one: the ledger's
    own rules, module by module, and the overdue list's."""
    for start in range(0, len(tangled), CHUNK):
        ids = ",".join(str(int(n)) for n in tangled[start : start + CHUNK])
        rows = tx.tuples(STATE_ROWS + f"WHERE w.order_id IN ({ids}) " + STATE_ORDER)
        net = {
            (o, m): int(n)
            for o, m, n in tx.tuples(
                "SELECT order_id, module_id, SUM(minutes) FROM credits"
                f" WHERE order_id IN ({ids}) GROUP BY order_id, module_id"
            )
        }
        for order_id, states in _states(rows).items():
            for module_id, (state, note) in states.items():
                if module_id not in known:
                    continue  # the course no longer has it: a statement does not show it
                if net.get((order_id, module_id), 0) > 0:
                    state = CREDITED
                elif state == CREDITED:
                    state = REVERSED
                if state != NOT_ISSUED:  # its only workbooks were revoked: it can be issued again
                    figures[order_id].states[state] += 1
                if state == REFUSED:
                    figures[order_id].refused.append((module_id, note))
    by_reference = {figures[n].order.reference: n for n in tangled}
    for item in overdue_in(tx, today, office, tangled):
        figures[by_reference[item.order]].overdue += 1
