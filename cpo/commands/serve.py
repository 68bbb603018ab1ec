"""`cpo serve`: the staff web app, over the same data folder and records as the commands."""

from __future__ import annotations

from pathlib import Path

import click

from cpo.options import data_option


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests served at once.",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Behind the council's HTTPS proxy: trust its X-Forwarded-For/-Proto headers, "
    "and send the session cookie over HTTPS only.",
)
def serve(data: Path | None, host: str, port: int, threads: int, behind_proxy: bool) -> None:
    """Start the staff web app on this machine's data folder.

    Staff sign in with their accounts (`cpo staff add`). Stop it with Ctrl+C.

    \b
    Example:
        cpo serve --port 8080
    """
    from cpo.web.server import app_for
    from cpo.web.server import serve as run
    from tracker.config import load

    app = app_for(load(data), https=behind_proxy)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving the staff web app at http://{shown}:{port}/ (Ctrl+C stops it)")
    run(app, host, port, threads, behind_proxy)
