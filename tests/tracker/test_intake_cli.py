"""`cpo intake` and `cpo evidence` as a facilitator uses them: the table, the codes, the exits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium

from tests.tracker.test_intake import as_pdf

READS_PDFS = True  # issued workbooks are rendered, printed and read back


def issued_pages(cpo, tmp_path: Path) -> tuple[dict[str, object], list[object]]:  # type: ignore[no-untyped-def]
    """A client with a workbook of WB1; the workbook (as JSON) and its first WB1 pages."""
    cpo("office", "add", "north", "--name", "North")
    cpo("client", "add", "C-1", "--name", "Alex", "--office", "north", "--case-worker", "Ana")
    cpo("order", "add", "C-1", "--jurisdiction", "scotland", "--hours", "100",
        "--made", "2026-11-02", "--deadline", "2027-05-01")  # fmt: skip
    issued = json.loads(cpo("issue", "C-1", "--modules", "WB1", "--json").output)
    document = pdfium.PdfDocument(issued["files"][0])
    pages = []
    for index in range(len(document)):
        text = document[index].get_textpage().get_text_range()
        if re.search(r"^WB1\s+·\s+Page \d+ of \d+\s*$", text, re.M):  # the footer
            pages.append(document[index].render(scale=200 / 72, grayscale=True).to_pil())
    return issued, pages


def test_intake_prints_a_table_and_the_returns_ready_to_mark(cpo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, pages = issued_pages(cpo, tmp_path)
    scan = as_pdf(pages[:3], tmp_path / "monday.pdf")
    (tmp_path / "notes.pdf").write_text("not a scan")

    result = cpo("intake", str(scan), "notes.pdf", ok=False)  # one file refused: exit 1

    out = result.output
    assert "monday.pdf: taken in as F1; 3 ours" in out
    assert "1     ours        C-1          WB1     1/" in out
    assert "Refused notes.pdf: this is a text file" in out
    assert "Ready for cpo mark:" in out and "R1: 3 of" in out and "missing pages 4-" in out
    again = cpo("intake", str(scan))  # already in: skipped, and not a failure
    assert "Skipped" in again.output and "already taken in" in again.output
    listed = cpo("mark").output
    assert "R1" in listed and "WB1" in listed
    shown = cpo("evidence", "show", "R1").output
    assert shown.count(".jpg") == 3 and "Missing: pages 4-" in shown


def test_an_unreadable_page_is_given_its_code_by_hand(cpo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issued, pages = issued_pages(cpo, tmp_path)
    torn = pages[1].crop((0, 0, pages[1].width, pages[1].height * 3 // 4))  # the foot torn off
    result = json.loads(cpo("intake", str(as_pdf([torn], tmp_path / "torn.pdf")), "--json").stdout)
    page = result["pages"][0]
    assert page["class"] == "unreadable" and page["page"] == "P1"
    code = issued["modules"][0]["code"]

    wrong = cpo("intake", "--code", "AAAA-BBBB-CCCC", "P1", ok=False)
    assert "Error:" in wrong.output
    coded = cpo("intake", "--code", code, "P1", "--number", "2")

    assert "P1: page 2 of WB1 for C-1" in coded.output and "new return R1" in coded.output
    assert "sorted as ours" in cpo("intake", "--code", code, "P1", ok=False).output
    usage = cpo("intake", "--code", code, "P1", "P2", ok=False)
    assert "give one page" in usage.output


def test_a_dry_run_changes_nothing_and_prune_deletes_on_time(cpo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, pages = issued_pages(cpo, tmp_path)
    scan = as_pdf(pages[:2], tmp_path / "scan.pdf")

    dry = cpo("intake", str(scan), "--dry-run").output

    assert "would be taken in" in dry and "would open a new return" in dry
    assert "Nothing is waiting" in cpo("mark").output
    taken = cpo("intake", str(scan)).output
    # PostgreSQL does not give back the number the dry run's return took.
    return_id = re.findall(r"new return (R\d+)", taken)[0]
    assert "Would delete 0 page images" in cpo("evidence", "prune", "--dry-run").output
    cpo(
        "mark",
        return_id,
        "--accept",
        "--tried",
        "all",
        "--minutes",
        "1h",
        "--pages-missing-ok",
        "--reason",
        "one page scanned",
    )
    assert "Deleted 2 page images and 0 answers" in cpo("evidence", "prune", "--days", "0").output
    assert "deleted" in cpo("evidence", "show", return_id).output
