"""Take in a batch of files: read every page in parallel, then record each file whole.

The order of work: look at every file first (its kind, its pages, its hash), refusing
the unreadable ones and those already taken in; then read the pages across the cores,
in order; as each file's last page comes back, sort and record its pages in one
transaction. A file is taken in whole or not at all, so an intake cut short can simply
be run again: the files already taken in are refused by their hash, the rest go through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracker.access import entry
from tracker.accounts import Action
from tracker.errors import IntakeError
from tracker.intake.filing import (
    ALREADY,
    DRY_RUN,
    REFUSED,
    TAKEN,
    FileOutcome,
    audit_refusal,
    taken_reason,
)
from tracker.intake.kinds import KINDS, inspect_all
from tracker.intake.pages import PageTask
from tracker.intake.sources import Source
from tracker.intake.spool import discard
from tracker.intake.workers import ReaderPool, warm_up
from tracker.tracker import Tracker

__all__ = [
    "ALREADY",
    "DRY_RUN",
    "REFUSED",
    "TAKEN",
    "FileOutcome",
    "Plan",
    "plan_intake",
    "take_in",
]


@dataclass
class Plan:
    """The files of a batch, looked at but not yet read: each a Source, or refused."""

    files: list[Source | FileOutcome] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages will be read (the length of the progress bar)."""
        return sum(f.pages for f in self.files if isinstance(f, Source) and _by_workers(f))


def _by_workers(source: Source) -> bool:
    return KINDS[source.kind].read_by_workers


@entry(Action.TAKE_IN)
def plan_intake(t: Tracker, paths: Iterable[Path], workers: int | None = None) -> Plan:
    """Look at each file: what it holds, and whether it was taken in already.

    Once two pages are to be read, the reader processes start loading (for `workers`
    as `take_in` will be given), so that they are ready when the planning is done.
    """
    plan = Plan()
    seen: dict[str, Path] = {}
    pages = 0
    with t.db.read() as tx:
        for path, source in inspect_all(paths):
            if isinstance(source, IntakeError):
                plan.files.append(FileOutcome(path, REFUSED, source.reason))
                continue
            if source.sha256 in seen:
                reason = f"the same file as {seen[source.sha256]}, given twice"
                plan.files.append(FileOutcome(path, ALREADY, reason, source.kind))
                continue
            seen[source.sha256] = path
            taken = taken_reason(tx, source.sha256)
            plan.files.append(FileOutcome(path, ALREADY, taken, source.kind) if taken else source)
            if not taken and _by_workers(source):
                pages += source.pages
                warm_up(workers, pages)  # at once if it is already running
    return plan


@entry(Action.TAKE_IN)
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
        if isinstance(f, Source) and _by_workers(f)
        for page in range(f.pages)
    ]
    with ReaderPool(workers, len(tasks), t.config.data_dir) as pool:
        results = pool.read(tasks)
        for entry in plan.files:
            if isinstance(entry, FileOutcome):
                outcome = entry
            else:
                reads = []
                for _ in range(entry.pages if _by_workers(entry) else 0):
                    reads.append(next(results))
                    if on_page:
                        on_page()
                try:
                    outcome = KINDS[entry.kind].record(t, entry, reads, actor, dry_run)
                finally:  # its transaction is over: kept or not, the scan holds the pages
                    discard(s.spooled for read in reads for s in read.sheets if s.spooled)
            if outcome.status in (REFUSED, ALREADY) and not dry_run:
                audit_refusal(t, actor, outcome)
            yield outcome
