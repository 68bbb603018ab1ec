"""No sequence of issues, check-ins, marks, reversals and adjustments can spoil the hours.

A hypothesis state machine drives the tracker's library calls at random, on SQLite and
on PostgreSQL, and after every step checks what a case worker relies on: a module is
credited at most once at a time, the credit stays within the cap and the order, the
statement agrees with the ledger, a refused request changes nothing, and the audit chain
holds what the step added (`verify_since`); the whole chain is checked at each run's end.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from builder.course import CountsAs
from tests.tracker.conftest import (
    ENGINES,
    Clock,
    act_as_admin,
    make_order,
    shipped_course,
    snapshot,
)
from tracker import audit
from tracker.audit_since import verify_since
from tracker.checkins import RECORDED, REFUSED_CODE, checkin_one
from tracker.codes import ALPHABET
from tracker.config import initialise
from tracker.errors import TrackerError
from tracker.ete import agree
from tracker.issuing import issue, revoke
from tracker.ledger import hours_statement, reverse_credit
from tracker.marking import mark
from tracker.orders import adjust_order
from tracker.people import add_office, update_client
from tracker.tracker import Tracker, open_tracker

T = TypeVar("T")

# Explicit module lists come from a few sets so the printed layouts are reused; None asks
# the tracker to choose (the next modules that fit the cap).
MODULE_SETS = (
    None,
    ("WB1",),
    ("WB2",),
    ("WB1", "WB2"),
    ("WB3", "TF1"),
    ("TF1",),
    ("WB1", "WB3"),
    ("WM1",),  # ETE: the only kind an England and Wales order takes
    ("WM2", "WM3"),
)
ORDERS = (  # small orders twice: their caps bite sooner
    ("scotland", 20),
    ("scotland", 20),
    ("scotland", 45),
    ("scotland", 100),
    ("scotland", 250),
    ("england-wales", 45),
    ("england-wales", 45),
    ("england-wales", 100),
    ("england-wales", 250),
)
# Each office's own cap (percent, ceiling in minutes); None keeps the jurisdiction's figure.
# "east" and "south" make the cap bite after a module or two, so partial credits happen.
OFFICE_CAPS: dict[str, tuple[int | None, int | None]] = {
    "north": (None, None),
    "south": (20, 10 * 60),
    "east": (10, 3 * 60),
}
DECISIONS = ("accept", "accept", "accept", "send-back", "refuse")
GUIDED = 120  # every shipped module is two hours
HOURS_CHANGES = (-200, -60, -30, -10, -1, 0, 10, 50)
DEADLINE_MOVES = (None, None, -10, 0, 30)

SQLITE_RUNS = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree; failures print their steps
    suppress_health_check=[HealthCheck.too_slow],
)
POSTGRES_RUNS = settings(SQLITE_RUNS, max_examples=30, stateful_step_count=25)


def expected_cap(jurisdiction: str, office: str, minutes: int) -> int:
    """The cap worked out from the rules, not from the tracker's policy code."""
    percent, ceiling = OFFICE_CAPS[office]
    if percent is None:
        percent = 30
    if ceiling is None and jurisdiction == "scotland":
        ceiling = 30 * 60
    share = minutes * percent // 100
    return share if ceiling is None else min(share, ceiling)


@dataclass(frozen=True)
class Code:
    """A check-in code the machine was given when it issued a workbook."""

    workbook: str
    client: str
    order: str
    module: str
    payload: str
    printed: str


class LedgerMachine(RuleBasedStateMachine):
    """Random work on one tracker; the invariants are checked after every step."""

    new_database: ClassVar[Callable[[], str]]
    root: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(dir=self.root))
        config, _ = initialise(self.folder / "data", database_url=self.new_database())
        self.clock = Clock()
        self.t: Tracker = open_tracker(config, course_loader=shipped_course, clock=self.clock)
        act_as_admin(self.t)
        with self.t.db.read() as tx:
            self.checked = audit.fingerprint(tx)  # the chain is checked from here after each step
        self.orders: dict[str, tuple[str, str]] = {}  # reference -> (jurisdiction, office)
        self.extra_time: dict[str, bool] = {}
        self.codes: list[Code] = []
        self.revoked: set[str] = set()
        self.returns: list[int] = []
        self.marked: set[int] = set()
        self.agreed: set[str] = set()  # England and Wales orders with ETE agreement
        self.last_held: object = None  # what the invariants last held for (`unchanged`)

    def teardown(self) -> None:
        verdict = audit.verify(self.t.db)  # every link and every row, once a run
        self.t.close()
        assert verdict.ok, verdict.problem
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------

    def attempt(self, what: str, action: Callable[[], T]) -> T | None:
        """Run `action`; if the tracker refuses it, check that no record changed."""
        before = snapshot(self.t)
        try:
            done = action()
        except TrackerError:
            assert snapshot(self.t) == before, "a refused request changed the records"
            event(f"{what}: refused")
            return None
        event(f"{what}: done")
        return done

    def pick(self, items: list[T], index: int) -> T:
        return items[index % len(items)]

    def client_of(self, order: str) -> str:
        return order.rpartition("/")[0]

    # -- set-up -------------------------------------------------------------------------

    @initialize(
        orders=st.lists(
            st.tuples(st.sampled_from(ORDERS), st.booleans(), st.sampled_from(sorted(OFFICE_CAPS))),
            min_size=1,
            max_size=3,
        )
    )
    def add_clients(self, orders: list[tuple[tuple[str, int], bool, str]]) -> None:
        for code, (percent, ceiling) in OFFICE_CAPS.items():
            add_office(self.t, code, code.title(), "tester", percent, ceiling)
        for number, ((jurisdiction, hours), extra, office) in enumerate(orders, start=1):
            order = make_order(self.t, f"C-{number}", hours, jurisdiction, extra, office)
            self.orders[order.reference] = (jurisdiction, office)
            self.extra_time[f"C-{number}"] = extra

    # -- the work -----------------------------------------------------------------------

    @rule(which=st.integers(0, 2), modules=st.sampled_from(MODULE_SETS))
    def issue_workbook(self, which: int, modules: tuple[str, ...] | None) -> None:
        order = self.pick(sorted(self.orders), which)
        issued = self.attempt(
            "issue",
            lambda: issue(
                self.t,
                self.client_of(order),
                "ana",
                order_reference=order,
                module_ids=list(modules) if modules else None,
                out_root=self.folder / "issues",
            ),
        )
        ete = {"WM1", "WM2", "WM3"}
        if self.orders[order][0] == "england-wales" and modules and not set(modules) <= ete:
            assert issued is None, "an England and Wales order was issued a non-ETE module"
        for m in issued.modules if issued else ():
            self.codes.append(
                Code(issued.number, issued.client, order, m.module_id, m.payload, m.code)
            )

    @precondition(lambda self: self.codes)
    @rule(
        which=st.integers(0, 10**6),
        form=st.sampled_from(["payload", "printed", "sloppy", "mistyped", "other client"]),
        slip=st.integers(0, 12 * 31 - 1),
    )
    def check_in(self, which: int, form: str, slip: int) -> None:
        code = self.pick(self.codes, which)
        client = None
        text = {"payload": code.payload, "printed": code.printed}.get(form, code.printed)
        if form == "sloppy":  # as a person types it: lower case, spaces, O for 0, I for 1
            text = code.printed.replace("-", " ").replace("0", "o").replace("1", "I").lower()
        elif form == "mistyped":
            text = mistype(code.printed.replace("-", ""), slip)
        elif form == "other client":
            others = [c for c in self.extra_time if c != code.client]
            client = others[0] if others else None
        before = snapshot(self.t)
        result = checkin_one(self.t, text, "fay", client=client)
        event(f"check-in {form}: {result.status}")
        if result.status == RECORDED:
            assert result.return_id is not None
            assert (result.client, result.module) == (code.client, code.module)
            self.returns.append(result.return_id)
        else:
            assert snapshot(self.t) == before, "a refused check-in changed the records"
        must_refuse = form == "mistyped" or client is not None or code.workbook in self.revoked
        if must_refuse:
            assert result.status == REFUSED_CODE, (form, result)

    @precondition(lambda self: self.returns)
    @rule(
        which=st.integers(0, 10**6),
        again=st.sampled_from([False, False, False, True]),
        decision=st.sampled_from(DECISIONS),
        declared=st.integers(0, 600),
        skip_required=st.sampled_from([False, False, False, True]),
    )
    def mark_return(
        self, which: int, again: bool, decision: str, declared: int, skip_required: bool
    ) -> None:
        waiting = [r for r in self.returns if r not in self.marked]
        return_id = self.pick(waiting if waiting and not again else self.returns, which)
        self.mark_one(return_id, decision, declared, skip_required, which)

    @precondition(lambda self: self.codes)
    @rule(
        which=st.integers(0, 10**6),
        count=st.integers(1, 4),
        decision=st.sampled_from(DECISIONS),
        declared=st.integers(0, 600),
        skip_required=st.sampled_from([False, False, False, True]),
    )
    def post_comes_back(
        self, which: int, count: int, decision: str, declared: int, skip_required: bool
    ) -> None:
        """A few modules come back by post together; each is scanned and marked."""
        for step in range(count):
            code = self.pick(self.codes, which + step)
            result = checkin_one(self.t, code.payload, "fay", arrived_by="scanner")
            if result.return_id is not None:
                self.returns.append(result.return_id)
                self.mark_one(result.return_id, decision, declared, skip_required, which)

    def mark_one(
        self, return_id: int, decision: str, declared: int, skip_required: bool, which: int
    ) -> None:
        module = self.t.course.module(self.module_of(return_id))
        tried = {a.id: True for a in module.activities}
        if skip_required:
            tried[module.required_activities[which % len(module.required_activities)].id] = False
        extra = self.extra_time[self.client_of_return(return_id)]
        marked = self.attempt(
            f"mark {decision}",
            lambda: mark(
                self.t,
                return_id,
                decision,
                "lee",
                tried,
                declared_minutes=declared if decision == "accept" else None,
                feedback="Please try activity 3 again" if decision == "send-back" else "",
                reason="Not the client's own work" if decision == "refuse" else "",
            ),
        )
        if return_id in self.marked or (decision == "accept" and skip_required):
            assert marked is None, "a second mark, or an accept with a required activity missed"
        order = f"{self.client_of_return(return_id)}/1"
        ew = self.orders[order][0] == "england-wales"
        if decision == "accept" and ew and order not in self.agreed:
            assert marked is None, "ETE credited before the practitioner agreed"
        if marked is None:
            return
        self.marked.add(return_id)
        allowance = GUIDED * 120 // 100 if extra else GUIDED
        limit = min(declared, allowance) if decision == "accept" else 0
        assert 0 <= marked.credited <= limit, (decision, declared, extra, marked)
        assert (marked.credit_id is not None) == (marked.credited > 0)

    @precondition(lambda self: self.credits())
    @rule(which=st.integers(0, 10**6))
    def reverse(self, which: int) -> None:
        rows = self.credits()
        row = self.pick(rows, which)
        reversed_ids = {r["reverses"] for r in rows if r["reverses"] is not None}
        live = row["reverses"] is None and row["id"] not in reversed_ids
        done = self.attempt(
            "reverse", lambda: reverse_credit(self.t, row["id"], "Marked in error", "lee")
        )
        assert (done is not None) == live, (row, reversed_ids)

    @rule(
        which=st.integers(0, 2),
        change=st.sampled_from(HOURS_CHANGES),
        move=st.sampled_from(DEADLINE_MOVES),
    )
    def adjust(self, which: int, change: int, move: int | None) -> None:
        reference = self.pick(sorted(self.orders), which)
        jurisdiction, office = self.orders[reference]
        now = hours_statement(self.t, reference)
        deadline = None
        if move is not None:
            deadline = date.fromisoformat(now.order.deadline) + timedelta(days=move)
        minutes = now.order.minutes + change * 60
        should_refuse = (
            (change == 0 and deadline is None)
            or (move is not None and move <= 0)
            or minutes <= 0
            or minutes > 300 * 60
            or expected_cap(jurisdiction, office, minutes) < now.credited
        )
        done = self.attempt(
            "adjust",
            lambda: adjust_order(
                self.t,
                reference,
                "lee",
                "The court varied the order",
                self.t.today(),
                minutes_change=change * 60,
                new_deadline=deadline,
            ),
        )
        assert (done is None) == should_refuse, (now.order.minutes, change, move, now.credited)

    @precondition(lambda self: self.codes)
    @rule(which=st.integers(0, 10**6))
    def revoke_workbook(self, which: int) -> None:
        number = self.pick(self.codes, which).workbook
        done = self.attempt(
            "revoke", lambda: revoke(self.t, number, "Lost in the post", "ana") or True
        )
        assert (done is None) == (number in self.revoked)
        self.revoked.add(number)

    @rule(which=st.integers(0, 2))
    def toggle_extra_time(self, which: int) -> None:
        client = self.pick(sorted(self.extra_time), which)
        self.extra_time[client] = not self.extra_time[client]
        update_client(self.t, client, "ana", extra_time=self.extra_time[client])

    @rule(which=st.integers(0, 2))
    def agree_ete(self, which: int) -> None:
        reference = self.pick(sorted(self.orders), which)
        done = self.attempt("agree", lambda: agree(self.t, reference, "Pat Lee", "ana"))
        needs = self.orders[reference][0] == "england-wales" and reference not in self.agreed
        assert (done is not None) == needs, (reference, self.agreed)
        if done:
            self.agreed.add(reference)

    @rule(days=st.integers(1, 5))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    # -- what must always hold -------------------------------------------------------------

    def unchanged(self) -> bool:
        """Whether nothing the invariants read has changed since they last held (then they
        hold still: they are functions of the records, the clock and what the machine knows).

        Two steps in five change nothing (a refusal, checked unchanged by the step itself);
        checking again was a fifth of this test's CPU. The records change only with the audit
        chain's head: every change is audited, and a change that was not would be found by
        the full check at the run's end (`audit.verify` compares the chain with the tables).
        """
        with self.t.db.read() as tx:
            now = (audit.fingerprint(tx), self.clock.now, frozenset(self.agreed), len(self.orders))
        same, self.last_held = now == self.last_held, now
        return same

    @invariant()
    def invariants_hold(self) -> None:
        """Check each invariant below, unless nothing changed since they last held."""
        if self.unchanged():
            event("invariants: nothing changed")
            return
        self.statements_agree_with_the_ledger()
        self.each_credit_comes_from_one_accepted_return()
        self.audit_chain_is_whole()

    def statements_agree_with_the_ledger(self) -> None:
        for reference, (jurisdiction, office) in self.orders.items():
            s = hours_statement(self.t, reference)
            assert s.credited == sum(r.minutes for r in s.ledger)
            assert s.credited == sum(m.minutes for m in s.modules)
            assert s.cap == expected_cap(jurisdiction, office, s.order.minutes)
            assert 0 <= s.credited <= s.cap <= s.order.minutes
            if s.credited and s.credited == s.cap:
                event("an order reached its cap")
            assert all(m.minutes >= 0 for m in s.modules)
            if jurisdiction == "england-wales":  # only ETE, and only once agreed
                credited = [m.module_id for m in s.modules if m.minutes]
                assert not credited or reference in self.agreed
                assert all(self.t.course.module(m).counts(CountsAs.ETE) for m in credited)
            reversed_ids = {r.reverses for r in s.ledger if r.reverses is not None}
            for line in s.modules:
                rows = [r for r in s.ledger if r.module_id == line.module_id]
                live = [r for r in rows if r.reverses is None and r.id not in reversed_ids]
                assert len(live) <= 1, f"{line.module_id} has {len(live)} live credits"
                assert line.minutes == (live[0].minutes if live else 0)
                for r in rows:
                    if r.reverses is not None:
                        (undone,) = [x for x in s.ledger if x.id == r.reverses]
                        assert (undone.module_id, undone.minutes) == (r.module_id, -r.minutes)

    def each_credit_comes_from_one_accepted_return(self) -> None:
        with self.t.db.read() as tx:
            rows = tx.all(
                "SELECT c.return_id, c.minutes, m.decision, m.credited_minutes,"
                " m.declared_minutes FROM credits c JOIN marks m ON m.return_id = c.return_id"
                " WHERE c.reverses IS NULL"
            )
            credits = int(tx.scalar("SELECT COUNT(*) FROM credits WHERE reverses IS NULL") or 0)
            waiting = tx.all(
                "SELECT w.order_id, k.module_id, COUNT(*) AS n FROM returns r"
                " JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id"
                " LEFT JOIN marks m ON m.return_id = r.id WHERE m.id IS NULL"
                " GROUP BY w.order_id, k.module_id HAVING COUNT(*) > 1"
            )
        assert len(rows) == credits, "a credit without an accepted return"
        returns = [r["return_id"] for r in rows]
        assert len(returns) == len(set(returns)), "a return credited twice"
        for r in rows:
            assert r["decision"] == "accept"
            assert r["minutes"] == r["credited_minutes"] <= r["declared_minutes"]
        assert not waiting, f"a module waits to be marked twice: {waiting}"

    def audit_chain_is_whole(self) -> None:
        """What the last step added is whole (the full check, growing with the chain, runs
        at the end: tests/tracker/test_audit_since.py shows this one finds the same)."""
        verdict = verify_since(self.t.db, self.checked)
        assert verdict.ok, verdict.problem
        assert verdict.head is not None
        self.checked = verdict.head

    # -- reading the records ---------------------------------------------------------------

    def credits(self) -> list[dict[str, Any]]:
        with self.t.db.read() as tx:
            return tx.all("SELECT id, reverses FROM credits ORDER BY id")

    def module_of(self, return_id: int) -> str:
        with self.t.db.read() as tx:
            return str(
                tx.scalar(
                    "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id"
                    " WHERE r.id = ?",
                    (return_id,),
                )
            )

    def client_of_return(self, return_id: int) -> str:
        with self.t.db.read() as tx:
            return str(
                tx.scalar(
                    "SELECT c.reference FROM returns r JOIN tokens k ON k.id = r.token_id"
                    " JOIN workbooks w ON w.id = k.workbook_id"
                    " JOIN clients c ON c.id = w.client_id WHERE r.id = ?",
                    (return_id,),
                )
            )


def mistype(symbols: str, slip: int) -> str:
    """The code with one symbol changed: position slip // 31, to another of the 31 others."""
    position, shift = divmod(slip, 31)
    wrong = ALPHABET[(ALPHABET.index(symbols[position]) + shift + 1) % len(ALPHABET)]
    return symbols[:position] + wrong + symbols[position + 1 :]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.slow  # a large corpus, or real cpo processes killed
def test_no_sequence_of_work_spoils_the_hours(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random issues, check-ins, marks, reversals and adjustments keep every invariant."""
    # Keep every printed layout: the machine reissues the same module sets many times.
    monkeypatch.setattr("builder.pdf.document.LAYOUTS_KEPT", 64)
    # Each example starts from a copy of records migrated once (as `db_url` gives a test).
    if engine == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        def new_database() -> str:
            path = Path(tempfile.mkdtemp(dir=tmp_path)) / "tracker.db"
            shutil.copyfile(template, path)
            path.chmod(0o600)  # as cpo makes it
            return str(path)
    else:
        new_database = request.getfixturevalue("postgres").new_database
    machine = type(
        "Ledger",
        (LedgerMachine,),
        {"new_database": staticmethod(new_database), "root": tmp_path},
    )
    run_state_machine_as_test(
        machine, settings=SQLITE_RUNS if engine == "sqlite" else POSTGRES_RUNS
    )


# -- lifecycles the invariants above do not cover: a module must never be stuck -----------


def all_tried(t: Tracker, module_id: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module_id).activities}


def test_a_refused_module_issued_again_can_be_checked_in(tracker: Tracker, tmp_path: Path) -> None:
    """After a refusal the module may be issued again, and its new code checks in."""
    make_order(tracker)
    first = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)
    returned = checkin_one(tracker, first.modules[0].code, "fay")
    assert returned.return_id is not None
    mark(tracker, returned.return_id, "refuse", "lee", {}, reason="Someone else's handwriting")
    again = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)
    redone = checkin_one(tracker, again.modules[0].code, "fay")
    assert redone.status == RECORDED, redone.reason


def test_a_sent_back_module_in_a_lost_workbook_can_be_issued_again(
    tracker: Tracker, tmp_path: Path
) -> None:
    """A sent-back module whose workbook is revoked (lost) can go out in a new workbook."""
    make_order(tracker)
    first = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)
    returned = checkin_one(tracker, first.modules[0].code, "fay")
    assert returned.return_id is not None
    mark(tracker, returned.return_id, "send-back", "lee", {}, feedback="Please try activity 3")
    revoke(tracker, first.number, "Lost in the post", "ana")
    again = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)
    redone = checkin_one(tracker, again.modules[0].code, "fay")
    assert redone.status == RECORDED, redone.reason
    done = mark(tracker, redone.return_id or 0, "accept", "lee", all_tried(tracker, "WB1"), 100)
    assert hours_statement(tracker, "C-1").credited == done.credited == 100
