"""axe-core finds no WCAG 2.2 A or AA failure on any page of the bundle, in any display mode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from builder.html import render_specimen_bundle
from tests.conftest import shipped_course

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# One worker runs this module (`make test` runs with `--dist loadgroup`): the bundle is
# made, and a tab opened for each display mode, once a run rather than on each worker.
pytestmark = pytest.mark.xdist_group("bundle-axe")
PAGES = ["index.html", "help.html"] + [f"module-{m.id}.html" for m in shipped_course().modules]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = render_specimen_bundle(
        shipped_course(), None, tmp_path_factory.mktemp("axe") / "html"
    )
    return folder


@pytest.fixture(scope="module")
def tabs(browser: Browser, axe_source: str) -> Iterator[dict[str, Page]]:
    """A browser tab for each display mode, with axe-core loaded into every page it opens.

    axe is added as an init script, which the browser runs outside the page's CSP. Each
    test opens its page in its mode's tab: a whole new document, without starting a new
    renderer process for it (most of a second of Chromium's time a test).
    """
    made = {}
    for mode in ["", "large", "dyslexia"]:
        context = browser.new_context()
        context.add_init_script(axe_source)
        if mode:
            prefs = json.dumps(json.dumps({mode: True}))
            context.add_init_script(f"localStorage.setItem('cpo-offline/display', {prefs});")
        made[mode or "default"] = context.new_page()
    yield made
    for page in made.values():
        page.context.close()


def violations(page: Page, url: str, mode: str) -> list[dict[str, Any]]:
    page.goto(url)
    page.wait_for_selector("#save-state:not([hidden])")
    assert page.url == url  # this test's page, not the last one's
    if mode != "default":
        assert page.evaluate(f"document.documentElement.classList.contains('{mode}')")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}).then(r => r.violations)",  # only what is read
        TAGS,
    )
    return [
        {
            "rule": v["id"],
            "help": v["help"],
            "where": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result
    ]


@pytest.mark.parametrize("mode", ["default", "large"])
@pytest.mark.parametrize("name", PAGES)
def test_no_wcag_violations(tabs: dict[str, Page], bundle: Path, name: str, mode: str) -> None:
    assert violations(tabs[mode], (bundle / name).as_uri(), mode) == []


@pytest.mark.parametrize("name", ["index.html", "module-WM3.html"])
def test_no_wcag_violations_in_dyslexia_mode(
    tabs: dict[str, Page], bundle: Path, name: str
) -> None:
    assert violations(tabs["dyslexia"], (bundle / name).as_uri(), "dyslexia") == []
