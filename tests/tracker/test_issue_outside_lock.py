"""Issuing records the codes in one short transaction and prints outside it (issue 19).

A crash between the two leaves a recorded workbook with no half-written files, and
`cpo workbook print NUMBER` prints it again with the same codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tracker.conftest import cli_order, make_order, snapshot, stand_in_files
from tracker.errors import NotPrinted, TrackerError
from tracker.issuing import PrintJob, issue, reprint, revoke
from tracker.tracker import Tracker


def in_transaction(t: Tracker) -> bool:
    """Whether this tracker's connection has a transaction open (and so may hold the lock)."""
    conn: Any = t.db._conn
    if t.db.engine == "sqlite":
        return bool(conn.in_transaction)
    from psycopg.pq import TransactionStatus

    return bool(conn.info.transaction_status != TransactionStatus.IDLE)


def test_the_workbook_is_printed_with_no_transaction_open(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the files are printed the records are free, and the codes are already stored."""
    make_order(tracker)
    seen: list[tuple[bool, int]] = []

    def renderer(job: PrintJob, folder: Path) -> tuple[str, ...]:
        with tracker.db.read() as tx:
            stored = int(tx.scalar("SELECT COUNT(*) FROM tokens") or 0)
        seen.append((in_transaction(tracker), stored))
        return stand_in_files(job, folder)

    monkeypatch.setattr("tracker.issuing.RENDERER", renderer)
    issued = issue(tracker, "C-1", "ana", module_ids=["WB1", "WB2"], out_root=tmp_path / "out")
    assert seen == [(False, 2)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [issued.number]


def test_a_crash_while_printing_keeps_the_record_and_prints_again(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No folder half written; `workbook print` writes the same codes, and is audited."""
    make_order(tracker)

    def broken(job: PrintJob, folder: Path) -> tuple[str, ...]:
        (folder / "workbook.pdf").write_text("half")
        raise TrackerError("the disk is full")

    monkeypatch.setattr("tracker.issuing.RENDERER", broken)
    with pytest.raises(NotPrinted, match=r"workbook W\w+ is recorded.*cpo workbook print") as err:
        issue(tracker, "C-1", "ana", module_ids=["WB1", "HC1"], out_root=tmp_path / "out")
    number = err.value.number
    assert (
        list((tmp_path / "out").iterdir()) == []
    )  # nothing half written, not even a hidden folder
    with tracker.db.read() as tx:
        codes = [r["code"] for r in tx.all("SELECT code FROM tokens ORDER BY id")]

    monkeypatch.setattr("tracker.issuing.RENDERER", stand_in_files)
    again = reprint(tracker, number.lower(), "bo", out_root=tmp_path / "out")
    assert [m.code.replace("-", "") for m in again.modules] == codes
    assert [m.module_id for m in again.modules] == ["WB1", "HC1"]
    text = (tmp_path / "out" / number / "workbook.pdf").read_text()
    assert all(m.code in text for m in again.modules)
    with tracker.db.read() as tx:
        printed = tx.all("SELECT actor FROM audit_log WHERE action = 'workbook.print'")
    assert printed == [{"actor": tracker.actor.login}]  # the account, never free text


def test_printing_again_replaces_the_files_whole(tracker: Tracker, tmp_path: Path) -> None:
    """A workbook printed again has one folder with both files; no hidden leftovers."""
    make_order(tracker)
    issued = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path / "out")
    (issued.folder / "letter.pdf").unlink()
    again = reprint(tracker, issued.number, "ana", out_root=tmp_path / "out")
    assert again.files == issued.files and all(f.is_file() for f in again.files)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [issued.number]


def test_a_revoked_or_unknown_workbook_is_not_printed_again(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Its codes no longer work: refused with a reason, nothing written or recorded."""
    make_order(tracker)
    issued = issue(tracker, "C-1", "ana", module_ids=["WB1"], out_root=tmp_path / "a")
    revoke(tracker, issued.number, "lost in the post", "ana")
    before = snapshot(tracker)
    with pytest.raises(TrackerError, match="was revoked"):
        reprint(tracker, issued.number, "ana", out_root=tmp_path / "b")
    with pytest.raises(TrackerError, match="no workbook WZZZZZ"):
        reprint(tracker, "WZZZZZ", "ana", out_root=tmp_path / "b")
    assert snapshot(tracker) == before
    assert not (tmp_path / "b").exists()


def test_cpo_workbook_print(cpo: Any, tmp_path: Path) -> None:
    """The command prints a recorded workbook again and says where."""
    cpo("office", "add", "north", "--name", "North")
    cpo("client", "add", "C-1", "--name", "Alex Smith", "--office", "north", "--case-worker", "Ana")
    cli_order(cpo)
    first = cpo("issue", "C-1", "--modules", "WB1", "--json")
    number = first.output.split('"workbook": "')[1].split('"')[0]
    shown = cpo("workbook", "print", number)
    assert f"Printed workbook {number} for C-1 again" in shown.output
    assert "workbook.pdf" in shown.output
    missing = cpo("workbook", "print", "WZZZZZ", ok=False)
    assert "no workbook WZZZZZ" in missing.output and "Traceback" not in missing.output
