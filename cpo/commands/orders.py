"""`cpo order ...`: the hours a court made, the deadline, and dated adjustments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import (
    _default_actor,
    by_option,
    data_option,
    date_type,
    json_option,
)


@click.group()
def order() -> None:
    """Orders: the hours made, the deadline, and dated adjustments.

    \b
    Example:
        cpo order show C-1042/1
    """


@order.command("add")
@click.argument("client_reference", metavar="CLIENT")
@click.option("--jurisdiction", type=click.Choice(["scotland", "england-wales"]), required=True)
@click.option(
    "--hours", "hours_text", required=True, help="Hours ordered: 100 (hours), 45h30 or 45:30."
)
@click.option("--made", type=date_type, required=True, help="The date the order was made.")
@click.option("--deadline", type=date_type, required=True, help="As entered; never worked out.")
@data_option
@by_option
def order_add(
    client_reference: str,
    jurisdiction: str,
    hours_text: str,
    made: datetime,
    deadline: datetime,
    data: Path | None,
    actor: str,
) -> None:
    """Record an order for a client.

    \b
    Example:
        cpo order add C-1042 --jurisdiction scotland --hours 100 \\
            --made 2026-11-02 --deadline 2027-05-01
    """
    from tracker.orders import add_order
    from tracker.policy import parse_hours

    minutes = parse_hours(hours_text)
    with open_from_cli(data) as t:
        added = add_order(
            t,
            client_reference,
            jurisdiction,
            minutes,
            made.date(),
            deadline.date(),
            need_actor(actor),
        )
    click.echo(f"Added order {added.reference}")


@order.command("show")
@click.argument("reference", metavar="ORDER")
@data_option
@json_option
def order_show(reference: str, data: Path | None, as_json: bool) -> None:
    """Show an order, its adjustments and its hours.

    ORDER is CLIENT/N, or CLIENT when the client has one order.

    \b
    Example:
        cpo order show C-1042/1
    """
    from cpo.commands.work import print_statement

    print_statement(data, reference, as_json)


@order.command("adjust")
@click.argument("reference", metavar="ORDER")
@click.option("--reduce-hours", metavar="HOURS", help="Take hours off the order.")
@click.option("--add-hours", metavar="HOURS", help="Add hours (to correct a mistake).")
@click.option("--deadline", type=date_type, help="A later deadline.")
@click.option("--reason", required=True, help="Why: kept with the adjustment.")
@click.option("--on", "effective", type=date_type, help="When it takes effect (default: today).")
@data_option
@by_option
def order_adjust(
    reference: str,
    reduce_hours: str | None,
    add_hours: str | None,
    deadline: datetime | None,
    reason: str,
    effective: datetime | None,
    data: Path | None,
    actor: str,
) -> None:
    """Adjust an order with a dated entry: fewer hours, or a later deadline.

    \b
    Example:
        cpo order adjust C-1042/1 --deadline 2027-08-01 --reason "Extended by the sheriff"
    """
    from tracker.orders import adjust_order
    from tracker.policy import hours, parse_hours

    change = -parse_hours(reduce_hours) if reduce_hours else 0
    change += parse_hours(add_hours) if add_hours else 0
    with open_from_cli(data) as t:
        on = effective.date() if effective else t.today()
        adjusted = adjust_order(
            t,
            reference,
            need_actor(actor),
            reason,
            on,
            change,
            deadline.date() if deadline else None,
        )
    click.echo(
        f"Adjusted {adjusted.reference}: {hours(adjusted.minutes)}, deadline {adjusted.deadline}"
    )
    if change > 0:
        from tracker.marking import completed_without_credit

        with open_from_cli(data) as t:
            waiting = completed_without_credit(t, adjusted.reference)
        if waiting:
            click.echo(
                f"{len(waiting)} module(s) completed without credit can be credited now: "
                f"run `cpo credit pending {adjusted.reference}`"
            )


@order.command("agree")
@click.argument("reference", metavar="ORDER")
@click.option("--by", "agreed_by", required=True, help="The probation practitioner who agreed.")
@click.option("--date", "agreed_on", type=date_type, help="When they agreed (default: today).")
@data_option
def order_agree(
    reference: str, agreed_by: str, agreed_on: datetime | None, data: Path | None
) -> None:
    """Record that the probation practitioner agreed ETE work counts on this order.

    England and Wales only: until it is recorded, no ETE module is credited on the
    order. It is recorded once, with who agreed and when, in the audit log under your
    name ($CPO_USER, or your login name).

    \b
    Example:
        cpo order agree E-77/1 --by "Pat Lee" --date 2026-11-20
    """
    from tracker.ete import agree

    with open_from_cli(data) as t:
        done = agree(
            t,
            reference,
            agreed_by,
            need_actor(_default_actor()),
            agreed_on.date() if agreed_on else None,
        )
    click.echo(f"Recorded: {done.agreed_by} agreed ETE work on {done.order} on {done.agreed_on}")
