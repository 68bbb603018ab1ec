"""An office's week through the pages, in headless Chromium, on SQLite and PostgreSQL.

The plan, as staff live it:
1. Ana (case worker) signs in, adds a client and their order, and issues one module.
2. She downloads the workbook. The client fills it in; it comes back by post and is
   scanned: each page of the issued PDF rendered by pdftoppm, as a scanner would, with
   the codes of the first page smudged so intake cannot read them.
3. Fay (facilitator) uploads the scan, sees the table of pages by class, resolves the
   smudged page by the code printed on it, and sends the module back with feedback.
4. Ana sees the week's report, with the client in it.
Every step is done through the pages, by the controls a person uses.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.web.conftest import PASSWORD
from tracker.tracker import Tracker

if TYPE_CHECKING:
    from playwright.sync_api import Page

QR = zxingcpp.BarcodeFormat.QRCode
# The staff browser tests share one worker's server address and tab (tests/web/conftest.py).
pytestmark = pytest.mark.xdist_group("staff-browser")


def sign_in(page: Page, base: str, login: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/sign-in")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(base + "/")


def fill_date(page: Page, name: str, day: date) -> None:
    """A GOV.UK date input: its day, month and year boxes."""
    page.fill(f"input#{name}-day", str(day.day))
    page.fill(f"input#{name}-month", str(day.month))
    page.fill(f"input#{name}-year", str(day.year))


def scanned(workbook: Path, folder: Path) -> tuple[Path, int]:
    """The module's pages as a scanner saves them (150 dpi, grey), its first page's codes
    smudged; and how many pages that is. The workbook's cover and contents stay at home.
    """
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed")
    # As PGM, not PNG: compressing PNGs was 4.4 of pdftoppm's 4.7 s of CPU for the book.
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", str(workbook), str(folder / "page")], check=True
    )
    rendered = [Image.open(p).convert("L") for p in sorted(folder.glob("page-*.pgm"))]
    # QR codes, the only kind intake reads (tracker.intake.reader): 7x quicker than all kinds.
    pages = [(image, zxingcpp.read_barcodes(image, formats=QR)) for image in rendered]
    module = [(image, codes) for image, codes in pages if codes]
    first, codes = module[0]
    for code in codes:  # a coffee ring over the first page's codes
        corners = [code.position.top_left, code.position.bottom_right]
        box = [min(c.x for c in corners) - 10, min(c.y for c in corners) - 10]
        box += [max(c.x for c in corners) + 10, max(c.y for c in corners) + 10]
        ImageDraw.Draw(first).rectangle(box, fill=255)
    path = folder / "scan.pdf"
    images = [image for image, _ in module]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path, len(images)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_an_office_week_through_the_pages(
    tab: Page,
    live: str,
    records: Tracker,
    real_pdfs: None,
    tmp_path: Path,
) -> None:
    page = tab
    today = records.today()

    # 1. Ana adds a client and an order, and issues one module.
    sign_in(page, live, "ana")
    page.goto(live + "/clients/new")
    page.fill("#reference", "C-7")
    page.fill("#name", "Sam Green")
    page.select_option("#office", "north")
    page.fill("#case_worker", "Ana Lopez")
    page.fill("#contact", "0141 496 0000")
    page.check("input[name=region][value=scotland]")
    page.get_by_role("button", name="Add client").click()
    page.wait_for_selector("text=Now add their order")  # straight to the order form
    page.check("input[name=jurisdiction][value=scotland]")
    page.fill("#hours", "100")
    fill_date(page, "made", today)
    fill_date(page, "deadline", date(today.year + 1, today.month, 1))
    page.get_by_role("button", name="Add order").click()
    page.wait_for_selector("text=Order C-7/1 added")  # back on the client's page
    page.get_by_role("link", name="Issue a workbook").first.click()
    page.wait_for_selector("input[name=modules]")  # the click starts the page; wait for it
    # Only the first module: tick it, untick the others ticked by default (read in one go:
    # a round trip to the page a box was half this step's CPU).
    boxes = page.locator("input[name=modules]")
    ticked = boxes.evaluate_all("boxes => boxes.map(b => [b.value, b.checked])")
    first = ticked[0][0]
    for n, (value, checked) in enumerate(ticked):
        if checked != (value == first):
            boxes.nth(n).set_checked(value == first)
    page.get_by_role("button", name="Issue workbook").click()
    page.wait_for_selector("text=issued with 1 modules")
    with page.expect_download() as download:
        page.locator("a[href$='/workbook.pdf']").first.click()
    workbook = tmp_path / "workbook.pdf"
    download.value.save_as(workbook)

    # 2. It comes back by post and is scanned, page 1's codes smudged.
    scan, pages = scanned(workbook, tmp_path)
    with records.db.read() as tx:
        code = tx.scalar("SELECT code FROM tokens WHERE module_id = ?", (first,))

    # 3. Fay takes it in, resolves the smudged page, and sends the module back.
    sign_in(page, live, "fay")
    page.goto(live + "/intake")
    page.set_input_files("input[type=file][name=files]", str(scan))
    page.get_by_role("button", name="Take these files in").click()
    page.wait_for_selector("text=Intake result", timeout=120_000)
    ours = page.locator("td .govuk-tag:has-text('Ours: joins its return')").count()
    assert ours == pages - 1  # every page but the smudged one
    assert page.locator("td .govuk-tag:has-text('Unreadable')").count() == 1
    page.get_by_role("link", name="Resolve").first.click()
    page.get_by_text("Or type the code printed on it").click()  # the footer form is first
    page.fill("#code", f"{code[:4]}-{code[4:8]}-{code[8:]}")
    page.fill("#number", "1")
    page.get_by_role("button", name="Give the page this code").click()
    page.wait_for_selector(f"text=is now page 1 of {first}")
    page.goto(live + "/returns")
    page.get_by_role("link", name="Mark R").first.click()
    page.wait_for_selector("input[name=decision]")  # the marking page, not the list
    assert "Missing" not in page.content()  # every page of the module came in
    page.check("input[name=decision][value=send-back]")
    page.fill("#feedback", "Please try the first activity again.")
    page.get_by_role("button", name="Save and go to the next return").click()
    page.wait_for_selector("text=sent back to the client")

    # 4. Ana sees the week's report with her client in it.
    sign_in(page, live, "ana")
    page.goto(live + "/reports/")
    assert "C-7" in page.content()
    with records.db.read() as tx:
        assert tx.scalar("SELECT decision FROM marks") == "send-back"
        assert tx.scalar("SELECT COUNT(*) FROM credits") == 0
