"""Check-ins: a returned module's code, typed, scanned by a USB scanner, or read from a page.

Each code is reported only once it is safely stored, so a batch that is cut off
part-way loses nothing it has reported, and running it again records the rest (codes
already received say so). Codes that arrive together (a pasted list, a file) are
stored in groups, one durable transaction a group; a code that arrives alone (a
scanner, one page at a time) gets a transaction of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from tracker.access import entry, keeps
from tracker.accounts import Action
from tracker.arrivals import ARRIVALS as ARRIVALS  # the one list; named here for callers
from tracker.codes import PAGE_PAYLOAD, PAYLOAD, Keyring, SignatureMismatch, normalise_code
from tracker.errors import CodeError, TrackerError
from tracker.ledger import ACCEPTED, AWAITING, REFUSED, module_states, token_states
from tracker.orders import module_credit
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import problem as text_problem
from tracker.validate import show

RECORDED, DUPLICATE, REFUSED_CODE = "recorded", "duplicate", "refused"
LONGEST_CODE = 300  # a QR payload with a base address; a typed code is 14 characters
# The audit chain's actions: a code recorded or refused alone, and a group of codes, whose
# one entry holds under CODES each code's entry (action, subject, details) in order.
RECORD, REFUSE, GROUP, CODES = "return.record", "return.refuse", "return.group", "codes"


class CheckinResult(NamedTuple):  # not a dataclass: made once a code in bulk, 4x quicker
    """What became of one code: recorded as a return, already received, or refused and why."""

    text: str
    status: str
    reason: str = ""
    return_id: int | None = None
    client: str = ""
    workbook: str = ""
    module: str = ""

    @property
    def recorded(self) -> bool:
        return self.status == RECORDED

    @property
    def duplicate(self) -> bool:
        return self.status == DUPLICATE

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.text,
            "status": self.status,
            "reason": self.reason,
            "return": self.return_id,
            "client": self.client,
            "workbook": self.workbook,
            "module": self.module,
        }


class Identified(NamedTuple):  # not a dataclass: made once a code in bulk, a third of the cost
    """A code read as far as it can be without the records."""

    serial: str | None  # from a QR payload, signature checked
    code: str | None  # a typed code's 12 symbols, check symbol checked


def identify(keyring: Keyring, text: str) -> Identified:
    """Read a QR payload or a typed code; CodeError saying why it is not one of ours."""
    stripped = text.strip()
    if "." not in stripped:  # every payload has dots; a typed code has none
        return Identified(None, normalise_code(stripped))
    page = PAGE_PAYLOAD.fullmatch(stripped.upper())
    if page:  # a module page's own code names its module too
        stripped = ".".join(page.groups()[:3]).lower()
    if PAYLOAD.fullmatch(stripped) or re.search(r"k[0-9a-z]\.", stripped):
        return Identified(keyring.read_payload(stripped).serial, None)
    return Identified(None, normalise_code(stripped))


@entry(Action.TAKE_IN)
def checkin(
    t: Tracker,
    codes: Iterable[str],
    actor: str,
    arrived_by: str = "typed",
    client: str | None = None,
    evidence: str = "",
    skip_blank: bool = True,
) -> Iterator[CheckinResult]:
    """Record each code as a return, yielding each result once it is stored.

    A blank line is skipped (a scanner sends them), unless `skip_blank` is False: a
    code typed as an argument cannot be blank.
    """
    for text in codes:
        if text.strip():
            yield checkin_one(t, text.strip(), actor, arrived_by, client, evidence)
        elif not skip_blank:
            yield CheckinResult(show(text), REFUSED_CODE, "the code is empty")


@entry(Action.TAKE_IN)
def checkin_groups(
    t: Tracker,
    groups: Iterable[Sequence[str]],
    actor: str,
    arrived_by: str = "scanner",
    client: str | None = None,
) -> Iterator[CheckinResult]:
    """Record codes a group at a time, yielding a group's results once the group is stored.

    Blank lines are skipped. If a group cannot be stored whole, its codes are stored
    one at a time, so one bad code never holds back the rest.
    """
    for done in stored_groups(t, groups, actor, arrived_by, client):
        yield from done


@entry(Action.TAKE_IN)
def stored_groups(
    t: Tracker,
    groups: Iterable[Sequence[str]],
    actor: str,
    arrived_by: str = "scanner",
    client: str | None = None,
) -> Iterator[list[CheckinResult]]:
    """As `checkin_groups`, a stored group's results together: reported with one write."""
    _check_arrival(arrived_by)
    for group in groups:
        texts = [text for text in map(str.strip, group) if text]  # each stripped once
        if len(texts) == 1:
            yield [checkin_one(t, texts[0], actor, arrived_by, client)]
        elif texts:
            from tracker.checkin_bulk import record_group  # it builds on this module

            try:
                with t.db.write() as tx:
                    done = record_group(t, tx, texts, actor, arrived_by, client)
            except TrackerError:  # nothing of the group was kept: each on its own instead
                for text in texts:
                    yield [checkin_one(t, text, actor, arrived_by, client)]
            else:
                yield done


@entry(Action.TAKE_IN)
def checkin_one(
    t: Tracker,
    text: str,
    actor: str,
    arrived_by: str = "typed",
    client: str | None = None,
    evidence: str = "",
) -> CheckinResult:
    """Record one code in a transaction of its own; a refusal changes no record but the log."""
    _check_arrival(arrived_by)
    with t.db.write() as tx:
        return record_code(t, tx, text, actor, arrived_by, client, evidence)


def record_code(
    t: Tracker,
    tx: Transaction,
    text: str,
    actor: str,
    arrived_by: str,
    client: str | None = None,
    evidence: str = "",
) -> CheckinResult:
    """Record one code inside `tx`: a return, or a refusal written to the audit log only."""
    unusable = text_problem(text, LONGEST_CODE)
    if unusable:  # refused before it can reach the records or a terminal
        return _refuse(t, tx, actor, text, f"the code {unusable}")
    try:
        found = identify(t.keyring, text)
    except CodeError as err:
        return _refuse(t, tx, actor, text, refusal_reason(tx, err))
    row = token_row(tx, found)
    refusal = problem(t, tx, found, row, client)
    if refusal is not None:
        return _refuse(t, tx, actor, text, refusal.reason, refusal.status, row)
    assert row is not None
    return_id = new_return(t, tx, row, actor, arrived_by, evidence)
    return CheckinResult(
        text, RECORDED, "", return_id, _shown_client(t, row), row["number"], row["module_id"]
    )


def _shown_client(t: Tracker, row: Row) -> str:
    """The client's reference, for staff of their office only.

    Post arrives where it arrives, so any facilitator may take a code in; whose it is
    stays with the office that holds the client.
    """
    return str(row["reference"]) if keeps(t, row["office"]) else ""


def _check_arrival(arrived_by: str) -> None:
    if arrived_by not in ARRIVALS:
        raise ValueError(f"arrived_by must be one of {ARRIVALS}")


def refusal_reason(tx: Transaction, err: CodeError) -> str:
    """Why a code was refused, in true words: a bad signature is forged only on our serial."""
    if isinstance(err, SignatureMismatch):
        issued = tx.one("SELECT id FROM tokens WHERE serial = ?", (err.serial,))
        return err.reason_given(issued is not None)
    return err.reason


def token_row(tx: Transaction, found: Identified) -> Row | None:
    """The token a code names, with its workbook's number, order, revocation and client."""
    column, value = ("serial", found.serial) if found.serial else ("code", found.code)
    return tx.one(TOKEN_ROWS + f"WHERE k.{column} = ?", (value,))


# A token with its workbook's number, order, revocation, and its client and office;
# its columns named, so rows read as tuples in bulk can be named too (TOKEN_COLUMNS).
_OWN = ("id", "workbook_id", "module_id", "guided_minutes", "key_id", "serial", "code")
_WORKBOOK = ("number", "order_id", "revoked_at", "revoked_reason")
TOKEN_COLUMNS = (*_OWN, *_WORKBOOK, "reference", "office")
TOKEN_ROWS = (
    f"SELECT {', '.join([f'k.{c}' for c in _OWN] + [f'w.{c}' for c in _WORKBOOK])},"
    " c.reference, o.code AS office FROM tokens k JOIN workbooks w ON w.id = k.workbook_id "
    "JOIN clients c ON c.id = w.client_id JOIN offices o ON o.id = c.office_id "
)
# The same in two parts, for a group: its tokens, then each of their workbooks once.
TOKEN_OWN_ROWS = f"SELECT {', '.join([f'k.{c}' for c in _OWN])} FROM tokens k "
WORKBOOK_ROWS = (
    f"SELECT w.id, {', '.join([f'w.{c}' for c in _WORKBOOK])}, c.reference, o.code "
    "FROM workbooks w JOIN clients c ON c.id = w.client_id "
    "JOIN offices o ON o.id = c.office_id "
)


# Why a code cannot be recorded, by kind, so intake can sort its pages the same way.
UNKNOWN, FORGED, OTHER_CLIENT, REVOKED, REFUSED_HERE, DONE, WAITING = (
    "unknown",
    "forged",
    "other-client",
    "revoked",
    "refused",
    "done",
    "waiting",
)


@dataclass(frozen=True)
class Problem:
    """Why a code cannot be recorded now: check-in status, reason, kind (see above)."""

    status: str
    reason: str
    kind: str
    return_id: int | None = None  # WAITING: the return it is waiting in


class Records(Protocol):
    """What deciding a code needs to know of the records (read live, or read for a group)."""

    def token_state(self, token_id: int) -> tuple[str, str]: ...

    def module_state(self, order_id: int, module_id: str) -> tuple[str, str]: ...

    def module_credit(self, order_id: int, module_id: str) -> int: ...

    def latest_return(self, order_id: int, module_id: str) -> Row | None: ...


class LiveRecords:
    """The records as they stand inside a transaction, read as each question is asked."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    def token_state(self, token_id: int) -> tuple[str, str]:
        return token_states(self.tx, token_id)

    def module_state(self, order_id: int, module_id: str) -> tuple[str, str]:
        return module_states(self.tx, order_id).get(module_id, ("", ""))

    def module_credit(self, order_id: int, module_id: str) -> int:
        return module_credit(self.tx, order_id, module_id)

    def latest_return(self, order_id: int, module_id: str) -> Row | None:
        return self.tx.one(
            "SELECT r.id, r.received_at, r.token_id FROM returns r "
            "JOIN tokens k ON k.id = r.token_id JOIN workbooks w ON w.id = k.workbook_id "
            "WHERE w.order_id = ? AND k.module_id = ? ORDER BY r.id DESC",
            (order_id, module_id),
        )


def problem(
    t: Tracker, tx: Transaction, found: Identified, row: Row | None, client: str | None = None
) -> Problem | None:
    """Why this code cannot be recorded now, or None if it can."""
    return decide(t.keyring, found, row, client, LiveRecords(tx))


def decide(
    keyring: Keyring, found: Identified, row: Row | None, client: str | None, records: Records
) -> Problem | None:
    """Why this code cannot be recorded now, asking `records`; None if it can."""
    if row is None:
        return Problem(REFUSED_CODE, "not a code we issued: check it against the page", UNKNOWN)
    if found.code and not keyring.check_code(found.code, row["key_id"], row["serial"]):
        return Problem(
            REFUSED_CODE, "does not match our records: the code was changed or forged", FORGED
        )
    if client and row["reference"] != client:
        return Problem(REFUSED_CODE, "this code belongs to another client's workbook", OTHER_CLIENT)
    if row["revoked_at"]:
        return Problem(
            REFUSED_CODE,
            f"workbook {row['number']} was revoked on {row['revoked_at'][:10]} "
            f"({row['revoked_reason']})",
            REVOKED,
        )
    own, own_note = records.token_state(row["id"])
    if own == REFUSED:  # this copy of the module; a newer workbook may carry it again
        return Problem(
            REFUSED_CODE,
            f"{row['module_id']} in workbook {row['number']} was refused: {own_note}",
            REFUSED_HERE,
        )
    order_id, module = row["order_id"], row["module_id"]
    state, note = records.module_state(order_id, module)
    if records.module_credit(order_id, module):
        return Problem(REFUSED_CODE, f"{module} is already credited on this order", DONE)
    if state == ACCEPTED:
        return Problem(REFUSED_CODE, f"{module} was already accepted ({note})", DONE)
    if state == REFUSED:
        return Problem(REFUSED_CODE, f"{module} was refused: {note}", REFUSED_HERE)
    if state == AWAITING:
        latest = records.latest_return(order_id, module)
        assert latest is not None
        return Problem(
            DUPLICATE,
            f"already received on {latest['received_at'][:10]} as return R{latest['id']}, "
            "waiting to be marked",
            WAITING,
            latest["id"] if latest["token_id"] == row["id"] else None,
        )
    return None


def new_return(
    t: Tracker, tx: Transaction, row: Row, actor: str, arrived_by: str, evidence: str = ""
) -> int:
    """Record a return of the module `row` (a token joined to its workbook); its id."""
    attempt = 1 + int(
        tx.scalar("SELECT COUNT(*) FROM returns WHERE token_id = ?", (row["id"],)) or 0
    )
    return_id = tx.insert(
        "INSERT INTO returns (token_id, attempt, arrived_by, received_at, evidence,"
        " recorded_by) VALUES (?, ?, ?, ?, ?, ?)",
        (row["id"], attempt, arrived_by, t.now(), evidence, actor),
    )
    t.audit(
        tx,
        actor,
        RECORD,
        f"R{return_id}",
        workbook=row["number"],
        module=row["module_id"],
        client=row["reference"],
        arrived_by=arrived_by,
        attempt=attempt,
    )
    return return_id


def _refuse(
    t: Tracker,
    tx: Transaction,
    actor: str,
    text: str,
    reason: str,
    status: str = REFUSED_CODE,
    row: Row | None = None,
) -> CheckinResult:
    t.audit(tx, actor, REFUSE, show(text, 80), reason=reason, status=status)
    if row is None:
        return CheckinResult(show(text), status, reason)
    return CheckinResult(
        show(text), status, reason, None, _shown_client(t, row), row["number"], row["module_id"]
    )
