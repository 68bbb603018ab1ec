"""The tracker driven through `cpo` the way a case worker and a facilitator would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpo.cli import cli


def test_a_workbook_from_issue_to_hours(cpo) -> None:  # type: ignore[no-untyped-def]
    """The demo's flow: set up, issue, scan returns in, mark, read the statement."""
    assert "already set up" in cpo("init").output
    cpo("office", "add", "north", "--name", "North")
    typo = cpo(
        "client",
        "add",
        "C-1",
        "--name",
        "Alex",
        "--office",
        "nroth",
        "--case-worker",
        "Ana",
        ok=False,
    )
    assert "Error: no office 'nroth' (did you mean 'north'?)" in typo.output
    cpo(
        "client",
        "add",
        "C-1",
        "--name",
        "Alex Smith",
        "--office",
        "north",
        "--case-worker",
        "Ana Lopez",
        "--contact",
        "0141 000 0000",
    )
    bad = cpo(
        "order",
        "add",
        "C-1",
        "--jurisdiction",
        "scotland",
        "--hours",
        "100",
        "--made",
        "2026-11-02",
        "--deadline",
        "2026-01-01",
        ok=False,
    )
    assert "before the order was made" in bad.output
    cpo(
        "order",
        "add",
        "C-1",
        "--jurisdiction",
        "scotland",
        "--hours",
        "100",
        "--made",
        "2026-11-02",
        "--deadline",
        "2027-05-01",
    )
    issued = json.loads(cpo("issue", "C-1", "--modules", "WB1,WB2,TF1", "--json").output)
    assert [m["module"] for m in issued["modules"]] == ["WB1", "WB2", "TF1"]
    assert Path(issued["files"][0]).name == "workbook.pdf"
    codes = [m["code"] for m in issued["modules"]]
    scanned = cpo("checkin", stdin="\n".join([*codes, "ZZZZ-ZZZZ-ZZZZ", ""]), ok=False)
    assert scanned.output.count("Recorded") == 3
    assert "Refused    ZZZZ-ZZZZ-ZZZZ:" in scanned.output and "1 code was refused" in scanned.output
    assert "Already in C-1  WB1" in cpo("checkin", codes[0].lower()).output
    waiting = cpo("mark").output
    assert "R1" in waiting and "R3" in waiting
    assert (
        "credited 1 h 50 min"
        in cpo("mark", "R1", "--accept", "--tried", "all", "--minutes", "1h50").output
    )
    cpo("mark", "R2", "--send-back", "--feedback", "Please try activity 3")
    answers = "\n".join(["y"] * 12 + ["accept", "3h"]) + "\n"
    asked = cpo("mark", "R3", stdin=answers).output
    assert "Marking TF1" in asked and "credited 2 h (3 h declared" in asked
    statement = json.loads(cpo("hours", "C-1", "--json").output)
    assert statement["cap_minutes"] == 1800 and statement["credited_minutes"] == 230
    assert {m["module"]: m["state"] for m in statement["modules"]}["WB2"] == "sent back"
    assert "Entry 3 reverses entry 1" in cpo("credit", "reverse", "1", "--reason", "wrong").output
    assert cpo("credit", "reverse", "1", "--reason", "again", ok=False).output.startswith(
        "Error: credit 1 was already reversed"
    )
    assert (
        "deadline 2027-08-01"
        in cpo("order", "adjust", "C-1", "--deadline", "2027-08-01", "--reason", "extended").output
    )
    assert (
        "Revoked workbook"
        in cpo("workbook", "revoke", issued["workbook"], "--reason", "lost").output
    )
    assert "The audit log is whole" in cpo("audit", "verify").output
    shown = json.loads(cpo("client", "show", "C-1", "--json").output)
    assert shown["reference"] == "C-1" and len(shown["orders"]) == 1


def test_without_a_tracker_the_message_says_what_to_do(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPO_DATA", str(tmp_path / "nothing-here"))
    result = runner.invoke(cli, ["hours", "C-1"])
    assert result.exit_code == 1
    assert "no tracker set up in" in result.output and "run `cpo init`" in result.output
