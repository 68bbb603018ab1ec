"""Issue to many clients at once, and print them all as one duplex-ready print run.

Each client's workbook is recorded first, in its own short write transaction (the next
N modules of their newest order; N is the office's `batch_modules`, 3 unless set). Then
every client's letter and workbook are printed into their own folder, as `cpo issue`
does, outside any transaction. Last, the print run: one PDF with a cover sheet listing
the clients and their sheets, then each client's letter and workbook, every document
starting on a right-hand (odd) page, blank pages put in where needed. A client who
cannot be issued to is listed with the reason; the rest go on.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.access import Subject, check_scope, entry
from tracker.accounts import Action
from tracker.errors import TrackerError
from tracker.issuing import (
    PrintJob,
    _record,
    _return_address,
    _scratch_folder,
    print_files,
)
from tracker.people import get_office
from tracker.store import Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text

if TYPE_CHECKING:
    import pikepdf

A4 = (595.2756, 841.8898)  # points: every document cpo prints is A4


@dataclass(frozen=True)
class RunItem:
    """One client's part of a print run."""

    client: str
    name: str
    workbook: str
    modules: tuple[str, ...]
    folder: Path  # the client's own files
    letter_pages: int = 0
    workbook_pages: int = 0
    first_page: int = 0  # where the client's letter starts in the run

    @property
    def sheets(self) -> int:
        """Sheets of paper, printed on both sides (each document on its own sheets)."""
        return (self.letter_pages + 1) // 2 + (self.workbook_pages + 1) // 2


@dataclass(frozen=True)
class Skipped:
    """A client left out of the run, and why (the rest of the run goes on)."""

    client: str
    field: str
    reason: str


@dataclass(frozen=True)
class PrintRun:
    """What a batch issue recorded and printed."""

    path: Path | None  # the one PDF to print; None if nobody could be issued to
    pages: int
    items: tuple[RunItem, ...]
    skipped: tuple[Skipped, ...]
    starts: tuple[int, ...]  # the page each document (cover, letters, workbooks) starts on

    @property
    def sheets(self) -> int:
        return self.pages // 2


@entry(Action.ISSUE, Subject.OFFICE, "office")
def issue_batch(
    t: Tracker,
    actor: str,
    office: str | None = None,
    clients: list[str] | None = None,
    each: int | None = None,
    profile: str = "standard",
    *,
    out_root: Path,
    workers: int = 0,
) -> PrintRun:
    """Issue the next modules to an office's clients (or those listed) and make a print run."""
    if (office is None) == (clients is None):
        raise TrackerError("give an office or a list of clients, not both or neither")
    if each is not None and not 1 <= each <= 30:
        raise TrackerError(f"{each} modules each is not possible: give 1 to 30")
    from builder.profiles import get_profile

    get_profile(profile)
    references = _clients_of(t, office) if office is not None else list(clients or [])
    jobs: list[PrintJob] = []
    skipped: list[Skipped] = []
    for reference in references:
        try:
            jobs.append(_record_one(t, actor, reference, each, profile))
        except TrackerError as err:
            skipped.append(Skipped(reference, getattr(err, "field", "client"), _reason(err)))
    items = []
    for job, (folder, error) in zip(jobs, _print_all(jobs, out_root, workers), strict=True):
        if folder is None:  # recorded: `cpo workbook print` prints it again
            skipped.append(Skipped(job.client.reference, "files", error))
            continue
        modules = tuple(m.module_id for m in job.modules)
        items.append(RunItem(job.client.reference, job.client.name, job.number, modules, folder))
    return _assemble(t, office, items, skipped, out_root)


def _print_all(jobs: list[PrintJob], out_root: Path, workers: int) -> list[tuple[Path | None, str]]:
    """Print every job into its own folder, across `workers` processes (0: one a core)."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) < 4:
        _start_worker(jobs, out_root)
        return [_print_one(i) for i in range(len(jobs))]
    # The jobs go to each worker once (they share one course, pickled once); then indexes.
    chunk = max(1, min(8, len(jobs) // (workers * 4)))
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(jobs, out_root)) as pool:
        return list(pool.map(_print_one, range(len(jobs)), chunksize=chunk))


_jobs: tuple[list[PrintJob], Path] | None = None


def _start_worker(jobs: list[PrintJob], out_root: Path) -> None:
    global _jobs
    _jobs = (jobs, out_root)


def _print_one(index: int) -> tuple[Path | None, str]:
    """Print one job: its folder, or None and why not."""
    assert _jobs is not None, "_start_worker gives the jobs first"
    jobs, out_root = _jobs
    try:
        folder, _ = print_files(jobs[index], _scratch_folder(out_root), out_root)
    except TrackerError as err:
        return None, _reason(err)
    return folder, ""


def _reason(err: TrackerError) -> str:
    return str(getattr(err, "reason", "") or err)


def _clients_of(t: Tracker, office: str) -> list[str]:
    """The office's clients, by case reference."""
    office = check_text(office, "the office", 100, required=True)
    with t.db.read() as tx:
        home = get_office(tx, office)
        rows = tx.all(
            "SELECT reference FROM clients WHERE office_id = ? ORDER BY reference", (home.id,)
        )
    return [str(r["reference"]) for r in rows]


def _record_one(t: Tracker, actor: str, reference: str, each: int | None, profile: str) -> PrintJob:
    """Record one client's workbook of their next modules; the job that prints it."""
    assert t.actor is not None  # entry() has checked it
    reference = check_text(reference, "the case reference", 100, required=True)
    check_scope(t, t.actor, Subject.CLIENT, reference)
    with t.db.read() as tx:
        order, count = _newest_order(tx, reference)
    recorded = _record(t, reference, actor, order, None, profile, None, each or count)
    client, _, course, number, today, due, issued = recorded
    return PrintJob(
        course, client, number, profile, today, due, issued, False, _return_address(t, client)
    )


def _newest_order(tx: Transaction, reference: str) -> tuple[str, int]:
    """The client's newest order (CLIENT/N) and their office's modules a batch."""
    row = tx.one(
        "SELECT MAX(r.number) AS number, MAX(o.batch_modules) AS each FROM clients c "
        "JOIN offices o ON o.id = c.office_id LEFT JOIN orders r ON r.client_id = c.id "
        "WHERE c.reference = ?",
        (reference,),
    )
    if row is None or row["each"] is None:
        raise TrackerError(f"no client with reference '{reference}'")
    if row["number"] is None:
        raise TrackerError(f"{reference} has no order: add one with `cpo order add`")
    return f"{reference}/{row['number']}", int(row["each"])


def _assemble(
    t: Tracker,
    office: str | None,
    items: list[RunItem],
    skipped: list[Skipped],
    out_root: Path,
) -> PrintRun:
    """Put the cover sheet and every client's letter and workbook into one PDF."""
    import pikepdf

    from builder.pdf.document import write_atomically

    with ExitStack() as stack:
        letters, books, readable = [], [], []
        for item in items:
            try:
                letter = stack.enter_context(pikepdf.open(item.folder / "letter.pdf"))
                book = stack.enter_context(pikepdf.open(item.folder / "workbook.pdf"))
            except (pikepdf.PdfError, OSError) as err:  # recorded and printed: left out
                why = f"its files cannot be read for the print run ({str(err)[:80]})"
                skipped.append(Skipped(item.client, "files", why))
                continue
            letters.append(letter)
            books.append(book)
            readable.append(item)
        items = readable
        if not items:
            return PrintRun(None, 0, (), tuple(skipped), ())
        cover_pages = _counted(items, letters, books)
        cover = stack.enter_context(pikepdf.open(io.BytesIO(_cover(t, office, cover_pages))))
        run = pikepdf.new()
        kids: list[pikepdf.Object] = []
        starts = [_append(run, kids, cover)]
        placed = []
        for item, letter, book in zip(items, letters, books, strict=True):
            first = _append(run, kids, letter)
            starts += [first, _append(run, kids, book)]
            placed.append(
                RunItem(
                    item.client,
                    item.name,
                    item.workbook,
                    item.modules,
                    item.folder,
                    len(letter.pages),
                    len(book.pages),
                    first,
                )
            )
        _set_pages(run, kids)
        buffer = io.BytesIO()
        run.save(buffer, deterministic_id=True)
        pages = len(run.pages)
    path = write_atomically(buffer.getvalue(), _run_path(t, office, out_root))
    return PrintRun(path, pages, tuple(placed), tuple(skipped), tuple(starts))


def _append(run: pikepdf.Pdf, kids: list[pikepdf.Object], document: pikepdf.Pdf) -> int:
    """Copy a document's pages, then a blank page if it ends on a right-hand page; its start.

    Pages are copied as objects and the page list is set once at the end (`_set_pages`):
    adding pages one by one costs time in proportion to the pages already there, which
    made a 200-client run (8,000 pages) take minutes.
    """
    import pikepdf

    first = len(kids) + 1
    kids.extend(run.copy_foreign(page.obj) for page in document.pages)
    if len(kids) % 2:  # the next document starts on the front of a new sheet
        blank = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, *A4]),
            Resources=pikepdf.Dictionary(),
            Contents=run.make_stream(b""),
        )
        kids.append(run.make_indirect(blank))
    return first


def _set_pages(run: pikepdf.Pdf, kids: list[pikepdf.Object]) -> None:
    """Make `kids` the run's pages, in order (one flat page tree)."""
    import pikepdf

    tree = run.Root.Pages
    for kid in kids:
        kid.Parent = tree
    tree.Kids = pikepdf.Array(kids)
    tree.Count = len(kids)


def _counted(
    items: list[RunItem], letters: list[pikepdf.Pdf], books: list[pikepdf.Pdf]
) -> list[RunItem]:
    """The items with their page counts, for the cover sheet."""
    out = []
    for item, letter, book in zip(items, letters, books, strict=True):
        out.append(
            RunItem(
                item.client,
                item.name,
                item.workbook,
                item.modules,
                item.folder,
                len(letter.pages),
                len(book.pages),
            )
        )
    return out


def _cover(t: Tracker, office: str | None, items: list[RunItem]) -> bytes:
    """The cover sheet: what is in the run, client by client, and how to print it."""
    from xml.sax.saxutils import escape

    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from builder.fonts_fallback import markup
    from builder.pdf.styles import make_styles
    from builder.profiles import get_profile

    styles = make_styles(get_profile("standard"))
    small = styles.body.clone("cover", fontSize=11, leading=14)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Print run",
        creator="cpo-offline",
        invariant=1,
        initialFontName=styles.regular,
    )
    sheets = sum(i.sheets for i in items)
    where = f" for {escape(office)}" if office else ""
    rows: list[list[Any]] = [["Client", "Name", "Workbook", "Modules", "Sheets"]]
    rows += [
        [
            Paragraph(escape(i.client), small),
            Paragraph(markup(i.name, styles.regular), small),
            Paragraph(i.workbook, small),
            Paragraph(", ".join(i.modules), small),
            Paragraph(str(i.sheets), small),
        ]
        for i in items
    ]
    story = [
        Paragraph(f"<b>Print run{where}, {_long(t.today())}</b>", styles.body),
        Paragraph(
            f"{len(items)} clients, {sheets} sheets after this cover. Print on both sides "
            "(flip on the long edge). Each letter and workbook starts on a new sheet: "
            "put each client's letter and workbook in a window envelope.",
            small,
        ),
        Spacer(1, 4 * mm),
        Table(rows, colWidths=[32 * mm, 55 * mm, 27 * mm, 40 * mm, 20 * mm], repeatRows=1),
    ]
    doc.build(story)
    return buffer.getvalue()


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _run_path(t: Tracker, office: str | None, out_root: Path) -> Path:
    """A new name for the run: print-run-OFFICE-DATE[-N].pdf."""
    stem = f"print-run-{office or 'clients'}-{t.today().isoformat()}"
    path, n = out_root / f"{stem}.pdf", 1
    while path.exists():
        n += 1
        path = out_root / f"{stem}-{n}.pdf"
    return path
