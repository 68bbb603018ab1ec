"""Backups: one archive of the records, the keys (encrypted) and any evidence left in files.

The records come from the engine's own consistent snapshot: SQLite's online backup API,
or `pg_dump` (the Debian PostgreSQL binaries) for PostgreSQL. The keys go in sealed
under a passphrase (see keys.py), so the archive alone cannot sign a code. Page images
are in the records already; any still kept as files by an older cpo go in beside them.
A restore goes only into an empty data folder and an empty database.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker import keys
from tracker.access import entry
from tracker.accounts import Action
from tracker.config import DATABASE_FILE, Config, initialise, load
from tracker.errors import TrackerError
from tracker.store import Database
from tracker.tracker import Tracker

FORMAT = 1
MANIFEST, SQLITE, SQL, KEYS = "manifest.json", "records.sqlite", "records.sql", "keys.sealed"
FILES = "files/"


class BackupError(TrackerError):
    """A backup that cannot be made, or an archive that cannot be restored: which part, and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Backup:
    """What an archive holds."""

    engine: str
    schema: int
    made_at: str
    keys: tuple[str, ...]
    evidence_files: int


@entry(Action.MANAGE_KEYS)
def backup(t: Tracker, destination: Path, passphrase: str) -> Backup:
    """Write one archive of the records, the sealed keys and any evidence files."""
    keys.check_passphrase(passphrase)
    actor = t.actor
    assert actor is not None
    with t.db.write() as tx:
        t.audit(tx, actor.login, "backup", destination.name[:80])
        schema = int(tx.scalar("SELECT MAX(version) FROM schema_migrations"))
    folder = t.config.data_dir
    sealed = keys.seal(_keyring_bytes(folder / "keys"), passphrase)
    files = sorted(p for p in (folder / "evidence").rglob("*.jpg") if p.is_file())
    summary = Backup(t.db.engine, schema, t.now(), tuple(sorted(keys.recorded(t.db))), len(files))
    with tempfile.TemporaryDirectory(prefix="cpo-backup-") as work:
        records = Path(work) / (SQLITE if t.db.engine == "sqlite" else SQL)
        if t.db.engine == "sqlite":
            t.db.copy_to(records)
        else:
            _pg_dump(t.db, records)
        part = destination.with_name(destination.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as tar:
            _add(tar, MANIFEST, json.dumps(_manifest(summary)).encode())
            tar.add(records, arcname=records.name)
            _add(tar, KEYS, sealed)
            for file in files:
                tar.add(file, arcname=FILES + str(file.relative_to(folder)))
            handle.flush()
        part.replace(destination)
    return summary


def restore(source: Path, data_dir: Path, database_url: str, passphrase: str) -> Config:
    """Bring a tracker back from an archive into an empty data folder and database."""
    data_dir = data_dir.expanduser().resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError("data folder", f"{data_dir} is not empty: restore into a new folder")
    try:
        tar = tarfile.open(source, mode="r:")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as err:
        raise BackupError("file", f"cannot read {source} as a cpo backup ({err})") from None
    made = not data_dir.exists()
    try:
        with tar:
            manifest = _read_manifest(tar)
            keyring = keys.parse_keyring(keys.open_sealed(_member(tar, KEYS), passphrase, "file"))
            _restore_records(tar, manifest, data_dir, database_url)
            for name, secret in keyring.items():
                file = "audit.key" if name == keys.AUDIT_ID else f"{name}.key"
                keys.write_private(data_dir / "keys" / file, (secret.hex() + "\n").encode())
            _restore_files(tar, data_dir)
        config, _ = initialise(data_dir, database_url)
    except BaseException:
        if made:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:  # the folder was there and empty: leave it empty
            for child in data_dir.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return load(config.data_dir)


def _restore_records(
    tar: tarfile.TarFile, manifest: dict[str, Any], data_dir: Path, database_url: str
) -> None:
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    if manifest["engine"] == "sqlite" and not postgres:
        target = Path(database_url) if database_url else data_dir / DATABASE_FILE
        if target.exists():
            raise BackupError("database", f"{target} already exists: restore into a new file")
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys.write_private(target, _member(tar, SQLITE))
    elif manifest["engine"] == "postgresql" and postgres:
        _psql_restore(database_url, _member(tar, SQL))
    else:
        raise BackupError(
            "database", f"this backup is of {manifest['engine']} records: restore it into the same"
        )


def _restore_files(tar: tarfile.TarFile, data_dir: Path) -> None:
    for member in tar.getmembers():
        if member.name.startswith(FILES) and member.isfile():
            relative = Path(member.name[len(FILES) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise BackupError("file", f"the archive holds an unsafe name {member.name!r}")
            keys.write_private(data_dir / relative, _member(tar, member.name))


def _manifest(summary: Backup) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "engine": summary.engine,
        "schema": summary.schema,
        "made_at": summary.made_at,
        "keys": list(summary.keys),
    }


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        manifest = json.loads(_member(tar, MANIFEST))
    except ValueError:
        raise BackupError("file", "the backup's manifest is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("file", "this backup was made by another version of cpo")
    return manifest


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        handle = tar.extractfile(name)
    except KeyError:
        handle = None
    if handle is None:
        raise BackupError("file", f"the backup lacks {name}: it is not a whole cpo backup")
    return handle.read()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def _keyring_bytes(folder: Path) -> bytes:
    found = keys.local_keys(folder)
    return json.dumps({k: v.hex() for k, v in sorted(found.items())}).encode()


def postgres_binary(name: str) -> str:
    """The newest Debian PostgreSQL client program `name` (pg_dump, psql)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError("engine", f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _split_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that passes the password instead."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None}), env


def _pg_dump(db: Database, out: Path) -> None:
    with db.read() as tx:
        schema = str(tx.scalar("SELECT current_schema()"))
    conninfo, env = _split_password(db.url)
    command = [postgres_binary("pg_dump"), "--no-owner", "--no-privileges"]
    command += ["--schema", schema, "--file", str(out), "--dbname", conninfo]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError("records", f"pg_dump failed: {_first_line(done.stderr)}")


def _psql_restore(url: str, sql: bytes) -> None:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            taken = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
    except psycopg.Error as err:
        raise BackupError("database", f"cannot reach it: {_first_line(str(err))}") from None
    if taken and taken[0] is not None:
        raise BackupError("database", "it already holds records: restore into an empty one")
    # A dump of the usual schema, public, creates it, but every new database has it (empty).
    sql = sql.replace(b"\nCREATE SCHEMA public;\n", b"\nCREATE SCHEMA IF NOT EXISTS public;\n", 1)
    # Gather every table's statistics as it ends (what the columns hold: building the
    # indexes counts only the rows), as PostgreSQL's background worker would only about a
    # minute later: until then the planner guesses how the tables join.
    sql += b"\nANALYZE;\n"
    conninfo, env = _split_password(url)
    command = [postgres_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
    command += ["--dbname", conninfo]
    done = subprocess.run(command, input=sql, env=env, capture_output=True, check=False)
    if done.returncode:
        raise BackupError("records", f"psql failed: {_first_line(done.stderr.decode())}")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else "no message"
