"""The records' database: SQLite by default, PostgreSQL for offices that share one tracker.

The same SQL runs on both (written with `?` placeholders; PostgreSQL gets `%s`). Every
change happens in `Database.write()`, which takes one lock for the whole transaction:
SQLite's `BEGIN IMMEDIATE`, PostgreSQL's row lock on the audit chain's head. So writers
queue rather than race, and the audit chain never forks.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError
from tracker.migrations import MIGRATIONS, REBUILDS, Migration

MIGRATION_LOCK = 72_614_001  # PostgreSQL advisory lock: one process migrates at a time
Row = dict[str, Any]
Params = Sequence[Any]


class Database:
    """A connection to the records, with the schema brought up to date on open."""

    def __init__(self, url: str, wait_seconds: float = 10, create: bool = True) -> None:
        """Open the records at `url`; wait up to `wait_seconds` for another writer to finish.

        A SQLite file that is missing is made (owner-only) only if `create` is True.
        """
        self.url = url
        self.audit_key = b""  # the audit chain's key, set by open_tracker (see audit.py)
        self.engine = "postgresql" if re.match(r"postgres(ql)?://", url) else "sqlite"
        self._conn: Any = None
        if self.engine == "postgresql":
            self._conn = _connect_postgres(url, wait_seconds)
        else:
            self._conn = _connect_sqlite(url, wait_seconds, create)
        self._migrate()

    def close(self) -> None:
        self._conn.close()

    def copy_to(self, path: Path) -> None:
        """Copy SQLite records to `path` with SQLite's online backup API (one consistent copy)."""
        if self.engine != "sqlite":
            raise TrackerError("copy_to is for SQLite records: use pg_dump for PostgreSQL")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        target = sqlite3.connect(path)
        try:
            with target:
                self._conn.backup(target)
        except sqlite3.Error as err:
            raise _explain(err) from err
        finally:
            target.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A transaction that may change records; everything in it lands or nothing does."""
        with self._transaction(write=True) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A consistent view of the records for reading."""
        with self._transaction(write=False) as tx:
            yield tx

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Transaction]:
        tx = Transaction(self._conn, self.engine)
        try:
            if self.engine == "sqlite":
                tx.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            elif write:
                tx.one("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE")
            else:  # one snapshot for every statement, as SQLite's read transaction gives
                tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield tx
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._conn.commit()
            except Exception as err:
                self._rollback()
                raise _explain(err) from err

    def _rollback(self) -> None:
        with suppress(Exception):  # if the connection is gone, nothing was committed
            self._conn.rollback()

    def _migrate(self) -> None:
        with self._transaction(write=False) as tx:
            version = _schema_version(tx)
        newest = max(MIGRATIONS)
        if version > newest:
            raise TrackerError(
                f"the records were written by a newer cpo (schema {version}; this cpo knows "
                f"up to {newest}): upgrade cpo-offline before using them"
            )
        with self._transaction(write=False) as tx:
            applied = _applied(tx)
        for number in sorted(MIGRATIONS):
            if number not in applied:  # a gap (a migration merged late) is filled in too
                self._apply(number, MIGRATIONS[number])

    def _apply(self, number: int, script: Migration) -> None:
        """Apply one migration in its own transaction, unless another process just did."""
        if isinstance(script, str):
            statements = [s.strip() for s in _dialect(script, self.engine).split(";") if s.strip()]
        else:  # written for each engine (triggers hold semicolons)
            statements = script[self.engine]
        tx = Transaction(self._conn, self.engine)
        # A table made again (SQLite's 12-step ALTER) is dropped while others reference
        # it: foreign keys go off outside the transaction (a no-op inside one), and every
        # key is checked before the commit.
        rebuild = self.engine == "sqlite" and number in REBUILDS
        try:
            if self.engine == "sqlite":
                if rebuild:
                    self._conn.execute("PRAGMA foreign_keys = OFF")
                self._conn.execute("BEGIN IMMEDIATE")
            else:
                tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            if number not in _applied(tx):
                for statement in statements:
                    self._conn.execute(statement)
                if rebuild:
                    _check_references(tx, number)
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (number, _utc_now()),
                )
            self._conn.commit()
        except Exception as err:
            self._rollback()
            raise _explain(err) from err
        finally:
            if rebuild:
                self._conn.execute("PRAGMA foreign_keys = ON")


class Transaction:
    """Runs SQL inside one transaction; rows come back as dicts."""

    def __init__(self, conn: Any, engine: str) -> None:
        self._conn, self.engine = conn, engine

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return int(self._run(sql, params).rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement once for each of `rows`: a bulk write in one round trip."""
        try:
            if self.engine == "postgresql":
                with self._conn.cursor() as cursor:
                    cursor.executemany(_postgres_sql(sql), [tuple(r) for r in rows])
            else:
                self._conn.executemany(sql, [tuple(r) for r in rows])
        except Exception as err:
            raise _explain(err) from err

    def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT ... RETURNING id; the new row's id."""
        row = self._run(sql + " RETURNING id", params).fetchone()
        return int(row["id"])

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row = self._run(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(row) for row in self._run(sql, params).fetchall()]

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples in the SELECT's column order: for reading in bulk."""
        try:
            if self.engine == "postgresql":
                from psycopg.rows import tuple_row

                cursor = self._conn.cursor(row_factory=tuple_row)
                cursor.execute(_postgres_sql(sql), tuple(params))
            else:
                cursor = self._conn.cursor()
                cursor.row_factory = None
                cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        except Exception as err:
            raise _explain(err) from err

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self._run(sql, params).fetchone()
        return None if row is None else next(iter(dict(row).values()))

    def _run(self, sql: str, params: Params) -> Any:
        try:
            if self.engine == "postgresql":
                return self._conn.execute(_postgres_sql(sql), tuple(params))
            return self._conn.execute(sql, tuple(params))
        except Exception as err:
            raise _explain(err) from err


class ConstraintError(TrackerError):
    """The database refused a row that breaks one of its rules (a bug or a race lost)."""


def _explain(err: Exception) -> Exception:
    """A database failure as a TrackerError a person can act on."""
    if isinstance(err, TrackerError):
        return err
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return TrackerError(
            "the records are locked by another program (is a cpo command still running?): "
            "try again in a moment"
        )
    if "not a database" in text or "malformed" in text:
        return TrackerError(f"the records file is damaged or not a cpo database ({text})")
    name = type(err).__name__
    if "Integrity" in name or "UniqueViolation" in name or "CheckViolation" in name:
        return ConstraintError(f"the records refused a change: {text}")
    if isinstance(err, sqlite3.Error) or "psycopg" in type(err).__module__:
        return TrackerError(f"the records could not be read or written: {text}")
    return err


def _connect_sqlite(url: str, wait_seconds: float, create: bool) -> sqlite3.Connection:
    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    if not path.parent.is_dir():
        raise TrackerError(f"no folder {path.parent} for the records: run `cpo init` first")
    if not path.exists() and not create:
        raise TrackerError(
            f"the records {path} are missing: restore them from the backup "
            "(cpo never starts an empty one in their place)"
        )
    _owner_only(path)
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=wait_seconds, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(wait_seconds * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a recorded check-in survives a power cut
        # Sorts and temporary indexes stay in memory: as files, a group of check-ins wrote
        # 0.7-1.5 MB of them a commit, growing with the records. Nothing durable is in them.
        conn.execute("PRAGMA temp_store = MEMORY")
        # Up to 32 MiB of pages kept (SQLite's default is 2 MiB): a group of check-ins looks
        # its 1,000 codes up at random in the codes' index, which at 100,000 tokens no
        # longer fitted, so most look-ups read a page again from the file (a system call).
        # This connection's own cache: memory is taken only as pages are read.
        conn.execute("PRAGMA cache_size = -32768")
    except sqlite3.Error as err:
        raise _explain(err) from err
    return conn


def _check_references(tx: Transaction, migration: int) -> None:
    """Refuse `migration` (TrackerError) if any row points at a row that is not there."""
    broken = tx.tuples("PRAGMA foreign_key_check")
    if broken:
        table, rowid, parent, _ = broken[0]
        raise TrackerError(
            f"migration {migration} was not applied: {table} row {rowid} points at a missing "
            f"{parent} row ({len(broken)} such rows): restore the records from the backup"
        )


def _owner_only(path: Path) -> None:
    """Make the records file (new or old) readable and writable by its owner only."""
    with suppress(OSError):  # a file that cannot be opened is said by sqlite3 itself
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


def _connect_postgres(url: str, wait_seconds: float) -> Any:
    import psycopg
    from psycopg.rows import dict_row

    try:
        conn = psycopg.connect(url, row_factory=dict_row, autocommit=False)
        # As SQLite's busy timeout: a writer waits this long for another, then is told.
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false)", (f"{wait_seconds * 1000:.0f}",)
        )
        conn.commit()
        return conn
    except psycopg.Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TrackerError(f"cannot reach the PostgreSQL records: {first}") from None


def _applied(tx: Transaction) -> set[int]:
    """The numbers of the migrations already applied."""
    if not _schema_version(tx):
        return set()
    return {int(r["version"]) for r in tx.all("SELECT version FROM schema_migrations")}


def _schema_version(tx: Transaction) -> int:
    exists = tx.scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        if tx.engine == "sqlite"
        else "SELECT COUNT(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
    )
    if not exists:
        return 0
    return int(tx.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") or 0)


@cache
def _postgres_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _dialect(script: str, engine: str) -> str:
    """A migration's SQL for one engine: only the identity and bytes columns differ."""
    pk = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if engine == "sqlite"
        else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    without_comments = re.sub(r"--[^\n]*", "", script)  # a comment may hold a ;
    blob = "BLOB" if engine == "sqlite" else "BYTEA"
    return without_comments.replace("{pk}", pk).replace("{blob}", blob)


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
