"""The `cpo` command and the one place where project errors become messages."""

from __future__ import annotations

from typing import Any

import click

from builder.errors import CpoError
from cpo.commands.build import build
from cpo.commands.content import content
from cpo.commands.intake import evidence, intake
from cpo.commands.marking import mark
from cpo.commands.office_work import import_, issue_batch, letter
from cpo.commands.orders import order
from cpo.commands.records import client, init, office
from cpo.commands.reports import certificate, export, report, statement
from cpo.commands.serve import serve
from cpo.commands.service import backup, keys, restore, staff
from cpo.commands.work import audit, checkin, credit, hours, issue
from cpo.commands.workbooks import workbook


class CpoGroup(click.Group):
    """A command group that shows a project error as `Error: ...` and exits with status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from tracker.validate import show

        try:
            return super().invoke(ctx)
        except CpoError as err:
            raise click.ClickException(show(str(err), None)) from err

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Check every argument is text one can type before click reads it."""
        from tracker.validate import InputError

        try:
            _check_arguments(args)
        except InputError as err:
            raise click.ClickException(str(err)) from err
        return super().parse_args(ctx, args)


def _check_arguments(args: list[str]) -> None:
    """Refuse an argument that is not text one can type: bad bytes, NUL, a control character."""
    from tracker.validate import LONGEST_ARGUMENT, InputError, problem

    for i, arg in enumerate(args):
        why = problem(arg, LONGEST_ARGUMENT)
        if why:
            before = args[i - 1] if i and args[i - 1].startswith("--") else ""
            field = f"the value of {before}" if before and "=" not in before else "an argument"
            if arg.startswith("--") and "=" in arg:
                field = f"the value of {arg.split('=', 1)[0]}"
            raise InputError(field, why, arg)


@click.group(cls=CpoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cpo-offline")
def cli() -> None:
    """Workbooks for Other Activity hours, on paper and offline.

    \b
    Example:
        cpo content check
    """


for command in (
    build,
    content,
    init,
    office,
    client,
    order,
    import_,
    issue,
    issue_batch,
    workbook,
    letter,
    checkin,
    intake,
    mark,
    evidence,
    hours,
    credit,
    audit,
    report,
    statement,
    certificate,
    export,
    staff,
    keys,
    backup,
    restore,
    serve,
):
    cli.add_command(command)


def main() -> None:
    """Run the `cpo` command."""
    cli()
