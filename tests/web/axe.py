"""axe-core in the staff app's pages: served beside the app, run on the page as it is shown,
at each width of WIDTHS.

axe's script is served by the test's server at AXE_PATH, from the same origin as the
pages (the pages' CSP allows the origin's own scripts), with a day's caching. Chromium then
keeps its compiled code between pages: a page's first `axe.run` took about twice its
second when the script was injected afresh into every page (`add_init_script`). The
script element is removed once it has run, so axe checks the page's own DOM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 1280)
# The rules of TAGS whose finding can change with the window's width alone, on the same
# elements shown the same way: those that measure the layout (where a control sits and how
# big it is, what is behind a text, what overflows) or read styles a media query may change.
# The others read the DOM, the accessibility tree and what is hidden, which `at_widths`
# compares between widths instead. (css-orientation-lock reads the stylesheets' orientation
# queries, not the width; run alone, it took half as long as a whole run of every rule.)
BY_WIDTH = ["color-contrast", "target-size", "scrollable-region-focusable", "link-in-text-block"]
AXE_PATH = "/__test/axe-core.js"  # no route of the app's: the wrapper answers before Flask

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def serve_axe(app: Flask, source: str) -> None:
    """Answer AXE_PATH with axe's script in front of `app`; every other request goes on."""
    body = source.encode("utf-8")
    inner = app.wsgi_app

    def wsgi(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != AXE_PATH:
            return inner(environ, start_response)  # type: ignore[no-any-return]
        headers = [
            ("Content-Type", "text/javascript; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "max-age=86400"),
        ]
        start_response("200 OK", headers)
        return [body]

    app.wsgi_app = wsgi  # type: ignore[method-assign]


# axe-core loaded into a page from its file, by a script element the page's CSP allows.
LOAD_AXE = """path => window.axe ? true : new Promise((done, failed) => {
  const script = document.createElement('script');
  script.src = path;
  script.onload = () => { script.remove(); done(true); };
  script.onerror = () => failed(new Error('axe-core did not load from ' + path));
  document.head.append(script);
})"""

# Only the violations are read. Without CSS selectors first (about a twentieth of a run):
# where something is found, the same run again with them, to say where. Of the assets axe
# can load before its rules run, only the media: the style sheets' text is for one rule,
# css-orientation-lock, which TAGS leave out (it is tagged experimental); loading it cost
# every run the page's CSS rules, and from file:// pages an XMLHttpRequest that their CSP
# refuses (an error in the console, and then no media either).
_RUN = """async ([context, only]) => {
  const run = selectors => axe.run(context, {runOnly: only, resultTypes: ['violations'],
    selectors, preload: {assets: ['media']}}).then(r => r.violations);
  const found = await run(false);
  return found.length ? run(true) : found;
}"""

_WHOLE = """([tags, rules]) => ($RUN$)([document, rules ? {type: 'rule', values: rules}
  : {type: 'tag', values: tags}])"""


def described(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """axe's violations as a test reports them: the rule, its help, up to five places."""
    return [
        {"rule": v["id"], "help": v["help"], "where": [n["target"] for n in v["nodes"][:5]]}
        for v in found
    ]


# Media query listeners (the service navigation's menu button) run before the next frame's
# callbacks; a task after that frame sees what they did.
_NEXT_FRAME = "new Promise(done => requestAnimationFrame(() => setTimeout(done)))"


def at_width(page: Page, width: int) -> None:
    """Make the window `width` px wide, and let the page's scripts answer the change."""
    if _resize(page, width):
        page.evaluate(f"() => {_NEXT_FRAME}")


def _resize(page: Page, width: int) -> bool:
    """Make the window `width` px wide; whether it was not already."""
    size = page.viewport_size
    if size is not None and size["width"] == width:
        return False
    page.set_viewport_size({"width": width, "height": 900})
    return True


# Each element as axe sees it apart from layout: its tag, attributes, own text, and whether
# it is shown (display, visibility, content-visibility; `hidden` is display: none).
_RENDERED = """() => Array.from(document.querySelectorAll('*'), e => JSON.stringify([
  e.tagName, e.getAttributeNames().map(n => [n, e.getAttribute(n)]),
  Array.from(e.childNodes, c => c.nodeType === 3 ? c.data : '').join(''),
  e.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}),
]))"""

# At another width: the BY_WIDTH rules on the whole page if every element is shown as at the
# first width; if anything is shown differently, every rule on the whole page again. (Every
# rule on just the parts shown differently, beside BY_WIDTH on the whole page, cost more than
# one whole run: most of a run is color-contrast, one of BY_WIDTH, and each run pays for
# setting up every rule whatever the size of what it looks at.)
_AGAIN = """async ([tags, byWidth, before]) => {
  const now = ($RENDERED$)();
  const same = now.length === before.length && now.every((e, i) => e === before[i]);
  return ($RUN$)([document, same ? {type: 'rule', values: byWidth} : {type: 'tag', values: tags}]);
}"""

# One call to the page a width (a call is a round trip through Playwright's driver): wait
# for the frame after a resize, run axe, and measure sideways scrolling. The first width's
# rendering is kept in the page for the next width's comparison.
_WIDE = "document.documentElement.scrollWidth - window.innerWidth"
_AT_FIRST = """async ([resized, path, tags]) => {
  if (resized) await $FRAME$;
  await ($LOAD$)(path);
  const found = await ($WHOLE$)([tags, null]);
  window.__cpoRendered = ($RENDERED$)();
  return [found, $WIDE$];
}"""
_AT_NEXT = """async ([resized, tags, byWidth]) => {
  if (resized) await $FRAME$;
  const found = await ($AGAIN$)([tags, byWidth, window.__cpoRendered]);
  return [found, $WIDE$];
}"""


def _script(template: str) -> str:
    """`template` with its $NAME$ parts filled in from this module's scripts."""
    for name, part in (
        ("AGAIN", _AGAIN),
        ("WHOLE", _WHOLE),
        ("RUN", _RUN),
        ("RENDERED", _RENDERED),
        ("LOAD", LOAD_AXE),
        ("FRAME", _NEXT_FRAME),
        ("WIDE", _WIDE),
    ):
        template = template.replace(f"${name}$", part)
    return template


AT_FIRST, AT_NEXT = _script(_AT_FIRST), _script(_AT_NEXT)
# Every rule of TAGS on the whole page as it is shown now: `page.evaluate(WHOLE, [TAGS, None])`.
WHOLE = _script(_WHOLE)


def at_widths(page: Page, widths: Sequence[int]) -> list[dict[str, Any]]:
    """axe-core's findings on the page at each width, and sideways scrolling ("reflow").

    Every rule at the first width; at the others, the rules that can change with the width
    alone (BY_WIDTH) where every element is shown as at the first width, and every rule if
    any is not (see _AGAIN). Where the same elements are shown the same way, the other rules
    read the same input, so give the same finding. Each finding is marked with its width.
    """
    found: list[dict[str, Any]] = []
    for n, width in enumerate(widths):
        resized = _resize(page, width)
        if n == 0:
            violated, wide = page.evaluate(AT_FIRST, [resized, AXE_PATH, TAGS])
        else:
            violated, wide = page.evaluate(AT_NEXT, [resized, TAGS, BY_WIDTH])
        found += [{**v, "width": width} for v in described(violated) + _reflow(wide)]
    return found


def _reflow(wide: int) -> list[dict[str, Any]]:
    """Sideways scrolling by `wide` px, as a finding (WCAG 1.4.10 Reflow: none at 320 px)."""
    return [{"rule": "reflow", "help": f"scrolls sideways by {wide} px", "where": []}] * (wide > 0)
