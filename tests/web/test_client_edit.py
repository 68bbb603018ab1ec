"""The client edit form changes name, office and postal address through the library."""

from __future__ import annotations

from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import snapshot
from tests.web.conftest import SignIn, World, post
from tracker.people import get_client
from tracker.tracker import Tracker


def edit_url(app: Flask, reference: str) -> str:
    with app.test_request_context():
        return url_for("clients.edit", reference=reference)


def form(**changes: str) -> dict[str, object]:
    start = {"name": "Jo Bloggs", "office": "north", "address": "", "case_worker": "Ana Lopez"}
    return {**start, "region": "scotland", **changes}


def test_name_and_postal_address_are_changed(
    app: Flask, world: World, signed_in: SignIn, records: Tracker
) -> None:
    ana = signed_in("ana")
    address = "1 High Street\nFlat 2\nGlasgow\nG1 1AA"
    saved = post(ana, edit_url(app, "N-1"), form(address=address))
    assert saved.status_code == 302
    with records.db.read() as tx:
        client = get_client(tx, "N-1")
    assert client.name == "Jo Bloggs"
    assert client.address == ("1 High Street", "Flat 2", "Glasgow", "G1 1AA")
    page = ana.get(edit_url(app, "N-1")).get_data(as_text=True)
    assert "Flat 2" in page and 'value="Jo Bloggs"' in page
    other = post(ana, edit_url(app, "N-1"), form(office="leeds"))
    assert other.status_code == 400  # not an office ana serves: not a choice


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(address=st.text(max_size=120), name=st.text(max_size=20))
def test_any_address_is_saved_or_refused_on_its_field_with_no_change(
    app: Flask, world: World, signed_in_once: SignIn, records: Tracker, address: str, name: str
) -> None:
    ana = signed_in_once("ana")
    before = snapshot(records)
    response = post(ana, edit_url(app, "N-1"), form(address=address, name=name))
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        text = response.get_data(as_text=True)
        assert "govuk-error-summary" in text and "Traceback" not in text
        assert snapshot(records) == before
