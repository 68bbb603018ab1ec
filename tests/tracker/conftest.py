"""Tracker fixtures: every tracker test runs on SQLite and on a real PostgreSQL server.

Records are migrated once a session per engine; a test that opens a tracker at once gets a
copy of those (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from builder.regions import Region
from cpo.cli import cli
from tests.conftest import SHIPPED_COURSE
from tests.conftest import shipped_course as shipped_course  # benchmarks use it from here
from tests.tracker.pgserver import PostgresServer, find_binaries, shared_server
from tracker.accounts import Role, actor_for, add_staff, has_staff
from tracker.config import initialise
from tracker.errors import TrackerError
from tracker.issuing import PrintJob
from tracker.orders import Order, add_order
from tracker.people import add_client, add_office
from tracker.store import Database
from tracker.tracker import Tracker, open_tracker

ENGINES = ["sqlite", "postgresql"]
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config) -> PostgresServer:
    """The worker's one PostgreSQL server (shared with the web tests), with its template."""
    binaries = find_binaries()
    if binaries is None:
        message = "PostgreSQL is not installed (apt-get install postgresql, or run .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return shared_server(pytestconfig, binaries, migrate)


def migrate(url: str) -> None:
    """Bring the records at `url` to the newest schema (as opening them does)."""
    Database(url).close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite records file migrated once a session, with no tracker (no key) in it yet."""
    path = tmp_path_factory.mktemp("records") / "tracker.db"
    migrate(str(path))
    return path


def stand_in_files(job: PrintJob, folder: Path) -> tuple[str, ...]:
    """Write a line naming the workbook and its codes where each PDF would go: no rendering."""
    codes = " ".join(m.code for m in job.modules)
    for name in ("workbook.pdf", "letter.pdf"):
        (folder / name).write_text(f"{job.number} {job.client.reference} {codes}\n")
    return ("workbook.pdf", "letter.pdf")


@pytest.fixture(autouse=True)
def pdfs_only_where_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issuing writes stand-in files, unless the test reads PDFs (`real_pdfs`, or READS_PDFS)."""
    if "real_pdfs" not in request.fixturenames and not getattr(request.module, "READS_PDFS", False):
        monkeypatch.setattr("tracker.issuing.RENDERER", stand_in_files)


@pytest.fixture
def real_pdfs() -> None:
    """Issue real PDFs (and HTML) in this test: it reads them back."""


# Fixtures that open (and so migrate) the records before the test runs: with one of them,
# the test cannot tell a copy of migrated records from records migrated in front of it.
OPENS_RECORDS = {"tracker", "cpo", "web_config"}


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each engine: empty (a SQLite path, a fresh PostgreSQL schema), or a
    copy of migrated records when the test opens a tracker at once (OPENS_RECORDS)."""
    migrated = bool(OPENS_RECORDS & set(request.fixturenames))
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            path.chmod(0o600)  # as cpo makes it
        yield str(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    if not migrated:
        yield server.new_schema()
        return
    url = server.new_database()
    yield url
    server.drop_database(url)


def planner_count(t: Tracker, table: str) -> int:
    """The rows PostgreSQL's planner believes `table` holds (-1: never counted)."""
    with t.db.read() as tx:
        return int(
            tx.scalar(
                "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relname = ? AND n.nspname = current_schema()",
                (table,),
            )
        )


def planner_knows_columns(t: Tracker, table: str) -> bool:
    """Whether PostgreSQL's planner holds column statistics of `table` (only ANALYZE makes them;
    building an index, as a restore does, counts the rows but not what is in them)."""
    with t.db.read() as tx:
        return bool(
            tx.scalar(
                "SELECT COUNT(*) FROM pg_stats"
                " WHERE tablename = ? AND schemaname = current_schema()",
                (table,),
            )
        )


def database_named(url: str, name: str) -> str:
    """`url` (a test server's) pointing at the database `name` instead, with no schema set."""
    path, _, query = url.partition("?")
    host = query.split("&options=")[0]
    return f"{path.rsplit('/', 1)[0]}/{name}?{host}"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int = 0, minutes: int = 0) -> None:
        self.now += timedelta(days=days, minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Tracker]:
    """A set-up tracker (records, key) on one engine, with the shipped course."""
    config, _ = initialise(tmp_path / "data", database_url=db_url)
    with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        yield t


def as_in_a_test(patch: pytest.MonkeyPatch) -> None:
    """Make the patches every test gets (cheap password hashes, stand-in PDFs) for a
    module's set-up, which runs before them."""
    from argon2 import PasswordHasher

    quick = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # as tests/conftest.py
    patch.setattr("tracker.accounts._HASHER", quick)
    patch.setattr("tracker.issuing.RENDERER", stand_in_files)


@pytest.fixture(scope="module", params=ENGINES)
def shared_tracker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tracker]:
    """A tracker on each engine, set up once for a module's tests that each change nothing.

    Only for tests that prove it themselves (`snapshot` before and after): a test that
    changed the records fails on its own, so no later test can pass on its leftovers. Set
    up once rather than once a test: the set-up was most of each such test's CPU (0.35 s
    on PostgreSQL, the server's included). The function-scoped patches every test gets
    (cheap password hashes, stand-in PDFs) are not made yet when a module's fixtures
    start, so they are made here for the set-up.
    """
    folder = tmp_path_factory.mktemp("shared")
    url = str(folder / "tracker.db")
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), url)
        Path(url).chmod(0o600)  # as cpo makes it
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.new_database()
    with pytest.MonkeyPatch.context() as patch:
        as_in_a_test(patch)
        config, _ = initialise(folder / "data", database_url=url)
        t = open_tracker(config, course_loader=shipped_course, clock=Clock())
        act_as_admin(t)
    with t:
        yield t
    if request.param == "postgresql":
        server.drop_database(url)


ADMIN_PASSWORD = "a long test password"


def staff_account(t: Tracker, login: str, role: Role, offices: list[str]) -> None:
    """Add a staff account (as the admin acting), unless it is there already."""
    with t.db.read() as tx:
        there = tx.scalar("SELECT COUNT(*) FROM staff WHERE login = ?", (login,))
    if not there:
        add_staff(t, login, role, offices, ADMIN_PASSWORD)


def act_as_admin(t: Tracker, login: str = "tester") -> None:
    """Make the first admin account (if there is none) and act as it."""
    if not has_staff(t):
        add_staff(t, login, Role.ADMIN, [], ADMIN_PASSWORD)
    t.actor = actor_for(t, login)


def make_order(
    t: Tracker,
    reference: str = "C-1",
    hours: int = 100,
    jurisdiction: str = "scotland",
    extra_time: bool = False,
    office: str = "north",
    region: Region | None = None,
) -> Order:
    """A client with one order (and their office, if it is new); England by default in E&W."""
    with suppress(TrackerError):  # the office is already there
        add_office(t, office, office.title(), "tester")
    add_client(
        t,
        reference,
        f"Client {reference}",
        office,
        "Ana Lopez",
        "tester",
        contact="0141 000 0000",
        extra_time=extra_time,
        region=region or (Region.SCOTLAND if jurisdiction == "scotland" else Region.ENGLAND),
    )
    return add_order(
        t, reference, jurisdiction, hours * 60, date(2026, 11, 2), date(2027, 5, 1), "tester"
    )


def snapshot(t: Tracker) -> dict[str, list[dict[str, object]]]:
    """Every record except the audit log, to show that a refusal changed nothing."""
    tables = [
        "offices",
        "clients",
        "orders",
        "order_adjustments",
        "order_agreements",
        "workbooks",
        "tokens",
        "returns",
        "marks",
        "mark_activities",
        "credits",
    ]
    with t.db.read() as tx:
        return {name: tx.all(f"SELECT * FROM {name} ORDER BY 1") for name in tables}


@pytest.fixture
def cpo(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `cpo ...` against a fresh tracker on one engine; returns the result."""
    monkeypatch.setenv("CPO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CPO_USER", "fay")
    monkeypatch.setenv("CPO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CPO_CONTENT", str(SHIPPED_COURSE))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "--database", db_url])
    assert first.exit_code == 0, first.output

    def run(*args: str, stdin: str | None = None, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), input=stdin)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.output  # a traceback would be a bug
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


def cli_order(cpo: Callable[..., Result], reference: str = "C-1") -> None:
    """Add a 100-hour Scottish order for `reference` through the command line."""
    cpo(
        "order", "add", reference, "--jurisdiction", "scotland", "--hours", "100",
        "--made", "2026-11-02", "--deadline", "2027-05-01",
    )  # fmt: skip
