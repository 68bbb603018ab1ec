"""Check-ins stored a group at a time decide and record exactly what one at a time does.

Each Hypothesis example runs one random batch (valid codes and QR payloads, repeats,
forged and foreign codes, revoked workbooks, another office's codes, junk) through the
grouped path and through the one-at-a-time path, each from the same records: each run
happens in a write transaction that is rolled back afterwards, which leaves the tracker
as a fresh copy of itself for the next run (on PostgreSQL the returns' id sequence is
put back too, as a copy would have it). Results and returns must match to the last byte;
a group's one audit entry must hold each code's entry as one at a time writes it (time,
account, action, subject, details) and the same copies of the returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import Clock, make_order, staff_account
from tracker import audit
from tracker.accounts import Role, actor_for
from tracker.checkin_bulk import GroupRecords, each_code, record_group
from tracker.checkins import (
    DUPLICATE,
    GROUP,
    RECORDED,
    REFUSED_CODE,
    CheckinResult,
    LiveRecords,
    checkin_groups,
    record_code,
    stored_groups,
)
from tracker.codes import ALPHABET, check_symbol, show_code
from tracker.issuing import issue, revoke
from tracker.ledger import STATE_ORDER, STATE_ROWS
from tracker.marking import mark
from tracker.store import Database, Transaction
from tracker.tracker import Tracker


@dataclass(frozen=True)
class World:
    """The codes of a tracker whose modules stand in every state a code can meet."""

    texts: tuple[str, ...]  # every code and payload issued, in either form
    north: str  # a code of a north client, never checked in yet
    south: str  # a code of a south client, never checked in yet


def _accept_all(t: Tracker, module_id: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module_id).activities}


@pytest.fixture
def world(tracker: Tracker, tmp_path: Path, clock: Clock) -> World:
    """Two offices; credited, sent back, waiting, refused, revoked and reissued modules.

    One module was sent back and came in again a day later: it waits in its second
    return, which a repeat must name (its id and day), not the first. Batches come a
    day after that.
    """
    out = tmp_path / "issues"
    for ref, office in (("C-1", "north"), ("C-2", "north"), ("C-3", "south")):
        make_order(tracker, ref, office=office)
    modules = [m.id for m in tracker.course.modules[:4]]
    one = issue(tracker, "C-1", "tester", module_ids=modules, out_root=out).modules
    two = issue(tracker, "C-2", "tester", module_ids=modules, out_root=out).modules
    three = issue(tracker, "C-3", "tester", module_ids=modules[:2], out_root=out).modules
    done = list(checkin_groups(tracker, [[m.code for m in one[:3]]], "tester"))
    mark(tracker, done[0].return_id, "accept", "tester", _accept_all(tracker, one[0].module_id), 60)
    mark(tracker, done[1].return_id, "send-back", "tester", {}, feedback="Try activity 2")
    clock.advance(days=1)
    (redone,) = checkin_groups(tracker, [[one[1].code]], "tester")  # waits in its second
    assert redone.recorded
    (refused,) = checkin_groups(tracker, [[two[0].code]], "tester")
    mark(tracker, refused.return_id, "refuse", "tester", {}, reason="Not their work")
    revoke(tracker, issue(tracker, "C-2", "tester", out_root=out).number, "Lost", "tester")
    again = issue(tracker, "C-2", "tester", out_root=out).modules  # the same modules again
    every = [*one, *two, *three, *again]
    with tracker.db.read() as tx:
        revoked = [
            r["code"]
            for r in tx.all(
                "SELECT k.code FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
                "WHERE w.revoked_at IS NOT NULL"
            )
        ]
    texts = [t for m in every for t in (m.code, m.payload)] + [show_code(c) for c in revoked]
    clock.advance(days=1)
    return World(tuple(texts), two[1].code, three[0].code)


def forged_code(code: str, position: int, symbol: str) -> str:
    """`code` with one symbol changed and the check symbol made right again."""
    symbols = code.replace("-", "")
    if symbols[position] == symbol:
        symbol = "0" if symbol != "0" else "1"
    body = symbols[:position] + symbol + symbols[position + 1 : 11]
    return show_code(body + check_symbol(body))


def forged_payload(payload: str, symbol: str) -> str:
    """`payload` with its signature's first symbol changed."""
    head, _, mac = payload.rpartition(".")
    if mac[0] == symbol:
        symbol = "0" if symbol != "0" else "1"
    return f"{head}.{symbol}{mac[1:]}"


def texts(world: World) -> st.SearchStrategy[str]:
    """One line of a batch: ours, ours altered, someone else's, or junk."""
    ours = st.sampled_from(world.texts)
    symbol = st.sampled_from(ALPHABET)
    return st.one_of(
        ours,
        ours,
        st.builds(forged_code, ours.filter(lambda x: "." not in x), st.integers(1, 10), symbol),
        st.builds(forged_payload, ours.filter(lambda x: "." in x), symbol.map(str.lower)),
        ours.map(lambda x: x.lower().replace("-", " ")),
        ours.map(lambda x: x.upper() + ".1.12" if "." in x else "  " + x + "\t"),
        st.sampled_from(["", "   ", "k9.0000000000000000.0000000000000000", "0000-0000-0000"]),
        st.text(max_size=20),
    )


def batches(world: World) -> st.SearchStrategy[list[list[str]]]:
    """A batch of lines split into groups as they might arrive."""
    return st.lists(st.lists(texts(world), min_size=1, max_size=8), max_size=6)


Run = Callable[[Tracker, Transaction, list[str]], list[CheckinResult]]


def one_at_a_time(t: Tracker, tx: Transaction, lines: list[str]) -> list[CheckinResult]:
    return [record_code(t, tx, x, "fay", "scanner") for x in lines]


def grouped(t: Tracker, tx: Transaction, lines: list[str]) -> list[CheckinResult]:
    return record_group(t, tx, lines, "fay", "scanner")


class Undo(Exception):
    """Raised to roll a run back."""


def rolled_back(t: Tracker, run: Run, groups: list[list[str]]) -> dict[str, Any]:
    """What `run` does to each group in turn: results, new returns and audit entries; undone."""
    seen: dict[str, Any] = {}
    try:
        with t.db.write() as tx:
            returns = int(tx.scalar("SELECT COALESCE(MAX(id), 0) FROM returns"))
            entries = int(tx.scalar("SELECT last_id FROM audit_head WHERE id = 1"))
            seen["results"] = [
                r
                for g in groups
                if (lines := [x.strip() for x in g if x.strip()])
                for r in run(t, tx, lines)
            ]
            seen["returns"] = tx.all("SELECT * FROM returns WHERE id > ? ORDER BY id", (returns,))
            logged = tx.all("SELECT * FROM audit_log WHERE id > ? ORDER BY id", (entries,))
            seen["audit"], seen["copies"] = each_entry(logged)
            seen["journal"] = tx.scalar("SELECT COUNT(*) FROM row_changes")
            raise Undo
    except Undo:
        pass
    if t.db.engine == "postgresql":  # a copy of the records would not have used the ids
        with t.db.write() as tx:
            tx.scalar(
                "SELECT setval(pg_get_serial_sequence('returns', 'id'), COALESCE(MAX(id), 1),"
                " MAX(id) IS NOT NULL) FROM returns"
            )
    return seen


def each_entry(logged: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Each code's entry (a group's opened up), and the copies of rows they hold."""
    codes: list[tuple[Any, ...]] = []
    copies: dict[str, Any] = {}
    for entry in logged:
        details = json.loads(entry["details"])
        for table, rows in details.pop("rows", {}).items():
            copies.setdefault(table, {}).update(rows)
        head = (entry["at"], entry["actor"])
        if entry["action"] == GROUP:
            codes += [(*head, *code) for code in each_code(details)]
        else:
            codes.append((*head, entry["action"], entry["subject"], details))
    return codes, copies


def test_groups_decide_and_record_as_one_at_a_time(tracker: Tracker, world: World) -> None:
    staff_account(tracker, "fay", Role.FACILITATOR, ["north"])
    tracker.actor = actor_for(tracker, "fay")  # sees north's clients only

    @settings(
        max_examples=25 if tracker.db.engine == "sqlite" else 8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(batches(world))
    def same(groups: list[list[str]]) -> None:
        expected = rolled_back(tracker, one_at_a_time, groups)
        assert rolled_back(tracker, grouped, groups) == expected
        assert expected["journal"] == 0

    same()


def test_every_kind_of_code_in_one_group(tracker: Tracker, world: World) -> None:
    """The grouped path meets each rule at least once, and agrees with one at a time."""
    staff_account(tracker, "fay", Role.FACILITATOR, ["north"])
    tracker.actor = actor_for(tracker, "fay")
    lines = [*world.texts, world.north, world.south, "junk", forged_code(world.north, 3, "Z")]
    lines.append(forged_payload(next(x for x in world.texts if "." in x), "z"))
    expected = rolled_back(tracker, one_at_a_time, [lines])
    seen = rolled_back(tracker, grouped, [lines])
    assert seen == expected
    kinds = {(r.status, r.reason.split(" ")[0]) for r in seen["results"]}
    assert {RECORDED, DUPLICATE, REFUSED_CODE} == {status for status, _ in kinds}
    reasons = " | ".join(r.reason for r in seen["results"])
    for said in ("revoked", "already credited", "was refused", "forged", "not a code we issued"):
        assert said in reasons
    south = [r for r in seen["results"] if r.text == world.south]
    assert south[0].recorded and south[0].client == ""  # another office's: named to no one
    north = [r for r in seen["results"] if r.text == world.north]
    assert north[0].recorded and north[0].client == "C-2"


def test_a_grouped_batch_keeps_the_chain_whole(tracker: Tracker, world: World) -> None:
    """One entry a group names every code: each return, each refusal with its reason, by whom."""
    lines = [*world.texts, "junk"]
    with tracker.db.read() as tx:
        before = int(tx.scalar("SELECT last_id FROM audit_head WHERE id = 1"))
    results = list(checkin_groups(tracker, [lines[:7], lines[7:]], "tester"))
    recorded = {f"R{r.return_id}" for r in results if r.recorded}
    assert len(recorded) > 5
    with tracker.db.read() as tx:
        logged = tx.all("SELECT * FROM audit_log WHERE id > ? ORDER BY id", (before,))
    assert [e["action"] for e in logged] == [GROUP, GROUP]
    codes, copies = each_entry(logged)
    assert {c[0] for c in codes} == {tracker.now()} and {c[1] for c in codes} == {"tester"}
    assert [c[3] for c in codes if c[2] == "return.record"] == sorted(recorded, key=_number)
    assert set(copies["returns"]) == {r[1:] for r in recorded}
    refused = [(r.text, r.reason, r.status) for r in results if not r.recorded]
    said = [(c[3], c[4]["reason"], c[4]["status"]) for c in codes if c[2] == "return.refuse"]
    assert said == refused and len(codes) == len(results)
    verdict = audit.verify(tracker.db)
    assert verdict.ok, verdict.problems
    again = list(checkin_groups(tracker, [lines], "tester"))  # run again: nothing twice
    assert not any(r.recorded for r in again)
    assert audit.verify(tracker.db).ok


def _number(subject: str) -> int:
    return int(subject[1:])


def test_a_group_comes_back_whole_once_it_is_stored(tracker: Tracker, world: World) -> None:
    """`cpo checkin` reports a group with one write: its results together, after its commit."""
    lines = [*world.texts, "junk"]
    groups = [lines[:7], ["   "], lines[7:9], lines[9:]]
    seen, recorded = [], set()
    with Database(tracker.db.url) as other:  # sees only what is committed
        for results in stored_groups(tracker, groups, "tester"):
            with other.read() as tx:
                stored = {r["id"] for r in tx.all("SELECT id FROM returns")}
            recorded |= {r.return_id for r in results if r.recorded}
            assert recorded <= stored  # durable before it is reported
            seen.append(len(results))
    assert seen == [7, 2, len(lines) - 9] and len(recorded) > 5  # a blank group says nothing


def test_a_groups_state_rows_are_the_ledgers(tracker: Tracker, world: World) -> None:
    """A group reads every token's state row as ledger.STATE_ROWS has it, in its order.

    Before and after checking every code in again: then a sent-back module has a second
    return, the newest unmarked, and the refused and accepted ones keep their marks.
    """
    for _ in range(2):
        with tracker.db.read() as tx:
            orders = [row[0] for row in tx.tuples("SELECT id FROM orders ORDER BY id")]
            marks = ", ".join("?" * len(orders))
            records = GroupRecords()
            records._load_orders(tx, orders, marks)
            where = f"WHERE w.order_id IN ({marks}) "
            expected = tx.tuples(STATE_ROWS + where + STATE_ORDER, orders)
        assert any(row[5] for row in expected)  # marks are there to be read
        assert list(records.tokens.values()) == expected
        list(checkin_groups(tracker, [list(world.texts)], "tester"))


def test_a_groups_latest_returns_and_attempts_are_the_records(
    tracker: Tracker, world: World, clock: Clock, tmp_path: Path
) -> None:
    """Each module's newest return and each token's returns so far, as the records say.

    Read for a group, then after every code is checked in again, a day later. C-9's
    module came back in a workbook then lost, and again in its new copy: two copies,
    each with a return.
    """
    make_order(tracker, "C-9")
    lost = issue(tracker, "C-9", "tester", module_ids=["WB1"], out_root=tmp_path)
    (back,) = checkin_groups(tracker, [[lost.modules[0].code]], "tester")
    assert back.return_id
    mark(tracker, back.return_id, "send-back", "tester", {}, feedback="Try activity 2")
    revoke(tracker, lost.number, "Lost", "tester")
    new = issue(tracker, "C-9", "tester", module_ids=["WB1"], out_root=tmp_path)
    assert all(r.recorded for r in checkin_groups(tracker, [[new.modules[0].code]], "tester"))
    for _ in range(2):
        with tracker.db.read() as tx:
            orders = [row[0] for row in tx.tuples("SELECT id FROM orders ORDER BY id")]
            records = GroupRecords(clock().isoformat())
            records._load_orders(tx, orders, ", ".join("?" * len(orders)))
            live = LiveRecords(tx)
            for order_id, module_id in records.modules:
                got = records.latest_return(order_id, module_id)
                assert got == live.latest_return(order_id, module_id), (order_id, module_id)
            counted = dict(tx.tuples("SELECT token_id, COUNT(*) FROM returns GROUP BY token_id"))
        assert records.attempts == counted
        assert any(isinstance(ids, list) for ids in records.modules.values())  # two copies
        clock.advance(days=1)
        list(checkin_groups(tracker, [list(world.texts)], "tester"))
