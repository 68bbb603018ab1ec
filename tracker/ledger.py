"""The hours ledger and the statement drawn from it.

Credits are only ever appended. A correction is a new row with the opposite minutes
that names the row it reverses; the statement is always the sum of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from tracker.access import Subject, entry, served_offices
from tracker.accounts import Action
from tracker.errors import NotFound, TrackerError
from tracker.orders import (
    Order,
    credited_minutes,
    find_order,
    load_order,
    module_credit,
    order_from_row,
    policy_of,
)
from tracker.policy import Policy, get_policy, hours
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text

# A module's state on an order, most settled first.
CREDITED, REVERSED, ACCEPTED, AWAITING, SENT_BACK, REFUSED, ISSUED, NOT_ISSUED = (
    "credited",
    "credit reversed: it can be marked again",
    "completed without credit: no hours were left (`cpo credit pending` if the order grows)",
    "waiting to be marked",
    "sent back",
    "refused",
    "issued, not returned",
    "not issued",
)


NEVER = (NOT_ISSUED, "")


class LedgerRow(NamedTuple):
    """One row of the ledger (a named tuple: reports read 150,000 of them at a time)."""

    id: int
    module_id: str
    minutes: int
    approver: str
    reason: str
    created_at: str
    reverses: int | None


@dataclass(frozen=True)
class ModuleLine:
    """One module's line on a statement."""

    module_id: str
    title: str
    state: str
    minutes: int  # net credited
    note: str  # why it is refused, sent back or credited less than declared


@dataclass(frozen=True)
class Statement:
    """An order's hours: ordered, cap, credited, what is left, and module by module."""

    order: Order
    policy: Policy
    cap: int
    credited: int
    modules: tuple[ModuleLine, ...]
    ledger: tuple[LedgerRow, ...]

    @property
    def cap_left(self) -> int:
        return max(0, self.cap - self.credited)

    @property
    def order_left(self) -> int:
        return max(0, self.order.minutes - self.credited)

    def as_json(self) -> dict[str, object]:
        return {
            "order": self.order.reference,
            "jurisdiction": self.order.jurisdiction,
            "ordered_minutes": self.order.minutes,
            "deadline": self.order.deadline,
            "cap_minutes": self.cap,
            "credited_minutes": self.credited,
            "cap_left_minutes": self.cap_left,
            "order_left_minutes": self.order_left,
            "modules": [
                {"module": m.module_id, "state": m.state, "minutes": m.minutes, "note": m.note}
                for m in self.modules
                if m.state != NOT_ISSUED
            ],
            "ledger": [
                {
                    "id": r.id,
                    "module": r.module_id,
                    "minutes": r.minutes,
                    "approver": r.approver,
                    "reason": r.reason,
                    "at": r.created_at,
                    "reverses": r.reverses,
                }
                for r in self.ledger
            ],
        }


@entry(Action.READ_RECORDS, Subject.ORDER, "reference")
def hours_statement(t: Tracker, reference: str) -> Statement:
    """The statement of an order (`CLIENT/N`, or `CLIENT` with one order)."""
    with t.db.read() as tx:
        return statement(t, tx, find_order(tx, reference))


def statement(t: Tracker, tx: Transaction, order: Order) -> Statement:
    """One order's statement, read inside `tx`."""
    ledger = tx.tuples(LEDGER_ROWS + "WHERE order_id = ? ORDER BY id", (order.id,))
    states = _states(tx.tuples(STATE_ROWS + "WHERE w.order_id = ? " + STATE_ORDER, (order.id,)))
    rows = tuple(LedgerRow(*r[1:]) for r in ledger)
    return _assemble(t, order, policy_of(tx, order), rows, states.get(order.id, {}), {})


@entry(Action.READ_RECORDS)
def all_statements(t: Tracker, office: str | None = None) -> list[Statement]:
    """Every order's statement (of one office, or all), read in a handful of queries."""
    office, offices = served_offices(t, office)
    where, params = ("WHERE f.code = ? ", (office,)) if office else ("", ())
    scope = (
        "SELECT o.id FROM orders o JOIN clients c ON c.id = o.client_id "
        "JOIN offices f ON f.id = c.office_id " + where
    )
    with t.db.read() as tx:
        orders = tx.all(
            "SELECT o.*, c.reference, c.office_id, f.cap_percent, f.cap_ceiling_minutes, "
            "f.code AS office_code "
            "FROM orders o JOIN clients c ON c.id = o.client_id "
            "JOIN offices f ON f.id = c.office_id " + where + "ORDER BY c.reference, o.number",
            params,
        )
        adjustments = tx.all(
            f"SELECT * FROM order_adjustments WHERE order_id IN ({scope}) ORDER BY id", params
        )
        credits = tx.tuples(LEDGER_ROWS + f"WHERE order_id IN ({scope}) ORDER BY id", params)
        states = _states(
            tx.tuples(STATE_ROWS + f"WHERE w.order_id IN ({scope}) " + STATE_ORDER, params)
        )
    by_order: dict[int, list[Row]] = {}
    for row in adjustments:
        by_order.setdefault(row["order_id"], []).append(row)
    ledger: dict[int, list[LedgerRow]] = {}
    for r in credits:
        ledger.setdefault(r[0], []).append(LedgerRow(*r[1:]))
    policies: dict[tuple[str, int | None, int | None], Policy] = {}
    lines: dict[tuple[str, str, int, str], ModuleLine] = {}  # frozen, so shared
    out = []
    for row in orders:
        if offices is not None and row["office_code"] not in offices:
            continue  # another office's: not this account's to see
        order = order_from_row(row, by_order.get(row["id"], []))
        key = (order.jurisdiction, row["cap_percent"], row["cap_ceiling_minutes"])
        if key not in policies:
            policies[key] = get_policy(*key)
        rows = tuple(ledger.get(order.id, ()))
        out.append(_assemble(t, order, policies[key], rows, states.get(order.id, {}), lines))
    return out


def _assemble(
    t: Tracker,
    order: Order,
    policy: Policy,
    ledger: tuple[LedgerRow, ...],
    states: dict[str, tuple[str, str]],
    lines: dict[tuple[str, str, int, str], ModuleLine],
) -> Statement:
    net: dict[str, int] = {}
    for r in ledger:
        net[r.module_id] = net.get(r.module_id, 0) + r.minutes
    modules = []
    for module in t.course.modules:
        minutes = net.get(module.id, 0) if net else 0
        state, note = states.get(module.id, NEVER) if states else NEVER
        if minutes > 0:
            state = CREDITED
        elif state == CREDITED:  # its credit was reversed: it can come back and be marked
            state = REVERSED
        key = (module.id, state, minutes, note)
        line = lines.get(key)
        if line is None:
            line = lines[key] = ModuleLine(module.id, module.title, state, minutes, note)
        modules.append(line)
    return Statement(
        order=order,
        policy=policy,
        cap=policy.cap(order.minutes),
        credited=sum(net.values()),
        modules=tuple(modules),
        ledger=ledger,
    )


# In LedgerRow's field order, after the order id.
LEDGER_ROWS = (
    "SELECT order_id, id, module_id, minutes, approver, reason, created_at, reverses FROM credits "
)
STATE_ROWS = (  # one row a token: its latest return, if any, and that return's mark
    "SELECT w.order_id, k.module_id, k.id, w.revoked_at, r.id, m.decision,"
    " m.credited_minutes, m.credit_note, m.feedback, m.reason "
    "FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
    "LEFT JOIN returns r ON r.id = (SELECT MAX(id) FROM returns WHERE token_id = k.id) "
    "LEFT JOIN marks m ON m.return_id = r.id "
)
# Each module's tokens in the order they were issued.
STATE_ORDER = "ORDER BY w.order_id, k.module_id, k.id"


def module_states(tx: Transaction, order_id: int) -> dict[str, tuple[str, str]]:
    """Each issued module's state on an order (see `_settle`)."""
    rows = tx.tuples(STATE_ROWS + "WHERE w.order_id = ? " + STATE_ORDER, (order_id,))
    return _states(rows).get(order_id, {})


def token_states(tx: Transaction, token_id: int) -> tuple[str, str]:
    """The state of one token's latest return: AWAITING, SENT_BACK...; ISSUED if none."""
    rows = tx.tuples(STATE_ROWS + "WHERE k.id = ?", (token_id,))
    return _outcome(rows[0]) if rows else (ISSUED, "")


def _states(rows: list[tuple[Any, ...]]) -> dict[int, dict[str, tuple[str, str]]]:
    """States from STATE_ROWS (sorted by STATE_ORDER), module by module."""
    out: dict[int, dict[str, tuple[str, str]]] = {}
    group: list[tuple[bool, tuple[str, str]]] = []
    for i, row in enumerate(rows):
        group.append((row[3] is not None, _outcome(row)))
        following = rows[i + 1] if i + 1 < len(rows) else None
        if following is None or following[1] != row[1] or following[0] != row[0]:
            states = out.get(row[0])
            if states is None:
                states = out[row[0]] = {}
            revoked, outcome = group[0]
            # One live workbook holds the module, the usual case: its outcome stands.
            states[row[1]] = outcome if len(group) == 1 and not revoked else _settle(group)
            group = []
    return out


def _outcome(row: tuple[Any, ...]) -> tuple[str, str]:
    """What one return row (or a token never returned) says."""
    return_id, decision, credited, note, feedback, why = row[4:]
    if return_id is None:
        return ISSUED, ""
    if decision is None:
        return AWAITING, ""
    if decision == "accept":
        return (CREDITED if credited else ACCEPTED), note
    if decision == "send-back":
        return SENT_BACK, feedback
    return REFUSED, why


def _settle(tokens: list[tuple[bool, tuple[str, str]]]) -> tuple[str, str]:
    """A module's state from its tokens' outcomes, oldest token first.

    Accepted work stands unless the module was issued again after it (a reversed
    credit). Then a return still waiting to be marked, on any copy, even one whose
    workbook was revoked later or one older than a reissue; otherwise the newest live
    workbook speaks; a module whose only workbooks were revoked can be issued again.
    """
    newest_live = max((i for i, (revoked, _) in enumerate(tokens) if not revoked), default=-1)
    for i, (_, (state, note)) in enumerate(tokens):
        if state in (CREDITED, ACCEPTED) and i >= newest_live:
            return state, note
    # A return waiting on any copy holds the module, or a newer copy could be taken in too.
    waiting = [outcome for _, outcome in tokens if outcome[0] == AWAITING]
    if waiting:
        return waiting[-1]
    return tokens[newest_live][1] if newest_live >= 0 else (NOT_ISSUED, "")


def add_credit(
    tx: Transaction,
    order_id: int,
    module_id: str,
    return_id: int,
    minutes: int,
    approver: str,
    reason: str,
    at: str,
) -> int:
    """Append a credit; the schema refuses a second live credit for the module or return."""
    if module_credit(tx, order_id, module_id):
        raise TrackerError(f"{module_id} is already credited on this order")
    reversals = int(
        tx.scalar(
            "SELECT COUNT(*) FROM credits"
            " WHERE order_id = ? AND module_id = ? AND reverses IS NOT NULL",
            (order_id, module_id),
        )
        or 0
    )
    return tx.insert(
        "INSERT INTO credits (order_id, module_id, return_id, minutes, generation, approver,"
        " reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (order_id, module_id, return_id, minutes, reversals + 1, approver, reason, at),
    )


@entry(Action.CORRECT_LEDGER, Subject.CREDIT, "credit_id")
def reverse_credit(t: Tracker, credit_id: int, reason: str, actor: str) -> LedgerRow:
    """Append a row that cancels credit `credit_id`, with the reason and who did it."""
    reason = check_text(reason, "the reason", 500)
    if not reason:
        raise TrackerError("a reversal needs a reason")
    with t.db.write() as tx:
        row = tx.one("SELECT * FROM credits WHERE id = ?", (credit_id,))
        if row is None:
            raise NotFound(f"no credit {credit_id} in the ledger (`cpo hours ORDER` lists them)")
        if row["reverses"] is not None:
            raise TrackerError(f"credit {credit_id} is itself a reversal; it cannot be reversed")
        done = tx.one("SELECT id FROM credits WHERE reverses = ?", (credit_id,))
        if done:
            raise TrackerError(f"credit {credit_id} was already reversed by entry {done['id']}")
        order = load_order(tx, row["order_id"])
        new_id = tx.insert(
            "INSERT INTO credits (order_id, module_id, return_id, minutes, generation, reverses,"
            " approver, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row["order_id"],
                row["module_id"],
                row["return_id"],
                -row["minutes"],
                row["generation"],
                credit_id,
                actor,
                reason.strip(),
                t.now(),
            ),
        )
        t.audit(
            tx,
            actor,
            "credit.reverse",
            order.reference,
            credit=credit_id,
            module=row["module_id"],
            minutes=-row["minutes"],
            reason=reason.strip(),
        )
        assert credited_minutes(tx, order.id) >= 0
        return LedgerRow(
            new_id, row["module_id"], -row["minutes"], actor, reason.strip(), t.now(), credit_id
        )


def describe(s: Statement) -> list[str]:
    """The statement as lines of plain text."""
    o = s.order
    lines = [
        f"Order {o.reference} ({s.policy.label})",
        f"  Ordered:            {hours(o.minutes)}"
        + (f" (made {hours(o.ordered_minutes)}, adjusted)" if o.adjustments else ""),
        f"  Deadline:           {o.deadline}",
        f"  Cap ({s.policy.cap_percent}%"
        + (
            f", at most {hours(s.policy.cap_ceiling_minutes)}"
            if s.policy.cap_ceiling_minutes is not None
            else ""
        )
        + f"): {hours(s.cap)}",
        f"  Credited:           {hours(s.credited)}",
        f"  Cap left:           {hours(s.cap_left)}",
        f"  Order left:         {hours(s.order_left)}",
        "",
        "  Module  Credited      State",
    ]
    for m in s.modules:
        if m.state == NOT_ISSUED:
            continue
        note = f" ({m.note})" if m.note else ""
        lines.append(
            f"  {m.module_id:<7} {hours(m.minutes) if m.minutes else '-':<13} {m.state}{note}"
        )
    if s.ledger:
        lines += ["", "  Ledger"]
        for r in s.ledger:
            lines.append(
                f"  #{r.id:<5} {r.created_at[:10]}  {r.module_id:<6} {hours(r.minutes):>12}"
                f"  {r.approver}: {r.reason}"
            )
    return lines
