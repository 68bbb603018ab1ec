"""Intake's worker processes start without importing the command's main module (issue 19).

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
from tracker.intake.pages import PageTask
from tracker.intake.workers import ReaderPool
if __name__ == "__main__":
    tasks = [PageTask(0, Path("missing.png"), "image", n) for n in range(4)]
    with ReaderPool(2, len(tasks)) as pool:
        reads = list(pool.read(tasks))
    assert [r.position for r in reads] == [1, 2, 3, 4] and all(r.error for r in reads)
    print("read", len(reads), __file__)
"""


def test_workers_do_not_import_the_main_module(tmp_path: Path) -> None:
    """Two workers read pages; the main module ran once, and is whole again afterwards."""
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
