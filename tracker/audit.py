"""The audit log: every change, each entry chained to the one before by a SHA-256 hash.

Editing an entry, deleting one or cutting the end off breaks the chain, and
`verify` says where. The chain's head is a row of its own, locked by every writer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tracker.store import Database, Transaction

GENESIS = "genesis"


def record(
    tx: Transaction, at: str, actor: str, action: str, subject: str, details: dict[str, Any]
) -> int:
    """Append an entry to the chain inside `tx`; its id."""
    head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    assert head is not None, "the initial migration writes the head row"
    text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    prev = str(head["last_hash"])
    entry_id = tx.insert(
        "INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, actor, action, subject, text, prev, f"pending-{prev}"),
    )
    digest = _hash(prev, entry_id, at, actor, action, subject, text)
    tx.execute("UPDATE audit_log SET hash = ? WHERE id = ?", (digest, entry_id))
    tx.execute("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", (entry_id, digest))
    return entry_id


@dataclass(frozen=True)
class Verdict:
    """What checking the chain found."""

    entries: int
    problem: str = ""  # empty when the chain is whole

    @property
    def ok(self) -> bool:
        return not self.problem


def verify(db: Database) -> Verdict:
    """Walk the chain from the start and check every link and the head."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT id, at, actor, action, subject, details, prev_hash, hash "
            "FROM audit_log ORDER BY id"
        )
        head = tx.one("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    prev = GENESIS
    for count, row in enumerate(rows):
        if row["prev_hash"] != prev:
            return Verdict(
                count,
                f"entry {row['id']} does not follow the one before it: "
                "an entry was removed or changed",
            )
        digest = _hash(
            prev, row["id"], row["at"], row["actor"], row["action"], row["subject"], row["details"]
        )
        if digest != row["hash"]:
            return Verdict(
                count,
                f"entry {row['id']} ({row['action']}, {row['at']}) "
                "was changed after it was written",
            )
        prev = digest
    if (
        head is None
        or head["last_hash"] != prev
        or int(head["last_id"]) != (rows[-1]["id"] if rows else 0)
    ):
        return Verdict(len(rows), "the newest entries are missing: the log was cut short")
    return Verdict(len(rows))


def _hash(
    prev: str, entry_id: int, at: str, actor: str, action: str, subject: str, details: str
) -> str:
    body = json.dumps([prev, entry_id, at, actor, action, subject, details], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()
