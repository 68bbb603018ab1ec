"""One tracker for a whole service: accounts and roles, scoping, one keyring, backups."""

from __future__ import annotations

import inspect
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import names
from tests.tracker.conftest import (
    ADMIN_PASSWORD,
    database_named,
    make_order,
    planner_knows_columns,
    shipped_course,
    staff_account,
)
from tracker import keys
from tracker.access import ENTRY_POINTS, EntryPoint, Subject, all_entry_points
from tracker.accounts import (
    PERMISSIONS,
    AccountError,
    NotPermitted,
    Role,
    actor_for,
    add_staff,
    set_enabled,
    sign_in,
)
from tracker.audit import verify
from tracker.backup import backup as make_backup
from tracker.backup import restore
from tracker.checkins import checkin_one
from tracker.config import initialise, load
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.marking import mark
from tracker.people import add_office
from tracker.tracker import Tracker, open_tracker

PASSPHRASE = "a long backup passphrase"


def dump(t: Tracker) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, the audit log and the evidence included."""
    with t.db.read() as tx:
        names = [
            r["name"]
            for r in tx.all(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                if t.db.engine == "sqlite"
                else "SELECT table_name AS name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ]
        return {n: tx.all(f"SELECT * FROM {n} ORDER BY 1") for n in sorted(names)}


def north_records(t: Tracker, tmp_path: Path) -> dict[Subject, Any]:
    """A north client with an order, a workbook, a marked return and its credit; their ids."""
    make_order(t, "N-1")
    make_order(t, "S-1", office="south")
    issued = issue(t, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    result = checkin_one(t, issued.modules[0].code, "x")
    assert result.return_id
    tried = {a.id: True for a in t.course.module("WB1").activities}
    marked = mark(t, result.return_id, "accept", "x", tried, 60)
    second = checkin_one(t, issued.modules[1].code, "x")
    return {
        Subject.OFFICE: "north",
        Subject.CLIENT: "N-1",
        Subject.ORDER: "N-1/1",
        Subject.WORKBOOK: issued.number,
        Subject.RETURN: second.return_id,
        Subject.CREDIT: marked.credit_id,
    }


def filler(parameter: inspect.Parameter, tmp_path: Path) -> Any:
    """A harmless value of a parameter's type: the call must be refused before it is used."""
    kind = str(parameter.annotation)
    if "Mapping" in kind or "dict" in kind:
        return {}
    if "list" in kind or "Iterable" in kind:
        return []
    if kind.startswith("int"):
        return 1
    if kind.startswith("bool"):
        return False
    if kind.startswith("date"):
        return date(2026, 11, 23)
    if "Path" in kind:
        return tmp_path / "attack"
    return "x"


def call(entry_point: EntryPoint, t: Tracker, value: Any, tmp_path: Path) -> None:
    """Call an entry point with `value` as its id, other required arguments filled in."""
    args: dict[str, Any] = {}
    for name, parameter in inspect.signature(entry_point.function).parameters.items():
        if name == "t":
            args[name] = t
        elif name == entry_point.parameter:
            args[name] = value
        elif parameter.default is inspect.Parameter.empty:
            args[name] = filler(parameter, tmp_path)
    result = entry_point.function(**args)
    if inspect.isgenerator(result):
        list(result)


def role_for(entry_point: EntryPoint) -> Role:
    """A role other than admin that may do the entry point's action (if any may)."""
    for role in (Role.CASEWORKER, Role.FACILITATOR):
        if entry_point.action in PERMISSIONS[role]:
            return role
    return Role.CASEWORKER


SCOPED = sorted(name for name, e in all_entry_points().items() if e.subject is not None)


def test_every_public_function_that_opens_the_records_is_a_checked_entry_point() -> None:
    """Found by introspection: a new one not registered fails here, so none is forgotten."""
    import importlib
    import pkgutil

    import tracker as package

    unchecked = []
    for info in pkgutil.walk_packages(package.__path__, "tracker."):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != info.name or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            # one taking `tx` runs inside an entry point's transaction, already checked
            opens = parameters[:1] == ["t"] and "tx" not in parameters
            if opens and f"{info.name}.{name}" not in ENTRY_POINTS and name not in OPEN_TO_ALL:
                unchecked.append(f"{info.name}.{name}")
    assert unchecked == []


# Open to every signed-in account (or, for the first, to none): they check for themselves.
OPEN_TO_ALL = {
    "add_staff",  # the first admin, then admins only (checked inside)
    "set_enabled",
    "set_password",
    "list_staff",
    "has_staff",
    "actor_for",
    "sign_in",
    "act_as_first_admin",
    "rotate",  # checks MANAGE_KEYS inside
    "check_scope",
    "office_of",
    "served_offices",
    "keeps",
    "audit_fingerprint",  # the chain's fingerprint: nothing of any office
    "offices_served",  # the acting account's own offices (checks an account is acting)
}


def test_every_entry_point_that_takes_an_id_is_registered() -> None:
    """The attack suite below is generated from this registry: the known ones are in it."""
    for name in (
        "tracker.marking.mark",
        "tracker.issuing.issue",
        "tracker.issuing.revoke",
        "tracker.intake.evidence.return_evidence",
        "tracker.ledger.hours_statement",
        "tracker.reports.client_record",
    ):
        assert name in SCOPED, name


def test_another_offices_account_is_refused_everywhere_and_nothing_changes(
    tracker: Tracker, tmp_path: Path
) -> None:
    ids = north_records(tracker, tmp_path)
    admin = tracker.actor
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    staff_account(tracker, "south-fac", Role.FACILITATOR, ["south"])
    missing = {Subject.RETURN: 999, Subject.CREDIT: 999, Subject.WORKBOOK: "WB999"}
    before = dump(tracker)
    for name in SCOPED:
        entry_point = ENTRY_POINTS[name]
        assert entry_point.subject is not None
        login = "south-cw" if role_for(entry_point) is Role.CASEWORKER else "south-fac"
        tracker.actor = actor_for(tracker, login)
        value = ids[entry_point.subject]
        with pytest.raises(NotPermitted) as refused:
            call(entry_point, tracker, value, tmp_path)
        other = missing.get(entry_point.subject, "NOPE-9")
        with pytest.raises(NotPermitted) as absent:
            call(entry_point, tracker, other, tmp_path)
        # "not yours" reads exactly as "not there": nothing about the other office leaks
        assert str(refused.value).replace(str(value), "?") == str(absent.value).replace(
            str(other), "?"
        ), name
        assert dump(tracker) == before, name
    tracker.actor = admin


def test_a_scoped_account_sees_only_its_offices_in_lists(tracker: Tracker, tmp_path: Path) -> None:
    from tracker.marking import pending
    from tracker.people import list_clients
    from tracker.reports import export_ledger

    north_records(tracker, tmp_path)
    staff_account(tracker, "south-cw", Role.CASEWORKER, ["south"])
    staff_account(tracker, "north-fac", Role.FACILITATOR, ["north"])
    staff_account(tracker, "south-fac", Role.FACILITATOR, ["south"])
    assert [c.reference for c in list_clients(tracker)] == ["N-1", "S-1"]  # the admin
    assert len(pending(tracker)) == 1
    tracker.actor = actor_for(tracker, "south-cw")
    assert [c.reference for c in list_clients(tracker)] == ["S-1"]
    assert export_ledger(tracker, date(2026, 1, 1), date(2027, 1, 1)) == []
    with pytest.raises(NotPermitted, match="office"):
        list_clients(tracker, "north")
    tracker.actor = actor_for(tracker, "south-fac")
    assert pending(tracker) == []
    tracker.actor = actor_for(tracker, "north-fac")
    assert len(pending(tracker)) == 1


def test_a_code_taken_in_at_another_office_is_kept_but_names_no_one(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Post arrives where it arrives: the return is kept, whose it is stays with its office."""
    make_order(tracker, "N-1")
    make_order(tracker, "S-1", office="south")
    issued = issue(tracker, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    staff_account(tracker, "south-fac", Role.FACILITATOR, ["south"])
    staff_account(tracker, "north-fac", Role.FACILITATOR, ["north"])
    tracker.actor = actor_for(tracker, "south-fac")
    taken = checkin_one(tracker, issued.modules[0].code, "x")
    again = checkin_one(tracker, issued.modules[0].code, "x")
    assert taken.recorded and taken.client == "" and not names("N-1", repr(taken))
    assert again.return_id is None and again.client == "" and not names("N-1", repr(again))
    tracker.actor = actor_for(tracker, "north-fac")
    mine = checkin_one(tracker, issued.modules[1].code, "x")
    assert mine.recorded and mine.client == "N-1"


def test_roles_passwords_and_disabled_accounts(tracker: Tracker) -> None:
    make_order(tracker, "N-1")
    add_staff(tracker, "ana", Role.CASEWORKER, ["north"], "ana's long password")
    with pytest.raises(NotPermitted, match="password is wrong"):
        sign_in(tracker, "ana", "not her password")
    with pytest.raises(NotPermitted, match="password is wrong"):
        sign_in(tracker, "nobody", "ana's long password")  # the same words: nothing leaks
    assert sign_in(tracker, "ana", "ana's long password").role is Role.CASEWORKER
    with tracker.db.read() as tx:
        stored = tx.scalar("SELECT password_hash FROM staff WHERE login = 'ana'")
    assert stored.startswith("$argon2id$") and "long password" not in stored
    ana = actor_for(tracker, "ana")
    admin, tracker.actor = tracker.actor, ana
    with pytest.raises(NotPermitted, match="caseworker may not mark"):
        mark(tracker, 1, "accept", "ana", {}, 60)
    with pytest.raises(NotPermitted, match="manage staff"):
        add_staff(tracker, "eve", Role.ADMIN, [], "eve's long password")
    tracker.actor = admin
    set_enabled(tracker, "ana", enabled=False)
    with pytest.raises(NotPermitted, match="not an enabled staff account"):
        actor_for(tracker, "ana")
    with pytest.raises(NotPermitted):
        sign_in(tracker, "ana", "ana's long password")
    with tracker.db.read() as tx:  # disabled, never deleted
        assert tx.scalar("SELECT COUNT(*) FROM staff WHERE login = 'ana'") == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    login=st.text(max_size=50),
    role=st.sampled_from(list(Role)),
    offices=st.lists(st.sampled_from(["north", "south", "nowhere", ""]), max_size=3),
    password=st.text(max_size=20),
)
def test_any_new_account_is_made_whole_or_refused_with_its_field(
    tracker: Tracker, login: str, role: Role, offices: list[str], password: str
) -> None:
    with suppress(TrackerError):  # made by the first example
        add_office(tracker, "north", "North", "x")
    before = dump(tracker)
    try:
        account = add_staff(tracker, login, role, offices, password)
    except AccountError as err:
        assert err.field in ("login", "password", "office")
        assert dump(tracker) == before
    else:
        assert actor_for(tracker, account.login).role is role
        assert account.offices == tuple(sorted(set(offices)))


def test_an_office_named_twice_is_served_once(tracker: Tracker) -> None:
    """Found on PostgreSQL by the property test above: the office's link was written twice."""
    add_office(tracker, "north", "North", "x")
    account = add_staff(tracker, "ana", Role.CASEWORKER, ["north", "north"], "a long password")
    assert account.offices == ("north",)
    assert actor_for(tracker, "ana").offices == frozenset({"north"})


def test_a_folder_joins_only_with_the_keyring_and_foreign_keys_are_refused(
    tracker: Tracker, db_url: str, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    issued = issue(tracker, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    url = db_url if tracker.db.engine == "postgresql" else tracker.config.database_url
    joined, outcome = initialise(tmp_path / "second", database_url=url)
    assert outcome == "joined" and not list((tmp_path / "second").glob("keys/*.key"))
    with pytest.raises(keys.KeyringError, match="keys import"):
        open_tracker(joined, course_loader=shipped_course)
    keyring = tmp_path / "keyring.cpo"
    keys.export_keyring(tracker.config.data_dir / "keys", keyring, PASSPHRASE)
    with pytest.raises(keys.KeyringError, match="passphrase"):
        keys.import_keyring(joined.data_dir / "keys", keyring, "a wrong passphrase!")
    keys.import_keyring(joined.data_dir / "keys", keyring, PASSPHRASE)
    with open_tracker(joined, course_loader=shipped_course, login="tester") as second:
        assert checkin_one(second, issued.modules[0].code, "x").return_id  # issued at the first
    # Another tracker's folder pointed at these records is refused at start.
    other, _ = initialise(tmp_path / "other")
    wrong = load(other.data_dir).__class__(other.data_dir, url)
    with pytest.raises(keys.KeyringError, match="not this tracker's"):
        open_tracker(wrong, course_loader=shipped_course)


def test_rotated_keys_sign_new_codes_and_old_codes_still_check_in(
    tracker: Tracker, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    old = issue(tracker, "N-1", "x", module_ids=["WB1"], out_root=tmp_path / "out")
    assert keys.rotate(tracker) == "k2"
    new = issue(tracker, "N-1", "x", module_ids=["WB2"], out_root=tmp_path / "out")
    assert new.modules[0].payload.startswith("k2.") and old.modules[0].payload.startswith("k1.")
    assert checkin_one(tracker, old.modules[0].code, "x").return_id
    assert checkin_one(tracker, new.modules[0].code, "x").return_id
    assert set(keys.recorded(tracker.db)) == {"audit", "k1", "k2"}


def restored_url(tracker: Tracker, db_url: str, name: str) -> str:
    """An empty database to restore into: a new file, or a new PostgreSQL database."""
    if tracker.db.engine == "sqlite":
        return ""
    import psycopg

    with psycopg.connect(database_named(db_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return database_named(db_url, name)


def test_backup_and_restore_bring_back_a_tracker_that_verifies_and_checks_in(
    tracker: Tracker, db_url: str, tmp_path: Path
) -> None:
    make_order(tracker, "N-1")
    issued = issue(tracker, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    assert checkin_one(tracker, issued.modules[0].code, "x").return_id
    archive = tmp_path / "backup.tar"
    made = make_backup(tracker, archive, PASSPHRASE)
    assert made.engine == tracker.db.engine and archive.stat().st_mode & 0o077 == 0
    assert b"a long test password" not in archive.read_bytes()
    url = restored_url(tracker, db_url, f"restored_{abs(hash(str(tmp_path))) % 10**8}")
    with pytest.raises(keys.KeyringError, match="passphrase"):
        restore(archive, tmp_path / "restored", url, "not the passphrase!")
    assert not (tmp_path / "restored").exists()  # a failed restore leaves nothing
    config = restore(archive, tmp_path / "restored", url, PASSPHRASE)
    with open_tracker(config, course_loader=shipped_course, login="tester") as again:
        assert verify(again.db, again.audit_key).ok
        if again.db.engine == "postgresql":  # the planner knows the restored sizes at once
            assert planner_knows_columns(again, "tokens")
        assert checkin_one(again, issued.modules[1].code, "x").return_id  # issued before
        assert not checkin_one(again, issued.modules[0].code, "x").recorded  # already in
    with pytest.raises(TrackerError, match="not empty"):
        restore(archive, tmp_path / "restored", url, PASSPHRASE)
    assert ADMIN_PASSWORD  # the accounts came back too: the login above signed in


def test_a_failed_init_leaves_nothing_never_shows_the_password_and_can_be_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from cpo.cli import cli

    monkeypatch.setenv("CPO_USER", "root")
    monkeypatch.setenv("CPO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    folder = tmp_path / "data"
    bad = "postgresql://cpo:s3cret-word@/cpo?host=/nonexistent-socket-folder"
    failed = CliRunner().invoke(cli, ["init", "--data", str(folder), "--database", bad])
    assert failed.exit_code == 1 and "cannot reach the PostgreSQL records" in failed.output
    assert "s3cret-word" not in failed.output
    assert not folder.exists()  # no config.json, no key: nothing to trip the next run
    again = CliRunner().invoke(cli, ["init", "--data", str(folder)])
    assert again.exit_code == 0, again.output
    assert "first admin account 'root'" in again.output
    assert keys.redact_url(bad) == "postgresql://cpo:***@/cpo?host=/nonexistent-socket-folder"
