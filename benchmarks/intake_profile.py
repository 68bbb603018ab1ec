"""Where intake's CPU goes, per page: a profile of benchmarks/intake.py's 200 pages.

    python -m benchmarks.intake_profile [FOLDER]

The pages are taken in by one process (no workers), under cProfile counting CPU time,
and the time is split by stage: loading and decoding the image, reading its codes,
re-encoding it as evidence, hashing the files (measured apart: planning hashes in
threads, which cProfile does not see), storing the evidence, recording the pages, the
audit entries, and the rest of the main process's work. Then the same pages
go through two workers: the main process's CPU, beside planning and recording above,
is what the traffic between the processes costs it. FOLDER keeps the pages and records
between runs (they take minutes to make); without it they are made in a temporary one.
"""

from __future__ import annotations

import cProfile
import hashlib
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import heading, row
from benchmarks.intake import (
    PAGES,
    degraded_pages,
    issue_workbooks,
    take_in_fresh,
    take_in_timed,
    write_envelopes,
)
from tracker.accounts import act_as_first_admin
from tracker.config import initialise
from tracker.tracker import open_tracker

# Stage -> the functions (file suffix, name) whose cumulative time it is.
STAGES = {
    "image loading and decoding": [("intake/sources.py", "page_pixels")],
    "reading codes (zxing-cpp, reductions)": [("intake/reader.py", "find_codes")],
    "evidence (a JPEG page kept as it came; others re-encoded)": [
        ("intake/sources.py", "evidence_jpeg")
    ],
    "storing evidence (INSERT, a group at once)": [("intake/evidence.py", "store_evidence")],
    "audit entries": [("tracker/tracker.py", "audit")],
}
WORKER = ("intake/pages.py", "read_page")
PLAN = ("intake/run.py", "plan_intake")
RECORD = ("intake/run.py", "_record_group")  # its files, their evidence, the commit


def prepare(folder: Path) -> list[Path]:
    """The benchmark's files and records in `folder`, made once."""
    files = sorted(folder.glob("scan-*.pdf")) + sorted(folder.glob("photo-*.jpg"))
    if files and (folder / "data").is_dir():
        return files
    config, _ = initialise(folder / "data")
    with open_tracker(config) as t:
        act_as_first_admin(t, "bench", "a benchmark password")
        workbooks = issue_workbooks(t, folder / "issues")
    return write_envelopes(degraded_pages(workbooks, PAGES), folder)


def cumulative(stats: pstats.Stats, where: tuple[str, str]) -> float:
    """CPU seconds spent in the function `where` and what it called."""
    table = stats.stats  # type: ignore[attr-defined]
    return sum(
        float(entry[3])
        for (path, _, name), entry in table.items()
        if name == where[1] and path.endswith(where[0])
    )


def fresh(folder: Path, name: str) -> Path:
    copy = folder / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder / "data", copy)
    return copy


def breakdown(folder: Path, files: list[Path]) -> None:
    """Print the CPU a page costs at each stage, one process, then two workers."""
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    _, read, _ = take_in_timed(fresh(folder, "profile"), files, 1)
    profile.disable()
    stats = pstats.Stats(profile)
    ms = 1000 / read
    heading(f"Intake's CPU a page, by stage ({read} pages, one process, under cProfile)")
    stages = {name: sum(cumulative(stats, w) for w in where) for name, where in STAGES.items()}
    for name, seconds in stages.items():
        row(name, f"{seconds * ms:6.1f} ms")
    worker = cumulative(stats, WORKER)
    reader = sum(stages[name] for name in list(STAGES)[:3])
    row("other work on a page in the worker", f"{(worker - reader) * ms:6.1f} ms")
    kept = stages["storing evidence (INSERT, a group at once)"] + stages["audit entries"]
    recording = cumulative(stats, RECORD) - kept
    row("recording the pages (sorting, INSERTs, commit)", f"{recording * ms:6.1f} ms")
    hashing = _hashing(files)
    row("hashing the files (SHA-256, in threads)", f"{hashing * ms:6.1f} ms")
    plan = cumulative(stats, PLAN) - hashing
    row("planning other than hashing (kinds, pages)", f"{plan * ms:6.1f} ms")
    total = stats.total_tt  # type: ignore[attr-defined]
    row("all (profiled, so a little slower)", f"{total * ms:6.1f} ms")
    # In a process of its own, as `cpo intake` runs: workers forked from this one would
    # copy the pages it rendered (benchmarks/intake.py, `take_in_fresh`).
    run, read, _ = take_in_fresh(fresh(folder, "two"), files, 2)
    heading("The same on two workers (CPU a page)")
    row("main process", f"{run.main_cpu * ms:6.1f} ms")
    row("workers", ", ".join(f"{cpu * ms:.1f} ms" for cpu in run.worker_cpu))
    row("forkserver (none: the workers are forked from here)", f"{run.server_cpu * ms:6.1f} ms")


def _hashing(files: list[Path]) -> float:
    """CPU seconds to hash the files once (planning does it in threads, which cProfile misses)."""
    start = time.process_time()
    for path in files:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.process_time() - start


def main() -> None:
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        folder.mkdir(parents=True, exist_ok=True)
        breakdown(folder, prepare(folder))
        return
    with tempfile.TemporaryDirectory() as tmp:
        breakdown(Path(tmp), prepare(Path(tmp)))


if __name__ == "__main__":
    main()
