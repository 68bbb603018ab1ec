"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

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
