"""Reads the staff web app's pages need: home counts, client search, a client's page.

Each is a library entry point like any other (`@entry`): checked against the acting
account's role and offices, so the web app only words what these return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from tracker.access import Subject, entry, keeps, served_offices
from tracker.accounts import Action, NotPermitted
from tracker.audit import Fingerprint, fingerprint, verify
from tracker.errors import TrackerError
from tracker.intake.records import UNREADABLE
from tracker.kept import KEPT, family_of, records_key
from tracker.orders import Order, find_order, load_order
from tracker.people import Client, Office, _client, _office, get_client
from tracker.reports import OverdueItem, ReportLine, WeeklyReport, overdue_items, weekly_report
from tracker.tracker import Tracker, open_tracker
from tracker.validate import check_text

FOUND_AT_MOST = 100  # a search shows this many clients; narrow it to see others
T = TypeVar("T")


@dataclass(frozen=True)
class IntakeCounts:
    """What waits for a facilitator: returns to mark, and pages to look at."""

    waiting: int  # returns not yet marked, in the account's offices
    pages_missing: int  # of those, returns where pages of the module did not come
    unreadable: int  # pages whose code nobody could read: no office until one is typed
    fresh: bool = True  # False: counted before the latest change (counting again now)


@dataclass(frozen=True)
class FlaggedOrders:
    """This week's orders of an office that carry a flag or have work sent back: the first few."""

    lines: tuple[ReportLine, ...]  # the first `most` asked for, in the report's order
    count: int  # how many in all: the weekly report lists every one
    fresh: bool = True  # False: picked before the latest change (picking again now)


@dataclass(frozen=True)
class WorkbookLine:
    """A workbook issued to a client, as their page lists it."""

    number: str
    order: str
    profile: str
    issued_on: str
    due_on: str
    modules: tuple[str, ...]
    revoked_on: str | None


@dataclass(frozen=True)
class ClientSummary:
    """A client, their orders and their workbooks."""

    client: Client
    orders: tuple[Order, ...]
    workbooks: tuple[WorkbookLine, ...]


@dataclass(frozen=True)
class AuditStatus:
    """Whether the audit chain holds, and its fingerprint to copy onto a report."""

    ok: bool
    entries: int
    head: Fingerprint
    anchored: str
    problems: tuple[str, ...]  # only for an admin; others see how many


def offices_served(t: Tracker) -> list[Office]:
    """The offices the acting account serves (every office for an admin)."""
    actor = t.actor
    if actor is None:
        raise NotPermitted("account", "no staff account is acting: sign in first")
    with t.db.read() as tx:
        rows = tx.all("SELECT * FROM offices ORDER BY code")
    return [_office(r) for r in rows if actor.serves(r["code"])]


@entry(Action.MARK)
def intake_counts(t: Tracker, wait: bool = True) -> IntakeCounts:
    """How many returns wait to be marked (and lack pages), and pages wait to be read.

    Counted once while the records stay the same (`tracker.kept`): counting scans every
    return ever made, and every facilitator's home page asks. With `wait` False, just
    after a change: the last count (`fresh` False) while a new one is made elsewhere.
    """
    scope = _scope(t)
    key = records_key(t.db, t.today(), "intake_counts", scope)
    if wait:
        return KEPT.get(key, lambda: _intake_counts(t, scope), family_of(key))
    counts, fresh = KEPT.latest(
        family_of(key),
        key,
        lambda: _intake_counts(t, scope),
        _elsewhere(t, lambda s: _intake_counts(s, scope)),
    )
    return counts if fresh else replace(counts, fresh=False)


def _elsewhere(t: Tracker, read: Callable[[Tracker], T]) -> Callable[[], T]:
    """`read` on a tracker of its own, acting as `t`'s account (for another thread)."""

    def run() -> T:
        with open_tracker(t.config, course_loader=t.course_loader, clock=t.clock) as own:
            own.actor = t.actor
            return read(own)

    return run


def _scope(t: Tracker) -> tuple[str, ...] | None:
    """The acting account's offices, as a key (None: every office)."""
    actor = t.actor
    assert actor is not None  # entry() has checked it
    return None if actor.every_office else tuple(sorted(actor.offices))


def _intake_counts(t: Tracker, scope: tuple[str, ...] | None) -> IntakeCounts:
    where = "" if scope is None else f" AND f.code IN ({', '.join('?' * len(scope))})"
    with t.db.read() as tx:
        waiting, missing = tx.tuples(_COUNTS + where + ") s", scope or ())[0]
        unreadable = tx.scalar("SELECT COUNT(*) FROM intake_pages WHERE class = ?", (UNREADABLE,))
    return IntakeCounts(int(waiting or 0), int(missing or 0), int(unreadable or 0))


# Each return not yet marked, with what its pages say; then how many, and how many lack
# pages. As ReturnEvidence.missing_pages: a page known by its code alone may be page 1.
_COUNTS = (
    "SELECT COUNT(*), SUM(CASE WHEN s.counts = 1 AND s.numbered"
    " + (CASE WHEN s.unnumbered > 0 THEN 1 ELSE 0 END) < s.pages THEN 1 ELSE 0 END) FROM ("
    "SELECT (SELECT COUNT(DISTINCT p.page_count) FROM intake_pages p"
    " WHERE p.return_id = r.id AND p.page_count IS NOT NULL) AS counts,"
    " (SELECT MAX(p.page_count) FROM intake_pages p WHERE p.return_id = r.id) AS pages,"
    " (SELECT COUNT(DISTINCT p.page_number) FROM intake_pages p"
    " WHERE p.return_id = r.id) AS numbered,"
    " (SELECT COUNT(*) FROM intake_pages p WHERE p.return_id = r.id"
    " AND p.page_number IS NULL) AS unnumbered "
    "FROM returns r JOIN tokens k ON k.id = r.token_id"
    " JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id"
    " JOIN offices f ON f.id = c.office_id"
    " WHERE NOT EXISTS (SELECT 1 FROM marks m WHERE m.return_id = r.id)"
)


@entry(Action.READ_RECORDS)
def find_clients(t: Tracker, text: str, office: str | None = None) -> list[Client]:
    """Clients whose reference or name holds `text` (any case), in the account's offices."""
    text = check_text(text, "the search", 100).strip()
    if not text:
        raise TrackerError("type part of a case reference or a name to search for")
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with t.db.read() as tx:
        rows = tx.all(
            "SELECT c.*, o.code AS office FROM clients c JOIN offices o ON o.id = c.office_id "
            "WHERE (lower(c.reference) LIKE ? ESCAPE '\\' OR lower(c.name) LIKE ? ESCAPE '\\')"
            + (" AND o.code = ?" if office else "")
            + " ORDER BY c.reference",
            (pattern, pattern, office) if office else (pattern, pattern),
        )
    found = [_client(r) for r in rows if keeps(t, r["office"])]
    return found[:FOUND_AT_MOST]


@entry(Action.READ_RECORDS, Subject.CLIENT, "reference")
def client_summary(t: Tracker, reference: str) -> ClientSummary:
    """A client with their orders (adjustments applied) and workbooks, newest last."""
    with t.db.read() as tx:
        client = get_client(tx, reference)
        ids = tx.all("SELECT id FROM orders WHERE client_id = ? ORDER BY number", (client.id,))
        orders = tuple(load_order(tx, r["id"]) for r in ids)
        numbers = {o.id: o.reference for o in orders}
        books = tx.all(
            "SELECT w.id, w.number, w.order_id, w.profile, w.issued_on, w.due_on, w.revoked_at "
            "FROM workbooks w WHERE w.client_id = ? ORDER BY w.id",
            (client.id,),
        )
        modules = {
            b["id"]: tuple(
                r["module_id"]
                for r in tx.all(
                    "SELECT module_id FROM tokens WHERE workbook_id = ? ORDER BY id", (b["id"],)
                )
            )
            for b in books
        }
    workbooks = tuple(
        WorkbookLine(
            b["number"],
            numbers[b["order_id"]],
            b["profile"],
            b["issued_on"],
            b["due_on"],
            modules[b["id"]],
            b["revoked_at"][:10] if b["revoked_at"] else None,
        )
        for b in books
    )
    return ClientSummary(client, orders, workbooks)


@entry(Action.ISSUE, Subject.ORDER, "reference")
def default_modules(t: Tracker, reference: str) -> tuple[list[str], str]:
    """The modules `issue` would choose for the order now (those that fit the cap), or why none."""
    from tracker.issuing import _choose

    with t.db.read() as tx:
        order = find_order(tx, reference)
        try:
            return _choose(t, tx, order.id, None), ""
        except TrackerError as err:
            return [], str(err)


@entry(Action.ISSUE, Subject.WORKBOOK, "number")
def workbook_folder(t: Tracker, number: str, out_root: Path) -> Path:
    """Where a workbook of the account's offices was printed under `out_root` (it may be gone)."""
    number = check_text(number, "the workbook number", 40).strip().upper()
    return out_root / number


@entry(Action.READ_RECORDS)
def audit_status(t: Tracker) -> AuditStatus:
    """Check the audit chain now; its problems are listed only to an admin (they name orders)."""
    verdict = verify(t.db)
    with t.db.read() as tx:
        head = verdict.head or fingerprint(tx)
    actor = t.actor
    shown = verdict.problems if actor is not None and actor.every_office else ()
    return AuditStatus(verdict.ok, verdict.entries, head, verdict.anchored, shown)


@entry(Action.READ_RECORDS)
def this_weeks_report(t: Tracker, office: str | None = None) -> WeeklyReport:
    """This week's report for an office, made again only when the records have changed.

    Every change to the records moves the audit chain's head, so a report made at the
    same head on the same day is the same report: staff opening their home pages at
    once wait for one report, not one each.
    """
    office, several = served_offices(t, office)
    if several is not None:
        raise NotPermitted("office", "you serve several offices: name one for the report")
    return KEPT.get(
        records_key(t.db, t.today(), "weekly_report", office), lambda: weekly_report(t, office)
    )


@entry(Action.READ_RECORDS)
def overdue_now(t: Tracker, office: str | None = None) -> list[OverdueItem]:
    """The overdue modules (`overdue_items`), listed once while the records stay the same."""
    key = records_key(t.db, t.today(), "overdue_items", office, _scope(t))
    return KEPT.get(key, lambda: overdue_items(t, office))


@entry(Action.READ_RECORDS)
def flagged_orders(
    t: Tracker, office: str | None = None, most: int = 50, wait: bool = True
) -> FlaggedOrders:
    """This week's report's orders with a flag or work sent back, picked once per records' state.

    With `wait` False, just after a change (when the report takes seconds to make again):
    the last orders picked (`fresh` False) while the new report is made elsewhere.
    """
    served_offices(t, office)  # another office's is refused here, never found kept
    key = records_key(t.db, t.today(), "flagged_orders", office, _scope(t), most)
    if wait:
        return KEPT.get(key, lambda: _flagged(this_weeks_report(t, office), most), family_of(key))
    found, fresh = KEPT.latest(
        family_of(key),
        key,
        lambda: _flagged(this_weeks_report(t, office), most),
        _elsewhere(t, lambda s: _flagged(this_weeks_report(s, office), most)),
    )
    return found if fresh else replace(found, fresh=False)


def _flagged(report: WeeklyReport, most: int) -> FlaggedOrders:
    lines = [line for line in report.lines if line.flags or line.sent_back]
    return FlaggedOrders(tuple(lines[: max(0, most)]), len(lines))
