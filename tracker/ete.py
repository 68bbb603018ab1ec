"""England and Wales: the practitioner's agreement that ETE work counts, and where a client lives.

An England and Wales order credits only modules that count as ETE, and only once the
probation practitioner's agreement (who, and on what day) is recorded on the order.
Which region's help a workbook names follows the order: Scotland for a Scottish order,
and England or Wales (the client's region) for an England and Wales order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from builder.course import Module
from builder.regions import Region
from tracker.access import Subject, entry
from tracker.accounts import Action
from tracker.errors import AgreementNeeded, NotEligible, TrackerError
from tracker.orders import Order, find_order, policy_of
from tracker.people import Client
from tracker.policy import Policy
from tracker.store import Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text

# The region each jurisdiction's orders may be served in.
JURISDICTION_REGIONS: dict[str, tuple[Region, ...]] = {
    "scotland": (Region.SCOTLAND,),
    "england-wales": (Region.ENGLAND, Region.WALES),
}


@dataclass(frozen=True)
class Agreement:
    """The practitioner's recorded agreement that ETE work counts on an order."""

    order: str
    agreed_by: str
    agreed_on: str
    recorded_by: str
    recorded_at: str


@entry(Action.MANAGE_CLIENTS, Subject.ORDER, "reference")
def agree(
    t: Tracker, reference: str, agreed_by: str, actor: str, on: date | None = None
) -> Agreement:
    """Record the practitioner's agreement on an England and Wales order, once."""
    who = check_text(agreed_by, "--by", 100, required=True)
    day = on or t.today()
    if day > t.today():
        raise TrackerError(f"the agreement date {day} is in the future")
    with t.db.write() as tx:
        order = find_order(tx, reference)
        if not policy_of(tx, order).needs_agreement:
            raise TrackerError(f"order {order.reference} needs no agreement ({order.jurisdiction})")
        if day.isoformat() < order.made_on:
            raise TrackerError(f"{day} is before the order was made ({order.made_on})")
        done = agreement(tx, order)
        if done is not None:
            raise TrackerError(
                f"order {order.reference} was already agreed "
                f"by {done.agreed_by} on {done.agreed_on}"
            )
        tx.insert(
            "INSERT INTO order_agreements (order_id, agreed_by, agreed_on, recorded_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (order.id, who, day.isoformat(), actor, t.now()),
        )
        t.audit(tx, actor, "order.agree", order.reference, agreed_by=who, agreed_on=day.isoformat())
        found = agreement(tx, order)
        assert found is not None
        return found


@entry(Action.READ_RECORDS, Subject.ORDER, "reference")
def order_agreement(t: Tracker, reference: str) -> tuple[bool, Agreement | None]:
    """Whether the order needs agreement, and the agreement recorded on it, if any."""
    with t.db.read() as tx:
        order = find_order(tx, reference)
        return policy_of(tx, order).needs_agreement, agreement(tx, order)


def agreement(tx: Transaction, order: Order) -> Agreement | None:
    """The order's recorded agreement, if there is one."""
    row = tx.one("SELECT * FROM order_agreements WHERE order_id = ?", (order.id,))
    if row is None:
        return None
    return Agreement(
        order.reference, row["agreed_by"], row["agreed_on"], row["recorded_by"], row["created_at"]
    )


def check_credit(tx: Transaction, policy: Policy, order: Order, module: Module) -> None:
    """Refuse credit for a module the order cannot count, or before agreement is recorded."""
    check_eligible(policy, order, module)
    if policy.needs_agreement and agreement(tx, order) is None:
        raise AgreementNeeded(
            order.reference,
            "the probation practitioner's agreement to this ETE work is not recorded yet: "
            f"record it with `cpo order agree {order.reference} --by NAME`",
        )


def check_eligible(policy: Policy, order: Order, module: Module) -> None:
    """Refuse a module that does not count under the order's policy."""
    if not policy.eligible(module):
        raise NotEligible(
            module.id,
            order.reference,
            f"{policy.label} orders count only {policy.counts.label} modules",
        )


def region_for(order: Order, client: Client) -> Region:
    """The region whose help a workbook for this order names."""
    allowed = JURISDICTION_REGIONS[order.jurisdiction]
    if len(allowed) == 1:
        return allowed[0]
    if client.region in allowed:
        return client.region
    names = " or ".join(r.value for r in allowed)
    where = f"is set to {client.region.value}" if client.region else "is not recorded"
    raise TrackerError(
        f"where {client.reference} lives {where}: an England and Wales order needs {names} "
        f"(`cpo client set {client.reference} --region england`)"
    )
