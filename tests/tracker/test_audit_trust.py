"""A ledger whose every change is evident, on SQLite and PostgreSQL (issue 12).

Each test makes one direct edit an attacker with the database could make (dropping the
append-only triggers first, as they could), and `verify` must fail naming it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.tracker.conftest import make_order, shipped_course
from tracker import audit
from tracker.audit import Fingerprint, verify
from tracker.audit_since import verify_since
from tracker.checkins import GROUP, checkin, checkin_groups
from tracker.config import load
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.marking import mark
from tracker.reports import CSV_COLUMNS, as_csv, weekly_report
from tracker.store import Transaction
from tracker.tracker import Tracker, open_tracker


def all_tried(t: Tracker, module_id: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module_id).activities}


def credited_case(t: Tracker, tmp_path: Path) -> None:
    """C-1 with WB1 accepted (90 min credited) and WB2 returned, waiting to be marked."""
    make_order(t)
    issued = issue(t, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=tmp_path / "issues")
    first, _ = checkin(t, [m.code for m in issued.modules], "fay")
    assert first.return_id
    mark(t, first.return_id, "accept", "fay", all_tried(t, "WB1"), 90)


def drop_guards(tx: Transaction) -> None:
    """What an attacker with the file does first: drop every trigger cpo made."""
    if tx.engine == "sqlite":
        for row in tx.all("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            tx.execute(f"DROP TRIGGER {row['name']}")
        return
    for row in tx.all(
        "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
    ):
        tx.execute(f"DROP TRIGGER {row['tgname']} ON {row['relname']}")


def tamper(t: Tracker, *statements: str) -> None:
    with t.db.write() as tx:
        drop_guards(tx)
        for sql in statements:
            tx.execute(sql)


def problems(t: Tracker, since: Fingerprint | None = None) -> str:
    verdict = verify(t.db, t.audit_key, since)
    assert not verdict.ok
    return "\n".join(verdict.problems)


FORGED_CREDIT = (
    "INSERT INTO credits (order_id, module_id, return_id, minutes, generation, approver,"
    " reason, created_at) VALUES (1, 'WB2', 2, 120, 1, 'fay', 'WB2 accepted', "
    "'2026-11-23T10:00:00+00:00')"
)
EDITS: dict[str, tuple[list[str], list[str]]] = {
    "update minutes": (
        ["UPDATE credits SET minutes = 9000"],
        [
            "credits row 1 was changed outside cpo: minutes is 9000 but the chain says 90",
            "order C-1/1: the credits table adds up to 9000 min, the audit chain to 90",
        ],
    ),
    "delete a credit": (
        ["DELETE FROM credits"],
        ["credits row 1 was deleted outside cpo", "order C-1/1: the credits table adds up to 0"],
    ),
    "insert a forged credit": (
        [FORGED_CREDIT],
        ["credits row 2 is not in the audit chain", "adds up to 210 min, the audit chain to 90"],
    ),
    "edit a mark": (
        ["UPDATE marks SET declared_minutes = 120, credited_minutes = 120"],
        ["marks row 1 was changed outside cpo: declared_minutes is 120 but the chain says 90"],
    ),
    "forge a mark": (
        [
            "INSERT INTO marks (return_id, decision, declared_minutes, credited_minutes,"
            " marker, marked_at) VALUES (2, 'accept', 60, 60, 'eve', 'x')"
        ],
        ["marks row 2 is not in the audit chain"],
    ),
    "change an order's hours": (
        ["UPDATE orders SET ordered_minutes = 18000"],
        ["orders row 1 was changed outside cpo: ordered_minutes is 18000 but the chain says 6000"],
    ),
    "add an adjustment": (
        [
            "INSERT INTO order_adjustments (order_id, minutes_change, effective_on, reason,"
            " made_by, created_at) VALUES (1, 600, '2026-11-23', 'x', 'eve', 'x')"
        ],
        ["order_adjustments row 1 is not in the audit chain"],
    ),
    "edit a token's guided time": (
        ["UPDATE tokens SET guided_minutes = 600"],
        ["tokens row 1 was changed outside cpo: guided_minutes is 600 but the chain says 120"],
    ),
    "revoke a workbook by hand": (
        ["UPDATE workbooks SET revoked_at = 'x', revoked_reason = 'y'"],
        ["workbooks row 1 was changed outside cpo: revoked_at is 'x' but the chain says empty"],
    ),
    "delete a return": (
        ["DELETE FROM mark_activities", "DELETE FROM credits", "DELETE FROM marks"],
        ["marks row 1 was deleted", "mark_activities row 1/WB1-1 was deleted"],
    ),
    "raise the office's cap": (
        ["UPDATE offices SET cap_percent = 100"],
        ["offices row 1 was changed outside cpo: cap_percent is 100 but the chain says empty"],
    ),
    "give extra time": (
        ["UPDATE clients SET extra_time = 1"],
        ["clients row 1 was changed outside cpo: extra_time is 1 but the chain says 0"],
    ),
    "edit an audit entry": (
        # entry 1 anchors the chain, 2 makes the admin account, 3 adds the office
        ["UPDATE audit_log SET actor = 'eve' WHERE id = 4"],
        ["entry 4 (client.add, 2026-11-23T10:00:00+00:00) was changed after it was written"],
    ),
    "delete an audit entry": (
        ["DELETE FROM audit_log WHERE id = 4"],
        ["entry 5 does not follow the one before it"],
    ),
    "cut the tail, head unmoved": (
        ["DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"],
        ["the log was cut short", "marks row 1 is not in the audit chain"],
    ),
    "cut the tail and move the head": (
        [
            "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
            "UPDATE audit_head SET last_id = (SELECT MAX(id) FROM audit_log), "
            "last_hash = (SELECT hash FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log))",
        ],
        ["credits row 1 is not in the audit chain", "marks row 1 is not in the audit chain"],
    ),
    "drop the append-only rules only": ([], ["the append-only rule on credits was removed"]),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_direct_edit_is_found_and_named(tracker: Tracker, tmp_path: Path, edit: str) -> None:
    credited_case(tracker, tmp_path)
    assert verify(tracker.db, tracker.audit_key).ok
    statements, expected = EDITS[edit]
    tamper(tracker, *statements)
    found = problems(tracker)
    for text in expected:
        assert text in found


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE credits SET minutes = 9000",
        "DELETE FROM credits",
        "UPDATE marks SET declared_minutes = 1",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'eve'",
        "DELETE FROM mark_activities",
    ],
)
def test_the_schema_refuses_edits_to_the_ledger_and_the_log(
    tracker: Tracker, tmp_path: Path, sql: str
) -> None:
    credited_case(tracker, tmp_path)
    with pytest.raises(TrackerError, match="append-only"), tracker.db.write() as tx:
        tx.execute(sql)
    assert verify(tracker.db, tracker.audit_key).ok


def rehash(t: Tracker, key: bytes | None, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the whole chain after `change`, with a guessed key (or plain SHA-256)."""
    with t.db.write() as tx:
        rows = tx.all("SELECT * FROM audit_log ORDER BY id")
        drop_guards(tx)
        tx.execute("DELETE FROM audit_log")
        prev = audit.GENESIS
        for row in rows:
            change(row)
            body = audit._body(prev, row)
            digest = audit._mac(key, body) if key else hashlib.sha256(body).hexdigest()
            tx.execute(
                "INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    row["at"],
                    row["actor"],
                    row["action"],
                    row["subject"],
                    row["details"],
                    prev,
                    digest,
                ),
            )
            prev = digest
        tx.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", (rows[-1]["id"], prev))


def printed_on_a_report(t: Tracker) -> Fingerprint:
    """The fingerprint as the weekly report's CSV prints it, read back."""
    report = weekly_report(t)
    text = as_csv(report.lines, CSV_COLUMNS, report.audit)
    return Fingerprint.parse(next(csv.DictReader(io.StringIO(text)))["audit_fingerprint"])


def more_minutes(row: dict[str, Any]) -> None:
    details = json.loads(row["details"])
    for image in details.get("rows", {}).get("credits", {}).values():
        image[3] = 9000
    row["details"] = json.dumps(details, sort_keys=True, separators=(",", ":"))


def grouped_case(t: Tracker, tmp_path: Path) -> Fingerprint:
    """C-1's WB1 and WB2 checked in as one group with a stray line: one entry holds all three.

    The fingerprint of the chain just before the group's entry.
    """
    make_order(t)
    issued = issue(t, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=tmp_path / "issues")
    lines = [m.code for m in issued.modules] + ["0000-0000-0000"]
    with t.db.read() as tx:
        before = audit.fingerprint(tx)
    assert [r.status for r in checkin_groups(t, [lines], "fay")] == ["recorded"] * 2 + ["refused"]
    return before


GROUP_EDITS: dict[str, tuple[list[str], str]] = {
    "delete a grouped return": (["DELETE FROM returns WHERE id = 2"], "returns row 2 was deleted"),
    "change who took it in": (
        ["UPDATE returns SET recorded_by = 'eve' WHERE id = 1"],
        "returns row 1 was changed outside cpo: recorded_by is 'eve' but the chain says 'tester'",
    ),
    "add a return": (
        [
            "INSERT INTO returns (token_id, attempt, arrived_by, received_at, recorded_by) "
            "SELECT token_id, 2, arrived_by, received_at, recorded_by FROM returns WHERE id = 1"
        ],
        "returns row 3 is not in the audit chain: added outside cpo",
    ),
    "hide a refusal": (
        ["UPDATE audit_log SET details = replace(details, 'not a code', 'a code') WHERE id = {n}"],
        "entry {n} (return.group, 2026-11-23T10:00:00+00:00) was changed after it was written",
    ),
    "remove the group's entry": (
        ["DELETE FROM audit_log WHERE id = {n}"],
        "entry {after} does not follow the one before it",
    ),
}


@pytest.mark.parametrize("edit", list(GROUP_EDITS))
def test_a_group_entrys_returns_and_refusals_are_checked_as_one_codes(
    tracker: Tracker, tmp_path: Path, edit: str
) -> None:
    """A return or refusal in a group's one entry, changed or removed, is found by both checks."""
    since = grouped_case(tracker, tmp_path)
    where = {"n": since.entry + 1, "after": since.entry + 2}
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT action FROM audit_log WHERE id = ?", (where["n"],)) == GROUP
    make_order(tracker, "C-2")  # an entry after the group's
    assert verify(tracker.db, tracker.audit_key).ok
    statements, expected = GROUP_EDITS[edit]
    tamper(tracker, *(sql.format(**where) for sql in statements))
    expected = expected.format(**where)
    assert expected in problems(tracker)
    found = verify_since(tracker.db, since, tracker.audit_key).problems
    assert expected in "\n".join(found)


@pytest.mark.parametrize("guess", [None, b"k" * 32])
def test_a_chain_re_hashed_without_the_key_is_found(
    tracker: Tracker, tmp_path: Path, guess: bytes | None
) -> None:
    credited_case(tracker, tmp_path)
    printed = printed_on_a_report(tracker)
    tamper(tracker, "UPDATE credits SET minutes = 9000")
    rehash(tracker, guess, more_minutes)
    assert "re-hashed without the audit key" in problems(tracker)
    assert "not the one fingerprinted" in problems(tracker, printed)


def test_a_cut_and_re_anchored_chain_fails_against_a_printed_fingerprint(
    tracker: Tracker, tmp_path: Path
) -> None:
    """The attacker wipes the chain and the key; cpo anchors anew, so only the print shows."""
    credited_case(tracker, tmp_path)
    printed = printed_on_a_report(tracker)
    tamper(
        tracker,
        "UPDATE credits SET minutes = 9000",
        "DELETE FROM audit_log",
        "UPDATE audit_head SET last_id = 0, last_hash = 'genesis', keyed = 0",
        # the records know the audit key's fingerprint (issue 14): the attacker wipes it too
        "DELETE FROM tracker_keys WHERE key_id = 'audit'",
    )
    (tracker.config.data_dir / "keys" / audit.KEY_FILE).unlink()
    with open_tracker(load(tracker.config.data_dir), course_loader=shipped_course) as again:
        fresh = verify(again.db, again.audit_key)  # a fresh anchor agrees with the tables
        assert all("append-only rule" in p for p in fresh.problems), fresh.problems
        found = problems(again, printed)
    assert f"fingerprint {printed} is gone: the chain was cut behind it" in found


def test_a_chain_cut_below_a_printed_fingerprint_is_found(tracker: Tracker, tmp_path: Path) -> None:
    credited_case(tracker, tmp_path)
    printed = printed_on_a_report(tracker)
    tamper(
        tracker,
        f"DELETE FROM audit_log WHERE id >= {printed.entry}",
        f"UPDATE audit_head SET last_id = {printed.entry - 1}, "
        f"last_hash = (SELECT hash FROM audit_log WHERE id = {printed.entry - 1})",
    )
    assert f"entry {printed.entry} of fingerprint {printed} is gone" in problems(tracker, printed)


def test_a_whole_chain_extends_a_printed_fingerprint(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker)
    with tracker.db.read() as tx:
        printed = audit.fingerprint(tx)
    credited_case_more(tracker, tmp_path)
    verdict = verify(tracker.db, tracker.audit_key, printed)
    assert verdict.ok, verdict.problems
    assert verdict.credited == {"C-1/1": 90}
    assert verdict.head and verdict.head.entry > printed.entry
    assert Fingerprint.parse(str(printed)) == printed


def credited_case_more(t: Tracker, tmp_path: Path) -> None:
    issued = issue(t, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path / "issues")
    (back,) = checkin(t, [issued.modules[0].code], "fay")
    assert back.return_id
    mark(t, back.return_id, "accept", "fay", all_tried(t, "WB1"), 90)


def test_the_audit_key_lives_with_the_signing_keys_not_in_the_records(tracker: Tracker) -> None:
    path = tracker.config.data_dir / "keys" / audit.KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    secret = path.read_text().strip()
    with tracker.db.read() as tx:
        dump = json.dumps(tx.all("SELECT * FROM audit_log")) + json.dumps(
            tx.all("SELECT * FROM audit_head")
        )
    assert secret not in dump


def test_a_lost_audit_key_is_said_plainly(tracker: Tracker) -> None:
    (tracker.config.data_dir / "keys" / audit.KEY_FILE).unlink()
    with pytest.raises(TrackerError, match=r"audit key .* is missing"):
        open_tracker(load(tracker.config.data_dir), course_loader=shipped_course)


def legacy_records(db_url: str) -> None:
    """Records as schema 2 left them: a plain SHA-256 chain and one office, no key."""
    from tracker import store

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", {n: s for n, s in store.MIGRATIONS.items() if n < 3})
        with store.Database(db_url) as db, db.write() as tx:
            tx.execute("INSERT INTO offices (code, name) VALUES ('north', 'North')")
            prev = audit.GENESIS
            for number in (1, 2):
                row = {
                    "id": number,
                    "at": "2026-01-0{number}T09:00:00+00:00",
                    "actor": "old",
                    "action": "office.add",
                    "subject": "north",
                    "details": "{}",
                }
                digest = hashlib.sha256(audit._body(prev, row)).hexdigest()
                tx.execute(
                    "INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash,"
                    " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (number, row["at"], "old", row["action"], "north", "{}", prev, digest),
                )
                prev = digest
            tx.execute("UPDATE audit_head SET last_id = 2, last_hash = ?", (prev,))


def test_an_old_unkeyed_chain_is_carried_over_by_a_keyed_anchor(
    db_url: str, tmp_path: Path
) -> None:
    """The anchor covers the old head and every row; the old entries still check."""
    from tracker.config import initialise

    legacy_records(db_url)
    config, _ = initialise(tmp_path / "data", database_url=db_url)
    with open_tracker(config, course_loader=shipped_course) as t:
        verdict = verify(t.db, t.audit_key)
        assert verdict.ok, verdict.problems
        assert verdict.anchored.startswith("entry 3,") and verdict.entries == 3
        with t.db.read() as tx:
            anchor = json.loads(tx.scalar("SELECT details FROM audit_log WHERE id = 3"))
        assert anchor["covers_id"] == 2 and anchor["rows"]["offices"]["1"][0] == "north"
        tamper(t, "UPDATE audit_log SET actor = 'eve' WHERE id = 1")
        assert "entry 1 (office.add" in problems(t)
