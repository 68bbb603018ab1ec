"""A case worker's work through the pages: what they type lands in the records, or is
refused with one clear line beside its field and changes nothing."""

from __future__ import annotations

import html as html_module
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import snapshot
from tests.web.conftest import NAMED, SignIn, World, post, token_of
from tracker.dashboard import client_summary
from tracker.ledger import hours_statement
from tracker.tracker import Tracker

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NEW_CLIENT = {
    "reference": "N-7",
    "name": "Sam Taylor",
    "office": "north",
    "case_worker": "Ana Lopez",
    "contact": "0141 496 0000",
    "region": "scotland",
}


def errors(html: str) -> list[str]:
    """The GOV.UK error summary's lines."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    found = re.findall(r">([^<>]+)</a>", summary.group(1)) if summary else []
    return [html_module.unescape(line) for line in found]


def follow(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, errors(response.get_data(as_text=True))
    return client.get(response.location).get_data(as_text=True)


def test_add_a_client_an_order_adjust_it_and_issue(
    app: Flask, records: Tracker, signed_in: SignIn
) -> None:
    ana = signed_in("ana")
    added = post(ana, "/clients/new", NEW_CLIENT)
    new_order = added.location  # straight on to the client's first order
    assert re.fullmatch(r"/clients/[A-Za-z0-9_-]{20,}/orders/new", new_order)
    assert "Client N-7 added" in follow(ana, added)
    order = {
        "jurisdiction": "scotland",
        "hours": "100",
        "made": ["2", "11", "2026"],
        "deadline": ["1", "5", "2027"],
    }
    page = follow(ana, post(ana, new_order, order))
    assert "Order N-7/1 added" in page
    assert hours_statement(records, "N-7/1").order.minutes == 100 * 60
    order_url = re.search(r'href="(/orders/[A-Za-z0-9_-]{20,})"', page)
    assert order_url
    adjust = {
        "deadline": ["1", "8", "2027"],
        "effective": ["23", "11", "2026"],
        "reason": "Extended by the court on review",
    }
    page = follow(ana, post(ana, order_url.group(1) + "/adjust", adjust))
    assert "adjusted" in page and "Extended by the court on review" in page
    assert hours_statement(records, "N-7/1").order.deadline == "2027-08-01"
    issue_page = ana.get(order_url.group(1) + "/issue").get_data(as_text=True)
    ticked = re.findall(r'value="([A-Z]{2}\d+)"\s+checked', issue_page)
    assert ticked, "the modules that fit the cap are ticked"
    response = post(ana, order_url.group(1) + "/issue", {"modules": ticked, "profile": "standard"})
    page = follow(ana, response)
    assert re.search(r"Workbook W\w{5} issued", page)
    books = client_summary(records, "N-7").workbooks
    assert len(books) == 1 and list(books[0].modules) == ticked
    workbook = ana.get(f"/workbooks/{books[0].number}/workbook.pdf")
    assert workbook.status_code == 200 and workbook.headers["Cache-Control"] == "no-store"
    page = follow(ana, post(ana, f"/workbooks/{books[0].number}/revoke", {"reason": "Lost"}))
    assert "revoked" in page
    assert client_summary(records, "N-7").workbooks[0].revoked_on


@SQLITE
def test_a_search_is_sent_in_the_form_and_finds_only_your_offices(
    app: Flask, world: World, signed_in: SignIn
) -> None:
    lee = signed_in("lee")
    response = post(lee, "/clients", {"text": "Client L"})
    html = response.get_data(as_text=True)
    assert response.request.url == "http://localhost/clients"  # the search is not in it
    assert "L-1" in html and not NAMED.search(html)


@SQLITE
def test_a_refused_order_says_why_beside_its_field_and_changes_nothing(
    app: Flask, world: World, signed_in: SignIn, records: Tracker
) -> None:
    ana = signed_in("ana")
    with app.test_request_context():
        from flask import url_for

        url = url_for("clients.new_order", reference="N-1")
    before = snapshot(records)
    order = {
        "jurisdiction": "scotland",
        "hours": "5",
        "made": ["2", "11", "2026"],
        "deadline": ["1", "5", "2027"],
    }
    html = post(ana, url, order).get_data(as_text=True)
    assert errors(html) == [
        "5 h is not an order Scotland (Community Payback Order) can make: from 20 h to 300 h"
    ]
    assert snapshot(records) == before


@SQLITE
def test_change_password_and_an_admin_adds_staff(
    app: Flask, signed_in: SignIn, records: Tracker
) -> None:
    from tracker.accounts import sign_in

    ana = signed_in("ana")
    wrong = post(
        ana, "/account/password", {"current": "not it at all", "new": "a new long password"}
    )
    assert errors(wrong.get_data(as_text=True)) == ["That is not your password now"]
    short = post(ana, "/account/password", {"current": "a long test password", "new": "short"})
    assert errors(short.get_data(as_text=True)) == [
        "The new password must be at least 10 characters"
    ]
    follow(
        ana,
        post(
            ana,
            "/account/password",
            {"current": "a long test password", "new": "a new long password"},
        ),
    )
    assert sign_in(records, "ana", "a new long password").login == "ana"
    admin = signed_in("tester")
    added = {
        "login": "bo",
        "role": "caseworker",
        "offices": "north",
        "password": "bo's long password",
    }
    assert "Account bo added" in follow(admin, post(admin, "/staff", added))
    again = post(admin, "/staff", added).get_data(as_text=True)
    assert errors(again) == ["There is already an account 'bo'"]


# Text a person might type or paste: any letters, spaces, controls and very long runs.
typed = st.text(st.characters(codec="utf-8"), max_size=120)


@SQLITE
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reference=typed, name=typed, case_worker=typed, contact=typed)
def test_any_new_client_form_is_saved_whole_or_refused_with_a_line(
    signed_in_once: SignIn,
    records: Tracker,
    reference: str,
    name: str,
    case_worker: str,
    contact: str,
) -> None:
    ana = signed_in_once("ana")
    token = token_of(ana.get("/clients/new").get_data(as_text=True))
    before = snapshot(records)
    form = {
        **NEW_CLIENT,
        "reference": reference,
        "name": name,
        "case_worker": case_worker,
        "contact": contact,
        "csrf_token": token,
    }
    response = ana.post("/clients/new", data=form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        lines = errors(html)
        assert lines and all(line.strip() and "\n" not in line for line in lines), html[-2000:]
        assert snapshot(records) == before
    else:
        after = snapshot(records)
        assert len(after["clients"]) == len(before["clients"]) + 1
