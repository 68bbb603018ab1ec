"""Take in a batch of files: read every page in parallel, then record the files in groups.

The order of work: look at every file first (its kind, its pages, its hash), refusing
the unreadable ones and those already taken in; then read the pages across the cores,
in order; as files' last pages come back, sort and record them, a group of files in one
transaction (whatever has come back, up to `GROUP_PAGES` pages, waiting at most
`GROUP_SECONDS` after the group's first file), each file whole or not at all (a
savepoint each), and report each file once its group is committed. A file that comes
alone (a single upload, or pages coming more slowly than that) is its own group. So an
intake cut short can simply be run again: the files reported are in, refused by their
hash the second time, and the rest go through.
"""

from __future__ import annotations

import time
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
    Group,
    audit_refusal,
    group_of_files,
    taken_reason,
)
from tracker.intake.kinds import KINDS, inspect_all
from tracker.intake.pages import PageRead, PageTask
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

# A group's bounds. Its pages' images are held in memory until it commits (a 300-dpi
# scan's JPEG is about 1.2 MB), and its files are reported only then; a file with more
# pages is a group alone. A commit costs the intake process about 2 ms of CPU (issue 19,
# round eight), so a group of several files saves most of that on each.
GROUP_PAGES = 32
GROUP_SECONDS = 0.25


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

    `on_page` is called for each page read once its file is stored (committed).
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
        for files in _groups(plan.files, pool, pool.read(tasks)):
            outcomes = _record_group(t, files, actor, dry_run)
            for (_, reads), outcome in zip(files, outcomes, strict=True):
                if on_page is not None:
                    for _ in reads:
                        on_page()
                yield outcome


Read = tuple[Source | FileOutcome, list[PageRead]]  # a file of the plan, with its pages read


def _groups(
    files: list[Source | FileOutcome], pool: ReaderPool, results: Iterator[PageRead]
) -> Iterator[list[Read]]:
    """The plan's files with their readings, in order, in groups to record together.

    A group takes the files whose pages are back (or, read here, can be read) within
    `GROUP_SECONDS` of its first file's, up to `GROUP_PAGES` pages.
    """
    group: list[Read] = []
    pages, deadline = 0, 0.0
    for file in files:
        count = file.pages if isinstance(file, Source) and _by_workers(file) else 0
        if group and (pages + count > GROUP_PAGES or not pool.back_by(count, deadline)):
            yield group
            group, pages = [], 0
        reads = [next(results) for _ in range(count)]
        if not group:
            deadline = time.monotonic() + GROUP_SECONDS
        group.append((file, reads))
        pages += count
    if group:
        yield group


def _record_group(t: Tracker, files: list[Read], actor: str, dry_run: bool) -> list[FileOutcome]:
    """Record a group of files in one transaction, each whole or not at all; their outcomes."""
    outcomes = []
    try:
        with group_of_files(t) as group:
            for entry, reads in files:
                outcomes.append(_record_file(t, group, entry, reads, actor, dry_run))
    finally:  # its transaction is over: kept or not, the scans hold the pages
        discard(s.spooled for _, reads in files for read in reads for s in read.sheets if s.spooled)
    return outcomes


def _record_file(
    t: Tracker,
    group: Group,
    entry: Source | FileOutcome,
    reads: list[PageRead],
    actor: str,
    dry_run: bool,
) -> FileOutcome:
    """Record one file of a group (or the refusal of one that was not read)."""
    outcome = (
        entry
        if isinstance(entry, FileOutcome)
        else (KINDS[entry.kind].record(t, entry, reads, actor, dry_run, group))
    )
    if outcome.status in (REFUSED, ALREADY) and not dry_run:
        audit_refusal(t, group, actor, outcome)
    return outcome
