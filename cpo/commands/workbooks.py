"""`cpo workbook ...`: issued workbooks looked up, revoked and printed again."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, json_option

if TYPE_CHECKING:
    from tracker.workbooks import Workbook


@click.group()
def workbook() -> None:
    """Issued workbooks.

    \b
    Example:
        cpo workbook revoke W7H3KQ --reason "Lost in the post"
        cpo workbook print W7H3KQ
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


@workbook.command("print")
@click.argument("number")
@click.option("--module", help="Only this module (sent back, or lost), with its own code.")
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
def workbook_print(
    number: str, module: str | None, html: bool, output: Path, data: Path | None, actor: str
) -> None:
    """Print a recorded workbook again, with the same codes (its files were lost).

    With --module, print just that module (into OUTPUT/NUMBER-MODULE): the rest of
    the workbook stays as it is, and the module checks in with its own code.

    \b
    Example:
        cpo workbook print W7H3KQ
        cpo workbook print W7H3KQ --module WB2
    """
    from tracker.issuing import reprint

    with open_from_cli(data) as t:
        issued = reprint(t, number, need_actor(actor), html, out_root=output, module=module)
    what = f"{module.upper()} of workbook" if module else "workbook"
    click.echo(f"Printed {what} {issued.number} for {issued.client} again")
    for f in issued.files:
        click.echo(f"Wrote {f}")


@workbook.command("list")
@click.argument("client_reference", metavar="CLIENT")
@data_option
@json_option
def workbook_list(client_reference: str, data: Path | None, as_json: bool) -> None:
    """List a client's workbooks, newest first, with each module's state.

    \b
    Example:
        cpo workbook list C-1042
    """
    from tracker.workbooks import list_workbooks

    with open_from_cli(data) as t:
        books = list_workbooks(t, client_reference)
    if as_json:
        click.echo(json.dumps([asdict(b) for b in books], indent=2))
        return
    for b in books:
        _echo_workbook(b, brief=True)
    if not books:
        click.echo(f"No workbooks for {client_reference}.")


@workbook.command("show")
@click.argument("number")
@data_option
@json_option
def workbook_show(number: str, data: Path | None, as_json: bool) -> None:
    """Show a workbook: whose it is, when it is due, and each module's code and state.

    \b
    Example:
        cpo workbook show W7H3KQ
    """
    from tracker.workbooks import show_workbook

    with open_from_cli(data) as t:
        book = show_workbook(t, number)
    if as_json:
        click.echo(json.dumps(asdict(book), indent=2))
        return
    _echo_workbook(book, brief=False)


def _echo_workbook(b: Workbook, brief: bool) -> None:
    revoked = f", revoked {b.revoked_on} ({b.revoked_reason})" if b.revoked_on else ""
    click.echo(
        f"{b.number}  {b.order}  issued {b.issued_on} by {b.issued_by}, due {b.due_on}"
        f"  {b.profile}{revoked}"
    )
    for m in b.modules:
        extra = "" if brief else f"  {m.title}"
        click.echo(f"  {m.module_id:<5} {m.code}  {m.state}{extra}")
