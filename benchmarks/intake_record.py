"""The intake process's own work, apart from reading: recording 200 pages' readings.

    python -m benchmarks.intake_record [FOLDER] [RUNS]

The benchmark's 200 pages (benchmarks/intake.py, made once in FOLDER) are read once
and their readings kept; then `take_in` records them again and again, each time on a
fresh copy of the records, with the readings handed over as the workers hand them
(each page's evidence left in a spool file first, as a worker leaves it). What is
printed is the intake process's CPU a page, user and system apart (the system part is
mostly writing the evidence into SQLite's write-ahead log and checkpointing it), so a
change to recording is measured without the readers' noise (RUNS, 3 by default).

Then the evidence alone (the same JPEGs) written into a bare SQLite table as the records
write it (WAL, synchronous FULL), against variants: a group of 16 pages a commit, larger
database pages, checkpoints put off (not saved: they come at the end), and the images
as files with an fsync each (what keeping evidence outside the records would cost).
"""

from __future__ import annotations

import os
import pickle
import resource
import shutil
import sqlite3
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


# Name -> (page size, wal_autocheckpoint, pages a commit, as files)
WAL_VARIANTS = {
    "as the records now (4 KB pages, a commit a page)": (4096, 1000, 1, False),
    "16 pages a commit": (4096, 1000, 16, False),
    "16 KB database pages": (16384, 1000, 1, False),
    "64 KB database pages": (65536, 1000, 1, False),
    "64 KB pages, 16 pages a commit": (65536, 1000, 16, False),
    "no checkpoint until the end (not counted)": (4096, 1_000_000, 1, False),
    "as files, an fsync each (outside the records)": (0, 0, 1, True),
}


def evidence_cost(images: list[bytes], page_size: int, checkpoint: int, group: int) -> float:
    """CPU seconds (user and system) to write `images` into a fresh WAL database."""
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "e.db", isolation_level=None)
        for pragma in (
            f"page_size = {page_size}",
            "journal_mode = WAL",
            "synchronous = FULL",
            f"wal_autocheckpoint = {checkpoint}",
            "cache_size = -32768",
        ):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("CREATE TABLE evidence_images (path TEXT PRIMARY KEY, data BLOB NOT NULL)")
        start = _cpu()
        for first in range(0, len(images), group):
            conn.execute("BEGIN IMMEDIATE")
            last = min(first + group, len(images))
            rows = [(f"evidence/{n:04d}.jpg", images[n]) for n in range(first, last)]
            conn.executemany("INSERT INTO evidence_images VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        spent = _cpu() - start
        conn.close()
    return spent


def files_cost(images: list[bytes]) -> float:
    """CPU seconds to write `images` as files, each synced to the disk."""
    with tempfile.TemporaryDirectory() as folder:
        start = _cpu()
        for n, image in enumerate(images):
            handle = os.open(Path(folder) / f"{n}.jpg", os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(handle, image)
            os.fsync(handle)
            os.close(handle)
        return _cpu() - start


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wal_variants(reads: list[PageRead], runs: int) -> None:
    """Print the CPU a page of writing the evidence, for each variant, alternately."""
    images = [sheet.evidence for read in reads for sheet in read.sheets][:200]
    size = sum(map(len, images)) / len(images) / 1e6
    heading(f"The evidence alone: {len(images)} JPEGs of {size:.2f} MB on average (CPU a page)")
    spent: dict[str, list[float]] = {name: [] for name in WAL_VARIANTS}
    for _ in range(runs):
        for name, (page_size, checkpoint, group, as_files) in WAL_VARIANTS.items():
            cpu = (
                files_cost(images)
                if as_files
                else evidence_cost(images, page_size, checkpoint, group)
            )
            spent[name].append(cpu * 1000 / len(images))
    for name, figures in spent.items():
        row(name, ", ".join(f"{ms:.2f}" for ms in figures) + " ms")


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
        wal_variants(reads, runs)


if __name__ == "__main__":
    main()
