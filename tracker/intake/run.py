"""Take in a batch of files: read every page in parallel, then record each file whole.

The order of work: look at every file first (its kind, its pages, its hash), refusing
the unreadable ones and those already taken in; then read the pages across the cores,
in order; as each file's last page comes back, sort and record its pages in one
transaction. A file is taken in whole or not at all, so an intake cut short can simply
be run again: the files already taken in are refused by their hash, the rest go through.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tracker.errors import IntakeError
from tracker.intake.evidence import remove_evidence, save_evidence
from tracker.intake.pages import PageRead, PageTask, read_page
from tracker.intake.records import (
    OURS,
    UNREADABLE,
    Item,
    Sorted,
    record_item,
    sort_item,
    tally,
)
from tracker.intake.sources import ANSWERS, Source, inspect
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


@dataclass
class Plan:
    """The files of a batch, looked at but not yet read: each a Source, or refused."""

    files: list[Source | FileOutcome] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages will be read (the length of the progress bar)."""
        return sum(f.pages for f in self.files if isinstance(f, Source) and f.kind != ANSWERS)


def plan_intake(t: Tracker, paths: Iterable[Path]) -> Plan:
    """Look at each file: what it holds, and whether it was taken in already."""
    plan = Plan()
    seen: dict[str, Path] = {}
    with t.db.read() as tx:
        for path in paths:
            try:
                source = inspect(path)
            except IntakeError as err:
                plan.files.append(FileOutcome(path, REFUSED, err.reason))
                continue
            if source.sha256 in seen:
                reason = f"the same file as {seen[source.sha256]}, given twice"
                plan.files.append(FileOutcome(path, ALREADY, reason, source.kind))
                continue
            seen[source.sha256] = path
            taken = taken_reason(tx, source.sha256)
            plan.files.append(FileOutcome(path, ALREADY, taken, source.kind) if taken else source)
    return plan


def taken_reason(tx: Transaction, sha256: str) -> str:
    row = tx.one("SELECT id, name, taken_at FROM intake_files WHERE sha256 = ?", (sha256,))
    if row is None:
        return ""
    return (
        f"already taken in on {row['taken_at'][:10]} as F{row['id']} ({row['name']}): "
        "the same file is never taken in twice"
    )


def take_in(
    t: Tracker,
    plan: Plan,
    actor: str,
    dry_run: bool = False,
    workers: int | None = None,
    on_page: Callable[[], None] | None = None,
) -> Iterator[FileOutcome]:
    """Read and record each file of `plan`, in order, yielding each outcome once stored.

    With `dry_run`, every page is read and sorted against the records as it would be,
    and nothing is written: no records, no images, no audit entries.
    """
    tasks = [
        PageTask(index, f.path, f.kind, page)
        for index, f in enumerate(plan.files)
        if isinstance(f, Source) and f.kind != ANSWERS
        for page in range(f.pages)
    ]
    with _Reader(workers, len(tasks)) as read:
        results = read(tasks)
        for entry in plan.files:
            if isinstance(entry, FileOutcome):
                outcome = entry
            elif entry.kind == ANSWERS:
                from tracker.intake.answers import record_answers

                outcome = record_answers(t, entry, actor, dry_run)
            else:
                reads = []
                for _ in range(entry.pages):
                    reads.append(next(results))
                    if on_page:
                        on_page()
                outcome = _record_scan(t, entry, reads, actor, dry_run)
            if outcome.status in (REFUSED, ALREADY) and not dry_run:
                _audit_refusal(t, actor, outcome)
            yield outcome


class _Reader:
    """Maps `read_page` over the tasks: in worker processes, or here for a page or two."""

    def __init__(self, workers: int | None, pages: int) -> None:
        self.workers = min(workers or os.cpu_count() or 1, max(pages, 1))
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Callable[[list[PageTask]], Iterator[PageRead]]:
        if self.workers <= 1:
            return lambda tasks: map(read_page, tasks)
        # Workers forked from a fresh server process that has loaded the reader once:
        # quick to start, and they never share this process's connection to the records.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tracker.intake.pages"])
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
        pool = self.pool
        return lambda tasks: pool.map(read_page, tasks)

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class Rollback(Exception):
    """Ends a file's transaction without keeping it: a dry run, or a file refused whole."""

    def __init__(self, outcome: FileOutcome) -> None:
        self.outcome = outcome


def _record_scan(
    t: Tracker, source: Source, reads: list[PageRead], actor: str, dry_run: bool
) -> FileOutcome:
    if all(read.error for read in reads):
        return FileOutcome(source.path, REFUSED, reads[0].error, source.kind)
    written: list[str] = []
    try:
        with t.db.write() as tx:
            taken = taken_reason(tx, source.sha256)  # another intake may have just taken it in
            if taken:
                raise Rollback(FileOutcome(source.path, ALREADY, taken, source.kind))
            file_id = insert_file(t, tx, source, len(reads), actor)
            pages = []
            for read in reads:
                sorted_, row = sort_item(t, tx, Item(read.position, read.codes, read.error))
                if sorted_.klass in (OURS, UNREADABLE) and read.evidence and not dry_run:
                    written.append(
                        save_evidence(t.config, source.sha256, read.position, read.evidence)
                    )
                    sorted_ = replace(sorted_, evidence=written[-1])
                pages.append(record_item(t, tx, file_id, sorted_, row, actor, "scan"))
            outcome = FileOutcome(
                source.path, DRY_RUN if dry_run else TAKEN, "", source.kind, file_id, tuple(pages)
            )
            if dry_run:
                raise Rollback(replace(outcome, file_id=None))
            finish_file(t, tx, outcome, source, actor)
    except Rollback as stop:
        remove_evidence(t.config, written)
        return stop.outcome
    except BaseException:
        remove_evidence(t.config, written)
        raise
    return outcome


def insert_file(t: Tracker, tx: Transaction, source: Source, items: int, actor: str) -> int:
    return tx.insert(
        "INSERT INTO intake_files (sha256, name, kind, size_bytes, items, taken_at, taken_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (source.sha256, source.path.name, source.kind, source.size, items, t.now(), actor),
    )


def finish_file(
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


def _audit_refusal(t: Tracker, actor: str, outcome: FileOutcome) -> None:
    with t.db.write() as tx:
        t.audit(tx, actor, "intake.refuse", outcome.path.name[:80], reason=outcome.reason)
