"""The processes that read pages: they end with the command, however the command ends.

On the command line (the intake in a process's only thread), workers are forked from the
intake process itself, which has loaded the reader already. Elsewhere (the web app's
threads, where a fork could copy a lock another thread holds) they are forked from a
forkserver that has loaded the reader once, started while the batch is still planned
(`warm_up`); so is a worker started again after one has died. Each worker is
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
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing import connection, forkserver
from pathlib import Path

from tracker.intake import pages as page_reading
from tracker.intake.images import keep_image_memory
from tracker.intake.pages import PageRead, PageTask, read_page
from tracker.intake.spool import Spool

_PR_SET_PDEATHSIG = 1


class ReaderPool:
    """Reads pages: in worker processes, or here for a page or two (or with one worker)."""

    def __init__(self, workers: int | None, pages: int, data_dir: Path | None = None) -> None:
        self.workers = min(workers or os.cpu_count() or 1, max(pages, 1))
        self._dispatch: _Dispatch | None = None
        self._given = 0  # readings handed on by `read` so far
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
        self._given = 0
        if self.workers <= 1:
            keep_image_memory()
            for task in tasks:
                read = read_page(task)
                self._given += 1  # before it is handed on: `back_by` asks of the next ones
                yield read
            return
        if self.spool is not None and self.spool.folder:
            tasks = [task._replace(spool=self.spool.folder) for task in tasks]
        self._stop()
        self._dispatch = _Dispatch(self.workers, tasks)
        self._dispatch.start()
        for index in range(len(tasks)):
            read = self._dispatch.result(index)
            self._given += 1
            yield read

    def back_by(self, count: int, deadline: float) -> bool:
        """Whether the next `count` readings are back by `deadline` (`time.monotonic`).

        Waits for them until then. Read here, a page is read when it is asked for, so
        the answer is whether the deadline is still ahead.
        """
        if self._dispatch is None:
            return time.monotonic() < deadline
        return self._dispatch.back_by(range(self._given, self._given + count), deadline)

    def worker_pids(self) -> list[int]:
        """The worker processes' ids, while they run (for the benchmark's measures)."""
        return self._dispatch.pids() if self._dispatch is not None else []

    def _stop(self) -> None:
        if self._dispatch is not None:
            self._dispatch.stop()
            self._dispatch = None


class _Worker:
    """One reader process and its end of a pipe: tasks go out, readings come back, in order."""

    def __init__(self, forked: bool = False) -> None:
        context = _fork_here() if forked else _context()
        here, there = context.Pipe()
        self.process = context.Process(target=serve, args=(there, os.getpid()), daemon=True)
        with _main_hidden():
            self.process.start()
        there.close()
        self.conn = here
        self.sent: deque[int] = deque()  # tasks handed to it and not yet back, in order

    def end(self, kill: bool) -> None:
        """Ask the process to end (or kill it), wait for it, and close its pipe."""
        try:
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        except OSError:
            pass  # it has ended already
        self.process.join()
        self.conn.close()
        self.process.close()


class _Dispatch(threading.Thread):
    """Hands tasks to the workers a couple ahead and gathers their readings, beside the intake.

    A worker reads its tasks in the order given, so when one dies the page it was reading
    is the first not back; that page is read again in a process of its own and refused
    only if it brings that down too, and the pages queued behind it are handed out again.
    The other worker reads on. Its own thread, so the workers are kept busy while the
    intake process records a file (the pipe's ends are read and written without the GIL).
    """

    AHEAD = 2  # tasks a worker holds: the page it reads and the next, so it never waits

    def __init__(self, workers: int, tasks: list[PageTask]) -> None:
        super().__init__(name="intake-readers", daemon=True)
        self.tasks = tasks
        self.todo: deque[int] = deque(range(len(tasks)))
        # Started here, in the intake's own thread (forked from it if it is the only
        # thread); one that dies is replaced from the forkserver, in `run`'s thread.
        forked = _alone_here()
        self.slots: list[_Worker | None] = [_Worker(forked) for _ in range(workers)]
        self.lone: _Worker | None = None  # a page read again alone
        self.done: dict[int, PageRead] = {}
        self.failed: BaseException | None = None
        self.stopping = False
        self.changed = threading.Condition()

    def result(self, index: int) -> PageRead:
        """The reading of task `index`, once it is back (what went wrong here, raised)."""
        with self.changed:
            while index not in self.done and self.failed is None:
                self.changed.wait()
            if index in self.done:
                return self.done.pop(index)
            raise self.failed or RuntimeError("the page readers stopped")

    def back_by(self, indexes: range, deadline: float) -> bool:
        """Whether the readings of `indexes` are back by `deadline`, waiting until then."""
        with self.changed:
            while not all(index in self.done for index in indexes):
                left = deadline - time.monotonic()
                if left <= 0 or self.failed is not None or not self.changed.wait(left):
                    return all(index in self.done for index in indexes)
            return True

    def pids(self) -> list[int]:
        """The process ids of the workers reading now."""
        return [w.process.pid or 0 for w in self.slots if w is not None]

    def run(self) -> None:
        try:
            self._hand_out()
        except BaseException as err:  # given to the intake process to raise
            with self.changed:
                self.failed = err
                self.changed.notify_all()

    def _hand_out(self) -> None:
        while not self.stopping:
            for n, worker in enumerate(self.slots):
                self.slots[n] = self._fill(worker)
            busy = {w.conn: w for w in self.slots if w is not None and w.sent}
            if not busy:
                return  # every page is back
            for conn in connection.wait(list(busy)):
                self._take(busy[conn])  # type: ignore[index]

    def _fill(self, worker: _Worker | None) -> _Worker | None:
        """Hand `worker` tasks until it holds `AHEAD`, starting one if there is work for it."""
        while self.todo and (worker is None or len(worker.sent) < self.AHEAD):
            worker = worker or _Worker()
            index = self.todo.popleft()
            worker.sent.append(index)
            try:
                worker.conn.send(self.tasks[index])
            except OSError:  # it has just died: its pipe's end is read next, and says so
                break
        return worker

    def _take(self, worker: _Worker) -> None:
        """Take one reading back from `worker`; if it has died, deal with what it held."""
        try:
            read: PageRead = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
        else:
            self._deliver(worker.sent.popleft(), read)

    def _lost(self, worker: _Worker) -> None:
        """A worker died: read its page again alone, and hand the rest it held out again."""
        slot = self.slots.index(worker)
        self.slots[slot] = None
        worker.end(kill=True)
        if self.stopping:
            return
        culprit, *behind = worker.sent
        self.todo.extendleft(reversed(behind))
        self.lone = _Worker()
        try:
            self.lone.conn.send(self.tasks[culprit])
            read: PageRead = self.lone.conn.recv()
        except (EOFError, OSError):
            task = self.tasks[culprit]
            read = PageRead(task.file_index, task.page + 1, error=BROKE)
            self.lone.end(kill=True)
        else:
            self.slots[slot] = self.lone  # it reads on in the dead one's place
        self.lone = None
        self._deliver(culprit, read)

    def _deliver(self, index: int, read: PageRead) -> None:
        with self.changed:
            self.done[index] = read
            self.changed.notify_all()

    def stop(self) -> None:
        """End the workers: asked when all is read, killed if the intake stops early."""
        self.stopping = True
        early = self.is_alive()
        for worker in (self.lone, *self.slots):
            if worker is not None and early:
                with suppress(ValueError):  # ValueError: the thread has closed it already
                    worker.process.kill()  # wakes the thread: its pipe ends
        self.join()
        for worker in self.slots:
            if worker is not None:
                worker.end(kill=early)
        self.slots = []


def serve(conn: connection.Connection, intake_pid: int) -> None:
    """In a worker: read each page sent, sending its reading back, until told to end."""
    watch(intake_pid)
    with suppress(EOFError):  # the intake process has closed its end: nothing more to read
        while (task := conn.recv()) is not None:
            conn.send(page_reading.read_page(task))


def warm_up(workers: int | None, pages: int) -> None:
    """Start loading the reader for the workers now, if a batch this big will have them.

    The forkserver imports the reader (Pillow, zxing-cpp, PDFium, the tracker's codes)
    once, in a fraction of a second that the first worker would otherwise wait for; begun
    while the batch is planned, it runs beside the hashing. It is started once a process,
    and not at all in a process's main thread (the command line), whose workers are
    forked from the intake process itself (`_alone_here`).
    """
    if ReaderPool(workers, pages).workers > 1 and not _in_main_thread():
        _context()
        with _main_hidden():
            forkserver.ensure_running()


def _in_main_thread() -> bool:
    """Whether this is the process's main thread (the command line's, not the web app's)."""
    return threading.current_thread() is threading.main_thread()


def _alone_here() -> bool:
    """Whether workers can be forked from this process: its main thread, and no other."""
    # A fork copies the locks other threads hold, never to be let go in the copy; the
    # web app runs intake in a thread of its server, so it takes the forkserver.
    return (
        _in_main_thread()
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _fork_here() -> multiprocessing.context.ForkContext:
    """Workers forked from the intake process itself, the reader loaded already."""
    return multiprocessing.get_context("fork")


def _context() -> multiprocessing.context.ForkServerContext:
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
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a forked worker has the command's own
        signal.signal(signum, signal.SIG_DFL)
    keep_image_memory()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        _keep_freed_memory(libc)
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


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _keep_freed_memory(libc: ctypes.CDLL) -> None:
    """Let glibc keep this worker's freed memory for the next page instead of handing it back.

    A page's JPEG (about 1.2 MB) and its buffers are each asked of the system afresh
    otherwise, a page fault each 4 KB: about 280 a page, against 60 so (issue 19, round
    seven). A worker lives for one intake, so what it keeps is given back when it ends.
    """
    libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's most: blocks up to 32 MB from the heap
    libc.mallopt(_M_TRIM_THRESHOLD, 512 << 20)  # and the heap's free top kept up to 512 MB


def _wait_for(handle: int) -> None:
    select.select([handle], [], [])  # readable once the process has ended
    os._exit(1)
