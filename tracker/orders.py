"""Orders: the hours a court made, their deadline, and dated adjustments, never overwrites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.access import Subject, entry
from tracker.accounts import Action
from tracker.errors import NotFound, TrackerError
from tracker.people import get_client
from tracker.policy import Policy, get_policy, hours
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text


@dataclass(frozen=True)
class Adjustment:
    """A dated change to an order: hours added or taken away, or a new deadline."""

    id: int
    minutes_change: int
    new_deadline: str | None
    effective_on: str
    reason: str
    made_by: str


@dataclass(frozen=True)
class Order:
    """An order as made, with its adjustments; `minutes` and `deadline` apply them."""

    id: int
    client_id: int
    client_reference: str
    office_id: int
    number: int
    jurisdiction: str
    ordered_minutes: int
    made_on: str
    original_deadline: str
    adjustments: tuple[Adjustment, ...]

    @property
    def reference(self) -> str:
        return f"{self.client_reference}/{self.number}"

    @property
    def minutes(self) -> int:
        return self.ordered_minutes + sum(a.minutes_change for a in self.adjustments)

    @property
    def deadline(self) -> str:
        moved = [a.new_deadline for a in self.adjustments if a.new_deadline]
        return moved[-1] if moved else self.original_deadline


@entry(Action.MANAGE_CLIENTS, Subject.CLIENT, "client_reference")
def add_order(
    t: Tracker,
    client_reference: str,
    jurisdiction: str,
    minutes: int,
    made_on: date,
    deadline: date,
    actor: str,
) -> Order:
    """Record an order; refuses hours the jurisdiction cannot order and impossible dates."""
    policy = get_policy(jurisdiction)
    if not policy.min_minutes <= minutes <= policy.max_minutes:
        raise TrackerError(
            f"{hours(minutes)} is not an order {policy.label} can make: "
            f"from {hours(policy.min_minutes)} to {hours(policy.max_minutes)}"
        )
    if made_on > t.today():
        raise TrackerError(f"the order date {made_on} is in the future")
    if deadline < made_on:
        raise TrackerError(f"the deadline {deadline} is before the order was made ({made_on})")
    with t.db.write() as tx:
        client = get_client(tx, client_reference)
        number = 1 + int(
            tx.scalar("SELECT COUNT(*) FROM orders WHERE client_id = ?", (client.id,)) or 0
        )
        order_id = tx.insert(
            "INSERT INTO orders (client_id, number, jurisdiction, ordered_minutes, made_on,"
            " deadline, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                client.id,
                number,
                jurisdiction,
                minutes,
                made_on.isoformat(),
                deadline.isoformat(),
                t.now(),
            ),
        )
        t.audit(
            tx,
            actor,
            "order.add",
            f"{client.reference}/{number}",
            jurisdiction=jurisdiction,
            minutes=minutes,
            made_on=made_on.isoformat(),
            deadline=deadline.isoformat(),
        )
        return load_order(tx, order_id)


@entry(Action.MANAGE_CLIENTS, Subject.ORDER, "reference")
def adjust_order(
    t: Tracker,
    reference: str,
    actor: str,
    reason: str,
    effective_on: date,
    minutes_change: int = 0,
    new_deadline: date | None = None,
) -> Order:
    """Add a dated adjustment; refuses one that would undo credit already given."""
    reason = check_text(reason, "the reason", 500)
    if not reason:
        raise TrackerError("an adjustment needs a reason")
    if not minutes_change and new_deadline is None:
        raise TrackerError("nothing to adjust: give hours to add or remove, or a new deadline")
    with t.db.write() as tx:
        order = find_order(tx, reference)
        if new_deadline is not None and new_deadline.isoformat() <= order.deadline:
            raise TrackerError(
                f"a deadline can only be extended: {new_deadline} is not after {order.deadline}"
            )
        minutes = order.minutes + minutes_change
        policy = policy_of(tx, order)
        credited = credited_minutes(tx, order.id)
        if minutes <= 0:
            raise TrackerError(
                f"the order has {hours(order.minutes)}: it cannot lose {hours(-minutes_change)}"
            )
        if minutes > policy.max_minutes:
            raise TrackerError(f"an order cannot be over {hours(policy.max_minutes)}")
        if policy.cap(minutes) < credited:
            raise TrackerError(
                f"{hours(credited)} are already credited, more than the "
                f"{hours(policy.cap(minutes))} cap this would leave: "
                "reverse a credit first (`cpo credit reverse`)"
            )
        tx.insert(
            "INSERT INTO order_adjustments (order_id, minutes_change, new_deadline, effective_on,"
            " reason, made_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                order.id,
                minutes_change,
                new_deadline.isoformat() if new_deadline else None,
                effective_on.isoformat(),
                reason.strip(),
                actor,
                t.now(),
            ),
        )
        t.audit(
            tx,
            actor,
            "order.adjust",
            order.reference,
            minutes_change=minutes_change,
            new_deadline=new_deadline.isoformat() if new_deadline else None,
            effective_on=effective_on.isoformat(),
            reason=reason.strip(),
        )
        return load_order(tx, order.id)


def find_order(tx: Transaction, reference: str) -> Order:
    """An order by `CLIENT/N`, or by `CLIENT` when the client has just one order."""
    reference = check_text(reference, "the order", 100, required=True)
    head, _, tail = reference.strip().rpartition("/")
    if head and tail.isdigit():
        row = tx.one(
            "SELECT o.id FROM orders o JOIN clients c ON c.id = o.client_id "
            "WHERE c.reference = ? AND o.number = ?",
            (head, int(tail)),
        )
        if row:
            return load_order(tx, row["id"])
    client = get_client(tx, reference if not (head and tail.isdigit()) else head)
    rows = tx.all("SELECT id, number FROM orders WHERE client_id = ? ORDER BY number", (client.id,))
    if not rows:
        raise NotFound(f"{client.reference} has no order yet: add one with `cpo order add`")
    if head and tail.isdigit():
        raise NotFound(
            f"{client.reference} has no order {tail} (it has "
            + ", ".join(f"{client.reference}/{r['number']}" for r in rows)
            + ")"
        )
    if len(rows) > 1:
        raise TrackerError(
            f"{client.reference} has {len(rows)} orders: name one, like {client.reference}/1"
        )
    return load_order(tx, rows[0]["id"])


def load_order(tx: Transaction, order_id: int) -> Order:
    row = tx.one(
        "SELECT o.*, c.reference, c.office_id FROM orders o JOIN clients c ON c.id = o.client_id "
        "WHERE o.id = ?",
        (order_id,),
    )
    if row is None:
        raise NotFound(f"no order {order_id}")
    adjustments = tx.all(
        "SELECT * FROM order_adjustments WHERE order_id = ? ORDER BY id", (order_id,)
    )
    return order_from_row(row, adjustments)


def order_from_row(row: Row, adjustments: list[Row]) -> Order:
    return Order(
        id=row["id"],
        client_id=row["client_id"],
        client_reference=row["reference"],
        office_id=row["office_id"],
        number=row["number"],
        jurisdiction=row["jurisdiction"],
        ordered_minutes=row["ordered_minutes"],
        made_on=row["made_on"],
        original_deadline=row["deadline"],
        adjustments=tuple(
            Adjustment(
                a["id"],
                a["minutes_change"],
                a["new_deadline"],
                a["effective_on"],
                a["reason"],
                a["made_by"],
            )
            for a in adjustments
        ),
    )


def policy_of(tx: Transaction, order: Order) -> Policy:
    """The order's jurisdiction policy, with its office's own cap settings."""
    office = tx.one(
        "SELECT cap_percent, cap_ceiling_minutes FROM offices WHERE id = ?", (order.office_id,)
    )
    assert office is not None, "a client's office is a foreign key"
    return get_policy(order.jurisdiction, office["cap_percent"], office["cap_ceiling_minutes"])


def module_credit(tx: Transaction, order_id: int, module_id: str) -> int:
    """Net minutes credited to one module of an order (0 once a credit is reversed)."""
    return int(
        tx.scalar(
            "SELECT COALESCE(SUM(minutes), 0) FROM credits WHERE order_id = ? AND module_id = ?",
            (order_id, module_id),
        )
        or 0
    )


def credited_minutes(tx: Transaction, order_id: int) -> int:
    """Net minutes credited to an order: the sum of its ledger."""
    return int(
        tx.scalar("SELECT COALESCE(SUM(minutes), 0) FROM credits WHERE order_id = ?", (order_id,))
        or 0
    )
