"""`cpo staff ...`, `cpo keys ...`, `cpo backup`, `cpo restore`: one tracker for a service."""

from __future__ import annotations

from pathlib import Path

import click

from cpo.commands.tracking import open_from_cli, read_secret
from cpo.options import data_option
from tracker.accounts import PERMISSIONS, Role

ROLE_NAMES = tuple(role.value for role in Role)  # from the closed list, defined once
PASSPHRASE_ENV = "CPO_PASSPHRASE"


def _roles_help() -> str:
    return "; ".join(
        f"{role.value}: " + ", ".join(sorted(a.value for a in PERMISSIONS[role])) for role in Role
    )


@click.group()
def staff() -> None:
    """Staff accounts: who may do what, for which offices (an admin's job).

    \b
    Example:
        cpo staff add ana --role caseworker --office glasgow-north
    """


@staff.command(
    "add",
    help=f"Add a staff account. Roles: {_roles_help()}.\n\n"
    "The password is typed twice (or read from $CPO_NEW_PASSWORD).\n\n"
    "\b\nExample:\n    cpo staff add ana --role caseworker --office glasgow-north",
)
@click.argument("login")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True, help="What they do.")
@click.option("--office", "offices", multiple=True, help="An office they serve (repeat).")
@data_option
def staff_add(login: str, role: str, offices: tuple[str, ...], data: Path | None) -> None:
    """Add a staff account; its password is typed (or read from $CPO_NEW_PASSWORD)."""
    from tracker.accounts import add_staff

    with open_from_cli(data) as t:
        password = read_secret("CPO_NEW_PASSWORD", f"Password for '{login}'", confirm=True)
        account = add_staff(t, login, Role(role), list(offices), password)
    where = ", ".join(account.offices) or "every office"
    click.echo(f"Added {account.role.value} '{account.login}' for {where}")


@staff.command("disable")
@click.argument("login")
@data_option
def staff_disable(login: str, data: Path | None) -> None:
    """Disable an account: it can no longer act; its records keep its name.

    \b
    Example:
        cpo staff disable ana
    """
    from tracker.accounts import set_enabled

    with open_from_cli(data) as t:
        set_enabled(t, login, enabled=False)
    click.echo(f"Disabled '{login}'")


@staff.command("enable")
@click.argument("login")
@data_option
def staff_enable(login: str, data: Path | None) -> None:
    """Enable a disabled account again.

    \b
    Example:
        cpo staff enable ana
    """
    from tracker.accounts import set_enabled

    with open_from_cli(data) as t:
        set_enabled(t, login, enabled=True)
    click.echo(f"Enabled '{login}'")


@staff.command("list")
@data_option
def staff_list(data: Path | None) -> None:
    """List every account, its role and offices.

    \b
    Example:
        cpo staff list
    """
    from tracker.accounts import list_staff

    with open_from_cli(data) as t:
        accounts = list_staff(t)
    for a in accounts:
        state = "" if a.enabled else " (disabled)"
        click.echo(
            f"{a.login:<20} {a.role.value:<12} {', '.join(a.offices) or 'every office'}{state}"
        )


@click.group()
def keys() -> None:
    """The tracker's keys: export them for another machine, import them, rotate them.

    \b
    Example:
        cpo keys export keyring.cpo
    """


@keys.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@data_option
def keys_export(file: Path, data: Path | None) -> None:
    """Write the keyring to FILE, encrypted with a passphrase (typed, or $CPO_PASSPHRASE).

    \b
    Example:
        cpo keys export keyring.cpo
    """
    from tracker.accounts import Action, require
    from tracker.keys import export_keyring

    with open_from_cli(data) as t:
        require(t.actor, Action.MANAGE_KEYS)
        passphrase = read_secret(PASSPHRASE_ENV, "Passphrase for the keyring", confirm=True)
        ids = export_keyring(t.config.data_dir / "keys", file, passphrase)
    click.echo(f"Wrote keys {', '.join(ids)} to {file}, encrypted: keep the passphrase apart")


@keys.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_option
def keys_import(file: Path, data: Path | None) -> None:
    """Add the keys in FILE (from `cpo keys export`) to this data folder, to join a tracker.

    \b
    Example:
        cpo keys import keyring.cpo
    """
    from tracker.config import load
    from tracker.keys import import_keyring

    config = load(data)  # no account yet: a joining folder cannot open the records
    passphrase = read_secret(PASSPHRASE_ENV, "Passphrase of the keyring")
    added = import_keyring(config.data_dir / "keys", file, passphrase)
    click.echo(f"Imported keys {', '.join(added) or '(none new)'} into {config.data_dir / 'keys'}")


@keys.command("rotate")
@data_option
def keys_rotate(data: Path | None) -> None:
    """Sign new codes with a new key; every code already issued still checks in.

    Export the keyring again afterwards and import it on every machine of the tracker.

    \b
    Example:
        cpo keys rotate
    """
    from tracker.keys import rotate

    with open_from_cli(data) as t:
        key_id = rotate(t)
    click.echo(f"New codes are signed with {key_id}: export the keyring to the other machines")


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@data_option
def backup(file: Path, data: Path | None) -> None:
    """Write one archive of the records, the keys (encrypted) and the evidence.

    The passphrase is typed, or read from $CPO_PASSPHRASE.

    \b
    Example:
        cpo backup /mnt/backups/cpo-2026-11-28.tar
    """
    from tracker.accounts import Action, require
    from tracker.backup import backup as make_backup

    with open_from_cli(data) as t:
        require(t.actor, Action.MANAGE_KEYS)
        passphrase = read_secret(PASSPHRASE_ENV, "Passphrase for the keys", confirm=True)
        made = make_backup(t, file, passphrase)
    click.echo(f"Backed up the {made.engine} records (schema {made.schema}) and keys to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_option
@click.option("--database", metavar="URL", default="", help="An empty PostgreSQL database.")
def restore(file: Path, data: Path | None, database: str) -> None:
    """Bring a tracker back from FILE into an empty data folder (and empty database).

    \b
    Example:
        CPO_DATA=/srv/cpo cpo restore /mnt/backups/cpo-2026-11-28.tar
    """
    from tracker.backup import restore as bring_back
    from tracker.config import default_data_dir

    passphrase = read_secret(PASSPHRASE_ENV, "Passphrase of the backup's keys")
    config = bring_back(file, data or default_data_dir(), database, passphrase)
    click.echo(f"Restored the tracker into {config.data_dir}: check it with `cpo audit verify`")
