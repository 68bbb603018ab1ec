"""Intake's reading of files before the records: bombs refused with their size, every image
mode read true, no input that raises, and worker processes that end with the command."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageStat

from tests.conftest import REPO
from tests.intake.corpus import module_pages, render_page, render_workbooks
from tests.intake.files import MODES, in_mode, pdf_bomb, png_bomb, save, tiff_bomb
from tracker.accounts import act_as_first_admin
from tracker.config import initialise
from tracker.errors import IntakeError
from tracker.intake.kinds import inspect
from tracker.intake.pages import PageRead, PageTask, parse, read_page
from tracker.tracker import open_tracker

CPO = REPO / ".venv" / "bin" / "cpo"
TOO_LARGE = "too large to be a scanned page"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image.Image, str]:
    """A later page of WB1 (page code only) as a 200-dpi scan, and its page code."""
    pdf = render_workbooks(tmp_path_factory.mktemp("wb"), ["WB1"], ("standard",))[0]
    index, code = module_pages(pdf, ["WB1"])[3]
    return render_page(pdf, index, 200), code


def read_file(path: Path) -> list[PageRead]:
    source = inspect(path)
    return [read_page(PageTask(0, path, source.kind, n)) for n in range(source.pages)]


def test_a_pdf_image_over_the_budget_is_refused_with_its_size_not_decoded(tmp_path: Path) -> None:
    """144 MP declared in a few bytes: under Pillow's own bomb limit, over ours."""
    (read,) = read_file(pdf_bomb(tmp_path / "bomb.pdf"))
    assert read.sheets == () and TOO_LARGE in read.error and "12000 by 12000" in read.error


def test_a_tiff_with_a_huge_second_frame_is_refused_with_its_size(tmp_path: Path) -> None:
    path = tiff_bomb(tmp_path / "bomb.tif", Image.new("L", (200, 300), 255))
    with pytest.raises(IntakeError, match=r"frame 2 is too large .*\(20000 by 20000"):
        inspect(path)


def test_a_loose_image_over_the_budget_is_refused_with_its_size(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=f"{TOO_LARGE} \\(11000 by 11000"):
        inspect(png_bomb(tmp_path / "bomb.png"))


@pytest.mark.parametrize("mode", list(MODES))
def test_every_image_mode_is_read_and_kept_true_to_the_page(
    mode: str, page: tuple[Image.Image, str], tmp_path: Path
) -> None:
    """16-bit, palette, CMYK, 1-bit, alpha: the code is read, the evidence looks like the page."""
    image, code = page
    kind = MODES[mode]
    path = save(in_mode(image, mode), tmp_path / f"page.{kind}", kind)
    (read,) = read_file(path)
    (sheet,) = read.sheets
    assert code in sheet.codes
    with Image.open(io.BytesIO(sheet.evidence)) as evidence:
        # An RGB JPEG shows the same in any viewer: kept as it came. Any other: made grey.
        as_it_came = sheet.evidence == path.read_bytes()
        assert as_it_came if mode == "RGB" else evidence.mode == "L"
        kept = evidence.convert("L")
        shown = ImageStat.Stat(kept).mean[0]
        dark = sum(kept.histogram()[:96]) / (kept.width * kept.height)
    truth = ImageStat.Stat(image).mean[0]
    assert abs(shown - truth) < 15, (shown, truth)  # a clipped 16-bit page is ~254: all white
    assert dark > 0.01  # the text and the codes are there


SMALL_FILES = ("png", "tiff", "pdf", "jpeg")


@pytest.fixture(scope="module")
def small_files(page: tuple[Image.Image, str]) -> dict[str, bytes]:
    """The page as each kind of file, small, to be damaged at random."""
    image = page[0].reduce(4)
    files = {}
    for kind in SMALL_FILES:
        out = io.BytesIO()
        image.save(out, kind.upper(), **({"resolution": 50} if kind == "pdf" else {}))
        files[kind] = out.getvalue()
    return files


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(SMALL_FILES),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=6),
)
def test_a_damaged_file_is_refused_or_read_and_never_raises(
    small_files: dict[str, bytes],
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
    cut: float,
    flips: list[tuple[float, int]],
) -> None:
    """Cut short or with bytes changed: a reason, or pages read; no exception escapes."""
    data = bytearray(small_files[kind][: max(1, round(len(small_files[kind]) * cut))])
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    path = tmp_path_factory.mktemp("damaged") / f"scan.{kind}"
    path.write_bytes(bytes(data))
    try:
        source = inspect(path)
    except IntakeError as err:
        assert err.reason and "\n" not in err.reason
        return
    for n in range(source.pages):
        read = read_page(PageTask(0, path, source.kind, n))
        assert read.sheets or (read.error and "\n" not in read.error)


def descendants(pid: int) -> set[int]:
    """The processes below `pid` (children, theirs, ...), from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        above = todo.pop()
        children = {child for child, parent in parents.items() if parent == above}
        found |= children
        todo += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def slow_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 pages of print-like marks and no code: the reader tries every strategy on each.

    Made once for the module: each way of killing the intake reads the same file.
    """
    path = tmp_path_factory.mktemp("slow") / "slow.pdf"
    rng = random.Random(3)
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    for _ in range(3000):
        x, y = rng.randrange(1240), rng.randrange(1754)
        draw.rectangle((x, y, x + 8, y + 3), fill=0)
    pages = [page.rotate(n) for n in range(40)]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)
    return path


@pytest.mark.slow  # a large corpus, or real cpo processes killed
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_no_process_is_left_when_the_intake_is_killed(
    how: int, slow_pdf: Path, tmp_path: Path
) -> None:
    """The workers (forked from `cpo intake` itself) end with it."""
    config, _ = initialise(tmp_path / "data")
    with open_tracker(config) as t:  # the command line acts as an account: make it
        act_as_first_admin(t, "fac", "a long test password")
    env = {**os.environ, "CPO_DATA": str(tmp_path / "data"), "CPO_USER": "fac"}
    command = [str(CPO), "intake", "--workers", "2", str(slow_pdf)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    started = time.monotonic()
    helpers: set[int] = set()
    while len(helpers) < 2 and time.monotonic() - started < 60:  # the 2 workers
        time.sleep(0.05)
        helpers |= descendants(process.pid)
    assert len(helpers) >= 2, helpers

    process.send_signal(how)
    process.wait()

    started = time.monotonic()
    while any(alive(pid) for pid in helpers) and time.monotonic() - started < 10:
        time.sleep(0.05)
    left = {pid for pid in helpers if alive(pid)}
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_a_page_code_is_told_from_a_module_code() -> None:
    """The split between sheets goes by page codes: a module code alone places nothing."""
    assert parse("K1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBB.3.11").number == 3
    assert parse("k1.aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb").number is None
