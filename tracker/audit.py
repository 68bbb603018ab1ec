"""The audit log: every change, each entry chained to the one before by a keyed hash.

Each entry's hash is an HMAC-SHA256, under a key kept in the data folder's keys/ (never
in the records), of the entry and the hash before it. So editing, deleting or cutting
entries shows, and so does re-hashing the chain without the key. Each entry also holds a
copy of every row that decides hours which its change wrote (triggers journal them, see
migrations.COVERED; a group of check-ins gives copies of its new returns itself, see
migrations_speed._journal_pause, and they go in its one entry), so `verify` can
compare the tables with the chain and name a row changed, added or deleted behind the
tracker's back. The chain's bytes are made in tracker.audit_chain.

A chain begun before keys (schema 2) is carried over by an *anchor*: the first keyed
entry, which covers the old head and copies every covered row as it stood. Entries
before it are checked with plain SHA-256, as they were written.

A *fingerprint* (`ID:HASH16`) names the head; printed on reports, it is an anchor
outside the records: `verify(since=...)` proves the chain still holds that entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from tracker.audit_chain import DETAILS as _DETAILS
from tracker.audit_chain import body as _body
from tracker.audit_chain import link as _link
from tracker.audit_chain import link_many
from tracker.audit_chain import mac as _mac
from tracker.bulk_sql import insert_rows
from tracker.errors import TrackerError
from tracker.migrations import APPEND_ONLY, COVERED, row_key
from tracker.migrations_speed import PAUSED
from tracker.store import Database, Transaction

GENESIS = "genesis"
ANCHOR = "audit.anchor"
KEY_FILE = "audit.key"
KEY_BYTES = 32
# table -> row key -> columns (None: gone); a copy made to be written may be a tuple.
Images = dict[str, dict[str, Sequence[Any] | None]]


class AuditKeyError(TrackerError):
    """The audit key is missing or damaged, so the chain cannot be extended or checked."""


def key_path(keys_folder: Path) -> Path:
    return keys_folder / KEY_FILE


def load_key(keys_folder: Path) -> bytes | None:
    """The audit key in `keys_folder`, or None if there is none yet."""
    path = key_path(keys_folder)
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise AuditKeyError(f"the audit key {path} cannot be read ({err}): restore it") from None
    if len(secret) != KEY_BYTES:
        raise AuditKeyError(f"the audit key {path} is damaged: restore it from the backup")
    return secret


def create_key(keys_folder: Path) -> bytes:
    """Make the audit key, readable by the owner only."""
    keys_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys_folder.chmod(stat.S_IRWXU)
    secret = secrets.token_bytes(KEY_BYTES)
    fd = os.open(key_path(keys_folder), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex() + "\n")
    return secret


def record(
    tx: Transaction,
    key: bytes,
    at: str,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> int:
    """Append an entry to the chain inside `tx`, with copies of the rows it changed; its id."""
    rows = _sweep(tx)
    if rows:
        details = {**details, "rows": rows}
    return _append(tx, key, at, actor, action, subject, details)


class Entry(NamedTuple):
    """One entry to append with `record_many`, and the covered rows its change wrote."""

    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    rows: tuple[tuple[str, str], ...] = ()  # (table, row key), as the journal names them


def record_many(
    tx: Transaction, key: bytes, entries: Sequence[Entry], written: Images | None = None
) -> None:
    """Append `entries` in order inside `tx`, as `record` would one by one, in a few statements.

    Each entry carries copies of the journalled rows it names; a row journalled but
    named by none goes with the first entry, as `record` would sweep it there.
    `written` holds copies of covered rows the caller wrote with their journal paused
    (see migrations_speed.PAUSED), by table and row key; they go the same way.
    """
    if not entries:
        return
    journal = tx.tuples("SELECT tbl, row_key FROM row_changes")
    if journal:
        tx.execute("DELETE FROM row_changes")
    given = {table: copies for table, copies in (written or {}).items() if copies}
    if journal or any(entry.rows for entry in entries):
        images, spare = _gathered(tx, journal, given, entries)
        first = _copies(images, [*entries[0].rows, *spare])
    else:  # only the caller's copies, named by no entry: all go with the first, as above,
        images, first = {}, given  # without a step a row (a group of check-ins gives 1,000)
    head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    assert head is not None, "the initial migration writes the head row"
    unlinked = []
    for n, entry in enumerate(entries):
        rows = first if n == 0 else _copies(images, entry.rows)
        details = {**entry.details, "rows": rows} if rows else entry.details
        unlinked.append((entry.at, entry.actor, entry.action, entry.subject, _DETAILS(details)))
    out = link_many(key, str(head["last_hash"]), int(head["last_id"]) + 1, unlinked)
    columns = "id, at, actor, action, subject, details, prev_hash, hash"
    insert_rows(tx, f"INSERT INTO audit_log ({columns}) VALUES", out)
    last_id, *_, last_hash = out[-1]
    head_sql = "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1"
    tx.execute(head_sql, (last_id, last_hash))


def _gathered(
    tx: Transaction, journal: list[tuple[Any, ...]], given: Images, entries: Sequence[Entry]
) -> tuple[Images, list[tuple[str, str]]]:
    """Copies of the journalled rows and of those `given`; the rows that no entry names."""
    wanted: dict[str, list[str]] = {}
    for table, row_key_ in journal:
        wanted.setdefault(table, []).append(row_key_)
    images = {t: _images(tx, t, keys) for t, keys in wanted.items() if t in COVERED}
    for table, copies in given.items():
        known = images.setdefault(table, {})
        known.update({k: v for k, v in copies.items() if k not in known})  # a read row wins
    named = [(t, k) for t, copies in given.items() for k in copies]
    return images, _unnamed([*journal, *named], entries)


def _unnamed(rows: list[tuple[str, str]], entries: Sequence[Entry]) -> list[tuple[str, str]]:
    """The `rows` (table, row key) that no entry names, in their order, once each."""
    if not rows:
        return []
    named = {row for entry in entries for row in entry.rows}
    return list(dict.fromkeys(r for r in rows if r not in named))


def _copies(images: dict[str, dict[str, Any]], rows: Iterable[tuple[str, str]]) -> Images:
    """The copies of `rows` (journalled ones only, of covered tables), by table."""
    out: Images = {}
    for table, row_key_ in rows:
        if table in images:
            out.setdefault(table, {})[row_key_] = images[table].get(row_key_)
    return out


def ensure_anchor(db: Database, keys_folder: Path, at: str) -> bytes:
    """The audit key; on first use, make it and anchor the chain (old or new) under it."""
    key = load_key(keys_folder)
    with db.read() as tx:
        keyed = bool(tx.scalar("SELECT keyed FROM audit_head WHERE id = 1"))
    if keyed:
        if key is None:
            raise AuditKeyError(
                f"the audit key {key_path(keys_folder)} is missing: restore keys/ from the backup"
            )
        return key
    with db.write() as tx:
        if tx.scalar("SELECT keyed FROM audit_head WHERE id = 1"):
            return load_key(keys_folder) or b""  # another program anchored it just now
        if key is None:
            key = create_key(keys_folder)
        head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        assert head is not None
        tx.execute("DELETE FROM row_changes")
        images = {table: _images(tx, table) for table in COVERED}
        details = {"covers": head["last_hash"], "covers_id": head["last_id"], "rows": images}
        _append(tx, key, at, "cpo", ANCHOR, "audit chain", details)
        tx.execute("UPDATE audit_head SET keyed = 1 WHERE id = 1")
    return key


@dataclass(frozen=True)
class Fingerprint:
    """The chain's head, short enough to print: its entry number and hash."""

    entry: int
    digest: str  # the first 16 hex digits of the entry's hash

    def __str__(self) -> str:
        return f"{self.entry}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> Fingerprint:
        """`1234:9f3a2b7c1d0e55aa` -> Fingerprint; TrackerError if it is not one."""
        entry, _, digest = text.strip().lower().partition(":")
        if not (entry.isdigit() and re.fullmatch("[0-9a-f]{16}", digest)):
            raise TrackerError(
                f"'{text[:60]}' is not an audit fingerprint (like 1234:9f3a2b7c1d0e55aa)"
            )
        return cls(int(entry), digest)


def fingerprint(tx: Transaction) -> Fingerprint:
    """The fingerprint of the chain's head, read inside `tx`."""
    head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    assert head is not None, "the initial migration writes the head row"
    return Fingerprint(int(head["last_id"]), str(head["last_hash"])[:16])


@dataclass(frozen=True)
class Verdict:
    """What checking the chain and the tables found."""

    entries: int
    problems: tuple[str, ...] = ()  # empty when the chain and the tables agree
    anchored: str = ""  # when the chain was first keyed
    head: Fingerprint | None = None
    credited: dict[str, int] | None = None  # order -> minutes, recomputed from the chain

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> str:
        return self.problems[0] if self.problems else ""


def verify(db: Database, key: bytes | None = None, since: Fingerprint | None = None) -> Verdict:
    """Check every link of the chain, then every covered row and order against the chain.

    `key` defaults to the one `open_tracker` found for `db`.
    """
    key = key if key is not None else db.audit_key
    with db.read() as tx:
        rows = tx.all(
            "SELECT id, at, actor, action, subject, details, prev_hash, hash "
            "FROM audit_log ORDER BY id"
        )
        head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        actual = {table: _images(tx, table) for table in COVERED}
        orders = {
            str(r["id"]): f"{r['reference']}/{r['number']}"
            for r in tx.all(
                "SELECT o.id, o.number, c.reference FROM orders o "
                "JOIN clients c ON c.id = o.client_id"
            )
        }
        missing_triggers = _missing_triggers(tx)
        paused = int(tx.scalar(f"SELECT COUNT(*) FROM {PAUSED}") or 0)
    walk = _walk(rows, key)
    problems = list(walk.problems)
    if not walk.problems:
        problems += _check_head(head, rows)
    if since is not None:
        problems += _check_since(since, rows)
    problems += [f"the append-only rule on {t} was removed" for t in missing_triggers]
    if paused:  # a group of check-ins empties it before it commits
        problems.append("the journal of new returns was left paused: returns may be unrecorded")
    problems += _compare_rows(walk.expected, actual)
    chain_credit = _credited(walk.expected.get("credits", {}))
    table_credit = _credited(actual["credits"])
    for order_id in sorted(set(chain_credit) | set(table_credit), key=int):
        said, has = chain_credit.get(order_id, 0), table_credit.get(order_id, 0)
        if said != has:
            name = orders.get(order_id, f"id {order_id}")
            problems.append(
                f"order {name}: the credits table adds up to {has} min, the audit chain to {said}"
            )
    return Verdict(
        walk.good,
        tuple(problems),
        walk.anchored,
        Fingerprint(int(head["last_id"]), str(head["last_hash"])[:16]) if head else None,
        {orders.get(k, k): v for k, v in chain_credit.items()},
    )


@dataclass
class _Walk:
    good: int
    problems: list[str]
    anchored: str
    expected: Images


def _walk(rows: list[dict[str, Any]], key: bytes) -> _Walk:
    """Check each link: plain SHA-256 before the anchor, the keyed hash from it on."""
    walk = _Walk(0, [], "", {})
    prev, keyed = GENESIS, False
    for row in rows:
        if row["prev_hash"] != prev:
            walk.problems.append(
                f"entry {row['id']} does not follow the one before it: "
                "an entry was removed or changed"
            )
            return walk
        keyed = keyed or row["action"] == ANCHOR
        body = _body(prev, row)
        digest = _mac(key, body) if keyed else hashlib.sha256(body).hexdigest()
        if not hmac.compare_digest(digest, str(row["hash"])):
            walk.problems.append(
                f"entry {row['id']} ({row['action']}, {row['at']}) was changed after it was "
                "written, or the chain was re-hashed without the audit key"
            )
            return walk
        if keyed:
            if not walk.anchored:
                walk.anchored = f"entry {row['id']}, {row['at']}"
            _absorb(walk.expected, json.loads(row["details"]).get("rows", {}))
        walk.good += 1
        prev = digest
    if rows and not keyed:
        walk.problems.append("no entry is keyed: the chain was rewritten without the audit key")
    return walk


def _check_head(head: dict[str, Any] | None, rows: list[dict[str, Any]]) -> list[str]:
    last_id, last_hash = (rows[-1]["id"], rows[-1]["hash"]) if rows else (0, GENESIS)
    if head is None or head["last_hash"] != last_hash or int(head["last_id"]) != last_id:
        return ["the newest entries are missing: the log was cut short"]
    return []


def _check_since(since: Fingerprint, rows: list[dict[str, Any]]) -> list[str]:
    found = next((r for r in rows if int(r["id"]) == since.entry), None)
    if found is None:
        return [f"entry {since.entry} of fingerprint {since} is gone: the chain was cut behind it"]
    if not str(found["hash"]).startswith(since.digest):
        return [
            f"entry {since.entry} is not the one fingerprinted as {since}: "
            "the chain was rewritten behind it"
        ]
    return []


def _compare_rows(expected: Images, actual: Images) -> list[str]:
    """Each covered row that differs from its last copy in the chain, named."""
    out = []
    for table, columns in COVERED.items():
        said, has = expected.get(table, {}), actual[table]
        for name in sorted(set(said) | set(has), key=_natural):
            before, now = said.get(name), has.get(name)
            if before == now:
                continue
            if before is None:
                out.append(f"{table} row {name} is not in the audit chain: added outside cpo")
            elif now is None:
                out.append(f"{table} row {name} was deleted outside cpo (the chain holds it)")
            else:
                diffs = [
                    f"{col} is {_show(b)} but the chain says {_show(a)}"
                    for col, a, b in zip(columns, before, now, strict=True)
                    if a != b
                ]
                out.append(f"{table} row {name} was changed outside cpo: " + "; ".join(diffs))
    return out


def _credited(credits: dict[str, Sequence[Any] | None]) -> dict[str, int]:
    """Net minutes per order id from credit rows (order_id first, minutes fourth)."""
    out: dict[str, int] = {}
    for image in credits.values():
        if image is not None:
            out[str(image[0])] = out.get(str(image[0]), 0) + int(image[3])
    return out


def _missing_triggers(tx: Transaction) -> list[str]:
    if tx.engine == "sqlite":
        names = {r["name"] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        wanted = {t: f"{t}_append_only_update" for t in APPEND_ONLY}
    else:
        names = {
            r["tgname"]
            for r in tx.all(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
        }
        wanted = {t: f"{t}_append_only" for t in APPEND_ONLY}
    return [table for table, name in wanted.items() if name not in names]


def _sweep(tx: Transaction) -> Images:
    """Copies of the rows journalled in this transaction; the journal is emptied."""
    changed = tx.all("SELECT tbl, row_key FROM row_changes")
    if not changed:
        return {}
    tx.execute("DELETE FROM row_changes")
    wanted: dict[str, list[str]] = {}
    for row in changed:
        wanted.setdefault(row["tbl"], []).append(row["row_key"])
    out: Images = {}
    for table, keys in wanted.items():
        if table not in COVERED:
            continue
        found = _images(tx, table, keys)
        out[table] = {k: found.get(k) for k in keys}
    return out


def _images(tx: Transaction, table: str, keys: Iterable[str] | None = None) -> dict[str, Any]:
    """The covered columns of `table`'s rows (of `keys`, or all), by row key.

    Rows are found by their indexed id (for mark_activities, the mark's id), so a
    write's sweep reads only its own rows however large the table grows.
    """
    sql = f"SELECT {row_key(table)}, {', '.join(COVERED[table])} FROM {table}"
    out: dict[str, Any] = {}
    if keys is None:
        batches: list[list[int]] = [[]]
    else:
        wanted = set(keys)
        ids = sorted({int(k.split("/")[0]) for k in wanted})
        if not ids:
            return out
        batches = [ids[i : i + 500] for i in range(0, len(ids), 500)]
    column = "mark_id" if table == "mark_activities" else "id"
    for batch in batches:
        where = f" WHERE {column} IN ({', '.join('?' * len(batch))})" if batch else ""
        for first, *rest in tx.tuples(sql + where, batch):
            if keys is None or str(first) in wanted:
                out[str(first)] = _as_stored(rest)
    return out


def _as_stored(values: list[Any]) -> list[Any]:
    """Column values as the chain's JSON holds them (a round trip; plain ones as they are)."""
    if all(type(v) in _PLAIN for v in values):
        return list(values)
    return list(json.loads(json.dumps(values)))


_PLAIN = (str, int, type(None))  # each comes back from JSON as itself


def _absorb(expected: Images, rows: Images) -> None:
    for table, images in rows.items():
        expected.setdefault(table, {}).update(images)


def _append(
    tx: Transaction,
    key: bytes,
    at: str,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> int:
    head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    assert head is not None, "the initial migration writes the head row"
    prev, entry_id = str(head["last_hash"]), int(head["last_id"]) + 1
    text, digest = _link(key, prev, entry_id, (at, actor, action, subject), details)
    tx.execute(
        "INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (entry_id, at, actor, action, subject, text, prev, digest),
    )
    tx.execute("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", (entry_id, digest))
    return entry_id


def _show(value: Any) -> str:
    return "empty" if value is None else repr(value)


def _natural(name: str) -> tuple[int, str]:
    head = name.split("/")[0]
    return (int(head) if head.isdigit() else 0, name)
