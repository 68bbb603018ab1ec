"""Issued workbooks as staff look them up, and the letter that goes with a sent-back module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.access import Subject, entry
from tracker.accounts import Action
from tracker.codes import show_code
from tracker.errors import NotFound, TrackerError
from tracker.issuing import contact_of
from tracker.ledger import token_states
from tracker.people import get_client, get_office
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text


@dataclass(frozen=True)
class WorkbookModule:
    """A module in a workbook: its code as printed and where it is now."""

    module_id: str
    title: str
    code: str
    state: str
    note: str


@dataclass(frozen=True)
class Workbook:
    """An issued workbook, with each of its modules."""

    number: str
    client: str
    order: str
    profile: str
    issued_on: str
    due_on: str
    issued_by: str
    revoked_on: str  # "" if it was never revoked
    revoked_reason: str
    modules: tuple[WorkbookModule, ...]


WORKBOOK_ROWS = (
    "SELECT w.*, c.reference, r.number AS order_number FROM workbooks w "
    "JOIN clients c ON c.id = w.client_id JOIN orders r ON r.id = w.order_id "
)


@entry(Action.READ_RECORDS, Subject.CLIENT, "client_reference")
def list_workbooks(t: Tracker, client_reference: str) -> list[Workbook]:
    """A client's workbooks, newest first."""
    with t.db.read() as tx:
        client = get_client(tx, client_reference)
        rows = tx.all(WORKBOOK_ROWS + "WHERE w.client_id = ? ORDER BY w.id DESC", (client.id,))
        return [_workbook(t, tx, row) for row in rows]


@entry(Action.READ_RECORDS, Subject.WORKBOOK, "number")
def show_workbook(t: Tracker, number: str) -> Workbook:
    """One workbook by its number (as printed on the letter and every page's footer)."""
    number = check_text(number, "the workbook number", 40, required=True).upper()
    with t.db.read() as tx:
        row = tx.one(WORKBOOK_ROWS + "WHERE w.number = ?", (number,))
        if row is None:
            raise NotFound(f"no workbook {number}")
        return _workbook(t, tx, row)


def _workbook(t: Tracker, tx: Transaction, row: Row) -> Workbook:
    tokens = tx.all("SELECT * FROM tokens WHERE workbook_id = ? ORDER BY id", (row["id"],))
    modules = []
    for k in tokens:
        state, note = token_states(tx, k["id"])
        modules.append(
            WorkbookModule(
                k["module_id"], _title(t, k["module_id"]), show_code(k["code"]), state, note
            )
        )
    return Workbook(
        row["number"],
        row["reference"],
        f"{row['reference']}/{row['order_number']}",
        row["profile"],
        row["issued_on"],
        row["due_on"],
        row["issued_by"],
        (row["revoked_at"] or "")[:10],
        row["revoked_reason"] or "",
        tuple(modules),
    )


def _title(t: Tracker, module_id: str) -> str:
    try:
        return t.course.module(module_id).title
    except Exception:  # a module since taken out of the course: its id says enough
        return ""


@entry(Action.MARK, Subject.RETURN, "return_id")
def send_back_letter(t: Tracker, return_id: int, out_root: Path = Path("output/letters")) -> Path:
    """Write the letter for a return that was sent back: out_root/NUMBER-MODULE-sent-back.pdf.

    It names the activities not tried, the marker's feedback and the module's code, and is
    addressed to the client (their postal address) from their office (its return address).
    Read in one read transaction; rendered after it.
    """
    from builder.pdf.sendback import SendBack, render_send_back

    with t.db.read() as tx:
        row = tx.one(
            "SELECT k.module_id, k.code, w.number, w.profile, c.reference, m.id AS mark_id,"
            " r.arrived_by,"
            " m.decision, m.feedback FROM returns r JOIN tokens k ON k.id = r.token_id"
            " JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id"
            " LEFT JOIN marks m ON m.return_id = r.id WHERE r.id = ?",
            (return_id,),
        )
        if row is None:
            raise NotFound(f"no return R{return_id}")
        if row["decision"] != "send-back":
            state = row["decision"] or "not marked yet"
            raise TrackerError(f"R{return_id} was not sent back ({state}): there is no letter")
        client = get_client(tx, row["reference"])
        office = get_office(tx, client.office)
        untried = {
            r["activity_id"]
            for r in tx.all(
                "SELECT activity_id FROM mark_activities WHERE mark_id = ? AND attempted = 0",
                (row["mark_id"],),
            )
        }
    module = t.course.module(row["module_id"])
    activities = tuple(
        f"{n}. {a.title}" for n, a in enumerate(module.activities, start=1) if a.id in untried
    )
    letter = SendBack(
        client_name=client.name,
        address=client.address,
        return_address=office.return_address,
        office_name=office.name,
        module_id=module.id,
        module_title=module.title,
        module_code=show_code(row["code"]),
        activities=activities,
        feedback=row["feedback"],
        written_on=t.today(),
        profile=row["profile"],
        sender=t.course.title,  # the course's name heads the letter, never the service's
        contact=contact_of(client),
        answers_file=row["arrived_by"] == "answers",  # ask for a new answers file, not pages
    )
    path = out_root / f"{row['number']}-{module.id}-sent-back-R{return_id}.pdf"
    try:
        return render_send_back(letter, path)
    except OSError as err:
        raise TrackerError(f"cannot write {path}: {err.strerror}") from None
