"""Seed the records in bulk: offices of clients with orders, workbooks, returns, marks and
credits in every state, on varied dates. The weekly report's tests reconcile it with
`cpo hours`; `make bench` times the report on it (benchmarks/reports.py).

Rows are inserted many to a statement, with the ids chosen here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from tracker.store import Transaction
from tracker.tracker import Tracker

CLIENTS = 10_000
MODULES = 15  # per client; about one ledger row per module on average
CHUNK = 500  # rows per INSERT
ANALYZE_FROM = 2_000  # tokens loaded: from here PostgreSQL's plans need fresh counts


def bulk_insert(
    tx: Transaction, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert `rows` into `table`: by COPY on PostgreSQL, else many to a statement.

    The same rows, checks and triggers either way. On PostgreSQL a statement of 500 rows'
    parameters cost the server its parsing and psycopg its placeholder scan (most of the
    2,000-client report test's CPU, on both sides); COPY streams the rows.
    """
    if tx.engine == "postgresql":
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with tx._conn.cursor() as cursor, cursor.copy(sql) as copy:  # a test's bulk load only
            for row in rows:
                copy.write_row(row)
        return
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
        _after_bulk_load(tx, len(tables["tokens"]))


def _after_bulk_load(tx: Transaction, tokens: int) -> None:
    """On PostgreSQL, move the identity sequences past the ids chosen here, and count the
    rows of a large load (ANALYZE costs more than it saves on a few hundred).

    PostgreSQL plans a query from counts it keeps of each table, and its background
    counting (autovacuum) runs a minute or so after a load. Without ANALYZE, a statement
    read just after the load scans every token and return (100 ms against 0.2 ms a query),
    which staff, whose records grow a row at a time, never meet.
    """
    if tx.engine != "postgresql":
        return
    for table in COLUMNS:
        tx.scalar(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
    if tokens > ANALYZE_FROM:
        tx.execute("ANALYZE " + ", ".join(COLUMNS))


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
    start: dict[str, int] | None = None,
    generation: int = 1,
    unpaid: float = 0.0,
) -> None:
    """A return for `token`, maybe marked, maybe credited and reversed (ids after `start`);
    `unpaid` of them accepted when no hours were left."""
    first = start or {}
    back = issued + timedelta(days=rng.randint(0, max(0, (today - issued).days)))
    rid = first.get("returns", 0) + len(tables["returns"]) + 1
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
    if roll < 0.11 + unpaid:
        tables["marks"].append((rid, rid, "accept", 90, 0, "", "", "", "Marker", _at(back)))
        return
    minutes = rng.randint(60, 120)
    tables["marks"].append((rid, rid, "accept", minutes, minutes, "", "", "", "Marker", _at(back)))
    credit = first.get("credits", 0) + len(tables["credits"]) + 1
    tables["credits"].append(
        (credit, order, module, rid, minutes, generation, None, "Ana Lopez", "accepted", _at(back))
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
                generation,
                credit,
                "Ana Lopez",
                "wrong order",
                _at(later),
            )
        )


GONE = "ZZ9"  # a module the course no longer has


def reissue(t: Tracker, share: float, rng_seed: int = 11) -> None:
    """Give `share` of the seeded orders a second workbook, holding some modules again and
    some new ones (now and then one the course no longer has), in every state; live or
    revoked. Run after `seed`: the ids follow the largest already there."""
    rng = random.Random(rng_seed)
    today = t.today()
    ids = [m.id for m in t.course.modules]
    with t.db.read() as tx:
        orders = [(o, c, w) for o, c, w in tx.tuples(REISSUE_FROM)]
        start = {
            table: int(tx.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) for table in COLUMNS
        }
    tables: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS}
    for order_id, client_id, issued_on in orders:
        if rng.random() >= share:
            continue
        workbook = start["workbooks"] + len(tables["workbooks"]) + 1
        issued = date.fromisoformat(issued_on) + timedelta(days=rng.randint(0, 20))
        issued = min(issued, today)
        revoked = rng.random() < 0.2
        tables["workbooks"].append(
            (
                workbook,
                f"R{workbook:06d}",
                client_id,
                order_id,
                "standard",
                "seed",
                issued.isoformat(),
                (issued + timedelta(days=28)).isoformat(),
                "seed",
                _at(today) if revoked else None,
                "lost in the post" if revoked else None,
            )
        )
        held = rng.sample(ids, rng.randint(1, 4)) + ([GONE] if rng.random() < 0.2 else [])
        for module in held:
            token = start["tokens"] + len(tables["tokens"]) + 1
            tables["tokens"].append(
                (token, workbook, module, 120, "k1", f"serial-{token}", f"R{token:011d}")
            )
            if rng.random() < 0.3:
                continue  # never came back
            _return(rng, tables, order_id, token, module, issued, today, start, 2, unpaid=0.05)
    with t.db.write() as tx:
        for table in ("workbooks", "tokens", "returns", "marks", "credits"):
            bulk_insert(tx, table, COLUMNS[table], tables[table])
        _after_bulk_load(tx, len(tables["tokens"]))


REISSUE_FROM = "SELECT order_id, client_id, issued_on FROM workbooks ORDER BY id"
