"""The tracker at office scale: 100,000 check-ins, and hours statements for 10,000 clients.

The records are seeded in bulk (10,000 clients and orders, 100,000 signed tokens in
6,667 workbooks of 15 modules) without printing the workbooks; what is timed is
exactly what `cpo checkin` and `cpo hours` run. Each check-in is its own durable
transaction (SQLite in WAL mode with synchronous=FULL), as a scanner's batch is.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import heading, row
from tracker.accounts import act_as_first_admin
from tracker.checkins import checkin
from tracker.config import initialise
from tracker.ledger import all_statements, hours_statement
from tracker.tracker import Tracker, open_tracker

CLIENTS = 10_000
CHECKINS = int(os.environ.get("BENCH_CHECKINS", "100000"))  # fewer for a quick look
MODULES_PER_WORKBOOK = 15


def seed(t: Tracker) -> list[str]:
    """Clients, orders, workbooks and signed tokens in bulk; the typed codes."""
    modules = [m.id for m in t.course.modules]
    codes: list[str] = []
    now = t.now()
    with t.db.write() as tx:
        office = tx.insert("INSERT INTO offices (code, name) VALUES ('bench', 'Bench office')")
        for n in range(CLIENTS):
            client = tx.insert(
                "INSERT INTO clients (reference, name, office_id, case_worker, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (f"B-{n:05d}", f"Client {n}", office, f"Worker {n % 40}", now),
            )
            order = tx.insert(
                "INSERT INTO orders (client_id, number, jurisdiction, ordered_minutes, made_on,"
                " deadline, created_at) VALUES (?, 1, ?, ?, '2026-10-01', '2027-04-01', ?)",
                (client, "scotland" if n % 3 else "england-wales", (60 + n % 200) * 60, now),
            )
            if len(codes) >= CHECKINS:
                continue
            workbook = tx.insert(
                "INSERT INTO workbooks (number, client_id, order_id, profile, content_version,"
                " issued_on, due_on, issued_by) VALUES (?, ?, ?, 'standard', ?, '2026-11-01',"
                " '2026-12-01', 'bench')",
                (f"B{n:05d}", client, order, t.course.version),
            )
            for module in modules[:MODULES_PER_WORKBOOK]:
                token = t.keyring.new_token()
                tx.insert(
                    "INSERT INTO tokens (workbook_id, module_id, guided_minutes, key_id, serial,"
                    " code) VALUES (?, ?, 120, ?, ?, ?)",
                    (workbook, module, token.key_id, token.serial, token.code),
                )
                codes.append(token.code)
    with t.db.write() as tx:  # a bulk load is audited too: its rows go into the chain
        t.audit(tx, "bench", "bench.seed", "records", clients=CLIENTS)
    return codes[:CHECKINS]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config, _ = initialise(Path(folder) / "data")
        with open_tracker(config) as t:
            act_as_first_admin(t, "bench", "a benchmark password")
            heading(f"Tracker: {CHECKINS:,} check-ins, SQLite, one durable transaction each")
            start = time.perf_counter()
            codes = seed(t)
            row("seeding the records (not timed below)", f"{time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            results = list(checkin(t, codes, "bench", arrived_by="scanner"))
            seconds = time.perf_counter() - start
            assert all(r.recorded for r in results), "every seeded code is recorded"
            row(f"{CHECKINS:,} check-ins", f"{seconds:.1f} s")
            row("check-ins per second", f"{CHECKINS / seconds:,.0f}")
            row("per check-in, on average", f"{seconds / CHECKINS * 1000:.2f} ms")

            heading(f"Tracker: hours statements for {CLIENTS:,} clients")
            with t.db.write() as tx:  # some credit on every tenth client's first module
                for n in range(0, CLIENTS, 10):
                    tx.execute(
                        "INSERT INTO credits (order_id, module_id, minutes, generation,"
                        " approver, reason, created_at) VALUES (?, 'WB1', 110, 1, 'bench',"
                        " 'bench', ?)",
                        (n + 1, t.now()),
                    )
            start = time.perf_counter()
            statements = all_statements(t)
            seconds = time.perf_counter() - start
            assert len(statements) == CLIENTS
            row(f"all {CLIENTS:,} statements (`all_statements`)", f"{seconds:.2f} s")
            times = []
            for n in range(0, CLIENTS, CLIENTS // 200):
                start = time.perf_counter()
                hours_statement(t, f"B-{n:05d}")
                times.append(time.perf_counter() - start)
            row(
                "one client's statement (`cpo hours`), median",
                f"{statistics.median(times) * 1000:.1f} ms",
            )


if __name__ == "__main__":
    main()
