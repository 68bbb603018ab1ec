"""The day's work: issue workbooks, check returns in, mark them, and see the hours."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from builder.profiles import PROFILES
from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, date_type, json_option

if TYPE_CHECKING:
    from builder.course import Module
    from tracker.marking import Pending
    from tracker.marking_help import Prefill
    from tracker.tracker import Tracker


@click.command()
@click.argument("client_reference", metavar="CLIENT")
@click.option("--order", "order_reference", help="Which order, as CLIENT/N (if more than one).")
@click.option("--modules", help="These modules, e.g. WB1,HC2 (default: the next that fit the cap).")
@click.option(
    "--profile",
    default="standard",
    show_default=True,
    help=f"Print profile: {', '.join(PROFILES)}.",
)
@click.option("--due", type=date_type, help="Return by (default: 4 weeks, or the deadline).")
@click.option("--html", is_flag=True, help="Also write the offline HTML version.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/issues"),
    show_default=True,
    help="Where to write the workbook's folder.",
)
@data_option
@by_option
@json_option
def issue(
    client_reference: str,
    order_reference: str | None,
    modules: str | None,
    profile: str,
    due: datetime | None,
    html: bool,
    output: Path,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Issue a personalised workbook: signed codes, the PDF and a covering letter.

    Writes OUTPUT/NUMBER/workbook.pdf and letter.pdf (and html/ with --html).

    \b
    Example:
        cpo issue C-1042
        cpo issue C-1042 --modules WB1,WB2 --profile large-print
    """
    from tracker.issuing import issue as issue_workbook

    ids = [m.strip().upper() for m in modules.split(",") if m.strip()] if modules else None
    with open_from_cli(data) as t:
        issued = issue_workbook(
            t,
            client_reference,
            need_actor(actor),
            order_reference,
            ids,
            profile,
            due.date() if due else None,
            html,
            output,
        )
    if as_json:  # one line, which `cpo build batch` reads as a job
        click.echo(json.dumps(issued.as_job()))
        return
    click.echo(
        f"Issued workbook {issued.number} to {issued.client} (order {issued.order}), "
        f"due back by {issued.due_on}"
    )
    for m in issued.modules:
        click.echo(f"  {m.module_id:<5} {m.code}  {m.title}")
    for f in issued.files:
        click.echo(f"Wrote {f}")


@click.command()
@click.argument("codes", nargs=-1)
@click.option("--client", "client_reference", help="Refuse codes that are not this client's.")
@data_option
@by_option
@json_option
def checkin(
    codes: tuple[str, ...],
    client_reference: str | None,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Record returned modules by their codes: typed, or scanned from the QR code.

    With no CODES, reads one code a line from standard input: a USB barcode
    scanner types into it. Each code is saved before it is reported, so if the
    run is cut off, run it again: codes already received say so. Codes that
    arrive together (a pasted list, a file) are saved together, which is faster.

    \b
    Example:
        cpo checkin 7QX2-M9K4-PZ3T
        cpo checkin < scanned-codes.txt
    """
    from tracker.checkins import DUPLICATE, RECORDED, checkin_groups
    from tracker.checkins import checkin as record

    who = need_actor(actor)
    refused = 0
    with open_from_cli(data) as t:
        results = (
            record(t, codes, who, "typed", client_reference, skip_blank=False)
            if codes
            else checkin_groups(t, _stdin_groups(), who, "scanner", client_reference)
        )
        for result in results:
            if as_json:
                click.echo(json.dumps(result.as_json()))
            elif result.status == RECORDED:
                whose = result.client or "another office's client"
                click.echo(
                    f"Recorded   R{result.return_id}  {whose}  {result.module}"
                    f"  (workbook {result.workbook})"
                )
            elif result.status == DUPLICATE:
                whose = result.client or "another office's client"
                click.echo(f"Already in {whose}  {result.module}: {result.reason}")
            else:
                click.echo(f"Refused    {result.text}: {result.reason}")
            sys.stdout.flush()
            refused += result.status not in (RECORDED, DUPLICATE)
    if refused:
        from tracker.errors import TrackerError

        raise TrackerError(f"{refused} {'code was' if refused == 1 else 'codes were'} refused")


STDIN_GROUP = 1000  # codes saved in one transaction, at most


def _stdin_groups() -> Iterator[list[str]]:
    """Standard input as groups of the whole lines that have arrived, never waiting for more.

    A scanner's code arrives alone and is saved alone; a pasted list or a file arrives
    in large reads and is saved in groups. Bytes that are not UTF-8 are kept as escapes,
    to be refused.
    """
    stream, pending = cast(io.BufferedIOBase, sys.stdin.buffer), b""
    while chunk := stream.read1(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        for start in range(0, len(lines), STDIN_GROUP):
            yield [_decoded(line) for line in lines[start : start + STDIN_GROUP]]
    if pending:
        yield [_decoded(pending)]


def _decoded(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape").rstrip("\r")


@click.command()
@click.argument("return_id", metavar="RETURN", required=False)
@click.option("--accept", "decision", flag_value="accept", help="Accept and credit the module.")
@click.option("--send-back", "decision", flag_value="send-back", help="Send back with feedback.")
@click.option("--refuse", "decision", flag_value="refuse", help="Refuse, with a reason.")
@click.option(
    "--tried",
    default="",
    metavar="IDS",
    help="Activities tried, e.g. WB1-1,WB1-2; 'all'; or 'answered' (as the answers file says).",
)
@click.option(
    "--minutes",
    "declared",
    metavar="TIME",
    help="Time the client declared: 110 (minutes), 110m, 1h50, 1:50 or 2h "
    "(default: the answers file's).",
)
@click.option("--feedback", default="", help="For the client, when sending back.")
@click.option("--reason", default="", help="Why, when refusing (or accepting with pages missing).")
@click.option(
    "--pages-missing-ok", is_flag=True, help="Accept though pages did not come in (give --reason)."
)
@click.option(
    "--letters",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/letters"),
    show_default=True,
    help="Where a send-back letter is written.",
)
@data_option
@by_option
@json_option
def mark(
    return_id: str | None,
    decision: str | None,
    tried: str,
    declared: str | None,
    feedback: str,
    reason: str,
    pages_missing_ok: bool,
    letters: Path,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Mark a returned module: which activities were tried, and the decision.

    Accepting credits the module: the time declared, up to its guided time (x1.2
    with extra time) and what is left of the cap and the order. With no RETURN,
    lists the returns waiting. Without a decision flag, asks each question in turn.
    A bare number of minutes is minutes: --minutes 90 is 1 h 30 min. Accepting a
    return with pages missing needs --pages-missing-ok and a --reason, kept.

    \b
    Example:
        cpo mark R17 --accept --tried all --minutes 1h50
        cpo mark R19 --accept --tried all --minutes 90 --pages-missing-ok \\
            --reason "Pages 4-6 lost in the post; seen on the client's phone"
        cpo mark R18 --send-back --tried WB2-1 --feedback "Please try activity 3"
    """
    from tracker.marking import mark as record_mark
    from tracker.marking import parse_return_id, pending
    from tracker.marking_help import prefill
    from tracker.policy import hours, parse_minutes

    with open_from_cli(data) as t:
        if return_id is None:
            waiting = pending(t)
            if as_json:
                click.echo(
                    json.dumps(
                        [
                            {
                                "return": p.return_id,
                                "client": p.client,
                                "workbook": p.workbook,
                                "module": p.module_id,
                                "received_at": p.received_at,
                                "pages": p.pages.received if p.pages else 0,
                                "page_count": p.pages.count if p.pages else None,
                                "missing": p.pages.missing if p.pages else "",
                                "answers_file": bool(p.pages and p.pages.answers),
                            }
                            for p in waiting
                        ]
                    )
                )
            for p in waiting if not as_json else []:
                click.echo(
                    f"R{p.return_id:<6} {p.client:<14} {p.module_id:<5} "
                    f"received {p.received_at[:10]} ({p.arrived_by})  {_pages_text(p)}"
                )
            if not waiting and not as_json:
                click.echo("Nothing is waiting to be marked.")
            return
        number = parse_return_id(return_id)
        module = _module_of(t, number)
        given = prefill(t, number)
        if decision is None:
            missing = _show_evidence(t, number)
            decision, tried, declared, feedback, reason = _ask(module, missing, given)
            pages_missing_ok = bool(missing)
        ids = {a.id for a in module.activities}
        chosen = (
            ids
            if tried.strip().lower() == "all"
            else set(given.tried)
            if tried.strip().lower() == "answered"
            else {x.strip().upper() for x in tried.split(",") if x.strip()}
        )
        minutes = parse_minutes(declared, "--minutes") if declared else None
        if minutes is None and decision == "accept" and given.declared_minutes is not None:
            minutes = given.declared_minutes
            click.echo(f"Time declared in the answers file: {hours(minutes)}")
        marked = record_mark(
            t,
            number,
            decision,
            need_actor(actor),
            {a: a in chosen for a in chosen | ids},
            minutes,
            feedback,
            reason,
            pages_missing_ok,
        )
        letter = None
        if marked.decision == "send-back":  # recorded; the letter is written after
            from tracker.workbooks import send_back_letter

            letter = send_back_letter(t, number, letters)
    if as_json:
        click.echo(json.dumps(marked.as_json() | ({"letter": str(letter)} if letter else {})))
        return
    click.echo(f"R{marked.return_id} {marked.module_id} ({marked.client}): {marked.decision}")
    if letter is not None:
        click.echo(f"Wrote {letter}: post it with the module's pages")
    if marked.decision == "accept" and not marked.credited:
        click.echo(
            f"  completed without credit ({marked.note}): when the order has hours "
            f"again, `cpo credit pending {marked.order}` credits it"
        )
    elif marked.decision == "accept":
        click.echo(
            f"  credited {hours(marked.credited)}" + (f" ({marked.note})" if marked.note else "")
        )


def _time_or_ask_again(text: str) -> str:
    """The time as typed, if it reads as a time; click asks again if not."""
    from tracker.policy import TimeFormatError, parse_minutes

    try:
        parse_minutes(text, "the time")
    except TimeFormatError as err:
        raise click.BadParameter(str(err)) from None
    return text


def _show_evidence(t: Tracker, number: int) -> str:
    """What came in for this return, so the marker knows what to look at; pages missing."""
    from tracker.intake.evidence import return_evidence

    kept = return_evidence(t, number)
    if kept.pages:
        gap = f" (missing {kept.missing_text})" if kept.missing_text else ""
        click.echo(f"{len(kept.pages)} pages received{gap}: see `cpo evidence show R{number}`")
        if gap:
            click.echo("  To accept it anyway you will be asked why.")
    if kept.answers:
        click.echo(f"Answers file received: see `cpo evidence show R{number}`")
    return kept.missing_text


def _module_of(t: Tracker, number: int) -> Module:
    from tracker.marking import module_of_return

    return t.course.module(module_of_return(t, number))


def _pages_text(p: Pending) -> str:
    """A return's pages for the list: '9 of 11 pages, missing pages 4-5', 'answers file'."""
    if p.pages is None:
        return ""
    if p.pages.answers and not p.pages.received:
        return "answers file"
    of = f" of {p.pages.count}" if p.pages.count else ""
    gap = f", missing {p.pages.missing}" if p.pages.missing else ""
    return f"{p.pages.received}{of} pages{gap}" if p.pages.received else "typed code"


def _ask(module: Module, missing: str, given: Prefill) -> tuple[str, str, str | None, str, str]:
    """Ask the marker each question in turn; a mistyped answer is asked again, not lost."""
    from tracker.policy import hours

    click.echo(f"Marking {module.id}: {module.title}")
    if given.from_answers:
        click.echo("  From the answers file (press Enter to keep what it says):")
    tried = [
        a.id
        for a in module.activities
        if click.confirm(
            f"  {a.id} {a.title}{' (required)' if a.required else ''}: tried?",
            default=a.id in given.tried if given.from_answers else True,
        )
    ]
    decision = click.prompt("Decision", type=click.Choice(["accept", "send-back", "refuse"]))
    declared = feedback = reason = ""
    if decision == "accept":
        from_file = given.declared_minutes
        declared = click.prompt(
            "Time the client declared (e.g. 110, 1h50 or 1:50)",
            default=hours(from_file).replace(" ", "") if from_file is not None else None,
            value_proc=_time_or_ask_again,
        )
        if missing:
            reason = click.prompt(f"Why accept it with {missing} missing")
    elif decision == "send-back":
        feedback = click.prompt("Feedback for the client")
    else:
        reason = click.prompt("Reason for refusing")
    return decision, ",".join(tried), declared or None, feedback, reason


@click.command()
@click.argument("reference", metavar="ORDER")
@data_option
@json_option
def hours(reference: str, data: Path | None, as_json: bool) -> None:
    """Statement of an order's hours: ordered, cap, credited, left, module by module.

    ORDER is CLIENT/N, or CLIENT when the client has one order.

    \b
    Example:
        cpo hours C-1042
    """
    print_statement(data, reference, as_json)


def print_statement(data: Path | None, reference: str, as_json: bool) -> None:

    from tracker.ete import order_agreement
    from tracker.ledger import describe, hours_statement
    from tracker.reports import audit_fingerprint

    with open_from_cli(data) as t:
        fingerprint = audit_fingerprint(t)
        statement = hours_statement(t, reference)
        needs, agreed = order_agreement(t, statement.order.reference)
    if as_json:
        extra = {"ete_agreement": asdict(agreed) if agreed else None} if needs else {}
        click.echo(
            json.dumps(statement.as_json() | extra | {"audit_fingerprint": fingerprint}, indent=2)
        )
        return
    click.echo("\n".join(describe(statement)))
    if needs and agreed:
        click.echo(f"\n  ETE agreed by {agreed.agreed_by} on {agreed.agreed_on}")
    elif needs:
        click.echo(
            f"\n  ETE not agreed yet: nothing is credited until "
            f"`cpo order agree {statement.order.reference} --by NAME`"
        )
    click.echo(f"\n  Audit fingerprint: {fingerprint}")


@click.group()
def credit() -> None:
    """The hours ledger: corrections are new entries, never edits.

    \b
    Example:
        cpo credit reverse 12 --reason "Marked on the wrong order"
    """


@credit.command("reverse")
@click.argument("credit_id", metavar="ENTRY", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="Why: kept in the ledger.")
@data_option
@by_option
def credit_reverse(credit_id: int, reason: str, data: Path | None, actor: str) -> None:
    """Reverse a ledger entry with a new entry of the opposite minutes.

    ENTRY is the number shown in the ledger by `cpo hours`.

    \b
    Example:
        cpo credit reverse 12 --reason "Marked on the wrong order"
    """
    from tracker.ledger import reverse_credit
    from tracker.policy import hours as show

    with open_from_cli(data) as t:
        row = reverse_credit(t, credit_id, reason, need_actor(actor))
    click.echo(f"Entry {row.id} reverses entry {credit_id}: {show(row.minutes)} on {row.module_id}")


@credit.command("pending")
@click.argument("reference", metavar="ORDER")
@click.option("--list", "only_list", is_flag=True, help="Only list them; credit nothing.")
@data_option
@by_option
def credit_pending(reference: str, only_list: bool, data: Path | None, actor: str) -> None:
    """Credit modules completed without credit, now the order has hours left.

    A module accepted when the cap (or the order) was full is recorded as
    completed without credit. After an adjustment adds hours, this credits each
    one as marking would today, oldest first.

    \b
    Example:
        cpo credit pending C-1042/1 --list
        cpo credit pending C-1042/1
    """
    from tracker.marking import completed_without_credit
    from tracker.marking import credit_pending as record
    from tracker.policy import hours as show

    with open_from_cli(data) as t:
        if only_list:
            for u in completed_without_credit(t, reference):
                click.echo(f"R{u.return_id:<6} {u.module_id:<5} accepted {u.marked_on[:10]}")
            return
        done = record(t, reference, need_actor(actor))
    if not done:
        click.echo(f"No module of {reference} is waiting for credit.")
    for c in done:
        if c.credited:
            note = f" ({c.note})" if c.note else ""
            click.echo(f"R{c.return_id} {c.module_id}: credited {show(c.credited)}{note}")
        else:
            click.echo(f"R{c.return_id} {c.module_id}: still no hours left ({c.note})")


@click.group()
def audit() -> None:
    """The audit log of every change.

    \b
    Example:
        cpo audit verify
    """


@audit.command("verify")
@click.option(
    "--since",
    metavar="FINGERPRINT",
    help="Also prove the chain still holds this head, as printed on a report (ID:HASH).",
)
@data_option
@json_option
def audit_verify(since: str | None, data: Path | None, as_json: bool) -> None:
    """Check the audit chain, and every row that decides hours against it.

    Any edit, deletion, cut or re-hash of the chain shows, and so does a credit,
    mark, return, order or workbook changed, added or deleted outside cpo. With
    --since, the chain must still hold the head fingerprinted on a report.

    \b
    Example:
        cpo audit verify
        cpo audit verify --since 1234:9f3a2b7c1d0e55aa
    """
    from tracker.audit import Fingerprint, verify
    from tracker.errors import TrackerError

    anchor = Fingerprint.parse(since) if since is not None else None
    with open_from_cli(data) as t:
        verdict = verify(t.db, t.audit_key, anchor)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": verdict.ok,
                    "entries": verdict.entries,
                    "head": str(verdict.head),
                    "keyed_since": verdict.anchored,
                    "problems": list(verdict.problems),
                    "credited_minutes": verdict.credited,
                },
                indent=2,
            )
        )
    elif verdict.ok:
        click.echo(
            f"The audit log is whole: {verdict.entries} entries, every link checked, "
            f"keyed since {verdict.anchored}."
        )
        click.echo("Every credit, mark, return, order and workbook matches the chain.")
        if anchor is not None:
            click.echo(f"The chain still holds {anchor}.")
        click.echo(f"Fingerprint now: {verdict.head}")
    if not verdict.ok:
        for problem in verdict.problems if not as_json else ():
            click.echo(f"  {problem}", err=True)
        count = len(verdict.problems)
        raise TrackerError(
            f"the audit check found {count} problem{'s' if count != 1 else ''}"
            + (f": {verdict.problem}" if count == 1 else " (listed above)")
        )
