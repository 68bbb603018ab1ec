"""Evidence: the page images and answers kept with a return, and their deletion on time.

Page images live under the data folder (`evidence/`, readable by the owner only), named
by the file's hash and the page's place in it, so taking a file in again after an
interruption writes the same names. The records hold the path, relative to the folder.

Retention is local policy (`evidence_days` in config.json): a return's pages and answers
are deleted that many days after it was marked, and a page nobody claimed that many days
after it came in. The page's record (class, reason, who and when) stays, as does the
credit record, which is kept far longer.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tracker.config import Config
from tracker.errors import NotFound, TrackerError
from tracker.tracker import Tracker

FOLDER = "evidence"


def save_evidence(config: Config, sha256: str, position: int, data: bytes) -> str:
    """Keep a page's image; its path relative to the data folder."""
    relative = f"{FOLDER}/{sha256[:2]}/{sha256}-p{position:04d}.jpg"
    path = config.data_dir / relative
    try:
        for folder in (config.data_dir / FOLDER, path.parent):
            folder.mkdir(mode=stat.S_IRWXU, exist_ok=True)
        fd = os.open(path.with_suffix(".part"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        path.with_suffix(".part").replace(path)
    except OSError as err:
        raise TrackerError(f"cannot keep the page image in {path.parent}: {err.strerror}") from None
    return relative


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
    path: Path | None  # None once deleted under the retention policy
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
        if any(p.page_number is None and p.path is not None for p in self.pages):
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
    pages = tuple(
        EvidencePage(
            r["id"],
            r["page_number"],
            r["page_count"],
            r["name"],
            r["position"],
            t.config.data_dir / r["evidence"] if r["evidence"] else None,
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
            "SELECT p.id, p.evidence FROM intake_pages p JOIN intake_files f ON f.id = p.file_id"
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
        if dry_run:
            return Pruned(len(pages), len(answers))
        for page in pages:
            tx.execute(
                "UPDATE intake_pages SET evidence_deleted_at = ? WHERE id = ?", (now, page["id"])
            )
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
    # Files go once the records say so, and every file the records call deleted goes
    # (a prune cut short deletes the rest next time): a record never points at an
    # image it says is there but is not.
    remove_evidence(t.config, [row["evidence"] for row in done])
    return Pruned(len(pages), len(answers))
