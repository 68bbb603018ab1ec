"""The test suite's own course memo (tests/conftest.py `course_read_once`) is never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder import loader
from tests.conftest import SHIPPED_COURSE


def test_a_command_reads_a_course_again_once_a_file_changes(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(SHIPPED_COURSE, course)
    first = loader.load_course(course)
    assert loader.load_course(course) is first  # unchanged: read once
    course_file = course / "course.yaml"
    course_file.write_text(course_file.read_text().replace(first.title, first.title + " Z"))
    assert loader.load_course(course).title == first.title + " Z"
