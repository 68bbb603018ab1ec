"""Staff accounts and roles: who may do what, for which offices.

Roles are a closed list (`Role`), and what each may do is one table (`PERMISSIONS`);
the command line's choices, the checks and the README's table all come from these.
Passwords are hashed with argon2id (argon2-cffi). An account is disabled, never
deleted, so every record that names it keeps meaning something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.errors import TrackerError
from tracker.store import Transaction
from tracker.tracker import Tracker

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
SHORTEST_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id with the library's recommended costs


class Role(StrEnum):
    """What a member of staff is there to do."""

    ADMIN = "admin"
    CASEWORKER = "caseworker"
    FACILITATOR = "facilitator"


class Action(StrEnum):
    """Everything the library lets an account do, each checked against `PERMISSIONS`."""

    MANAGE_CLIENTS = "manage clients and orders"
    ISSUE = "issue and revoke workbooks"
    READ_RECORDS = "read clients, statements and reports"
    TAKE_IN = "take in returns (check-ins, scans, answers files)"
    MARK = "mark returns and see their evidence"
    PRUNE = "delete evidence past retention"
    CORRECT_LEDGER = "reverse a credit"
    MANAGE_OFFICES = "manage offices and policy"
    MANAGE_STAFF = "manage staff accounts"
    MANAGE_KEYS = "export, import and rotate keys; back up and restore"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.CASEWORKER: frozenset({Action.MANAGE_CLIENTS, Action.ISSUE, Action.READ_RECORDS}),
    Role.FACILITATOR: frozenset({Action.TAKE_IN, Action.MARK, Action.PRUNE}),
}


@dataclass(frozen=True)
class Actor:
    """The account doing something: its login, role and the offices it serves."""

    login: str
    role: Role
    offices: frozenset[str]  # office codes; an admin acts for every office

    @property
    def every_office(self) -> bool:
        return self.role is Role.ADMIN

    def may(self, action: Action) -> bool:
        return action in PERMISSIONS[self.role]

    def serves(self, office: str) -> bool:
        return self.every_office or office in self.offices


@dataclass(frozen=True)
class Account:
    """A staff account as listed: never its password."""

    login: str
    role: Role
    offices: tuple[str, ...]
    enabled: bool


class NotPermitted(TrackerError):
    """An account may not do this, or the record is not one of its offices' (said as not found)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


class AccountError(TrackerError):
    """A staff account that cannot be made or changed as asked: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def require(actor: Actor | None, action: Action) -> Actor:
    """The actor, if it may do `action`; NotPermitted otherwise."""
    if actor is None:
        raise NotPermitted("account", "no staff account is acting: sign in first")
    if not actor.may(action):
        raise NotPermitted("role", f"a {actor.role.value} may not {action.value}")
    return actor


def check_login(login: str) -> str:
    """A login as stored; AccountError if it is not one."""
    if not LOGIN.fullmatch(login or ""):
        raise AccountError(
            "login", f"'{login[:40]}' must be 1-40 lower-case letters, digits, '.', '_' or '-'"
        )
    return login


def hash_password(password: str) -> str:
    """The argon2id hash to keep for `password`; AccountError if it is too short."""
    if len(password) < SHORTEST_PASSWORD:
        raise AccountError("password", f"must be at least {SHORTEST_PASSWORD} characters")
    return _HASHER.hash(password)


def add_staff(t: Tracker, login: str, role: Role, offices: list[str], password: str) -> Account:
    """Add a staff account (an admin's job, or the first admin at `cpo init`)."""
    first = not has_staff(t)
    if not first:
        require(t.actor, Action.MANAGE_STAFF)
    elif role is not Role.ADMIN:
        raise AccountError("role", "the first account is an admin, who then adds the others")
    login, password_hash = check_login(login), hash_password(password)
    offices = list(dict.fromkeys(offices))  # an office named twice is served once
    if role is not Role.ADMIN and not offices:
        raise AccountError("office", f"a {role.value} serves at least one office: give --office")
    with t.db.write() as tx:
        if tx.one("SELECT id FROM staff WHERE login = ?", (login,)):
            raise AccountError("login", f"there is already an account '{login}'")
        office_ids = [_office_id(tx, code) for code in offices]
        staff_id = tx.insert(
            "INSERT INTO staff (login, role, password_hash, enabled, created_at)"
            " VALUES (?, ?, ?, 1, ?)",
            (login, role.value, password_hash, t.now()),
        )
        for office_id in office_ids:
            tx.execute(
                "INSERT INTO staff_offices (staff_id, office_id) VALUES (?, ?)",
                (staff_id, office_id),
            )
        by = login if first else t.actor.login if t.actor else login
        t.audit(tx, by, "staff.add", login, role=role.value, offices=sorted(offices))
    return Account(login, role, tuple(sorted(offices)), True)


def set_enabled(t: Tracker, login: str, enabled: bool) -> None:
    """Disable (or enable again) an account; it is never deleted."""
    actor = require(t.actor, Action.MANAGE_STAFF)
    if not enabled and login == actor.login:
        raise AccountError("login", "you cannot disable your own account")
    with t.db.write() as tx:
        if not tx.execute("UPDATE staff SET enabled = ? WHERE login = ?", (int(enabled), login)):
            raise AccountError("login", f"no account '{login}'")
        t.audit(tx, actor.login, "staff.enable" if enabled else "staff.disable", login)


def set_password(t: Tracker, login: str, password: str) -> None:
    """Change a password: your own, or anyone's as an admin."""
    if t.actor is None or t.actor.login != login:
        require(t.actor, Action.MANAGE_STAFF)
    password_hash = hash_password(password)
    with t.db.write() as tx:
        if not tx.execute(
            "UPDATE staff SET password_hash = ? WHERE login = ?", (password_hash, login)
        ):
            raise AccountError("login", f"no account '{login}'")
        t.audit(tx, t.actor.login if t.actor else login, "staff.password", login)


def list_staff(t: Tracker) -> list[Account]:
    """Every account, enabled or not (an admin's view)."""
    require(t.actor, Action.MANAGE_STAFF)
    with t.db.read() as tx:
        rows = tx.all("SELECT id, login, role, enabled FROM staff ORDER BY login")
        return [
            Account(
                r["login"],
                Role(r["role"]),
                tuple(sorted(_offices_of(tx, r["id"]))),
                bool(r["enabled"]),
            )
            for r in rows
        ]


def has_staff(t: Tracker) -> bool:
    """Whether any account exists yet (the first one made is the bootstrap admin)."""
    with t.db.read() as tx:
        return bool(tx.scalar("SELECT COUNT(*) FROM staff"))


def actor_for(t: Tracker, login: str) -> Actor:
    """The enabled account `login` as an Actor; NotPermitted if there is none."""
    with t.db.read() as tx:
        row = tx.one("SELECT id, login, role, enabled FROM staff WHERE login = ?", (login,))
        if row is None or not row["enabled"]:
            raise NotPermitted(
                "account",
                f"'{login[:40]}' is not an enabled staff account here: set CPO_USER to your "
                "login (an admin adds accounts with `cpo staff add`)",
            )
        return Actor(row["login"], Role(row["role"]), frozenset(_offices_of(tx, row["id"])))


def sign_in(t: Tracker, login: str, password: str) -> Actor:
    """The account, if `password` is its password; one same refusal for every failure."""
    refused = NotPermitted("sign-in", "the login or password is wrong, or the account is disabled")
    with t.db.read() as tx:
        row = tx.one("SELECT password_hash, enabled FROM staff WHERE login = ?", (login,))
    if row is None:
        _HASHER.hash(password or "x")  # take as long as a real check: say nothing by timing
        raise refused
    try:
        _HASHER.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    if not row["enabled"]:
        raise refused
    return actor_for(t, login)


def _office_id(tx: Transaction, code: str) -> int:
    found = tx.scalar("SELECT id FROM offices WHERE code = ?", (code,))
    if found is None:
        raise AccountError("office", f"no office '{code}': add it first with `cpo office add`")
    return int(found)


def _offices_of(tx: Transaction, staff_id: int) -> list[str]:
    return [
        r["code"]
        for r in tx.all(
            "SELECT o.code FROM staff_offices s JOIN offices o ON o.id = s.office_id "
            "WHERE s.staff_id = ?",
            (staff_id,),
        )
    ]


def act_as_first_admin(t: Tracker, login: str, password: str) -> Actor:
    """Make the first admin if there is no account yet, and act as `login` (scripts, demos)."""
    if not has_staff(t):
        add_staff(t, login, Role.ADMIN, [], password)
    t.actor = actor_for(t, login)
    return t.actor
