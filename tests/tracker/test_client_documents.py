"""The client's statement shows what was sent back; the certificate names the office and
has lines to sign (issue 17)."""

from __future__ import annotations

from pathlib import Path

from tests.pdftools import page_texts
from tests.tracker.conftest import make_order
from tracker.checkins import checkin
from tracker.issuing import issue
from tracker.marking import mark
from tracker.report_pdf import render_certificate, render_statement
from tracker.reports import client_record
from tracker.tracker import Tracker

READS_PDFS = True


def test_the_statement_and_certificate(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "C-1")
    issued = issue(tracker, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=tmp_path)
    first, second = checkin(tracker, [m.code for m in issued.modules], "fay")
    assert first.return_id and second.return_id
    tried = {a.id: True for a in tracker.course.module("WB1").activities}
    mark(tracker, first.return_id, "accept", "fay", tried, 100)
    mark(tracker, second.return_id, "send-back", "fay", {}, feedback="Please try activity 3")

    record = client_record(tracker, "C-1")
    title = tracker.course.module("WB2").title
    (back,) = record.sent_back
    assert (back.module_id, back.title, back.feedback) == ("WB2", title, "Please try activity 3")
    assert record.office == "North"
    statement = " ".join(" ".join(page_texts(render_statement(record, tmp_path / "s.pdf"))).split())
    assert "To try again" in statement
    day = f"{tracker.today().day} {tracker.today():%B %Y}"
    assert f"WB2 {title}, sent back on {day}: Please try activity 3" in statement

    (page,) = page_texts(render_certificate(record, tmp_path / "c.pdf"))
    said = " ".join(page.split())
    assert "Office: North." in said
    assert "Signed: Name: Role: Date:" in said
    assert "WB2" not in said  # sent back is not finished


def test_nothing_sent_back_says_nothing_about_it(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker, "C-1")
    issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path)
    record = client_record(tracker, "C-1")
    assert record.sent_back == ()
    assert "try again" not in " ".join(page_texts(render_statement(record, tmp_path / "s.pdf")))
