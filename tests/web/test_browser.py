"""In real headless Chromium: every page, in every role, at 320 and 1280 px wide, has no
WCAG 2.2 A or AA failure that axe-core finds, and no console error (the CSP refuses
nothing). The home pages' screenshots for the README are made here, from the real app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from cpo.web.security import is_public
from tests.web.axe import WIDTHS, at_width, at_widths, serve_axe
from tests.web.conftest import PASSWORD, PICTURES_WANTED, World, picture
from tests.web.routes import routes, url_for_rule
from tests.web.test_pages import ROLES, allowed

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

DOCS = Path(__file__).resolve().parents[2] / "docs"
FILES = {"issuing.download", "reports.weekly_file", "reports.overdue_csv", "reports.client_pdf"}
FILES |= {"marking.image", "intake.progress"}  # a page's image; an upload's progress (JSON)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


# The staff browser tests share one worker's server address and tab (tests/web/conftest.py).
pytestmark = pytest.mark.xdist_group("staff-browser")


def sign_in(page: Page, base: str, login: str) -> None:
    if page.url.startswith(base) and page.locator("text=Sign out").count():
        # By the page's own button: one tab for every role (a new context starts a
        # renderer process and fetches the frontend's files again, about a second of CPU).
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{base}/sign-in")
    page.goto(f"{base}/sign-in")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def html_pages(app: Flask, world: World, role: Any) -> list[str]:
    """Every page (not a download) this role may open."""
    return [
        url_for_rule(app, rule, world)
        for rule in routes(app)
        if "GET" in (rule.methods or set())
        and not is_public(app, rule.endpoint)
        and rule.endpoint not in FILES
        and allowed(app, rule.endpoint, role)
    ]


@SQLITE
def test_every_page_in_every_role_passes_axe_at_both_widths(
    app: Flask, world: World, live: str, tab: Page, axe_source: str
) -> None:
    found: list[dict[str, Any]] = []
    console: list[str] = []
    serve_axe(app, axe_source)
    page = tab
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def errors(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append(message.text)

    page.on("console", errors)
    for login, role in ROLES.items():
        sign_in(page, live, login)
        for path in html_pages(app, world, role):
            # Each page is opened once and checked at both widths: at the width it opened
            # at, then made narrower or wider, as a reader zooming in or out does (WCAG's
            # reflow is 1280 px zoomed to 400 %). The widths take turns being the one a
            # page opens at. A load a page, not one a width.
            opened = page.viewport_size["width"] if page.viewport_size else WIDTHS[0]
            page.goto(live + path)
            widths = sorted(WIDTHS, key=lambda w: w != opened)
            found += [{**v, "page": path, "who": login} for v in at_widths(page, widths)]
        if PICTURES_WANTED:
            for width in WIDTHS if login == "ana" else WIDTHS[1:]:
                at_width(page, width)
                page.goto(f"{live}/")
                name = f"web-home-{ROLES[login].value}{'' if width == 1280 else '-320'}.png"
                picture(page, DOCS / name, full_page=width == 320)
    page.remove_listener("console", errors)
    assert found == []
    assert console == []
