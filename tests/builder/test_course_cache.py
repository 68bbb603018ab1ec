"""A course kept on disk (builder/course_cache.py) is the course as its files stand, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import ContentError, Course, course_cache, loader
from tests.conftest import BROKEN, GOOD_COURSE

REAL_LOAD = loader.load_course  # the reader itself, not the suite's memo of it


class Reads:
    """Counts how often the course's files are really read."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, root: Path) -> Course:
        self.count += 1
        return REAL_LOAD(root)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Reads:
    """A cache folder of the test's own, and a count of real reads."""
    monkeypatch.setenv(course_cache.CACHE_ENV, str(tmp_path / "cache"))
    counter = Reads()
    monkeypatch.setattr(loader, "load_course", counter)
    return counter


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(GOOD_COURSE, target)
    return target


def kept_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob(f"*{course_cache.SUFFIX}"))


def test_a_new_process_gets_the_course_it_would_read_without_reading_it(
    reads: Reads, course: Path, tmp_path: Path
) -> None:
    first = course_cache.load_course_kept(course)
    assert reads.count == 1 and len(kept_files(tmp_path)) == 1
    course_cache.code_version.cache_clear()  # as a new process starts
    again = course_cache.load_course_kept(course)
    assert reads.count == 1  # unpickled, not read
    assert again == first == REAL_LOAD(course)


def test_a_changed_byte_is_read_again(reads: Reads, course: Path) -> None:
    first = course_cache.load_course_kept(course)
    course_file = course / "course.yaml"
    course_file.write_text(course_file.read_text().replace(first.title, first.title + " Z"))
    assert course_cache.load_course_kept(course).title == first.title + " Z"
    assert reads.count == 2


def test_a_refused_course_is_never_kept_and_says_why_each_time(
    reads: Reads, tmp_path: Path
) -> None:
    for _ in range(2):
        with pytest.raises(ContentError):
            course_cache.load_course_kept(BROKEN)
    assert reads.count == 2 and kept_files(tmp_path) == []


def test_an_empty_setting_turns_the_cache_off(
    reads: Reads, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(course_cache.CACHE_ENV, "")
    course_cache.load_course_kept(course)
    course_cache.load_course_kept(course)
    assert reads.count == 2 and not (tmp_path / "cache").exists()


def test_a_file_another_account_could_write_is_never_unpickled(
    reads: Reads, course: Path, tmp_path: Path
) -> None:
    course_cache.load_course_kept(course)
    (kept,) = kept_files(tmp_path)
    kept.chmod(0o666)
    course_cache.load_course_kept(course)
    assert reads.count == 2


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.data())
def test_a_damaged_file_is_read_again_not_trusted(
    reads: Reads, course: Path, tmp_path: Path, damage: st.DataObject
) -> None:
    expected = course_cache.load_course_kept(course)
    (kept,) = kept_files(tmp_path)
    data = bytearray(kept.read_bytes())
    if damage.draw(st.booleans(), label="cut short"):
        data = data[: damage.draw(st.integers(0, len(data) - 1), label="length")]
    else:
        at = damage.draw(st.integers(0, len(data) - 1), label="byte")
        data[at] ^= damage.draw(st.integers(1, 255), label="flip")
    kept.write_bytes(bytes(data))
    before = reads.count
    assert course_cache.load_course_kept(course) == expected
    assert reads.count == before + 1
