"""Opening the tracker from the command line, shared by the tracker's commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.tracker import Tracker


def open_from_cli(data: Path | None) -> Tracker:
    """The tracker in `data` (or the default folder), with its records migrated."""
    from tracker.config import load
    from tracker.tracker import open_tracker

    return open_tracker(load(data), login=acting_login())


def acting_login() -> str:
    """The account the command line acts as: $CPO_USER, or your login name."""
    import getpass
    import os

    try:
        return os.environ.get("CPO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return ""


def read_secret(env: str, prompt: str, confirm: bool = False) -> str:
    """A password or passphrase: from $ENV (for scripts), or typed, never echoed."""
    import os

    import click

    if os.environ.get(env):
        return os.environ[env]
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def need_actor(actor: str) -> str:
    from tracker.errors import TrackerError
    from tracker.validate import check_text

    if not actor.strip():
        raise TrackerError("say who you are with --by NAME (or set CPO_USER)")
    actor = check_text(actor, "--by (or CPO_USER)", 100)
    if actor != acting_login():  # records name the account acting, never other text
        raise TrackerError(
            f"--by names '{actor[:40]}', but you act as '{acting_login()[:40]}': records name "
            "the account acting, so set CPO_USER to your login and leave out --by"
        )
    return actor
