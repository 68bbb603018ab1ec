"""Evidence: the page images and answers kept with a return, and their deletion on time.

Page images live in the records (`evidence_images`), written in the same transaction as
the return they belong to, so every machine of a tracker sees them, a backup holds them,
and a prune deletes each exactly once, everywhere. Each is named by the file's hash and
the page's place in it. Before issue 14 they were files under the data folder's
`evidence/`; `move_files_in` brings such files into the records (`cpo evidence move-in`).

Retention is local policy (`evidence_days` in config.json): a return's pages and answers
are deleted that many days after it was marked, and a page nobody claimed that many days
after it came in. The page's record (class, reason, who and when) stays, as does the
credit record, which is kept far longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tracker.access import Subject, entry, keeps, office_in
from tracker.accounts import Action
from tracker.config import Config
from tracker.errors import NotFound, TrackerError
from tracker.store import Transaction
from tracker.tracker import Tracker

FOLDER = "evidence"


# A page image to keep: its name (as the page's record gives it) and its JPEG.
PageImage = tuple[str, bytes]


def evidence_name(sha256: str, position: int) -> str:
    """The name a page's image is kept under: its file's hash and its place in the file."""
    return f"{FOLDER}/{sha256[:2]}/{sha256}-p{position:04d}.jpg"


def store_evidence(tx: Transaction, images: list[PageImage]) -> None:
    """Keep page images in the records, in their returns' own transaction: one statement."""
    if images:
        tx.executemany("INSERT INTO evidence_images (path, data) VALUES (?, ?)", images)


def remove_evidence(config: Config, relatives: list[str]) -> None:
    """Delete kept images (after the records that named them were rolled back or pruned)."""
    for relative in relatives:
        (config.data_dir / relative).unlink(missing_ok=True)


@dataclass(frozen=True)
class EvidencePage:
    """A kept page of a return: where it came from and where its image is."""

    page_id: int
    page_number: int | None
    page_count: int | None
    file_name: str
    position: int
    image: bytes | None  # the JPEG; None once deleted under the retention policy
    deleted_at: str | None


@dataclass(frozen=True)
class ReturnEvidence:
    """What a marker or an auditor can see of a return."""

    return_id: int
    pages: tuple[EvidencePage, ...]
    answers: str | None  # the module's answers, as JSON text
    answers_deleted_at: str | None

    @property
    def missing_pages(self) -> list[int]:
        """Page numbers of the module surely not received, when the page count is known."""
        counts = {p.page_count for p in self.pages if p.page_count}
        if len(counts) != 1:
            return []
        have = {p.page_number for p in self.pages}
        missing = [n for n in range(1, counts.pop() + 1) if n not in have]
        if any(
            p.page_number is None and (p.image is not None or p.deleted_at is not None)
            for p in self.pages
        ):
            # A sheet known by its module code alone: page 1 or the declaration page,
            # and intake placed it as page 1 where it could, so page 1 is not surely missing.
            return [n for n in missing if n != 1]
        return missing

    @property
    def missing_text(self) -> str:
        """The missing pages as a person writes them ("page 4", "pages 2, 5-9"), or ""."""
        spans: list[list[int]] = []
        for n in self.missing_pages:
            if spans and n == spans[-1][-1] + 1:
                spans[-1].append(n)
            else:
                spans.append([n])
        text = ", ".join(f"{s[0]}-{s[-1]}" if len(s) > 1 else str(s[0]) for s in spans)
        many = len(spans) > 1 or len(spans[0]) > 1 if spans else False
        return f"{'pages' if many else 'page'} {text}" if spans else ""


@entry(Action.MARK, Subject.RETURN, "return_id")
def return_evidence(t: Tracker, return_id: int) -> ReturnEvidence:
    """The pages and answers kept with a return."""
    with t.db.read() as tx:
        if tx.one("SELECT id FROM returns WHERE id = ?", (return_id,)) is None:
            raise NotFound(f"there is no return R{return_id}")
        rows = tx.all(
            "SELECT p.id, p.page_number, p.page_count, p.position, p.evidence,"
            " p.evidence_deleted_at, f.name FROM intake_pages p"
            " JOIN intake_files f ON f.id = p.file_id"
            " WHERE p.return_id = ? AND p.class = 'ours'"
            " ORDER BY p.page_number IS NULL, p.page_number, p.id",
            (return_id,),
        )
        answers = tx.one(
            "SELECT answers, deleted_at FROM return_answers WHERE return_id = ?", (return_id,)
        )
        images = {
            r["path"]: bytes(r["data"])
            for r in tx.all(
                "SELECT e.path, e.data FROM evidence_images e JOIN intake_pages p"
                " ON p.evidence = e.path WHERE p.return_id = ?",
                (return_id,),
            )
        }
    pages = tuple(
        EvidencePage(
            r["id"],
            r["page_number"],
            r["page_count"],
            r["name"],
            r["position"],
            images.get(r["evidence"]),
            r["evidence_deleted_at"],
        )
        for r in rows
    )
    return ReturnEvidence(
        return_id,
        pages,
        answers["answers"] if answers and answers["answers"] else None,
        answers["deleted_at"] if answers else None,
    )


@dataclass(frozen=True)
class Pruned:
    """What a prune deleted (or, on a dry run, would delete)."""

    images: int
    answers: int


@entry(Action.PRUNE)
def prune(t: Tracker, actor: str, days: int | None = None, dry_run: bool = False) -> Pruned:
    """Delete page images and answers older than the retention period; their records stay."""
    keep = t.config.evidence_days if days is None else days
    if keep < 0:
        raise TrackerError("the retention period cannot be negative")
    cutoff = (t.clock() - timedelta(days=keep)).isoformat(timespec="seconds")
    now = t.now()
    with t.db.write() as tx:
        # A page of a marked return: counted from the marking; any other: from its intake.
        pages = tx.all(
            "SELECT p.id, p.evidence, p.return_id FROM intake_pages p"
            " JOIN intake_files f ON f.id = p.file_id"
            " LEFT JOIN marks m ON m.return_id = p.return_id"
            " WHERE p.evidence <> '' AND p.evidence_deleted_at IS NULL"
            " AND ((p.return_id IS NOT NULL AND m.marked_at <= ?)"
            "  OR (p.return_id IS NULL AND f.taken_at <= ?))",
            (cutoff, cutoff),
        )
        answers = tx.all(
            "SELECT a.return_id FROM return_answers a JOIN marks m ON m.return_id = a.return_id"
            " WHERE a.deleted_at IS NULL AND m.marked_at <= ?",
            (cutoff,),
        )
        pages = [p for p in pages if _ours(t, tx, p["return_id"])]
        answers = [a for a in answers if _ours(t, tx, a["return_id"])]
        if dry_run:
            return Pruned(len(pages), len(answers))
        for page in pages:
            tx.execute(
                "UPDATE intake_pages SET evidence_deleted_at = ? WHERE id = ?", (now, page["id"])
            )
            tx.execute("DELETE FROM evidence_images WHERE path = ?", (page["evidence"],))
        for row in answers:
            tx.execute(
                "UPDATE return_answers SET answers = '', deleted_at = ? WHERE return_id = ?",
                (now, row["return_id"]),
            )
        if pages or answers:
            t.audit(
                tx,
                actor,
                "evidence.prune",
                "evidence",
                days=keep,
                images=len(pages),
                answers=len(answers),
            )
        done = tx.all("SELECT evidence FROM intake_pages WHERE evidence_deleted_at IS NOT NULL")
    # Images in the records went with the rows above. A file left from before they moved
    # into the records goes once the records say so (a prune cut short deletes the rest
    # next time): a record never points at an image it says is there but is not.
    remove_evidence(t.config, [row["evidence"] for row in done])
    return Pruned(len(pages), len(answers))


def _ours(t: Tracker, tx: Transaction, return_id: int | None) -> bool:
    """Whether the acting account serves the office of a return (an unclaimed page: admins)."""
    if t.actor is not None and t.actor.every_office:
        return True
    return return_id is not None and keeps(t, office_in(tx, Subject.RETURN, return_id))


@entry(Action.MANAGE_KEYS)
def move_files_in(t: Tracker) -> int:
    """Move page images kept as files (before issue 14) into the records; how many moved.

    Each is inserted in one transaction with an audit entry, then its file deleted; run
    again after an interruption, it moves the rest.
    """
    actor = t.actor
    assert actor is not None
    with t.db.read() as tx:
        wanted = tx.all(
            "SELECT DISTINCT p.evidence FROM intake_pages p LEFT JOIN evidence_images e"
            " ON e.path = p.evidence WHERE p.evidence <> '' AND p.evidence_deleted_at IS NULL"
            " AND e.path IS NULL"
        )
    moved = []
    with t.db.write() as tx:
        for row in wanted:
            file = t.config.data_dir / row["evidence"]
            if file.is_file():
                tx.execute(
                    "INSERT INTO evidence_images (path, data) VALUES (?, ?)",
                    (row["evidence"], file.read_bytes()),
                )
                moved.append(row["evidence"])
        if moved:
            t.audit(tx, actor.login, "evidence.move-in", "evidence", images=len(moved))
    remove_evidence(t.config, moved)
    return len(moved)
