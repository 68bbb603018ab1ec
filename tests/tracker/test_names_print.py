"""Names in any script print as themselves on letters, statements and certificates (issue 12).

Read back by pdftotext, with the fallback font embedded only when a name needs it.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from tests.pdftools import fonts, page_texts
from tests.tracker.conftest import make_order
from tracker.checkins import checkin
from tracker.issuing import issue
from tracker.marking import mark
from tracker.orders import add_order
from tracker.people import add_client
from tracker.report_pdf import render_certificate, render_statement
from tracker.reports import client_record
from tracker.tracker import Tracker

NAMES = {"C-2": "Wáng 王小明", "C-3": "محمد الأحمد"}

READS_PDFS = True  # issued workbooks are rendered, printed and read back


def read(pdf: Path) -> str:
    """The page's text as a reader copies it: Arabic's letter shapes back to letters."""
    text = "\n".join(page_texts(pdf))
    return unicodedata.normalize("NFKC", text).replace("\u202b", "").replace("\u202c", "")


def credited(t: Tracker, reference: str, name: str, out: Path) -> Path:
    add_client(t, reference, name, "north", "Ana Lopez", "t")
    add_order(t, reference, "scotland", 6000, date(2026, 11, 2), date(2027, 5, 1), "t")
    issued = issue(t, reference, "ana", module_ids=["WB1"], out_root=out)
    (back,) = checkin(t, [issued.modules[0].code], "fay")
    assert back.return_id
    tried = {a.id: True for a in t.course.module("WB1").activities}
    mark(t, back.return_id, "accept", "fay", tried, 90)
    return out / issued.number / "letter.pdf"


@pytest.mark.parametrize("reference", list(NAMES))
def test_a_name_in_another_script_comes_back_as_text(
    tracker: Tracker, tmp_path: Path, reference: str
) -> None:
    make_order(tracker)  # the office, and a client with a Latin name
    name = NAMES[reference]
    letter = credited(tracker, reference, name, tmp_path / "issues")
    record = client_record(tracker, reference)
    statement = render_statement(record, tmp_path / "statement.pdf")
    certificate = render_certificate(record, tmp_path / "certificate.pdf")
    for pdf in (letter, statement, certificate):
        assert name in read(pdf), (pdf.name, read(pdf))
        embedded = [font for font, emb in fonts(pdf) if "Noto" in font]
        assert embedded and all(emb for font, emb in fonts(pdf) if "Noto" in font), fonts(pdf)


def test_a_latin_name_embeds_no_fallback(tracker: Tracker, tmp_path: Path) -> None:
    make_order(tracker)
    letter = credited(tracker, "C-4", "Siân Ní Bhriain", tmp_path / "issues")
    assert "Siân Ní Bhriain" in read(letter)
    assert not [font for font, _ in fonts(letter) if "Noto" in font]
