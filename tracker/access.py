"""Every library entry point, registered with what it does and whose record it takes.

`@entry(action, subject, parameter)` checks, before the function runs, that the acting
account (`Tracker.actor`) may do `action` and serves the office of the record named by
`parameter`; and it records the account's login as whoever did it (the `actor` or
`marker` argument), never free text. A record of another office is refused exactly as
one that does not exist, so a refusal reveals nothing. `ENTRY_POINTS` lists them all, so
the attack tests are generated from it and a new entry point cannot be forgotten.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from tracker.accounts import Action, Actor, NotPermitted, require
from tracker.store import Transaction
from tracker.tracker import Tracker

F = TypeVar("F", bound=Callable[..., Any])


class Subject(StrEnum):
    """The kinds of record an entry point names by id."""

    OFFICE = "office"
    CLIENT = "client"
    ORDER = "order"
    WORKBOOK = "workbook"
    RETURN = "return"
    CREDIT = "credit"


# The office (its code) of a record, by the id an entry point is given.
OFFICE_OF: dict[Subject, str] = {
    Subject.OFFICE: "SELECT code FROM offices WHERE code = ?",
    Subject.CLIENT: "SELECT o.code FROM clients c JOIN offices o ON o.id = c.office_id"
    " WHERE c.reference = ?",
    Subject.WORKBOOK: "SELECT o.code FROM workbooks w JOIN clients c ON c.id = w.client_id"
    " JOIN offices o ON o.id = c.office_id WHERE w.number = ?",
    Subject.RETURN: "SELECT o.code FROM returns r JOIN tokens k ON k.id = r.token_id"
    " JOIN workbooks w ON w.id = k.workbook_id JOIN clients c ON c.id = w.client_id"
    " JOIN offices o ON o.id = c.office_id WHERE r.id = ?",
    Subject.CREDIT: "SELECT o.code FROM credits d JOIN orders r ON r.id = d.order_id"
    " JOIN clients c ON c.id = r.client_id JOIN offices o ON o.id = c.office_id"
    " WHERE d.id = ?",
}
WHO = ("actor", "marker")  # the parameters that record who did it


@dataclass(frozen=True)
class EntryPoint:
    """A library function that reads or writes records, and how it is checked."""

    name: str
    function: Callable[..., Any]
    action: Action
    subject: Subject | None
    parameter: str | None


ENTRY_POINTS: dict[str, EntryPoint] = {}


def entry(
    action: Action, subject: Subject | None = None, parameter: str | None = None
) -> Callable[[F], F]:
    """Register an entry point and check its account and scope on every call."""

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        name = f"{function.__module__}.{function.__qualname__}"

        @wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            t: Tracker = bound.arguments["t"]
            actor = require(t.actor, action)
            if subject is not None and parameter is not None:
                check_scope(t, actor, subject, bound.arguments[parameter])
            for who in WHO:
                if who in bound.arguments:
                    bound.arguments[who] = actor.login
            return function(*bound.args, **bound.kwargs)

        ENTRY_POINTS[name] = EntryPoint(name, checked, action, subject, parameter)
        return checked  # type: ignore[return-value]

    return decorate


def check_scope(t: Tracker, actor: Actor, subject: Subject, value: Any) -> None:
    """Refuse a record outside the actor's offices, saying only that it is not found."""
    if actor.every_office or value is None:
        return
    office = office_of(t, subject, value)
    if office is None or not actor.serves(office):
        raise NotPermitted(subject.value, f"no {subject.value} '{str(value)[:40]}' in your offices")


def check_scope_in(tx: Transaction, actor: Actor, subject: Subject, value: Any) -> None:
    """`check_scope`, read inside an open transaction (a second one cannot start in it)."""
    if actor.every_office or value is None:
        return
    office = office_in(tx, subject, value)
    if office is None or not actor.serves(office):
        raise NotPermitted(subject.value, f"no {subject.value} '{str(value)[:40]}' in your offices")


def office_of(t: Tracker, subject: Subject, value: Any) -> str | None:
    """The office code of the record named `value`, or None if there is none."""
    if subject is Subject.ORDER:  # CLIENT or CLIENT/N: the client's office
        text = str(value).strip()
        head, _, tail = text.rpartition("/")
        value, subject = (head if head and tail.isdigit() else text), Subject.CLIENT
    if subject in (Subject.RETURN, Subject.CREDIT):
        try:
            value = int(value)
        except (TypeError, ValueError):
            return None
    with t.db.read() as tx:
        found = tx.scalar(OFFICE_OF[subject], (value,))
    return None if found is None else str(found)


def office_in(tx: Transaction, subject: Subject, value: Any) -> str | None:
    """The office code of a record, read inside an open transaction."""
    found = tx.scalar(OFFICE_OF[subject], (value,))
    return None if found is None else str(found)


def keeps(t: Tracker, office: str | None) -> bool:
    """Whether a listed record of `office` may be shown to the acting account."""
    return t.actor is not None and (t.actor.every_office or (office or "") in t.actor.offices)


def served_offices(t: Tracker, office: str | None) -> tuple[str | None, frozenset[str] | None]:
    """For a list: the office to filter on, and the offices to keep (None: every office)."""
    actor = t.actor
    assert actor is not None  # entry() has checked it
    if office is not None:
        check_scope(t, actor, Subject.OFFICE, office)
        return office, None
    if actor.every_office:
        return None, None
    if len(actor.offices) == 1:
        return next(iter(actor.offices)), None
    return None, actor.offices


def all_entry_points() -> dict[str, EntryPoint]:
    """Every entry point of the library: each module of `tracker` imported, so each registered."""
    import importlib
    import pkgutil

    import tracker

    for module in pkgutil.walk_packages(tracker.__path__, "tracker."):
        importlib.import_module(module.name)
    return ENTRY_POINTS
