"""Served by waitress's threads, as `cpo serve` serves it: staff signed in at once each
see their own pages, and every thread uses its own connection to the records."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from tests.web.conftest import PASSWORD, World, served


@pytest.fixture
def live(app: Flask, world: World) -> Iterator[str]:
    """The app served by waitress on a free loopback port, with four threads."""
    with served(app) as url:
        yield url


def session(base: str, login: str) -> urllib.request.OpenerDirector:
    """A signed-in browser of our own: cookies kept, the form's token sent back."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base}/sign-in", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token
    form = {"login": login, "password": PASSWORD, "csrf_token": token.group(1)}
    opener.open(f"{base}/sign-in", urllib.parse.urlencode(form).encode(), timeout=30).read()
    return opener


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_staff_signed_in_at_once_each_see_their_own_offices(live: str, app: Flask) -> None:
    people = {"ana": "North team", "lee": "Leeds", "fay": "North team", "lou": "Leeds"}
    browsers = {login: session(live, login) for login in people}

    def visit(login: str) -> tuple[str, str]:
        return login, browsers[login].open(f"{live}/", timeout=60).read().decode()

    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(visit, [login for login in people for _ in range(6)]))
    for login, html in pages:
        assert f"Signed in as <strong>{login}</strong>" in html
        assert people[login] in html
        other = "L-1" if people[login] == "North team" else "N-1"
        assert other not in html
    assert len(app.extensions["cpo_trackers"]._opened) <= 4  # one per thread, at most
