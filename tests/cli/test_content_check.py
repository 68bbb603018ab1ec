"""`cpo content check` as a case worker or author runs it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import builder.check  # imported here so `course_read_once` reads the course once for it
from builder import Course
from builder.readability import Readability
from cpo.cli import cli
from tests.conftest import BROKEN, GOOD_COURSE, SHIPPED_COURSE

# Each course's reading ages, by the course (the read-once loader gives the same object).
_MEASURED: dict[int, tuple[Course, tuple[Readability, ...]]] = {}


@pytest.fixture(autouse=True)
def measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measure a course's reading ages once in this module: the summary and --json agree."""
    real = builder.check._readability

    def readability(course: Course) -> tuple[Readability, ...]:
        if id(course) not in _MEASURED or _MEASURED[id(course)][0] is not course:
            _MEASURED[id(course)] = (course, real(course))
        return _MEASURED[id(course)][1]

    monkeypatch.setattr(builder.check, "_readability", readability)


def test_shipped_course_summary(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["content", "check", str(SHIPPED_COURSE)])
    assert result.exit_code == 0, result.output
    assert "6 themes, 23 modules" in result.output
    assert "46 guided hours" in result.output
    assert "Every module reads at age 9 or lower." in result.output


def test_json_summary_for_scripts(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["content", "check", str(SHIPPED_COURSE), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["ok"] and data["themes"] == 6 and data["modules"] >= 23
    assert data["guided_minutes"] >= 1800
    assert {r["module_id"] for r in data["readability"]} >= {"WB1", "HC3"}


def test_problems_are_listed_with_exit_status_1_and_no_traceback(
    runner: CliRunner, copy_course: Callable[[Path], Path]
) -> None:
    root = copy_course(GOOD_COURSE)
    shutil.copy(BROKEN / "unknown-type.md", root / "modules" / "AA2.md")
    shutil.copy(BROKEN / "not-utf8.md", root / "modules" / "AA3.md")
    result = runner.invoke(cli, ["content", "check", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 2 problems in the course content:")
    assert "AA2.md:14: unknown activity type 'wirte' (did you mean 'write'?)" in result.stderr
    assert "AA3.md:16: the file is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_json_errors(runner: CliRunner, copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    shutil.copy(BROKEN / "unknown-setting.md", root / "modules" / "AA2.md")
    result = runner.invoke(cli, ["content", "check", str(root), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == {
        "ok": False,
        "errors": [
            {
                "path": "course/modules/AA2.md",
                "line": 16,
                "message": "unknown setting 'lnes'",
                "hint": "did you mean 'lines'?",
            }
        ],
    }


def test_strict_turns_a_reading_age_flag_into_an_error(
    runner: CliRunner, copy_course: Callable[[Path], Path]
) -> None:
    root = copy_course(GOOD_COURSE)
    module = root / "modules" / "BB1.md"
    hard = (
        "Comprehensive organisational responsibilities necessitate considerable "
        "administrative documentation, particularly regarding institutional accountability."
    )
    module.write_text(module.read_text().replace("Write one thing.", hard))
    lenient = runner.invoke(cli, ["content", "check", str(root)])
    assert lenient.exit_code == 0
    assert "ABOVE 9" in lenient.output and "1 module reads above age 9: BB1" in lenient.output
    strict = runner.invoke(cli, ["content", "check", str(root), "--strict"])
    assert strict.exit_code == 1
    assert "course/modules/BB1.md: reading age" in strict.stderr


def test_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["content", "check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no course folder here" in result.stderr


def test_the_installed_command_reports_errors_on_stderr(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "cpo", "content", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: 2 problems in the course content:")
    assert "course.yaml: cannot read the file" in result.stderr
    assert "Traceback" not in result.stderr
