"""The transaction files are taken in by, whatever their kind: each file whole or not at all.

A kind (scans, answers) says how its items are sorted and stored; this module opens a
group's transaction, refuses a file another intake has just taken in, records each file
of the group under a savepoint of its own (rolled back alone if the file is refused
whole, or on a dry run), and stores the group's page images with one statement before
the group commits. A file is reported only once its group is committed, so an intake
that is cut short can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tracker.access import entry
from tracker.accounts import Action
from tracker.intake.evidence import PageImage, store_evidence
from tracker.intake.records import Sorted, tally
from tracker.intake.sources import Source
from tracker.store import Transaction
from tracker.tracker import Tracker

TAKEN, DRY_RUN, REFUSED, ALREADY = "taken in", "dry run", "refused", "already taken in"


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: taken in (its pages sorted), or refused and why."""

    path: Path
    status: str
    reason: str = ""
    kind: str = ""
    file_id: int | None = None
    pages: tuple[Sorted, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return tally(list(self.pages))

    def as_json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "status": self.status,
            "reason": self.reason,
            "kind": self.kind,
            "intake": f"F{self.file_id}" if self.file_id else None,
            "counts": self.counts,
            "pages": [page.as_json() for page in self.pages],
        }


def refused(source: Source, reason: str) -> FileOutcome:
    """A file refused whole, and why."""
    return FileOutcome(source.path, REFUSED, reason, source.kind)


class Rollback(Exception):
    """Ends a file's transaction without keeping it: a dry run, or a file refused whole."""

    def __init__(self, outcome: FileOutcome) -> None:
        self.outcome = outcome


# Sorts and stores a file's items in the open transaction, given the file's id; appends
# to `images` each page image to keep, stored with the group if the file is kept.
RecordItems = Callable[[Transaction, int, list[PageImage]], list[Sorted]]


@dataclass
class Group:
    """Files recorded in one transaction: each under its own savepoint, their images at the end."""

    tx: Transaction
    images: list[PageImage] = field(default_factory=list)  # of the files kept so far


@contextmanager
@entry(Action.TAKE_IN)  # it opens the write transaction: only an account that may take in
def group_of_files(t: Tracker) -> Iterator[Group]:
    """One write transaction for a group of files; their images stored just before it commits."""
    with t.db.write() as tx:
        group = Group(tx)
        yield group
        store_evidence(tx, group.images)


@entry(Action.TAKE_IN)
def file_whole(
    t: Tracker,
    group: Group,
    source: Source,
    items: int,
    actor: str,
    dry_run: bool,
    record: RecordItems,
) -> FileOutcome:
    """Take in one file in its group's transaction: its record, its items, its audit entry.

    Under a savepoint, so a file refused whole (or a dry run's) is undone alone. Anything
    raised ends the whole group's transaction, undone: none of its files was reported.
    """
    tx = group.tx
    images: list[PageImage] = []
    tx.execute("SAVEPOINT intake_file")
    try:
        taken = taken_reason(tx, source.sha256)  # another intake may have just taken it in
        if taken:
            raise Rollback(FileOutcome(source.path, ALREADY, taken, source.kind))
        file_id = _insert_file(t, tx, source, items, actor)
        pages = tuple(record(tx, file_id, images))
        status = DRY_RUN if dry_run else TAKEN
        outcome = FileOutcome(source.path, status, "", source.kind, file_id, pages)
        if dry_run:
            raise Rollback(replace(outcome, file_id=None))
        _finish_file(t, tx, outcome, source, actor)
    except Rollback as stop:
        tx.execute("ROLLBACK TO SAVEPOINT intake_file")
        tx.execute("RELEASE SAVEPOINT intake_file")
        return stop.outcome
    tx.execute("RELEASE SAVEPOINT intake_file")
    group.images.extend(images)
    return outcome


def taken_reason(tx: Transaction, sha256: str) -> str:
    """Why a file with this hash is not taken in again, or "" if it never was."""
    row = tx.one("SELECT id, name, taken_at FROM intake_files WHERE sha256 = ?", (sha256,))
    if row is None:
        return ""
    return (
        f"already taken in on {row['taken_at'][:10]} as F{row['id']} ({row['name']}): "
        "the same file is never taken in twice"
    )


def _insert_file(t: Tracker, tx: Transaction, source: Source, items: int, actor: str) -> int:
    return tx.insert(
        "INSERT INTO intake_files (sha256, name, kind, size_bytes, items, taken_at, taken_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (source.sha256, source.path.name, source.kind, source.size, items, t.now(), actor),
    )


def _finish_file(
    t: Tracker, tx: Transaction, outcome: FileOutcome, source: Source, actor: str
) -> None:
    """Write the file's audit entry: what it was and how its pages were sorted."""
    t.audit(
        tx,
        actor,
        "intake.file",
        f"F{outcome.file_id}",
        name=source.path.name,
        sha256=source.sha256,
        kind=source.kind,
        returns=sorted({f"R{p.return_id}" for p in outcome.pages if p.return_id}),
        **outcome.counts,
    )


@entry(Action.TAKE_IN)
def audit_refusal(t: Tracker, group: Group, actor: str, outcome: FileOutcome) -> None:
    """Write a refused or skipped file to the audit log, in its group's transaction."""
    t.audit(group.tx, actor, "intake.refuse", outcome.path.name[:80], reason=outcome.reason)
