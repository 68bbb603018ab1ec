"""Importing clients from a case-system CSV in the browser: a dry run shows every row with
its line number and saves nothing; "Import these rows" imports the very file previewed."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.caseload import caseload
from tests.tracker.conftest import snapshot
from tests.web.conftest import SignIn, token_of
from tracker.tracker import Tracker


def preview(client: FlaskClient, data: bytes, preset: str = "carefirst") -> tuple[int, str]:
    token = token_of(client.get("/clients/import").get_data(as_text=True))
    form = {"csrf_token": token, "preset": preset, "file": (io.BytesIO(data), "export.csv")}
    response = client.post("/clients/import", data=form, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_a_preview_saves_nothing_and_the_same_file_is_imported(
    app: Flask, signed_in: SignIn, records: Tracker
) -> None:
    ana = signed_in("ana")
    data, bad = caseload(12, 2, team="North")
    before = snapshot(records)

    status, shown = preview(ana, data)

    assert status == 200 and "Check before importing" in shown, re.findall(
        r"summary__list.{0,300}", shown, re.S
    )
    assert "10 added" in shown and "2 refused" in shown
    for line in bad:
        assert re.search(rf'<td class="govuk-table__cell">{line}</td>', shown)
    assert snapshot(records) == before  # a dry run saves nothing
    key = re.search(r'name="key" value="([\w-]+)"', shown)
    assert key and "export.csv" not in key.group(1)
    done = ana.post(
        "/clients/import/confirm", data={"key": key.group(1), "csrf_token": token_of(shown)}
    )
    assert done.status_code == 200 and "Clients imported" in done.get_data(as_text=True)
    with records.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM clients WHERE reference LIKE 'C-%'") == 10
    again = ana.post(
        "/clients/import/confirm", data={"key": key.group(1), "csrf_token": token_of(shown)}
    )
    assert again.status_code == 400 and "send the file again" in again.get_data(as_text=True)


def test_a_preview_is_only_for_the_account_that_sent_it(
    app: Flask, signed_in: SignIn, records: Tracker
) -> None:
    _, shown = preview(signed_in("ana"), caseload(3, 0, team="North")[0])
    key = re.search(r'name="key" value="([\w-]+)"', shown)
    assert key
    admin = signed_in("tester")
    token = token_of(admin.get("/clients/import").get_data(as_text=True))
    before = snapshot(records)
    taken = admin.post("/clients/import/confirm", data={"key": key.group(1), "csrf_token": token})
    assert taken.status_code == 400 and snapshot(records) == before


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=300), preset=st.sampled_from(["carefirst", "mosaic", "nope"]))
def test_any_file_is_previewed_or_refused_in_one_line_and_nothing_is_saved(
    app: Flask, signed_in: SignIn, records: Tracker, data: bytes, preset: str
) -> None:
    ana = signed_in("ana")
    before = snapshot(records)
    status, shown = preview(ana, data, preset)
    assert status in (200, 400) and "Traceback" not in shown
    if status == 400:
        assert "govuk-error-summary" in shown
    assert snapshot(records) == before
