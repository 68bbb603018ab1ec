"""Intake's worker processes start early, without importing the command's main module (issue 19).

Importing it again in every worker (cpo's, with the builder and the tracker behind it)
cost more than a second core gave back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SCRIPT = """
import sys
from pathlib import Path
if __name__ != "__main__":  # imported again, in a worker
    Path(sys.argv[1]).write_text("imported in a worker")
from multiprocessing import forkserver
from tracker.intake.pages import PageTask
from tracker.intake.workers import ReaderPool, warm_up
if __name__ == "__main__":
    warm_up(1, 10)
    warm_up(2, 1)
    assert forkserver._forkserver._forkserver_pid is None  # one worker or one page: none
    warm_up(2, 4)  # while the batch is planned: the reader loads in the forkserver
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    tasks = [PageTask(0, Path("missing.png"), "image", n) for n in range(4)]
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
    assert [r.position for r in reads] == [1, 2, 3, 4] and all(r.error for r in reads)
    assert forkserver._forkserver._forkserver_pid == server  # the workers came from it
    print("read", len(reads), __file__)
"""


def test_workers_do_not_import_the_main_module(tmp_path: Path) -> None:
    """Two workers read pages; the main module ran once, and is whole again afterwards.

    The forkserver is started ahead (`warm_up`) only for a batch that will have workers,
    and the workers come from it.
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
    assert done.stdout.strip() == f"read 4 {script}"
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
