"""Check only what the audit chain gained since a fingerprint: `cpo audit verify --only-new`.

A full check (`audit.verify`) walks every entry and reads every covered row, so it grows
with the records. This one starts from an entry fingerprinted earlier (on a report, or by
an earlier check) and checks the *new part*:

- the fingerprinted entry is still there, with the hash the fingerprint names;
- every entry after it links to the one before and carries its keyed hash, up to the head;
- the append-only rules are in place and no group of check-ins left the journal paused;
- every row the new entries copy matches the table now, and every row added since the
  fingerprint (an id above the highest the chain held then) is in the new entries.

What it leaves to the full check: a row that was there at the fingerprint and that no new
entry touched, changed outside cpo since; the orders' credit totals; and entries cut off the
end with the head moved back to match (the new part then looks shorter, not damaged, unless
the cut entries added rows). Where the new part is damaged, it names what the full check
names, first problem first (tests/tracker/test_audit_since.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from tracker.audit import (
    ANCHOR,
    Fingerprint,
    Images,
    Verdict,
    _absorb,
    _as_stored,
    _check_head,
    _compare_rows,
    _images,
    _missing_triggers,
)
from tracker.audit_chain import body, mac
from tracker.migrations import COVERED, row_key
from tracker.migrations_speed import PAUSED
from tracker.store import Database, Transaction

COLUMNS = "id, at, actor, action, subject, details, prev_hash, hash"

# The highest row id of each covered table copied by entries up to a given one, read by
# the database's own JSON functions (mark_activities' keys are MARK_ID/ACTIVITY_ID).
HIGHEST_COPIED = {
    "sqlite": (
        "SELECT t.key AS tbl, MAX(CAST(r.key AS INTEGER)) AS top FROM audit_log a, "
        "json_each(a.details, '$.rows') t, json_each(t.value) r WHERE a.id <= ? GROUP BY t.key"
    ),
    "postgresql": (
        "SELECT t.key AS tbl, MAX(CAST(split_part(r.key, '/', 1) AS BIGINT)) AS top "
        "FROM audit_log a, jsonb_each(CAST(a.details AS JSONB) -> 'rows') t, "
        "jsonb_object_keys(t.value) r(key) WHERE a.id <= ? GROUP BY t.key"
    ),
}


def verify_since(db: Database, since: Fingerprint, key: bytes | None = None) -> Verdict:
    """Check the entries after `since` and the rows they cover (see the module's docstring).

    `key` defaults to the one `open_tracker` found for `db`. The verdict counts the
    entries checked, the fingerprinted one included; it adds no credit totals.
    """
    key = key if key is not None else db.audit_key
    with db.read() as tx:  # one snapshot: a writer meanwhile is not damage
        rows = tx.all(f"SELECT {COLUMNS} FROM audit_log WHERE id >= ? ORDER BY id", (since.entry,))
        head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        anchor = tx.scalar("SELECT MIN(id) FROM audit_log WHERE action = ?", (ANCHOR,))
        problems, expected = _walk_from(rows, since, key, anchor)
        if not problems:
            problems += _check_head(head, rows)
        problems += [f"the append-only rule on {t} was removed" for t in _missing_triggers(tx)]
        if int(tx.scalar(f"SELECT COUNT(*) FROM {PAUSED}") or 0):
            problems.append("the journal of new returns was left paused: returns may be unrecorded")
        if expected is not None:
            problems += _compare_rows(expected, _rows_now(tx, since, expected))
    return Verdict(
        len(rows) if expected is not None else 0,
        tuple(problems),
        head=Fingerprint(int(head["last_id"]), str(head["last_hash"])[:16]) if head else None,
    )


def _walk_from(
    rows: list[dict[str, Any]], since: Fingerprint, key: bytes, anchor: Any
) -> tuple[list[str], Images | None]:
    """Each link from the fingerprinted entry on; the rows the new entries copy.

    The copies are None when a link is broken: what follows a break is not the chain's,
    so the rows are not compared (the full check names the same broken link first).
    """
    if not rows or int(rows[0]["id"]) != since.entry:
        return [
            f"entry {since.entry} of fingerprint {since} is gone: the chain was cut behind it"
        ], None
    if not str(rows[0]["hash"]).startswith(since.digest):
        return [
            f"entry {since.entry} is not the one fingerprinted as {since}: "
            "the chain was rewritten behind it"
        ], None
    expected: Images = {}
    prev = str(rows[0]["prev_hash"])
    keyed = anchor is not None and int(anchor) <= since.entry
    for index, row in enumerate(rows):
        if row["prev_hash"] != prev:
            return [
                f"entry {row['id']} does not follow the one before it: "
                "an entry was removed or changed"
            ], None
        keyed = keyed or row["action"] == ANCHOR
        text = body(prev, row)
        digest = mac(key, text) if keyed else hashlib.sha256(text).hexdigest()
        if not hmac.compare_digest(digest, str(row["hash"])):
            return [
                f"entry {row['id']} ({row['action']}, {row['at']}) was changed after it was "
                "written, or the chain was re-hashed without the audit key"
            ], None
        if keyed and index:  # the fingerprinted entry's copies are the old part's
            _absorb(expected, json.loads(row["details"]).get("rows", {}))
        prev = digest
    return [], expected


def _rows_now(tx: Transaction, since: Fingerprint, expected: Images) -> Images:
    """The covered rows to compare: those the new entries copy, and every row added since."""
    found = tx.all(HIGHEST_COPIED[tx.engine], (since.entry,))
    highest = {str(r["tbl"]): int(r["top"]) for r in found}
    out: Images = {}
    for table in COVERED:
        copied = _images(tx, table, list(expected.get(table, {})))
        copied.update(_added_after(tx, table, highest.get(table, 0)))
        out[table] = copied
    return out


def _added_after(tx: Transaction, table: str, highest: int) -> dict[str, Any]:
    """`table`'s rows whose id is above `highest`: added after the fingerprint."""
    column = "mark_id" if table == "mark_activities" else "id"
    sql = f"SELECT {row_key(table)}, {', '.join(COVERED[table])} FROM {table} WHERE {column} > ?"
    return {str(first): _as_stored(rest) for first, *rest in tx.tuples(sql, (highest,))}
