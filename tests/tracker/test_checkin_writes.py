"""Records made before migration 10 keep their whole audit chain and its guards after it.

Migration 10 rebuilds the audit log on SQLite (without the index on each entry's hash)
and the journal table; on PostgreSQL it drops the hash's constraint. Every entry must
come through unchanged, the chain must still check, and the log must stay append-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tracker.conftest import Clock, act_as_admin, make_order, shipped_course
from tracker import store
from tracker.audit import verify
from tracker.checkins import checkin_groups
from tracker.config import initialise
from tracker.errors import TrackerError
from tracker.issuing import issue
from tracker.tracker import open_tracker

CHAIN = "SELECT id, at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY id"


def test_migration_10_keeps_the_chain_whole_and_append_only(
    db_url: str, tmp_path: Path, clock: Clock
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "MIGRATIONS", {n: s for n, s in store.MIGRATIONS.items() if n < 10})
        config, _ = initialise(tmp_path / "data", database_url=db_url)
        with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
            act_as_admin(t)
            make_order(t, "C-1")
            modules, out = [m.id for m in t.course.modules[:4]], tmp_path / "out"
            issued = issue(t, "C-1", "tester", module_ids=modules, out_root=out)
            codes = [m.code for m in issued.modules]
            assert all(r.recorded for r in checkin_groups(t, [codes[:2]], "tester"))
            with t.db.read() as tx:
                before = tx.all(CHAIN)
    with open_tracker(config, course_loader=shipped_course, clock=clock) as t:
        act_as_admin(t)
        with t.db.read() as tx:
            assert tx.all(CHAIN) == before
        assert verify(t.db).ok
        again = list(checkin_groups(t, [codes], "tester"))
        assert [r.status for r in again] == ["duplicate", "duplicate", "recorded", "recorded"]
        verdict = verify(t.db)
        assert verdict.ok, verdict.problems
        with pytest.raises(TrackerError, match="append-only"), t.db.write() as tx:
            tx.execute("UPDATE audit_log SET actor = 'eve' WHERE id = 1")
        with pytest.raises(TrackerError, match="append-only"), t.db.write() as tx:
            tx.execute("DELETE FROM audit_log WHERE id = 1")
