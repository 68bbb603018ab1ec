"""Pictures of a bundle's page at phone and desktop widths, taken by headless Chromium.

Needs Chromium and Playwright for Python (a development tool, installed with `.[dev]`);
nothing else in the builder does.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from builder.errors import BuildError

WIDTHS = (320, 1280)  # the narrowest screen WCAG asks to reflow for, and a laptop
HEIGHT = 900
# Started the way a machine with no network and maybe no user namespaces allows.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def page_pngs(page: Path, out_stem: Path, widths: Sequence[int] = WIDTHS) -> list[Path]:
    """Screenshots of the top of `page` (a file), one per width, as `out_stem`-WIDTHpx.png."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise BuildError("Chromium is not installed: apt-get install chromium to make previews")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise BuildError("previews need Playwright: pip install -e '.[dev]'") from None
    out: list[Path] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=list(CHROMIUM_ARGS), chromium_sandbox=False
            )
            try:
                for width in widths:
                    tab = browser.new_page(viewport={"width": width, "height": HEIGHT})
                    tab.goto(page.resolve().as_uri())
                    tab.wait_for_selector("#save-state:not([hidden])")
                    path = out_stem.with_name(f"{out_stem.name}-{width}px.png")
                    tab.screenshot(path=str(path))
                    out.append(path)
                    tab.close()
            finally:
                browser.close()
    except Error as err:
        raise BuildError(f"Chromium could not take a picture of {page}: {err.message}") from None
    return out
