"""The staff pages' check at a second width (tests/web/axe.py `at_widths`) still finds what
is wrong only at that width: a control too small, a field shown without a label."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.web.axe import at_widths, serve_axe
from tests.web.conftest import served

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAGE = """<!doctype html><html lang="en"><head><title>A form</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{style}</style>
</head><body><main><h1>A form</h1><p><button>Go</button><button>Stop</button></p>
<div class="narrow"><input id="where"></div></main></body></html>"""
BIG = "button { width: 48px; height: 48px; margin: 4px } .narrow { display: none }"
# Only at 320 px: buttons 12 px square side by side, or an unlabelled field shown.
SMALL_AT_320 = BIG + "@media (max-width: 40em) { button { width: 12px; height: 12px; margin: 0 } }"
FIELD_AT_320 = BIG + "@media (max-width: 40em) { .narrow { display: block } }"
STYLES = {"big": BIG, "small": SMALL_AT_320, "field": FIELD_AT_320}


def test_only_what_is_wrong_at_the_second_width_is_found_there(
    browser: Browser, axe_source: str
) -> None:
    app = Flask(__name__)
    app.add_url_rule("/<name>", "page", lambda name: PAGE.format(style=STYLES[name]))
    serve_axe(app, axe_source)
    context = browser.new_context()
    page = context.new_page()
    found: dict[str, set[tuple[str, Any]]] = {}
    with served(app) as url:
        for name in STYLES:  # each opened at 1280 px, then made 320 px wide
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{url}/{name}")
            found[name] = {(f["rule"], f["width"]) for f in at_widths(page, [1280, 320])}
    context.close()
    assert found == {
        "big": set(),
        "small": {("target-size", 320)},
        "field": {("label", 320)},
    }
