"""The weekly report at office scale: 10,000 clients and 150,000 ledger rows.

The records are seeded in bulk (multi-row INSERTs), with
workbooks, returns, marks, credits and reversals on varied dates; what is timed is
exactly what `cpo report weekly` runs (tests/tracker/seed.py seeds them; the tests use
the same seed for the 2,000-client reconciliation).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import heading, row
from tests.tracker.seed import CLIENTS, MODULES, seed
from tracker.accounts import act_as_first_admin
from tracker.config import initialise
from tracker.tracker import open_tracker


def main() -> None:
    from tracker.reports import CSV_COLUMNS, as_csv, weekly_report

    with tempfile.TemporaryDirectory() as folder:
        config, _ = initialise(Path(folder) / "data")
        with open_tracker(config) as t:
            act_as_first_admin(t, "bench", "a benchmark password")
            heading(f"Weekly report: {CLIENTS:,} clients, SQLite")
            start = time.perf_counter()
            seed(t, {"bench": CLIENTS}, (MODULES, MODULES))
            with t.db.read() as tx:
                ledger = int(tx.scalar("SELECT COUNT(*) FROM credits"))
            row("seeding the records (not timed below)", f"{time.perf_counter() - start:.1f} s")
            row("ledger rows", f"{ledger:,}")
            start = time.perf_counter()
            report = weekly_report(t, "bench")
            seconds = time.perf_counter() - start
            assert len(report.lines) == CLIENTS
            row("the weekly report (`cpo report weekly`)", f"{seconds:.2f} s (target: under 2 s)")
            row("ledger rows per second", f"{ledger / seconds:,.0f}")
            row("clients per second", f"{CLIENTS / seconds:,.0f}")
            start = time.perf_counter()
            as_csv(report.lines, CSV_COLUMNS)
            row("and its CSV", f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
