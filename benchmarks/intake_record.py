"""The intake process's own work, apart from reading: recording 200 pages' readings.

    python -m benchmarks.intake_record [FOLDER] [RUNS]

The benchmark's 200 pages (benchmarks/intake.py, made once in FOLDER) are read once
and their readings kept; then `take_in` records them again and again, each time on a
fresh copy of the records, with the readings handed over as the workers hand them
(each page's evidence left in a spool file first, as a worker leaves it). What is
printed is the intake process's CPU a page, user and system apart (the system part is
mostly writing the evidence into SQLite's write-ahead log and checkpointing it), so a
change to recording is measured without the readers' noise. RUNS (3 by default)
alternate with the variants below, which change only SQLite's settings.
"""

from __future__ import annotations

import os
import pickle
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import heading, row
from benchmarks.intake_profile import prepare
from tracker.accounts import act_as_first_admin
from tracker.config import load
from tracker.intake import run as intake_run
from tracker.intake.pages import PageRead, PageTask, read_page
from tracker.intake.run import TAKEN, plan_intake, take_in
from tracker.intake.spool import Spool, leave
from tracker.tracker import open_tracker


def readings(folder: Path, files: list[Path]) -> list[PageRead]:
    """Every page of `files` read once, in order (kept in FOLDER for the next run)."""
    kept = folder / "readings.pickle"
    if kept.is_file():
        reads: list[PageRead] = pickle.loads(kept.read_bytes())
        return reads
    with open_tracker(load(folder / "data")) as t:
        act_as_first_admin(t, "bench", "a benchmark password")
        plan = plan_intake(t, files, 1)
    tasks = [
        PageTask(index, f.path, f.kind, page)
        for index, f in enumerate(plan.files)
        if not isinstance(f, intake_run.FileOutcome)
        for page in range(f.pages)
    ]
    reads = [read_page(task) for task in tasks]
    kept.write_bytes(pickle.dumps(reads))
    return reads


class _Handed:
    """Stands in for the reader pool: the kept readings, each sheet's evidence spooled first."""

    def __init__(self, reads: list[PageRead], spool: Spool) -> None:
        self.reads = [  # spooled before the clock starts: that is the workers' work
            replace(
                read,
                sheets=tuple(
                    replace(s, evidence=b"", spooled=leave(spool.folder, f"{n}-{k}", s.evidence))
                    for k, s in enumerate(read.sheets)
                ),
            )
            for n, read in enumerate(reads)
        ]

    def __enter__(self) -> _Handed:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def read(self, tasks: list[PageTask]) -> Iterator[PageRead]:
        yield from self.reads[: len(tasks)]

    def back_by(self, count: int, deadline: float) -> bool:
        """Every kept reading is back at once (as when the workers are ahead)."""
        return True


@contextmanager
def handed(reads: list[PageRead], data: Path) -> Iterator[None]:
    """`take_in` given the kept readings instead of reading the pages."""
    module: Any = intake_run  # its ReaderPool is replaced for the while
    pool = module.ReaderPool
    with Spool(data) as spool:
        pool_now = _Handed(reads, spool)
        module.ReaderPool = lambda *args, **kwargs: pool_now
        try:
            yield
        finally:
            module.ReaderPool = pool


def record_once(
    folder: Path, files: list[Path], reads: list[PageRead], name: str
) -> tuple[float, float, float]:
    """User and system CPU seconds, and wall seconds, to record the readings on fresh records."""
    copy = folder / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder / "data", copy)
    config = replace(load(copy), database_url=str(copy / "tracker.db"))
    with open_tracker(config) as t:
        act_as_first_admin(t, "bench", "a benchmark password")
        plan = plan_intake(t, files, 2)
        with handed(reads, copy):  # the readings spooled here, before the clock starts
            before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            outcomes = list(take_in(t, plan, "bench", workers=2))
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_SELF)
    assert all(o.status == TAKEN for o in outcomes), [o.reason for o in outcomes]
    shutil.rmtree(copy, ignore_errors=True)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, wall


def main() -> None:
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = prepare(folder)
        reads = readings(folder, files)
        pages = sum(len(r.sheets) or 1 for r in reads)
        heading(f"Recording {pages} pages' readings (the intake process alone; CPU a page)")
        print(f"  load average {os.getloadavg()[0]:.1f}")
        for n in range(runs):
            user, system, wall = record_once(folder, files, reads, f"record-{n}")
            ms = 1000 / pages
            row(
                f"run {n + 1}",
                f"{(user + system) * ms:5.2f} ms (user {user * ms:.2f}, system {system * ms:.2f});"
                f" wall {wall * ms:.2f} ms",
            )


if __name__ == "__main__":
    main()
