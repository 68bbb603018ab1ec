"""Every page, for every role: those the role may use open; the rest are refused.
And an account of another office is refused every record of this one, changing nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from cpo.web.security import is_public
from tests.tracker.conftest import snapshot
from tests.web.conftest import NAMED, SignIn, World, token_of
from tests.web.routes import bears_id, routes, url_for_rule
from tracker.accounts import Action, Role
from tracker.tracker import Tracker

ROLES = {"tester": Role.ADMIN, "ana": Role.CASEWORKER, "fay": Role.FACILITATOR}


def allowed(app: Flask, endpoint: str, role: Role) -> bool:
    from tracker.accounts import PERMISSIONS

    action: Action | None = app.view_functions[endpoint].cpo_needs
    return action is None or action in PERMISSIONS[role]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_opens_for_the_roles_that_may_use_it(
    app: Flask, world: World, signed_in: SignIn
) -> None:
    for login, role in ROLES.items():
        client = signed_in(login)
        for rule in routes(app):
            if "GET" not in (rule.methods or set()) or is_public(app, rule.endpoint):
                continue
            url = url_for_rule(app, rule, world)
            response = client.get(url)
            expected = 200 if allowed(app, rule.endpoint, role) else 403
            assert response.status_code == expected, (login, url, response.status_code)
            if response.mimetype == "text/html" and expected == 200:
                html = response.get_data(as_text=True)
                assert not NAMED.search(url) and world.north_workbook not in url.split("/")[1:2]
                assert "Traceback" not in html


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_case_reference_appears_in_an_address(
    app: Flask, world: World, signed_in: SignIn
) -> None:
    """Links to a client or order carry an opaque id, never the reference itself."""
    html = signed_in("ana").get("/reports/").get_data(as_text=True)
    links = re.findall(r'href="([^"]+)"', html)
    assert any(link.startswith("/orders/") for link in links)
    assert not [link for link in links if NAMED.search(link)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_made_up_id_is_not_found(app: Flask, world: World, signed_in: SignIn) -> None:
    client = signed_in("ana")
    assert client.get("/clients/" + "A" * 40).status_code == 404
    assert client.get("/clients/N-1").status_code == 404  # the plain reference is no id


def test_another_offices_account_is_refused_every_record_and_nothing_changes(
    app: Flask, world: World, signed_in: SignIn, records: Tracker
) -> None:
    """Generated from the route table: every route that names a record, every method."""
    before = snapshot(records)
    targets = [r for r in routes(app) if bears_id(r)]
    assert len(targets) >= 8
    for login, role in (("lee", Role.CASEWORKER), ("lou", Role.FACILITATOR)):
        client = signed_in(login)
        token = token_of(client.get("/").get_data(as_text=True))
        for rule in targets:
            url = url_for_rule(app, rule, world, office="north")
            expected = 404 if allowed(app, rule.endpoint, role) else 403
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                form = {
                    "csrf_token": token,
                    "reason": "lost",
                    "hours": "10",
                    "case_worker": "Eve",
                    "region": "scotland",
                    "modules": "WB1",
                }
                response = client.open(url, method=method, data=form if method == "POST" else None)
                assert response.status_code == expected, (login, method, url, response.status_code)
                text = response.get_data(as_text=True)
                assert not NAMED.search(text), (login, url)
    assert snapshot(records) == before
