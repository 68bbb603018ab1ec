"""Reads kept while the records stay as they were: made once, shared by every thread.

Every change to the records moves the audit chain's head, so a read made at the same
head (and on the same day, for reads that count days) is the same read. Staff opening
their home pages at once wait for one computation per key, not one each (single-flight);
computations under different keys (two offices) run side by side.

A page that may lag the records by a moment (a home page's flags and counts) asks with
`latest`: it gets the last value made for the same question at once, while one thread
makes the new one, instead of every page waiting seconds after each change.
"""

from __future__ import annotations

import logging
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
        self._last: dict[Hashable, Hashable] = {}  # a question (family) -> its newest key
        self._refreshing: set[Hashable] = set()  # keys being made on a thread of their own
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T], family: Hashable = None) -> T:
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
                if family is not None:
                    self._last[family] = key
                while len(self._values) > self._most:
                    self._values.popitem(last=False)
        return value

    def latest(
        self, family: Hashable, key: Hashable, make: Callable[[], T], elsewhere: Callable[[], T]
    ) -> tuple[T, bool]:
        """The value under `key` and True; or, while it is made, the family's last value and False.

        The first to find `key` missing, with a value of the same `family` kept, starts
        `elsewhere` (which must not use the caller's connection) on a thread of its own
        and nobody waits for it; with nothing kept for the family, this is `get`.
        """
        with self._lock:
            if key in self._values:
                return self._values[key], True
            last = self._last.get(family)
            stale = self._values.get(last) if last is not None else None
            if last is not None and last in self._values:
                if key not in self._making and key not in self._refreshing:
                    self._refreshing.add(key)
                    threading.Thread(
                        target=self._refresh, args=(family, key, elsewhere), daemon=True
                    ).start()
                return stale, False  # type: ignore[return-value]
        return self.get(key, make, family), True

    def _refresh(self, family: Hashable, key: Hashable, make: Callable[[], Any]) -> None:
        try:
            self.get(key, make, family)
        except Exception:  # the next page to ask tries again; the page shown is the last one
            logging.getLogger(__name__).exception("making a kept read again failed")
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def clear(self) -> None:
        """Forget every value (tests that change the clock or the course)."""
        with self._lock:
            self._values.clear()
            self._last.clear()


KEPT = Kept()


def records_key(db: Database, today: date, *parts: Hashable) -> tuple[Hashable, ...]:
    """A key naming the records as they are now: the database, the chain's head, today.

    It reads only the chain's head (no record of anyone): callers are entry points,
    which have checked the account already.
    """
    with db.read() as tx:
        head = str(fingerprint(tx))
    return (db.url, head, today.isoformat(), *parts)


def family_of(key: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
    """The question a `records_key` asks, whatever the chain's head: the key without it."""
    return (key[0], *key[2:])
