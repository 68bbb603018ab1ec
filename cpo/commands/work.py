"""The day's work: issue workbooks, check returns in, mark them, and see the hours."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, date_type, json_option

if TYPE_CHECKING:
    from builder.course import Module
    from tracker.tracker import Tracker


@click.command()
@click.argument("client_reference", metavar="CLIENT")
@click.option("--order", "order_reference", help="Which order, as CLIENT/N (if more than one).")
@click.option("--modules", help="These modules, e.g. WB1,HC2 (default: the next that fit the cap).")
@click.option(
    "--profile", default="standard", show_default=True, help="standard, large-print or dyslexia."
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
    if as_json:
        click.echo(
            json.dumps(
                {
                    "workbook": issued.number,
                    "client": issued.client,
                    "order": issued.order,
                    "profile": issued.profile,
                    "issued_on": issued.issued_on,
                    "due_on": issued.due_on,
                    "modules": [{"module": m.module_id, "code": m.code} for m in issued.modules],
                    "files": [str(f) for f in issued.files],
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"Issued workbook {issued.number} to {issued.client} (order {issued.order}), "
        f"due back by {issued.due_on}"
    )
    for m in issued.modules:
        click.echo(f"  {m.module_id:<5} {m.code}  {m.title}")
    for f in issued.files:
        click.echo(f"Wrote {f}")


@click.group()
def workbook() -> None:
    """Issued workbooks.

    \b
    Example:
        cpo workbook revoke W7H3KQ --reason "Lost in the post"
    """


@workbook.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why: lost, damaged, sent to the wrong person.")
@data_option
@by_option
def workbook_revoke(number: str, reason: str, data: Path | None, actor: str) -> None:
    """Revoke a workbook: its codes stop working and its modules can be issued again.

    \b
    Example:
        cpo workbook revoke W7H3KQ --reason "Lost in the post"
    """
    from tracker.issuing import revoke

    with open_from_cli(data) as t:
        revoke(t, number, reason, need_actor(actor))
    click.echo(f"Revoked workbook {number.upper()}")


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
    run is cut off, run it again: codes already received say so.

    \b
    Example:
        cpo checkin 7QX2-M9K4-PZ3T
        cpo checkin < scanned-codes.txt
    """
    from tracker.checkins import DUPLICATE, RECORDED
    from tracker.checkins import checkin as record

    who = need_actor(actor)
    lines = codes or (line.strip() for line in sys.stdin)
    arrived = "typed" if codes else "scanner"
    refused = 0
    with open_from_cli(data) as t:
        for result in record(t, lines, who, arrived, client_reference):
            if as_json:
                click.echo(json.dumps(result.as_json()))
            elif result.status == RECORDED:
                click.echo(
                    f"Recorded   R{result.return_id}  {result.client}  {result.module}"
                    f"  (workbook {result.workbook})"
                )
            elif result.status == DUPLICATE:
                click.echo(f"Already in {result.client}  {result.module}: {result.reason}")
            else:
                click.echo(f"Refused    {result.text}: {result.reason}")
            sys.stdout.flush()
            refused += result.status not in (RECORDED, DUPLICATE)
    if refused:
        from tracker.errors import TrackerError

        raise TrackerError(f"{refused} {'code was' if refused == 1 else 'codes were'} refused")


@click.command()
@click.argument("return_id", metavar="RETURN", required=False)
@click.option("--accept", "decision", flag_value="accept", help="Accept and credit the module.")
@click.option("--send-back", "decision", flag_value="send-back", help="Send back with feedback.")
@click.option("--refuse", "decision", flag_value="refuse", help="Refuse, with a reason.")
@click.option(
    "--tried", default="", metavar="IDS", help="Activities tried, e.g. WB1-1,WB1-2, or 'all'."
)
@click.option("--minutes", "declared", metavar="TIME", help="Time the client declared, e.g. 1h50.")
@click.option("--feedback", default="", help="For the client, when sending back.")
@click.option("--reason", default="", help="Why, when refusing.")
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
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Mark a returned module: which activities were tried, and the decision.

    Accepting credits the module: the time declared, up to its guided time (x1.2
    with extra time) and what is left of the cap and the order. With no RETURN,
    lists the returns waiting. Without a decision flag, asks each question in turn.

    \b
    Example:
        cpo mark R17 --accept --tried all --minutes 1h50
        cpo mark R18 --send-back --tried WB2-1 --feedback "Please try activity 3"
    """
    from tracker.marking import mark as record_mark
    from tracker.marking import parse_return_id, pending
    from tracker.policy import hours, parse_hours

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
                            }
                            for p in waiting
                        ]
                    )
                )
            for p in waiting if not as_json else []:
                click.echo(
                    f"R{p.return_id:<6} {p.client:<14} {p.module_id:<5} "
                    f"received {p.received_at[:10]} ({p.arrived_by})"
                )
            if not waiting and not as_json:
                click.echo("Nothing is waiting to be marked.")
            return
        number = parse_return_id(return_id)
        module = _module_of(t, number)
        if decision is None:
            _show_evidence(t, number)
            decision, tried, declared, feedback, reason = _ask(module)
        ids = {a.id for a in module.activities}
        chosen = (
            ids
            if tried.strip().lower() == "all"
            else {x.strip().upper() for x in tried.split(",") if x.strip()}
        )
        minutes = parse_hours(declared) if declared else None
        marked = record_mark(
            t,
            number,
            decision,
            need_actor(actor),
            {a: a in chosen for a in chosen | ids},
            minutes,
            feedback,
            reason,
        )
    if as_json:
        click.echo(json.dumps(marked.as_json()))
        return
    click.echo(f"R{marked.return_id} {marked.module_id} ({marked.client}): {marked.decision}")
    if marked.decision == "accept":
        click.echo(
            f"  credited {hours(marked.credited)}" + (f" ({marked.note})" if marked.note else "")
        )


def _show_evidence(t: Tracker, number: int) -> None:
    """What came in for this return, so the marker knows what to look at."""
    from tracker.intake.evidence import return_evidence

    kept = return_evidence(t, number)
    if kept.pages:
        gap = f" (missing {kept.missing_text})" if kept.missing_text else ""
        click.echo(f"{len(kept.pages)} pages received{gap}: see `cpo evidence show R{number}`")
    if kept.answers:
        click.echo(f"Answers file received: see `cpo evidence show R{number}`")


def _module_of(t: Tracker, number: int) -> Module:
    from tracker.errors import NotFound

    with t.db.read() as tx:
        row = tx.one(
            "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id WHERE r.id = ?",
            (number,),
        )
    if row is None:
        raise NotFound(f"no return R{number} (`cpo mark` with no return lists those waiting)")
    return t.course.module(row["module_id"])


def _ask(module: Module) -> tuple[str, str, str | None, str, str]:
    """Ask the marker each question in turn."""
    click.echo(f"Marking {module.id}: {module.title}")
    tried = [
        a.id
        for a in module.activities
        if click.confirm(
            f"  {a.id} {a.title}{' (required)' if a.required else ''}: tried?", default=True
        )
    ]
    decision = click.prompt("Decision", type=click.Choice(["accept", "send-back", "refuse"]))
    declared = feedback = reason = ""
    if decision == "accept":
        declared = click.prompt("Time the client declared (e.g. 1h50)")
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
    from dataclasses import asdict

    from tracker.ete import order_agreement
    from tracker.ledger import describe, hours_statement

    with open_from_cli(data) as t:
        statement = hours_statement(t, reference)
        needs, agreed = order_agreement(t, statement.order.reference)
    if as_json:
        extra = {"ete_agreement": asdict(agreed) if agreed else None} if needs else {}
        click.echo(json.dumps(statement.as_json() | extra, indent=2))
        return
    click.echo("\n".join(describe(statement)))
    if needs and agreed:
        click.echo(f"\n  ETE agreed by {agreed.agreed_by} on {agreed.agreed_on}")
    elif needs:
        click.echo(
            f"\n  ETE not agreed yet: nothing is credited until "
            f"`cpo order agree {statement.order.reference} --by NAME`"
        )


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


@click.group()
def audit() -> None:
    """The audit log of every change.

    \b
    Example:
        cpo audit verify
    """


@audit.command("verify")
@data_option
def audit_verify(data: Path | None) -> None:
    """Check the audit log's hash chain: any edit, deletion or cut shows.

    \b
    Example:
        cpo audit verify
    """
    from tracker.audit import verify
    from tracker.errors import TrackerError

    with open_from_cli(data) as t:
        verdict = verify(t.db)
    if not verdict.ok:
        raise TrackerError(
            f"the audit log is broken after {verdict.entries} good entries: {verdict.problem}"
        )
    click.echo(f"The audit log is whole: {verdict.entries} entries, every link checked.")
