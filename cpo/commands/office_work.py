"""An office's bulk work: import a caseload, issue to many clients in one print run, letters."""

from __future__ import annotations

import json
from pathlib import Path

import click

from builder.profiles import PROFILES
from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, json_option
from tracker.import_mappings import PRESETS


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--preset", type=click.Choice(tuple(PRESETS)), help="The case system the file is from."
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A JSON or YAML file naming the columns (see the README).",
)
@click.option("--office", help="The office for rows that name none.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@data_option
@by_option
@json_option
def import_(
    file: Path,
    preset: str | None,
    mapping: Path | None,
    office: str | None,
    dry_run: bool,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Import clients and their orders from a case system's CSV export.

    Every row gets a line: added, updated (what changed), unchanged, or refused
    with its line number, the field and why. A client already known (by case
    reference) is updated, never added twice, so the same file can be imported
    again. Refused rows change nothing; the rest go in.

    \b
    Example:
        cpo import caseload.csv --preset carefirst --office north --dry-run
        cpo import caseload.csv --mapping our-columns.yaml
    """
    from tracker.errors import TrackerError
    from tracker.import_mappings import load_mapping
    from tracker.import_mappings import preset as named_preset
    from tracker.importing import Outcome, import_csv, read_file

    if (preset is None) == (mapping is None):
        raise click.UsageError("give --preset NAME or --mapping FILE (one of them)")
    chosen = named_preset(preset) if preset else load_mapping(mapping)  # type: ignore[arg-type]
    with open_from_cli(data) as t:
        report = import_csv(
            t, read_file(file), chosen, need_actor(actor), office, dry_run, file.name
        )
    if as_json:
        rows = [
            {
                "line": r.line,
                "reference": r.reference,
                "outcome": r.outcome.value,
                "changes": list(r.changes),
                "field": r.field,
                "reason": r.reason,
            }
            for r in report.rows
        ]
        click.echo(json.dumps({"dry_run": dry_run, "rows": rows}, indent=2))
    else:
        for r in report.rows:
            what = (
                f"{r.field}: {r.reason}" if r.outcome is Outcome.REFUSED else ", ".join(r.changes)
            )
            click.echo(f"line {r.line:<5} {r.reference or '?':<14} {r.outcome.value:<9} {what}")
        counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
        click.echo(("Dry run, nothing changed: " if dry_run else "Imported: ") + counts)
    if report.refused:
        raise TrackerError(f"{len(report.refused)} of {len(report.rows)} rows refused")


@click.command("issue-batch")
@click.option("--office", help="Issue to every client of this office.")
@click.option("--client", "clients", multiple=True, help="Issue to this client (repeat it).")
@click.option(
    "--each", type=int, help="Modules for each client (default: the office's setting, 3)."
)
@click.option(
    "--profile",
    default="standard",
    show_default=True,
    help=f"Print profile: {', '.join(PROFILES)}.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/issues"),
    show_default=True,
    help="Where to write each client's folder and the print run.",
)
@click.option(
    "--workers", type=click.IntRange(0, 64), default=0, help="Processes (0: a core each)."
)
@data_option
@by_option
@json_option
def issue_batch(
    office: str | None,
    clients: tuple[str, ...],
    each: int | None,
    profile: str,
    output: Path,
    workers: int,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Issue the next modules to many clients, and make one print run of them all.

    The print run is one PDF to print double-sided: a cover sheet listing each
    client and their sheets, then each client's letter and workbook, each
    starting on a new sheet. Each client's own files are in OUTPUT/NUMBER/ too.
    A client who cannot be issued to is listed with the reason; the rest go on.

    \b
    Example:
        cpo issue-batch --office north
        cpo issue-batch --client C-1042 --client C-1043 --each 2
    """
    from tracker.errors import TrackerError
    from tracker.print_run import issue_batch as run_batch

    with open_from_cli(data) as t:
        run = run_batch(
            t,
            need_actor(actor),
            office,
            list(clients) if clients else None,
            each,
            profile,
            out_root=output,
            workers=workers,
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "print_run": str(run.path) if run.path else None,
                    "pages": run.pages,
                    "clients": [
                        {
                            "client": i.client,
                            "workbook": i.workbook,
                            "modules": list(i.modules),
                            "sheets": i.sheets,
                            "first_page": i.first_page,
                            "folder": str(i.folder),
                        }
                        for i in run.items
                    ],
                    "not_issued": [
                        {"client": s.client, "field": s.field, "reason": s.reason}
                        for s in run.skipped
                    ],
                },
                indent=2,
            )
        )
    else:
        for i in run.items:
            click.echo(f"{i.client:<14} {i.workbook}  {','.join(i.modules):<16} {i.sheets} sheets")
        if run.path:
            click.echo(f"Wrote {run.path} ({run.pages} pages, {run.sheets} sheets)")
        for s in run.skipped:
            click.echo(f"  not issued: {s.client}: {s.reason}", err=True)
    if run.skipped:
        raise TrackerError(f"{len(run.skipped)} clients not issued to")


@click.group()
def letter() -> None:
    """Letters to clients, printed again.

    \b
    Example:
        cpo letter send-back R14
    """


@letter.command("send-back")
@click.argument("return_id", metavar="RETURN")
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/letters"),
    show_default=True,
    help="Where to write the letter.",
)
@data_option
def letter_send_back(return_id: str, output: Path, data: Path | None) -> None:
    """Print the letter for a module that was sent back: what to try again, and its code.

    \b
    Example:
        cpo letter send-back R14 --output output/letters
    """
    from tracker.marking import parse_return_id
    from tracker.workbooks import send_back_letter

    with open_from_cli(data) as t:
        path = send_back_letter(t, parse_return_id(return_id), output)
    click.echo(f"Wrote {path}")
