"""The weekly report at office scale: 10,000 clients and 150,000 ledger rows.

The records are seeded in bulk (multi-row INSERTs with the ids chosen here), with
workbooks, returns, marks, credits and reversals on varied dates; what is timed is
exactly what `cpo report weekly` runs. The tests use the same seed for the 2,000-client
reconciliation.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import heading, row
from tracker.accounts import act_as_first_admin
from tracker.config import initialise
from tracker.store import Transaction
from tracker.tracker import Tracker, open_tracker

CLIENTS = 10_000
MODULES = 15  # per client; about one ledger row per module on average
CHUNK = 500  # rows per INSERT


def bulk_insert(
    tx: Transaction, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert `rows` into `table`, many to a statement."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        tx.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * len(chunk)),
            [value for r in chunk for value in r],
        )


def _at(day: date) -> str:
    return f"{day.isoformat()}T10:00:00+00:00"


def seed(
    t: Tracker,
    offices: dict[str, int],
    modules: tuple[int, int] = (MODULES, MODULES),
    rng_seed: int = 7,
) -> None:
    """`offices` maps an office code to its number of clients, each with an order and a
    workbook of between `modules[0]` and `modules[1]` modules in every possible state."""
    rng = random.Random(rng_seed)
    today = t.today()
    ids = [m.id for m in t.course.modules]
    tables: dict[str, list[tuple[Any, ...]]] = {
        k: []
        for k in (
            "offices",
            "clients",
            "orders",
            "workbooks",
            "tokens",
            "returns",
            "marks",
            "credits",
        )
    }
    n = 0
    for office_id, (code, size) in enumerate(offices.items(), start=1):
        tables["offices"].append((office_id, code, f"Office {code}"))
        for _ in range(size):
            n += 1
            _client(rng, tables, n, office_id, today, ids[: rng.randint(*modules)])
    with t.db.write() as tx:
        for table, columns in COLUMNS.items():
            bulk_insert(tx, table, columns, tables[table])
        if tx.engine == "postgresql":  # ids were chosen here: move the identity sequences on
            for table in COLUMNS:
                tx.scalar(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


COLUMNS = {
    "offices": ("id", "code", "name"),
    "clients": (
        "id",
        "reference",
        "name",
        "office_id",
        "case_worker",
        "case_worker_contact",
        "created_at",
    ),
    "orders": (
        "id",
        "client_id",
        "number",
        "jurisdiction",
        "ordered_minutes",
        "made_on",
        "deadline",
        "created_at",
    ),
    "workbooks": (
        "id",
        "number",
        "client_id",
        "order_id",
        "profile",
        "content_version",
        "issued_on",
        "due_on",
        "issued_by",
        "revoked_at",
        "revoked_reason",
    ),
    "tokens": ("id", "workbook_id", "module_id", "guided_minutes", "key_id", "serial", "code"),
    "returns": ("id", "token_id", "attempt", "arrived_by", "received_at", "recorded_by"),
    "marks": (
        "id",
        "return_id",
        "decision",
        "declared_minutes",
        "credited_minutes",
        "credit_note",
        "feedback",
        "reason",
        "marker",
        "marked_at",
    ),
    "credits": (
        "id",
        "order_id",
        "module_id",
        "return_id",
        "minutes",
        "generation",
        "reverses",
        "approver",
        "reason",
        "created_at",
    ),
}


def _client(
    rng: random.Random,
    tables: dict[str, list[tuple[Any, ...]]],
    n: int,
    office_id: int,
    today: date,
    modules: list[str],
) -> None:
    made = today - timedelta(days=rng.randint(60, 200))
    deadline = made + timedelta(days=rng.randint(90, 300))
    scotland = n % 3 != 0
    ordered = rng.randint(20 if scotland else 40, 300) * 60
    now = _at(made)
    tables["clients"].append(
        (n, f"S-{n:05d}", f"Client {n}", office_id, f"Worker {n % 37:02d}", "0141 000 0000", now)
    )
    tables["orders"].append(
        (
            n,
            n,
            1,
            "scotland" if scotland else "england-wales",
            ordered,
            made.isoformat(),
            deadline.isoformat(),
            now,
        )
    )
    issued = made + timedelta(days=rng.randint(0, (today - made).days))
    revoked = rng.random() < 0.05
    tables["workbooks"].append(
        (
            n,
            f"S{n:05d}",
            n,
            n,
            "standard",
            "seed",
            issued.isoformat(),
            (issued + timedelta(days=28)).isoformat(),
            "seed",
            _at(today) if revoked else None,
            "lost in the post" if revoked else None,
        )
    )
    for module in modules:
        token = len(tables["tokens"]) + 1
        tables["tokens"].append((token, n, module, 120, "k1", f"serial-{token}", f"{token:012d}"))
        if revoked or rng.random() < 0.1:
            continue  # never came back
        _return(rng, tables, n, token, module, issued, today)


def _return(
    rng: random.Random,
    tables: dict[str, list[tuple[Any, ...]]],
    order: int,
    token: int,
    module: str,
    issued: date,
    today: date,
) -> None:
    back = issued + timedelta(days=rng.randint(0, max(0, (today - issued).days)))
    rid = len(tables["returns"]) + 1
    tables["returns"].append((rid, token, 1, "typed", _at(back), "seed"))
    roll = rng.random()
    if roll < 0.04:
        return  # waiting to be marked
    if roll < 0.08:
        tables["marks"].append(
            (rid, rid, "send-back", None, 0, "", "Please try activity 3", "", "Marker", _at(back))
        )
        return
    if roll < 0.11:
        tables["marks"].append(
            (rid, rid, "refuse", None, 0, "", "", "Another person's pages", "Marker", _at(back))
        )
        return
    minutes = rng.randint(60, 120)
    tables["marks"].append((rid, rid, "accept", minutes, minutes, "", "", "", "Marker", _at(back)))
    credit = len(tables["credits"]) + 1
    tables["credits"].append(
        (credit, order, module, rid, minutes, 1, None, "Ana Lopez", "accepted", _at(back))
    )
    if rng.random() < 0.3:
        later = back + timedelta(days=rng.randint(0, max(0, (today - back).days)))
        tables["credits"].append(
            (
                credit + 1,
                order,
                module,
                rid,
                -minutes,
                1,
                credit,
                "Ana Lopez",
                "wrong order",
                _at(later),
            )
        )


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
