"""The audit chain's cost (issue 12): a keyed, journalled entry per write, and `verify`.

Each write journals the rows it touches (triggers) and copies them into its audit
entry under an HMAC. Compared here: the same writes with the journal triggers
dropped (the chain as it was, keyed), and `verify` against only reading the tables.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import heading, row
from tracker import audit
from tracker.accounts import act_as_first_admin
from tracker.config import initialise
from tracker.migrations import COVERED
from tracker.people import add_client, add_office
from tracker.tracker import Tracker, open_tracker

WRITES = int(os.environ.get("BENCH_AUDIT_WRITES", "2000"))


def writes(t: Tracker, first: int, count: int) -> float:
    """Seconds for `count` audited writes (clients added), each its own transaction."""
    start = time.perf_counter()
    for n in range(first, first + count):
        add_client(t, f"A-{n:06d}", f"Client {n}", "bench", "Worker", "bench")
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config, _ = initialise(Path(folder) / "data")
        with open_tracker(config) as t:
            act_as_first_admin(t, "bench", "a benchmark password")
            add_office(t, "bench", "Bench", "bench")
            heading(f"Audit chain: {WRITES:,} writes, SQLite, one transaction each")
            journalled = writes(t, 0, WRITES)
            with t.db.write() as tx:
                for table in COVERED:
                    for event in ("insert", "update", "delete"):
                        tx.execute(f"DROP TRIGGER {table}_journal_{event}")
            plain = writes(t, WRITES, WRITES)
            row("per write, rows journalled into the chain", f"{journalled / WRITES * 1000:.2f} ms")
            row("per write, no journal (keyed chain only)", f"{plain / WRITES * 1000:.2f} ms")
            row("ratio", f"{journalled / plain:.2f}x")

            heading(f"Audit chain: verify {2 * WRITES + 2:,} entries")
            start = time.perf_counter()
            verdict = audit.verify(t.db)
            checked = time.perf_counter() - start
            start = time.perf_counter()
            with t.db.read() as tx:
                for table in COVERED:
                    tx.tuples(f"SELECT * FROM {table}")
                tx.tuples("SELECT * FROM audit_log")
            read = time.perf_counter() - start
            row("verify (every link, every covered row)", f"{checked * 1000:.0f} ms")
            row("reading the same tables only", f"{read * 1000:.0f} ms")
            row("ratio", f"{checked / read:.1f}x")
            row("problems found (the un-journalled half)", f"{len(verdict.problems):,}")


if __name__ == "__main__":
    main()
