"""No input breaks a command: arbitrary bytes and text in every argument and stdin line.

Bytes reach Python's argv and stdin as `surrogateescape`d text, so that is how the
properties feed them to the real click commands. Each run must end with a line and
status 0, 1 or 2 (click's usage errors), never a traceback, and a refusal must leave
every record as it was. A stdin batch goes on past its bad lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpo.cli import cli
from tests.conftest import SHIPPED_COURSE
from tests.tracker.conftest import ADMIN_PASSWORD, shipped_course, snapshot
from tracker.config import load
from tracker.tracker import Tracker, open_tracker

X = "\0X\0"  # where the arbitrary value goes
TEMPLATES: list[list[str]] = [
    ["client", "add", X, "--name", "N", "--office", "north", "--case-worker", "W"],
    ["client", "add", "C-9", "--name", X, "--office", "north", "--case-worker", "W"],
    ["client", "add", "C-9", "--name", "N", "--office", X, "--case-worker", "W"],
    ["client", "add", "C-9", "--name", "N", "--office", "north", "--case-worker", X],
    [
        "client",
        "add",
        "C-9",
        "--name",
        "N",
        "--office",
        "north",
        "--case-worker",
        "W",
        "--contact",
        X,
    ],
    ["client", "show", X],
    ["client", "list", "--office", X],
    ["client", "set", X, "--contact", "1"],
    ["client", "set", "C-1", "--case-worker", X],
    ["office", "add", X, "--name", "n"],
    ["office", "add", "east", "--name", X],
    ["office", "add", "west", "--name", "n", "--cap-ceiling", X],
    [
        "order",
        "add",
        X,
        "--jurisdiction",
        "scotland",
        "--hours",
        "100",
        "--made",
        "2026-11-02",
        "--deadline",
        "2027-05-01",
    ],
    [
        "order",
        "add",
        "C-1",
        "--jurisdiction",
        "scotland",
        "--hours",
        X,
        "--made",
        "2026-11-02",
        "--deadline",
        "2027-05-01",
    ],
    [
        "order",
        "add",
        "C-1",
        "--jurisdiction",
        X,
        "--hours",
        "100",
        "--made",
        "2026-11-02",
        "--deadline",
        "2027-05-01",
    ],
    ["order", "show", X],
    ["order", "adjust", X, "--deadline", "2027-09-01", "--reason", "r"],
    ["order", "adjust", "C-1/1", "--reduce-hours", X, "--reason", "r"],
    ["order", "adjust", "C-1/1", "--deadline", "2027-09-01", "--reason", X],
    ["hours", X],
    ["issue", X],
    ["issue", "C-1", "--modules", X],
    ["issue", "C-1", "--profile", X],
    ["workbook", "revoke", X, "--reason", "r"],
    ["checkin", X],
    ["checkin", "--client", X, "0000-0000-0000"],
    ["mark", X],
    ["mark", "R1", "--accept", "--tried", "all", "--minutes", X],
    ["mark", "R1", "--accept", "--tried", X, "--minutes", "90"],
    ["mark", "R1", "--refuse", "--reason", X],
    ["mark", "R1", "--send-back", "--tried", "all", "--feedback", X],
    ["credit", "reverse", X, "--reason", "r"],
    ["credit", "pending", X],
    ["audit", "verify", "--since", X],
    ["report", "weekly", "--office", X],
    ["report", "overdue", "--office", X],
    ["statement", X, "--output", "s.pdf"],
    ["certificate", X, "--output", "c.pdf"],
    ["export", "--from", X, "--to", "2026-12-01"],
    ["client", "set", "C-1", "--contact", "1", "--by", X],
    ["init", "--base-url", X],
    ["evidence", "show", X],
    ["intake", X],
    [X],
]
TRACEBACK = re.compile(r"Traceback|Error:.*Error\b(?!:)|\bat 0x[0-9a-f]+")
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


@dataclass
class Desk:
    """A tracker with an office, a client C-1 with an order, a workbook, and R1 back."""

    folder: Path
    runner: CliRunner
    spare_code: str
    reader: Tracker | None = None

    def run(self, args: list[str], stdin: bytes | None = None) -> Result:
        return self.runner.invoke(cli, args, input=stdin)

    def records(self) -> dict[str, list[dict[str, object]]]:
        """Every record, read on one connection kept for the desk's examples.

        Each read is a transaction of its own, so it sees what the last command committed;
        a connection a read was the server's CPU of two examples on PostgreSQL.
        """
        if self.reader is None:
            self.reader = open_tracker(load(self.folder), course_loader=shipped_course)
        return snapshot(self.reader)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


@pytest.fixture
def desk(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setenv("CPO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CPO_USER", "fay")
    monkeypatch.setenv("CPO_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CPO_CONTENT", str(SHIPPED_COURSE))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    steps = [
        ["init", "--database", db_url],
        ["office", "add", "north", "--name", "North"],
        ["client", "add", "C-1", "--name", "Alex", "--office", "north", "--case-worker", "Ana"],
        [
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
        ],
        ["issue", "C-1", "--modules", "WB1,WB2"],
    ]
    for step in steps:
        result = runner.invoke(cli, step)
        assert result.exit_code == 0, result.output
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", result.output)
    assert runner.invoke(cli, ["checkin", codes[0]]).exit_code == 0  # R1
    desk = Desk(tmp_path / "data", runner, codes[1])
    yield desk
    desk.close()


def arbitrary() -> st.SearchStrategy[str]:
    """Any text, or any bytes as they reach argv and stdin (invalid UTF-8 kept as escapes)."""
    return st.one_of(
        st.text(max_size=60),
        st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.sampled_from(["", " ", "\x00", "a\nb", "\x1b[31mred", "x" * 2000, "C-1", "R1"]),
    )


def check_answer(result: Result) -> None:
    """One clear line, a known status, no traceback, nothing unprintable on the terminal."""
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    assert result.exit_code in (0, 1, 2), result.output
    assert not TRACEBACK.search(result.output), result.output
    if result.exit_code == 1:  # one error; or a question asked with no one to answer it
        assert result.output.count("Error:") == 1 or "Aborted!" in result.output, result.output
        assert not UNPRINTABLE.search(result.output), repr(result.output)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=st.sampled_from(TEMPLATES), value=arbitrary())
def test_no_argument_breaks_a_command(desk: Desk, template: list[str], value: str) -> None:
    args = [value if a == X else a for a in template]
    before = desk.records()
    result = desk.run(args)
    check_answer(result)
    if result.exit_code != 0:
        assert desk.records() == before  # a refusal changes nothing


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=4))
def test_a_stdin_batch_goes_on_past_bad_lines(desk: Desk, lines: list[bytes]) -> None:
    """Garbage lines are refused one by one; the good code after them is still taken."""
    stdin = b"\n".join([*lines, desk.spare_code.encode(), *lines]) + b"\n"
    before = desk.records()
    result = desk.run(["checkin"], stdin)
    check_answer(result)
    answered = [line for line in result.output.splitlines() if not line.startswith("Error")]
    assert any(desk.spare_code in line or "WB2" in line for line in answered), result.output
    after = desk.records()
    assert {k: v for k, v in after.items() if k != "returns"} == {
        k: v for k, v in before.items() if k != "returns"
    }
    assert len(after["returns"]) == 2  # R1, and the spare code's return, once


def test_a_nul_byte_on_postgresql_loses_nothing_else(desk: Desk) -> None:
    result = desk.run(["checkin"], b"\x00\n" + desk.spare_code.encode() + b"\n\xff\xfe\n")
    assert result.exit_code == 1
    assert "Recorded" in result.output and "holds a NUL byte" in result.output
    assert "is not valid UTF-8 text" in result.output


def test_an_empty_code_argument_is_refused(desk: Desk) -> None:
    result = desk.run(["checkin", ""])
    assert result.exit_code == 1 and "the code is empty" in result.output
