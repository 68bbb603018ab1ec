"""Import clients and their orders from a case system's CSV export.

Each row is checked and applied on its own (a savepoint inside one write transaction),
so a bad row is reported with its line number and the reason, and the rest go in. A
row whose case reference is already known updates that client (each change audited)
and never makes a second one; an order is known by its client and the day it was made,
and a change to its hours or deadline is recorded as a dated adjustment, never an
overwrite. Importing the same file again changes nothing. A dry run does all of it and
then rolls everything back, so it reports exactly what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from tracker.access import Subject, check_scope_in, entry
from tracker.accounts import Action, NotPermitted
from tracker.errors import NotFound, TrackerError
from tracker.import_mappings import Field, Mapping, MappingError
from tracker.import_rows import (
    Row,
    RowRefused,
    check_row,
    decode,
    first_column,
    read_rows,
)
from tracker.orders import Order, load_order, policy_of
from tracker.people import Client, get_client, get_office
from tracker.policy import hours
from tracker.store import Transaction
from tracker.tracker import Tracker
from tracker.validate import InputError, problem


class Outcome(StrEnum):
    """What became of a row."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowResult:
    """One row's result: its line in the file, the reference, and what changed or why not."""

    line: int
    reference: str
    outcome: Outcome
    changes: tuple[str, ...] = ()  # what was added or changed, by field
    field: str = ""  # for a refusal: the field at fault
    reason: str = ""


@dataclass(frozen=True)
class ImportReport:
    """Every row's result, in file order."""

    source: str
    mapping: str
    dry_run: bool
    rows: tuple[RowResult, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def refused(self) -> tuple[RowResult, ...]:
        return tuple(r for r in self.rows if r.outcome is Outcome.REFUSED)


class _DryRun(Exception):
    """Raised at the end of a dry run to roll every row back."""


@entry(Action.MANAGE_CLIENTS, Subject.OFFICE, "office")
def import_csv(
    t: Tracker,
    data: bytes,
    mapping: Mapping,
    actor: str,
    office: str | None = None,
    dry_run: bool = False,
    source: str = "import",
) -> ImportReport:
    """Import every row of a CSV export; MappingError only if no row can be read at all."""
    rows = list(read_rows(decode(data, mapping), mapping))
    results: list[RowResult] = []
    try:
        with t.db.write() as tx:
            for line, values in rows:
                results.append(_one_row(t, tx, line, values, mapping, office, actor, source))
            if dry_run:
                raise _DryRun
            _count_for_the_planner(tx)
    except _DryRun:
        pass
    return ImportReport(source, mapping.name, dry_run, tuple(results))


# What an import writes: PostgreSQL's planner should know their new sizes at once.
IMPORTED_TABLES = ("clients", "orders", "order_adjustments", "audit_log")


def _count_for_the_planner(tx: Transaction) -> None:
    """On PostgreSQL, count the imported tables' rows now (ANALYZE), not in a minute or so.

    PostgreSQL plans each query from counts that its background worker (autovacuum)
    renews about a minute after a large change; until then a page read after importing
    thousands of clients is planned as if the tables were nearly empty, and is slow.
    SQLite plans without such counts.
    """
    if tx.engine == "postgresql":
        tx.execute("ANALYZE " + ", ".join(IMPORTED_TABLES))


def _one_row(
    t: Tracker,
    tx: Transaction,
    line: int,
    values: dict[str, str] | RowRefused,
    mapping: Mapping,
    office: str | None,
    actor: str,
    source: str,
) -> RowResult:
    """Apply one row inside a savepoint; a refusal rolls back just this row."""
    reference = (
        values.get(first_column(mapping, Field.REFERENCE), "") if isinstance(values, dict) else ""
    )
    tx.execute("SAVEPOINT import_row")
    try:
        if isinstance(values, RowRefused):
            raise values
        row = check_row(values, mapping, office)
        reference = row.reference
        outcome, changes = _apply(t, tx, row, actor, f"{source} line {line}")
    except (RowRefused, InputError, NotFound, NotPermitted) as err:
        tx.execute("ROLLBACK TO SAVEPOINT import_row")
        tx.execute("RELEASE SAVEPOINT import_row")
        field, reason = _why(err)
        return RowResult(line, _safe(reference), Outcome.REFUSED, (), field, reason)
    except TrackerError as err:  # a rule the records hold (a constraint): still one row
        tx.execute("ROLLBACK TO SAVEPOINT import_row")
        tx.execute("RELEASE SAVEPOINT import_row")
        return RowResult(line, _safe(reference), Outcome.REFUSED, (), "row", str(err))
    tx.execute("RELEASE SAVEPOINT import_row")
    return RowResult(line, reference, outcome, changes)


def _why(err: TrackerError) -> tuple[str, str]:
    if isinstance(err, (RowRefused, InputError)):
        return err.field, err.reason
    if isinstance(err, NotPermitted):
        return err.field, err.reason
    return "office", str(err)


def _safe(text: str) -> str:
    return text if not problem(text, 40) else ""


def _apply(
    t: Tracker, tx: Transaction, row: Row, actor: str, where: str
) -> tuple[Outcome, tuple[str, ...]]:
    """Add or update the client and their order; what changed."""
    assert t.actor is not None  # entry() has checked it
    check_scope_in(tx, t.actor, Subject.OFFICE, row.office)
    home = get_office(tx, row.office)
    known = tx.one("SELECT id FROM clients WHERE reference = ?", (row.reference,))
    if known is None:
        _add_client(t, tx, row, home.id, actor, where)
        outcome, changes = Outcome.ADDED, ["client"]
    else:
        check_scope_in(tx, t.actor, Subject.CLIENT, row.reference)
        changes = _update_client(t, tx, get_client(tx, row.reference), row, home.id, actor, where)
        outcome = Outcome.UPDATED if changes else Outcome.UNCHANGED
    if row.order is not None:
        change = _apply_order(t, tx, get_client(tx, row.reference), row.order, actor, where)
        if change:
            changes.append(change)
            outcome = outcome if outcome is Outcome.ADDED else Outcome.UPDATED
    return outcome, tuple(changes)


def _add_client(
    t: Tracker, tx: Transaction, row: Row, office_id: int, actor: str, where: str
) -> None:
    tx.insert(
        "INSERT INTO clients (reference, name, office_id, case_worker, case_worker_contact,"
        " extra_time, created_at, region, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.reference,
            row.name,
            office_id,
            row.case_worker,
            row.contact,
            int(bool(row.extra_time)),
            t.now(),
            row.region.value if row.region else None,
            "\n".join(row.address),
        ),
    )
    t.audit(tx, actor, "client.import", row.reference, office=row.office, source=where)


def _update_client(
    t: Tracker, tx: Transaction, client: Client, row: Row, office_id: int, actor: str, where: str
) -> list[str]:
    """Change what the row says differently; the fields changed."""
    wanted: dict[str, tuple[object, object]] = {
        "name": (client.name, row.name),
        "office_id": (client.office, row.office),
        "case_worker": (client.case_worker, row.case_worker),
        "case_worker_contact": (client.case_worker_contact, row.contact),
        "address": (client.address, row.address),
    }
    if row.region is not None:
        wanted["region"] = (client.region, row.region)
    if row.extra_time is not None:
        wanted["extra_time"] = (client.extra_time, row.extra_time)
    changed = {column: new for column, (old, new) in wanted.items() if old != new}
    stored = {
        "office_id": office_id,
        "address": "\n".join(row.address),
        "region": row.region.value if row.region else None,
        "extra_time": int(bool(row.extra_time)),
    }
    for column in changed:
        value = stored.get(column, changed[column])
        tx.execute(f"UPDATE clients SET {column} = ? WHERE id = ?", (value, client.id))
    if changed:
        shown = {
            ("office" if k == "office_id" else k): ("changed" if k == "address" else str(v))
            for k, v in changed.items()
        }
        t.audit(tx, actor, "client.import", client.reference, source=where, **shown)
    return [("office" if k == "office_id" else k) for k in changed]


def _apply_order(
    t: Tracker,
    tx: Transaction,
    client: Client,
    order: tuple[str, int, date, date],
    actor: str,
    where: str,
) -> str:
    """Add the order, or adjust the one made that day; what changed ("" if nothing)."""
    jurisdiction, minutes, made, deadline = order
    if made > t.today():
        raise RowRefused("made", f"the order date {made} is in the future")
    found = tx.one(
        "SELECT id FROM orders WHERE client_id = ? AND made_on = ? ORDER BY number LIMIT 1",
        (client.id, made.isoformat()),
    )
    if found is None:
        number = 1 + int(tx.scalar("SELECT COUNT(*) FROM orders WHERE client_id = ?", (client.id,)))
        tx.insert(
            "INSERT INTO orders (client_id, number, jurisdiction, ordered_minutes, made_on,"
            " deadline, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                client.id,
                number,
                jurisdiction,
                minutes,
                made.isoformat(),
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
            made_on=made.isoformat(),
            deadline=deadline.isoformat(),
            source=where,
        )
        return "order"
    return _adjust(
        t, tx, load_order(tx, int(found["id"])), jurisdiction, minutes, deadline, actor, where
    )


def _adjust(
    t: Tracker,
    tx: Transaction,
    order: Order,
    jurisdiction: str,
    minutes: int,
    deadline: date,
    actor: str,
    where: str,
) -> str:
    """A dated adjustment bringing a known order to the row's hours and deadline."""
    if jurisdiction != order.jurisdiction:
        raise RowRefused(
            "jurisdiction", f"order {order.reference} is {order.jurisdiction}, not {jurisdiction}"
        )
    change = minutes - order.minutes
    moved = deadline.isoformat() if deadline.isoformat() != order.deadline else None
    if not change and moved is None:
        return ""
    if moved is not None and moved < order.deadline:
        raise RowRefused(
            "deadline", f"a deadline can only be extended: {moved} is before {order.deadline}"
        )
    credited = int(
        tx.scalar("SELECT COALESCE(SUM(minutes), 0) FROM credits WHERE order_id = ?", (order.id,))
    )
    if policy_of(tx, order).cap(minutes) < credited:
        raise RowRefused("hours", f"{hours(credited)} are already credited on {order.reference}")
    tx.insert(
        "INSERT INTO order_adjustments (order_id, minutes_change, new_deadline, effective_on,"
        " reason, made_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (order.id, change, moved, t.today().isoformat(), f"Imported ({where})", actor, t.now()),
    )
    t.audit(
        tx,
        actor,
        "order.adjust",
        order.reference,
        minutes_change=change,
        new_deadline=moved,
        effective_on=t.today().isoformat(),
        reason=f"Imported ({where})",
    )
    return "order hours" if change else "order deadline"


def read_file(path: Path) -> bytes:
    """A CSV file's bytes; MappingError if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise MappingError(str(path), f"cannot be read ({err.strerror})") from None
