"""The weekly report's kept rows: each order's modules counted by state, counted again only
where the records changed since they were kept (migration 9).

A row an order (its modules counted by state for the course, the refusals' reasons, its
last return and first issue) and a row a token out and never returned (with its due
date, so the overdue count is taken on the day). They stay true until the records or
the course's modules change.

What changed is found from the records themselves, not from the code that wrote them:
tokens, returns, marks and credits are added (ids rise: every writer holds the one
write lock), so rows past the kept high-water marks name their orders; a workbook
revoked (or not) since is found against the kept list of revoked workbooks; a return or
token removed (intake's corrections remove a return left empty) names its order by a
trigger (report_stale); a course with other modules counts every order again. A report
counts those orders again in its own snapshot and reads the kept rows for the rest;
then it keeps what it counted (`keep`), unless another report kept rows since. No write
path has to remember to update these rows, and none pays for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from tracker.errors import TrackerError
from tracker.ledger import (
    ACCEPTED,
    AWAITING,
    CREDITED,
    ISSUED,
    REFUSED,
    REVERSED,
    SENT_BACK,
    STATE_ORDER,
    _states,
)
from tracker.store import Database, Transaction

CHUNK = 500  # order ids to a query, well inside both engines' limits on parameters

# The tables whose rows are only appended, each with the query naming a new row's order.
APPENDED = {
    "tokens": "SELECT w.order_id FROM tokens k JOIN workbooks w ON w.id = k.workbook_id"
    " WHERE k.id > ?",
    "returns": "SELECT w.order_id FROM returns r JOIN tokens k ON k.id = r.token_id"
    " JOIN workbooks w ON w.id = k.workbook_id WHERE r.id > ?",
    "marks": "SELECT w.order_id FROM marks m JOIN returns r ON r.id = m.return_id"
    " JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id"
    " WHERE m.id > ?",
    "credits": "SELECT order_id FROM credits WHERE id > ?",
}
REVOKED_SINCE = (
    "SELECT w.order_id FROM workbooks w WHERE w.revoked_at IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM report_revoked v WHERE v.workbook_id = w.id)"
    " UNION SELECT w.order_id FROM report_revoked v JOIN workbooks w ON w.id = v.workbook_id"
    " WHERE w.revoked_at IS NULL"
)


class Summary(NamedTuple):
    """One order's modules counted by state (the course's modules only), as kept."""

    order_id: int
    credited: int
    reversed: int
    unpaid: int  # accepted when no hours were left
    awaiting: int
    sent_back: int
    refused: int
    out: int  # issued, not returned
    refused_reasons: str  # "module: why; ..." in the course's order
    last_returned: str  # the day something last came back, "" if nothing has
    first_issued: str  # the day a workbook of the order was first issued
    net_minutes: int  # the order's ledger summed: every module, the course's or not

    @property
    def counts(self) -> tuple[int, int, int, int, int, int, int]:
        return self[1:8]


# The states a summary counts, in its order: not issued (its only workbooks revoked) is not.
COUNTED = (CREDITED, REVERSED, ACCEPTED, AWAITING, SENT_BACK, REFUSED, ISSUED)
SUMMARY_COLUMNS = (
    "order_id, credited, reversed, unpaid, awaiting, sent_back, refused, issued_out,"
    " refused_reasons, last_returned, first_issued, net_minutes"
)


class OutRow(NamedTuple):
    """A token in a live workbook whose module has never come back on its order."""

    token_id: int
    order_id: int
    due_on: str


class Marks(NamedTuple):
    """How far the kept rows reach: the last id of each appended table, and which keeping."""

    tokens: int
    returns: int
    marks: int
    credits: int
    kept: int
    course: str  # the course's modules the summaries counted


class Counted(NamedTuple):
    """Orders counted again in a report's snapshot, and how far that snapshot reached."""

    orders: frozenset[int]
    summaries: list[Summary]
    out: list[OutRow]
    before: Marks  # the marks the kept rows had
    after: Marks  # the marks of the snapshot
    revoked: list[int]  # every revoked workbook in the snapshot
    stale: int  # the last row of report_stale the snapshot saw


def course_key(modules: Sequence[str]) -> str:
    """The course's modules, in order, as the kept summaries name them."""
    return " ".join(modules)


def count_changed(tx: Transaction, modules: Sequence[str]) -> Counted:
    """Count again, inside `tx`, every order changed since the rows were last kept (every
    order if the course's `modules` are not the ones the kept rows counted)."""
    mark = tx.tuples("SELECT tokens, returns, marks, credits, kept, course FROM report_marks")[0]
    before = Marks._make([*(int(n) for n in mark[:5]), str(mark[5])])
    tokens, returns, marks, credits = (
        int(tx.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) for table in APPENDED
    )
    key = course_key(modules)
    after = Marks(tokens, returns, marks, credits, before.kept, key)
    changed: set[int] = set()
    if before.course != key:  # other modules: every kept summary is for another course
        changed.update(n for (n,) in tx.tuples("SELECT id FROM orders"))
    else:
        for sql, last, now in zip(APPENDED.values(), before[:4], after[:4], strict=True):
            if now > last:
                changed.update(n for (n,) in tx.tuples(sql, (last,)))
        changed.update(n for (n,) in tx.tuples(REVOKED_SINCE))
    stale = tx.tuples("SELECT id, order_id FROM report_stale")  # rows taken out, if any
    changed.update(order_id for _, order_id in stale)
    revoked = [n for (n,) in tx.tuples("SELECT id FROM workbooks WHERE revoked_at IS NOT NULL")]
    summaries, out = recount(tx, sorted(changed), modules)
    last_stale = max((n for n, _ in stale), default=0)
    return Counted(frozenset(changed), summaries, out, before, after, revoked, last_stale)


def recount(
    tx: Transaction, orders: Sequence[int], modules: Sequence[str]
) -> tuple[list[Summary], list[OutRow]]:
    """The rows of `orders` counted from the records by the ledger's rules, inside `tx`."""
    position = {m: n for n, m in enumerate(modules)}
    summaries: list[Summary] = []
    out: list[OutRow] = []
    for start in range(0, len(orders), CHUNK):
        ids = ",".join(str(int(n)) for n in orders[start : start + CHUNK])
        some, more = _summaries(tx, ids, position)
        summaries += some
        out += more
    return summaries, out


# STATE_ROWS (tracker.ledger) for many orders, as both engines read it well: each token's
# latest return found by one grouped pass (a subquery a token is quadratic on
# PostgreSQL), then the workbook's due date (not a column `_states` reads).
MANY_STATE_ROWS = (
    "SELECT w.order_id, k.module_id, k.id, w.revoked_at, r.id, m.decision,"
    " m.credited_minutes, m.credit_note, m.feedback, m.reason, w.due_on "
    "FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
    "LEFT JOIN (SELECT token_id, MAX(id) AS id FROM returns WHERE token_id IN"
    " (SELECT k.id FROM tokens k JOIN workbooks w ON w.id = k.workbook_id"
    " WHERE w.order_id IN ({ids})) GROUP BY token_id) r ON r.token_id = k.id "
    "LEFT JOIN marks m ON m.return_id = r.id "
    "WHERE w.order_id IN ({ids}) " + STATE_ORDER
)


def _summaries(
    tx: Transaction, ids: str, position: dict[str, int]
) -> tuple[list[Summary], list[OutRow]]:
    """The orders `ids` counted by state, module by module as a statement settles them,
    and their tokens out (see `_out`)."""
    rows = tx.tuples(MANY_STATE_ROWS.format(ids=ids))
    net = {
        (o, m): int(n)
        for o, m, n in tx.tuples(
            "SELECT order_id, module_id, SUM(minutes) FROM credits"
            f" WHERE order_id IN ({ids}) GROUP BY order_id, module_id"
        )
    }
    activity = tx.tuples(
        "SELECT w.order_id, MAX(r.received_at), MIN(w.issued_on)"
        " FROM workbooks w JOIN tokens k ON k.workbook_id = w.id"
        f" LEFT JOIN returns r ON r.token_id = k.id WHERE w.order_id IN ({ids}) GROUP BY w.order_id"
    )
    days = {o: ((returned or "")[:10], issued) for o, returned, issued in activity}
    total: dict[int, int] = {}
    for (order_id, _), minutes in net.items():
        total[order_id] = total.get(order_id, 0) + minutes
    out = []
    for order_id, states in _states([r[:10] for r in rows]).items():
        counts = dict.fromkeys(COUNTED, 0)
        refused = []
        for module_id, (state, note) in states.items():
            if module_id not in position:
                continue  # the course no longer has it: a statement does not show it
            if net.get((order_id, module_id), 0) > 0:
                state = CREDITED
            elif state == CREDITED:
                state = REVERSED
            if state in counts:
                counts[state] += 1
            if state == REFUSED:
                refused.append((position[module_id], f"{module_id}: {note}"))
        reasons = "; ".join(why for _, why in sorted(refused))
        returned, issued = days[order_id]
        values = (order_id, *counts.values(), reasons, returned, issued, total.get(order_id, 0))
        out.append(Summary._make(values))
    return out, _out(rows, net)


def _out(rows: list[tuple[Any, ...]], net: dict[tuple[int, str], int]) -> list[OutRow]:
    """Tokens of live workbooks whose module has no return on the order and no net credit:
    the overdue list's rule (tracker.overdue) without the day."""
    back = {(r[0], r[1]) for r in rows if r[4] is not None}
    return [
        OutRow(r[2], r[0], r[10])
        for r in rows
        if r[3] is None and (r[0], r[1]) not in back and net.get((r[0], r[1]), 0) <= 0
    ]


def keep(db: Database, counted: Counted) -> bool:
    """Keep what a report counted, unless other rows were kept since; True if kept.

    The report is made already: if another program holds the records' lock too long,
    nothing is kept and the next report counts those orders again.
    """
    if not counted.orders and counted.after == counted.before:
        return False  # nothing changed: nothing to keep
    try:
        return _keep(db, counted)
    except TrackerError as err:
        if "locked" not in str(err):  # as the store words a busy lock
            raise
        return False


def _keep(db: Database, counted: Counted) -> bool:
    with db.write() as tx:
        now = tx.tuples("SELECT kept FROM report_marks")[0][0]
        if int(now) != counted.before.kept:
            return False  # another report kept newer rows: its marks stand
        _replace(tx, sorted(counted.orders), counted.summaries, counted.out)
        tx.execute("DELETE FROM report_stale WHERE id <= ?", (counted.stale,))
        tx.execute("DELETE FROM report_revoked")
        tx.executemany(
            "INSERT INTO report_revoked (workbook_id) VALUES (?)", [(n,) for n in counted.revoked]
        )
        tx.execute(
            "UPDATE report_marks SET tokens = ?, returns = ?, marks = ?, credits = ?, kept = ?,"
            " course = ?",
            (*counted.after[:4], counted.before.kept + 1, counted.after.course),
        )
    return True


def _replace(
    tx: Transaction, orders: list[int], summaries: Iterable[Summary], out: Iterable[OutRow]
) -> None:
    """Put `orders`' new rows in place of their old ones."""
    for start in range(0, len(orders), CHUNK):
        ids = ",".join(str(int(n)) for n in orders[start : start + CHUNK])
        tx.execute(f"DELETE FROM report_orders WHERE order_id IN ({ids})")
        tx.execute(f"DELETE FROM report_out WHERE order_id IN ({ids})")
    marks = ", ".join("?" * len(Summary._fields))
    tx.executemany(
        f"INSERT INTO report_orders ({SUMMARY_COLUMNS}) VALUES ({marks})",
        list(summaries),
    )
    tx.executemany(
        "INSERT INTO report_out (token_id, order_id, due_on) VALUES (?, ?, ?)", list(out)
    )
