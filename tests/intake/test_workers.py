"""Intake's worker processes start early, without importing the command's main module (issue 19).

Importing it again in every worker (cpo's, with the builder and the tracker behind it)
cost more than a second core gave back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO
from tracker.intake.pages import PageTask
from tracker.intake.sources import JPEG, PDF, PNG
from tracker.intake.spool import ROOT, Spool, clear_orphans, leave, take
from tracker.intake.workers import ReaderPool

SCRIPT = """
import os, sys, threading
from pathlib import Path
if __name__ != "__main__":  # imported again, in a worker
    Path(sys.argv[1]).write_text("imported in a worker")
from multiprocessing import forkserver
from tracker.intake.pages import PageTask
from tracker.intake.workers import ReaderPool, warm_up


def parent(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def read(tasks):
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
        parents = {parent(pid) for pid in pool.worker_pids()}
    assert [r.position for r in reads] == [1, 2, 3, 4] and all(r.error for r in reads)
    return parents


def in_a_thread(tasks, out):
    warm_up(1, 10)
    warm_up(2, 1)
    assert forkserver._forkserver._forkserver_pid is None  # one worker or one page: none
    warm_up(2, 4)  # while the batch is planned: the reader loads in the forkserver
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    out.append(read(tasks) == {server})  # the workers came from it


if __name__ == "__main__":
    tasks = [PageTask(0, Path("missing.png"), "image", n) for n in range(4)]
    warm_up(2, 4)  # the command line's main thread: no forkserver, the workers are forked
    assert forkserver._forkserver._forkserver_pid is None
    assert read(tasks) == {os.getpid()}
    out = []
    thread = threading.Thread(target=in_a_thread, args=(tasks, out))  # as the web app's
    thread.start()
    thread.join()
    print("read", out, __file__)
"""


def test_workers_do_not_import_the_main_module(tmp_path: Path) -> None:
    """Two workers read pages; the main module ran once, and is whole again afterwards.

    On the command line (the main thread, alone) the workers are forked from the intake
    process and no forkserver starts; in another thread (the web app's) the forkserver
    is started ahead (`warm_up`) only for a batch that will have workers, and the
    workers come from it.
    """
    script, marker = tmp_path / "main.py", tmp_path / "imported"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(marker)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"read [True] {script}"
    assert not marker.exists()


CRASHING = """
import functools, os
import tracker.intake.pages as pages

read = pages.read_page


@functools.wraps(read)
def read_page(task):
    if task.path.name.startswith("crash"):
        os._exit(1)  # as a reader that runs out of memory is killed
    return read(task)


pages.read_page = read_page
"""

CRASH_SCRIPT = """
from pathlib import Path
from tracker.intake.pages import PageTask
from tracker.intake.workers import BROKE, ReaderPool
if __name__ == "__main__":
    names = ["crash" if n in (5, 6, 13) else "missing" for n in range(20)]
    tasks = [PageTask(n, Path(f"{name}.png"), "image", 0) for n, name in enumerate(names)]
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
    print([r.file_index for r in reads])
    print([n for n, r in enumerate(reads) if r.error == BROKE])
"""


def test_a_page_that_stops_its_worker_is_refused_alone(tmp_path: Path) -> None:
    """A page that kills its worker (as running out of memory does) is refused alone.

    Every other page, before and after it, is read, in order, once.
    """
    (tmp_path / "sitecustomize.py").write_text(CRASHING)  # loaded by every process here
    script = tmp_path / "main.py"
    script.write_text(CRASH_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    order, broke = done.stdout.strip().splitlines()
    assert order == str(list(range(20)))
    assert broke == "[5, 6, 13]"


ONCE = """
import functools, os
from pathlib import Path
import tracker.intake.pages as pages

read = pages.read_page


@functools.wraps(read)
def read_page(task):
    marker = Path(os.environ["MARKERS"]) / task.path.name
    if task.path.name.startswith("once") and not marker.exists():
        marker.write_text("killed once")
        os._exit(1)  # as a reader killed from outside is: the page itself is fine
    return read(task)


pages.read_page = read_page
"""

ONCE_SCRIPT = """
from pathlib import Path
from tracker.intake.pages import PageTask
from tracker.intake.workers import BROKE, ReaderPool
if __name__ == "__main__":
    names = ["once-a" if n == 3 else "once-b" if n == 4 else f"missing-{n}" for n in range(12)]
    tasks = [PageTask(n, Path(f"{name}.png"), "image", 0) for n, name in enumerate(names)]
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
    print([r.file_index for r in reads])
    print([n for n, r in enumerate(reads) if r.error == BROKE or not r.error])
"""


def run_with(tmp_path: Path, custom: str, script: str) -> list[str]:
    """Run `script` with `custom` loaded by every process (the workers too): its lines out."""
    (tmp_path / "sitecustomize.py").write_text(custom)
    (tmp_path / "main.py").write_text(script)
    (tmp_path / "markers").mkdir()
    done = subprocess.run(
        [sys.executable, str(tmp_path / "main.py")],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
            "MARKERS": str(tmp_path / "markers"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_a_worker_killed_from_outside_loses_no_page(tmp_path: Path) -> None:
    """A worker killed while reading a page that is fine (by the system, say): the page is
    read again alone and kept, not refused; each page comes back once, in order."""
    order, refused = run_with(tmp_path, ONCE, ONCE_SCRIPT)
    assert order == str(list(range(12)))
    assert refused == "[]"  # every page read: none refused, none without its own error
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == ["once-a.png", "once-b.png"]


PROPERTY_SCRIPT = """
from pathlib import Path
from hypothesis import given, settings, strategies as st
from tracker.intake.pages import PageTask
from tracker.intake.workers import BROKE, ReaderPool


@settings(max_examples=10, deadline=None, database=None)
@given(st.integers(3, 10), st.sets(st.integers(0, 9), min_size=1, max_size=4))
def check(count, crashing):
    names = ["crash" if n in crashing else "missing" for n in range(count)]
    tasks = [PageTask(n, Path(f"{name}-{n}.png"), "image", 0) for n, name in enumerate(names)]
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
    assert [r.file_index for r in reads] == list(range(count))
    assert {n for n, r in enumerate(reads) if r.error == BROKE} == crashing & set(range(count))


if __name__ == "__main__":
    check()
    print("held")
"""


def test_pages_that_stop_their_worker_are_refused_alone_wherever_they_are(
    tmp_path: Path,
) -> None:
    """Any pages, anywhere in a batch (one after another, first, last): those refused are
    exactly the pages that stop their reader; the others come back, in order, once."""
    assert run_with(tmp_path, CRASHING, PROPERTY_SCRIPT) == ["held"]


def noise_pages(folder: Path) -> list[PageTask]:
    """A phone photo with EXIF (stripped as kept), a scanner's PDF of two pages, a PNG: no codes."""
    grey = [Image.effect_noise((400, 560), 60 + 20 * n) for n in range(4)]
    photo, scan, png = folder / "photo.jpg", folder / "scan.pdf", folder / "page.png"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # metadata the kept page leaves out
    grey[0].save(photo, "JPEG", quality=80, exif=exif)
    grey[1].save(scan, "PDF", save_all=True, append_images=[grey[2]], resolution=50, quality=80)
    grey[3].save(png, "PNG")
    return [
        PageTask(0, photo, JPEG, 0),
        PageTask(1, scan, PDF, 0),
        PageTask(1, scan, PDF, 1),
        PageTask(2, png, PNG, 0),
    ]


@pytest.mark.slow  # ~3 s of CPU; the other worker tests read through the spool too
def test_workers_leave_the_evidence_in_the_spool_and_it_is_what_one_process_keeps(
    tmp_path: Path,
) -> None:
    """Only a file's name crosses back from a worker; its bytes are the page as kept.

    The spool is in the data folder, owner-only, and gone with its files once the pool is.
    """
    tasks = noise_pages(tmp_path)
    with ReaderPool(1, len(tasks), tmp_path) as pool:
        here = list(pool.read(tasks))
    assert not (tmp_path / ROOT).exists()  # one process: nothing spooled

    with ReaderPool(2, len(tasks), tmp_path) as pool:
        assert pool.spool is not None and pool.spool.folder
        spool = Path(pool.spool.folder)
        read = list(pool.read(tasks))
        sheets = [sheet for page in read for sheet in page.sheets]
        assert all(s.spooled and not s.evidence for s in sheets)
        assert {Path(s.spooled).parent for s in sheets} == {spool}
        assert [Path(s.spooled).stat().st_mode & 0o777 for s in sheets] == [0o600] * 4
        assert spool.stat().st_mode & 0o777 == 0o700
        kept = [s.image() for s in sheets]

    assert kept == [sheet.evidence for page in here for sheet in page.sheets]
    assert b"PhoneMaker" not in kept[0] and all(kept)
    assert not spool.exists() and list((tmp_path / ROOT).iterdir()) == []


def test_a_spool_left_by_a_killed_intake_is_cleared_and_a_running_ones_is_not(
    tmp_path: Path,
) -> None:
    """A spool folder's lock ends with its intake: the next intake deletes a folder so freed."""
    (tmp_path / ROOT).mkdir()
    left = tmp_path / ROOT / "12345-killed"
    left.mkdir()
    (left / "0-0-0.jpg").write_bytes(b"a page of a scan never recorded")
    with Spool(tmp_path) as running, Spool(tmp_path) as other:
        assert running.folder and other.folder and running.folder != other.folder
        assert not left.exists()
        assert Path(running.folder).is_dir() and Path(other.folder).is_dir()
        leave(running.folder, "0-0-0.jpg", b"evidence")
        clear_orphans(tmp_path / ROOT)  # as a third intake starting now would
        assert take(str(Path(running.folder) / "0-0-0.jpg")) == b"evidence"
    assert list((tmp_path / ROOT).iterdir()) == []


@pytest.mark.slow  # ~1.6 s of CPU for a fallback that costs only speed
def test_without_a_spool_the_evidence_comes_back_through_the_pipe(tmp_path: Path) -> None:
    """A data folder the spool cannot be made in (read-only, say) costs only the speed."""
    tasks = noise_pages(tmp_path)
    (tmp_path / ROOT).write_text("not a folder")  # the spool cannot be made here
    with ReaderPool(2, len(tasks), tmp_path) as pool:
        assert pool.spool is not None and not pool.spool.folder
        read = list(pool.read(tasks))
    assert all(s.evidence and not s.spooled for page in read for s in page.sheets)
