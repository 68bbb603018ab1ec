"""Issue a workbook: pick the modules, sign a check-in token for each, print it with a letter.

The codes are minted and recorded in one short write transaction; the files are
printed after it, outside the records' lock, into a hidden folder that is moved into
place whole. So other staff never wait on a printer, and a crash between the two
leaves a recorded workbook with no half-written files: `cpo workbook print NUMBER`
prints it again from the records.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from builder.course import Course
from builder.editions import CheckIn, Personal
from builder.errors import CpoError
from builder.profiles import get_profile
from builder.regions import regional_course
from tracker.access import Subject, entry
from tracker.accounts import Action
from tracker.codes import ALPHABET, Token, show_code
from tracker.errors import NotFound, NotPrinted, TrackerError
from tracker.ete import check_eligible, region_for
from tracker.ledger import (
    ACCEPTED,
    CREDITED,
    NOT_ISSUED,
    REFUSED,
    REVERSED,
    SENT_BACK,
    statement,
)
from tracker.orders import Order, find_order, load_order, policy_of
from tracker.people import Client, get_client, get_office
from tracker.policy import hours
from tracker.store import Transaction
from tracker.tracker import Tracker
from tracker.validate import check_text


@dataclass(frozen=True)
class IssuedModule:
    module_id: str
    title: str
    payload: str
    code: str  # as printed: XXXX-XXXX-XXXX


@dataclass(frozen=True)
class Issued:
    """A workbook as issued: where its files are, and the codes printed in it."""

    number: str
    client: str
    order: str
    profile: str
    issued_on: str
    due_on: str
    modules: tuple[IssuedModule, ...]
    folder: Path
    files: tuple[Path, ...]
    contact: str = ""  # as printed: the case worker and their number

    def as_job(self) -> dict[str, object]:
        """The workbook as a line of `cpo build batch` jobs, with what was issued beside it."""
        return {
            "workbook": self.number,
            "reference": self.client,
            "contact": self.contact,
            "profile": self.profile,
            "modules": [{"module": m.module_id, "code": m.code} for m in self.modules],
            "checkins": [{"payload": m.payload, "code": m.code} for m in self.modules],
            "client": self.client,
            "order": self.order,
            "issued_on": self.issued_on,
            "due_on": self.due_on,
            "files": [str(f) for f in self.files],
        }


@dataclass(frozen=True)
class PrintJob:
    """Everything needed to print a recorded workbook, read from the records."""

    course: Course
    client: Client
    number: str
    profile: str
    issued_on: date
    due: date
    modules: tuple[IssuedModule, ...]
    html: bool
    return_address: tuple[str, ...] = ()  # the office's
    folder_name: str = ""  # default: the workbook's number


# Writes a job's files into a folder; a seam so tests that never read a PDF need not render one.
Renderer = Callable[[PrintJob, Path], tuple[str, ...]]


@entry(Action.ISSUE, Subject.CLIENT, "client_reference")
def issue(
    t: Tracker,
    client_reference: str,
    actor: str,
    order_reference: str | None = None,
    module_ids: list[str] | None = None,
    profile: str = "standard",
    due_on: date | None = None,
    html: bool = False,
    *,
    out_root: Path,
) -> Issued:
    """Issue a personalised workbook and write it, with its letter, to out_root/NUMBER/."""
    get_profile(profile)  # a bad profile fails before anything is recorded
    course = t.course
    scratch = _scratch_folder(out_root)  # a folder that cannot be written fails here too
    try:
        recorded = _record(t, client_reference, actor, order_reference, module_ids, profile, due_on)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    client, order, course, number, today, due, issued = recorded
    job = PrintJob(
        course, client, number, profile, today, due, issued, html, _return_address(t, client)
    )
    folder, files = print_files(job, scratch, out_root)
    return Issued(
        number,
        client.reference,
        order.reference,
        profile,
        today.isoformat(),
        due.isoformat(),
        issued,
        folder,
        files,
        contact_of(client),
    )


def _record(
    t: Tracker,
    client_reference: str,
    actor: str,
    order_reference: str | None,
    module_ids: list[str] | None,
    profile: str,
    due_on: date | None,
    limit: int | None = None,
) -> tuple[Client, Order, Course, str, date, date, tuple[IssuedModule, ...]]:
    """Choose the modules, mint their tokens and record the workbook, in one short transaction."""
    with t.db.write() as tx:
        client = get_client(tx, client_reference)
        order = find_order(tx, order_reference or client.reference)
        if order.client_id != client.id:
            raise TrackerError(f"order {order.reference} is not {client.reference}'s")
        modules = _choose(t, tx, order.id, module_ids, limit)
        course = regional_course(t.course, region_for(order, client))
        today = t.today()
        due = due_on or min(
            today + timedelta(days=t.config.due_days), date.fromisoformat(order.deadline)
        )
        if due < today:
            raise TrackerError(f"the due date {due} has passed")
        if due.isoformat() > order.deadline:
            raise TrackerError(f"the due date {due} is after the order's deadline {order.deadline}")
        number = _new_number(tx)
        workbook_id = tx.insert(
            "INSERT INTO workbooks (number, client_id, order_id, profile, content_version,"
            " issued_on, due_on, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                client.id,
                order.id,
                profile,
                course.version,
                today.isoformat(),
                due.isoformat(),
                actor,
            ),
        )
        issued = []
        for module_id in modules:
            token = _new_token(t, tx)
            tx.insert(
                "INSERT INTO tokens (workbook_id, module_id, guided_minutes, key_id, serial, code)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    workbook_id,
                    module_id,
                    course.module(module_id).minutes,
                    token.key_id,
                    token.serial,
                    token.code,
                ),
            )
            issued.append(
                IssuedModule(
                    module_id, course.module(module_id).title, token.payload, show_code(token.code)
                )
            )
        t.audit(
            tx,
            actor,
            "workbook.issue",
            number,
            client=client.reference,
            order=order.reference,
            modules=modules,
            profile=profile,
            due_on=due.isoformat(),
            content_version=course.version,
        )
    return client, order, course, number, today, due, tuple(issued)


@entry(Action.ISSUE, Subject.WORKBOOK, "number")
def reprint(
    t: Tracker,
    number: str,
    actor: str,
    html: bool = False,
    *,
    out_root: Path,
    module: str | None = None,
) -> Issued:
    """Print a recorded workbook again from the records, with the same codes.

    With `module`, print only that module (one sent back, or lost) into
    out_root/NUMBER-MODULE: the rest of the workbook is left as it is.
    """
    number = check_text(number, "the workbook number", 40).strip().upper()
    module = check_text(module, "the module", 20).upper() if module is not None else None
    with t.db.write() as tx:  # short: reads what to print and audits that it was printed
        row = tx.one("SELECT * FROM workbooks WHERE number = ?", (number,))
        if row is None:
            raise NotFound(f"no workbook {number}")
        if row["revoked_at"]:
            raise TrackerError(
                f"workbook {number} was revoked on {row['revoked_at'][:10]}: its codes no "
                "longer work, so issue a new one"
            )
        order = load_order(tx, row["order_id"])
        client = get_client(tx, _client_reference(tx, row["client_id"]))
        course = regional_course(t.course, region_for(order, client))
        if course.version != row["content_version"]:
            raise TrackerError(
                f"workbook {number} was issued from course version {row['content_version']}, "
                f"and the course is now {course.version}: revoke it and issue a new one"
            )
        tokens = tx.all("SELECT * FROM tokens WHERE workbook_id = ? ORDER BY id", (row["id"],))
        if module is not None:
            held = [k["module_id"] for k in tokens]
            tokens = [k for k in tokens if k["module_id"] == module]
            if not tokens:
                raise NotFound(
                    f"workbook {number} has no module {module} (it has {', '.join(held)})"
                )
        return_address = get_office(tx, client.office).return_address
        t.audit(
            tx, actor, "workbook.print", number, html=html, **({"module": module} if module else {})
        )
    modules = tuple(
        IssuedModule(
            k["module_id"],
            course.module(k["module_id"]).title,
            t.keyring.token(k["key_id"], k["serial"], t.config.base_url).payload,
            show_code(k["code"]),
        )
        for k in tokens
    )
    issued_on, due = date.fromisoformat(row["issued_on"]), date.fromisoformat(row["due_on"])
    name = f"{number}-{module}" if module else ""
    job = PrintJob(
        course, client, number, row["profile"], issued_on, due, modules, html, return_address, name
    )
    folder, files = print_files(job, _scratch_folder(out_root), out_root)
    return Issued(
        number,
        client.reference,
        order.reference,
        row["profile"],
        row["issued_on"],
        row["due_on"],
        modules,
        folder,
        files,
        contact_of(client),
    )


def _scratch_folder(out_root: Path) -> Path:
    """A new hidden folder in out_root, readable by its owner only, to print into."""
    try:  # the client's name and a phone number: for the owner's eyes only
        out_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".printing.", suffix=".part", dir=out_root))
    except OSError as err:
        raise TrackerError(f"cannot write to {out_root}: {err.strerror}") from None


def print_files(job: PrintJob, scratch: Path, out_root: Path) -> tuple[Path, tuple[Path, ...]]:
    """Print a job into `scratch`, then move it into place whole as out_root/NUMBER."""
    folder = out_root / (job.folder_name or job.number)
    try:
        names = RENDERER(job, scratch)
        _move_into_place(scratch, folder)
    except CpoError as err:  # the records are kept: the same codes can be printed again
        shutil.rmtree(scratch, ignore_errors=True)
        raise NotPrinted(job.number, str(err)) from err
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder, tuple(folder / name for name in names)


def _move_into_place(scratch: Path, folder: Path) -> None:
    """Swap the new folder in; an old one (a print again) goes only once the new one is there."""
    old = folder.with_name(f".{folder.name}.old")
    try:
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
        scratch.rename(folder)
    except OSError as err:
        raise TrackerError(f"cannot write {folder}: {err.strerror}") from None
    shutil.rmtree(old, ignore_errors=True)


def contact_of(client: Client) -> str:
    """Who the client calls, as printed: the case worker and their number."""
    return ", ".join(x for x in (client.case_worker, client.case_worker_contact) if x)


def _return_address(t: Tracker, client: Client) -> tuple[str, ...]:
    with t.db.read() as tx:
        return get_office(tx, client.office).return_address


def _client_reference(tx: Transaction, client_id: int) -> str:
    return str(tx.scalar("SELECT reference FROM clients WHERE id = ?", (client_id,)))


@entry(Action.ISSUE, Subject.WORKBOOK, "number")
def revoke(t: Tracker, number: str, reason: str, actor: str) -> None:
    """Revoke a workbook (lost, damaged, sent to the wrong person): its codes stop working."""
    number = check_text(number, "the workbook number", 40)
    reason = check_text(reason, "the reason", 500)
    if not reason.strip():
        raise TrackerError("revoking a workbook needs a reason")
    with t.db.write() as tx:
        row = tx.one("SELECT id, revoked_at FROM workbooks WHERE number = ?", (number.upper(),))
        if row is None:
            raise NotFound(f"no workbook {number}")
        if row["revoked_at"]:
            raise TrackerError(f"workbook {number} was already revoked on {row['revoked_at'][:10]}")
        tx.execute(
            "UPDATE workbooks SET revoked_at = ?, revoked_reason = ? WHERE id = ?",
            (t.now(), reason.strip(), row["id"]),
        )
        t.audit(tx, actor, "workbook.revoke", number.upper(), reason=reason.strip())


def _choose(
    t: Tracker, tx: Transaction, order_id: int, wanted: list[str] | None, limit: int | None = None
) -> list[str]:
    """The modules to issue: those asked for, or the next (up to `limit`) that fit the cap."""
    course = t.course
    order = load_order(tx, order_id)
    policy = policy_of(tx, order)
    order_statement = statement(t, tx, order)
    states = {m.module_id: m for m in order_statement.modules}
    if wanted:
        unknown = [m for m in wanted if m not in states]
        if unknown:
            raise NotFound(f"no module {unknown[0]} in the course")
        for module_id in wanted:
            check_eligible(policy, order, course.module(module_id))
            line = states[module_id]
            if line.state in (CREDITED, ACCEPTED):
                raise TrackerError(f"{module_id} is already done on this order ({line.state})")
            if line.state == SENT_BACK:
                holder = _holder(tx, order_id, module_id)
                raise TrackerError(
                    f"{module_id} was sent back: print it again with its own code "
                    f"(`cpo workbook print {holder} --module {module_id}`)"
                )
            if line.state not in (NOT_ISSUED, REFUSED, REVERSED):
                raise TrackerError(
                    f"{module_id} is already out ({line.state}): revoke its workbook first"
                )
        return [m.id for m in course.modules if m.id in wanted]
    pending = sum(
        course.module(m.module_id).minutes
        for m in order_statement.modules
        if m.state not in (NOT_ISSUED, CREDITED, ACCEPTED, REFUSED, REVERSED)
    )
    room = order_statement.cap_left - pending
    free = [m for m in course.modules if states[m.id].state == NOT_ISSUED and policy.eligible(m)]
    if room <= 0 or not free:
        why = (
            f"every {policy.cap_name} module is issued or done"
            if not free
            else (
                f"the cap has {hours(max(room, 0))} left once the modules already out are counted"
            )
        )
        raise TrackerError(f"nothing to issue: {why}")
    chosen: list[str] = []
    total = 0
    for module in free:
        if limit is not None and len(chosen) >= limit:
            break
        if total + module.minutes <= room:
            chosen.append(module.id)
            total += module.minutes
    return chosen or [free[0].id]  # less than a module left: one, credited in part


def _holder(tx: Transaction, order_id: int, module_id: str) -> str:
    """The newest live workbook holding a module on an order."""
    return str(
        tx.scalar(
            "SELECT w.number FROM workbooks w JOIN tokens k ON k.workbook_id = w.id "
            "WHERE w.order_id = ? AND k.module_id = ? AND w.revoked_at IS NULL "
            "ORDER BY w.id DESC",
            (order_id, module_id),
        )
    )


def _new_number(tx: Transaction) -> str:
    """A workbook number: W and five random symbols. It says nothing about anyone."""
    while True:
        number = "W" + "".join(secrets.choice(ALPHABET) for _ in range(5))
        if not tx.one("SELECT id FROM workbooks WHERE number = ?", (number,)):
            return number


def _new_token(t: Tracker, tx: Transaction) -> Token:
    while True:  # 80-bit serials and 50-bit codes: a clash is rare, but checked
        token = t.keyring.new_token(t.config.base_url)
        if not tx.one(
            "SELECT id FROM tokens WHERE serial = ? OR code = ?", (token.serial, token.code)
        ):
            return token


def render_files(job: PrintJob, folder: Path) -> tuple[str, ...]:
    """Render the workbook, its letter (and the HTML bundle) into `folder`; the names written."""
    from builder.pdf import render_personalised
    from builder.pdf.letter import Letter, render_letter

    client, modules = job.client, job.modules
    contact = contact_of(client)
    personal = Personal(
        client.reference,
        job.number,
        name=client.name,
        contact=contact,
        address=client.address,
        return_address=job.return_address,
    )
    ids = [m.module_id for m in modules]
    checkins = [CheckIn(m.payload, m.code) for m in modules]
    course, profile = job.course, job.profile
    render_personalised(course, ids, profile, personal, checkins, folder / "workbook.pdf")
    letter = Letter(
        sender=course.title,
        name=client.name,
        date=_spoken(job.issued_on),
        workbook=job.number,
        modules=tuple((m.module_id, m.title) for m in modules),
        due=_spoken(job.due),
        contact=contact,
        address=personal.address,
        return_address=personal.return_address,
        answers_file=job.html,
    )
    render_letter(letter, profile, folder / "letter.pdf")
    names = ["workbook.pdf", "letter.pdf"]
    if job.html:
        from builder.html import render_bundle

        written = render_bundle(course, ids, personal, checkins, folder / "html")
        names.extend(str(p.relative_to(folder)) for p in written)
    return tuple(names)


RENDERER: Renderer = render_files


def _spoken(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
