"""axe-core finds no WCAG 2.2 A or AA failure on any page of the bundle, in any display mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from builder.html import render_specimen_bundle
from tests.conftest import AXE, shipped_course
from tests.web.axe import LOAD_AXE, TAGS, WHOLE, described

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# One worker runs this module (`make test` runs with `--dist loadgroup`): the bundle is
# made, and its tab opened, once a run rather than on each worker.
pytestmark = pytest.mark.xdist_group("bundle-axe")
PAGES = ["index.html", "help.html"] + [f"module-{m.id}.html" for m in shipped_course().modules]
# The display switches each mode turns on; the cream page is checked on two pages.
MODES = {"default": set(), "large": {"large"}, "dyslexia": {"dyslexia"}}
DYSLEXIA_TOO = {"index.html", "module-WM3.html"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = render_specimen_bundle(
        shipped_course(), None, tmp_path_factory.mktemp("axe") / "html"
    )
    return folder


@pytest.fixture(scope="module")
def tab(browser: Browser, axe_source: str) -> Iterator[Page]:
    """One browser tab: each test opens its page in it, a whole new document, without
    starting a new renderer process for it (most of a second of Chromium's time a test).
    (`axe_source` checks that axe-core is installed; pages load it from its file, `load`.)
    """
    context = browser.new_context()
    yield context.new_page()
    context.close()


def load(page: Page) -> None:
    """Load axe-core into the page from its file, by a script element the page's CSP allows.

    Chromium keeps the script's compiled code between the tab's pages: injected into each
    new document instead (`add_init_script`), a page's first run of axe cost ~0.15 s more
    of CPU. The element is removed once the script has run: axe checks the page's own DOM.
    """
    page.evaluate(LOAD_AXE, AXE.as_uri())


def shown(page: Page) -> set[str]:
    """The display modes the page shows now (its root element's classes)."""
    classes = page.evaluate("[...document.documentElement.classList]")
    return {m for m in ("large", "dyslexia") if m in classes}


def switch_to(page: Page, mode: str) -> None:
    """Press the page's own display switches until it shows `mode`.

    Pressed with the button's own `click()` (the click event a mouse or the Enter key
    sends it), not Playwright's `page.click`: that needs Playwright's selector engine in
    each new document, ~0.2 s of CPU a page here. What a pointer press is checked to do is
    `test_html_browser`'s concern.
    """
    for name in ("large", "dyslexia"):
        if (name in shown(page)) != (name in MODES[mode]):
            page.evaluate(f"document.querySelector(\"button[data-display='{name}']\").click()")
    assert shown(page) == MODES[mode]


def violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page as it is shown now (every rule of TAGS)."""
    return described(page.evaluate(WHOLE, [TAGS, None]))


@pytest.mark.parametrize("name", PAGES)
def test_no_wcag_violations_in_any_display_mode(tab: Page, bundle: Path, name: str) -> None:
    """The page passes axe in each mode, switched on in the page as a client would.

    The page opens in the mode the last page was left in (the choice is remembered), so the
    modes take turns being the one a page opens in, and the others are switched to in the
    same document: one load and one copy of axe a page, not one a mode.
    """
    url = (bundle / name).as_uri()
    tab.goto(url)  # after the load event: the page's deferred scripts have run
    assert tab.evaluate("!document.getElementById('save-state').hidden")  # they started
    assert tab.url == url  # this test's page, not the last one's
    load(tab)
    opened = next(m for m, on in MODES.items() if on == shown(tab))
    # The cream page in the middle: the next page opens in the usual look or bigger text.
    cream = ["dyslexia"] if name in DYSLEXIA_TOO and opened != "dyslexia" else []
    after = cream + [m for m in ("default", "large") if m != opened]
    found = {}
    for mode in [opened, *after]:
        switch_to(tab, mode)
        found[mode] = violations(tab)
    assert {mode: v for mode, v in found.items() if v} == {}
