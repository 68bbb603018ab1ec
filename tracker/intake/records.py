"""Sort the pages of a file taken in, and record them: every page gets a class and a reason.

- ours: a valid code of an issued module; the page joins that module's return (one is
  opened if none is waiting), which then waits for `cpo mark`. Nothing is credited here.
- duplicate: that page was already received, or the module was already marked.
- foreign: a code, but not one of ours (its text is kept and shown).
- invalid: looks like ours but fails the signature, is a specimen, is not one we issued,
  or belongs to a revoked workbook or a refused module.
- unreadable: no code found; kept so a person can type its code (`cpo intake --code`).

All of one file is recorded in one transaction, with the file's hash, so a file is taken in
whole or not at all, and a second time is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from tracker.access import entry
from tracker.accounts import Action
from tracker.checkins import (
    DONE,
    WAITING,
    Identified,
    Problem,
    identify,
    new_return,
    problem,
    refusal_reason,
    token_row,
)
from tracker.errors import CodeError, NotFound, TrackerError
from tracker.intake.pages import FOREIGN, SPECIMEN, Reading, parse
from tracker.store import Row, Transaction
from tracker.tracker import Tracker

CLASSES = ("ours", "duplicate", "foreign", "invalid", "unreadable")
OURS, DUPLICATE, FOREIGN_PAGE, INVALID, UNREADABLE = CLASSES
# A page with nothing on it is kept among the unreadable (the schema's classes) with this
# reason, and not offered for a typed code: it is most often a duplex sheet's empty back.
BLANK = "a blank page: nothing is printed or written on it, so there is nothing to do"


@dataclass(frozen=True)
class Item:
    """A page of a file (or a module of an answers file) as read, before the records."""

    position: int
    codes: tuple[str, ...]
    error: str = ""  # why it could not be read at all
    evidence: str = ""  # where its image is kept, under the data folder
    scanned: bool = True  # a sheet of paper (not a module of an answers file)
    blank: bool = False  # nothing on the page at all


@dataclass(frozen=True)
class Sorted:
    """A page's class and reason, and what it was found to be."""

    position: int
    klass: str
    reason: str
    codes: tuple[str, ...] = ()
    page_id: int | None = None
    token_id: int | None = None
    client: str = ""
    workbook: str = ""
    module: str = ""
    page_number: int | None = None
    page_count: int | None = None
    return_id: int | None = None
    new_return: bool = False
    evidence: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "position": self.position,
            "page": f"P{self.page_id}" if self.page_id else None,
            "class": self.klass,
            "reason": self.reason,
            "codes": list(self.codes),
            "client": self.client,
            "workbook": self.workbook,
            "module": self.module,
            "page_number": self.page_number,
            "page_count": self.page_count,
            "return": f"R{self.return_id}" if self.return_id else None,
            "evidence": self.evidence,
        }


def sort_item(t: Tracker, tx: Transaction, item: Item) -> tuple[Sorted, Row | None]:
    """Classify a page against the records; the token row too when the code is ours."""
    if item.error:
        return Sorted(item.position, UNREADABLE, item.error), None
    if not item.codes:
        why = BLANK if item.blank else "no code found on the page"
        return Sorted(item.position, UNREADABLE, why), None
    readings = [parse(code) for code in item.codes]
    ours = [r for r in readings if r.payload]
    if not ours:
        if any(r.kind == SPECIMEN for r in readings):
            reason = "a specimen page: specimens show the workbook and are never credited"
            return Sorted(item.position, INVALID, reason, item.codes), None
        shown = "; ".join(r.text[:80] for r in readings if r.kind == FOREIGN)
        return Sorted(item.position, FOREIGN_PAGE, f"not one of our codes: {shown}"), None
    return _sort_ours(t, tx, item, ours)


def _sort_ours(
    t: Tracker, tx: Transaction, item: Item, ours: list[Reading]
) -> tuple[Sorted, Row | None]:
    serials = set()
    for reading in ours:
        try:
            serials.add(t.keyring.read_payload(reading.payload).serial)
        except CodeError as err:
            return Sorted(item.position, INVALID, refusal_reason(tx, err), item.codes), None
    if len(serials) > 1:
        reason = "codes of two different modules on one page: check it by hand"
        return Sorted(item.position, INVALID, reason, item.codes), None
    page = next((r for r in ours if r.number is not None), None)
    found = Identified(serials.pop(), None)
    row = token_row(tx, found)
    base = Sorted(
        item.position,
        OURS,
        "",
        item.codes,
        page_number=page.number if page else None,
        page_count=page.total if page else None,
        evidence=item.evidence,
    )
    placed = place(t, tx, base, found, row)
    if page is None and item.scanned and placed.klass == OURS:
        placed = (
            place_unknown(tx, placed) if placed.return_id else replace(placed, reason=PAGE_UNKNOWN)
        )
    return placed, row


PAGE_UNKNOWN = (
    "page unknown: its page code could not be read, but its module code was, so it is "
    "the module's first page or its declaration page"
)


def place_unknown(tx: Transaction, page: Sorted) -> Sorted:
    """Place a sheet known by its module code alone, or say it is a duplicate or unknown.

    Only two pages carry the module code: the first and the declaration page. The
    declaration page's number is known once it came in with both codes read. If the
    return has both, this sheet is a duplicate; if it has the declaration page and no
    page 1, this sheet is page 1; otherwise its number is unknown, for the marker.
    """
    assert page.return_id is not None
    rows = tx.all(
        "SELECT p.page_number, p.page_count, p.codes FROM intake_pages p"
        " JOIN intake_files f ON f.id = p.file_id"
        " WHERE p.return_id = ? AND p.class = 'ours' AND f.kind <> 'answers'",
        (page.return_id,),
    )
    have = {r["page_number"] for r in rows if r["page_number"]}
    declaration = {
        r["page_number"]
        for r in rows
        if r["page_number"] not in (None, 1) and has_module_code(r["codes"])
    }
    unknown = sum(1 for r in rows if r["page_number"] is None)
    if (1 in have) + bool(declaration) + unknown >= 2:
        return replace(
            page,
            klass=DUPLICATE,
            return_id=None,
            reason=f"the pages of {page.module} that carry its module code (the first and the "
            f"declaration page) were already received in return R{page.return_id}",
        )
    if declaration and not unknown:  # and so page 1 is still to come: this is it
        count = max((r["page_count"] or 0 for r in rows), default=0)
        return replace(page, page_number=1, page_count=count or None)
    return replace(page, reason=PAGE_UNKNOWN)


def has_module_code(codes: str) -> bool:
    """Whether a page's codes (as stored, one a line) hold a module code, not only a page code."""
    return any(parse(code).payload and parse(code).number is None for code in codes.splitlines())


def place(t: Tracker, tx: Transaction, base: Sorted, found: Identified, row: Row | None) -> Sorted:
    """Where a page of ours goes: the return waiting for its module, or why it goes nowhere."""
    if row is None:
        return replace(base, klass=INVALID, reason="not a code we issued")
    known = replace(
        base,
        token_id=row["id"],
        client=row["reference"],
        workbook=row["number"],
        module=row["module_id"],
    )
    refusal = problem(t, tx, found, row)
    if refusal is not None and not (refusal.kind == WAITING and refusal.return_id):
        return replace(known, klass=_class_of(refusal), reason=refusal.reason)
    return_id = refusal.return_id if refusal else None
    if return_id is not None and known.page_number is not None:
        earlier = tx.one(
            "SELECT p.id, f.taken_at FROM intake_pages p JOIN intake_files f ON f.id = p.file_id "
            "WHERE p.return_id = ? AND p.page_number = ? AND p.class = 'ours'",
            (return_id, known.page_number),
        )
        if earlier is not None:
            return replace(
                known,
                klass=DUPLICATE,
                reason=f"page {known.page_number} of {row['module_id']} was already received "
                f"on {earlier['taken_at'][:10]} (P{earlier['id']}), in return R{return_id}",
            )
    return replace(known, return_id=return_id)


def _class_of(refusal: Problem) -> str:
    return DUPLICATE if refusal.kind in (DONE, WAITING) else INVALID


def record_item(
    t: Tracker,
    tx: Transaction,
    file_id: int,
    sorted_: Sorted,
    row: Row | None,
    actor: str,
    arrived_by: str,
) -> Sorted:
    """Store a sorted page, opening its module's return first when it is the first page."""
    if sorted_.klass == OURS and sorted_.return_id is None:
        assert row is not None
        return_id = new_return(t, tx, row, actor, arrived_by, f"intake F{file_id}")
        sorted_ = replace(sorted_, return_id=return_id, new_return=True)
    evidence = sorted_.evidence if sorted_.klass in (OURS, UNREADABLE) else ""
    page_id = tx.insert(
        "INSERT INTO intake_pages (file_id, position, class, reason, codes, token_id,"
        " page_number, page_count, return_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            file_id,
            sorted_.position,
            sorted_.klass,
            sorted_.reason,
            "\n".join(sorted_.codes),
            sorted_.token_id,
            sorted_.page_number,
            sorted_.page_count,
            sorted_.return_id,
            evidence,
        ),
    )
    return replace(sorted_, page_id=page_id, evidence=evidence)


def tally(pages: list[Sorted]) -> dict[str, int]:
    """How many pages fell in each class, every class named."""
    counts = Counter(p.klass for p in pages)
    return {klass: counts[klass] for klass in CLASSES}


@entry(Action.TAKE_IN)
def code_page(
    t: Tracker, page_ref: str, code: str, actor: str, number: int | None = None
) -> Sorted:
    """Give an unreadable page the code printed on it: it joins its module's return.

    `code` is the typed code (or a QR payload); `number` the page number printed at the
    foot of the page, if the person can read it. A refused code changes no record.
    """
    page_id = parse_page_ref(page_ref)
    try:
        found = identify(t.keyring, code)
    except CodeError as err:
        with t.db.read() as tx:
            reason = refusal_reason(tx, err)
        _refuse_code(t, actor, page_id, code, reason)
        raise CodeError(code, reason) from None
    with t.db.write() as tx:
        page = tx.one("SELECT * FROM intake_pages WHERE id = ?", (page_id,))
        if page is None:
            raise NotFound(f"there is no page P{page_id}: see the table `cpo intake` printed")
        if page["class"] != UNREADABLE:
            raise TrackerError(
                f"P{page_id} was sorted as {page['class']}, not unreadable: "
                "only an unreadable page takes a typed code"
            )
        row = token_row(tx, found)
        base = Sorted(page["position"], OURS, "", page_number=number, evidence=page["evidence"])
        placed = place(t, tx, base, found, row)
        if placed.klass == OURS and number is not None and row is not None:
            placed = _check_number(tx, placed, row["id"], number)
        if placed.klass == OURS:
            assert row is not None
            return_id = placed.return_id or new_return(
                t, tx, row, actor, "scan", f"intake F{page['file_id']}"
            )
            tx.execute(
                "UPDATE intake_pages SET class = ?, reason = '', token_id = ?, page_number = ?,"
                " return_id = ?, coded_by = ?, coded_at = ? WHERE id = ? AND class = ?",
                (OURS, row["id"], number, return_id, actor, t.now(), page_id, UNREADABLE),
            )
            t.audit(
                tx,
                actor,
                "intake.code",
                f"P{page_id}",
                return_id=f"R{return_id}",
                module=row["module_id"],
                workbook=row["number"],
                page_number=number,
            )
            return replace(
                placed, page_id=page_id, return_id=return_id, new_return=not placed.return_id
            )
    _refuse_code(t, actor, page_id, code, placed.reason)
    raise CodeError(code, placed.reason)


def _check_number(tx: Transaction, placed: Sorted, token_id: int, number: int) -> Sorted:
    """A typed page number must fit the module's page count, when a page code told it."""
    count = tx.scalar(
        "SELECT MAX(page_count) FROM intake_pages WHERE token_id = ? AND class = 'ours'",
        (token_id,),
    )
    if count and number > count:
        return replace(
            placed, klass=INVALID, reason=f"{placed.module} has {count} pages, not {number}"
        )
    return placed


def parse_page_ref(text: str) -> int:
    """A page's id from its reference as printed, P17 (or 17)."""
    digits = text.strip().upper().removeprefix("P")
    if not digits.isdigit() or int(digits) < 1:
        raise TrackerError(f"'{text}' is not a page: give it as printed, like P17")
    return int(digits)


def _refuse_code(t: Tracker, actor: str, page_id: int, code: str, reason: str) -> None:
    with t.db.write() as tx:
        t.audit(tx, actor, "intake.code-refuse", f"P{page_id}", code=code[:80], reason=reason)
