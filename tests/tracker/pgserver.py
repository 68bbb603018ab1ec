"""A throwaway PostgreSQL server for the tests: its own folder, a Unix socket, no TCP port.

It is started once per test session (once per xdist worker) from the Debian binaries
(.ci/run installs them), and shared by every fixture that asks for it (`shared_server`).
A test gets an empty schema of its own (`new_schema`), or, when it only needs records
ready to use, a database copied from a template migrated once (`new_database`: a file
copy, several times quicker than migrating). As root, the server runs as `postgres`,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

TEMPLATE = "cpo_template"


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first; None if not installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """Start with `start()`, make URLs with `url()`, stop with `stop()`."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="cpo-pg-"))
        self.data = self.root / "data"
        self.as_user: list[str] = []
        self._session: Any = None  # the one connection that makes and drops databases
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        # A throwaway server: nothing it holds must outlive a crash, so it need not wait for
        # the disk (fsync, synchronous_commit) nor guard against torn pages (full page
        # writes). Never settings for a real tracker's server. No autovacuum: a test that
        # needs the planner's counts makes them itself (ANALYZE, as `cpo import` does), so
        # no background count can pass a test whose code forgot to.
        options = (
            f"-k {self.root} -c listen_addresses='' -c max_connections=50 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "server.log"),
            "start",
        )

    def stop(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, schema: str = "", database: str = "postgres") -> str:
        url = f"postgresql://postgres@/{database}?host={quote(str(self.root))}"
        if schema:
            url += "&options=" + quote(f"-c search_path={schema}")
        return url

    def _admin(self, *statements: str) -> None:
        """Run `statements` on the server's own database, in one connection kept open.

        A new connection is a new server process (about 7 ms of the server's CPU, a tenth of
        a test's database made and dropped), so the tests' set-up reuses one.
        """
        import psycopg

        if self._session is None or self._session.closed:
            self._session = psycopg.connect(self.url(), autocommit=True)
        for statement in statements:
            self._session.execute(statement)

    def make_template(self, prepare: Callable[[str], None]) -> None:
        """Make the template database and run `prepare` (the migrations) on its URL once."""
        self._admin(f"CREATE DATABASE {TEMPLATE}")
        prepare(self.url(database=TEMPLATE))
        # Nobody may connect to it again: a copy needs the template free of sessions.
        self._admin(f"ALTER DATABASE {TEMPLATE} WITH ALLOW_CONNECTIONS false")

    def new_database(self) -> str:
        """A fresh copy of the template database (see make_template); its URL."""
        name = "d_" + uuid.uuid4().hex[:12]
        # FILE_COPY copies the template's few files; with fsync off it beats WAL_LOG here.
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.url(database=name)

    def copy_database(self, url: str) -> str:
        """A copy of the database at `url` (made by new_database; no session may be on it)."""
        name = "d_" + uuid.uuid4().hex[:12]
        source = url.split("?")[0].rsplit("/", 1)[1]
        self._admin(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
        return self.url(database=name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by new_database, ending any session still on it."""
        name = url.split("?")[0].rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def new_schema(self) -> str:
        """A fresh, empty schema; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self._admin(f"CREATE SCHEMA {name}")
        return self.url(name)


_SHARED: dict[str, PostgresServer] = {}


def shared_server(
    config: pytest.Config, binaries: Path, prepare: Callable[[str], None]
) -> PostgresServer:
    """The session's one server, started (with its template) on first use, stopped at the end.

    The tracker's and the web app's conftests each declare a `postgres` fixture, and pytest
    runs each declaration's session fixture apart: without this, a worker started two.
    """
    if "server" not in _SHARED:
        server = PostgresServer(binaries)
        server.start()
        try:
            server.make_template(prepare)
        except BaseException:
            server.stop()
            raise
        _SHARED["server"] = server

        def stop() -> None:
            _SHARED.pop("server").stop()

        config.add_cleanup(stop)
    return _SHARED["server"]
