"""The staff pages' check at a second width (tests/web/axe.py `at_widths`) still finds what
is wrong only at that width: a control too small, a field shown without a label."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from tests.web.axe import at_widths, serve_axe
from tests.web.conftest import Switch

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGE = """<!doctype html><html lang="en"><head><title>A form</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{style}</style>
</head><body><main><h1>A form</h1><p><button>Go</button><button>Stop</button></p>
<div class="narrow"><input id="where"></div></main></body></html>"""
BIG = "button { width: 48px; height: 48px; margin: 4px } .narrow { display: none }"
# Only at 320 px: buttons 12 px square side by side, or an unlabelled field shown.
SMALL_AT_320 = BIG + "@media (max-width: 40em) { button { width: 12px; height: 12px; margin: 0 } }"
FIELD_AT_320 = BIG + "@media (max-width: 40em) { .narrow { display: block } }"
STYLES = {"big": BIG, "small": SMALL_AT_320, "field": FIELD_AT_320}
# The staff browser tests share one worker's server address and tab (tests/web/conftest.py).
pytestmark = pytest.mark.xdist_group("staff-browser")


def test_only_what_is_wrong_at_the_second_width_is_found_there(
    tab: Page, site: tuple[Switch, str], axe_source: str
) -> None:
    app = Flask(__name__)
    app.add_url_rule("/<name>", "page", lambda name: PAGE.format(style=STYLES[name]))
    serve_axe(app, axe_source)
    switch, url = site
    switch.app = app
    found: dict[str, set[tuple[str, Any]]] = {}
    try:
        for name in STYLES:  # each opened at 1280 px, then made 320 px wide
            tab.set_viewport_size({"width": 1280, "height": 900})
            tab.goto(f"{url}/{name}")
            found[name] = {(f["rule"], f["width"]) for f in at_widths(tab, [1280, 320])}
    finally:
        switch.app = None
    assert found == {
        "big": set(),
        "small": {("target-size", 320)},
        "field": {("label", 320)},
    }
