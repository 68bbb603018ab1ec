"""Importing a caseload export: per-row refusals, idempotence, dry runs and custom mappings."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.caseload import HEADINGS, caseload, row
from tests.tracker.conftest import planner_count, snapshot
from tracker.audit import verify
from tracker.import_mappings import MappingError, load_mapping, mapping_from, preset
from tracker.importing import Outcome, import_csv
from tracker.orders import find_order
from tracker.people import add_office
from tracker.tracker import Tracker

CAREFIRST = preset("carefirst")


def offices(t: Tracker) -> None:
    for code in ("north", "south", "east"):
        add_office(t, code, code.title(), "tester")


def csv_of(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADINGS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_bad_rows_are_named_and_the_rest_go_in(tracker: Tracker) -> None:
    offices(tracker)
    data, bad = caseload(60, 10)
    report = import_csv(tracker, data, CAREFIRST, "tester")
    assert report.count(Outcome.ADDED) == 50
    assert {r.line: r.field for r in report.refused} == bad
    if tracker.db.engine == "postgresql":  # the planner knows the new sizes at once
        assert planner_count(tracker, "clients") == planner_count(tracker, "orders") == 50
    before = snapshot(tracker)
    again = import_csv(tracker, data, CAREFIRST, "tester")
    assert again.count(Outcome.UNCHANGED) == 50 and again.count(Outcome.ADDED) == 0
    assert snapshot(tracker) == before


def test_a_dry_run_reports_the_same_and_changes_nothing(tracker: Tracker) -> None:
    offices(tracker)
    data, _ = caseload(30, 10)
    before = snapshot(tracker)
    dry = import_csv(tracker, data, CAREFIRST, "tester", dry_run=True)
    assert snapshot(tracker) == before
    real = import_csv(tracker, data, CAREFIRST, "tester")
    assert [(r.line, r.outcome, r.field) for r in dry.rows] == [
        (r.line, r.outcome, r.field) for r in real.rows
    ]


def test_a_changed_row_updates_the_client_and_adjusts_the_order(tracker: Tracker) -> None:
    offices(tracker)
    first = row(1)
    import_csv(tracker, csv_of([first]), CAREFIRST, "tester")
    changed = first | {"Forename": "Samantha", "Order Hours": "120", "Address Line 1": "9 Low Rd"}
    report = import_csv(tracker, csv_of([changed]), CAREFIRST, "tester")
    assert report.rows[0].outcome is Outcome.UPDATED
    assert set(report.rows[0].changes) == {"name", "address", "order hours"}
    with tracker.db.read() as tx:
        order = find_order(tx, "C-1001")
        client = tx.one("SELECT name, address FROM clients WHERE reference = 'C-1001'")
        entries = tx.all("SELECT action FROM audit_log WHERE subject LIKE 'C-1001%'")
    assert order.minutes == 120 * 60 and order.ordered_minutes != 120 * 60  # an adjustment
    assert client == {"name": "Samantha Smith", "address": "9 Low Rd\nGlasgow\nG1 1AA"}
    assert [e["action"] for e in entries][-2:] == ["client.import", "order.adjust"]


def test_a_custom_mapping_names_its_own_columns(tracker: Tracker, tmp_path: Path) -> None:
    offices(tracker)
    mapping = tmp_path / "ours.yaml"
    mapping.write_text(
        "columns:\n  reference: Ref\n  name: [First, Last]\n  case_worker: Worker\n"
        "offices:\n  Ayr Team: east\n"
    )
    data = b"Ref,First,Last,Worker,Team\nA-1,Kim,Lee,Jo Bell,Ayr Team\n"
    found = load_mapping(mapping)
    report = import_csv(tracker, data, found, "tester", office="north")
    assert report.rows[0].outcome is Outcome.ADDED  # no team column mapped: --office
    with tracker.db.read() as tx:
        assert tx.scalar("SELECT o.code FROM clients c JOIN offices o ON o.id = c.office_id") == (
            "north"
        )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"columns": {"reference": "Ref"}}, "columns"),
        ({"columns": {"ref": "Ref", "name": "N"}}, "columns.ref"),
        ({"preset": "nope"}, "preset"),
        ({"colums": {}}, "colums"),
        ([1, 2], "x.yaml"),
    ],
)
def test_a_bad_mapping_says_which_setting(data: object, field: str) -> None:
    with pytest.raises(MappingError) as refused:
        mapping_from(data, "x.yaml")
    assert refused.value.field == field


def test_a_file_without_the_columns_is_refused_whole(tracker: Tracker) -> None:
    offices(tracker)
    with pytest.raises(MappingError) as refused:
        import_csv(tracker, b"Name,Phone\nA,1\n", CAREFIRST, "tester")
    assert refused.value.field == "headings" and "Person ID" in refused.value.reason


def clients(t: Tracker) -> dict[str, dict[str, object]]:
    with t.db.read() as tx:
        return {r["reference"]: r for r in tx.all("SELECT * FROM clients")}


CELL = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(',"\r\n\x00'),
    max_size=12,
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    junk=st.lists(
        st.binary(max_size=80) | st.builds(lambda i: csv_of([row(i)]), st.integers(0, 99)),
        max_size=6,
    ),
    cells=st.lists(st.lists(CELL, max_size=15), max_size=5),
)
def test_no_csv_crashes_an_import(
    tracker: Tracker, junk: list[bytes], cells: list[list[str]]
) -> None:
    """Whatever the bytes: one result a row or one MappingError; again adds no one."""
    with tracker.db.read() as tx:
        fresh = not tx.scalar("SELECT COUNT(*) FROM offices")
    if fresh:
        offices(tracker)
    text = io.StringIO()
    csv.writer(text).writerows([HEADINGS, *cells])
    data = text.getvalue().encode() + b"\n".join(junk)
    before = clients(tracker)
    try:
        first = import_csv(tracker, data, CAREFIRST, "tester", office="north")
    except MappingError:
        assert clients(tracker) == before  # refused whole: nothing changed
        return
    # Only the rows reported added or updated changed anything.
    touched = {r.reference for r in first.rows if r.outcome in (Outcome.ADDED, Outcome.UPDATED)}
    after = clients(tracker)
    assert {k: v for k, v in after.items() if k not in touched} == {
        k: v for k, v in before.items() if k not in touched
    }
    again = import_csv(tracker, data, CAREFIRST, "tester", office="north")
    assert again.count(Outcome.ADDED) == 0
    assert [r.line for r in again.refused] == [r.line for r in first.refused]
    assert all(r.field and r.reason for r in first.refused)
    assert verify(tracker.db, tracker.audit_key).ok
