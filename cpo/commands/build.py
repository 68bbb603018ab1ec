"""`cpo build ...`: make workbooks from the course."""

from __future__ import annotations

from pathlib import Path

import click

from cpo.options import content_option, output_option


@click.group()
def build() -> None:
    """Build workbooks from the course.

    \b
    Example:
        cpo build pdf --profile large-print
    """


@build.command()
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="P",
    help="Print profile: standard, large-print or dyslexia (repeat for several; default: all).",
)
@click.option("--modules", metavar="IDS", help="Only these modules, e.g. WB1,HC2 (default: all).")
@click.option(
    "--preview",
    metavar="MODULE",
    help="Also save a PNG of this module's first page for each profile (needs pdftoppm).",
)
@content_option
@output_option
def pdf(
    profiles: tuple[str, ...],
    modules: str | None,
    preview: str | None,
    content: Path | None,
    output: Path,
) -> None:
    """Write specimen PDF workbooks (watermarked SPECIMEN; their codes are never credited).

    One file per print profile is written to the output folder, as
    workbook-specimen-PROFILE.pdf.

    \b
    Example:
        cpo build pdf --profile standard --modules WB1,HC2
        cpo build pdf --preview WB1
    """
    from builder.errors import BuildError
    from builder.loader import default_content_root, load_course
    from builder.pdf import render_specimen
    from builder.pdf.preview import page_png
    from builder.profiles import PROFILES, get_profile

    chosen = list(profiles) or list(PROFILES)
    for name in chosen:
        get_profile(name)  # a bad name fails before anything is written
    course = load_course(content or default_content_root())
    ids = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    if preview and ids and preview not in ids:
        raise BuildError(f"--preview {preview} is not among --modules {modules}")
    for name in chosen:
        path, first_pages = render_specimen(course, name, ids, output)
        click.echo(f"Wrote {path}")
        if preview:
            if preview not in first_pages:
                raise BuildError(f"no such module: {preview}")
            png = output / f"workbook-specimen-{name}-{preview}.png"
            click.echo(f"Wrote {page_png(path, first_pages[preview], png)}")
