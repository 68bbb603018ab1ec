"""`cpo init`, `cpo office ...`, `cpo client ...`: who is tracked, and where."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cpo.commands.tracking import need_actor, open_from_cli
from cpo.options import (
    REGION_NAMES,
    by_option,
    data_option,
    json_option,
)

address_option = click.option(
    "--address",
    help='Postal address for the letter\'s window, lines split by commas: "1 High St, Ayr".',
)

region_choice = click.option(
    "--region",
    type=click.Choice(REGION_NAMES),
    help="Where the client lives (an England and Wales order needs england or wales).",
)


@click.command()
@data_option
@click.option(
    "--database",
    metavar="URL",
    default="",
    help="A PostgreSQL URL for records shared by several offices (default: SQLite in the folder).",
)
@click.option("--base-url", default="", help="Make QR codes links under this address.")
@click.option(
    "--admin",
    metavar="LOGIN",
    help="The first admin account's login (default: $CPO_USER, or your login name). "
    "Its password is typed, or read from $CPO_ADMIN_PASSWORD.",
)
def init(data: Path | None, database: str, base_url: str, admin: str | None) -> None:
    """Set up the tracker: a data folder, its records and a secret signing key.

    The key signs every check-in code and never goes in the records. Keep a copy of
    the folder's keys/ somewhere safe: without it, printed codes cannot be checked.

    \b
    Example:
        cpo init
        CPO_DATA=/srv/cpo cpo init --database postgresql://cpo@db/cpo
    """
    from cpo.commands.tracking import acting_login, read_secret
    from tracker.accounts import Role, add_staff, check_login, has_staff
    from tracker.config import default_data_dir, initialise
    from tracker.keys import redact_url
    from tracker.tracker import open_tracker

    folder = data or default_data_dir()
    login = check_login(admin or acting_login())
    config, outcome = initialise(folder, database, base_url)
    if outcome == "joined":
        click.echo(f"The records {redact_url(config.database_url)} already hold a tracker:")
        click.echo("  no key was made. To join it, on a machine of that tracker run")
        click.echo("  `cpo keys export FILE`, then here `cpo keys import FILE`.")
        return
    with open_tracker(config) as t:  # creates or migrates the records
        if not has_staff(t):
            password = read_secret("CPO_ADMIN_PASSWORD", f"Password for the admin '{login}'", True)
            add_staff(t, login, Role.ADMIN, [], password)
            click.echo(f"Made the first admin account '{login}'.")
    if outcome == "exists":
        click.echo(f"The tracker in {folder} is already set up; nothing changed.")
        return
    click.echo(f"Set up the tracker in {config.data_dir}")
    click.echo(f"  records:     {redact_url(config.database_url)}")
    click.echo(f"  signing key: {config.data_dir / 'keys'} (owner only: back it up)")


@click.group()
def office() -> None:
    """Offices: the teams that issue workbooks, and their cap settings.

    \b
    Example:
        cpo office add glasgow-north --name "Glasgow North"
    """


@office.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The office's name.")
@click.option("--cap-percent", type=click.IntRange(0, 100), help="Its own cap percentage.")
@click.option("--cap-ceiling", metavar="HOURS", help="Its own cap ceiling, e.g. 30h.")
@data_option
@by_option
def office_add(
    code: str,
    name: str,
    cap_percent: int | None,
    cap_ceiling: str | None,
    data: Path | None,
    actor: str,
) -> None:
    """Add an office. Leave the cap settings out to use the jurisdiction's own.

    \b
    Example:
        cpo office add glasgow-north --name "Glasgow North"
    """
    from tracker.people import add_office
    from tracker.policy import parse_hours

    ceiling = parse_hours(cap_ceiling) if cap_ceiling else None
    with open_from_cli(data) as t:
        added = add_office(t, code, name, need_actor(actor), cap_percent, ceiling)
    click.echo(f"Added office {added.code} ({added.name})")


@office.command("set")
@click.argument("code")
@click.option("--name", help="The office's name.")
@click.option(
    "--return-address",
    help='Where post comes back to, lines split by commas: "PO Box 12, Ayr, KA7 1AA".',
)
@click.option(
    "--batch", "batch_modules", type=int, help="Modules `cpo issue batch` gives each client."
)
@data_option
@by_option
def office_set(
    code: str,
    name: str | None,
    return_address: str | None,
    batch_modules: int | None,
    data: Path | None,
    actor: str,
) -> None:
    """Change an office's name, return address, or how many modules a batch issues.

    \b
    Example:
        cpo office set north --return-address "Learning Team, PO Box 12, Ayr, KA7 1AA"
        cpo office set north --batch 2
    """
    from tracker.people import address_lines, update_office

    with open_from_cli(data) as t:
        changed = update_office(
            t,
            code,
            need_actor(actor),
            name,
            None if return_address is None else address_lines(return_address),
            batch_modules,
        )
    click.echo(f"Updated office {changed.code} ({changed.name})")


@office.command("list")
@data_option
@json_option
def office_list(data: Path | None, as_json: bool) -> None:
    """List the offices.

    \b
    Example:
        cpo office list --json
    """
    from dataclasses import asdict

    from tracker.people import list_offices

    with open_from_cli(data) as t:
        offices = list_offices(t)
    if as_json:
        click.echo(json.dumps([asdict(o) for o in offices], indent=2))
        return
    for o in offices:
        click.echo(f"{o.code:<20} {o.name}")


@click.group()
def client() -> None:
    """Clients: a case reference and a name for printing. Nothing about offences.

    \b
    Example:
        cpo client add C-1042 --name "Alex Smith" --office glasgow-north --case-worker "Ana Lopez"
    """


@client.command("add")
@click.argument("reference")
@click.option("--name", required=True, help="The name printed on the letter.")
@click.option("--office", "office_code", required=True, help="The office's code.")
@click.option("--case-worker", required=True, help="Who the client's case worker is.")
@click.option("--contact", default="", help="The phone number printed for the client to call.")
@click.option("--extra-time", is_flag=True, help="Allow x1.2 the guided time per module.")
@region_choice
@address_option
@data_option
@by_option
def client_add(
    reference: str,
    name: str,
    office_code: str,
    case_worker: str,
    contact: str,
    extra_time: bool,
    region: str | None,
    address: str | None,
    data: Path | None,
    actor: str,
) -> None:
    """Register a client.

    \b
    Example:
        cpo client add C-1042 --name "Alex Smith" --office glasgow-north \\
            --case-worker "Ana Lopez" --contact "0141 000 0000"
        cpo client add E-77 --name "Sam Jones" --office cardiff --case-worker "Pat Lee" \\
            --region wales
    """
    from builder.regions import Region
    from tracker.people import add_client, address_lines

    with open_from_cli(data) as t:
        added = add_client(
            t,
            reference,
            name,
            office_code,
            case_worker,
            need_actor(actor),
            contact,
            extra_time,
            Region(region) if region else None,
            address_lines(address or ""),
        )
    click.echo(f"Added client {added.reference}")


@client.command("set")
@click.argument("reference")
@click.option("--name", help="The corrected name, as printed on letters and the certificate.")
@click.option("--office", "office_code", help="Move the client to this office.")
@address_option
@click.option("--extra-time/--no-extra-time", default=None, help="The x1.2 allowance.")
@click.option("--case-worker", help="A new case worker.")
@click.option("--contact", help="A new phone number to print.")
@region_choice
@data_option
@by_option
def client_set(
    reference: str,
    name: str | None,
    office_code: str | None,
    address: str | None,
    extra_time: bool | None,
    case_worker: str | None,
    contact: str | None,
    region: str | None,
    data: Path | None,
    actor: str,
) -> None:
    """Correct a client's name, office or address, or change their allowance or contact.

    Every change is kept in the audit log. `--address ""` clears the address.

    \b
    Example:
        cpo client set C-1042 --name "Alex Smyth"
        cpo client set C-1042 --address "12 High Street, Glasgow, G1 1AA"
        cpo client set E-77 --region england --office cardiff
    """
    from builder.regions import Region
    from tracker.people import address_lines, update_client

    with open_from_cli(data) as t:
        update_client(
            t,
            reference,
            need_actor(actor),
            extra_time,
            case_worker,
            contact,
            Region(region) if region else None,
            name=name,
            office=office_code,
            address=None if address is None else address_lines(address),
        )
    click.echo(f"Updated client {reference}")


@client.command("list")
@click.option("--office", "office_code", help="Only this office's clients.")
@data_option
@json_option
def client_list(office_code: str | None, data: Path | None, as_json: bool) -> None:
    """List clients.

    \b
    Example:
        cpo client list --office glasgow-north
    """
    from dataclasses import asdict

    from tracker.people import list_clients

    with open_from_cli(data) as t:
        clients = list_clients(t, office_code)
    if as_json:
        # A list may be passed on: postal addresses stay out of it (see `client show`).
        listed = [{k: v for k, v in asdict(c).items() if k != "address"} for c in clients]
        click.echo(json.dumps(listed, indent=2))
        return
    for c in clients:
        click.echo(f"{c.reference:<14} {c.office:<16} {c.case_worker}")


@client.command("show")
@click.argument("reference")
@data_option
@json_option
def client_show(reference: str, data: Path | None, as_json: bool) -> None:
    """Show a client and their orders.

    \b
    Example:
        cpo client show C-1042
    """
    from dataclasses import asdict

    from tracker.people import client_with_orders
    from tracker.policy import hours

    with open_from_cli(data) as t:
        found, orders = client_with_orders(t, reference)
    if as_json:
        click.echo(json.dumps({**asdict(found), "orders": orders}, indent=2))
        return
    from tracker.validate import show  # a name stored before it was checked prints safely

    click.echo(f"{found.reference}: {show(found.name)}")
    click.echo(
        f"  office: {found.office}   case worker: {show(found.case_worker)} "
        f"{show(found.case_worker_contact)}"
    )
    click.echo(f"  extra time: {'yes (x1.2)' if found.extra_time else 'no'}")
    click.echo(f"  region: {found.region.label if found.region else 'not recorded'}")
    click.echo(f"  address: {show(', '.join(found.address)) or 'not recorded'}")
    for o in orders:
        click.echo(
            f"  order {found.reference}/{o['number']}: {o['jurisdiction']}, "
            f"{hours(o['ordered_minutes'])}, made {o['made_on']}, deadline {o['deadline']}"
        )
