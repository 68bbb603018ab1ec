"""Records made before migrations 10 and 11 keep their whole audit chain and its guards.

Migration 10 rebuilds the audit log on SQLite (without the index on each entry's hash)
and the journal table; on PostgreSQL it drops the hash's constraint. Every entry must
come through unchanged, the chain must still check, and the log must stay append-only.
Migration 11 lets a group of check-ins copy its own returns into the chain: every return
must still be in it, and `verify` must name one written behind cpo's back.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tracker.conftest import Clock, act_as_admin, make_order, shipped_course
from tracker import store
from tracker.audit import verify
from tracker.bulk_sql import insert_rows, insert_shared
from tracker.checkins import GROUP, RECORD, checkin_groups
from tracker.config import Config, initialise
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.migrations_speed import PAUSED
from tracker.store import Row, Transaction
from tracker.tracker import Tracker, open_tracker

CHECKINS = (GROUP, RECORD)  # a group's entry, and a code's alone
CHAIN = "SELECT id, at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY id"


def records_before(
    migration: int, modules: int, db_url: str, tmp_path: Path, clock: Clock
) -> tuple[Config, list[str], list[Row]]:
    """Records made before `migration`: a client's `modules` issued, two checked in as a group.

    The config, every module's code, and the audit chain as it was.
    """
    with pytest.MonkeyPatch.context() as patch:
        older = {n: s for n, s in store.MIGRATIONS.items() if n < migration}
        patch.setattr(store, "MIGRATIONS", older)
        config, _ = initialise(tmp_path / "data", database_url=db_url)
        with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
            act_as_admin(t)
            make_order(t, "C-1")
            ids, out = [m.id for m in t.course.modules[:modules]], tmp_path / "out"
            issued = issue(t, "C-1", "tester", module_ids=ids, out_root=out)
            codes = [m.code for m in issued.modules]
            assert all(r.recorded for r in checkin_groups(t, [codes[:2]], "tester"))
            with t.db.read() as tx:
                return config, codes, tx.all(CHAIN)


def test_migration_10_keeps_the_chain_whole_and_append_only(
    db_url: str, tmp_path: Path, clock: Clock
) -> None:
    config, codes, before = records_before(10, 4, db_url, tmp_path, clock)
    with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        with t.db.read() as tx:
            assert tx.all(CHAIN) == before
        assert verify(t.db).ok
        again = list(checkin_groups(t, [codes], "tester"))
        assert [r.status for r in again] == ["duplicate", "duplicate", "recorded", "recorded"]
        verdict = verify(t.db)
        assert verdict.ok, verdict.problems
        with pytest.raises(TrackerError, match="append-only"), t.db.write() as tx:
            tx.execute("UPDATE audit_log SET actor = 'eve' WHERE id = 1")
        with pytest.raises(TrackerError, match="append-only"), t.db.write() as tx:
            tx.execute("DELETE FROM audit_log WHERE id = 1")


def test_migration_11_keeps_every_return_in_the_chain(
    db_url: str, tmp_path: Path, clock: Clock
) -> None:
    """Returns written before and after it, grouped or alone, are each copied into the chain."""
    config, codes, before = records_before(11, 5, db_url, tmp_path, clock)
    with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        with t.db.read() as tx:
            assert tx.all(CHAIN) == before
        done = list(checkin_groups(t, [codes[2:4], [codes[4]]], "tester"))  # a group, one alone
        assert [r.status for r in done] == ["recorded"] * 3
        verdict = verify(t.db)
        assert verdict.ok, verdict.problems
        with t.db.read() as tx:
            assert not tx.all(f"SELECT * FROM {PAUSED}")
            copied = {
                key
                for row in tx.all("SELECT details FROM audit_log WHERE action IN (?, ?)", CHECKINS)
                for key in json.loads(row["details"])["rows"]["returns"]
            }
            assert copied == {str(r["id"]) for r in tx.all("SELECT id FROM returns")}
        with pytest.raises(TrackerError), t.db.write() as tx:  # only returns can be paused
            tx.execute(f"INSERT INTO {PAUSED} (tbl) VALUES ('credits')")


def test_verify_names_a_return_written_while_its_journal_was_paused(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Writing a return behind cpo's back with its journal paused does not hide it."""
    make_order(tracker, "C-1")
    modules = [m.id for m in tracker.course.modules[:1]]
    issue(tracker, "C-1", "tester", module_ids=modules, out_root=tmp_path)
    with tracker.db.write() as tx:
        token = tx.scalar("SELECT MIN(id) FROM tokens")
        tx.execute(f"INSERT INTO {PAUSED} (tbl) VALUES ('returns')")
        tx.execute(
            "INSERT INTO returns (token_id, attempt, arrived_by, received_at, recorded_by) "
            "VALUES (?, 1, 'typed', '2026-01-01T00:00:00+00:00', 'eve')",
            (token,),
        )
    problems = verify(tracker.db).problems
    assert any("returns row" in p and "added outside cpo" in p for p in problems), problems
    assert any("left paused" in p for p in problems), problems


values = st.one_of(st.integers(-(2**62), 2**62), st.text(max_size=8), st.none())


@given(st.integers(1, 9), st.integers(0, 400), st.lists(values, min_size=1, max_size=30))
def test_rows_inserted_in_chunks_are_every_row_in_order(
    width: int, count: int, pool: list[object]
) -> None:
    """insert_rows splits across statements at SQLite's parameter limit and keeps every row."""
    cells = iter(pool * (width * count // len(pool) + 1))  # the drawn values, over and over
    rows = [tuple(next(cells) for _ in range(width)) for _ in range(count)]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    columns = ", ".join(f"c{n}" for n in range(width))
    conn.execute(f"CREATE TABLE t (n INTEGER PRIMARY KEY, {columns})")
    insert_rows(Transaction(conn, "sqlite"), f"INSERT INTO t ({columns}) VALUES", rows)
    assert conn.execute(f"SELECT {columns} FROM t ORDER BY n").fetchall() == rows


@given(
    st.integers(1, 5),
    st.integers(0, 700),
    st.lists(values, min_size=1, max_size=30),
    st.lists(values, min_size=0, max_size=4),
)
def test_rows_with_shared_values_are_every_row_in_order(
    width: int, count: int, pool: list[object], shared: list[object]
) -> None:
    """insert_shared gives every row the shared values, across statements, in order."""
    cells = iter(pool * (width * count // len(pool) + 1))
    rows = [tuple(next(cells) for _ in range(width)) for _ in range(count)]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    own = [f"c{n}" for n in range(width)]
    common = {f"s{n}": value for n, value in enumerate(shared)}
    columns = ", ".join([*own, *common])
    conn.execute(f"CREATE TABLE t (n INTEGER PRIMARY KEY, {columns})")
    insert_shared(Transaction(conn, "sqlite"), "t", own, rows, common)
    wanted = [(*row, *shared) for row in rows]
    assert conn.execute(f"SELECT {columns} FROM t ORDER BY n").fetchall() == wanted
