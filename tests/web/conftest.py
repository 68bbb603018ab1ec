"""Web app fixtures: an app over a fresh tracker (SQLite, and PostgreSQL where asked),
two offices with their staff, and a client for each role signed in."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from cpo.web.app import Settings, create_app, limiter
from tests.conftest import TEMPLATES_ENV
from tests.tracker import conftest as tracker_fixtures
from tests.tracker.conftest import ADMIN_PASSWORD, Clock, act_as_admin, make_order, shipped_course
from tests.tracker.test_records import all_tried
from tracker.accounts import Role, add_staff
from tracker.checkins import checkin
from tracker.config import Config, initialise
from tracker.issuing import PrintJob, issue
from tracker.marking import mark
from tracker.people import add_office
from tracker.tracker import Tracker, open_tracker

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# The tracker's fixtures, shared: each engine's database, the clock, PDFs only where read.
db_url = tracker_fixtures.db_url
clock = tracker_fixtures.clock
postgres = tracker_fixtures.postgres
sqlite_template = tracker_fixtures.sqlite_template
real_pdfs = tracker_fixtures.real_pdfs

PASSWORD = ADMIN_PASSWORD


def stand_in_with_html(job: PrintJob, folder: Path) -> tuple[str, ...]:
    """The tracker tests' stand-in files, and a one-page HTML edition when one is asked for."""
    names = tracker_fixtures.stand_in_files(job, folder)
    if job.html:
        (folder / "html").mkdir()
        (folder / "html" / "index.html").write_text(f"<p>{job.number}</p>\n")
        return (*names, "html/index.html")
    return names


@pytest.fixture(autouse=True)
def pdfs_only_where_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issuing writes stand-in files, unless the test reads PDFs (`real_pdfs`)."""
    if "real_pdfs" not in request.fixturenames:
        monkeypatch.setattr("tracker.issuing.RENDERER", stand_in_with_html)


# Two offices, and the staff of each: the attack tests sign in as Leeds's.
STAFF = {
    "ana": (Role.CASEWORKER, ["north"]),
    "fay": (Role.FACILITATOR, ["north"]),
    "lee": (Role.CASEWORKER, ["leeds"]),
    "lou": (Role.FACILITATOR, ["leeds"]),
}


@pytest.fixture
def web_config(db_url: str, tmp_path: Path) -> Config:
    config, _ = initialise(tmp_path / "data", database_url=db_url)
    return config


@pytest.fixture
def records(web_config: Config, clock: Clock) -> Iterator[Tracker]:
    """The tracker as the admin ("tester"), with two offices and their staff."""
    with open_tracker(web_config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        add_office(t, "north", "North team", "tester")
        add_office(t, "leeds", "Leeds", "tester")
        for login, (role, offices) in STAFF.items():
            add_staff(t, login, role, offices, PASSWORD)
        yield t


@dataclass(frozen=True)
class World:
    """What the pages show: a client of each office with an order, a workbook and a return."""

    north_workbook: str
    leeds_workbook: str
    # A return waiting to be marked (R17), and a page nobody could read (P17), of each office.
    north_return: str = "R999999"
    leeds_return: str = "R999999"
    north_page: str = "P999999"
    leeds_page: str = "P999999"


@pytest.fixture
def world(records: Tracker, tmp_path: Path) -> World:
    """North's N-1 and Leeds's L-1, each with an order, a workbook and one module returned."""
    books, waiting, pages = [], [], []
    for reference, office in (("N-1", "north"), ("L-1", "leeds")):
        make_order(records, reference, office=office)
        issued = issue(records, reference, "tester", out_root=tmp_path / "issues")
        codes = [m.code for m in issued.modules[:3]]
        returned = [r.return_id for r in checkin(records, codes, "tester")]
        tried = all_tried(records, issued.modules[0].module_id)
        mark(records, returned[0], "accept", "tester", tried, 100)  # credited
        mark(records, returned[1], "send-back", "tester", {}, feedback="Try activity 3")
        # and the third waits to be marked
        books.append(issued.number)
        waiting.append(f"R{returned[2]}")
        pages.append(f"P{unreadable_page(records, tmp_path, office)}")
    return World(*books, *waiting, *pages)


def unreadable_page(t: Tracker, tmp_path: Path, office: str) -> int:
    """A sheet with no code, taken in by the office's facilitator; its page id."""
    from tests.tracker.scans import sheet, take
    from tracker.accounts import actor_for
    from tracker.review import unreadable_pages

    path = tmp_path / f"blank-{office}.png"
    sheet(None, f"a page with no code ({office})").save(path)  # each file new to intake
    admin, t.actor = t.actor, actor_for(t, "fay" if office == "north" else "lou")
    take(t, path)
    page = unreadable_pages(t)[-1].page_id
    t.actor = admin
    return page


class KeptTemplates(FileSystemBytecodeCache):
    """Compiled templates kept for the run: in memory, and in a folder every worker shares.

    Jinja checks each against its source's checksum, and writes a file whole or not at all.
    """

    def __init__(self, folder: str) -> None:
        super().__init__(folder)
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key not in self.kept:
            super().load_bytecode(bucket)  # compiled by another worker, or by none yet
            if bucket.code is None:
                return
            self.kept[bucket.key] = bucket.bytecode_to_string()
        bucket.bytecode_from_string(self.kept[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.kept[bucket.key] = bucket.bytecode_to_string()
        super().dump_bytecode(bucket)


# Each test makes its own app, whose Jinja would compile every template it renders again:
# about half the CPU of a form-filling test, and a second of CPU a worker for all of them.
# Jinja's bytecode cache keeps them for the run, shared by the workers (tests/conftest.py).
@cache
def compiled_templates() -> KeptTemplates:
    """The worker's one cache, in the run's folder (made when pytest starts, after imports)."""
    return KeptTemplates(os.environ[TEMPLATES_ENV])


@pytest.fixture
def app(records: Tracker, web_config: Config, clock: Clock) -> Iterator[Flask]:
    def opener() -> Tracker:
        return open_tracker(web_config, course_loader=shipped_course, clock=clock)

    app = create_app(opener, Settings(secret_key=b"t" * 32))
    app.config["TESTING"] = True
    app.jinja_env.bytecode_cache = compiled_templates()
    limiter.reset()
    yield app
    app.extensions["cpo_trackers"].close()


SignIn = Callable[[str], FlaskClient]


def token_of(html: str) -> str:
    """The CSRF token in a page's form."""
    import re

    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in_as(client: FlaskClient, login: str, password: str = PASSWORD) -> FlaskClient:
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post(
        "/sign-in", data={"login": login, "password": password, "csrf_token": token_of(page)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def signed_in(app: Flask) -> SignIn:
    """A test client signed in as `login`."""

    def sign(login: str) -> FlaskClient:
        return sign_in_as(app.test_client(), login)

    return sign


@pytest.fixture
def signed_in_once(signed_in: SignIn) -> SignIn:
    """`signed_in`, each login signed in once a test: a Hypothesis test's examples share it.

    Signing in was a third of a form example's requests; what a form does with what is
    typed in it does not depend on when its account signed in.
    """
    clients: dict[str, FlaskClient] = {}

    def sign(login: str) -> FlaskClient:
        if login not in clients:
            clients[login] = signed_in(login)
        return clients[login]

    return sign


def post(client: FlaskClient, url: str, data: dict[str, object], page: str | None = None):  # type: ignore[no-untyped-def]
    """POST a form as a browser would: with the CSRF token from the page it is on."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": token_of(html)})


# The north client's reference as a word: not the letters inside a random nonce or token
# (a page's CSP nonce once held "...uN-1LT5...").
NAMED = re.compile(r"(?<![\w-])N-1(?![\w-])|Client N-1")


# The README's pictures of the staff app are taken by the browser tests, but written into
# docs/ only when asked (`make pictures`): a test run leaves the checkout as it was.
PICTURES_WANTED = os.environ.get("CPO_PICTURES") == "1"


def picture(page: Any, path: Path, full_page: bool = False) -> None:
    """Save the page's picture for the README, when pictures are wanted."""
    if PICTURES_WANTED:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)


Environ = dict[str, Any]
WSGI = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


@contextmanager
def served(app: WSGI, threads: int = 4) -> Iterator[str]:
    """The app served by waitress on a free loopback port, as `cpo serve` serves it."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # the listening socket closed under the loop's select: stopped
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=10)


class Switch:
    """A WSGI app that hands each request to the running test's app (none between tests)."""

    def __init__(self) -> None:
        self.app: WSGI | None = None

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is running"]
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def site() -> Iterator[tuple[Switch, str]]:
    """One waitress server a worker, at one address, serving each browser test's app in turn.

    One address for the run lets Chromium keep what it has fetched and compiled (the
    frontend's CSS and scripts, axe-core) from one test to the next: a new address (a new
    port) fetched, parsed and compiled them all again, and each test paid that.
    """
    switch = Switch()
    with served(switch) as url:
        yield switch, url


@pytest.fixture(scope="session")
def staff_tab(browser: Browser) -> Iterator[Page]:
    """One tab for the staff app's browser tests on this worker (see `tab`)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def tab(staff_tab: Page) -> Iterator[Page]:
    """The worker's staff tab, 1280 px wide, with no cookies: signed in as nobody.

    A new context a test started a renderer and fetched the frontend again (about 5 s of
    CPU with the first page). The app keeps nothing in the browser but its session cookie
    (no storage, no service worker; its pages are never stored), so a tab whose cookies
    are cleared (checked here) and whose page is left is as new to the app.
    """
    staff_tab.set_viewport_size({"width": 1280, "height": 900})
    staff_tab.context.clear_cookies()
    assert staff_tab.context.cookies() == []
    yield staff_tab
    staff_tab.goto("about:blank")  # the page's scripts stop before the next test's app
    staff_tab.context.clear_cookies()


@pytest.fixture
def live(app: Flask, site: tuple[Switch, str]) -> Iterator[str]:
    """The app served by waitress on loopback, as `cpo serve` serves it (see `site`)."""
    app.config["CPO_INTAKE_WORKERS"] = 1
    switch, url = site
    switch.app = app
    yield url
    switch.app = None
