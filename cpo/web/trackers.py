"""One open tracker per server thread, acting as the signed-in account for each request.

A `Tracker` holds one database connection, which must not be shared by two threads at
once (SQLite's connection is opened with check_same_thread=False but is not safe for
concurrent transactions; a psycopg connection runs one transaction at a time). Waitress
serves requests from a fixed pool of threads, so each thread opens its own tracker once
and reuses it; the actor is set at the start of a request and cleared at its end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tracker.accounts import Actor
from tracker.tracker import Tracker

Opener = Callable[[], Tracker]


class Trackers:
    """Hands each thread its own tracker, opened on first use by `opener`."""

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self._local = threading.local()
        self._opened: list[Tracker] = []
        self._lock = threading.Lock()

    def get(self) -> Tracker:
        """This thread's tracker (opened now if it has none yet)."""
        t: Tracker | None = getattr(self._local, "tracker", None)
        if t is None:
            t = self._opener()
            self._local.tracker = t
            with self._lock:
                self._opened.append(t)
        return t

    def open_new(self) -> Tracker:
        """A tracker of its own, for work on another thread (an intake); its caller closes it."""
        return self._opener()

    def act_as(self, actor: Actor | None) -> Tracker:
        """This thread's tracker, acting as `actor` (None: nobody, between requests)."""
        t = self.get()
        t.actor = actor
        return t

    def close(self) -> None:
        """Close every tracker opened (when the server stops, or a test ends)."""
        with self._lock:
            for t in self._opened:
                t.close()
            self._opened.clear()
