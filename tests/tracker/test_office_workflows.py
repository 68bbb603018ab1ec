"""Issue 17, end to end through the command line: an office's fortnight, on both engines.

Import a 200-row caseload export (10 bad rows), batch-issue an office into one print
run, take returns in, send one back with a letter, print that module again and check it
in, correct a name and see it on the certificate.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest

from tests.tracker.caseload import SMALL_EVERY, caseload

READS_PDFS = True


def text_of(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """The text of a PDF (or of pages first..last), as pdftotext reads it."""
    pages = [] if first is None else ["-f", str(first), "-l", str(last or first)]
    done = subprocess.run(
        ["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, check=True
    )
    return " ".join(done.stdout.decode().split())


@pytest.mark.slow  # ~2.3 s of CPU: a fortnight of cpo commands; each step has a quick test
def test_an_office_fortnight(cpo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for code in ("north", "south", "east"):
        cpo("office", "add", code, "--name", f"{code.title()} team")
    cpo("office", "set", "east", "--return-address", "Learning Team, PO Box 12, Ayr, KA7 1AA")
    data, bad = caseload(200, 10)
    export = tmp_path / "caseload.csv"
    export.write_bytes(data)

    # Import: every bad row named by line and field, the rest in; again, nothing changes.
    first = cpo("import", str(export), "--preset", "carefirst", ok=False)
    assert "Error: 10 of 200 rows refused" in first.output
    assert "190 added, 0 updated, 0 unchanged, 10 refused" in first.output
    for line, field in bad.items():
        assert re.search(rf"line {line} .* refused +{field}: ", first.output), (line, field)
    again = cpo("import", str(export), "--preset", "carefirst", ok=False)
    assert "0 added, 0 updated, 190 unchanged, 10 refused" in again.output
    east = json.loads(cpo("client", "list", "--office", "east", "--json").output)
    assert len(east) == 200 // SMALL_EVERY and all("address" not in c for c in east)

    # One print run for the East team: each letter and workbook starts on a right-hand page.
    run = json.loads(cpo("issue-batch", "--office", "east", "--json", "--workers", "1").output)
    path = Path(run["print_run"])
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == run["pages"] and run["pages"] % 2 == 0
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(rf"Pages:\s+{run['pages']}\b", info.stdout)
    cover = text_of(path, 1)
    assert "Print run for east" in cover and f"{len(east)} clients" in cover
    for item in run["clients"]:
        assert item["first_page"] % 2 == 1
        assert item["modules"] == ["WB1", "WB2", "WB3"]  # the office's default: the next 3
        folder = Path(item["folder"])
        with (
            pikepdf.open(folder / "letter.pdf") as letter,
            pikepdf.open(folder / "workbook.pdf") as book,
        ):
            letter_pages, book_pages = len(letter.pages), len(book.pages)
        book_start = item["first_page"] + letter_pages + letter_pages % 2
        assert book_start % 2 == 1
        assert item["sheets"] == (letter_pages + 1) // 2 + (book_pages + 1) // 2
        assert "Here is your workbook" in text_of(path, item["first_page"])
        assert item["workbook"] in text_of(path, book_start, book_start + 1)
        assert item["client"] in cover
    last = run["clients"][-1]
    assert run["pages"] == last["first_page"] - 1 + 2 * last["sheets"]

    # Returns come in; one is sent back with a letter naming what to try again.
    who = run["clients"][0]
    book = json.loads(cpo("workbook", "show", who["workbook"], "--json").output)
    codes = {m["module_id"]: m["code"] for m in book["modules"]}
    cpo("checkin", codes["WB1"], codes["WB2"])
    sent = cpo(
        "mark", "R1", "--send-back", "--tried", "WB1-1,WB1-2", "--feedback", "Have a go at 3."
    )
    letter = Path(re.search(r"Wrote (\S+\.pdf)", sent.output)[1])  # type: ignore[index]
    words = text_of(letter)
    assert "Please have another go at these parts" in words and "3. My strengths" in words
    assert codes["WB1"] in words and "Have a go at 3." in words
    assert "PO Box 12" in words and "High Street" in words
    shown = cpo("workbook", "list", who["client"]).output
    assert "WB1" in shown and "sent back" in shown
    assert cpo("letter", "send-back", "R1").output.startswith("Wrote ")

    # Issuing WB1 again is refused with the way to print it; that prints it with its code.
    refused = cpo("issue", who["client"], "--modules", "WB1", ok=False)
    assert f"cpo workbook print {who['workbook']} --module WB1" in refused.output
    cpo("workbook", "print", who["workbook"], "--module", "WB1")
    again_pdf = Path("output/issues") / f"{who['workbook']}-WB1" / "workbook.pdf"
    assert codes["WB1"] in text_of(again_pdf) and codes["WB2"] not in text_of(again_pdf)
    assert "Recorded" in cpo("checkin", codes["WB1"]).output
    cpo("mark", "R3", "--accept", "--tried", "all", "--minutes", "1h50")
    states = {
        m["module_id"]: m["state"]
        for m in json.loads(cpo("workbook", "show", who["workbook"], "--json").output)["modules"]
    }
    assert states == {
        "WB1": "credited",
        "WB2": "waiting to be marked",
        "WB3": "issued, not returned",
    }

    # A misspelt name is corrected, and the certificate shows the new one.
    cpo("client", "set", who["client"], "--name", "Alexandra Smythe")
    cpo("certificate", who["client"], "--output", "cert.pdf")
    assert "Alexandra Smythe" in text_of(Path("cert.pdf"))
    assert "The audit log is whole" in cpo("audit", "verify").output
