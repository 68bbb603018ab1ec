"""Putting a page right by hand: place it by what its footer says, undo a placing, look at it.

An inner page's footer prints "WB3 · Page 2 of 11 · Workbook WT4F3B", not the module's
code; so an unreadable page can be placed by workbook, module and page number. A page
placed by hand by mistake (a blank back given as page 2) can be taken out again while
its return is not yet marked: it goes back to the unreadable pages, and a return opened
only for it is taken away. Every change is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.access import Subject, check_scope, check_scope_in, entry
from tracker.accounts import Action
from tracker.codes import show_code
from tracker.errors import NotFound, TrackerError
from tracker.intake.records import OURS, UNREADABLE, Sorted, code_page, parse_page_ref
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text


@entry(Action.TAKE_IN)
def place_by_footer(
    t: Tracker, page_ref: str, workbook: str, module: str, number: int, actor: str
) -> Sorted:
    """Give an unreadable page the module and page its footer prints (WB3, page 2, WT4F3B)."""
    workbook = check_text(workbook, "the workbook", 40, required=True).upper()
    module = check_text(module, "the module", 20, required=True).upper()
    if number < 1:
        raise TrackerError(f"page {number} is not a page number: they start at 1")
    with t.db.read() as tx:
        code = tx.scalar(
            "SELECT k.code FROM tokens k JOIN workbooks w ON w.id = k.workbook_id"
            " WHERE w.number = ? AND k.module_id = ?",
            (workbook, module),
        )
    if code is None:
        raise NotFound(f"workbook {workbook} has no module {module}: check the page's footer")
    return code_page(t, page_ref, show_code(str(code)), actor, number)


@entry(Action.TAKE_IN)
def unplace(t: Tracker, page_ref: str, reason: str, actor: str) -> int:
    """Take a page placed by hand out of its return again; the return it was in (0 if gone)."""
    page_id = parse_page_ref(page_ref)
    reason = check_text(reason, "the reason", 300, required=True)
    with t.db.write() as tx:
        page = tx.one("SELECT * FROM intake_pages WHERE id = ?", (page_id,))
        if page is None:
            raise NotFound(f"there is no page P{page_id}")
        if page["return_id"] is not None:
            assert t.actor is not None  # entry() has checked it
            check_scope_in(tx, t.actor, Subject.RETURN, page["return_id"])
        if page["class"] != OURS or page["coded_by"] is None:
            raise TrackerError(
                f"P{page_id} was not placed by hand: only a page given a code or a footer "
                "by hand can be taken out again"
            )
        return_id = int(page["return_id"])
        marked = tx.one("SELECT decision FROM marks WHERE return_id = ?", (return_id,))
        if marked is not None:
            raise TrackerError(
                f"R{return_id} is already marked ({marked['decision']}): its pages stay as marked"
            )
        tx.execute(
            "UPDATE intake_pages SET class = ?, reason = ?, token_id = NULL, page_number = NULL,"
            " page_count = NULL, return_id = NULL, coded_by = NULL, coded_at = NULL"
            " WHERE id = ?",
            (UNREADABLE, f"taken out of R{return_id} by {actor}: {reason}", page_id),
        )
        gone = _drop_if_empty(tx, return_id)
        t.audit(
            tx,
            actor,
            "intake.uncode",
            f"P{page_id}",
            return_id=f"R{return_id}",
            reason=reason,
            return_removed=gone,
        )
    return 0 if gone else return_id


def _drop_if_empty(tx: Transaction, return_id: int) -> bool:
    """Remove a return that intake opened and that now holds nothing; whether it was."""
    left = tx.scalar("SELECT COUNT(*) FROM intake_pages WHERE return_id = ?", (return_id,))
    answers = tx.scalar("SELECT COUNT(*) FROM return_answers WHERE return_id = ?", (return_id,))
    row = tx.one("SELECT arrived_by, evidence FROM returns WHERE id = ?", (return_id,))
    if left or answers or row is None or row["arrived_by"] != "scan":
        return False
    tx.execute("DELETE FROM returns WHERE id = ?", (return_id,))
    return True


@dataclass(frozen=True)
class PageEvidence:
    """One page as intake kept it, whatever its class."""

    page_id: int
    klass: str
    reason: str
    file_name: str
    position: int
    page_number: int | None
    page_count: int | None
    return_id: int | None
    module: str
    workbook: str
    image: bytes | None
    deleted_at: str | None


@entry(Action.MARK)
def page_evidence(t: Tracker, page_ref: str) -> PageEvidence:
    """Any page by its number (P196): what it was sorted as, and its kept image."""
    page_id = parse_page_ref(page_ref)
    with t.db.read() as tx:
        row = tx.one(
            "SELECT p.*, f.name AS file_name, k.module_id, w.number AS workbook"
            " FROM intake_pages p JOIN intake_files f ON f.id = p.file_id"
            " LEFT JOIN tokens k ON k.id = p.token_id"
            " LEFT JOIN workbooks w ON w.id = k.workbook_id WHERE p.id = ?",
            (page_id,),
        )
        if row is None:
            raise NotFound(f"there is no page P{page_id}")
        image = _image(tx, row)
    assert t.actor is not None  # entry() has checked it
    if row["return_id"] is not None:  # outside the read: the check opens its own
        check_scope(t, t.actor, Subject.RETURN, row["return_id"])
    return PageEvidence(
        page_id,
        row["class"],
        row["reason"],
        row["file_name"],
        row["position"],
        row["page_number"],
        row["page_count"],
        row["return_id"],
        row["module_id"] or "",
        row["workbook"] or "",
        image,
        row["evidence_deleted_at"],
    )


def _image(tx: Transaction, row: Row) -> bytes | None:
    if not row["evidence"] or row["evidence_deleted_at"]:
        return None
    data = tx.scalar("SELECT data FROM evidence_images WHERE path = ?", (row["evidence"],))
    return bytes(data) if data is not None else None
