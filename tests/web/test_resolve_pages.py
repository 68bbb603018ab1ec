"""Resolving a page by hand in the browser: placed by its footer (or typed code), taken out
again with a reason, and a blank page shown as blank; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import make_order, snapshot
from tests.tracker.test_page_corrections import scan
from tests.web.conftest import SignIn, token_of
from tracker.accounts import actor_for
from tracker.intake.corrections import unplace
from tracker.intake.run import plan_intake, take_in
from tracker.issuing import Issued, issue
from tracker.review import unreadable_pages
from tracker.tracker import Tracker

TAKE_OUT = r'href="(/intake/pages/[\w-]+/undo)">Placed by hand: take it out'


@pytest.fixture
def envelope(records: Tracker, tmp_path: Path) -> tuple[Issued, int, int]:
    """North's N-1 with WB1 and WB2 issued, and fay's scan: a blank page, a written one."""
    make_order(records, "N-1")
    issued = issue(records, "N-1", "x", module_ids=["WB1", "WB2"], out_root=tmp_path)
    admin, records.actor = records.actor, actor_for(records, "fay")
    [outcome] = take_in(records, plan_intake(records, [scan(tmp_path)]), "fay", False, 1)
    records.actor = admin
    blank, written = (p.page_id for p in outcome.pages)
    assert blank and written
    return issued, blank, written


def page_url(client: FlaskClient, page_id: int) -> str:
    with client.application.test_request_context():
        return url_for("intake.resolve", page_ref=f"P{page_id}")


def test_an_inner_page_is_placed_by_its_footer_and_taken_out_again(
    app: Flask, signed_in: SignIn, envelope: tuple[Issued, int, int], records: Tracker
) -> None:
    issued, _, written = envelope
    fay = signed_in("fay")
    address = page_url(fay, written)
    seen = fay.get(address).get_data(as_text=True)
    assert "Place it by its footer" in seen and "Or type the code printed on it" in seen
    token = token_of(seen)

    wrong = fay.post(
        address,
        data={"workbook": issued.number, "module": "TF1", "page": "2", "csrf_token": token},
    )
    assert wrong.status_code == 400
    assert f"Workbook {issued.number} has no module TF1" in wrong.get_data(as_text=True)
    right = fay.post(
        address,
        data={"workbook": issued.number.lower(), "module": "wb1", "page": "2", "csrf_token": token},
    )
    assert right.status_code == 302
    assert f"P{written} is now page 2 of WB1" in fay.get("/intake").get_data(as_text=True)

    listing = fay.get("/returns").get_data(as_text=True)
    mark_url = re.findall(r'href="(/returns/[\w-]+)">Mark R\d+<', listing)[0]
    take_out = re.search(TAKE_OUT, fay.get(mark_url).get_data(as_text=True))
    assert take_out, "a page placed by hand offers to be taken out"
    got = fay.get(take_out.group(1))
    form = got.get_data(as_text=True)
    assert got.status_code == 200, form[-3000:]
    no_reason = fay.post(take_out.group(1), data={"reason": "", "csrf_token": token_of(form)})
    assert no_reason.status_code == 400 and "Say why the page is taken out" in no_reason.get_data(
        as_text=True
    )
    done = fay.post(
        take_out.group(1), data={"reason": "the wrong page", "csrf_token": token_of(form)}
    )
    assert done.status_code == 302
    assert f'href="{address}"' in fay.get("/intake").get_data(as_text=True)  # waits again


def test_a_blank_page_shows_as_blank_not_as_needing_a_code(
    app: Flask, signed_in: SignIn, envelope: tuple[Issued, int, int]
) -> None:
    _, blank, written = envelope
    fay = signed_in("fay")
    queue = fay.get("/intake").get_data(as_text=True)
    rows = queue.split("Resolve P")
    blank_row = next(r for r in rows if r.startswith(f"{blank}<"))
    written_row = next(r for r in rows if r.startswith(f"{written}<"))
    assert "Blank" in blank_row and "nothing to do" in blank_row
    assert "Blank" not in written_row
    page = fay.get(page_url(fay, blank)).get_data(as_text=True)
    assert "Nothing is printed or written on this page" in page
    assert "It is not blank: place it" in page  # still placeable, folded away


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    workbook=st.text(max_size=12),
    module=st.sampled_from(["WB1", "wb2", "TF1", "", "WB1 ", "x" * 30]),
    number=st.one_of(st.text(max_size=4), st.integers(-3, 12).map(str)),
    code=st.booleans(),
)
def test_any_resolve_form_is_placed_or_refused_with_a_message_and_no_change(
    app: Flask,
    signed_in_once: SignIn,
    envelope: tuple[Issued, int, int],
    records: Tracker,
    workbook: str,
    module: str,
    number: str,
    code: bool,
) -> None:
    issued, _, written = envelope
    fay = signed_in_once("fay")
    address = page_url(fay, written)
    token = token_of(fay.get(address).get_data(as_text=True))
    before = snapshot(records)
    data = (
        {"code": workbook, "number": number}
        if code
        else {"workbook": workbook or issued.number, "module": module, "page": number}
    )
    response = fay.post(address, data={**data, "csrf_token": token})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        text = response.get_data(as_text=True)
        assert "govuk-error-summary" in text and "Traceback" not in text
        assert snapshot(records) == before
    else:  # placed: put it back for the next example
        records.actor = actor_for(records, "fay")
        unplace(records, f"P{written}", "put back for the next example", "fay")
        assert any(p.page_id == written for p in unreadable_pages(records))
