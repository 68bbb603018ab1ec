"""Reads kept while the records stay as they were: made once, shared by every thread.

Every change to the records moves the audit chain's head, so a read made at the same
head (and on the same day, for reads that count days) is the same read. Staff opening
their home pages at once wait for one computation per key, not one each (single-flight);
computations under different keys (two offices) run side by side.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

from tracker.audit import fingerprint
from tracker.store import Database

T = TypeVar("T")
KEPT_AT_MOST = 64  # reads kept at once, a few per office; the oldest is dropped first


class Kept:
    """Values by key, each computed by one thread while others asking for it wait."""

    def __init__(self, most: int = KEPT_AT_MOST) -> None:
        self._most = most
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under `key`, made now by `make` if nobody has made it yet."""
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            making = self._making.setdefault(key, threading.Lock())
        with making:  # the first thread makes it; the others wait here, then find it
            with self._lock:
                if key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            try:
                value = make()
            except BaseException:  # told to this caller; the next one tries again
                with self._lock:
                    self._making.pop(key, None)
                raise
            with self._lock:
                self._values[key] = value
                self._making.pop(key, None)
                while len(self._values) > self._most:
                    self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value (tests that change the clock or the course)."""
        with self._lock:
            self._values.clear()


KEPT = Kept()


def records_key(db: Database, today: date, *parts: Hashable) -> tuple[Hashable, ...]:
    """A key naming the records as they are now: the database, the chain's head, today.

    It reads only the chain's head (no record of anyone): callers are entry points,
    which have checked the account already.
    """
    with db.read() as tx:
        head = str(fingerprint(tx))
    return (db.url, head, today.isoformat(), *parts)
