"""Take returned work in (scans, photos, answers files), and see or prune what is kept."""

from __future__ import annotations

import json
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, json_option

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tracker.intake.evidence import EvidencePage
    from tracker.intake.records import Sorted
    from tracker.intake.run import FileOutcome
    from tracker.tracker import Tracker


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--code",
    metavar="CODE",
    help="Give an unreadable page its code: cpo intake --code CODE PAGE (PAGE as listed, P17).",
)
@click.option(
    "--number",
    type=click.IntRange(1, 999),
    help="With --code or --workbook: the page number printed at the foot of the page.",
)
@click.option(
    "--workbook",
    metavar="NUMBER",
    help="Place an unreadable page by its footer: --workbook W4F3B --module WB3 --number 2 P17.",
)
@click.option("--module", metavar="MODULE", help="With --workbook: the module in the footer.")
@click.option(
    "--undo",
    "undo_reason",
    metavar="REASON",
    help="Take a page placed by hand out of its return again: --undo 'a blank back' P17.",
)
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes reading pages at once (default: one a core).",
)
@data_option
@by_option
@json_option
def intake(
    files: tuple[str, ...],
    code: str | None,
    number: int | None,
    workbook: str | None,
    module: str | None,
    undo_reason: str | None,
    dry_run: bool,
    workers: int | None,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Take in returned work: scanned PDFs, photos, TIFF scans and answers files.

    Every page is read and sorted: ours (it joins its module's return, ready for
    `cpo mark`), duplicate, foreign, invalid or unreadable, each with its reason.
    Nothing is credited here. A file already taken in is refused by its contents,
    so an intake that was cut short can simply be run again. For an unreadable
    page, type the code printed on it with --code. Exits 1 if any file was refused.

    \b
    Example:
        cpo intake scans/monday.pdf photos/*.jpg answers.json
        cpo intake --code 7QX2-M9K4-PZ3T P17 --number 3
        cpo intake --workbook WT4F3B --module WB3 --number 2 P17
        cpo intake --undo "It was the blank back of page 1" P17
    """
    who = need_actor(actor)
    if workbook is not None or module is not None or undo_reason is not None:
        _correct_page(data, files, code, workbook, module, number, undo_reason, who)
        return
    if code is not None:
        if len(files) != 1:
            raise click.UsageError("with --code, give one page, as listed: e.g. P17")
        _code_page(data, files[0], code, number, who, as_json)
        return
    if number is not None:
        raise click.UsageError("--number goes with --code")
    _take_in([Path(f) for f in files], data, who, dry_run, workers, as_json)


def _take_in(
    paths: list[Path],
    data: Path | None,
    actor: str,
    dry_run: bool,
    workers: int | None,
    as_json: bool,
) -> None:
    from tracker.errors import TrackerError
    from tracker.intake.run import REFUSED, plan_intake, take_in

    outcomes: list[FileOutcome] = []
    with open_from_cli(data) as t:
        plan = plan_intake(t, paths, workers)
        started = time.perf_counter()
        read = 0

        def rate(_: object) -> str:
            seconds = time.perf_counter() - started
            return f"{read / seconds:.1f} pages/s" if seconds and read else ""

        with click.progressbar(
            length=plan.pages,
            label="Reading pages",
            item_show_func=rate,
            file=sys.stderr,
        ) as bar:

            def on_page() -> None:
                nonlocal read
                read += 1
                bar.update(1, read)

            try:
                _stop_on_hangup()
                for outcome in take_in(t, plan, actor, dry_run, workers, on_page):
                    outcomes.append(outcome)
                    if as_json:
                        click.echo(json.dumps(outcome.as_json()))
            except KeyboardInterrupt:
                done = sum(o.status != REFUSED for o in outcomes)
                raise TrackerError(
                    f"stopped after {done} of {len(plan.files)} files; every file reported "
                    "is safely recorded: run the same command again to take in the rest"
                ) from None
        seconds = time.perf_counter() - started
        if not as_json:
            _report(t, outcomes, dry_run)
            if read:
                click.echo(f"Read {read} pages in {seconds:.1f} s ({read / seconds:.1f} pages/s)")
    refused = sum(o.status == REFUSED for o in outcomes)
    if refused:
        raise TrackerError(f"{refused} of {len(outcomes)} files refused (see above)")


def _stop_on_hangup() -> None:
    """SIGTERM and SIGHUP stop the intake as Ctrl-C does: the files reported stay in."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def _report(t: Tracker, outcomes: list[FileOutcome], dry_run: bool) -> None:
    from tracker.intake.run import ALREADY, REFUSED

    for outcome in outcomes:
        if outcome.status in (REFUSED, ALREADY):
            label = "Refused" if outcome.status == REFUSED else "Skipped"
            click.echo(f"{label} {outcome.path}: {outcome.reason}")
            continue
        counts = ", ".join(f"{n} {klass}" for klass, n in outcome.counts.items() if n)
        where = "would be taken in" if dry_run else f"taken in as F{outcome.file_id}"
        click.echo(f"{outcome.path}: {where}; {counts}")
        click.echo(f"  {'Page':<5} {'Class':<11} {'Client':<12} {'Module':<7} {'Of':<6} Detail")
        fresh = {p.return_id for p in outcome.pages if p.new_return and p.return_id}
        for page in outcome.pages:
            click.echo("  " + _row(page, dry_run, fresh))
    _ready(t, outcomes, dry_run)


def _row(page: Sorted, dry_run: bool, fresh: set[int]) -> str:
    from tracker.intake.records import BLANK

    of = f"{page.page_number or '?'}/{page.page_count or '?'}" if page.module else ""
    detail = page.reason
    if page.klass == "ours":
        if dry_run and page.return_id in fresh:  # opened by this dry run, then undone
            detail = "would open a new return" if page.new_return else "would join it"
        else:
            detail = f"{'new return' if page.new_return else 'return'} R{page.return_id}"
            if page.reason:  # a page placed with a note: its number unknown
                detail += f"; {page.reason}"
    elif page.klass == "unreadable" and page.page_id and page.reason != BLANK:
        detail += f"; type its code: cpo intake --code CODE P{page.page_id}"
    who = f"{page.client:<12} {page.module:<7} {of:<6}"
    return f"{page.position:<5} {page.klass:<11} {who} {detail}"


def _ready(t: Tracker, outcomes: list[FileOutcome], dry_run: bool) -> None:
    """The returns these files added to, with any pages still missing: what to mark next."""
    from tracker.accounts import NotPermitted
    from tracker.intake.evidence import return_evidence

    returns = sorted({p.return_id for o in outcomes for p in o.pages if p.return_id})
    if dry_run or not returns:
        return
    click.echo("Ready for cpo mark:")
    for return_id in returns:
        try:
            evidence = return_evidence(t, return_id)
        except NotPermitted:  # taken in here for another office: its staff mark it
            click.echo(f"  R{return_id}: for another office")
            continue
        first = evidence.pages[0] if evidence.pages else None
        pages = len(evidence.pages)
        count = first.page_count if first and first.page_count else None
        have = f"{pages} of {count} pages" if count else f"{pages} pages"
        gap = f"; missing {evidence.missing_text}" if evidence.missing_text else ""
        answers = "; answers file" if evidence.answers else ""
        click.echo(f"  R{return_id}: {have}{gap}{answers}")


def _correct_page(
    data: Path | None,
    files: tuple[str, ...],
    code: str | None,
    workbook: str | None,
    module: str | None,
    number: int | None,
    undo_reason: str | None,
    actor: str,
) -> None:
    """Place a page by its footer, or take a page placed by hand out again."""
    from tracker.intake.corrections import place_by_footer, unplace

    if len(files) != 1 or code is not None:
        raise click.UsageError("give one page, as listed (e.g. P17), and no --code")
    with open_from_cli(data) as t:
        if undo_reason is not None:
            if workbook or module or number:
                raise click.UsageError("--undo goes alone with the page")
            left = unplace(t, files[0], undo_reason, actor)
            kept = f"R{left} keeps its other pages" if left else "its return held nothing else"
            click.echo(f"{files[0].upper()} is unreadable again ({kept})")
            return
        if not (workbook and module and number):
            raise click.UsageError("--workbook needs --module and --number, as the footer says")
        placed = place_by_footer(t, files[0], workbook, module, number, actor)
    click.echo(
        f"P{placed.page_id}: page {number} of {placed.module} for {placed.client} "
        f"(workbook {placed.workbook}), in return R{placed.return_id}"
    )


def _code_page(
    data: Path | None, page: str, code: str, number: int | None, actor: str, as_json: bool
) -> None:
    from tracker.intake.records import code_page

    with open_from_cli(data) as t:
        placed = code_page(t, page, code, actor, number)
    if as_json:
        click.echo(json.dumps(placed.as_json()))
        return
    which = f"page {number} of " if number else ""
    opened = "a new return" if placed.new_return else "return"
    click.echo(
        f"P{placed.page_id}: {which}{placed.module} for {placed.client} "
        f"(workbook {placed.workbook}), in {opened} R{placed.return_id}"
    )


@click.group()
def evidence() -> None:
    """See the page images and answers kept with a return; delete them on time.

    \b
    Example:
        cpo evidence show R17
    """


@evidence.command("show")
@click.argument("return_id", metavar="RETURN|PAGE")
@click.option(
    "--save",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write the page images into this folder, as P<page>.jpg.",
)
@data_option
@json_option
def evidence_show(return_id: str, save: Path | None, data: Path | None, as_json: bool) -> None:
    """List a return's page images (kept in the records) and print its answers, if any.

    A page (P196, as intake listed it) shows that page, whatever it was sorted as.

    \b
    Example:
        cpo evidence show R17 --save pages/
        cpo evidence show P196
    """
    from tracker.intake.evidence import return_evidence
    from tracker.marking import parse_return_id

    if return_id.strip().upper().startswith("P"):
        _show_page(data, return_id, save, as_json)
        return

    with open_from_cli(data) as t:
        kept = return_evidence(t, parse_return_id(return_id))
    if save is not None:
        _save_images(kept.pages, save)
    if as_json:
        pages = [
            {
                "page": f"P{p.page_id}",
                "page_number": p.page_number,
                "page_count": p.page_count,
                "file": p.file_name,
                "position": p.position,
                "image_bytes": len(p.image) if p.image and not p.deleted_at else None,
                "deleted_at": p.deleted_at,
            }
            for p in kept.pages
        ]
        answers = json.loads(kept.answers) if kept.answers else None
        click.echo(json.dumps({"return": f"R{kept.return_id}", "pages": pages, "answers": answers}))
        return
    if not kept.pages and kept.answers is None and not kept.answers_deleted_at:
        click.echo(f"R{kept.return_id}: nothing kept (its code was typed or scanned alone)")
    for p in kept.pages:
        which = f"page {p.page_number or '?'} of {p.page_count or '?'}"
        image = f"deleted {p.deleted_at[:10]}" if p.deleted_at else _image_text(p.image, p.page_id)
        click.echo(f"P{p.page_id:<6} {which:<12} {p.file_name} p{p.position}: {image}")
    if kept.missing_text:
        click.echo(f"Missing: {kept.missing_text}")
    if kept.answers:
        _print_answers(json.loads(kept.answers))
    elif kept.answers_deleted_at:
        click.echo(f"Answers deleted {kept.answers_deleted_at[:10]} (retention)")


def _show_page(data: Path | None, page_ref: str, save: Path | None, as_json: bool) -> None:
    from tracker.intake.corrections import page_evidence
    from tracker.keys import write_private

    with open_from_cli(data) as t:
        page = page_evidence(t, page_ref)
    if save is not None and page.image:
        write_private(save / f"P{page.page_id}.jpg", page.image)
    if as_json:
        shown = {k: v for k, v in asdict(page).items() if k != "image"}
        click.echo(json.dumps(shown | {"image_bytes": len(page.image) if page.image else None}))
        return
    where = f"{page.file_name} p{page.position}"
    which = (
        f"page {page.page_number or '?'} of {page.page_count or '?'} of {page.module} "
        f"(workbook {page.workbook}), in R{page.return_id}"
        if page.return_id
        else page.reason
    )
    image = (
        f"deleted {page.deleted_at[:10]}"
        if page.deleted_at
        else _image_text(page.image, page.page_id)
    )
    click.echo(f"P{page.page_id} ({page.klass}) {where}: {which}; {image}")


def _image_text(image: bytes | None, page_id: int) -> str:
    return f"image P{page_id}.jpg, {len(image) // 1024} KB" if image else "no image"


def _save_images(pages: Sequence[EvidencePage], folder: Path) -> None:
    """Write each kept page image to `folder` as P<page>.jpg (owner-only files)."""
    from tracker.keys import write_private

    for page in pages:
        if page.image and not page.deleted_at:
            write_private(folder / f"P{page.page_id}.jpg", page.image)


def _print_answers(kept: dict[str, object]) -> None:
    module = kept["module"]
    assert isinstance(module, dict)
    click.echo(f"Answers file saved {str(kept['exported'])[:16]}, workbook {kept['workbook']}")
    for activity in module.get("activities", []):
        click.echo(f"  {activity['id']} {activity['title']}: {_answer_text(activity['answer'])}")
    declaration = module.get("declaration", {})
    click.echo(
        f"  Declaration: {'ticked' if declaration.get('statement') else 'not ticked'}, "
        f"name '{declaration.get('name', '')}', date '{declaration.get('date', '')}', "
        f"minutes {declaration.get('minutes')}"
    )


def _answer_text(answer: object) -> str:
    if isinstance(answer, str):
        return answer or "(nothing)"
    if isinstance(answer, list):
        parts = [_answer_text(a) for a in answer]
        return "; ".join(p for p in parts if p != "(nothing)") or "(nothing)"
    if isinstance(answer, dict):
        if "answers" in answer:
            return _answer_text([cell for row in answer["answers"] for cell in row])
        if "value" in answer:
            return f"{answer.get('item') or 'rating'} = {answer['value']}"
    return json.dumps(answer)


@evidence.command("prune")
@click.option(
    "--days",
    type=click.IntRange(0, 36500),
    help="Keep this many days after marking (default: evidence_days in config.json, 180).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@data_option
@by_option
def evidence_prune(days: int | None, dry_run: bool, data: Path | None, actor: str) -> None:
    """Delete page images and answers kept past the retention period.

    A return's pages and answers go that many days after it was marked; a page
    nobody claimed, that many days after it came in. The records of what came in,
    and every credit, stay.

    \b
    Example:
        cpo evidence prune --dry-run
    """
    from tracker.intake.evidence import prune

    with open_from_cli(data) as t:
        pruned = prune(t, need_actor(actor), days, dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {pruned.images} page images and {pruned.answers} answers")


@evidence.command("move-in")
@data_option
def evidence_move_in(data: Path | None) -> None:
    """Move page images kept as files by an older cpo into the records (an admin's job).

    \b
    Example:
        cpo evidence move-in
    """
    from tracker.intake.evidence import move_files_in

    with open_from_cli(data) as t:
        moved = move_files_in(t)
    click.echo(f"Moved {moved} page images from files into the records")
