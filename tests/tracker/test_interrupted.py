"""A batch check-in killed part-way loses nothing it reported, and running it again finishes it.

The real `cpo checkin` reads codes from standard input, as a USB scanner types them,
and is killed with SIGKILL once it has reported some of them. Nothing reported may
be lost, no return may be half written, and the same batch run again records the rest.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, SHIPPED_COURSE
from tests.tracker.conftest import make_order, staff_account
from tracker import audit
from tracker.accounts import Role
from tracker.checkin_bulk import each_code
from tracker.checkins import DUPLICATE, GROUP, RECORD, RECORDED
from tracker.issuing import issue
from tracker.tracker import Tracker

CPO = REPO / ".venv" / "bin" / "cpo"
BATCH = 40  # codes from three workbooks
REPORTED = 15  # lines read before the kill
RECORDED_LINE = re.compile(r"Recorded +R(\d+) +(\S+) +(\S+) +\(workbook (\w+)\)")


@pytest.fixture
def batch(tracker: Tracker, tmp_path: Path) -> dict[str, str]:
    """Forty codes, as scanned (QR payloads) and typed, each with its token's code."""
    codes: dict[str, str] = {}
    for client in ("C-1", "C-2", "C-3"):
        make_order(tracker, client)
        issued = issue(tracker, client, "ana", out_root=tmp_path / "out")  # all fifteen
        for number, m in enumerate(issued.modules):
            symbols = m.code.replace("-", "")
            codes[m.payload if number % 2 else m.code] = symbols
    return dict(list(codes.items())[:BATCH])


def cpo_env(tracker: Tracker) -> dict[str, str]:
    staff_account(tracker, "fay", Role.FACILITATOR, ["north"])  # the command line acts as her
    env = dict(
        os.environ,
        CPO_DATA=str(tracker.config.data_dir),
        CPO_USER="fay",
        CPO_CONTENT=str(SHIPPED_COURSE),
    )
    env.pop("CPO_DATABASE_URL", None)
    if tracker.db.engine == "postgresql":
        env["CPO_DATABASE_URL"] = tracker.db.url
    return env


def returns(tracker: Tracker) -> list[dict[str, object]]:
    """Every return with its token's code and its audit entry (its own or its group's)."""
    with tracker.db.read() as tx:
        found = tx.all(
            "SELECT r.*, k.code, a.id AS logged FROM returns r"
            " JOIN tokens k ON k.id = r.token_id"
            " LEFT JOIN audit_log a ON a.action = 'return.record'"
            " AND a.subject = 'R' || CAST(r.id AS TEXT)"
            " ORDER BY r.id"
        )
        grouped = {
            subject
            for entry in tx.all("SELECT details FROM audit_log WHERE action = ?", (GROUP,))
            for action, subject, _ in each_code(json.loads(entry["details"]))
            if action == RECORD
        }
    return [{**r, "logged": r["logged"] or f"R{r['id']}" in grouped} for r in found]


@pytest.mark.slow  # a large corpus, or real cpo processes killed
@pytest.mark.parametrize(
    "fed", [0, 20, BATCH], ids=["scanned-one-at-a-time", "twenty-queued", "all-queued"]
)
def test_a_killed_batch_loses_nothing_and_finishes_when_run_again(
    tracker: Tracker, batch: dict[str, str], tmp_path: Path, fed: int
) -> None:
    """SIGKILL after 15 reported: those are kept, none half written; a re-run does the rest.

    Codes queued together are stored in groups (issue 19); a code that arrives alone,
    once the one before it is reported (fed 0), is stored in a transaction of its own.
    """
    texts = list(batch)
    process = subprocess.Popen(
        [str(CPO), "checkin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cpo_env(tracker),
        cwd=tmp_path,
    )
    assert process.stdin and process.stdout
    reported = []
    if fed:
        process.stdin.write("".join(f"{text}\n" for text in texts[:fed]))
        process.stdin.flush()  # stdin stays open: the scanner is still plugged in
        reported = [process.stdout.readline() for _ in range(REPORTED)]
    for text in texts[:REPORTED] if not fed else ():
        process.stdin.write(f"{text}\n")
        process.stdin.flush()
        reported.append(process.stdout.readline())
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    # Each line reports one code, in order, after its return was committed.
    kept = {r["id"]: r for r in returns(tracker)}
    for text, line in zip(texts, reported, strict=False):
        match = RECORDED_LINE.match(line)
        assert match, line
        assert kept[int(match[1])]["code"] == batch[text]
    # Nothing half written: each return is whole and logged, once per code, in batch order.
    rows = list(kept.values())
    assert REPORTED <= len(rows) <= (fed or REPORTED)
    assert [r["code"] for r in rows] == [batch[text] for text in texts[: len(rows)]]
    for row in rows:
        assert row["received_at"] and row["recorded_by"] == "fay" and row["logged"]
        assert (row["attempt"], row["arrived_by"]) == (1, "scanner")
    assert audit.verify(tracker.db).ok

    again = subprocess.run(
        [str(CPO), "checkin", "--json"],
        input="".join(f"{text}\n" for text in texts),
        capture_output=True,
        text=True,
        env=cpo_env(tracker),
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    results = [json.loads(line) for line in again.stdout.splitlines()]
    assert [r["code"] for r in results] == texts
    done = len(rows)
    assert all(r["status"] == DUPLICATE for r in results[:done])
    assert all("already received" in r["reason"] for r in results[:done])
    assert all(r["status"] == RECORDED for r in results[done:])
    final = returns(tracker)
    assert sorted(str(r["code"]) for r in final) == sorted(batch.values())
    assert all(r["logged"] for r in final)
    assert audit.verify(tracker.db).ok
