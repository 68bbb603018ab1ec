# ruff: noqa: F811  (pytest fixtures imported from test_html_browser are parameters here)
"""An answers file saved in one browser opens in a fresh one, and a wrong file is refused.

The restore test opens the file in a new, empty profile (a browser context of its own);
the refusals run in the module's shared context, its storage emptied before each test
(like a cleared browser; `client` in test_html_browser).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from builder.answers import checksum_of, read_answers
from tests.builder.test_html_browser import (  # noqa: F401 (fixtures)
    STORAGE,
    TRICKY,
    Browsing,
    Client,
    browsing,
    bundle,
    check_every_kind,
    client,
    export,
    fill_every_kind,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BACK = "Your answers are back"
# One worker runs this module (`make test` runs with `--dist loadgroup`): the bundle is
# made, and the answers file saved, once a run.
pytestmark = pytest.mark.xdist_group("bundle-answers")
OTHER = "This answers file is for a different workbook, so it cannot be opened here."


def open_file(page: Page, path: Path) -> str:
    """Press "Open my answers file", pick `path`, and return the message shown."""
    with page.expect_file_chooser() as chooser:
        page.click("[data-import]")
    chooser.value.set_files(str(path))
    page.wait_for_function("() => document.getElementById('status').textContent !== ''")
    return page.text_content("#status") or ""


def kept_keys(page: Page) -> list[str]:
    return list(page.evaluate(f"Object.keys(localStorage).filter(k => k.startsWith('{STORAGE}/'))"))


@pytest.fixture(scope="module")
def answers_file(browsing: Browsing, bundle: Path) -> tuple[bytes, str]:
    """Every kind of activity answered in one browser, and the answers file it saved.

    Made once for the module (about 2 s of Chromium's and Python's CPU): each test that
    opens or changes the file writes a copy of its own (`saved_file`). What it kept in
    the module's browser context is forgotten before any test uses the context.
    """
    person = Client(browsing.context, bundle)
    page = person.open("module-AA1.html")
    fill_every_kind(page)
    data, name = export(page)
    person.close()
    browsing.forget()
    assert person.stray_requests() == [] and person.errors == []
    return data, name


def saved_file(answers_file: tuple[bytes, str], tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A copy of the saved answers file in `tmp_path`, and what it holds."""
    data, name = answers_file
    path = tmp_path / name
    path.write_bytes(data)
    return path, json.loads(data)


@pytest.fixture
def fresh_profile(browser: Browser, bundle: Path) -> Iterator[Client]:
    """A new, empty browser profile: another computer, in effect.

    A new context has storage of its own and nothing in it, as a new profile folder has;
    what it holds is never on the disk, which no restore test reads. (A second Chromium
    started on a new folder cost ~3 s of CPU; closing and starting Chromium again, with
    the answers kept on the disk, is `test_answers_survive_closing_the_browser`.)
    """
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(10_000)
    fresh = Client(context, bundle)
    yield fresh
    context.close()
    assert fresh.stray_requests() == [] and fresh.errors == []


def test_an_answers_file_restores_into_a_fresh_browser_profile(
    fresh_profile: Client, answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, _ = saved_file(answers_file, tmp_path)
    index = fresh_profile.open()
    assert kept_keys(index) == []
    assert "on this computer, in this browser" in (index.text_content("#save-state") or "")
    said = open_file(index, path)
    assert said.startswith(BACK) and path.name in said
    assert index.text_content("[data-progress='AA1']") == "Finished"
    page = fresh_profile.open("module-AA1.html")
    assert page.input_value("#a-AA1-7") == TRICKY
    assert page.is_checked("[name='a-AA1-3-0'][value='7']")
    assert (page.input_value("#d-hours"), page.input_value("#d-minutes")) == ("2", "5")
    data, name = export(page)  # and it goes back out the same
    check_every_kind(read_answers(data, name))


def refused(client: Callable[..., Client], path: Path) -> str:
    index = client().open()
    said = open_file(index, path)
    assert kept_keys(index) == []  # nothing was written
    assert index.text_content("[data-progress='AA1']") == "Not started"
    return said


def test_a_changed_file_is_refused(
    client: Callable[..., Client], answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, _ = saved_file(answers_file, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("Sunshine", "Rain"), encoding="utf-8")
    assert refused(client, path).startswith("This answers file has been changed or damaged")


def test_another_workbooks_file_is_refused(
    client: Callable[..., Client], answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, doc = saved_file(answers_file, tmp_path)
    del doc["checksum"]
    doc["workbook"] = "WB-OTHER"
    doc["checksum"] = checksum_of(doc)  # whole and unchanged, but not this workbook's
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert refused(client, path) == OTHER


def test_a_file_from_another_copy_of_the_course_is_refused(
    client: Callable[..., Client], answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, doc = saved_file(answers_file, tmp_path)
    del doc["checksum"]
    doc["course"] = {**doc["course"], "version": "0000000000000000"}  # type: ignore[dict-item]
    doc["checksum"] = checksum_of(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert refused(client, path).startswith("This answers file is from another copy")


def test_a_file_that_is_not_an_answers_file_is_refused(
    client: Callable[..., Client], tmp_path: Path
) -> None:
    path = tmp_path / "notes.json"
    path.write_text("my shopping list", encoding="utf-8")
    assert refused(client, path).startswith("This is not an answers file")


def test_any_change_to_a_saved_file_is_refused_and_nothing_is_written(
    client: Callable[..., Client], answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, doc = saved_file(answers_file, tmp_path)
    original = path.read_bytes()
    places = [i for i, b in enumerate(original) if not chr(b).isspace()]
    index = client().open()
    messages = (
        "This is not an answers file",
        "This answers file has been changed",
        OTHER,
        "This answers file is from another copy",
    )

    @settings(max_examples=12, deadline=None, derandomize=True)
    @given(at=st.sampled_from(places), letter=st.sampled_from('aZ09{}[]",:'))
    def check(at: int, letter: str) -> None:
        changed = original[:at] + letter.encode() + original[at + 1 :]
        with suppress(ValueError):
            assume(json.loads(changed) != doc)
        path.write_bytes(changed)
        index.evaluate("document.getElementById('status').textContent = ''")
        said = open_file(index, path)
        assert said.startswith(messages), said
        assert kept_keys(index) == []

    check()


def test_answers_already_here_are_replaced_only_when_the_client_says_yes(
    client: Callable[..., Client], answers_file: tuple[bytes, str], tmp_path: Path
) -> None:
    path, _ = saved_file(answers_file, tmp_path)
    here = client()
    page = here.open("module-AA1.html")
    page.fill("#a-AA1-1", "Typed here")
    page.wait_for_function(
        "key => (localStorage.getItem(key) || '').includes('Typed here')", arg=f"{STORAGE}/AA1"
    )
    index = here.open()
    with index.expect_file_chooser() as chooser:
        index.click("[data-import]")
    with index.expect_event("dialog") as question:  # once the file is read and checked
        chooser.value.set_files(str(path))
    assert "replaced" in question.value.message
    question.value.dismiss()
    assert "Typed here" in (here.open("module-AA1.html").input_value("#a-AA1-1"))
    index.once("dialog", lambda d: d.accept())
    assert open_file(index, path).startswith(BACK)
    assert here.open("module-AA1.html").input_value("#a-AA1-7") == TRICKY
