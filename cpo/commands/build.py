"""`cpo build ...`: make workbooks from the course."""

from __future__ import annotations

from pathlib import Path

import click

from cpo.options import content_option, output_option, region_option


@click.group()
def build() -> None:
    """Build workbooks from the course.

    \b
    Example:
        cpo build pdf --profile large-print
        cpo build html --modules WB1,HC2
    """


@build.command()
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="P",
    help="Print profile: standard, large-print, dyslexia or dyslexia-cream (repeat for several; "
    "default: all).",
)
@click.option("--modules", metavar="IDS", help="Only these modules, e.g. WB1,HC2 (default: all).")
@click.option(
    "--preview",
    "previews",
    multiple=True,
    metavar="MODULE[/diagram|/end]",
    help="Also save a PNG of this module's first page (or first diagram, or last page) "
    "for each profile; repeat for several (needs pdftoppm).",
)
@content_option
@output_option
@region_option
def pdf(
    profiles: tuple[str, ...],
    modules: str | None,
    previews: tuple[str, ...],
    content: Path | None,
    output: Path,
    region: str,
) -> None:
    """Write specimen PDF workbooks (watermarked SPECIMEN; their codes are never credited).

    One file per print profile is written to the output folder, as
    workbook-specimen-PROFILE.pdf.

    \b
    Example:
        cpo build pdf --profile standard --modules WB1,HC2
        cpo build pdf --preview WB1 --region wales
        cpo build pdf --preview WB1 --preview TF1/diagram --preview TF1/end
    """
    from builder.errors import BuildError
    from builder.loader import default_content_root, load_course
    from builder.pdf import render_specimen
    from builder.pdf.preview import page_png
    from builder.profiles import PROFILES, get_profile
    from builder.regions import parse_region, regional_course

    chosen = list(profiles) or list(PROFILES)
    for name in chosen:
        get_profile(name)  # a bad name fails before anything is written
    course = regional_course(load_course(content or default_content_root()), parse_region(region))
    ids = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    for preview in previews:
        if ids and preview.split("/")[0] not in ids:
            raise BuildError(f"--preview {preview} is not among --modules {modules}")
    for name in chosen:
        path, first_pages = render_specimen(course, name, ids, output)
        click.echo(f"Wrote {path}")
        for preview in previews:
            if preview not in first_pages:
                raise BuildError(f"no such page to picture: {preview}")
            png = output / f"workbook-specimen-{name}-{preview.replace('/', '-')}.png"
            click.echo(f"Wrote {page_png(path, first_pages[preview], png)}")


@build.command()
@click.option("--modules", metavar="IDS", help="Only these modules, e.g. WB1,HC2 (default: all).")
@content_option
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/html"),
    show_default=True,
    help="The bundle's folder; its zip is written beside it (FOLDER.zip).",
)
@click.option(
    "--preview",
    metavar="MODULE",
    help="Also save pictures of this module's page, 320 and 1280 px wide (needs Chromium).",
)
@region_option
def html(
    modules: str | None, content: Path | None, output: Path, preview: str | None, region: str
) -> None:
    """Write a specimen offline bundle: open its index.html in any browser, no internet needed.

    The bundle is one folder of web pages (for a USB stick or a phone) and a zip
    of it. Answers typed in it stay on the device until the client saves an
    answers file. A specimen's codes say SPECIMEN and are never credited.

    \b
    Example:
        cpo build html --modules WB1,HC2 --output output/html
        cpo build html --preview WB1 --region england
    """
    from builder.errors import BuildError
    from builder.html import render_specimen_bundle
    from builder.html.preview import page_pngs
    from builder.html.views import module_file
    from builder.loader import default_content_root, load_course
    from builder.regions import parse_region, regional_course

    course = regional_course(load_course(content or default_content_root()), parse_region(region))
    ids = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    if preview and ids and preview not in ids:
        raise BuildError(f"--preview {preview} is not among --modules {modules}")
    if preview and preview not in {m.id for m in course.modules}:
        raise BuildError(f"no such module: {preview}")
    folder, archive = render_specimen_bundle(course, ids, output)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    pages = len(list(folder.glob("*.html")))
    click.echo(f"Wrote {folder} ({pages} pages, {size / 1024:.0f} KB); open its index.html")
    click.echo(f"Wrote {archive} ({archive.stat().st_size / 1024:.0f} KB)")
    if preview:
        page = folder / module_file(course.module(preview))
        for png in page_pngs(page, output.parent / f"{output.name}-{preview}"):
            click.echo(f"Wrote {png}")


@build.command()
@click.argument("jobs", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Processes to print with (0: one per core).",
)
@content_option
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/batch"),
    show_default=True,
    help="Where to write the workbooks, one WORKBOOK.pdf each.",
)
@region_option
def batch(jobs: Path, workers: int, content: Path | None, output: Path, region: str) -> None:
    """Print personalised workbooks for many clients at once, across cores.

    JOBS is a JSON Lines file, one workbook a line, with the check-in codes
    already issued (the builder never makes up codes):

    \b
      {"workbook": "WB-7H3K", "reference": "C-1042", "contact": "Ana, 0141 000 0000",
       "profile": "standard", "modules": ["WB1", "HC2"],
       "checkins": [{"payload": "...", "code": "..."}, {"payload": "...", "code": "..."}]}

    A line that cannot be printed is reported with its reason; the rest are printed.
    The exit status is 1 if any line failed. Every workbook in a file is for one
    --region: give one file per region.

    \b
    Example:
        cpo build batch office-jobs.jsonl --workers 2 --output output/batch
    """
    import sys
    import time

    from builder.errors import BuildError
    from builder.loader import default_content_root, load_course
    from builder.pdf.batch import Outcome, read_jobs, render_batch
    from builder.regions import parse_region, regional_course

    course = regional_course(load_course(content or default_content_root()), parse_region(region))
    todo, problems = read_jobs(jobs, output)
    failed = [str(problem) for problem in problems]
    printed = pages = 0
    started = time.perf_counter()

    def rate(_: Outcome | None) -> str | None:
        seconds = time.perf_counter() - started
        return f"{pages / seconds:.0f} pages/s" if seconds and pages else ""

    with click.progressbar(
        render_batch(course, todo, workers),
        length=len(todo),
        label="Printing workbooks",
        item_show_func=rate,
        file=sys.stderr,
    ) as outcomes:
        for outcome in outcomes:
            if outcome.ok:
                printed += 1
                pages += outcome.pages
            else:
                failed.append(f"{jobs}: workbook {outcome.job.personal.workbook}: {outcome.error}")
    seconds = time.perf_counter() - started
    click.echo(
        f"Printed {printed} workbooks ({pages} pages) into {output} in {seconds:.1f} s"
        + (f", {pages / seconds:.0f} pages/s" if seconds and pages else "")
    )
    if failed:
        for line in failed:
            click.echo(f"  {line}", err=True)
        raise BuildError(f"{len(failed)} of {len(todo) + len(problems)} workbooks not printed")
