"""Two programs on the same records at the same moment: each return is recorded and credited once.

The racing programs are separate OS processes that open the same SQLite file or the same
PostgreSQL schema and wait at a barrier, so their requests reach the database together.
Each test races several rounds. Each racer is forked from one process that has imported
the racers' module (`forked.Starter`): a spawned racer spent ~1 s of CPU importing it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tracker.conftest import make_order
from tests.tracker.forked import Starter
from tracker import audit
from tracker.checkins import DUPLICATE, RECORDED, checkin, checkin_one
from tracker.config import load
from tracker.issuing import issue
from tracker.ledger import hours_statement
from tracker.marking import mark
from tracker.store import Transaction
from tracker.tracker import Tracker, open_tracker

Jobs = list[tuple[str, object]]
MODULES = ["WB1", "WB2", "WB3", "TF1"]
WAIT = 120.0  # seconds to wait for a racer before calling the test a failure


@pytest.fixture(scope="module")
def starter() -> Iterator[Starter]:
    """The process each racer is forked from, its module imported once for the tests here."""
    started = Starter("tests.tracker.racers")
    yield started
    started.close()


def run_race(
    starter: Starter, tracker: Tracker, tmp_path: Path, amy: Jobs, bob: Jobs
) -> list[list[dict]]:
    """Start two racers on the tracker's records; fire each round's gun; their outcomes."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    data = str(tracker.config.data_dir)
    racers = {
        name: starter.process("race", data, str(barrier), name, jobs)
        for name, jobs in (("amy", amy), ("bob", bob))
    }
    for process in racers.values():
        process.start()
    try:
        for number in range(len(amy)):
            for name, process in racers.items():
                ready = barrier / f"{number}.{name}.ready"
                give_up = time.monotonic() + WAIT
                while not ready.exists():
                    assert process.is_alive(), f"racer {name} died (exit {process.exitcode})"
                    assert time.monotonic() < give_up, f"racer {name} never got ready"
                    time.sleep(0.001)
            (barrier / f"{number}.go").touch()
    finally:
        for process in racers.values():
            process.join(WAIT)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in racers.values()] == [0, 0]
    outcomes = {name: json.loads((barrier / f"{name}.json").read_text()) for name in racers}
    return [list(pair) for pair in zip(outcomes["amy"], outcomes["bob"], strict=True)]


def returns_for(tracker: Tracker, tmp_path: Path, client: str, hours: int = 100) -> list[int]:
    """A client with an order and four modules issued and checked in; their return ids."""
    make_order(tracker, client, hours=hours)
    issued = issue(tracker, client, "ana", module_ids=MODULES, out_root=tmp_path / "out")
    results = list(checkin(tracker, [m.code for m in issued.modules], "fay"))
    assert all(r.status == RECORDED for r in results)
    return [r.return_id for r in results if r.return_id is not None]


def count(tracker: Tracker, sql: str) -> int:
    with tracker.db.read() as tx:
        return int(tx.scalar(sql) or 0)


def test_two_programs_marking_one_return_credit_it_once(
    starter: Starter, tracker: Tracker, tmp_path: Path
) -> None:
    """Both accept the same return at once: one credit; the other is told it is marked."""
    returns = returns_for(tracker, tmp_path, "C-1")
    jobs: Jobs = [("mark", r) for r in returns]
    for amy, bob in run_race(starter, tracker, tmp_path, jobs, jobs):
        winner, loser = (amy, bob) if amy["ok"] else (bob, amy)
        assert winner["ok"] and winner["credited"] == 120
        assert not loser["ok"] and "already marked (accept)" in str(loser["error"])
    statement = hours_statement(tracker, "C-1")
    assert statement.credited == 4 * 120 == sum(r.minutes for r in statement.ledger)
    assert [line.minutes for line in statement.modules if line.minutes] == [120] * 4
    assert count(tracker, "SELECT COUNT(*) FROM credits") == 4
    assert count(tracker, "SELECT COUNT(*) FROM marks") == 4
    assert audit.verify(tracker.db).ok


def test_two_programs_checking_in_one_code_record_it_once(
    starter: Starter, tracker: Tracker, tmp_path: Path
) -> None:
    """One scans the QR code while the other types the code: one return, one duplicate."""
    make_order(tracker)
    issued = issue(tracker, "C-1", "ana", module_ids=MODULES, out_root=tmp_path / "out")
    scanned: Jobs = [("checkin", m.payload) for m in issued.modules]
    typed: Jobs = [("checkin", m.code) for m in issued.modules]
    for pair in run_race(starter, tracker, tmp_path, scanned, typed):
        assert sorted(str(r["status"]) for r in pair) == [DUPLICATE, RECORDED]
        (late,) = [r for r in pair if r["status"] == DUPLICATE]
        assert "already received" in str(late["reason"])
    assert count(tracker, "SELECT COUNT(*) FROM returns") == len(MODULES)
    assert count(tracker, "SELECT COUNT(DISTINCT token_id) FROM returns") == len(MODULES)
    assert audit.verify(tracker.db).ok


def test_two_programs_marking_the_last_of_the_cap_stay_within_it(
    starter: Starter, tracker: Tracker, tmp_path: Path
) -> None:
    """Two modules race for the last two hours of a cap: one gets them, the other none."""
    rounds = []
    for client in ("C-1", "C-2", "C-3"):  # Scotland, 20 hours: a cap of 6 hours
        first, second, third, fourth = returns_for(tracker, tmp_path, client, hours=20)
        for done in (first, second):
            mark(tracker, done, "accept", "lee", all_tried(tracker, done), declared_minutes=120)
        rounds.append((third, fourth))
    amy: Jobs = [("mark", third) for third, _ in rounds]
    bob: Jobs = [("mark", fourth) for _, fourth in rounds]
    for pair in run_race(starter, tracker, tmp_path, amy, bob):
        assert all(r["ok"] for r in pair)
        assert sorted(int(str(r["credited"])) for r in pair) == [0, 120]
    for client in ("C-1", "C-2", "C-3"):
        statement = hours_statement(tracker, client)
        assert statement.credited == statement.cap == 360
    assert audit.verify(tracker.db).ok


def all_tried(tracker: Tracker, return_id: int) -> dict[str, bool]:
    """Every activity of the return's module, ticked."""
    with tracker.db.read() as tx:
        module = tx.scalar(
            "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id WHERE r.id = ?",
            (return_id,),
        )
    return {a.id: True for a in tracker.course.module(str(module)).activities}


def test_audit_verify_while_another_program_writes_finds_the_chain_whole(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check-in landing while `cpo audit verify` reads does not look like tampering."""
    make_order(tracker)
    with open_tracker(load(tracker.config.data_dir), login="tester") as other:  # a second program
        read = Transaction.all
        landed = []

        def read_then_let_the_other_write(tx: Transaction, sql: str, params: object = ()) -> list:
            rows = read(tx, sql, params)  # type: ignore[arg-type]
            if "FROM audit_log" in sql and not landed:
                landed.append(checkin_one(other, "not a code", "bo"))  # refusals are logged too
            return rows

        monkeypatch.setattr(Transaction, "all", read_then_let_the_other_write)
        verdict = audit.verify(tracker.db)
    assert landed, "the other program did not write while the log was read"
    assert verdict.ok, verdict.problem
