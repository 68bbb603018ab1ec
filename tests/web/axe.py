"""axe-core in the staff app's pages: served beside the app, run on the page as it is shown.

axe's script is served by the test's server at AXE_PATH, from the same origin as the
pages (the pages' CSP allows the origin's own scripts), with a day's caching. Chromium then
keeps its compiled code between pages: a page's first `axe.run` took about twice its
second when the script was injected afresh into every page (`add_init_script`). The
script element is removed once it has run, so axe checks the page's own DOM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 1280)
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


_LOAD = """path => window.axe ? true : new Promise((done, failed) => {
  const script = document.createElement('script');
  script.src = path;
  script.onload = () => { script.remove(); done(true); };
  script.onerror = () => failed(new Error('axe-core did not load from ' + path));
  document.head.append(script);
})"""

_RUN = """([tags, rules]) => axe.run(document, {
  runOnly: rules ? {type: 'rule', values: rules} : {type: 'tag', values: tags},
  resultTypes: ['violations'],
}).then(r => r.violations)"""  # only the violations are read


def violations(page: Page, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page as it is shown now (WCAG 2.2 A and AA).

    `rules`: only these rules (each must be one of TAGS' rules), else every rule of TAGS.
    """
    page.evaluate(_LOAD, AXE_PATH)
    found = page.evaluate(_RUN, [TAGS, rules])
    return [
        {"rule": v["id"], "help": v["help"], "where": [n["target"] for n in v["nodes"][:5]]}
        for v in found
    ]
