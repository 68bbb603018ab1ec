"""Migration 12: the returns table made again on SQLite, its arrival rule spelt cheaply.

Records made at schema 11 must come through whole: every return with its id, the marks
and credits that point at returns still pointing at them, its index and triggers, the
id counter (a removed return's id is never given again), a chain that still checks,
and the same rule on arrived_by, on both engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import Clock, act_as_admin, make_order, shipped_course
from tracker import store
from tracker.arrivals import ARRIVALS, Arrival
from tracker.audit import verify
from tracker.checkins import checkin_groups, checkin_one
from tracker.config import Config, initialise
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.marking import mark
from tracker.migrations_speed import arrivals_rule
from tracker.store import Transaction
from tracker.tracker import Tracker, open_tracker

MIGRATION = 12
# Everything of the returns table SQLite keeps apart from its rows: all but its own CREATE.
SCHEMA = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type <> 'table'"
REFERRING = ("marks", "credits", "intake_pages", "return_answers")


def records_at_11(db_url: str, tmp_path: Path, clock: Clock) -> tuple[Config, list[str]]:
    """Records at schema 11: R1-R2 in a group (R1 accepted and credited), R3 removed.

    Every module's code (R3's code is codes[2]).
    """
    with pytest.MonkeyPatch.context() as patch:
        older = {n: s for n, s in store.MIGRATIONS.items() if n < MIGRATION}
        patch.setattr(store, "MIGRATIONS", older)
        config, _ = initialise(tmp_path / "data", database_url=db_url)
        with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
            act_as_admin(t)
            make_order(t, "C-1")
            ids = [m.id for m in t.course.modules[:5]]
            issued = issue(t, "C-1", "tester", module_ids=ids, out_root=tmp_path / "out")
            codes = [m.code for m in issued.modules]
            one, _ = checkin_groups(t, [codes[:2]], "tester")
            assert one.return_id == 1
            tried = {a.id: True for a in t.course.module(ids[0]).activities}
            mark(t, 1, "accept", "tester", tried, 90)
            assert checkin_one(t, codes[2], "tester").return_id == 3
            with t.db.write() as tx:  # as intake removes a return left empty, audited
                tx.execute("DELETE FROM returns WHERE id = 3")
                t.audit(tx, "tester", "test.remove", "R3")
            return config, codes


def snapshot(tx: Transaction) -> dict[str, Any]:
    """Every row of the returns table and of the tables that point at it."""
    out: dict[str, Any] = {
        table: tx.all(f"SELECT * FROM {table} ORDER BY 1") for table in ("returns", *REFERRING)
    }
    out["chain"] = tx.all("SELECT * FROM audit_log ORDER BY id")
    if tx.engine == "sqlite":
        out["schema"] = sorted(tuple(r.values()) for r in tx.all(SCHEMA, ("returns",)))
        out["columns"] = tx.all("SELECT * FROM pragma_table_info('returns')")
    return out


def test_upgrading_keeps_every_return_reference_trigger_and_the_counter(
    db_url: str, tmp_path: Path, clock: Clock
) -> None:
    config, codes = records_at_11(db_url, tmp_path, clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", {n: s for n, s in store.MIGRATIONS.items() if n < 12})
        with store.Database(db_url) as db, db.read() as tx:
            assert tx.scalar("SELECT MAX(version) FROM schema_migrations") == MIGRATION - 1
            before = snapshot(tx)
    with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        with t.db.read() as tx:
            assert tx.scalar("SELECT MAX(version) FROM schema_migrations") == MIGRATION
            assert snapshot(tx) == before
            if tx.engine == "sqlite":
                assert tx.scalar("PRAGMA foreign_keys") == 1  # on again after the rebuild
                assert not tx.all("PRAGMA foreign_key_check")
                table = tx.scalar("SELECT sql FROM sqlite_master WHERE name = 'returns'")
                assert arrivals_rule() in table and " IN (" not in table
        verdict = verify(t.db)
        assert verdict.ok, verdict.problems
        # The counter: R3 was removed, so the next return is R4, never R3 again.
        assert checkin_one(t, codes[3], "tester").return_id == 4
        assert [r.return_id for r in checkin_groups(t, [codes[4:], codes[2:3]], "tester")] == [
            5,
            6,
        ]
        verdict = verify(t.db)
        assert verdict.ok, verdict.problems
        _guards_hold(t)


def _guards_hold(t: Tracker) -> None:
    """The rules the rebuild must not lose: references, append-only rows, the journal."""
    with pytest.raises(TrackerError), t.db.write() as tx:  # R1 is marked and credited
        tx.execute("DELETE FROM returns WHERE id = 1")
    with pytest.raises(TrackerError), t.db.write() as tx:  # no such return
        tx.execute("UPDATE marks SET return_id = 99 WHERE return_id = 1")
    for statement in ("UPDATE credits SET minutes = 1", "DELETE FROM marks"):
        with pytest.raises(TrackerError, match="append-only"), t.db.write() as tx:
            tx.execute(statement)
    with t.db.write() as tx:  # a return changed outside cpo is journalled, so named
        tx.execute("UPDATE returns SET recorded_by = 'eve' WHERE id = 4")
    problems = verify(t.db).problems
    assert any("returns row 4" in p and "changed outside cpo" in p for p in problems), problems


def test_a_rebuild_that_finds_a_broken_reference_is_refused_whole(
    tmp_path: Path, clock: Clock
) -> None:
    """A row pointing at no return (written with keys off) stops migration 12: nothing changes."""
    db_url = str(tmp_path / "tracker.db")
    config, _ = records_at_11(db_url, tmp_path, clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", {n: s for n, s in store.MIGRATIONS.items() if n < 12})
        with store.Database(db_url) as db:
            db._conn.execute("PRAGMA foreign_keys = OFF")
            db._conn.execute(
                "INSERT INTO return_answers (return_id, page_id, answers) VALUES (99, 99, '')"
            )
            with db.read() as tx:
                before = snapshot(tx)
    with pytest.raises(TrackerError, match="migration 12 was not applied: return_answers row"):
        open_tracker(config, course_loader=shipped_course, clock=clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", {n: s for n, s in store.MIGRATIONS.items() if n < 12})
        with store.Database(db_url) as db, db.read() as tx:
            assert snapshot(tx) == before
            assert tx.scalar("SELECT MAX(version) FROM schema_migrations") == MIGRATION - 1
            assert tx.scalar("PRAGMA foreign_keys") == 1


# No NUL: PostgreSQL's text cannot hold one at all (refused before any rule is read), and
# the library refuses it in every word it is given ("holds a NUL byte", test_trust_rules).
NOT_ARRIVALS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12).filter(
    lambda word: word not in ARRIVALS
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(word=st.one_of(NOT_ARRIVALS, st.sampled_from([a.upper() for a in ARRIVALS])))
def test_the_records_take_each_arrival_and_refuse_any_other_word(
    tracker: Tracker, tmp_path: Path, word: str
) -> None:
    """The rule on arrived_by allows exactly the Arrival words, on both engines."""
    with tracker.db.read() as tx:
        issued = tx.scalar("SELECT COUNT(*) FROM tokens")
    if not issued:  # the first example issues the one module every example returns
        make_order(tracker, "C-1")
        issue(tracker, "C-1", "tester", module_ids=["WB1"], out_root=tmp_path)
    for arrival in Arrival:
        _insert(tracker, arrival.value, keep=False)
    with pytest.raises(TrackerError, match="refused"):
        _insert(tracker, word, keep=True)


class _Undo(Exception):
    """Raised to roll a test's write back."""


def _insert(t: Tracker, arrived_by: str, keep: bool) -> None:
    """Insert a return of the first token with `arrived_by`; rolled back unless `keep`."""
    try:
        with t.db.write() as tx:
            tx.execute(
                "INSERT INTO returns (token_id, attempt, arrived_by, received_at, recorded_by) "
                "SELECT MIN(id), 1, ?, 'x', 'tester' FROM tokens",
                (arrived_by,),
            )
            if not keep:
                raise _Undo
    except _Undo:
        pass
