"""The day's work: issue workbooks, check returns in, and see the hours and the audit."""

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
    from tracker.checkins import CheckinResult


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
            out_root=output,
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
    from tracker.checkins import checkin as record
    from tracker.checkins import stored_groups

    who = need_actor(actor)
    refused = 0
    with open_from_cli(data) as t:
        typed = record(t, codes, who, "typed", client_reference, skip_blank=False)
        stored = (
            ([result] for result in typed)
            if codes
            else stored_groups(t, _stdin_groups(), who, "scanner", client_reference)
        )
        for results in stored:  # each stored before it is reported: one write a group
            click.echo("".join([_said(result, as_json) for result in results]), nl=False)
            refused += sum(not (result.recorded or result.duplicate) for result in results)
    if refused:
        from tracker.errors import TrackerError

        raise TrackerError(f"{refused} {'code was' if refused == 1 else 'codes were'} refused")


def _said(result: CheckinResult, as_json: bool) -> str:
    """One check-in's line, as the person or the program reading it wants it."""
    if as_json:
        return json.dumps(result.as_json()) + "\n"
    whose = result.client or "another office's client"
    if result.recorded:
        return (
            f"Recorded   R{result.return_id}  {whose}  {result.module}"
            f"  (workbook {result.workbook})\n"
        )
    if result.duplicate:
        return f"Already in {whose}  {result.module}: {result.reason}\n"
    return f"Refused    {result.text}: {result.reason}\n"


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
@click.option(
    "--only-new",
    is_flag=True,
    help="With --since: check only the entries after it and the rows they cover (quick).",
)
@data_option
@json_option
def audit_verify(since: str | None, only_new: bool, data: Path | None, as_json: bool) -> None:
    """Check the audit chain, and every row that decides hours against it.

    Any edit, deletion, cut or re-hash of the chain shows, and so does a credit,
    mark, return, order or workbook changed, added or deleted outside cpo. With
    --since, the chain must still hold the head fingerprinted on a report.
    With --since and --only-new, only what was added after that head is checked:
    the new entries, the rows they wrote and the rows added since. It takes a
    moment on a large tracker; run the full check now and then as well.

    \b
    Example:
        cpo audit verify
        cpo audit verify --since 1234:9f3a2b7c1d0e55aa
        cpo audit verify --since 1234:9f3a2b7c1d0e55aa --only-new
    """
    from tracker.audit import Fingerprint, verify
    from tracker.audit_since import verify_since
    from tracker.errors import TrackerError

    if only_new and since is None:
        raise TrackerError("--only-new needs --since FINGERPRINT: the head to check from")
    anchor = Fingerprint.parse(since) if since is not None else None
    with open_from_cli(data) as t:
        if only_new and anchor is not None:
            verdict = verify_since(t.db, anchor, t.audit_key)
        else:
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
    elif verdict.ok and only_new:
        click.echo(
            f"The audit log is whole since {anchor}: {verdict.entries} entries checked, "
            "every link from that one on."
        )
        click.echo("Every row they wrote, and every row added since, matches the chain.")
        click.echo(f"Fingerprint now: {verdict.head}")
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
