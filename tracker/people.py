"""Offices and clients: who the tracker serves. Nothing about offences is ever stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from builder.hints import did_you_mean
from builder.regions import Region
from tracker.access import Subject, check_scope, entry, keeps, served_offices
from tracker.accounts import Action, Actor
from tracker.errors import NotFound, TrackerError
from tracker.store import Row, Transaction
from tracker.tracker import Tracker
from tracker.validate import InputError, check_case_reference, check_text

OFFICE_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
ADDRESS_LINES = 6  # a UK postal address fits in six lines, postcode included
ADDRESS_LINE_LENGTH = 60  # what a window envelope shows on one line
BATCH_MODULES = 3  # modules a batch issue gives each client, unless the office says otherwise


@dataclass(frozen=True)
class Office:
    """A team that issues workbooks; it may set its own cap percentage and ceiling."""

    id: int
    code: str
    name: str
    cap_percent: int | None
    cap_ceiling_minutes: int | None
    return_address: tuple[str, ...] = ()  # where undelivered post and returns go
    batch_modules: int = BATCH_MODULES  # the next N modules a batch issue gives each client


@dataclass(frozen=True)
class Client:
    """A person doing the course: a case reference and a name for printing, nothing more."""

    id: int
    reference: str
    name: str
    office: str
    case_worker: str
    case_worker_contact: str
    extra_time: bool
    region: Region | None = None  # where they live: which help their workbook names
    address: tuple[str, ...] = ()  # postal lines for the letter's window; () if not known


@entry(Action.MANAGE_OFFICES)
def add_office(
    t: Tracker,
    code: str,
    name: str,
    actor: str,
    cap_percent: int | None = None,
    cap_ceiling_minutes: int | None = None,
) -> Office:
    """Add an office; TrackerError if the code is taken or malformed."""
    code = check_text(code, "the office code", 100)
    if not OFFICE_CODE.fullmatch(code):
        raise TrackerError(
            f"office code '{code}' must be lower-case letters, digits and hyphens, "
            "like 'glasgow-north'"
        )
    name = check_text(name, "the office's name", 100, required=True)
    _check_cap(cap_percent, cap_ceiling_minutes)
    with t.db.write() as tx:
        if tx.one("SELECT id FROM offices WHERE code = ?", (code,)):
            raise TrackerError(f"there is already an office '{code}'")
        office_id = tx.insert(
            "INSERT INTO offices (code, name, cap_percent, cap_ceiling_minutes)"
            " VALUES (?, ?, ?, ?)",
            (code, name.strip(), cap_percent, cap_ceiling_minutes),
        )
        t.audit(
            tx,
            actor,
            "office.add",
            code,
            name=name,
            cap_percent=cap_percent,
            cap_ceiling_minutes=cap_ceiling_minutes,
        )
    return Office(office_id, code, name.strip(), cap_percent, cap_ceiling_minutes)


@entry(Action.READ_RECORDS)
def list_offices(t: Tracker) -> list[Office]:
    with t.db.read() as tx:
        rows = tx.all("SELECT * FROM offices ORDER BY code")
    return [_office(row) for row in rows]


def get_office(tx: Transaction, code: str) -> Office:
    code = check_text(code, "the office", 100)
    row = tx.one("SELECT * FROM offices WHERE code = ?", (code,))
    if row is None:
        known = [r["code"] for r in tx.all("SELECT code FROM offices")]
        hint = did_you_mean(code, known) if known else "add one with `cpo office add`"
        raise NotFound(f"no office '{code}' ({hint})")
    return _office(row)


@entry(Action.MANAGE_CLIENTS, Subject.OFFICE, "office")
def add_client(
    t: Tracker,
    reference: str,
    name: str,
    office: str,
    case_worker: str,
    actor: str,
    contact: str = "",
    extra_time: bool = False,
    region: Region | None = None,
    address: tuple[str, ...] = (),
) -> Client:
    """Register a client; TrackerError if the reference is taken or a field is unusable."""
    reference = check_case_reference(reference)
    address = check_address(address)
    name = check_text(name, "the name", 100, required=True)
    case_worker = check_text(case_worker, "the case worker", 100, required=True)
    contact = check_text(contact, "the contact", 60)
    office = check_text(office, "the office", 100)
    with t.db.write() as tx:
        home = get_office(tx, office)
        if tx.one("SELECT id FROM clients WHERE reference = ?", (reference,)):
            raise TrackerError(f"there is already a client with reference '{reference}'")
        client_id = tx.insert(
            "INSERT INTO clients (reference, name, office_id, case_worker, case_worker_contact,"
            " extra_time, created_at, region, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reference,
                name.strip(),
                home.id,
                case_worker.strip(),
                contact.strip(),
                int(extra_time),
                t.now(),
                region.value if region else None,
                "\n".join(address),
            ),
        )
        t.audit(
            tx,
            actor,
            "client.add",
            reference,
            office=office,
            extra_time=extra_time,
            **({"region": region.value} if region else {}),
            **({"address": "changed"} if address else {}),
        )
    return Client(
        client_id,
        reference,
        name.strip(),
        office,
        case_worker.strip(),
        contact.strip(),
        extra_time,
        region,
        address,
    )


@entry(Action.MANAGE_CLIENTS, Subject.CLIENT, "reference")
def update_client(
    t: Tracker,
    reference: str,
    actor: str,
    extra_time: bool | None = None,
    case_worker: str | None = None,
    contact: str | None = None,
    region: Region | None = None,
    name: str | None = None,
    office: str | None = None,
    address: tuple[str, ...] | None = None,
) -> Client:
    """Change a client's name, office, address, allowance, case worker, contact or region.

    Every change is audited with its new value (an address only as "changed": the audit
    log is read by more people than the letter). Moving a client to another office needs
    an account that serves both.
    """
    changes = _client_changes(extra_time, case_worker, contact, region, name, address)
    if office is not None:
        office = check_text(office, "the office", 100, required=True)
        check_scope(t, _actor(t), Subject.OFFICE, office)
    if not changes and office is None:
        raise InputError(
            "changes",
            "are missing: give --name, --office, --address, --extra-time, "
            "--case-worker, --contact or --region",
        )
    with t.db.write() as tx:
        client = get_client(tx, reference)
        if office is not None:
            changes["office_id"] = get_office(tx, office).id
        for column, value in changes.items():
            tx.execute(f"UPDATE clients SET {column} = ? WHERE id = ?", (value, client.id))
        shown = {k: v for k, v in changes.items() if k not in ("address", "office_id")}
        if "address" in changes:
            shown["address"] = "changed"
        if office is not None:
            shown["office"] = office
        if name is not None:
            shown["was"] = client.name  # so the chain says what a corrected name was
        t.audit(tx, actor, "client.update", client.reference, **shown)
        return get_client(tx, reference)


def _client_changes(
    extra_time: bool | None,
    case_worker: str | None,
    contact: str | None,
    region: Region | None,
    name: str | None,
    address: tuple[str, ...] | None,
) -> dict[str, object]:
    """The columns to change and their checked values (InputError naming a bad field)."""
    changes: dict[str, object | None] = {
        "extra_time": None if extra_time is None else int(extra_time),
        "case_worker": None
        if case_worker is None
        else check_text(case_worker, "the case worker", 100, required=True),
        "case_worker_contact": None if contact is None else check_text(contact, "the contact", 60),
        "region": region.value if region is not None else None,
        "name": None if name is None else check_text(name, "the name", 100, required=True),
        "address": None if address is None else "\n".join(check_address(address)),
    }
    return {k: v for k, v in changes.items() if v is not None}


def _actor(t: Tracker) -> Actor:
    assert t.actor is not None  # entry() has checked it
    return t.actor


def address_lines(text: str) -> tuple[str, ...]:
    """Postal lines from one line of text, split at commas (as people write an address)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def check_address(lines: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Postal lines checked and stripped, empty ones left out; InputError saying why not."""
    kept = tuple(
        line for line in (check_text(x, "the address", ADDRESS_LINE_LENGTH) for x in lines) if line
    )
    if len(kept) > ADDRESS_LINES:
        raise InputError(
            "the address", f"has {len(kept)} lines: a letter's window shows {ADDRESS_LINES} at most"
        )
    return kept


@entry(Action.MANAGE_OFFICES, Subject.OFFICE, "code")
def update_office(
    t: Tracker,
    code: str,
    actor: str,
    name: str | None = None,
    return_address: tuple[str, ...] | None = None,
    batch_modules: int | None = None,
) -> Office:
    """Change an office's name, return address or the modules a batch issue gives each client."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = check_text(name, "the office's name", 100, required=True)
    if return_address is not None:
        changes["return_address"] = "\n".join(check_address(return_address))
    if batch_modules is not None:
        if not 1 <= batch_modules <= 30:
            raise InputError("modules a batch", f"must be 1 to 30, not {batch_modules}")
        changes["batch_modules"] = batch_modules
    if not changes:
        raise InputError("changes", "are missing: give --name, --return-address or --batch")
    with t.db.write() as tx:
        office = get_office(tx, code)
        for column, value in changes.items():
            tx.execute(f"UPDATE offices SET {column} = ? WHERE id = ?", (value, office.id))
        t.audit(tx, actor, "office.update", office.code, **changes)
        return get_office(tx, office.code)


@entry(Action.READ_RECORDS, Subject.CLIENT, "reference")
def client_with_orders(t: Tracker, reference: str) -> tuple[Client, list[Row]]:
    """A client and their orders (number, jurisdiction, minutes, dates), oldest first."""
    with t.db.read() as tx:
        client = get_client(tx, reference)
        orders = tx.all(
            "SELECT number, jurisdiction, ordered_minutes, made_on, deadline FROM orders "
            "WHERE client_id = ? ORDER BY number",
            (client.id,),
        )
    return client, orders


def get_client(tx: Transaction, reference: str) -> Client:
    """The client with this reference; NotFound with a hint if there is none."""
    reference = check_text(reference, "the case reference", 100, required=True)
    row = tx.one(
        "SELECT c.*, o.code AS office FROM clients c JOIN offices o ON o.id = c.office_id "
        "WHERE c.reference = ?",
        (reference.strip(),),
    )
    if row is None:
        similar = [
            r["reference"]
            for r in tx.all(
                "SELECT reference FROM clients WHERE upper(reference) = upper(?)", (reference,)
            )
        ]
        hint = f" (did you mean {similar[0]}?)" if similar else ""
        raise NotFound(f"no client with reference '{reference}'{hint}")
    return _client(row)


@entry(Action.READ_RECORDS)
def list_clients(t: Tracker, office: str | None = None) -> list[Client]:
    office, _ = served_offices(t, office)
    with t.db.read() as tx:
        if office:
            get_office(tx, office)
        rows = tx.all(
            "SELECT c.*, o.code AS office FROM clients c JOIN offices o ON o.id = c.office_id "
            + ("WHERE o.code = ? " if office else "")
            + "ORDER BY c.reference",
            (office,) if office else (),
        )
    return [_client(row) for row in rows if keeps(t, row["office"])]


def _check_cap(cap_percent: int | None, ceiling: int | None) -> None:
    if cap_percent is not None and not 0 <= cap_percent <= 100:
        raise TrackerError(f"a cap of {cap_percent}% is not possible: use 0 to 100")
    if ceiling is not None and not 0 <= ceiling <= 300 * 60:
        raise TrackerError("a cap ceiling must be between 0 and 300 hours")


def _office(row: Row) -> Office:
    return Office(
        row["id"],
        row["code"],
        row["name"],
        row["cap_percent"],
        row["cap_ceiling_minutes"],
        _lines(row.get("return_address")),
        int(row.get("batch_modules") or BATCH_MODULES),
    )


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line for line in (text or "").split("\n") if line)


def _client(row: Row) -> Client:
    return Client(
        row["id"],
        row["reference"],
        row["name"],
        row["office"],
        row["case_worker"],
        row["case_worker_contact"],
        bool(row["extra_time"]),
        Region(row["region"]) if row.get("region") else None,
        _lines(row.get("address")),
    )
