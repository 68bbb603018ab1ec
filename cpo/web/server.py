"""Running the app for real: its session key, the trackers it opens, and waitress."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from flask import Flask

from cpo.web.app import Settings, create_app
from tracker.config import Config

SECRET_FILE = "web-secret"  # in the data folder, owner-only, like keys/
# How long a thread may hold the interpreter lock while others wait (Python's default: 5 ms).
# A page's thread gives the lock up at each database call and must win it back after; while
# a weekly report is made on another thread, every win-back waited up to 5 ms.
SWITCH_SECONDS = 0.001


def session_key(data_dir: Path) -> bytes:
    """This machine's key for signing session cookies: made once, kept in the data folder."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def app_for(config: Config, https: bool = False) -> Flask:
    """The staff web app over the tracker that `config` names."""
    from tracker.tracker import default_course, load_once, open_tracker

    course = load_once(default_course)  # once for the process, not once a server thread

    def opener():  # type: ignore[no-untyped-def]
        return open_tracker(config, course_loader=course)

    app = create_app(opener, Settings(session_key(config.data_dir), https=https))
    compile_templates(app)
    return app


def compile_templates(app: Flask) -> None:
    """Compile every page's template now, so no member of staff waits a second for one.

    Jinja keeps each compiled template (and, as Flask runs it outside debug mode, never
    checks the files again), but compiles it on first use: 0.1-0.5 s a page, with the
    GOV.UK macros it imports. 83 templates take about 2 s when the server starts.
    """
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)


def serve(app: Flask, host: str, port: int, threads: int, proxy: bool) -> None:
    """Serve `app` with waitress until stopped (trusting one proxy's headers if `proxy`)."""
    from waitress import serve as waitress_serve

    sys.setswitchinterval(SWITCH_SECONDS)
    if proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    waitress_serve(app, host=host, port=port, threads=threads, ident="cpo")
