"""The tracker: records, keys, settings, the course and a clock, opened together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from builder.course import Course
from tracker import audit
from tracker.codes import Keyring
from tracker.config import Config
from tracker.store import Database, Transaction


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
) -> Tracker:
    """Open the records named in `config` (migrating them) with its keys."""
    if course_loader is None:
        from builder.loader import default_content_root, load_course

        def course_loader() -> Course:
            return load_course(default_content_root())

    t = Tracker(
        db=Database(config.database_url, create=False),
        config=config,
        keyring=config.keyring(),
        course_loader=course_loader,
        clock=clock or _utc_now,
    )
    try:
        t.audit_key = t.db.audit_key = audit.ensure_anchor(t.db, config.data_dir / "keys", t.now())
    except BaseException:
        t.close()
        raise
    return t
