"""The processes that read pages: they end with the command, however the command ends.

Workers are forked from a forkserver that has loaded the reader once, started while the
batch is still planned (`warm_up`). Each worker is
bound to the intake process that asked for it: Linux kills it if its parent (the
forkserver) dies, and a thread in it waits on the intake process itself (a pidfd) and
ends the worker the moment that process is gone, even by SIGKILL, which no handler sees.
The forkserver ends by itself once the intake process is gone (its pipe closes), and the
resource tracker once the forkserver and the workers have.

A worker started by multiprocessing imports the parent's main module again (`cpo`'s,
with the builder and the tracker behind it, or a benchmark's) before it reads a page;
that start-up cost more than the second core gave back (issue 19). The workers need
nothing of it, so it is hidden while they start (`_main_hidden`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

from tracker.intake.images import keep_image_memory
from tracker.intake.pages import PageRead, PageTask, read_page
from tracker.intake.spool import Spool

_PR_SET_PDEATHSIG = 1


class ReaderPool:
    """Maps `read_page` over the tasks: in worker processes, or here for a page or two."""

    def __init__(self, workers: int | None, pages: int, data_dir: Path | None = None) -> None:
        self.workers = min(workers or os.cpu_count() or 1, max(pages, 1))
        self.pool: ProcessPoolExecutor | None = None
        # Where the workers leave the pages' evidence (only its name crosses the pipe).
        self.spool = Spool(data_dir) if data_dir is not None and self.workers > 1 else None

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stop()
        finally:
            if self.spool is not None:
                self.spool.close()  # after the workers: none is writing into it

    def read(self, tasks: list[PageTask]) -> Iterator[PageRead]:
        """Each task's reading, in order. A page that brings a worker down is refused alone."""
        if self.workers <= 1:
            keep_image_memory()
            yield from map(read_page, tasks)
            return
        if self.spool is not None and self.spool.folder:
            tasks = [task._replace(spool=self.spool.folder) for task in tasks]
        done, broke_at = 0, -1
        while done < len(tasks):
            try:
                with _main_hidden():  # the workers start as the tasks are handed out
                    reads = self._start().map(read_page, tasks[done:])
                for read in reads:
                    yield read
                    done += 1
            except BrokenProcessPool:
                self._stop(broken=True)
                if broke_at == done:  # a fresh pool broke before this page came back
                    yield self._alone(tasks[done])
                    done += 1
                broke_at = done

    def _alone(self, task: PageTask) -> PageRead:
        """Read one page in a pool of its own: refused only if it brings that pool down.

        A pool breaks for every page not yet back, so a page that merely came back after
        another page broke the pool is not taken for the culprit.
        """
        try:
            with _main_hidden():
                return self._start().submit(read_page, task).result()
        except BrokenProcessPool:
            self._stop(broken=True)
            return PageRead(task.file_index, task.page + 1, error=BROKE)

    def _start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=_context(), initializer=watch, initargs=(os.getpid(),)
            )
            _widen_results_pipe(self.pool)
        return self.pool

    def _stop(self, broken: bool = False) -> None:
        if self.pool is not None:
            if broken:  # by a page: end its workers here (see `_end_workers`)
                _end_workers(self.pool)
            # Waited for even when broken: its clean-up closes pipes, which must not
            # happen while the next pool is made (a new pipe can take a closed one's number).
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a broken pool's worker processes, so that its clean-up cannot wait for one.

    CPython 3.11's pool ends the workers it knows of when one dies, then waits for them
    all; a worker it started for a task handed out just then is not ended, and the
    intake hung at exit, waiting for it (about one crash run in twenty). By the time the
    broken pool is noticed here, every task has been handed out, so every worker is known.
    """
    processes: Any = getattr(pool, "_processes", None)  # private: CPython's own
    for process in list((processes or {}).values()):
        process.kill()


def _widen_results_pipe(pool: ProcessPoolExecutor) -> None:
    """Let the pipe the pages' readings come back by hold a whole page's evidence.

    A reading carries its page's JPEG (a 300-dpi scan is some 700 KB). Through a pipe of
    the usual 64 KB, a worker waits for the intake process to take each 64 KB before it
    writes the next, about ten times a page, and the other worker waits behind it (they
    share the pipe), while the intake process is busy recording: cores sat idle. A 1 MB
    pipe (Linux's most for an unprivileged process) takes most readings in one write.
    """
    # The pool's result queue is private (CPython's concurrent.futures.process); where
    # it or F_SETPIPE_SZ is missing, only speed is lost.
    queue: Any = getattr(pool, "_result_queue", None)
    reader: Any = getattr(queue, "_reader", None)
    try:
        import fcntl  # POSIX only

        fcntl.fcntl(reader.fileno(), fcntl.F_SETPIPE_SZ, _RESULTS_PIPE_BYTES)  # Linux only
    except (ImportError, AttributeError, OSError):
        pass  # the pipe stays as it was (or /proc/sys/fs/pipe-max-size is lower)


_RESULTS_PIPE_BYTES = 1 << 20


def warm_up(workers: int | None, pages: int) -> None:
    """Start loading the reader for the workers now, if a batch this big will have them.

    The forkserver imports the reader (Pillow, zxing-cpp, PDFium, the tracker's codes)
    once, in a fraction of a second that the first worker would otherwise wait for; begun
    while the batch is planned, it runs beside the hashing. It is started once a process.
    """
    if ReaderPool(workers, pages).workers > 1:
        _context()
        with _main_hidden():
            forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    """The forkserver context, its server loading only this module (and what it imports)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tracker.intake.workers"])
    return context


@contextmanager
def _main_hidden() -> Iterator[None]:
    """While workers start: give them no main module to import (they need only this one)."""
    main = sys.modules["__main__"]
    saved: dict[str, object] = {
        name: main.__dict__[name] for name in ("__spec__", "__file__") if name in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


BROKE = (
    "reading this page stopped the reader process (it may need more memory than this "
    "computer has): scan it again at 300 dpi"
)


def watch(intake_pid: int) -> None:
    """In a worker: end when the intake process or the forkserver ends, however it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the intake process decides when to stop
    keep_image_memory()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pidfd thread below still watches
    if os.getppid() == 1:  # the forkserver is gone already
        os._exit(1)
    try:
        handle = os.pidfd_open(intake_pid)
    except ProcessLookupError:  # the intake process has ended already
        os._exit(1)
    except (OSError, AttributeError):
        return  # no pidfds (before Linux 5.3): the forkserver's end still ends this worker
    threading.Thread(target=_wait_for, args=(handle,), daemon=True).start()


def _wait_for(handle: int) -> None:
    select.select([handle], [], [])  # readable once the process has ended
    os._exit(1)
