"""Mark a return: see its pages and answers, then accept, send back or refuse it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import by_option, data_option, json_option

if TYPE_CHECKING:
    from builder.course import Module
    from tracker.marking import Pending
    from tracker.marking_help import Prefill
    from tracker.tracker import Tracker


@click.command()
@click.argument("return_id", metavar="RETURN", required=False)
@click.option("--accept", "decision", flag_value="accept", help="Accept and credit the module.")
@click.option("--send-back", "decision", flag_value="send-back", help="Send back with feedback.")
@click.option("--refuse", "decision", flag_value="refuse", help="Refuse, with a reason.")
@click.option(
    "--tried",
    default="",
    metavar="IDS",
    help="Activities tried, e.g. WB1-1,WB1-2; 'all'; or 'answered' (as the answers file says).",
)
@click.option(
    "--minutes",
    "declared",
    metavar="TIME",
    help="Time the client declared: 110 (minutes), 110m, 1h50, 1:50 or 2h "
    "(default: the answers file's).",
)
@click.option("--feedback", default="", help="For the client, when sending back.")
@click.option("--reason", default="", help="Why, when refusing (or accepting with pages missing).")
@click.option(
    "--pages-missing-ok", is_flag=True, help="Accept though pages did not come in (give --reason)."
)
@click.option(
    "--letters",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output/letters"),
    show_default=True,
    help="Where a send-back letter is written.",
)
@data_option
@by_option
@json_option
def mark(
    return_id: str | None,
    decision: str | None,
    tried: str,
    declared: str | None,
    feedback: str,
    reason: str,
    pages_missing_ok: bool,
    letters: Path,
    data: Path | None,
    actor: str,
    as_json: bool,
) -> None:
    """Mark a returned module: which activities were tried, and the decision.

    Accepting credits the module: the time declared, up to its guided time (x1.2
    with extra time) and what is left of the cap and the order. With no RETURN,
    lists the returns waiting. Without a decision flag, asks each question in turn.
    A bare number of minutes is minutes: --minutes 90 is 1 h 30 min. Accepting a
    return with pages missing needs --pages-missing-ok and a --reason, kept.

    \b
    Example:
        cpo mark R17 --accept --tried all --minutes 1h50
        cpo mark R19 --accept --tried all --minutes 90 --pages-missing-ok \\
            --reason "Pages 4-6 lost in the post; seen on the client's phone"
        cpo mark R18 --send-back --tried WB2-1 --feedback "Please try activity 3"
    """
    from tracker.marking import mark as record_mark
    from tracker.marking import parse_return_id, pending
    from tracker.marking_help import prefill
    from tracker.policy import hours, parse_minutes

    with open_from_cli(data) as t:
        if return_id is None:
            waiting = pending(t)
            if as_json:
                click.echo(
                    json.dumps(
                        [
                            {
                                "return": p.return_id,
                                "client": p.client,
                                "workbook": p.workbook,
                                "module": p.module_id,
                                "received_at": p.received_at,
                                "pages": p.pages.received if p.pages else 0,
                                "page_count": p.pages.count if p.pages else None,
                                "missing": p.pages.missing if p.pages else "",
                                "answers_file": bool(p.pages and p.pages.answers),
                            }
                            for p in waiting
                        ]
                    )
                )
            for p in waiting if not as_json else []:
                click.echo(
                    f"R{p.return_id:<6} {p.client:<14} {p.module_id:<5} "
                    f"received {p.received_at[:10]} ({p.arrived_by})  {_pages_text(p)}"
                )
            if not waiting and not as_json:
                click.echo("Nothing is waiting to be marked.")
            return
        number = parse_return_id(return_id)
        module = _module_of(t, number)
        given = prefill(t, number)
        if decision is None:
            missing = _show_evidence(t, number)
            decision, tried, declared, feedback, reason = _ask(module, missing, given)
            pages_missing_ok = bool(missing)
        ids = {a.id for a in module.activities}
        chosen = (
            ids
            if tried.strip().lower() == "all"
            else set(given.tried)
            if tried.strip().lower() == "answered"
            else {x.strip().upper() for x in tried.split(",") if x.strip()}
        )
        minutes = parse_minutes(declared, "--minutes") if declared else None
        if minutes is None and decision == "accept" and given.declared_minutes is not None:
            minutes = given.declared_minutes
            click.echo(f"Time declared in the answers file: {hours(minutes)}")
        marked = record_mark(
            t,
            number,
            decision,
            need_actor(actor),
            {a: a in chosen for a in chosen | ids},
            minutes,
            feedback,
            reason,
            pages_missing_ok,
        )
        letter = None
        if marked.decision == "send-back":  # recorded; the letter is written after
            from tracker.workbooks import send_back_letter

            letter = send_back_letter(t, number, letters)
    if as_json:
        click.echo(json.dumps(marked.as_json() | ({"letter": str(letter)} if letter else {})))
        return
    click.echo(f"R{marked.return_id} {marked.module_id} ({marked.client}): {marked.decision}")
    if letter is not None:
        click.echo(f"Wrote {letter}: post it with the module's pages")
    if marked.decision == "accept" and not marked.credited:
        click.echo(
            f"  completed without credit ({marked.note}): when the order has hours "
            f"again, `cpo credit pending {marked.order}` credits it"
        )
    elif marked.decision == "accept":
        click.echo(
            f"  credited {hours(marked.credited)}" + (f" ({marked.note})" if marked.note else "")
        )


def _time_or_ask_again(text: str) -> str:
    """The time as typed, if it reads as a time; click asks again if not."""
    from tracker.policy import TimeFormatError, parse_minutes

    try:
        parse_minutes(text, "the time")
    except TimeFormatError as err:
        raise click.BadParameter(str(err)) from None
    return text


def _show_evidence(t: Tracker, number: int) -> str:
    """What came in for this return, so the marker knows what to look at; pages missing."""
    from tracker.intake.evidence import return_evidence

    kept = return_evidence(t, number)
    if kept.pages:
        gap = f" (missing {kept.missing_text})" if kept.missing_text else ""
        click.echo(f"{len(kept.pages)} pages received{gap}: see `cpo evidence show R{number}`")
        if gap:
            click.echo("  To accept it anyway you will be asked why.")
    if kept.answers:
        click.echo(f"Answers file received: see `cpo evidence show R{number}`")
    return kept.missing_text


def _module_of(t: Tracker, number: int) -> Module:
    from tracker.marking import module_of_return

    return t.course.module(module_of_return(t, number))


def _pages_text(p: Pending) -> str:
    """A return's pages for the list: '9 of 11 pages, missing pages 4-5', 'answers file'."""
    if p.pages is None:
        return ""
    if p.pages.answers and not p.pages.received:
        return "answers file"
    of = f" of {p.pages.count}" if p.pages.count else ""
    gap = f", missing {p.pages.missing}" if p.pages.missing else ""
    return f"{p.pages.received}{of} pages{gap}" if p.pages.received else "typed code"


def _ask(module: Module, missing: str, given: Prefill) -> tuple[str, str, str | None, str, str]:
    """Ask the marker each question in turn; a mistyped answer is asked again, not lost."""
    from tracker.policy import hours

    click.echo(f"Marking {module.id}: {module.title}")
    if given.from_answers:
        click.echo("  From the answers file (press Enter to keep what it says):")
    tried = [
        a.id
        for a in module.activities
        if click.confirm(
            f"  {a.id} {a.title}{' (required)' if a.required else ''}: tried?",
            default=a.id in given.tried if given.from_answers else True,
        )
    ]
    decision = click.prompt("Decision", type=click.Choice(["accept", "send-back", "refuse"]))
    declared = feedback = reason = ""
    if decision == "accept":
        from_file = given.declared_minutes
        declared = click.prompt(
            "Time the client declared (e.g. 110, 1h50 or 1:50)",
            default=hours(from_file).replace(" ", "") if from_file is not None else None,
            value_proc=_time_or_ask_again,
        )
        if missing:
            reason = click.prompt(f"Why accept it with {missing} missing")
    elif decision == "send-back":
        feedback = click.prompt("Feedback for the client")
    else:
        reason = click.prompt("Reason for refusing")
    return decision, ",".join(tried), declared or None, feedback, reason
