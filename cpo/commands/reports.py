"""`cpo report ...`, `cpo statement`, `cpo certificate`, `cpo export`: what case workers read.

Reports that may be emailed name clients by case reference only; the client's name is
printed only on the client's own statement and certificate.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from cpo.commands.tracking import open_from_cli
from cpo.options import data_option, date_type, json_option

file_type = click.Path(path_type=Path, dir_okay=False)


def _safe(reference: str) -> str:
    return reference.replace("/", "-")


def _write_text(text: str, path: Path) -> None:
    from builder.pdf.document import write_atomically

    write_atomically(text.encode("utf-8"), path)
    click.echo(f"Wrote {path}")


@click.group()
def report() -> None:
    """Reports for case workers: the week's figures, and modules not back in time.

    \b
    Example:
        cpo report weekly --office north --csv week.csv --pdf week.pdf
    """


@report.command("weekly")
@click.option("--office", help="One office's code (default: every office).")
@click.option("--week", type=date_type, help="Any day of the week (default: this week).")
@click.option("--csv", "csv_path", type=file_type, help="Write a row per client to this CSV.")
@click.option("--pdf", "pdf_path", type=file_type, help="Write the report, with a chart, as PDF.")
@data_option
@json_option
def weekly(
    office: str | None,
    week: datetime | None,
    csv_path: Path | None,
    pdf_path: Path | None,
    data: Path | None,
    as_json: bool,
) -> None:
    """The week's report by case worker: hours, modules, overdue items and flags.

    One row per order (a client with one order has one row), named by case
    reference. Figures are whole minutes in the CSV and JSON.

    \b
    Example:
        cpo report weekly --office north --csv output/week.csv --pdf output/week.pdf
        cpo report weekly --week 2026-11-16
    """
    from tracker.policy import hours
    from tracker.reports import CSV_COLUMNS, as_csv, weekly_report

    with open_from_cli(data) as t:
        made = weekly_report(t, office, week.date() if week else None)
    if csv_path:
        _write_text(as_csv(made.lines, CSV_COLUMNS, made.audit), csv_path)
    if pdf_path:
        from tracker.report_pdf import render_weekly

        click.echo(f"Wrote {render_weekly(made, pdf_path)}")
    if as_json:
        body = {
            "office": made.office,
            "week_start": made.week_start.isoformat(),
            "audit_fingerprint": made.audit,
            "clients": [line._asdict() for line in made.lines],
        }
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(
        f"Week of {made.week_start} ({made.office or 'all offices'}): {len(made.lines)} orders"
    )
    click.echo(f"Audit fingerprint: {made.audit} (check: cpo audit verify --since {made.audit})")
    for worker, lines in made.by_case_worker():
        click.echo(f"\n{worker}")
        for line in lines:
            flags = f"  [{line.flags}]" if line.flags else ""
            click.echo(
                f"  {line.order:<14} this week {hours(line.credited_week_minutes):<12} "
                f"to date {hours(line.credited_to_date_minutes):<12} "
                f"left {hours(line.allowance_left_minutes):<12} overdue {line.overdue}{flags}"
            )


@report.command("overdue")
@click.option("--office", help="One office's code (default: every office).")
@click.option("--csv", "csv_path", type=file_type, help="Also write the list to this CSV.")
@data_option
@json_option
def overdue(office: str | None, csv_path: Path | None, data: Path | None, as_json: bool) -> None:
    """Workbooks with modules not returned by their due date, grouped by case worker.

    One line a workbook, naming its overdue modules. It lists what to follow up;
    it does not judge any reason the client gives.

    \b
    Example:
        cpo report overdue --office north
    """
    from itertools import groupby

    from tracker.reports import OVERDUE_WORKBOOK_COLUMNS, as_csv, overdue_workbooks

    with open_from_cli(data) as t:
        items = overdue_workbooks(t, office)
    if csv_path:
        _write_text(as_csv(items, OVERDUE_WORKBOOK_COLUMNS), csv_path)
    if as_json:
        click.echo(json.dumps([asdict(i) for i in items], indent=2))
        return
    if not items:
        click.echo("Nothing is overdue.")
        return
    for worker, group in groupby(items, key=lambda i: i.case_worker):
        click.echo(f"\n{worker}")
        for i in group:
            click.echo(
                f"  {i.client:<12} workbook {i.workbook}  {i.modules:<16} due {i.due_on}"
                f" ({i.days_overdue} days ago)  contact {i.case_worker_contact or '-'}"
            )


def _client_pdf(kind: str, reference: str, output: Path | None, data: Path | None) -> None:
    from tracker.report_pdf import render_certificate, render_statement
    from tracker.reports import client_record

    with open_from_cli(data) as t:
        record = client_record(t, reference)
    path = output or Path("output") / f"{_safe(record.reference)}-{kind}.pdf"
    render = render_certificate if kind == "certificate" else render_statement
    click.echo(f"Wrote {render(record, path)}")


output_file = click.option(
    "--output", type=file_type, help="The PDF to write (default: output/CLIENT-KIND.pdf)."
)


@click.command()
@click.argument("reference", metavar="CLIENT")
@output_file
@data_option
def statement(reference: str, output: Path | None, data: Path | None) -> None:
    """A one-page statement for the client: modules done, hours, dates, who checked.

    \b
    Example:
        cpo statement C-1042 --output output/C-1042-statement.pdf
    """
    _client_pdf("statement", reference, output, data)


@click.command()
@click.argument("reference", metavar="CLIENT")
@output_file
@data_option
def certificate(reference: str, output: Path | None, data: Path | None) -> None:
    """A one-page certificate for the client of the modules they completed.

    \b
    Example:
        cpo certificate C-1042
    """
    _client_pdf("certificate", reference, output, data)


@click.command()
@click.option("--from", "first", type=date_type, required=True, help="The first day.")
@click.option("--to", "last", type=date_type, required=True, help="The last day (included).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", type=file_type, help="Write to this file (default: print it).")
@data_option
def export(
    first: datetime, last: datetime, fmt: str, output: Path | None, data: Path | None
) -> None:
    """The ledger's entries for a date range, to reconcile with a case system.

    Each row ends with the audit chain's fingerprint (audit_fingerprint): keep it,
    and `cpo audit verify --since` it later proves the records still hold these rows.

    \b
    Example:
        cpo export --from 2026-11-01 --to 2026-11-30 --format csv --output nov.csv
    """
    from tracker.reports import (
        AUDIT_COLUMN,
        LEDGER_COLUMNS,
        as_csv,
        audit_fingerprint,
        export_ledger,
    )

    with open_from_cli(data) as t:
        fingerprint = audit_fingerprint(t)  # first: the chain holds at least this much
        rows = export_ledger(t, first.date(), last.date())
    text = (
        as_csv(rows, LEDGER_COLUMNS, fingerprint)
        if fmt == "csv"
        else json.dumps([{**asdict(r), AUDIT_COLUMN: fingerprint} for r in rows], indent=2) + "\n"
    )
    if output:
        _write_text(text, output)
    else:
        click.echo(text, nl=False)
