"""Shared fixtures: the test courses, a scratch copy of a course, a CLI runner, a browser.

Also what keeps the suite quick without asserting less: Hypothesis profiles (`dev`, `ci`),
cheap argon2 costs (except where a test asks for the shipped ones), one layout cache for
the run and its subprocesses.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from click.testing import CliRunner
from hypothesis import settings

if TYPE_CHECKING:
    from _pytest.mark import ParameterSet
    from playwright.sync_api import Browser

    from builder import Course

HERE = Path(__file__).parent
REPO = HERE.parent
GOOD_COURSE = HERE / "builder" / "fixtures" / "good"
BROKEN = HERE / "builder" / "fixtures" / "broken"
SHIPPED_COURSE = REPO / "content"


@cache
def shipped_course() -> Course:
    """The shipped course, read once a run (a Course is frozen: tests share it).

    Kept on disk for the run (`builder.course_cache`, in the run's cache folder), so each
    worker and each process a test starts unpickles it rather than parsing it again.
    """
    from builder.course_cache import load_course_kept

    return load_course_kept(SHIPPED_COURSE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the golden files from the current output (review the diff!).",
    )


# Hypothesis: no deadline (a loaded machine is not a slow program). CI (env CI set) runs the
# full default count; the developer's loop runs fewer of the examples it generates itself.
# Tests that set their own `max_examples` keep it in both. HYPOTHESIS_PROFILE=ci forces it.
settings.register_profile("ci", deadline=None, max_examples=100, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


# Where the web tests keep compiled templates for the run (tests/web/conftest.py).
TEMPLATES_ENV = "CPO_TEST_TEMPLATES"


# Memory-backed temporary files, where Linux offers them (and TMPDIR names no other place).
RAM_FOLDER = Path("/dev/shm")
RAM_ROOM = 4 << 30  # a whole run's files, corpora and PostgreSQL servers, with room to spare


def temporary_files_in_memory() -> None:
    """Put the run's temporary files (tmp_path, its subprocesses' too) in memory.

    Each SQLite commit waits for the disk (`synchronous = FULL`): 16,000 commits a fast run,
    2 to 8 ms each on this machine's disk against 0.07 ms in memory; the time a core sat
    idle. The code under test is the same: a killed process loses what it would on a disk
    (the tests kill processes; none cuts the power).
    """
    if "TMPDIR" in os.environ or not os.access(RAM_FOLDER, os.W_OK | os.X_OK):
        return
    room = os.statvfs(RAM_FOLDER)
    if room.f_bavail * room.f_frsize < RAM_ROOM:  # a container's 64 MB /dev/shm: the disk
        return
    os.environ["TMPDIR"] = str(RAM_FOLDER)
    tempfile.tempdir = None  # found again from TMPDIR


def pytest_configure(config: pytest.Config) -> None:
    """Keep laid-out workbooks and compiled templates in folders of this run's own.

    Made once, before the workers start: they and the tests' subprocesses share them.
    """
    # Where the name is made, not builder.pdf's copy: importing builder.pdf (reportlab) cost
    # xdist's controller, which runs no test, 0.5 s of CPU as the workers start.
    from builder.course_cache import CACHE_ENV

    temporary_files_in_memory()
    if getattr(config.option, "loadgroup", False):  # set on each xdist worker
        config.pluginmanager.register(GroupInTestId(), "cpo-group-in-test-id")
    for name, prefix in ((CACHE_ENV, "cpo-layouts-"), (TEMPLATES_ENV, "cpo-templates-")):
        if name not in os.environ:
            folder = tempfile.mkdtemp(prefix=prefix)
            os.environ[name] = folder
            config.add_cleanup(partial(shutil.rmtree, folder, ignore_errors=True))


class GroupInTestId:
    """Keep an `xdist_group` test's group in its id, where `--dist loadgroup` looks for it.

    pytest-xdist adds "@group" to a grouped test's id by setting `item._nodeid`; pytest 9.2
    keeps the id as a structured `item._id` instead, so the suffix is lost and the group's
    tests are spread over the workers: nothing fails, but each worker makes the corpus they
    share (pytest-xdist issue 1386; its fix, pull request 1388, is not released). This puts
    the suffix where pytest 9.2 reads it, the way that fix does, once xdist has named it;
    with an earlier pytest (or a fixed xdist) the id already ends with it and nothing is done.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Iterator[None]:
        yield  # after pytest-xdist's own hook has tried
        from _pytest.nodeid import NodeId

        for item in items:
            names = sorted(
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            )
            suffix = f"@{'_'.join(dict.fromkeys(names))}"
            if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
                item._id = NodeId.parse(item.nodeid + suffix)


# The checkout's own output folder: `make demo` writes there, and a library call or a `cpo`
# command given no folder of its own writes to ./output/... A test never should: what it
# writes there is left in the developer's checkout (workbooks for made-up clients).
OUTPUT = REPO / "output"
OUTPUT_BEFORE = pytest.StashKey[set[str]]()


def _output_files() -> set[str]:
    return {str(p.relative_to(OUTPUT)) for p in OUTPUT.rglob("*")} if OUTPUT.is_dir() else set()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the run's own process, not a worker
        session.config.stash[OUTPUT_BEFORE] = _output_files()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a test wrote into the checkout's output folder (once, at the end)."""
    before = session.config.stash.get(OUTPUT_BEFORE, None)
    if before is None:
        return
    written = sorted(_output_files() - before)
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        shown = ", ".join(written[:5]) + (
            f" and {len(written) - 5} more" if len(written) > 5 else ""
        )
        if reporter is not None:
            reporter.write_line(
                f"A test wrote into {OUTPUT} (give it tmp_path as its output folder): {shown}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# What makes a test slow: a real PostgreSQL server, a browser. `make test-fast` leaves them out.
SLOW_FIXTURES = {"postgres", "browser", "axe_source"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as `slow` every test that starts PostgreSQL or Chromium (see SLOW_FIXTURES)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        if names & SLOW_FIXTURES or on_postgres:
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish() -> None:
    """Leave what collection made (modules, the test items) out of later garbage collections.

    Each full collection walked them all again: about 3% of a test process's CPU, half of
    it saved so (measured with `gc.callbacks` over the web tests). Nothing is freed later
    that would have been: they live until the process ends.
    """
    gc.collect()
    gc.freeze()


def fast_first(values: Iterable[str], fast: str) -> list[ParameterSet]:
    """`values` as test parameters: `fast` runs in the fast loop, the others are `slow`.

    For tests that render and read back every page once per print profile: the fast loop
    checks the behaviour in one profile, `make test` (CI) in every one.
    """
    return [pytest.param(v, marks=() if v == fast else pytest.mark.slow) for v in values]


@pytest.fixture(autouse=True)
def quick_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 costs in tests, unless the test asks for `shipped_hashes`.

    Every tracker test makes an admin account, and a hash at the shipped cost takes most
    of a second on a loaded machine; how hard a hash is belongs to one test only.
    """
    if "shipped_hashes" in request.fixturenames:
        return
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        "tracker.accounts._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


# A course read by `load_course` as it stood: (folder, a digest of its files' names and bytes).
_COURSES: dict[tuple[Path, str], Course] = {}


def _as_it_stands(root: Path) -> tuple[Path, str]:
    """The folder and a digest of every file under it: a changed byte is a new key."""
    root = root.resolve()
    digest = hashlib.blake2b()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return root, digest.hexdigest()


@pytest.fixture(autouse=True)
def course_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`cpo` commands run in a test read a course folder once while its files stay the same.

    Each command reads the course (a second of Markdown parsing on a loaded machine), and a
    command-line test runs a dozen. What the reading finds is the loader's tests' concern
    (they import `load_course` themselves, unwrapped); a refused course is never kept.
    """
    from builder import loader

    real = loader.load_course

    def load_course(root: Path) -> Course:
        key = _as_it_stands(Path(root))
        if key not in _COURSES:
            _COURSES[key] = _first_reading(key, root, real)
        return _COURSES[key]

    monkeypatch.setattr(loader, "load_course", load_course)
    # `cpo content check` holds its own name for the loader; its module is imported by the
    # tests that use it (importing it here would cost every worker textstat's import).
    if "builder.check" in sys.modules:
        monkeypatch.setattr("builder.check.load_course", load_course)


# The keys being read now: the kept course reads through `load_course` itself.
_READING: set[tuple[Path, str]] = set()


def _first_reading(key: tuple[Path, str], root: Path, real: Callable[[Path], Course]) -> Course:
    """The course under `key` read for the first time: the shipped one is the run's kept course."""
    if key[0] != SHIPPED_COURSE.resolve() or key in _READING:
        return real(root)
    _READING.add(key)
    try:
        return shipped_course()
    finally:
        _READING.discard(key)


@pytest.fixture
def shipped_hashes() -> None:
    """Hash passwords at the shipped argon2 costs in this test."""


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


# The features Playwright (1.65) turns off in every Chromium it starts. Chromium reads only
# the last `--disable-features`, so ours names them again (`test_chromium_keeps_...` checks).
PLAYWRIGHT_DISABLED = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
# The address bar's pop-ups, which Chromium 156 loads at start-up into a renderer of their
# own, though headless Chromium has no address bar: about 1.5 s of CPU a launch, nothing else.
UNSEEN_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]

# Debian's Chromium, started the way this machine allows: no sandbox (tests may run as
# root), no GPU, and none of Chromium's own background requests to the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED + UNSEEN_FEATURES),
]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def missing(message: str) -> NoReturn:
    """A tool the tests need is missing: fail in CI (env CI set), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test opens its own context."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        missing("Chromium is not installed (apt-get install chromium, or run .ci/run)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, chromium_sandbox=False
        )
        yield chromium
        chromium.close()


def chromium_command_lines() -> list[list[str]]:
    """The arguments of each Chromium browser process Playwright started here (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone since the listing
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    ours, found = {os.getpid()}, True
    while found:  # the process tree below this one
        grown = ours | {pid for pid, parent in parents.items() if parent in ours}
        ours, found = grown, grown != ours
    lines = []
    for pid in ours:
        try:
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "--remote-debugging-pipe" in argv and not any(a.startswith("--type=") for a in argv):
            lines.append(argv)  # a browser process Playwright started (its child processes
            # have a --type; the crash reporter has neither)
    return lines


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, from npm (`make test` runs `npm ci` to install it)."""
    if not AXE.is_file():
        missing(f"axe-core is not installed ({AXE} is missing: run npm ci)")
    return AXE.read_text(encoding="utf-8")


def names(reference: str, text: str) -> bool:
    """Whether `text` names the client `reference` as a word, not inside a random code."""
    return re.search(rf"(?<![\w-]){re.escape(reference)}(?![\w-])", text) is not None
