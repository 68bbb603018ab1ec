"""Issuing to several clients from the browser: the batch runs on a thread, then its print
run PDF is downloaded and each client not issued to is listed with the reason."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pikepdf
from flask import Flask

from tests.tracker.conftest import make_order
from tests.web.conftest import SignIn, token_of
from tracker.people import add_client
from tracker.tracker import Tracker


def test_an_office_batch_gives_one_print_run_and_names_who_was_skipped(
    app: Flask, signed_in: SignIn, records: Tracker, real_pdfs: None, tmp_path: Path
) -> None:
    app.config["CPO_PRINT_WORKERS"] = 1  # print in the batch's thread: no processes
    make_order(records, "N-1")
    add_client(records, "N-2", "No Order Yet", "north", "Ana Lopez", "tester")
    ana = signed_in("ana")
    page = ana.get("/issue/batch").get_data(as_text=True)
    started = ana.post(
        "/issue/batch",
        data={"office": "north", "profile": "standard", "csrf_token": token_of(page)},
    )
    assert started.status_code == 302
    for _ in range(1200):  # the batch runs on its own thread; wait for it, without a clock
        shown = ana.get(started.location).get_data(as_text=True)
        if "Print run for north" in shown:
            break
        time.sleep(0.1)
    assert "Print run for north" in shown
    assert "N-1: workbook W" in shown
    assert "N-2:" in shown.split("Not issued")[1]  # no order: named, with the reason
    pdf = ana.get(started.location + "&pdf=1")
    assert pdf.mimetype == "application/pdf"
    with pikepdf.open(io.BytesIO(pdf.data)) as run:
        assert len(run.pages) > 4  # cover, letter and workbook
    other = signed_in("tester").get(started.location).get_data(as_text=True)
    assert "not known here" in other  # shown only to the account that started it
