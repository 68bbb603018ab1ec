"""`cpo content ...`: check the course."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from builder.check import CheckReport


@click.group()
def content() -> None:
    """Check the course content that workbooks are made from.

    \b
    Example:
        cpo content check
    """


@content.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat a module above reading age 9 as an error.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON for a script.")
def check(path: Path | None, strict: bool, as_json: bool) -> None:
    """Check the whole course and report every problem at once.

    PATH is the course folder (default: $CPO_CONTENT, or ./content). Each problem is
    shown with its file, line and a hint. On success, prints a summary and the reading
    age of each module; modules above reading age 9 are flagged.

    \b
    Example:
        cpo content check
        cpo content check content --strict --json
    """
    from builder.check import check_course
    from builder.errors import ContentError
    from builder.loader import default_content_root

    root = path or default_content_root()
    try:
        report = check_course(root, strict=strict)
    except ContentError as err:
        if as_json:
            problems = [
                {"path": str(p.path), "line": p.line, "message": p.message, "hint": p.hint}
                for p in err.problems
            ]
            click.echo(json.dumps({"ok": False, "errors": problems}, indent=2))
        raise
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print_report(report)
        for fact in report.stale:
            click.echo(
                f"Warning: regions.yaml: '{fact.id}' for {fact.region.label} was checked on "
                f"{fact.checked}, over 12 months ago: check it again ({fact.source})",
                err=True,
            )


def _print_report(report: CheckReport) -> None:
    from builder.course import CountsAs

    course = report.course
    activities = sum(len(m.activities) for m in course.modules)
    hours, minutes = divmod(course.guided_minutes, 60)
    guided = f"{hours} guided hours" + (f" {minutes} minutes" if minutes else "")
    click.echo(f"{course.title} (content version {course.version})")
    click.echo(
        f"{len(course.themes)} themes, {len(course.modules)} modules, "
        f"{activities} activities, {guided}"
    )
    for theme in course.themes:
        click.echo(f"  {theme.title}: {', '.join(m.id for m in theme.modules)}")
    ete = [m.id for m in course.modules if m.counts(CountsAs.ETE)]
    click.echo(f"Count as ETE (England and Wales): {', '.join(ete) or 'none'}")
    click.echo("")
    click.echo("Reading age by module (target: 9 or lower)")
    titles = {m.id: m.title for m in course.modules}
    for r in report.readability:
        mark = "  ABOVE 9" if r.flagged else ""
        click.echo(
            f"  {r.module_id:<5} {titles[r.module_id][:34]:<34} age {r.reading_age:>4}  "
            f"{r.average_sentence_length:>4} words a sentence{mark}"
        )
    flagged = report.flagged
    if flagged:
        ids = ", ".join(r.module_id for r in flagged)
        verb = "module reads" if len(flagged) == 1 else "modules read"
        click.echo(f"\n{len(flagged)} {verb} above age 9: {ids}")
    else:
        click.echo("\nEvery module reads at age 9 or lower.")
