"""Many rows in few statements: one INSERT with many VALUES rows, for a group's writes."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from tracker.store import Transaction

PARAMETERS = 999  # SQLite's oldest limit on a statement's parameters


def insert_rows(tx: Transaction, head: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run `head` (INSERT INTO t (columns) VALUES) for `rows`, as many a statement as fit.

    One statement a hundred rows, not one a row: each row's bindings and statement reset
    cost more than the row's own write (about 1 us of ~4 a row, an audit entry).
    """
    if not rows:
        return
    width = len(rows[0])
    per = max(1, PARAMETERS // width)
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        values = ", ".join([one] * len(part))
        tx.execute(f"{head} {values}", (*chain.from_iterable(part),))


def insert_shared(
    tx: Transaction,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    shared: dict[str, Any],
) -> None:
    """INSERT `rows` (values of `columns`) into `table`, each with the same `shared` values.

    The shared values are bound once a statement, not once a row: a group of check-ins
    gives its 1,000 returns the same time, account and arrival.
    """
    insert_flat(tx, table, columns, list(chain.from_iterable(rows)), shared)


def insert_flat(
    tx: Transaction,
    table: str,
    columns: Sequence[str],
    values: Sequence[Any],
    shared: dict[str, Any],
) -> None:
    """As `insert_shared`, each row's values of `columns` one after another in `values`.

    A caller adding a row at a time keeps one list, not a tuple a row. Both engines
    name a VALUES list's columns column1, column2, ...
    """
    if not values:
        return
    width = len(columns)
    per = max(1, (PARAMETERS - len(shared)) // width)
    names = ", ".join([*columns, *shared])
    picked = ", ".join([f"column{n}" for n in range(1, width + 1)] + ["?"] * len(shared))
    head = f"INSERT INTO {table} ({names}) SELECT {picked} FROM (VALUES "
    one = "(" + ", ".join("?" * width) + ")"
    constants = list(shared.values())
    for start in range(0, len(values), per * width):
        part = values[start : start + per * width]
        rows = ", ".join([one] * (len(part) // width))
        tx.execute(f"{head}{rows}) AS v", (*constants, *part))
