"""Shared fixtures: the test courses, a scratch copy of a course, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

HERE = Path(__file__).parent
REPO = HERE.parent
GOOD_COURSE = HERE / "builder" / "fixtures" / "good"
BROKEN = HERE / "builder" / "fixtures" / "broken"
SHIPPED_COURSE = REPO / "content"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the golden files from the current output (review the diff!).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def copy_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """Copy a course into a scratch folder (the working folder) and return its path."""
    monkeypatch.chdir(tmp_path)

    def copy(source: Path) -> Path:
        target = tmp_path / "course"
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
