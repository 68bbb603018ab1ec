"""What a facilitator looks at: returns waiting, one return to mark, pages nobody could read.

These read the records for the staff web app's intake and marking pages (and any other
face): typed results, each scoped to the acting account's offices. A page of a return
belongs to the return's office. A page that joined no return (unreadable, foreign) has
no office of its own: it belongs to the offices of the account that took its file in, so
the facilitators of those offices can resolve it, and an admin sees every one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from builder.answers import Answer, AnswersError, Declaration, ModuleAnswers, read_module
from builder.course import Module
from tracker.access import Subject, entry, office_in, served_offices
from tracker.accounts import Action, NotPermitted
from tracker.errors import NotFound
from tracker.intake.records import BLANK, UNREADABLE
from tracker.marking_help import Pages, pages_of
from tracker.orders import credited_minutes, load_order, policy_of
from tracker.store import Row, Transaction
from tracker.tracker import Tracker

PAGE_SIZE = 50  # returns to a page of the list: a facilitator works from the top
LARGEST_ID = 2**62  # ids and offsets beyond this are no record's (and would overflow the engines)


@dataclass(frozen=True)
class Waiting:
    """A return waiting to be marked, with what came in of it."""

    return_id: int
    client: str
    office: str
    workbook: str
    module_id: str
    module_title: str
    received_at: str
    arrived_by: str
    pages_in: int  # pages of paper received (an answers file counts none)
    page_count: int | None  # the module's pages, when a page code told it
    missing: str  # "pages 4-6", or "" when none is surely missing
    answers: bool  # an answers file came in for it


@dataclass(frozen=True)
class Queue:
    """One page of the returns waiting, oldest first, and whether more wait after it.

    Not how many wait in all: at an office's scale, counting them scans every return
    ever made (0.2 s for 128,000), and the marker works from the top.
    """

    returns: tuple[Waiting, ...]
    offset: int
    more: bool


@dataclass(frozen=True)
class PageSeen:
    """A page of a return as the marker sees it: its number and whether its image is kept."""

    page_id: int
    page_number: int | None
    page_count: int | None
    has_image: bool
    deleted_at: str | None
    by_hand: bool = False  # placed by a person (a typed code or footer): it can be taken out


@dataclass(frozen=True)
class ActivitySeen:
    """An activity of the module beside what the client typed for it (if an answers file came)."""

    id: str
    title: str
    kind: str
    required: bool
    answer: Answer | None


@dataclass(frozen=True)
class MarkingView:
    """Everything a marker needs to decide on one return, and the return to go to next."""

    return_id: int
    client: str
    client_name: str
    office: str
    order: str
    workbook: str
    module_id: str
    module_title: str
    received_at: str
    arrived_by: str
    pages: tuple[PageSeen, ...]
    missing: str
    activities: tuple[ActivitySeen, ...]
    declaration: Declaration | None  # from an answers file: what the client declared
    answers_saved: str | None  # when the answers file was saved, if one came
    answers_deleted_at: str | None
    guided_minutes: int
    allowed_minutes: int  # guided time, with the extra-time allowance if the client has it
    extra_time: bool
    cap_name: str
    cap_left: int
    order_left: int
    decision: str | None  # the decision already made on it, if it was marked
    next_return: int | None  # the next return waiting in the account's offices


@dataclass(frozen=True)
class Unreadable:
    """A page whose code could not be read, waiting for a person to say what it is."""

    page_id: int
    file_name: str
    position: int
    taken_at: str
    taken_by: str
    reason: str
    has_image: bool

    @property
    def blank(self) -> bool:
        """Whether nothing is on the page at all (most often a duplex sheet's empty back)."""
        return self.reason == BLANK


_WAITING = (
    " FROM returns r JOIN tokens k ON k.id = r.token_id"
    " JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id"
    " JOIN offices f ON f.id = c.office_id"
    " WHERE NOT EXISTS (SELECT 1 FROM marks m WHERE m.return_id = r.id)"
)


def _office_filter(t: Tracker, office: str | None) -> tuple[str, list[str]]:
    """SQL and parameters keeping only the acting account's offices (or the one asked for)."""
    only, keep = served_offices(t, office)
    if only is not None:
        return " AND f.code = ?", [only]
    if keep is not None:
        return f" AND f.code IN ({', '.join('?' * len(keep))})", sorted(keep)
    return "", []


@entry(Action.MARK)
def waiting(
    t: Tracker, office: str | None = None, offset: int = 0, count: int = PAGE_SIZE
) -> Queue:
    """The returns waiting to be marked in the account's offices, oldest first, a page at a time."""
    where, params = _office_filter(t, office)
    offset, count = min(max(0, offset), LARGEST_ID), max(1, min(count, 500))
    with t.db.read() as tx:
        rows = tx.all(
            "SELECT r.id, c.reference, f.code, w.number, k.module_id, r.received_at,"
            " r.arrived_by" + _WAITING + where + " ORDER BY r.id LIMIT ? OFFSET ?",
            [*params, count + 1, offset],  # one more than shown: are there later ones?
        )
        shown = rows[:count]
        pages = pages_of(tx, [r["id"] for r in shown])
    listed = tuple(_waiting(t, r, pages[r["id"]]) for r in shown)
    return Queue(listed, offset, len(rows) > count)


def _page_rows(tx: Transaction, return_id: int) -> list[Row]:
    """The pages kept with a return, to be shown (no images: only whether each is kept).

    Counts and gaps are `marking_help.pages_of`'s, the one rule for them.
    """
    rows = tx.all(
        "SELECT p.id, p.return_id, p.page_number, p.page_count, p.evidence_deleted_at,"
        " p.coded_by, f.kind,"
        " (SELECT COUNT(*) FROM evidence_images e WHERE e.path = p.evidence) AS kept"
        " FROM intake_pages p JOIN intake_files f ON f.id = p.file_id"
        " WHERE p.class = 'ours' AND p.return_id = ?"
        " ORDER BY p.page_number IS NULL, p.page_number, p.id",
        (return_id,),
    )
    return list(rows)


def _waiting(t: Tracker, row: Row, pages: Pages) -> Waiting:
    return Waiting(
        return_id=row["id"],
        client=row["reference"],
        office=row["code"],
        workbook=row["number"],
        module_id=row["module_id"],
        module_title=_title(t, row["module_id"]),
        received_at=row["received_at"],
        arrived_by=row["arrived_by"],
        pages_in=pages.received,
        page_count=pages.count,
        missing=pages.missing,
        answers=pages.answers,
    )


def _title(t: Tracker, module_id: str) -> str:
    try:
        return t.course.module(module_id).title
    except KeyError:
        return module_id


@entry(Action.MARK, Subject.RETURN, "return_id")
def marking_view(t: Tracker, return_id: int) -> MarkingView:
    """One return as its marker sees it: pages, answers, activities, time and what is left."""
    with t.db.read() as tx:
        row = tx.one(
            "SELECT r.id, r.received_at, r.arrived_by, k.module_id, k.guided_minutes,"
            " w.number, w.order_id, c.reference, c.name, c.extra_time, f.code,"
            " m.decision FROM returns r JOIN tokens k ON k.id = r.token_id"
            " JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id"
            " JOIN offices f ON f.id = c.office_id LEFT JOIN marks m ON m.return_id = r.id"
            " WHERE r.id = ?",
            (return_id,),
        )
        if row is None:
            raise NotFound(f"there is no return R{return_id}")
        order = load_order(tx, row["order_id"])
        policy = policy_of(tx, order)
        so_far = credited_minutes(tx, order.id)
        pages = _page_rows(tx, return_id)
        missing = pages_of(tx, [return_id])[return_id].missing
        kept = tx.one(
            "SELECT answers, deleted_at FROM return_answers WHERE return_id = ?", (return_id,)
        )
    module = t.course.module(row["module_id"])
    answers = _answers(kept["answers"] if kept else "", return_id)
    paper = [p for p in pages if p["kind"] != "answers"]
    return MarkingView(
        return_id=return_id,
        client=row["reference"],
        client_name=row["name"],
        office=row["code"],
        order=order.reference,
        workbook=row["number"],
        module_id=module.id,
        module_title=module.title,
        received_at=row["received_at"],
        arrived_by=row["arrived_by"],
        pages=tuple(
            PageSeen(
                p["id"],
                p["page_number"],
                p["page_count"],
                bool(p["kept"]),
                p["evidence_deleted_at"],
                p["coded_by"] is not None,
            )
            for p in paper
        ),
        missing=missing,
        activities=_activities(module, answers),
        declaration=answers.declaration if answers else None,
        answers_saved=_saved(kept["answers"]) if kept and kept["answers"] else None,
        answers_deleted_at=kept["deleted_at"] if kept else None,
        guided_minutes=row["guided_minutes"],
        allowed_minutes=policy.allowed(row["guided_minutes"], bool(row["extra_time"])),
        extra_time=bool(row["extra_time"]),
        cap_name=policy.cap_name,
        cap_left=max(0, policy.cap(order.minutes) - so_far),
        order_left=max(0, order.minutes - so_far),
        decision=row["decision"],
        next_return=next_waiting(t, return_id),
    )


def _answers(text: str, return_id: int) -> ModuleAnswers | None:
    """The module's answers as kept with the return, read back; None if none (or unreadable)."""
    if not text:
        return None
    try:
        return read_module(json.loads(text)["module"], f"R{return_id}")
    except (AnswersError, ValueError, KeyError, TypeError):
        return None  # it was checked on the way in: a kept copy that fails is shown as none


def _saved(text: str) -> str | None:
    try:
        return str(json.loads(text)["exported"])
    except (ValueError, KeyError, TypeError):
        return None


def _activities(module: Module, answers: ModuleAnswers | None) -> tuple[ActivitySeen, ...]:
    typed = {a.id: a for a in answers.answers} if answers else {}
    return tuple(
        ActivitySeen(a.id, a.title, a.kind, a.required, typed.get(a.id)) for a in module.activities
    )


@entry(Action.MARK)
def next_waiting(t: Tracker, after: int) -> int | None:
    """The return to mark after `after`: the next waiting in the account's offices, or the first."""
    where, params = _office_filter(t, None)
    after = min(max(0, after), LARGEST_ID)
    with t.db.read() as tx:
        later = tx.scalar("SELECT MIN(r.id)" + _WAITING + where + " AND r.id > ?", [*params, after])
        if later is None:
            later = tx.scalar(
                "SELECT MIN(r.id)" + _WAITING + where + " AND r.id <> ?", [*params, after]
            )
    return None if later is None else int(later)


def _page_scope(t: Tracker) -> tuple[str, list[str]]:
    """SQL keeping pages of no return to those taken in by staff of the account's offices."""
    actor = t.actor
    assert actor is not None  # entry() has checked it
    if actor.every_office:
        return "", []
    if not actor.offices:
        return " AND 1 = 0", []
    marks = ", ".join("?" * len(actor.offices))
    return (
        " AND (i.taken_by = ? OR i.taken_by IN (SELECT s.login FROM staff s"
        " JOIN staff_offices so ON so.staff_id = s.id JOIN offices o ON o.id = so.office_id"
        f" WHERE o.code IN ({marks})))",
        [actor.login, *sorted(actor.offices)],
    )


@entry(Action.TAKE_IN)
def unreadable_pages(t: Tracker) -> list[Unreadable]:
    """The pages still waiting for a person to say what they are, oldest first."""
    where, params = _page_scope(t)
    with t.db.read() as tx:
        rows = tx.all(
            "SELECT p.id, p.position, p.reason, p.evidence, p.evidence_deleted_at, i.name,"
            " i.taken_at, i.taken_by,"
            " (SELECT COUNT(*) FROM evidence_images e WHERE e.path = p.evidence) AS kept"
            " FROM intake_pages p JOIN intake_files i ON i.id = p.file_id"
            " WHERE p.class = ?" + where + " ORDER BY p.id",
            [UNREADABLE, *params],
        )
    return [
        Unreadable(
            r["id"],
            r["name"],
            r["position"],
            r["taken_at"],
            r["taken_by"],
            r["reason"],
            bool(r["kept"]) and r["evidence_deleted_at"] is None,
        )
        for r in rows
    ]


@entry(Action.MARK)
def page_image(t: Tracker, page_id: int) -> bytes:
    """A kept page's image (JPEG), for staff of its office; NotPermitted as if not there."""
    with t.db.read() as tx:
        row = _page_row(t, tx, page_id)
        image = tx.one("SELECT data FROM evidence_images WHERE path = ?", (row["evidence"],))
    if image is None or row["evidence_deleted_at"] is not None:
        raise NotFound(f"the image of P{page_id} is no longer kept (deleted after retention)")
    return bytes(image["data"])


def _page_row(t: Tracker, tx: Transaction, page_id: int) -> Row:
    """The page, if the acting account may see it; NotPermitted, as if not there, if not."""
    refused = NotPermitted("page", f"no page 'P{page_id}' in your offices")
    if not 0 < page_id < LARGEST_ID:
        raise refused
    row = tx.one(
        "SELECT p.return_id, p.evidence, p.evidence_deleted_at FROM intake_pages p WHERE p.id = ?",
        (page_id,),
    )
    if row is None:
        raise refused
    if row["return_id"] is not None:
        office = office_in(tx, Subject.RETURN, row["return_id"])
        if t.actor is None or not t.actor.serves(office or ""):
            raise refused
        return row
    where, params = _page_scope(t)
    seen = tx.scalar(
        "SELECT COUNT(*) FROM intake_pages p JOIN intake_files i ON i.id = p.file_id"
        " WHERE p.id = ?" + where,
        [page_id, *params],
    )
    if seen != 1:
        raise refused
    return row
