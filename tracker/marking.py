"""Marking a return: which activities were tried, the decision, and the credit it earns.

Only marking credits hours. An accepted module earns
min(declared, guided time x allowance, cap left, order left), once per order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tracker.access import Subject, entry, keeps
from tracker.accounts import Action
from tracker.errors import NotFound, TrackerError
from tracker.ete import check_credit
from tracker.ledger import ACCEPTED, add_credit, module_states
from tracker.marking_help import Pages, check_tried, pages_of
from tracker.orders import credited_minutes, find_order, load_order, module_credit, policy_of
from tracker.policy import credit_for, hours
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text, show

DECISIONS = ("accept", "send-back", "refuse")
MOST_MINUTES = 100 * 60  # a declaration beyond this is a typing mistake


@dataclass(frozen=True)
class Pending:
    """A return waiting to be marked."""

    return_id: int
    client: str
    workbook: str
    module_id: str
    received_at: str
    arrived_by: str
    pages: Pages | None = None  # pages received, of how many, and the gaps


@dataclass(frozen=True)
class Marked:
    """The outcome of marking a return."""

    return_id: int
    client: str
    order: str
    module_id: str
    decision: str
    declared: int | None
    credited: int
    note: str
    credit_id: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "return": self.return_id,
            "client": self.client,
            "order": self.order,
            "module": self.module_id,
            "decision": self.decision,
            "declared_minutes": self.declared,
            "credited_minutes": self.credited,
            "note": self.note,
            "credit": self.credit_id,
        }


@entry(Action.MARK)
def pending(t: Tracker) -> list[Pending]:
    """Returns not yet marked, oldest first."""
    with t.db.read() as tx:
        rows = tx.all(
            "SELECT r.id, c.reference, w.number, k.module_id, r.received_at, r.arrived_by, "
            "f.code FROM returns r JOIN tokens k ON k.id = r.token_id "
            "JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id "
            "JOIN offices f ON f.id = c.office_id "
            "LEFT JOIN marks m ON m.return_id = r.id WHERE m.id IS NULL ORDER BY r.id"
        )
        rows = [r for r in rows if keeps(t, r["code"])]
        pages = pages_of(tx, [r["id"] for r in rows])
    return [
        Pending(
            r["id"],
            r["reference"],
            r["number"],
            r["module_id"],
            r["received_at"],
            r["arrived_by"],
            pages[r["id"]],
        )
        for r in rows
    ]


@entry(Action.MARK, Subject.RETURN, "return_id")
def module_of_return(t: Tracker, return_id: int) -> str:
    """The id of the module a return is for; NotFound if there is no such return."""
    with t.db.read() as tx:
        row = tx.one(
            "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id WHERE r.id = ?",
            (return_id,),
        )
    if row is None:
        raise NotFound(f"no return R{return_id} (`cpo mark` with no return lists those waiting)")
    return str(row["module_id"])


def parse_return_id(text: str) -> int:
    """R17 or 17 -> 17."""
    cleaned = check_text(text, "the return", 40).upper().removeprefix("R")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise TrackerError(f"'{show(text, 40)}' is not a return number (like R17)")
    return int(cleaned)


@entry(Action.MARK, Subject.RETURN, "return_id")
def mark(
    t: Tracker,
    return_id: int,
    decision: str,
    marker: str,
    attempted: Mapping[str, bool],
    declared_minutes: int | None = None,
    feedback: str = "",
    reason: str = "",
    pages_missing_ok: bool = False,
) -> Marked:
    """Record the marker's decision on a return, and credit it if accepted.

    Accepting a return with pages missing needs `pages_missing_ok` and a `reason`,
    which is kept with the mark.
    """
    if decision not in DECISIONS:
        raise TrackerError(f"the decision must be one of {', '.join(DECISIONS)}")
    if not marker.strip():
        raise TrackerError("say who is marking (--by)")
    feedback = check_text(feedback, "the feedback", 1000)
    reason = check_text(reason, "the reason", 500)
    missing = _missing_pages(t, return_id, decision, pages_missing_ok, reason)
    with t.db.write() as tx:
        row = _return(tx, return_id)
        module = t.course.module(row["module_id"])
        done = tx.one(
            "SELECT marker, marked_at, decision FROM marks WHERE return_id = ?", (return_id,)
        )
        if done:
            raise TrackerError(
                f"R{return_id} was already marked ({done['decision']}) by {done['marker']} "
                f"on {done['marked_at'][:10]}"
            )
        known = {a.id for a in module.activities}
        unknown = sorted(set(attempted) - known)
        if unknown:
            raise TrackerError(
                f"{module.id} has no activity {unknown[0]} (it has {', '.join(sorted(known))})"
            )
        _check_decision(decision, declared_minutes, feedback, reason)
        if decision == "accept":
            check_tried(tx, return_id, dict(attempted))
        order = load_order(tx, row["order_id"])
        credited, note, credit_id = 0, "", None
        if decision == "accept":
            assert declared_minutes is not None
            missed = [a.id for a in module.required_activities if not attempted.get(a.id)]
            if missed:
                raise TrackerError(
                    f"required {'activity' if len(missed) == 1 else 'activities'} "
                    f"{', '.join(missed)} not tried: send the module back instead"
                )
            if module_credit(tx, order.id, module.id):
                raise TrackerError(f"{module.id} is already credited on order {order.reference}")
            policy = policy_of(tx, order)
            check_credit(tx, policy, order, module)  # England and Wales: ETE, once agreed
            so_far = credited_minutes(tx, order.id)
            credit = credit_for(
                policy,
                declared=declared_minutes,
                guided=row["guided_minutes"],
                extra_time=bool(row["extra_time"]),
                cap_left=max(0, policy.cap(order.minutes) - so_far),
                order_left=max(0, order.minutes - so_far),
            )
            credited, note = credit.minutes, credit.note
        mark_id = tx.insert(
            "INSERT INTO marks (return_id, decision, declared_minutes, credited_minutes,"
            " credit_note, feedback, reason, marker, marked_at, pages_missing_reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                return_id,
                decision,
                declared_minutes,
                credited,
                note,
                feedback,
                "" if missing else reason,
                marker.strip(),
                t.now(),
                f"{missing} missing: {reason}" if missing else "",
            ),
        )
        for activity in module.activities:
            tx.execute(
                "INSERT INTO mark_activities (mark_id, activity_id, attempted) VALUES (?, ?, ?)",
                (mark_id, activity.id, int(bool(attempted.get(activity.id)))),
            )
        if credited:
            why = f"{module.id} accepted" + (f": {note}" if note else "")
            credit_id = add_credit(
                tx, order.id, module.id, return_id, credited, marker.strip(), why, t.now()
            )
        t.audit(
            tx,
            marker.strip(),
            f"return.{decision}",
            f"R{return_id}",
            module=module.id,
            order=order.reference,
            declared=declared_minutes,
            credited=credited,
            note=note,
            feedback=feedback,
            reason=reason,
            pages_missing=missing,
            tried=sorted(a for a, done in attempted.items() if done),
        )
    return Marked(
        return_id,
        row["reference"],
        order.reference,
        module.id,
        decision,
        declared_minutes,
        credited,
        note,
        credit_id,
    )


def _missing_pages(t: Tracker, return_id: int, decision: str, ok: bool, reason: str) -> str:
    """The pages of the return that did not come in ("pages 4-6"), when accepting it."""
    if decision != "accept":
        return ""
    from tracker.intake.evidence import return_evidence

    try:
        missing = return_evidence(t, return_id).missing_text
    except NotFound:
        return ""  # said by mark() itself, in its words
    if missing and not (ok and reason):
        raise PagesMissing(return_id, missing)
    return missing


class PagesMissing(TrackerError):
    """An accept refused because pages of the return are missing and no reason was given."""

    def __init__(self, return_id: int, pages: str) -> None:
        self.return_id, self.pages = return_id, pages
        super().__init__(
            f"{pages} of R{return_id} did not come in: to accept it anyway, say why "
            "with --pages-missing-ok --reason WHY (or send it back)"
        )


def _return(tx: Transaction, return_id: int) -> Row:
    row = tx.one(
        "SELECT r.*, k.module_id, k.guided_minutes, w.order_id, w.number, c.reference,"
        " c.extra_time FROM returns r JOIN tokens k ON k.id = r.token_id "
        "JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id "
        "WHERE r.id = ?",
        (return_id,),
    )
    if row is None:
        raise NotFound(f"no return R{return_id} (`cpo mark` with no return lists those waiting)")
    return row


def _check_decision(decision: str, declared: int | None, feedback: str, reason: str) -> None:
    if decision == "accept":
        if not declared:
            raise TrackerError(
                "accepting needs the time the client declared (--minutes): with none "
                "declared, send the module back or refuse it"
            )
        if not 0 <= declared <= MOST_MINUTES:
            raise TrackerError(
                f"{hours(declared)} declared for one module cannot be right: check the form"
            )
    if decision == "send-back" and not feedback.strip():
        raise TrackerError("sending back needs feedback for the client (--feedback)")
    if decision == "refuse" and not reason.strip():
        raise TrackerError("refusing needs a reason (--reason)")


@dataclass(frozen=True)
class Unpaid:
    """A module accepted when no hours were left: completed without credit, for now."""

    return_id: int
    module_id: str
    declared: int
    marked_on: str


@dataclass(frozen=True)
class LateCredit:
    """What `credit_pending` credited for one module, and why it is less if it is."""

    return_id: int
    module_id: str
    credited: int
    note: str
    credit_id: int | None


@entry(Action.READ_RECORDS, Subject.ORDER, "reference")
def completed_without_credit(t: Tracker, reference: str) -> list[Unpaid]:
    """The order's modules accepted when no hours were left, still without credit."""
    with t.db.read() as tx:
        order = find_order(tx, reference)
        return [_unpaid(r) for r in _unpaid_rows(tx, order.id)]


@entry(Action.MARK, Subject.ORDER, "reference")
def credit_pending(t: Tracker, reference: str, actor: str) -> list[LateCredit]:
    """Credit each module completed without credit, now that the order has hours left.

    Each earns what marking would give it today: min(declared, guided time x
    allowance, cap left, order left), oldest first. One left at 0 stays pending.
    """
    actor = check_text(actor, "--by", 100, required=True)
    out = []
    with t.db.write() as tx:
        order = find_order(tx, reference)
        policy = policy_of(tx, order)
        for row in _unpaid_rows(tx, order.id):
            so_far = credited_minutes(tx, order.id)
            credit = credit_for(
                policy,
                declared=row["declared_minutes"],
                guided=row["guided_minutes"],
                extra_time=bool(row["extra_time"]),
                cap_left=max(0, policy.cap(order.minutes) - so_far),
                order_left=max(0, order.minutes - so_far),
            )
            credit_id = None
            if credit.minutes:
                why = f"{row['module_id']} completed on {row['marked_at'][:10]}, credited late"
                credit_id = add_credit(
                    tx,
                    order.id,
                    row["module_id"],
                    row["return_id"],
                    credit.minutes,
                    actor,
                    why + (f": {credit.note}" if credit.note else ""),
                    t.now(),
                )
                t.audit(
                    tx,
                    actor,
                    "credit.pending",
                    f"R{row['return_id']}",
                    order=order.reference,
                    module=row["module_id"],
                    credited=credit.minutes,
                    note=credit.note,
                )
            out.append(
                LateCredit(
                    row["return_id"], row["module_id"], credit.minutes, credit.note, credit_id
                )
            )
    return out


def _unpaid_rows(tx: Transaction, order_id: int) -> list[Row]:
    rows = tx.all(
        "SELECT m.return_id, m.declared_minutes, m.marked_at, k.module_id, k.guided_minutes,"
        " c.extra_time FROM marks m JOIN returns r ON r.id = m.return_id"
        " JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id"
        " JOIN clients c ON c.id = w.client_id"
        " WHERE w.order_id = ? AND m.decision = 'accept' AND m.credited_minutes = 0"
        " ORDER BY m.id",
        (order_id,),
    )
    states, seen, out = module_states(tx, order_id), set(), []
    for r in rows:
        module = r["module_id"]
        if module in seen or states.get(module, ("", ""))[0] != ACCEPTED:
            continue
        if not module_credit(tx, order_id, module):
            seen.add(module)
            out.append(r)
    return out


def _unpaid(row: Row) -> Unpaid:
    return Unpaid(row["return_id"], row["module_id"], row["declared_minutes"], row["marked_at"])
