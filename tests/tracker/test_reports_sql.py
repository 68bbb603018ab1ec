"""The weekly report counted in SQL equals the one built from statements, whatever the
records hold: modules issued twice on an order, revoked workbooks, a module the course
no longer has, credits reversed, work accepted with no hours left. On both engines."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import Clock, act_as_admin, shipped_course
from tests.tracker.pgserver import PostgresServer
from tests.tracker.seed import GONE, reissue, seed
from tracker.config import initialise
from tracker.reports import overdue_items, weekly_report, weekly_report_from_statements
from tracker.tracker import Tracker, open_tracker


@contextmanager
def records(request: pytest.FixtureRequest, db_url: str, folder: Path) -> Iterator[Tracker]:
    """A new, empty tracker on the engine of `db_url`.

    Each is a copy of the records migrated once a session (as the `tracker` fixture's are):
    a Hypothesis example migrating its own cost three times the copy on PostgreSQL.
    """
    name = uuid.uuid4().hex[:8]
    server: PostgresServer | None = None
    if db_url.startswith("postgresql"):
        server = request.getfixturevalue("postgres")
        url = server.new_database()
    else:
        url = str(folder / f"{name}.db")
        shutil.copyfile(request.getfixturevalue("sqlite_template"), url)
    try:
        config, _ = initialise(folder / name, database_url=url)
        with open_tracker(config, course_loader=shipped_course, clock=Clock()) as t:
            act_as_admin(t)
            yield t
    finally:
        if server is not None:
            server.drop_database(url)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rng=st.integers(0, 2**16),
    clients=st.integers(1, 25),
    share=st.sampled_from([0.0, 0.3, 1.0]),
    weeks_back=st.integers(0, 6),
)
def test_the_sql_report_equals_the_statements_report_for_any_records(
    request: pytest.FixtureRequest,
    db_url: str,
    tmp_path: Path,
    rng: int,
    clients: int,
    share: float,
    weeks_back: int,
) -> None:
    with records(request, db_url, tmp_path) as t:
        seed(t, {"east": clients, "west": 3}, modules=(0, 15), rng_seed=rng)
        reissue(t, share, rng_seed=rng + 1)
        week = t.today() - timedelta(weeks=weeks_back)
        for office in ("east", None, "east"):  # counted, then read from the rows kept
            assert weekly_report(t, office, week) == weekly_report_from_statements(t, office, week)


def test_a_module_issued_twice_and_one_gone_from_the_course_are_counted_once(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> None:
    with records(request, db_url, tmp_path) as t:
        seed(t, {"east": 60}, modules=(3, 15), rng_seed=3)
        reissue(t, 1.0, rng_seed=5)
        with t.db.read() as tx:
            twice = tx.scalar(
                "SELECT COUNT(*) FROM (SELECT w.order_id, k.module_id FROM tokens k"
                " JOIN workbooks w ON w.id = k.workbook_id"
                " GROUP BY w.order_id, k.module_id HAVING COUNT(*) > 1) d"
            )
            gone = tx.scalar("SELECT COUNT(*) FROM tokens WHERE module_id = ?", (GONE,))
        assert twice and gone  # the records hold what this test is about
        report = weekly_report(t, "east")
        assert report == weekly_report_from_statements(t, "east")
        known = len(t.course.modules)
        assert all(line.issued <= known for line in report.lines)
        assert sum(line.overdue for line in report.lines) == len(overdue_items(t, "east"))
