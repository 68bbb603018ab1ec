"""A group of check-ins decided and stored together: a few queries a group, not ten a code.

Each code of a group is decided by the very rules one code at a time follows
(`checkins.decide`), asked of the records the group touches: read in a few queries
(IN lists in chunks) and kept up to date in memory as each code is recorded, so a code
repeated in the group, or another copy of the same module, is seen exactly as the
records would show it. Then the returns are written with one statement, and the group
gets one audit entry (GROUP): in order, a line a code with what one at a time writes in
that code's own entry (`each_code` reads them back), and the copies of its returns, so
`verify` checks them as it checks any entry's. The caller's transaction makes the group
durable whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

from tracker import audit
from tracker.access import keeps
from tracker.bulk_sql import insert_flat
from tracker.checkins import (
    CODES,
    GROUP,
    LONGEST_CODE,
    RECORD,
    RECORDED,
    REFUSE,
    REFUSED_CODE,
    WORKBOOK_ROWS,
    CheckinResult,
    Identified,
    _shown_client,
    decide,
    identify,
)
from tracker.codes import ALPHABET, CODE_SYMBOLS, SignatureMismatch, check_symbol
from tracker.errors import CodeError

# The same rules as ledger.module_states and token_states, applied to rows read in bulk.
from tracker.ledger import STATE_ORDER, _outcome, _states
from tracker.migrations import COVERED
from tracker.migrations_speed import PAUSED
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import problem as text_problem
from tracker.validate import show

# A group's entry holds, under CODES, a line a code in order: its action and subject as
# one at a time has them, then its details' values in these columns (a recorded code's
# arrived_by is the group's own). Lines, not objects: a fifth of the bytes to hash.
COLUMNS = {RECORD: ("workbook", "module", "client", "attempt"), REFUSE: ("reason", "status")}
PRINTED = CODE_SYMBOLS + 2  # XXXX-XXXX-XXXX
CHUNK = 500  # ids in one IN list: under SQLite's oldest limit of 999 parameters
# A group's tokens: TOKEN_ROWS's own columns that deciding and recording read.
# Their orders' tokens as ledger.STATE_ROWS reads them, in two parts: each token with its
# latest return's id, then the marks of those returns (a mark per return at most). Joining
# the returns and marks for every token cost twice as much, most tokens having neither.
_TOKEN_STATES = (
    "SELECT w.order_id, k.module_id, k.id, w.revoked_at,"
    " (SELECT MAX(id) FROM returns WHERE token_id = k.id) "
    "FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
)
_MARKS = "SELECT return_id, decision, credited_minutes, credit_note, feedback, reason FROM marks "
_UNMARKED = (None, None, None, None, None)  # STATE_ROWS's mark columns for no mark
_TOKENS = "SELECT k.id, k.workbook_id, k.key_id, k.serial, k.code FROM tokens k "


class GroupRecords:
    """The records a group's codes touch, read in bulk and updated as codes are recorded.

    Kept with few objects a code: each one that lives as long as the group makes
    Python's cycle collector run more often (it counts them), and walk each one.
    """

    def __init__(self, now: str = "") -> None:
        self.by_serial: dict[str, Row] = {}
        self.by_code: dict[str, Row] = {}
        self.tokens: dict[int, tuple[Any, ...]] = {}  # token id -> its STATE_ROWS row
        # (order, module) -> its one token's id, or the ids of its copies in STATE_ORDER
        self.modules: dict[tuple[int, str], int | list[int]] = {}
        self.credits: dict[tuple[int, str], int] = {}
        self.received: dict[int, str] = {}  # a stored return's id -> when it was received
        self.attempts: dict[int, int] = {}  # token id -> its returns so far
        self.now = now  # when the group's own returns are received

    def load(self, tx: Transaction, serials: set[str], codes: set[str]) -> None:
        """Read the tokens named, then their orders' states, credits and returns."""
        # As TOKEN_ROWS reads them, its joins made once a workbook, not once a token, and
        # a token's module taken from its order's states (a column read costs ~0.5 us).
        own = {
            column: [
                row
                for chunk, marks in _chunks(values)
                for row in tx.tuples(_TOKENS + f"WHERE k.{column} IN ({marks})", chunk)
            ]
            for column, values in (("serial", serials), ("code", codes))
        }
        workbooks = {row[1] for rows in own.values() for row in rows}
        joined = {
            row[0]: row[1:]
            for chunk, marks in _chunks(workbooks)
            for row in tx.tuples(WORKBOOK_ROWS + f"WHERE w.id IN ({marks})", chunk)
        }
        for chunk, marks in _chunks({workbook[1] for workbook in joined.values()}):
            self._load_orders(tx, chunk, marks)
        states = self.tokens
        for column, rows in own.items():
            found, by = (self.by_serial, 3) if column == "serial" else (self.by_code, 4)
            for row in rows:
                token_id, workbook_id, key_id, serial, code = row
                workbook = joined.get(workbook_id)
                if workbook is None:  # never, as the joins' foreign keys hold
                    continue
                number, order_id, revoked_at, revoked_reason, reference, office = workbook
                found[row[by]] = {
                    "id": token_id,
                    "workbook_id": workbook_id,
                    "module_id": states[token_id][1],  # its order's states hold every token
                    "key_id": key_id,
                    "serial": serial,
                    "code": code,
                    "number": number,
                    "order_id": order_id,
                    "revoked_at": revoked_at,
                    "revoked_reason": revoked_reason,
                    "reference": reference,
                    "office": office,
                }

    def _load_orders(self, tx: Transaction, orders: list[Any], marks: str) -> None:
        where = f"WHERE w.order_id IN ({marks}) "
        rows = tx.tuples(_TOKEN_STATES + where + STATE_ORDER, orders)
        marked = {
            mark[0]: mark[1:]
            for chunk, places in _chunks(row[4] for row in rows if row[4] is not None)
            for mark in tx.tuples(_MARKS + f"WHERE return_id IN ({places})", chunk)
        }
        tokens, modules = self.tokens, self.modules
        for row in rows:  # as STATE_ROWS has it: the latest return's mark, if any, joined
            token_id, key = row[2], (row[0], row[1])
            tokens[token_id] = row + marked.get(row[4], _UNMARKED)
            held = modules.get(key)
            if held is None:  # most modules have one copy: its id, no list
                modules[key] = token_id
            elif isinstance(held, int):
                modules[key] = [held, token_id]
            else:
                held.append(token_id)
        for order_id, module_id, minutes in tx.tuples(
            "SELECT order_id, module_id, COALESCE(SUM(minutes), 0) FROM credits "
            f"WHERE order_id IN ({marks}) GROUP BY order_id, module_id",
            orders,
        ):
            self.credits[(order_id, module_id)] = int(minutes)
        attempts, received = self.attempts, self.received
        for return_id, received_at, token_id in tx.tuples(
            "SELECT r.id, r.received_at, r.token_id FROM returns r "
            "JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id " + where,
            orders,
        ):
            attempts[token_id] = attempts.get(token_id, 0) + 1
            received[return_id] = received_at

    def token(self, found: Identified) -> Row | None:
        """The token a code names, as checkins.token_row reads it."""
        if found.serial:
            return self.by_serial.get(found.serial)
        return self.by_code.get(found.code or "")

    def token_state(self, token_id: int) -> tuple[str, str]:
        return _outcome(self.tokens[token_id])

    def module_state(self, order_id: int, module_id: str) -> tuple[str, str]:
        held = self.modules.get((order_id, module_id))
        if isinstance(held, int):
            row = self.tokens[held]
            if row[3] is None:  # one live copy: its outcome, as _states has it
                return _outcome(row)
        rows = [self.tokens[k] for k in _ids(held)]
        return _states(rows).get(order_id, {}).get(module_id, ("", ""))

    def module_credit(self, order_id: int, module_id: str) -> int:
        return self.credits.get((order_id, module_id), 0)

    def latest_return(self, order_id: int, module_id: str) -> Row | None:
        """The module's newest return (the highest id): each token's row holds its own."""
        held = self.modules.get((order_id, module_id))
        newest = [(self.tokens[k][4], k) for k in _ids(held) if self.tokens[k][4] is not None]
        if not newest:
            return None
        return_id, token_id = max(newest)
        received_at = self.received.get(return_id, self.now)  # not stored yet: this group's
        return {"id": return_id, "received_at": received_at, "token_id": token_id}

    def record(self, row: Row, return_id: int) -> int:
        """Note a new return of token `row` as the records will hold it; its attempt number."""
        token_id = row["id"]
        tokens = self.tokens
        tokens[token_id] = (*tokens[token_id][:4], return_id, None, None, None, None, None)
        attempt = self.attempts[token_id] = self.attempts.get(token_id, 0) + 1
        return attempt


def _ids(held: int | list[int] | None) -> list[int]:
    """The token ids GroupRecords.modules holds for a module."""
    if held is None:
        return []
    return [held] if isinstance(held, int) else held


def record_group(
    t: Tracker,
    tx: Transaction,
    texts: Sequence[str],
    actor: str,
    arrived_by: str,
    client: str | None = None,
) -> list[CheckinResult]:
    """Record each of `texts` inside `tx` as `checkins.record_code` would, one after another."""
    # Each code as read, and why not where it cannot be: two lists, not a tuple a code.
    found_all: list[Identified | None] = [_typed(text) for text in texts]
    whys: list[str | CodeError] = [""] * len(texts)
    for n, found in enumerate(found_all):
        if found is None:  # not a typed code as printed: the general reading
            found_all[n], whys[n] = _read_any(t, texts[n])
    records = GroupRecords()
    serials = {f.serial for f in found_all if f and f.serial}
    serials |= {why.serial for why in whys if isinstance(why, SignatureMismatch)}
    records.load(tx, serials, {f.code for f in found_all if f and f.code})
    now, next_id = t.now(), _next_return_id(tx)
    records.now = now
    results: list[CheckinResult] = []
    returns: list[int] = []  # id, token, attempt of each return in turn: the rest is shared
    logged: list[tuple[Any, ...]] = []
    shown: dict[str, bool] = {}  # office -> its clients are shown (as _shown_client says)
    # Bound once: this loop runs once a code.
    result, log, returned = results.append, logged.append, returns.extend
    token, record, keyring = records.token, records.record, t.keyring
    for text, found, why in zip(texts, found_all, whys, strict=True):
        if found is None:
            reason = _why(why, records)
            result(CheckinResult(show(text), REFUSED_CODE, reason))
            log(_refusal(text, reason, REFUSED_CODE))
            continue
        row = token(found)
        refusal = decide(keyring, found, row, client, records)  # the rules, in one place
        if refusal is not None:
            status, reason = refusal.status, refusal.reason
            result(_result(t, show(text), status, reason, None, row))
            log(_refusal(text, reason, status))
            continue
        assert row is not None  # decide refuses a code with no token
        token_id = row["id"]
        attempt = record(row, next_id)
        returned((next_id, token_id, attempt))
        number, module, reference = row["number"], row["module_id"], row["reference"]
        log((RECORD, f"R{next_id}", number, module, reference, attempt))
        office = row["office"]
        if office not in shown:
            shown[office] = keeps(t, office)
        whose = str(reference) if shown[office] else ""
        result(_made(CheckinResult, (text, RECORDED, "", next_id, whose, number, module)))
        next_id += 1
    details = {"arrived_by": arrived_by, "columns": COLUMNS, CODES: logged}
    shared = {"arrived_by": arrived_by, "received_at": now, "recorded_by": actor}
    entry = audit.Entry(now, actor, GROUP, f"{len(texts)} codes", details)
    _write(t, tx, returns, shared, entry)
    return results


_TYPED = frozenset(ALPHABET + "-")  # a code as printed: nothing to strip, map or escape
# What a NamedTuple's __new__ runs, without its Python-level call: Identified and
# CheckinResult are made once a code in a group, all their fields given.
_made = tuple.__new__


def _typed(text: str) -> Identified | None:
    """A typed code as printed (most are), read as identify() reads it; None for any other."""
    if len(text) <= PRINTED and _TYPED.issuperset(text):  # as printed: no dots
        code = text.replace("-", "")
        if len(code) == CODE_SYMBOLS and check_symbol(code[:-1]) == code[-1]:
            return _made(Identified, (None, code))
    return None


def _read_any(t: Tracker, text: str) -> tuple[Identified | None, str | CodeError]:
    """Any text read as a code as far as it can be without the records, or why not."""
    # Printable ASCII holds no bad bytes, NUL or control character: only length to check.
    plain = text.isascii() and text.isprintable() and len(text) <= LONGEST_CODE
    unusable = "" if plain else text_problem(text, LONGEST_CODE)
    if unusable:  # refused before it can reach the records or a terminal
        return None, f"the code {unusable}"
    try:
        return identify(t.keyring, text), ""
    except CodeError as err:
        return None, err


def _why(why: str | CodeError, records: GroupRecords) -> str:
    """Why a code could not be read, in true words (see checkins.refusal_reason)."""
    if isinstance(why, SignatureMismatch):
        return why.reason_given(why.serial in records.by_serial)
    return why.reason if isinstance(why, CodeError) else why


def _result(
    t: Tracker, text: str, status: str, reason: str, return_id: int | None, row: Row | None
) -> CheckinResult:
    if row is None:
        return CheckinResult(text, status, reason)
    return CheckinResult(
        text, status, reason, return_id, _shown_client(t, row), row["number"], row["module_id"]
    )


def each_code(details: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Each code's action, subject and details, as one at a time writes them, from a group's.

    `details` are a group entry's (GROUP) as stored; the returns' copies are the group's.
    """
    columns, shared = details["columns"], {"arrived_by": details["arrived_by"]}
    out = []
    for action, subject, *values in details[CODES]:
        own = dict(zip(columns[action], values, strict=True))
        out.append((action, subject, {**own, **shared} if action == RECORD else own))
    return out


def _refusal(text: str, reason: str, status: str) -> tuple[str, ...]:
    """A refused code's line in its group's entry (see COLUMNS)."""
    return (REFUSE, show(text, 80), reason, status)


def _next_return_id(tx: Transaction) -> int:
    """The id the next return will get. Every writer holds the write lock, so none races us."""
    if tx.engine == "sqlite":  # AUTOINCREMENT never reuses an id, even a deleted row's
        used = tx.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'returns'")
    else:
        used = tx.scalar(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('returns', 'id')::regclass)"
        )
    highest = tx.scalar("SELECT MAX(id) FROM returns")
    return max(int(used or 0), int(highest or 0)) + 1


# A return as record_group writes it: its own values, then the group's (shared by all).
_OWN_VALUES = ("id", "token_id", "attempt")
_SHARED = ("arrived_by", "received_at", "recorded_by")
# Its copy for the chain is made from those values in COVERED's order, written out below.
if COVERED["returns"] != ("token_id", "attempt", *_SHARED):  # pragma: no cover
    raise AssertionError("checkin_bulk._write's copies must follow COVERED['returns']")


def _write(
    t: Tracker,
    tx: Transaction,
    returns: list[int],
    shared: dict[str, str],
    entry: audit.Entry,
) -> None:
    """Write the group's returns, move the id sequence past them, and chain its entry.

    `returns` holds each return's id, token and attempt in turn. The returns' journal is
    paused while they are written (migration 11): each row's copy for the chain is made
    here from the very values inserted, and goes into the group's entry.
    """
    copies: audit.Images = {}
    if returns:
        tx.execute(f"INSERT INTO {PAUSED} (tbl) VALUES ('returns')")
        insert_flat(tx, "returns", _OWN_VALUES, returns, shared)
        tx.execute(f"DELETE FROM {PAUSED}")
        if tx.engine == "postgresql":  # explicit ids leave the identity's sequence behind
            tx.scalar("SELECT setval(pg_get_serial_sequence('returns', 'id'), ?)", (returns[-3],))
        # Each copy a tuple (JSON writes it as a list), all made in C: 1,000 a group.
        ids, tokens, attempts = returns[0::3], returns[1::3], returns[2::3]
        tail = [repeat(shared[column]) for column in _SHARED]
        own = zip(tokens, attempts, *tail, strict=False)  # the tail repeats without end
        copies["returns"] = dict(zip(map(str, ids), own, strict=True))
    audit.record_many(tx, t.audit_key, [entry], copies)


def _chunks(values: Iterable[Any]) -> Iterable[tuple[list[Any], str]]:
    """`values` in lists of at most CHUNK, each with its placeholders."""
    items = sorted(values)
    for i in range(0, len(items), CHUNK):
        chunk = items[i : i + CHUNK]
        yield chunk, ", ".join("?" * len(chunk))
