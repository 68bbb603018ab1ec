"""Every broken module is reported with its file, its line and a hint, all at once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import ContentError, load_course
from tests.conftest import BROKEN, GOOD_COURSE

M = "course/modules/AA2.md"
EXPECTED = {
    "bad-yaml": [
        f"{M}:6: the YAML is not valid: expected ',' or ']', but got '<stream end>'"
        " (check the : and -)"
    ],
    "choose-without-choices": [
        f"{M}:12: a choose activity needs at least two choices (end the box with a - list)"
    ],
    "diagram-problems": [
        f"{M}:20: unknown diagram 'thermometre' (did you mean 'thermometer'?)",
        f"{M}:24: unknown setting 'bans' (did you mean 'bands'?)",
        f"{M}:28: 'parts' needs 4 items split by '|', found 3"
        " (for example: parts: Thoughts | Feelings | Body | Actions)",
        f"{M}:31: the diagram is for 'AA2-9', not an activity in this module"
        " (did you mean 'AA2-6'?)",
    ],
    "duplicate-id": [
        f"{M}:24: the id 'AA2-2' is used twice (first used at {M}:12; give this one a new number)"
    ],
    "empty": [f"{M}: the file is empty"],
    "italics": [f"{M}:17: italics are hard to read (use **bold** for stress)"],
    "last-not-reflect": [f"{M}:60: the last activity must be 'type: reflect'"],
    "missing-minutes": [f"{M}:2: 'minutes' is missing (add a line 'minutes: ...')"],
    "no-front-matter": [f"{M}:1: no front matter (start the file with a line '---')"],
    "no-help": [f"{M}: the module has 0 help boxes (add a '::: help' box)"],
    "not-utf8": [f"{M}:16: the file is not UTF-8 text (save it as UTF-8 in your editor)"],
    "plan-without-table": [f"{M}:12: a plan activity needs a table at the end of the box"],
    "setting-for-other-type": [f"{M}:16: unknown setting 'pick' ('pick' is for choose activities)"],
    "unclosed-box": [
        f"{M}:12: the '::: activity' box is never closed"
        " (add a line with only ':::' where the box ends)"
    ],
    "unknown-box": [
        f"{M}:12: unknown box '::: activty' (did you mean 'activity'?)",
        f"{M}:18: a ':::' line closes a box that was never opened",
    ],
    "unknown-front-key": [
        f"{M}:3: unknown key 'tittle' (did you mean 'title'?)",
        f"{M}:2: 'title' is missing (add a line 'title: ...')",
    ],
    "unknown-setting": [f"{M}:16: unknown setting 'lnes' (did you mean 'lines'?)"],
    "unknown-counts-as": [f"{M}:9: unknown kind 'eet' in counts_as (did you mean 'ete'?)"],
    "unknown-theme": [f"{M}:4: unknown theme 'alpah' (did you mean 'alpha'?)"],
    "unknown-type": [f"{M}:14: unknown activity type 'wirte' (did you mean 'write'?)"],
}


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(root)
    return [str(p) for p in caught.value.problems]


def test_every_fixture_has_an_expected_error() -> None:
    assert sorted(p.stem for p in BROKEN.glob("*.md")) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_module_gives_exact_error(case: str, copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    shutil.copy(BROKEN / f"{case}.md", root / "modules" / "AA2.md")
    assert problems(root) == EXPECTED[case]


def test_all_problems_are_reported_together(copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    cases = ["unknown-type", "unclosed-box", "empty", "not-utf8"]
    for n, case in enumerate(cases, start=2):
        text = (BROKEN / f"{case}.md").read_bytes().replace(b"AA2", f"AA{n}".encode())
        (root / "modules" / f"AA{n}.md").write_bytes(text)
    found = problems(root)
    assert len(found) == 4
    for n, case in enumerate(cases, start=2):
        expected = EXPECTED[case][0].replace("AA2", f"AA{n}")
        assert expected in found


def test_theme_with_no_modules(copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    (root / "modules" / "BB1.md").unlink()
    assert problems(root) == [
        "course/course.yaml: the theme 'beta' has no modules"
        " (add a module with this theme, or remove the theme)"
    ]


def test_course_file_problems_are_all_reported(copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    course = root / "course.yaml"
    text = course.read_text().replace("icon: sun", "icon: sunn").replace("code: BB", "code: bb")
    course.write_text(text.replace("subtitle:", "subtitel:"))
    assert problems(root) == [
        "course/course.yaml:2: unknown key 'subtitel' (did you mean 'subtitle'?)",
        "course/course.yaml:1: 'subtitle' is missing (add a line 'subtitle: ...')",
        "course/course.yaml:9: unknown icon 'sunn' (did you mean 'sun'?)",
        "course/course.yaml:11: a theme code is 2 or 3 capital letters",
        "course/modules/BB1.md:2: module id 'BB1' should start with its theme's code 'bb'",
        "course/course.yaml: the theme 'beta' has no modules"
        " (add a module with this theme, or remove the theme)",
    ]


def test_missing_course_file(copy_course: Callable[[Path], Path]) -> None:
    root = copy_course(GOOD_COURSE)
    (root / "course.yaml").unlink()
    assert problems(root) == ["course/course.yaml: cannot read the file: No such file or directory"]
