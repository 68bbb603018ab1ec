"""England and Wales: only ETE modules, credited only once the practitioner agreed; help by region.

Every test runs on SQLite and on PostgreSQL (the `tracker` fixture).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from builder.course import CountsAs
from builder.regions import Region
from tests.pdftools import page_texts
from tests.tracker.conftest import Clock, make_order, snapshot
from tracker.checkins import checkin_one
from tracker.errors import AgreementNeeded, NotEligible, TrackerError
from tracker.ete import agree
from tracker.issuing import issue
from tracker.ledger import hours_statement
from tracker.marking import mark
from tracker.orders import find_order
from tracker.people import add_office, update_client
from tracker.tracker import Tracker


def returned(t: Tracker, tmp_path: Path, client: str, modules: list[str]) -> list[int]:
    """Issue the modules to the client and check each one in; the return numbers."""
    issued = issue(t, client, "ana", module_ids=modules, out_root=tmp_path / "issues")
    ids = [checkin_one(t, m.code, "fay").return_id for m in issued.modules]
    assert all(ids)
    return [i for i in ids if i is not None]


def accept(t: Tracker, return_id: int, module_id: str, minutes: int = 120) -> int:
    tried = {a.id: True for a in t.course.module(module_id).activities}
    return mark(t, return_id, "accept", "fay", tried, minutes).credited


def test_england_and_wales_is_issued_ete_modules_only(tracker: Tracker, tmp_path: Path) -> None:
    """Issuing offers only ETE modules; asking for another is refused and records nothing."""
    make_order(tracker, "E-1", hours=300, jurisdiction="england-wales")
    before = snapshot(tracker)
    with pytest.raises(NotEligible, match="WB1 cannot count on order E-1/1") as refused:
        issue(tracker, "E-1", "ana", module_ids=["WM1", "WB1"], out_root=tmp_path)
    assert refused.value.field == "module" and refused.value.module_id == "WB1"
    assert "only ETE" in refused.value.reason
    assert snapshot(tracker) == before
    chosen = issue(tracker, "E-1", "ana", out_root=tmp_path).modules
    ete = [m.id for m in tracker.course.modules if m.counts(CountsAs.ETE)]
    assert [m.module_id for m in chosen] == ete  # a 90 h cap: every ETE module fits
    with pytest.raises(TrackerError, match="every education, training and employment module"):
        issue(tracker, "E-1", "ana", out_root=tmp_path)


def test_ete_is_credited_only_after_the_practitioner_agreed(
    tracker: Tracker, tmp_path: Path, clock: Clock
) -> None:
    """Accepting before agreement is refused with the reason; after it, the module counts."""
    make_order(tracker, "E-1", jurisdiction="england-wales")
    (wm1,) = returned(tracker, tmp_path, "E-1", ["WM1"])
    before = snapshot(tracker)
    with pytest.raises(AgreementNeeded, match="cpo order agree E-1/1") as refused:
        accept(tracker, wm1, "WM1")
    assert refused.value.field == "agreement"
    assert snapshot(tracker) == before
    clock.advance(days=1)
    done = agree(tracker, "E-1/1", "Pat Lee", "ana", date(2026, 11, 23))
    # recorded by the acting account, whatever name is passed: the record names an account
    assert (done.agreed_by, done.agreed_on, done.recorded_by) == ("Pat Lee", "2026-11-23", "tester")
    assert accept(tracker, wm1, "WM1") == 120
    assert hours_statement(tracker, "E-1/1").credited == 120
    with tracker.db.read() as tx:
        row = tx.one("SELECT * FROM audit_log WHERE action = 'order.agree'")
    assert row is not None and row["subject"] == "E-1/1" and "Pat Lee" in row["details"]


def test_scotland_is_unchanged(tracker: Tracker, tmp_path: Path) -> None:
    """A Scottish order takes any module, credits without agreement, and has none to record."""
    make_order(tracker, "S-1")
    wb1, wm1 = returned(tracker, tmp_path, "S-1", ["WB1", "WM1"])
    assert accept(tracker, wb1, "WB1") == 120 and accept(tracker, wm1, "WM1") == 120
    with pytest.raises(TrackerError, match="needs no agreement"):
        agree(tracker, "S-1", "Pat Lee", "ana")


@pytest.mark.parametrize(
    ("who", "on", "why"),
    [
        ("", date(2026, 11, 20), "--by is empty"),
        ("x" * 101, date(2026, 11, 20), "is longer than 100"),
        ("Pat Lee", date(2026, 12, 1), "in the future"),
        ("Pat Lee", date(2026, 10, 1), "before the order was made"),
    ],
)
def test_a_bad_agreement_is_refused_and_changes_nothing(
    tracker: Tracker, who: str, on: date, why: str
) -> None:
    make_order(tracker, "E-1", jurisdiction="england-wales")
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match=why):
        agree(tracker, "E-1", who, "ana", on)
    assert snapshot(tracker) == before


def test_agreement_is_recorded_once(tracker: Tracker) -> None:
    make_order(tracker, "E-1", jurisdiction="england-wales")
    agree(tracker, "E-1", "Pat Lee", "ana", date(2026, 11, 20))
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="already agreed by Pat Lee on 2026-11-20"):
        agree(tracker, "E-1", "Sam Roe", "ana")
    assert snapshot(tracker) == before


# The cap, in each jurisdiction, with an office's own settings and a mixed history: a
# non-ETE credit recorded before the rule (as older versions did), then ETE credits.
# (jurisdiction, hours, office percent, office ceiling h, credit before the rule, credits)
CAP_TABLE = [
    ("scotland", 100, None, None, None, [120, 120, 120]),  # cap 30 h
    ("scotland", 20, None, None, None, [120, 120, 120]),  # cap 6 h: just fits
    ("scotland", 20, 25, None, None, [120, 120, 60]),  # office 25 %: 5 h
    ("england-wales", 40, None, None, None, [120, 120, 120]),  # cap 12 h
    ("england-wales", 40, None, None, 600, [120, 0, 0]),  # 10 h before the rule: 2 h left
    ("england-wales", 45, None, None, 120, [120, 120, 120]),  # 13 h 30 min
    ("england-wales", 100, 5, None, 120, [120, 60, 0]),  # office 5 %: 5 h, 2 h used before
    ("england-wales", 300, None, 4, 60, [120, 60, 0]),  # office ceiling 4 h, 1 h before
]


@pytest.mark.parametrize(
    ("jurisdiction", "hours", "percent", "ceiling", "before_rule", "credits"), CAP_TABLE
)
def test_cap_table(
    tracker: Tracker,
    tmp_path: Path,
    jurisdiction: str,
    hours: int,
    percent: int | None,
    ceiling: int | None,
    before_rule: int | None,
    credits: list[int],
) -> None:
    """Each module earns the least of declared, guided and what the cap has left."""
    add_office(tracker, "own", "Own", "tester", percent, ceiling * 60 if ceiling else None)
    order = make_order(tracker, "C-1", hours, jurisdiction, office="own")
    if before_rule:  # a WB1 credit from before only ETE counted: it stays, and counts
        with tracker.db.write() as tx:
            tx.execute(
                "INSERT INTO credits (order_id, module_id, minutes, generation, approver,"
                " reason, created_at) VALUES (?, 'WB1', ?, 1, 'old', 'before the rule', ?)",
                (order.id, before_rule, "2026-11-02T10:00:00+00:00"),
            )
    if jurisdiction == "england-wales":
        agree(tracker, "C-1", "Pat Lee", "ana")
    got = [
        accept(tracker, r, m, declared)
        for r, m, declared in zip(
            returned(tracker, tmp_path, "C-1", ["WM1", "WM2", "WM3"]),
            ["WM1", "WM2", "WM3"],
            [120, 120, 200],
            strict=True,
        )
    ]
    statement = hours_statement(tracker, "C-1")
    assert got == credits
    assert statement.credited == (before_rule or 0) + sum(got)
    assert statement.credited <= statement.cap


def test_a_non_ete_module_from_before_the_rule_cannot_be_credited_now(
    tracker: Tracker, tmp_path: Path
) -> None:
    """A workbook issued under the old rule: its non-ETE module is refused at marking."""
    order = make_order(tracker, "E-1", jurisdiction="england-wales")
    with tracker.db.write() as tx:  # as an older version issued it
        tx.execute("UPDATE orders SET jurisdiction = 'scotland' WHERE id = ?", (order.id,))
    (wb1,) = returned(tracker, tmp_path, "E-1", ["WB1"])
    with tracker.db.write() as tx:
        tx.execute("UPDATE orders SET jurisdiction = 'england-wales' WHERE id = ?", (order.id,))
    agree(tracker, "E-1", "Pat Lee", "ana")
    before = snapshot(tracker)
    with pytest.raises(NotEligible, match="WB1 cannot count"):
        accept(tracker, wb1, "WB1")
    assert snapshot(tracker) == before
    refused = mark(tracker, wb1, "refuse", "fay", {}, reason="Not ETE: agreed with Pat Lee")
    assert refused.credited == 0


def test_an_england_and_wales_client_needs_england_or_wales(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Issuing says how to record where the client lives, and records nothing until then."""
    make_order(tracker, "E-1", jurisdiction="england-wales", region=Region.SCOTLAND)
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="cpo client set E-1 --region"):
        issue(tracker, "E-1", "ana", module_ids=["WM1"], out_root=tmp_path)
    assert snapshot(tracker) == before
    update_client(tracker, "E-1", "ana", region=Region.WALES)
    assert issue(tracker, "E-1", "ana", module_ids=["WM1"], out_root=tmp_path).modules


@pytest.mark.parametrize(
    ("jurisdiction", "region", "shown", "not_shown"),
    [
        ("scotland", None, ["My World of Work", "Apex Scotland"], ["National Careers", "Unlock"]),
        ("england-wales", Region.ENGLAND, ["National Careers Service"], ["My World of Work"]),
        ("england-wales", Region.WALES, ["Careers Wales"], ["National Careers", "My World"]),
    ],
)
def test_a_workbook_names_the_help_where_the_client_lives(
    tracker: Tracker,
    real_pdfs: None,
    tmp_path: Path,
    jurisdiction: str,
    region: Region | None,
    shown: list[str],
    not_shown: list[str],
) -> None:
    """Read back from the printed PDF: the client's own region's services, and no other's."""
    make_order(tracker, "C-1", jurisdiction=jurisdiction, region=region)
    issued = issue(tracker, "C-1", "ana", module_ids=["WM2"], out_root=tmp_path)
    text = " ".join(" ".join(page_texts(issued.folder / "workbook.pdf")).split())
    for name in shown:
        assert name in text
    for name in not_shown:
        assert name not in text
    assert "[[" not in text and "Counts as" not in text  # resolved; no staff notes
    with tracker.db.read() as tx:
        version = tx.scalar("SELECT content_version FROM workbooks")
        order = find_order(tx, "C-1")
    assert version != tracker.course.version and order.jurisdiction == jurisdiction


def test_the_command_line_records_region_and_agreement(cpo) -> None:  # type: ignore[no-untyped-def]
    """As a case worker types it: one clear line for each mistake, then the agreement."""
    cpo("office", "add", "cardiff", "--name", "Cardiff")
    add = ["client", "add", "E-7", "--name", "Sam", "--office", "cardiff", "--case-worker", "Pat"]
    bad = cpo(*add, "--region", "walse", ok=False)
    assert "Invalid value for '--region'" in bad.output and bad.exit_code == 2
    cpo(*add, "--region", "wales")
    assert "region: Wales" in cpo("client", "show", "E-7").output
    dates = ["--made", "2026-11-02", "--deadline", "2027-11-01"]
    cpo("order", "add", "E-7", "--jurisdiction", "england-wales", "--hours", "60", *dates)
    assert "ETE not agreed yet" in cpo("hours", "E-7").output
    early = cpo("order", "agree", "E-7/1", "--by", "Pat Lee", "--date", "2026-10-01", ok=False)
    assert early.output.startswith("Error: 2026-10-01 is before the order was made")
    done = cpo("order", "agree", "E-7/1", "--by", "Pat Lee", "--date", "2026-11-20")
    assert "Pat Lee agreed ETE work on E-7/1 on 2026-11-20" in done.output
    assert "ETE agreed by Pat Lee on 2026-11-20" in cpo("hours", "E-7").output
    data = json.loads(cpo("hours", "E-7", "--json").output)
    assert data["ete_agreement"]["agreed_by"] == "Pat Lee"
    again = cpo("order", "agree", "E-7/1", "--by", "Sam Roe", ok=False)
    assert "already agreed by Pat Lee on 2026-11-20" in again.output
    refused = cpo("issue", "E-7", "--modules", "WB1", ok=False)
    assert "WB1 cannot count on order E-7/1" in refused.output
    cpo("client", "set", "E-7", "--region", "england")
    assert "region: England" in cpo("client", "show", "E-7").output
