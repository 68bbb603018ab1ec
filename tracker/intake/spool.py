"""Page images on their way from the reader processes to the records: files, not the pipe.

A page's evidence (its JPEG as it came, some 0.3 to 1.2 MB) used to come back from a
reader process through the results pipe: pickled, written, read back in pieces, joined
and unpickled, 3.3-3.6 ms of CPU a 1.2 MB page over the two processes, against 1.6-2.0
through a file (issue 19, round six). A reader now leaves it in a file of its own in a
spool folder in the data folder (owner-only, like the records), and only the file's
name crosses back; the intake process reads it as it records the file's pages, in that
file's transaction, then deletes it. The records stay the only place evidence is kept.

Nothing is lost to a crash: a page's file is deleted only once its scan's transaction
is over, and a scan not recorded is simply taken in again from the scan itself. A spool
folder is locked (flock) by the intake process that made it, so one left by an intake
that was killed is known by its free lock and deleted by the next intake; the lock ends
with the process, however it ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

ROOT = "intake-spool"  # under the data folder


class Spool:
    """A locked spool folder for one intake, removed (with any folder left by a crash) after."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = ""
        self._lock: int | None = None
        root = data_dir / ROOT
        try:
            root.mkdir(mode=0o700, exist_ok=True)
            clear_orphans(root)
            folder = tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root)  # mode 0700
            self._lock = _locked(folder)
        except OSError:
            return  # no spool: the readings bring their evidence back through the pipe
        if self._lock is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self.folder = folder

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the folder and whatever is left in it, then give up its lock."""
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = ""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _locked(folder: str) -> int | None:
    """An open handle holding the folder's lock, or None where flock is not to be had."""
    try:
        import fcntl  # POSIX only
    except ImportError:
        return None
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return None
    return handle


def clear_orphans(root: Path) -> None:
    """Delete the spool folders no running intake holds: left by one that was killed."""
    for folder in root.iterdir():
        with suppress(OSError):
            lock = _locked(str(folder))
            if lock is not None:
                try:
                    shutil.rmtree(folder, ignore_errors=True)
                finally:
                    os.close(lock)


def leave(folder: str, name: str, data: bytes) -> str:
    """Write a page's evidence into the spool folder; the file's path (OSError if it failed)."""
    path = str(Path(folder) / name)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:  # a write may take less than all of it
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)
    return path


def take(path: str) -> bytes:
    """The evidence a reader left at `path` (OSError if it is gone)."""
    return Path(path).read_bytes()


def discard(paths: Iterable[str]) -> None:
    """Delete spooled evidence once its scan's transaction is over (kept or not)."""
    for path in paths:
        Path(path).unlink(missing_ok=True)
