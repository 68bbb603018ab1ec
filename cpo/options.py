"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from builder.regions import Region

content_option = click.option(
    "--content",
    type=click.Path(path_type=Path, file_okay=False),
    help="The course folder (default: $CPO_CONTENT, or ./content).",
)
output_option = click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Where to write the files.",
)

# The regions' names come from the builder's closed list, defined once.
REGION_NAMES = tuple(region.value for region in Region)
region_option = click.option(
    "--region",
    type=click.Choice(REGION_NAMES),
    default="scotland",
    show_default=True,
    help="Whose help, services and figures to print: where the client lives.",
)

data_option = click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="CPO_DATA",
    help="The tracker's data folder (default: $CPO_DATA, or ~/.local/share/cpo-offline).",
)


def _default_actor() -> str:
    import getpass
    import os

    try:
        return os.environ.get("CPO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return ""


by_option = click.option(
    "--by",
    "actor",
    default=_default_actor,
    show_default="$CPO_USER, or your login name",
    help="Your staff account (the same as $CPO_USER); the record names it.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for a script.")
date_type = click.DateTime(formats=["%Y-%m-%d"])
