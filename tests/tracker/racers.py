"""Workers for the concurrency tests: each runs in a process of its own and races another.

A worker opens the tracker in a data folder, then for each round says it is ready
(a file `<round>.<name>.ready`) and waits for the starting gun (a file `<round>.go`),
so both workers act at the same moment. It writes what happened to `<name>.json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from builder import Course
from builder.course_cache import load_course_kept
from tracker.checkins import checkin_one
from tracker.config import load
from tracker.errors import TrackerError
from tracker.marking import mark
from tracker.tracker import Tracker, open_tracker

CONTENT = Path(__file__).resolve().parents[2] / "content"
PATIENCE = 60.0  # seconds a worker waits for the gun before giving up


def _course() -> Course:
    """The course as `cpo` gets it: read by the first racer of the run, then kept on disk."""
    return load_course_kept(CONTENT)


def wait_for(path: Path, seconds: float = PATIENCE) -> None:
    """Poll until `path` exists; TimeoutError after `seconds`."""
    give_up = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > give_up:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.0005)


def race(data_dir: str, barrier: str, name: str, jobs: list[tuple[str, object]]) -> None:
    """Do each job in its round, at the same moment as the other worker."""
    outcomes: list[dict[str, object]] = []
    with open_tracker(load(Path(data_dir)), course_loader=_course, login="tester") as t:
        assert t.course.modules  # load the course before the gun, not after it
        for number, (kind, argument) in enumerate(jobs):
            (Path(barrier) / f"{number}.{name}.ready").touch()
            wait_for(Path(barrier) / f"{number}.go")
            outcomes.append(_do(t, name, kind, argument))
    (Path(barrier) / f"{name}.json").write_text(json.dumps(outcomes))


def _do(t: Tracker, name: str, kind: str, argument: object) -> dict[str, object]:
    if kind == "checkin":
        return checkin_one(t, str(argument), name, arrived_by="scanner").as_json()
    assert kind == "mark" and isinstance(argument, int)
    module = module_of(t, argument)
    tried = {a.id: True for a in t.course.module(module).activities}
    try:
        marked = mark(t, argument, "accept", name, tried, declared_minutes=120)
    except TrackerError as err:
        return {"ok": False, "error": str(err)}
    return {"ok": True, "credited": marked.credited, "credit": marked.credit_id}


def module_of(t: Tracker, return_id: int) -> str:
    """The module a return is of."""
    with t.db.read() as tx:
        return str(
            tx.scalar(
                "SELECT k.module_id FROM returns r JOIN tokens k ON k.id = r.token_id "
                "WHERE r.id = ?",
                (return_id,),
            )
        )
