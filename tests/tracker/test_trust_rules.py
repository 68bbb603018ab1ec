"""Marking that cannot over-credit, input at the edge, a data folder you can move (issue 12)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.tracker.conftest import act_as_admin, make_order, shipped_course, snapshot
from tracker.checkins import checkin
from tracker.config import ConfigError, initialise, load
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.ledger import ACCEPTED, CREDITED, hours_statement
from tracker.marking import completed_without_credit, credit_pending, mark
from tracker.orders import adjust_order
from tracker.policy import TimeFormatError, parse_hours, parse_minutes
from tracker.tracker import Tracker, open_tracker
from tracker.validate import InputError, check_case_reference, check_text


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("1h50", 110), ("1:50", 110), ("110m", 110), ("2h", 120), ("1 h 5 min", 65)],
)
def test_a_declared_time_reads_a_bare_number_as_minutes(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "1.5", "-5", "1:75", "ninety", "9\x00", "1e9", "٩٠"])
def test_any_other_time_is_refused_showing_the_forms(text: str) -> None:
    with pytest.raises(TimeFormatError, match=r"write 110 \(minutes\), 110m, 1h50, 1:50 or 2h"):
        parse_minutes(text, "--minutes")


def test_order_hours_keep_a_bare_number_as_hours() -> None:
    assert (parse_hours("100"), parse_hours("45h30"), parse_hours("2.5")) == (6000, 2730, 150)


def returned(t: Tracker, tmp_path: Path, modules: list[str], hours: int = 100) -> list[int]:
    make_order(t, hours=hours)
    issued = issue(t, "C-1", "ana", module_ids=modules, out_root=tmp_path / "issues")
    ids = [r.return_id for r in checkin(t, [m.code for m in issued.modules], "fay")]
    assert all(ids)
    return [i for i in ids if i]


def tried(t: Tracker, module: str) -> dict[str, bool]:
    return {a.id: True for a in t.course.module(module).activities}


def test_an_accept_with_nothing_declared_is_refused(tracker: Tracker, tmp_path: Path) -> None:
    (r,) = returned(tracker, tmp_path, ["WB1"])
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="needs the time the client declared"):
        mark(tracker, r, "accept", "fay", tried(tracker, "WB1"), 0)
    assert snapshot(tracker) == before


def test_completed_without_credit_then_credit_pending(tracker: Tracker, tmp_path: Path) -> None:
    ids = returned(tracker, tmp_path, ["WB1", "WB2", "WB3", "TF1"], hours=20)
    for r, module in zip(ids, ["WB1", "WB2", "WB3", "TF1"], strict=True):
        mark(tracker, r, "accept", "fay", tried(tracker, module), 120)
    states = {m.module_id: m.state for m in hours_statement(tracker, "C-1").modules}
    assert states["TF1"] == ACCEPTED and "completed without credit" in ACCEPTED
    assert [w.module_id for w in completed_without_credit(tracker, "C-1")] == ["TF1"]
    assert [c.credited for c in credit_pending(tracker, "C-1", "ana")] == [0]  # still full
    from datetime import date

    adjust_order(tracker, "C-1", "ana", "hours added by the court", date(2026, 11, 23), 600)
    (late,) = credit_pending(tracker, "C-1", "ana")
    assert (late.module_id, late.credited) == ("TF1", 120)
    statement = hours_statement(tracker, "C-1")
    assert statement.credited == 480
    assert {m.module_id: m.state for m in statement.modules}["TF1"] == CREDITED
    assert completed_without_credit(tracker, "C-1") == []
    assert credit_pending(tracker, "C-1", "ana") == []  # never credited twice


@pytest.mark.parametrize(
    "text",
    ["CPO/2026/42", "SL/1", "", " ", "a" * 31, "C\n1", "C\x1b[31m", "C\udcff", "-C1", "Wáng"],
)
def test_a_case_reference_has_one_syntax_that_cannot_look_like_an_order(text: str) -> None:
    with pytest.raises(InputError) as caught:
        check_case_reference(text)
    assert caught.value.field == "case reference" and caught.value.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Al\udcffex", "is not valid UTF-8 text"),
        ("Al\x00ex", "holds a NUL byte"),
        ("Alex\nSmith", "holds a control character"),
        ("\x1b]0;pwned\x07Alex", "holds a control character"),
        ("x" * 101, "is longer than 100 characters"),
    ],
)
def test_a_name_that_would_print_as_something_else_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        check_text(text, "the name", 100)
    assert "\x1b" not in str(caught.value) and "\x00" not in str(caught.value)


def test_names_in_any_script_are_kept(tracker: Tracker) -> None:
    make_order(tracker)
    from tracker.people import add_client

    for ref, name in (("C-2", "Wáng 王小明"), ("C-3", "محمد الأحمد")):
        assert add_client(tracker, ref, name, "north", "Ana Lopez", "t").name == name


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ([], "the file"),
        ({"due_days": "x"}, "due_days"),
        ({"due_days": True}, "due_days"),
        ({"due_days": 0}, "due_days"),
        ({"evidence_days": 1e9}, "evidence_days"),
        ({"base_url": 5}, "base_url"),
        ({"database_url": "a\x00b"}, "database_url"),
    ],
)
def test_wrong_settings_are_named(tmp_path: Path, settings: object, field: str) -> None:
    initialise(tmp_path / "data")
    (tmp_path / "data" / "config.json").write_text(json.dumps(settings))
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "data")
    assert caught.value.field == field


def test_a_copied_data_folder_is_a_tracker_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config, _ = initialise(Path("data"))  # relative: made absolute at init
    assert config.data_dir == tmp_path / "data"
    assert json.loads((tmp_path / "data" / "config.json").read_text())["database_url"] == ""
    shutil.copytree(tmp_path / "data", tmp_path / "copy")
    with open_tracker(load(tmp_path / "copy"), course_loader=shipped_course) as copy:
        act_as_admin(copy)
        make_order(copy)
    with (
        open_tracker(load(tmp_path / "data"), course_loader=shipped_course) as original,
        original.db.read() as tx,
    ):
        assert tx.scalar("SELECT COUNT(*) FROM clients") == 0
    monkeypatch.chdir(tmp_path / "copy")
    assert load(Path("../data")).database_url == str(tmp_path / "data" / "tracker.db")


def test_a_missing_database_is_an_error_not_a_new_one(tmp_path: Path) -> None:
    initialise(tmp_path / "data")
    (tmp_path / "data" / "tracker.db").unlink()
    with pytest.raises(TrackerError, match="are missing: restore them"):
        open_tracker(load(tmp_path / "data"), course_loader=shipped_course)
    assert not (tmp_path / "data" / "tracker.db").exists()


def test_the_records_and_the_folder_are_owner_only(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "records.db"
    outside.parent.mkdir()
    for folder, url in ((tmp_path / "data", ""), (tmp_path / "two", str(outside))):
        config, _ = initialise(folder, database_url=url)
        assert folder.stat().st_mode & 0o777 == 0o700
        assert Path(config.database_url).stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "two" / "config.json").read_text())["database_url"] == str(
        outside
    )
    outside.chmod(0o644)  # an old one: put right when opened
    open_tracker(load(tmp_path / "two"), course_loader=shipped_course).close()
    assert outside.stat().st_mode & 0o777 == 0o600


def test_the_unzipped_html_bundle_is_owner_only(
    tracker: Tracker, tmp_path: Path, real_pdfs: None
) -> None:
    make_order(tracker)
    issued = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path / "out", html=True)
    folder = tmp_path / "out" / issued.number
    paths = [folder, *folder.rglob("*")]
    assert any(p.name == "index.html" for p in paths)
    for path in paths:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_the_cli_reads_minutes_and_offers_pending_credit(cpo) -> None:  # type: ignore[no-untyped-def]
    """`--minutes 90` credits 1 h 30 min; a full cap leaves a module to `credit pending`."""
    cpo("office", "add", "north", "--name", "North")
    cpo("client", "add", "C-1", "--name", "Alex", "--office", "north", "--case-worker", "Ana")
    cpo("order", "add", "C-1", "--jurisdiction", "scotland", "--hours", "20",
        "--made", "2026-11-02", "--deadline", "2027-05-01")  # fmt: skip
    issued = cpo("issue", "C-1", "--modules", "WB1,WB2,WB3,TF1,TF2", "--json").output
    cpo("checkin", *[m["code"] for m in json.loads(issued)["modules"]])
    accept = ["--accept", "--tried", "all", "--minutes"]
    assert "credited 1 h 30 min" in cpo("mark", "R1", *accept, "90").output
    refused = cpo("mark", "R2", *accept, "1.5", ok=False)
    assert "write 110 (minutes), 110m, 1h50, 1:50 or 2h" in refused.output
    for r in ("R2", "R3"):
        cpo("mark", r, *accept, "2h")
    assert "credited 30 min" in cpo("mark", "R4", *accept, "1:00").output  # the 6 h cap
    full = cpo("mark", "R5", *accept, "110m").output
    assert "completed without credit" in full and "cpo credit pending C-1/1" in full
    assert "R5" in cpo("credit", "pending", "C-1/1", "--list").output
    adjusted = cpo("order", "adjust", "C-1/1", "--add-hours", "10", "--reason", "Court").output
    assert "run `cpo credit pending C-1/1`" in adjusted
    assert "R5 TF2: credited 1 h 50 min" in cpo("credit", "pending", "C-1/1").output
    assert "No module of C-1/1 is waiting" in cpo("credit", "pending", "C-1/1").output
    assert "Credited:           7 h 50 min" in cpo("hours", "C-1/1").output
    wrong = cpo("audit", "verify", "--since", "3:" + "0" * 16, ok=False).output
    assert "entry 3 is not the one fingerprinted" in wrong
