"""Each account's home page: what needs doing, by role.

A case worker (and an admin) sees their offices' orders that carry a flag of the weekly
report: allowance nearly used, deadline near, nothing back for weeks, sent back. A
facilitator sees how many returns wait, how many lack pages, and how many pages could
not be read, each linking to the facilitator's pages (`FACILITATOR_LINKS`) where the
app has them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, url_for
from werkzeug.routing import BuildError

from cpo.web.auth import tracker
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action, Actor
from tracker.dashboard import IntakeCounts, flagged_orders, intake_counts, offices_served
from tracker.reports import ReportLine

blueprint = Blueprint("home", __name__)
NAV = [NavLink("Home", "home.index")]
# Where the facilitator's counts lead: the marking list and the intake's unreadable pages.
SHOWN_AT_MOST = 50  # flagged orders listed on a home page; the weekly report has them all
FACILITATOR_LINKS = {"waiting": "marking.index", "unreadable": "intake.unreadable"}


@dataclass(frozen=True)
class Flagged:
    """An order on the case worker's home page, with why it is there."""

    line: ReportLine
    flags: tuple[str, ...]


def flagged(actor: Actor) -> list[tuple[str, str | None, list[Flagged], int, bool]]:
    """Each office's name, code, first orders with a flag (or work sent back), count, freshness.

    Not waiting for the weekly report made again after each change: the orders picked
    last are shown, said to be so, while it is made (`tracker.kept`).
    """
    t = tracker()
    names = {o.code: o.name for o in offices_served(t)}
    offices: list[str | None] = [None] if actor.every_office else [*sorted(actor.offices)]
    shown = []
    for office in offices:
        found = flagged_orders(t, office, SHOWN_AT_MOST, wait=False)
        rows = [Flagged(line, _why(line)) for line in found.lines]
        name = names.get(office or "", "all offices")
        shown.append((name, office, rows, found.count, found.fresh))
    return shown


def _why(line: ReportLine) -> tuple[str, ...]:
    """The flags of an order's line, and its work sent back, in words."""
    flags = [f for f in line.flags.split("; ") if f]
    if line.sent_back:
        flags.append(f"{line.sent_back} sent back")
    return tuple(flags)


def link(endpoint: str) -> str | None:
    """The address of a view, if this app has it."""
    try:
        return url_for(endpoint)
    except BuildError:
        return None


@blueprint.get("/")
@needs(None)
def index() -> str:
    """The signed-in account's home page."""
    from flask_login import current_user

    actor: Actor = current_user.actor
    cases = flagged(actor) if actor.may(Action.READ_RECORDS) else []
    counts: IntakeCounts | None = (
        intake_counts(tracker(), wait=False) if actor.may(Action.MARK) else None
    )
    links = {name: link(endpoint) for name, endpoint in FACILITATOR_LINKS.items()}
    current_app.logger.debug("home for a %s", actor.role.value)  # never a name or reference
    return render_template("home/index.html", cases=cases, counts=counts, links=links)
