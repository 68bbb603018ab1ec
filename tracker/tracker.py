"""The tracker: records, keys, settings, the course and a clock, opened together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from builder.course import Course
from tracker import audit
from tracker.codes import Keyring
from tracker.config import Config
from tracker.store import Database, Transaction

if TYPE_CHECKING:
    from tracker.accounts import Actor


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Tracker:
    """Everything an operation needs. Open with `open_tracker`; close when done."""

    db: Database
    config: Config
    keyring: Keyring
    course_loader: Callable[[], Course]
    clock: Callable[[], datetime] = field(default=_utc_now)
    audit_key: bytes = b""  # set by open_tracker, which anchors the chain under it
    actor: Actor | None = None  # the staff account acting: every entry point checks it

    @cached_property
    def course(self) -> Course:
        return self.course_loader()

    def now(self) -> str:
        """This moment, as stored: ISO 8601 in UTC, to the second."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def audit(self, tx: Transaction, actor: str, action: str, subject: str, **details: Any) -> None:
        audit.record(tx, self.audit_key, self.now(), actor, action, subject, details)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_tracker(
    config: Config,
    course_loader: Callable[[], Course] | None = None,
    clock: Callable[[], datetime] | None = None,
    login: str | None = None,
) -> Tracker:
    """Open the records named in `config` (migrating them) with its keys, acting as `login`.

    KeyringError if the folder's keys are not the records' tracker's; NotPermitted if
    `login` is not an enabled account. With no login, only reading the audit chain and
    making the first account work: every other entry point refuses.
    """
    t = Tracker(
        db=Database(config.database_url, create=False),
        config=config,
        keyring=config.keyring(),
        course_loader=course_loader or default_course,
        clock=clock or _utc_now,
    )
    try:
        _start(t)
    except BaseException:
        t.close()
        raise
    if login is not None:
        from tracker.accounts import actor_for

        t.actor = actor_for(t, login)
    return t


def default_course() -> Course:
    """The course in the default content folder, as it is now (kept on disk between runs)."""
    from builder.course_cache import default_content_root, load_course_kept

    return load_course_kept(default_content_root())


def load_once(loader: Callable[[], Course]) -> Callable[[], Course]:
    """A loader that loads the course once, however many trackers and threads ask for it.

    For a long-running process (the web server): each thread has its own tracker, and
    loading the course takes seconds. Threads that ask while it loads wait for that one
    load rather than starting their own.
    """
    lock = threading.Lock()
    loaded: list[Course] = []

    def load() -> Course:
        with lock:
            if not loaded:
                loaded.append(loader())
            return loaded[0]

    return load


def _start(t: Tracker) -> None:
    """Check the data folder's keys are this tracker's, anchor the audit chain, record keys."""
    from tracker import keys

    folder = t.config.data_dir / "keys"
    keys.check(t.db, folder)  # before anything is made: a joining folder has no keys yet
    if keys.recorded(t.db) == {} and keys.holds_tracker(t.db) and not keys.local_keys(folder):
        raise keys.KeyringError("keys", f"{folder} has no keys of this tracker: {keys.JOIN}")
    t.audit_key = t.db.audit_key = audit.ensure_anchor(t.db, folder, t.now())
    keys.register(t.db, folder, t.now())
