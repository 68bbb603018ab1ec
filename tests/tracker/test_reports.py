"""Reports for case workers, on SQLite and on PostgreSQL: figures, golden CSVs, PDFs."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pikepdf
import pytest

from tests.pdftools import page_texts
from tests.tracker.conftest import ADMIN_PASSWORD, Clock, make_order, staff_account
from tests.tracker.seed import seed
from tracker.accounts import Role, actor_for
from tracker.checkins import checkin
from tracker.errors import NotFound, TrackerError
from tracker.issuing import issue
from tracker.ledger import (
    ACCEPTED,
    AWAITING,
    CREDITED,
    ISSUED,
    NOT_ISSUED,
    REFUSED,
    SENT_BACK,
    hours_statement,
)
from tracker.marking import mark
from tracker.people import add_office, update_client
from tracker.report_pdf import CHART_TITLE, render_certificate, render_statement, render_weekly
from tracker.reports import (
    CSV_COLUMNS,
    LEDGER_COLUMNS,
    OVERDUE_COLUMNS,
    RETURNED,
    as_csv,
    audit_fingerprint,
    client_record,
    export_ledger,
    overdue_items,
    weekly_report,
    weekly_report_from_statements,
)
from tracker.tracker import Tracker

GOLDEN = Path(__file__).parent / "golden"
JUSTICE = re.compile(
    r"court|order|offend|probation|community payback|sentence|punish|justice|unpaid", re.I
)


def all_tried(t: Tracker, module_id: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module_id).activities}


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: --update-golden"


def a_month(t: Tracker, clock: Clock, tmp_path: Path) -> None:
    """Three clients in north (two case workers) and one in south, over five weeks.

    C-1 returns two modules: one credited, one refused. C-2 returns nothing and is
    overdue. C-3 (Ben's) is credited in the last week. C-9 is in another office.
    """
    for ref in ("C-1", "C-2", "C-3"):
        make_order(t, ref)
    make_order(t, "C-9", office="south")
    update_client(t, "C-3", "tester", case_worker="Ben Okafor")
    out = tmp_path / "issues"
    one = issue(t, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=out)
    issue(t, "C-2", "ana", module_ids=["WB1", "WB2"], out_root=out)
    first, second = checkin(t, [m.code for m in one.modules], "fay")
    assert first.return_id and second.return_id
    staff_account(t, "fay", Role.FACILITATOR, ["north", "south"])
    admin, t.actor = t.actor, actor_for(t, "fay")  # she marks: her account is the approver
    mark(t, first.return_id, "accept", "Fay Marker", all_tried(t, "WB1"), 110)
    mark(t, second.return_id, "refuse", "Fay Marker", {}, reason="The pages were blank")
    t.actor = admin
    clock.advance(days=35)  # Monday 28 December 2026: C-2's workbook was due on the 21st
    three = issue(t, "C-3", "ana", module_ids=["WB1"], out_root=out)
    (back,) = checkin(t, [three.modules[0].code], "fay")
    assert back.return_id
    t.actor = actor_for(t, "fay")
    mark(t, back.return_id, "accept", "Fay Marker", all_tried(t, "WB1"), 120)
    t.actor = admin


def test_the_weekly_report_by_case_worker(
    tracker: Tracker, clock: Clock, tmp_path: Path, update_golden: bool
) -> None:
    """Per order: hours, module counts with reasons, overdue items, flags; a golden CSV."""
    a_month(tracker, clock, tmp_path)
    report = weekly_report(tracker, "north")
    assert report.week_start == date(2026, 12, 28)
    assert [(w, [line.order for line in lines]) for w, lines in report.by_case_worker()] == [
        ("Ana Lopez", ["C-1/1", "C-2/1"]),
        ("Ben Okafor", ["C-3/1"]),
    ]
    c1, c2, c3 = report.lines
    assert (c1.credited_week_minutes, c1.credited_to_date_minutes) == (0, 110)
    assert (c1.returned, c1.accepted, c1.refused) == (2, 1, 1)
    assert c1.refused_reasons == "WB2: The pages were blank"
    assert (c2.issued, c2.returned, c2.overdue) == (2, 0, 2)
    assert "nothing returned for 35 days" in c2.flags
    assert (c3.credited_week_minutes, c3.allowance_left_minutes) == (120, 1680)
    assert report.weekly_minutes[-1] == (date(2026, 12, 28), 120)
    assert report.weekly_minutes[-6] == (date(2026, 11, 23), 110)
    assert re.fullmatch(r"\d+:[0-9a-f]{16}", report.audit)  # the chain's head, printed
    text = as_csv(report.lines, CSV_COLUMNS, report.audit)
    assert "Client C-" not in text  # people by reference, never by name
    assert text.splitlines()[1].endswith("," + report.audit)
    check_golden("weekly.csv", text.replace(report.audit, "FINGERPRINT"), update_golden)
    earlier = weekly_report(tracker, "north", date(2026, 11, 25))
    assert earlier.week_start == date(2026, 11, 23)
    assert earlier.lines[0].credited_week_minutes == 110
    assert earlier.lines[2].credited_to_date_minutes == 0  # C-3's credit came later


def test_overdue_and_export(
    tracker: Tracker, clock: Clock, tmp_path: Path, update_golden: bool
) -> None:
    """The overdue list names what to follow up; the export is the ledger in a range."""
    a_month(tracker, clock, tmp_path)
    items = overdue_items(tracker)
    assert [(i.client, i.module, i.days_overdue) for i in items] == [
        ("C-2", "WB1", 7),
        ("C-2", "WB2", 7),
    ]
    text = as_csv(items, OVERDUE_COLUMNS).replace(items[0].workbook, "WORKBOOK")  # random
    check_golden("overdue.csv", text, update_golden)
    assert overdue_items(tracker, "south") == []
    rows = export_ledger(tracker, date(2026, 11, 1), date(2026, 12, 31))
    assert [(r.order, r.minutes) for r in rows] == [("C-1/1", 110), ("C-3/1", 120)]
    assert [r.order for r in export_ledger(tracker, date(2026, 12, 28), date(2026, 12, 28))] == [
        "C-3/1"
    ]
    printed = audit_fingerprint(tracker)
    text = as_csv(rows, LEDGER_COLUMNS, printed).replace(printed, "FINGERPRINT")
    check_golden("export.csv", text, update_golden)
    with pytest.raises(TrackerError, match="ends"):
        export_ledger(tracker, date(2026, 12, 2), date(2026, 12, 1))


def test_bad_input_is_explained(tracker: Tracker, clock: Clock) -> None:
    """Unknown office or client, a future week: errors. An empty office: an empty report."""
    make_order(tracker, "C-1")
    add_office(tracker, "empty", "Empty", "tester")
    with pytest.raises(NotFound, match=r"no office 'nroth'.*north"):
        weekly_report(tracker, "nroth")
    with pytest.raises(NotFound, match="no office"):
        overdue_items(tracker, "nowhere")
    with pytest.raises(NotFound, match="no client"):
        client_record(tracker, "C-404")
    with pytest.raises(TrackerError, match="has not started"):
        weekly_report(tracker, None, date(2026, 12, 1))
    empty = weekly_report(tracker, "empty")
    assert empty.lines == () and sum(m for _, m in empty.weekly_minutes) == 0
    assert as_csv(empty.lines, CSV_COLUMNS) == ",".join(CSV_COLUMNS) + "\n"


def test_the_pdfs_read_plainly(tracker: Tracker, clock: Clock, tmp_path: Path) -> None:
    """The weekly PDF has its chart and no names; the client's own one-page documents
    have their name and say nothing on the front about why they did the course."""
    a_month(tracker, clock, tmp_path)
    made = weekly_report(tracker, "north")
    weekly = render_weekly(made, tmp_path / "weekly.pdf")
    text = "\n".join(page_texts(weekly))
    assert f"Audit fingerprint {made.audit}" in text
    assert "Case worker: Ana Lopez" in text and "Case worker: Ben Okafor" in text
    assert "C-2/1" in text and "nothing returned for 35 days" in text
    assert CHART_TITLE in text and "28 Dec" in text  # the chart, with its week labels
    assert "Client C-" not in text
    with pikepdf.open(weekly) as pdf:
        ops = [op for _, op in pikepdf.parse_content_stream(pdf.pages[0])]
    assert ops.count(pikepdf.Operator("re")) >= 2  # a bar for each of the two weeks credited
    empty = render_weekly(weekly_report(tracker, "south"), tmp_path / "south.pdf")
    assert "C-9/1" in "\n".join(page_texts(empty))

    record = client_record(tracker, "C-1")
    for render, title in (
        (render_statement, "learning record"),
        (render_certificate, "Certificate"),
    ):
        pages = page_texts(render(record, tmp_path / f"{title}.pdf"))
        assert len(pages) == 1
        assert title in pages[0] and "Client C-1" in pages[0]
        assert "Looking after" in pages[0]  # WB1's title (a table cell may wrap it)
        assert "1 hour 50 minutes" in pages[0] and "fay" in pages[0]
        assert "23 November 2026" in pages[0]
        assert not JUSTICE.search(pages[0]), JUSTICE.search(pages[0])
    assert f"Record check: {record.audit}" in page_texts(tmp_path / "learning record.pdf")[0]
    nothing = client_record(tracker, "C-2")
    assert (
        "not finished a module yet" in page_texts(render_statement(nothing, tmp_path / "n.pdf"))[0]
    )
    with pytest.raises(TrackerError, match="nothing to certify"):
        render_certificate(nothing, tmp_path / "c.pdf")


@pytest.mark.slow  # a large corpus, or real cpo processes killed
def test_an_office_of_2000_reconciles_with_hours(tracker: Tracker) -> None:
    """Every figure in the weekly report is the figure `cpo hours` gives for that order."""
    seed(tracker, {"east": 2000, "west": 50}, modules=(0, 15))
    today = tracker.today()
    report = weekly_report(tracker, "east")
    assert len(report.lines) == 2000
    with tracker.db.read() as tx:
        due = {
            r["reference"]: r["due_on"]
            for r in tx.all(
                "SELECT c.reference, w.due_on FROM workbooks w JOIN clients c ON c.id = w.client_id"
                " WHERE w.revoked_at IS NULL"
            )
        }
    week = report.week_start.isoformat()
    for line in report.lines:
        s = hours_statement(tracker, line.order)
        states = [m.state for m in s.modules]
        out = states.count(ISSUED)
        assert (line.ordered_minutes, line.cap_minutes, line.deadline) == (
            s.order.minutes,
            s.cap,
            s.order.deadline,
        )
        assert line.credited_to_date_minutes == s.credited
        assert line.allowance_left_minutes == s.cap_left
        assert line.credited_week_minutes == sum(
            r.minutes for r in s.ledger if r.created_at[:10] >= week
        )
        assert line.issued == sum(state != NOT_ISSUED for state in states)
        assert line.returned == sum(state in RETURNED for state in states)
        assert line.accepted == sum(state in (CREDITED, ACCEPTED) for state in states)
        assert line.awaiting_marking == states.count(AWAITING)
        assert (line.sent_back, line.refused) == (states.count(SENT_BACK), states.count(REFUSED))
        assert line.refused_reasons.count(":") == line.refused
        overdue = out if line.client in due and due[line.client] < today.isoformat() else 0
        assert line.overdue == overdue
        assert ("allowance used" in line.flags) == (s.cap_left == 0)
    assert sum(line.credited_week_minutes for line in report.lines) == report.weekly_minutes[-1][1]
    assert sum(line.overdue for line in report.lines) == len(overdue_items(tracker, "east"))
    assert {line.case_worker for line in report.lines} == {f"Worker {n:02d}" for n in range(37)}


def test_the_commands(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cpo report weekly/overdue`, `statement`, `certificate`, `export` end to end."""
    from click.testing import CliRunner

    from cpo.cli import cli
    from tests.conftest import SHIPPED_COURSE

    monkeypatch.setenv("CPO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CPO_USER", "fay")
    monkeypatch.setenv("CPO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CPO_CONTENT", str(SHIPPED_COURSE))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def cpo(*args: str, ok: bool = True, stdin: str | None = None) -> str:
        result = runner.invoke(cli, list(args), input=stdin)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.output
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    today = date.today()
    cpo("init", "--database", db_url)
    cpo("office", "add", "north", "--name", "North")
    cpo("client", "add", "C-1", "--name", "Alex Smith", "--office", "north", "--case-worker", "Ana")
    made = (today - timedelta(days=10)).isoformat()
    deadline = (today + timedelta(days=100)).isoformat()
    cpo("order", "add", "C-1", "--jurisdiction", "scotland", "--hours", "100", "--made", made,
        "--deadline", deadline)  # fmt: skip
    issued = json.loads(cpo("issue", "C-1", "--modules", "WB1,WB2", "--json"))
    cpo("checkin", stdin=issued["modules"][0]["code"] + "\n")
    cpo("mark", "R1", "--accept", "--tried", "all", "--minutes", "1h50")
    out = cpo("report", "weekly", "--office", "north", "--csv", "w.csv", "--pdf", "w.pdf")
    assert "C-1/1" in out and "Alex" not in out
    assert Path("w.csv").read_text().splitlines()[1].startswith("Ana,C-1,C-1/1,north")
    assert CHART_TITLE in "\n".join(page_texts(Path("w.pdf")))
    assert (
        json.loads(cpo("report", "weekly", "--json"))["clients"][0]["credited_week_minutes"] == 110
    )
    assert "Nothing is overdue" in cpo("report", "overdue")
    cpo("statement", "C-1")
    cpo("certificate", "C-1", "--output", "cert.pdf")
    assert "Alex Smith" in page_texts(Path("cert.pdf"))[0]
    assert Path("output/C-1-statement.pdf").is_file()
    ledger = json.loads(
        cpo("export", "--from", made, "--to", today.isoformat(), "--format", "json")
    )
    assert [(r["order"], r["minutes"]) for r in ledger] == [("C-1/1", 110)]
    assert "Error: no office 'nroth'" in cpo("report", "weekly", "--office", "nroth", ok=False)
    future = (today + timedelta(days=8)).isoformat()
    assert "has not started" in cpo("report", "weekly", "--week", future, ok=False)
    assert "Error: no client" in cpo("statement", "C-404", ok=False)


@pytest.mark.slow  # a large corpus, or real cpo processes killed
def test_the_sql_report_is_the_statements_report(tracker: Tracker, clock: Clock) -> None:
    """Counted by the database in one snapshot, the report equals the one built from statements.

    The seed holds every state, reissued and revoked modules, reversals and refusals.
    """
    seed(tracker, {"east": 300, "west": 30}, modules=(0, 15))
    for office in ("east", None):
        for week in (None, tracker.today() - timedelta(weeks=3)):
            counted = weekly_report(tracker, office, week)
            built = weekly_report_from_statements(tracker, office, week)
            assert counted == built
    assert any(line.refused_reasons for line in counted.lines)
    assert any(figure for _, figure in counted.weekly_minutes)
