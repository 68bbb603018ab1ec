"""Checking only the new part of the audit chain finds what the full check finds there.

Records are made once a test: work, a fingerprint, more work. Each Hypothesis example
damages a copy of them in the new part (an entry after the fingerprint, or a row it
copies or adds), as an attacker with the database could, and both checks run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tests.tracker.conftest import make_order
from tests.tracker.pgserver import PostgresServer
from tests.tracker.test_audit_trust import all_tried, drop_guards
from tracker.audit import Fingerprint, fingerprint, verify
from tracker.audit_since import verify_since
from tracker.checkins import checkin, checkin_groups
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.marking import mark
from tracker.migrations import COVERED
from tracker.orders import adjust_order
from tracker.people import update_client
from tracker.store import Database
from tracker.tracker import Tracker

KINDS = ("edit an entry", "remove an entry", "cut the newest", "change a row", "delete a row",
         "add a row")  # fmt: skip


def work(t: Tracker, out: Path) -> Fingerprint:
    """C-1 credited for WB1, then a fingerprint, then work on old and new rows; the print.

    After the print, C-2's two modules and a stray line are checked in as one group: its
    one entry holds both returns and the refusal.
    """
    make_order(t)
    first = issue(t, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=out)
    one, two = checkin(t, [m.code for m in first.modules], "fay")
    assert one.return_id and two.return_id
    mark(t, one.return_id, "accept", "fay", all_tried(t, "WB1"), 90)
    with t.db.read() as tx:
        printed = fingerprint(tx)
    make_order(t, "C-2", office="south")
    second = issue(t, "C-2", "ana", module_ids=["WB3", "WB1"], out_root=out)
    codes = {m.module_id: m.code for m in second.modules}
    lines = [codes["WB3"], codes["WB1"], "0000-0000-0000"]
    three, four, stray = checkin_groups(t, [lines], "fay")
    assert three.return_id and four.return_id and not stray.recorded
    mark(t, three.return_id, "accept", "fay", all_tried(t, "WB3"), 60)
    mark(t, two.return_id, "accept", "fay", all_tried(t, "WB2"), 30)  # on an old return
    update_client(t, "C-1", "ana", extra_time=True)  # an old row changed
    adjust_order(t, "C-1", "lee", "Varied", t.today(), minutes_change=600)
    return printed


@pytest.fixture
def copies(
    tracker: Tracker, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Fingerprint, bytes, Callable[[], Database]]]:
    """The fingerprint, the audit key, and a maker of fresh copies of the records."""
    printed = work(tracker, tmp_path / "issues")
    key = tracker.audit_key
    made: list[Database] = []
    if tracker.db.engine == "sqlite":

        def copy() -> Database:
            path = tmp_path / f"copy{len(made)}.db"
            tracker.db.copy_to(path)
            made.append(Database(str(path)))
            return made[-1]
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = request.getfixturevalue("db_url")
        tracker.close()  # a copy needs its source free of sessions
        urls: list[str] = []

        def copy() -> Database:
            urls.append(server.copy_database(url))
            made.append(Database(urls[-1]))
            return made[-1]

    yield printed, key, copy
    for db in made:
        db.close()
    if tracker.db.engine != "sqlite":
        for copied in urls:
            server.drop_database(copied)


def new_part(db: Database, since: Fingerprint) -> tuple[list[int], list[tuple[str, str]]]:
    """The entries after `since`, and the covered rows they copy (table, key)."""
    with db.read() as tx:
        entries = tx.all(
            "SELECT id, details FROM audit_log WHERE id > ? ORDER BY id", (since.entry,)
        )
    rows = sorted(
        {
            (table, name)
            for e in entries
            for table, images in json.loads(e["details"]).get("rows", {}).items()
            for name in images
        }
    )
    return [int(e["id"]) for e in entries], rows


def damage(db: Database, since: Fingerprint, kind: str, pick: int, column: int) -> None:
    """Make one change of `kind` in the new part, as an attacker with the database could."""
    entries, rows = new_part(db, since)
    entry = entries[pick % len(entries)]
    table, name = rows[pick % len(rows)]
    where = "mark_id = ? AND activity_id = ?" if table == "mark_activities" else "id = ?"
    key: tuple[Any, ...] = tuple(name.split("/")) if table == "mark_activities" else (name,)
    with db.write() as tx:
        drop_guards(tx)
        if kind == "edit an entry":
            tx.execute("UPDATE audit_log SET actor = 'eve' WHERE id = ?", (entry,))
        elif kind == "remove an entry":
            tx.execute("DELETE FROM audit_log WHERE id = ?", (entry,))
        elif kind == "cut the newest":
            tx.execute("DELETE FROM audit_log WHERE id >= ?", (entry,))
        elif kind == "change a row":
            name_of = COVERED[table][column % len(COVERED[table])]
            now = tx.one(f"SELECT {name_of} FROM {table} WHERE {where}", key)
            assert now is not None, (table, name)
            value = now[name_of]
            changed = value + 7 if isinstance(value, int) else f"{value or ''}x"
            tx.execute(f"UPDATE {table} SET {name_of} = ? WHERE {where}", (changed, *key))
        elif kind == "delete a row":
            tx.execute(f"DELETE FROM {table} WHERE {where}", key)
        else:  # a forged adjustment or credit, like the ones cpo added after the print
            forged = "order_adjustments" if pick % 2 else "credits"
            row = tx.one(f"SELECT * FROM {forged} ORDER BY id DESC LIMIT 1")
            assert row is not None
            del row["id"]
            names = ", ".join(row)
            tx.execute(
                f"INSERT INTO {forged} ({names}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )


CHECKED = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@CHECKED
@given(kind=st.sampled_from(KINDS), pick=st.integers(0, 10**6), column=st.integers(0, 8))
def test_checking_the_new_part_finds_what_the_full_check_finds_there(
    copies: tuple[Fingerprint, bytes, Callable[[], Database]], kind: str, pick: int, column: int
) -> None:
    since, key, copy = copies
    db = copy()
    try:
        damage(db, since, kind, pick, column)
        full, new = verify(db, key), verify_since(db, since, key)
    except TrackerError:  # the database's own rules refused the change: no damage made
        reject()
    finally:
        db.close()
    assert not full.ok, f"{kind} went unseen by the full check"
    assert not new.ok, f"{kind}: the full check found {full.problems}, the new part nothing"
    # Each thing it names, the full check names; the first of them the same.
    assert set(new.problems) <= set(full.problems), (kind, new.problems, full.problems)
    guards = "the append-only rule"
    assert next(p for p in new.problems if guards not in p) == next(
        p for p in full.problems if guards not in p
    )
    if kind in ("change a row", "delete a row", "add a row"):  # the chain itself is whole
        left = [p for p in full.problems if p not in new.problems]
        assert all(p.startswith("order ") for p in left), left  # credit totals: full check's


def test_the_new_part_of_whole_records_is_whole_from_its_own_fingerprint_only(
    copies: tuple[Fingerprint, bytes, Callable[[], Database]],
) -> None:
    since, key, copy = copies
    db = copy()
    try:
        entries, rows = new_part(db, since)
        verdict = verify_since(db, since, key)
        assert verdict.ok, verdict.problems
        assert verdict.entries == len(entries) + 1  # the fingerprinted entry checked too
        assert verdict.head == verify(db, key).head
        assert ("clients", "1") in rows and ("credits", "2") in rows  # old and new rows
        wrong = Fingerprint(since.entry, "0" * 16)
        assert verify_since(db, wrong, key).problems == (
            f"entry {since.entry} is not the one fingerprinted as {wrong}: "
            "the chain was rewritten behind it",
        )
        with db.write() as tx:
            drop_guards(tx)
            tx.execute("DELETE FROM audit_log WHERE id = ?", (since.entry,))
        assert "the chain was cut behind it" in verify_since(db, since, key).problem
    finally:
        db.close()


def test_staff_check_the_new_part_from_a_printed_fingerprint(
    cpo: Callable[..., Result], db_url: str
) -> None:
    cpo("office", "add", "north", "--name", "North")
    printed = json.loads(cpo("audit", "verify", "--json").output)["head"]
    cpo("office", "add", "south", "--name", "South")
    quick = cpo("audit", "verify", "--since", printed, "--only-new").output
    assert f"whole since {printed}: 2 entries checked" in quick
    now = json.loads(cpo("audit", "verify", "--json").output)["head"]
    assert f"Fingerprint now: {now}" in quick
    refused = cpo("audit", "verify", "--only-new", ok=False).output
    assert "--only-new needs --since" in refused and len(refused.strip().splitlines()) == 1
    db = Database(db_url)
    try:
        with db.write() as tx:
            drop_guards(tx)
            tx.execute("UPDATE offices SET cap_percent = 90 WHERE code = 'south'")
    finally:
        db.close()
    damaged = cpo("audit", "verify", "--since", printed, "--only-new", ok=False).output
    assert "offices row 2 was changed outside cpo: cap_percent is 90" in damaged
