"""Where staff wait (issue 19): each row of the issue's table against its goal, with the
alternative beside it where there is one. On a shared machine read the ratios.

Rows: issuing one workbook (warm, cold, and how long the records' write lock is held);
100,000 check-ins committed in groups against one transaction each; the weekly report
counted in SQL against the report built from every statement; the fast test loop and the
whole suite. Intake on 2 workers against 1 is printed by benchmarks/intake.py, which
`make bench` runs just before (its "speed-up" row).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import heading, row
from benchmarks.tracker import seed as seed_codes
from tests.tracker.seed import seed as seed_report
from tracker.accounts import act_as_first_admin
from tracker.checkins import checkin, stored_groups
from tracker.config import initialise
from tracker.orders import add_order
from tracker.people import add_client, add_office
from tracker.store import Database, Transaction
from tracker.tracker import Tracker, open_tracker

REPO = Path(__file__).resolve().parents[1]
CHECKINS = int(os.environ.get("BENCH_CHECKINS", "100000"))
GROUP = 1000  # as `cpo checkin` groups a pasted list or a file
PASSWORD = "a benchmark password"


def goal(label: str, value: str, target: str) -> None:
    row(label, f"{value:<28} goal {target}")


class LockTimer:
    """Wraps Database.write to time how long each write transaction holds the lock."""

    def __init__(self) -> None:
        self.held: list[float] = []

    @contextmanager
    def installed(self) -> Iterator[None]:
        original = Database.write

        @contextmanager
        def timed(db: Database) -> Iterator[Transaction]:
            start = time.perf_counter()
            with original(db) as tx:
                yield tx
            self.held.append(time.perf_counter() - start)

        Database.write = timed  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            Database.write = original  # type: ignore[method-assign]


def issuing(folder: Path) -> None:
    heading("Issuing one workbook (`cpo issue`), SQLite")
    from tracker.issuing import issue

    config, _ = initialise(folder / "data")
    with open_tracker(config) as t:
        act_as_first_admin(t, "bench", PASSWORD)
        add_office(t, "bench", "Bench office", "bench")
        for n in range(8):
            add_client(t, f"I-{n}", f"Client {n}", "bench", "Ana Lopez", "bench")
            add_order(t, f"I-{n}", "scotland", 300 * 60, *_dates(t), "bench")
        modules = [m.id for m in t.course.modules[:4]]
        issue(t, "I-0", "bench", module_ids=modules, out_root=folder / "out")  # lays it out
        timer, times = LockTimer(), []
        with timer.installed():
            for n in range(1, 6):
                start = time.perf_counter()
                issue(t, f"I-{n}", "bench", module_ids=modules, out_root=folder / "out")
                times.append(time.perf_counter() - start)
    warm = sorted(times)[len(times) // 2]
    goal("issuing, warm (median of 5)", f"{warm:.2f} s", "<= 1 s")
    held = sorted(timer.held)[len(timer.held) // 2] * 1000
    goal("the write lock held, per issue (median)", f"{held:.0f} ms", "<= 50 ms")
    row("  before: lock held while printing, about", f"{warm * 1000:.0f} ms (the whole issue)")
    cache = folder / "cold-layouts"  # empty: the first new process lays the course out
    (first, first_cpu), (second, cpu) = (
        _cold_issue(folder, config.data_dir, n, modules, cache) for n in (6, 7)
    )
    # CPU beside the wall clock: on a shared machine the wall clock is mostly waiting.
    label = "issuing, cold process, layouts and course on disk"
    goal(label, f"{second:.2f} s ({cpu:.2f} s CPU)", "<= 2 s")
    row("  cold process, nothing on disk yet", f"{first:.2f} s ({first_cpu:.2f} s CPU)")


def _dates(t: Tracker) -> tuple[date, date]:
    today = t.today()
    return today - timedelta(days=10), today + timedelta(days=300)


def _cold_issue(
    folder: Path, data: Path, n: int, modules: list[str], cache: Path
) -> tuple[float, float]:
    """Seconds (wall, CPU) for `cpo issue` in a new process, keeping layouts and the course.

    Compiled modules are kept, as an installed `cpo` has them (pip compiles on install),
    even where the environment says not to (PYTHONDONTWRITEBYTECODE, set in Docker images).
    """
    env = dict(os.environ, CPO_DATA=str(data), CPO_USER="bench", CPO_LAYOUT_CACHE=str(cache))
    env["PYTHONDONTWRITEBYTECODE"] = ""
    command = [str(REPO / ".venv" / "bin" / "cpo"), "issue", f"I-{n}", "--modules"]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [*command, ",".join(modules), "--output", str(folder / "out")],
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (now.ru_utime + now.ru_stime) - (used.ru_utime + used.ru_stime)


def checkins(folder: Path) -> None:
    """The check-in row, each way in a process of its own, as a staff member's `cpo checkin`.

    Run in this process after issuing, the row measured the benchmark as much as the
    check-ins: it held all 100,000 results (`cpo checkin` prints each group and lets it
    go), which made each of Python's full collections walk them.
    """
    heading(f"{CHECKINS:,} check-ins, each saved before it is reported, SQLite")
    # BENCH_ONE_EACH=0 skips the alternative (minutes at 100,000) while iterating.
    for way in ("grouped", "one-each")[: 1 if os.environ.get("BENCH_ONE_EACH") == "0" else 2]:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.speed", CHECKIN_ROW, way, str(folder / way)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, cpu = (float(word) for word in done.stdout.split()[-2:])
        if way == "grouped":
            first = seconds
            goal(
                f"in groups of {GROUP:,}",
                f"{seconds:.1f} s ({CHECKINS / seconds:,.0f}/s)",
                "<= 5 s",
            )
            goal("  CPU a code, all in", f"{cpu / CHECKINS * 1e6:.0f} us", "<= 50 us")
            row("  load average (2 cores, shared)", f"{os.getloadavg()[0]:.1f}")
        else:
            row(
                "  one transaction each (the alternative)",
                f"{seconds:.1f} s ({seconds / first:.1f}x)",
            )


CHECKIN_ROW = "checkin-row"  # the argument that runs one way of the check-in row, below


def checkin_row(way: str, folder: Path) -> None:
    """Seed records in `folder`, check every code in one `way`; print wall and CPU seconds.

    As `cpo checkin` reads a file: each stored group's results are counted and let go.
    """
    config, _ = initialise(folder)
    with open_tracker(config) as t:
        act_as_first_admin(t, "bench", PASSWORD)
        codes = seed_codes(t)
        os.sync()  # the seeding's writes (and earlier benchmarks') are not this row's to wait on
        start, cpu = time.perf_counter(), time.process_time()
        if way == "grouped":
            groups = (codes[i : i + GROUP] for i in range(0, len(codes), GROUP))
            stored = stored_groups(t, groups, "bench")
            recorded = sum(r.recorded for results in stored for r in results)
        else:
            recorded = sum(r.recorded for r in checkin(t, codes, "bench", arrived_by="scanner"))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert recorded == len(codes), f"{recorded} of {len(codes)} recorded"
    print(seconds, cpu)


def report(folder: Path) -> None:
    from tracker.reports import weekly_report, weekly_report_from_statements

    heading("The weekly report, 10,000 clients, SQLite")
    config, _ = initialise(folder / "report")
    with open_tracker(config) as t:
        act_as_first_admin(t, "bench", PASSWORD)
        seed_report(t, {"bench": 10_000})
        assert t.course.modules  # the course loaded once, as a server has it
        with t.db.read() as tx:
            ledger = int(tx.scalar("SELECT COUNT(*) FROM credits"))
        timer = LockTimer()
        with timer.installed():  # as on the first report after the upgrade: nothing kept yet
            first, first_cpu = _timed(lambda: weekly_report(t, "bench"))
        sql, python = [], []
        for _ in range(3):
            sql.append(_timed(lambda: weekly_report(t, "bench")))
            python.append(_timed(lambda: weekly_report_from_statements(t, "bench")))
            assert weekly_report(t, "bench") == weekly_report_from_statements(t, "bench")
    (best, cpu), (old, old_cpu) = min(sql), min(python)
    goal(
        f"kept rows, one snapshot ({ledger:,} ledger rows)",
        f"{best:.2f} s ({cpu:.2f} s CPU)",
        "<= 0.5 s",
    )
    row(
        "  built from every statement (the alternative)",
        f"{old:.2f} s ({old_cpu:.2f} s CPU; {old / best:.1f}x, {old_cpu / cpu:.1f}x CPU)",
    )
    row(
        "  first report, every order counted and kept",
        f"{first:.2f} s ({first_cpu:.2f} s CPU; write lock {max(timer.held) * 1000:.0f} ms)",
    )


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call of `fn`."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def test_loops() -> None:
    heading("The tests: the fast loop (`make test-fast`) and the whole suite (`make test`, CI's)")
    _make("test-fast", "<= 60 s", 60)
    _make("test", "<= 3 min", 180)


def _make(target: str, target_text: str, most: float) -> None:
    """Time `make TARGET` itself, so the row times exactly what a developer (or CI) runs."""
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "CPO_LAYOUT_CACHE"}  # its own cache
    done = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    seconds = time.perf_counter() - start
    lines = done.stdout.splitlines()
    summary = next((line for line in reversed(lines) if " passed" in line), "no summary")
    shown = (
        f"{seconds:.0f} s" if seconds < 120 else f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    )
    goal(f"make {target}", shown + ("" if seconds <= most else " (over)"), target_text)
    row("  its summary", summary + ("" if done.returncode == 0 else " (FAILED)"))


def main() -> None:
    if sys.argv[1:2] == [CHECKIN_ROW]:
        checkin_row(sys.argv[2], Path(sys.argv[3]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("CPO_LAYOUT_CACHE", str(folder / "layouts"))
        issuing(folder)
        checkins(folder)
        report(folder)
    if os.environ.get("BENCH_TESTS", "1") != "0":
        test_loops()


if __name__ == "__main__":
    main()
