"""The facilitator's pages in real headless Chromium: axe-core, 320 and 1280 px, keyboard only.

The app is served by waitress on loopback, as `cpo serve` serves it. A facilitator
signs in, uploads a scanned envelope through the page, resolves the unreadable sheet,
and marks by keyboard alone, on SQLite and on PostgreSQL: the pages' forms write through
the engine, and the upload's progress is read by another server thread while intake
writes. axe-core (WCAG 2.2 A and AA) must find nothing on any of these pages at either
width; that is checked on SQLite only. axe reads the page's markup and layout, which come
from the templates and what the records hold, the same on both engines (the records'
rows are the same; the tracker's tests check each engine gives the same answers), as
`test_browser` checks every page on SQLite only. The test also takes the README's
pictures (docs/web/).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from tests.conftest import REPO
from tests.tracker.conftest import make_order
from tests.tracker.scans import scan_pdf
from tests.web.axe import WIDTHS, at_widths, serve_axe
from tests.web.conftest import PASSWORD, PICTURES_WANTED, picture
from tracker.issuing import Issued, issue
from tracker.tracker import Tracker

if TYPE_CHECKING:
    from playwright.sync_api import Page

PICTURES = REPO / "docs" / "web"


@pytest.fixture
def issued(records: Tracker, tmp_path: Path) -> Issued:
    make_order(records, "N-1")
    return issue(records, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path)


def sign_in(page: Page, base: str, login: str) -> None:
    page.goto(base + "/sign-in")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(base + "/")


def tab_to(page: Page, selector: str, most: int = 120) -> None:
    """Press Tab until the element `selector` has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


# The staff browser tests share one worker's server address and tab (tests/web/conftest.py).
pytestmark = pytest.mark.xdist_group("staff-browser")


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_the_facilitator_s_pages_pass_axe_at_both_widths_and_work_by_keyboard(
    tab: Page,
    axe_source: str,
    app: Flask,
    live: str,
    issued: Issued,
    records: Tracker,
    tmp_path: Path,
    db_url: str,
) -> None:
    scan = scan_pdf(issued, "WB1", [1, 2, 0, 4], 4, tmp_path / "envelope.pdf")
    found: dict[str, list[dict[str, Any]]] = {}
    on_sqlite = not db_url.startswith("postgres")
    serve_axe(app, axe_source)
    page = tab
    sign_in(page, live, "fay")

    # Intake: choose the file, send it, wait for the result table.
    page.goto(live + "/intake")
    page.set_input_files("input[type=file][name=files]", str(scan))
    page.get_by_role("button", name="Take these files in").click()
    page.wait_for_selector("text=Intake result", timeout=60_000)
    urls = {"intake result": page.url}
    if on_sqlite:  # the pictures once, from SQLite
        picture(page, PICTURES / "intake-result.png", full_page=True)
    resolve = page.get_attribute("a[href^='/intake/pages/']", "href")
    assert resolve
    urls |= {"intake": live + "/intake", "resolve": live + resolve, "returns": live + "/returns"}
    first = page.get_attribute("a[href^='/returns/']", "href")
    urls["marking"] = f"{live}{first}"

    # Each page is loaded once and checked at both widths: at the width it opened at, then
    # resized, as a reader zooming in or out does. The widths take turns opening a page.
    widths = sorted(WIDTHS, reverse=True)  # the tab is 1280 px wide now
    for name, url in urls.items() if on_sqlite else ():
        page.goto(url)
        found[name] = at_widths(page, widths)
        widths.reverse()
    bad = {k: v for k, v in found.items() if v}
    assert not bad, json.dumps(bad, indent=1)
    assert set(found) == (set(urls) if on_sqlite else set())  # each page, on SQLite

    page.set_viewport_size({"width": 1280, "height": 900})
    if on_sqlite and PICTURES_WANTED:  # the pictures once, from SQLite, when asked for
        page.goto(urls["marking"])
        picture(page, PICTURES / "marking.png", full_page=True)

    # Resolve the sheet by keyboard, by what its footer prints: page 3 of WB1.
    page.goto(urls["resolve"])
    tab_to(page, "#workbook")
    page.keyboard.type(issued.number)
    tab_to(page, "#module")
    page.keyboard.type("WB1")
    tab_to(page, "#page")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=is now page 3 of WB1")

    # Mark by keyboard alone: zoom a page, tick every activity, give the time, accept.
    page.goto(urls["marking"])
    assert "Missing" not in page.content()  # page 3 came in by the resolve
    tab_to(page, "button.app-page__zoom")
    page.keyboard.press("Enter")
    assert page.get_attribute("button.app-page__zoom", "aria-pressed") == "true"
    for activity in records.course.module("WB1").activities:
        tab_to(page, f"input[name=tried][value='{activity.id}']")
        page.keyboard.press("Space")
    tab_to(page, "#minutes")
    page.keyboard.type("1h50")
    tab_to(page, "input[name=decision][value=accept]")
    page.keyboard.press("Space")
    tab_to(page, "button.govuk-button:not(.app-page__zoom):not(.govuk-button--secondary)")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=accepted: 1 h 50 min credited")
    with records.db.read() as tx:
        assert tx.scalar("SELECT credited_minutes FROM marks") == 110
