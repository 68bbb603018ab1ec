"""Intake's worker processes start early, without importing the command's main module (issue 19).

Importing it again in every worker (cpo's, with the builder and the tracker behind it)
cost more than a second core gave back.
"""

from __future__ import annotations

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
