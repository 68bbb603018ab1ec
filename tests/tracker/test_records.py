"""The tracker as a case worker and a facilitator use it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from builder.course import CountsAs
from builder.errors import CpoError
from tests.conftest import names
from tests.pdftools import page_texts
from tests.tracker.conftest import Clock, make_order, snapshot
from tracker.checkins import DUPLICATE, RECORDED, REFUSED_CODE, checkin, checkin_one
from tracker.codes import Keyring
from tracker.errors import NotFound, TrackerError
from tracker.issuing import Issued, issue, revoke
from tracker.ledger import (
    ACCEPTED,
    AWAITING,
    CREDITED,
    SENT_BACK,
    all_statements,
    hours_statement,
    reverse_credit,
)
from tracker.marking import mark
from tracker.orders import add_order, adjust_order
from tracker.people import add_client
from tracker.store import Database
from tracker.tracker import Tracker

JUSTICE = re.compile(r"court|probation|offend|community payback|punish|order", re.I)


def all_tried(t: Tracker, module_id: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module_id).activities}


def issue_some(t: Tracker, tmp_path: Path, modules: list[str], client: str = "C-1") -> Issued:
    return issue(t, client, "ana", module_ids=modules, out_root=tmp_path / "issues")


def test_a_module_goes_from_issue_to_credit(tracker: Tracker, tmp_path: Path) -> None:
    """Issue, check in, mark: accepted modules are credited, sent-back ones come back."""
    make_order(tracker)
    issued = issue_some(tracker, tmp_path, ["WB1", "WB2"])
    wb1, wb2 = issued.modules
    first, second = checkin(tracker, [wb1.code, wb2.payload], "fay")
    assert (first.status, second.status) == (RECORDED, RECORDED)
    assert first.return_id and second.return_id
    done = mark(tracker, first.return_id, "accept", "fay", all_tried(tracker, "WB1"), 110)
    assert done.credited == 110 and done.credit_id
    mark(tracker, second.return_id, "send-back", "fay", {"WB2-1": True}, feedback="Try WB2-3")
    statement = hours_statement(tracker, "C-1")
    states = {m.module_id: m.state for m in statement.modules}
    assert states["WB1"] == CREDITED and states["WB2"] == SENT_BACK
    assert (statement.cap, statement.credited, statement.cap_left) == (1800, 110, 1690)
    again = checkin_one(tracker, wb2.code, "fay")  # the redone module comes back
    assert again.status == RECORDED and again.return_id != second.return_id
    assert hours_statement(tracker, "C-1/1").modules[1].state == AWAITING
    repeat = checkin_one(tracker, wb1.code, "fay")
    assert repeat.status == REFUSED_CODE and "already credited" in repeat.reason


def test_issue_picks_the_modules_that_fit_the_cap(tracker: Tracker, tmp_path: Path) -> None:
    """By default a workbook holds the next modules whose guided time fits the cap left."""
    make_order(tracker, "C-1", hours=20)  # Scotland: cap 6 h
    make_order(tracker, "C-2", hours=45, jurisdiction="england-wales")  # cap 13 h 30 min
    assert [m.module_id for m in issue(tracker, "C-1", "ana", out_root=tmp_path).modules] == [
        "WB1",
        "WB2",
        "WB3",
    ]
    # England and Wales: only ETE modules, as many as fit 13 h 30 min (6 of 2 h at most).
    ete = [m.id for m in tracker.course.modules if m.counts(CountsAs.ETE)]
    ew = [m.module_id for m in issue(tracker, "C-2", "ana", out_root=tmp_path).modules]
    assert ew == ete[:6]
    with pytest.raises(TrackerError, match="nothing to issue"):
        issue(tracker, "C-1", "ana", out_root=tmp_path)
    with pytest.raises(TrackerError, match="WB1 is already out"):
        issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)


def test_issue_writes_the_workbook_and_a_neutral_letter(
    tracker: Tracker, tmp_path: Path, real_pdfs: None
) -> None:
    """The folder has the personalised PDF with the issued codes and a plain letter."""
    make_order(tracker)
    issued = issue_some(tracker, tmp_path, ["HC1"])
    assert issued.folder == tmp_path / "issues" / issued.number
    workbook = "\n".join(page_texts(issued.folder / "workbook.pdf"))
    assert f"Code: {issued.modules[0].code}" in workbook and "Ref C-1" in workbook
    letter = page_texts(issued.folder / "letter.pdf")
    assert len(letter) == 1
    assert "Client C-1" in letter[0] and issued.number in letter[0]
    assert not JUSTICE.search(letter[0])


def test_a_failed_print_leaves_no_record(tracker: Tracker, tmp_path: Path) -> None:
    """If the workbook cannot be written, the issue is not recorded either."""
    make_order(tracker)
    before = snapshot(tracker)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CpoError, match="cannot write"):
        issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=blocker)
    assert snapshot(tracker) == before


def test_refused_codes_say_why_and_change_nothing(
    tracker: Tracker, tmp_path: Path, db_url: str
) -> None:
    """Mistyped, unknown, tampered, foreign-key, other client's and revoked codes."""
    make_order(tracker, "C-1")
    make_order(tracker, "C-2")
    mine = issue_some(tracker, tmp_path, ["WB1", "WB2"], "C-1")
    other = issue_some(tracker, tmp_path, ["WB1"], "C-2")
    lost = issue_some(tracker, tmp_path, ["TF1"], "C-1")
    revoke(tracker, lost.number, "lost in the post", "ana")
    stranger = Keyring(tmp_path / "stranger")  # another office's keys: k1 and k2
    stranger.create()
    stranger.create()
    foreign = stranger.new_token().payload
    forged = stranger.token("k1", "0123456789abcdef").payload  # our key id, their secret
    code = mine.modules[0].code
    at = next(
        i for i in range(len(code) - 1) if "-" not in code[i : i + 2] and code[i] != code[i + 1]
    )
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2 :]  # two different symbols
    payload = mine.modules[0].payload
    tampered = payload[:-1] + ("x" if payload[-1] != "x" else "y")
    unknown = Keyring(tmp_path / "data" / "keys").new_token().code  # signed, never issued
    cases = {
        swapped: "wrong or two are swapped",
        code[:-3]: "has 12 letters and digits; this one has 9",
        "HELLO-WORLD!": "'!' is not used in codes",
        unknown: "not a code we issued",
        tampered: "the code was changed or forged",
        foreign: "issued by another tracker (made with key k2",
        forged: "issued by another tracker, or changed",
        lost.modules[0].code: "was revoked on 2026-11-23 (lost in the post)",
        other.modules[0].code: "another client's workbook",
    }
    before = snapshot(tracker)
    for text, why in cases.items():
        result = checkin_one(tracker, text, "fay", client="C-1")
        assert result.status == REFUSED_CODE, text
        assert why in result.reason, (text, result.reason)
    assert snapshot(tracker) == before
    first = checkin_one(tracker, code, "fay")
    duplicate = checkin_one(tracker, code.lower().replace("-", " "), "fay")
    assert duplicate.status == DUPLICATE and f"return R{first.return_id}" in duplicate.reason


def test_bad_requests_are_refused_with_the_reason(tracker: Tracker, tmp_path: Path) -> None:
    """Unknown people and orders, impossible hours and dates: clear errors, no records."""
    make_order(tracker)
    before = snapshot(tracker)
    with pytest.raises(NotFound, match="no client with reference 'C-404'"):
        issue(tracker, "C-404", "ana", out_root=tmp_path)
    with pytest.raises(NotFound, match="did you mean C-1"):
        add_order(tracker, "c-1", "scotland", 6000, date(2026, 11, 2), date(2027, 5, 1), "a")
    with pytest.raises(NotFound, match="has no order 7"):
        hours_statement(tracker, "C-1/7")
    with pytest.raises(TrackerError, match="not an order Scotland"):
        add_order(tracker, "C-1", "scotland", 400 * 60, date(2026, 11, 2), date(2027, 5, 1), "a")
    with pytest.raises(TrackerError, match="not an order Scotland"):
        add_order(tracker, "C-1", "scotland", -60, date(2026, 11, 2), date(2027, 5, 1), "a")
    with pytest.raises(TrackerError, match="before the order was made"):
        add_order(tracker, "C-1", "scotland", 6000, date(2026, 11, 2), date(2026, 10, 1), "a")
    with pytest.raises(TrackerError, match="in the future"):
        add_order(tracker, "C-1", "scotland", 6000, date(2027, 1, 1), date(2027, 5, 1), "a")
    with pytest.raises(TrackerError, match="already a client"):
        add_client(tracker, "C-1", "Someone", "north", "Ana", "a")
    with pytest.raises(NotFound, match="no office 'nrth' \\(did you mean 'north'"):
        add_client(tracker, "C-9", "Someone", "nrth", "Ana", "a")
    with pytest.raises(CpoError, match="no print profile"):
        issue(tracker, "C-1", "ana", profile="huge", out_root=tmp_path)
    assert snapshot(tracker) == before


def test_marking_refuses_what_cannot_be_right(tracker: Tracker, tmp_path: Path) -> None:
    """Missing required activities, absurd minutes, a second marking: refused, unchanged."""
    make_order(tracker)
    issued = issue_some(tracker, tmp_path, ["WB1"])
    (result,) = checkin(tracker, [issued.modules[0].code], "fay")
    assert result.return_id
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="not tried: send the module back instead"):
        mark(tracker, result.return_id, "accept", "fay", {"WB1-1": True}, 100)
    with pytest.raises(TrackerError, match="cannot be right"):
        mark(tracker, result.return_id, "accept", "fay", all_tried(tracker, "WB1"), 200 * 60)
    with pytest.raises(TrackerError, match="needs feedback"):
        mark(tracker, result.return_id, "send-back", "fay", {})
    with pytest.raises(TrackerError, match="has no activity XX-1"):
        mark(tracker, result.return_id, "refuse", "fay", {"XX-1": True}, reason="copied")
    with pytest.raises(NotFound, match="no return R999"):
        mark(tracker, 999, "refuse", "fay", {}, reason="x")
    assert snapshot(tracker) == before
    mark(tracker, result.return_id, "accept", "fay", all_tried(tracker, "WB1"), 100)
    with pytest.raises(TrackerError, match="already marked"):
        mark(tracker, result.return_id, "accept", "sam", all_tried(tracker, "WB1"), 100)


def test_credit_stops_at_the_cap(tracker: Tracker, tmp_path: Path) -> None:
    """A 20-hour Scottish order credits 6 hours at most, and says why when it cuts."""
    make_order(tracker, hours=20)
    issued = issue_some(tracker, tmp_path, ["WB1", "WB2", "WB3", "TF1"])
    results = list(checkin(tracker, [m.code for m in issued.modules], "fay"))
    credited = []
    for module, result in zip(issued.modules, results, strict=True):
        assert result.return_id
        marked = mark(
            tracker, result.return_id, "accept", "fay", all_tried(tracker, module.module_id), 130
        )
        credited.append((marked.credited, marked.note))
    assert [c for c, _ in credited] == [120, 120, 120, 0]
    assert "only 0 min of the other activity cap was left" in credited[3][1]
    statement = hours_statement(tracker, "C-1")
    assert (statement.credited, statement.cap_left) == (360, 0)
    assert {m.module_id: m.state for m in statement.modules}["TF1"] == ACCEPTED


def test_adjustments_are_dated_entries_that_keep_the_cap_honest(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Hours cut and deadlines extended; a cut below what is credited is refused."""
    make_order(tracker, hours=100)
    issued = issue_some(tracker, tmp_path, ["WB1"])
    (result,) = checkin(tracker, [issued.modules[0].code], "fay")
    assert result.return_id
    mark(tracker, result.return_id, "accept", "fay", all_tried(tracker, "WB1"), 120)
    order = adjust_order(tracker, "C-1", "ana", "35% cut", date(2026, 11, 20), -35 * 60)
    assert order.minutes == 65 * 60 and order.ordered_minutes == 100 * 60
    assert hours_statement(tracker, "C-1").cap == 65 * 60 * 30 // 100
    order = adjust_order(
        tracker, "C-1", "ana", "extended", date(2026, 11, 20), new_deadline=date(2027, 8, 1)
    )
    assert order.deadline == "2027-08-01" and len(order.adjustments) == 2
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="can only be extended"):
        adjust_order(
            tracker, "C-1", "ana", "oops", date(2026, 11, 20), new_deadline=date(2027, 1, 1)
        )
    with pytest.raises(TrackerError, match="reverse a credit first"):
        adjust_order(tracker, "C-1", "ana", "too far", date(2026, 11, 20), -59 * 60)
    with pytest.raises(TrackerError, match="cannot lose"):
        adjust_order(tracker, "C-1", "ana", "all", date(2026, 11, 20), -65 * 60)
    with pytest.raises(TrackerError, match="needs a reason"):
        adjust_order(tracker, "C-1", "ana", " ", date(2026, 11, 20), -60)
    assert snapshot(tracker) == before


def test_a_reversal_is_a_new_entry_and_the_module_can_be_credited_again(
    tracker: Tracker, tmp_path: Path, clock: Clock
) -> None:
    """Corrections never edit the ledger; the statement is always its sum."""
    make_order(tracker)
    issued = issue_some(tracker, tmp_path, ["WB1"])
    code = issued.modules[0].code
    (first,) = checkin(tracker, [code], "fay")
    assert first.return_id
    marked = mark(tracker, first.return_id, "accept", "fay", all_tried(tracker, "WB1"), 100)
    assert marked.credit_id
    clock.advance(days=1)
    reversal = reverse_credit(tracker, marked.credit_id, "marked by mistake", "sam")
    assert reversal.minutes == -100 and reversal.reverses == marked.credit_id
    with pytest.raises(TrackerError, match="already reversed"):
        reverse_credit(tracker, marked.credit_id, "again", "sam")
    with pytest.raises(TrackerError, match="is itself a reversal"):
        reverse_credit(tracker, reversal.id, "undo", "sam")
    statement = hours_statement(tracker, "C-1")
    assert statement.credited == 0 and [r.minutes for r in statement.ledger] == [100, -100]
    (second,) = checkin(tracker, [code], "fay")
    assert second.status == RECORDED and second.return_id
    mark(tracker, second.return_id, "accept", "fay", all_tried(tracker, "WB1"), 90)
    assert hours_statement(tracker, "C-1").credited == 90


def test_records_from_a_newer_cpo_are_refused(db_url: str) -> None:
    """A database with a schema this version does not know is not touched."""
    with Database(db_url) as db, db.write() as tx:
        tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'x')")
    with pytest.raises(TrackerError, match="newer cpo \\(schema 99"):
        Database(db_url)


def test_a_locked_sqlite_file_is_reported_not_waited_on_forever(tmp_path: Path) -> None:
    """Another program holding the write lock gives a clear message."""
    path = tmp_path / "tracker.db"
    Database(str(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db = Database(str(path), wait_seconds=0.2)
        with pytest.raises(TrackerError, match="locked by another program"), db.write() as tx:
            tx.execute("INSERT INTO offices (code, name) VALUES ('x', 'X')")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_writer_waits_for_another_then_is_told(db_url: str) -> None:
    """Another writer holding the records: told after `wait_seconds`, on either engine."""
    with Database(db_url) as holder, holder.write() as held:
        held.execute("INSERT INTO offices (code, name) VALUES ('h', 'Held')")
        with Database(db_url, wait_seconds=0.2) as db:
            with pytest.raises(TrackerError, match="locked by another program"), db.write() as tx:
                tx.execute("INSERT INTO offices (code, name) VALUES ('x', 'X')")
            with db.read() as tx:  # reading is not held up
                assert tx.scalar("SELECT COUNT(*) FROM offices WHERE code = 'x'") == 0


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    path.write_bytes(b"this is a text file, not records\n" * 100)
    with pytest.raises(TrackerError, match="damaged or not a cpo database"):
        Database(str(path))


def test_the_office_wide_statements_agree_with_each_order(tracker: Tracker, tmp_path: Path) -> None:
    """The bulk statements used by reports give the same figures as `cpo hours`."""
    for n, hours in enumerate([20, 100, 250], start=1):
        make_order(tracker, f"C-{n}", hours=hours, extra_time=n == 2)
        issued = issue_some(tracker, tmp_path, ["WB1", "WB2", "TF1"], f"C-{n}")
        results = list(checkin(tracker, [m.code for m in issued.modules], "fay"))
        for module, result in zip(issued.modules[:2], results, strict=False):
            assert result.return_id
            mark(
                tracker,
                result.return_id,
                "accept",
                "fay",
                all_tried(tracker, module.module_id),
                130,
            )
    adjust_order(tracker, "C-3", "ana", "cut", date(2026, 11, 20), -60 * 60)
    bulk = all_statements(tracker)
    assert [s.order.reference for s in bulk] == ["C-1/1", "C-2/1", "C-3/1"]
    for each in bulk:
        assert each == hours_statement(tracker, each.order.reference)
    assert [s.credited for s in bulk] == [240, 260, 240]
    assert [s.order.reference for s in all_statements(tracker, office="north")] == [
        "C-1/1",
        "C-2/1",
        "C-3/1",
    ]


def test_the_key_is_owner_only_and_codes_say_nothing_about_the_person(
    tracker: Tracker, tmp_path: Path
) -> None:
    """The secret lives outside the records; payloads and codes are opaque."""
    keys = tmp_path / "data" / "keys"
    assert (keys.stat().st_mode & 0o777) == 0o700
    assert sorted((p.name, p.stat().st_mode & 0o777) for p in keys.iterdir()) == [
        ("audit.key", 0o600),  # the audit chain's key (issue 12)
        ("k1.key", 0o600),
    ]
    secret = (keys / "k1.key").read_text().strip()
    make_order(tracker, "C-1042")
    issued = issue_some(tracker, tmp_path, ["WB1", "WB2"], "C-1042")
    for module in issued.modules:
        for text in (module.payload, module.code):
            # (short strings like "WB1" could turn up by chance in random base32)
            for personal in ("C-1042", "Client", "Ana Lopez", "scotland", issued.number):
                assert personal.lower() not in text.lower()
        assert len(module.code) <= 14
    with tracker.db.read() as tx:
        dump = str(tx.all("SELECT * FROM tokens")) + str(tx.all("SELECT * FROM audit_log"))
    assert secret not in dump


def test_issue_with_html_writes_the_clients_own_bundle(
    tracker: Tracker, tmp_path: Path, real_pdfs: None
) -> None:
    """The offline version carries the same codes as the paper, and nobody else's."""
    make_order(tracker, "C-1")
    make_order(tracker, "C-2")
    issue_some(tracker, tmp_path, ["WB1"], "C-2")
    issued = issue(
        tracker, "C-1", "ana", module_ids=["WB1", "HC1"], html=True, out_root=tmp_path / "issues"
    )
    folder, archive = issued.folder / "html", issued.folder / "html.zip"
    assert (folder / "index.html").is_file() and archive.is_file()
    text = "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())
    for module in issued.modules:
        assert module.payload in text and module.code in text
    # As a word: a random nonce or code in the bundle may hold the letters "C-2".
    assert not names("C-2", text)


def test_a_return_waiting_on_an_older_copy_holds_the_module(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Found by the ledger's state machine: a credit reversed, the module issued again, the
    old copy sent in again and left waiting; the new copy must not make a second return."""
    make_order(tracker)
    first = issue_some(tracker, tmp_path, ["WB1"])
    code = first.modules[0].code
    taken = checkin_one(tracker, code, "fay")
    assert taken.return_id is not None
    tried = {a.id: True for a in tracker.course.module("WB1").activities}
    marked = mark(tracker, taken.return_id, "accept", "lee", tried, 60)
    assert marked.credit_id is not None
    reverse_credit(tracker, marked.credit_id, "credited to the wrong order", "lee")
    second = issue_some(tracker, tmp_path, ["WB1"])  # the module can be done again
    old_again = checkin_one(tracker, code, "fay")  # the old copy comes in; left waiting
    assert old_again.status == RECORDED
    new_copy = checkin_one(tracker, second.modules[0].code, "fay")
    assert new_copy.status == DUPLICATE and new_copy.return_id is None
    assert hours_statement(tracker, "C-1/1").modules[0].state == AWAITING
