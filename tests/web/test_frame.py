"""The frame: sign-in everywhere, CSRF on every change, headers, cookies, throttling."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from cpo.web.security import is_public
from tests.web.conftest import PASSWORD, SignIn, World, sign_in_as, token_of
from tests.web.routes import url_for_rule
from tracker.config import Config

PUBLIC = {"auth.sign_in_page", "frontend.css", "frontend.file", "static"}


def example_url(app: Flask, rule: Rule) -> str:
    """An address for `rule` with made-up values for its parts (for a stranger's requests)."""
    return url_for_rule(app, rule, World("W12345", "W67890"))


def routes(app: Flask) -> list[Rule]:
    return list(app.url_map.iter_rules())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_only_sign_in_and_the_frontend_are_open(app: Flask) -> None:
    """Every route but sign-in (and the frontend's files) sends a stranger to sign in."""
    assert {r.endpoint for r in routes(app) if is_public(app, r.endpoint)} == PUBLIC
    client = app.test_client()
    for rule in routes(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(example_url(app, rule), method=method)
            assert response.status_code in (302, 400), (rule.rule, method, response.status_code)
            if response.status_code == 302:
                assert response.location.endswith("/sign-in"), rule.rule


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_view_declares_who_may_call_it(app: Flask) -> None:
    for rule in routes(app):
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "cpo_needs") or rule.endpoint == "static", rule.endpoint


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_post_route_refuses_a_form_without_its_token(app: Flask, signed_in: SignIn) -> None:
    """CSRF on every state change, for every role: no token, no change."""
    posts = [r for r in routes(app) if "POST" in (r.methods or set())]
    assert posts, "there are forms"
    for login in ("tester", "ana", "fay"):
        client = signed_in(login)
        for rule in posts:
            response = client.post(example_url(app, rule), data={"login": "x", "password": "y"})
            assert response.status_code == 400, (login, rule.rule, response.status_code)
            assert "The form had expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sign_in_sets_a_safe_cookie_and_signs_out(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post(
        "/sign-in", data={"login": "ana", "password": PASSWORD, "csrf_token": token_of(page)}
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "ana" in home.get_data(as_text=True)
    # A response that does not change the session does not send it again: one still on its
    # way (a page's image, a stylesheet) cannot undo a sign-out that came after it.
    # (The first page keeps its form token in the session, so it sends the cookie once.)
    again = client.get("/")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    assert "Set-Cookie" not in client.get("/static/app.css").headers
    token = token_of(home.get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_wrong_password_is_refused_with_one_line(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post(
        "/sign-in", data={"login": "ana", "password": "wrong one!", "csrf_token": token_of(page)}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "The login or password is wrong" in text
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sign_in_is_throttled(app: Flask) -> None:
    """After ten failures in a minute, even the right password waits."""
    client = app.test_client()
    token = token_of(client.get("/sign-in").get_data(as_text=True))
    for _ in range(10):
        client.post("/sign-in", data={"login": "ana", "password": "wrong!", "csrf_token": token})
    response = client.post(
        "/sign-in", data={"login": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_carry_security_headers_and_are_not_stored(app: Flask, signed_in: SignIn) -> None:
    client = signed_in("ana")
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert "script-src 'self' 'nonce-" in csp and "style-src 'self';" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    # Every inline script carries the nonce; there is no inline style at all.
    for script in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce.group(1)}"' in script
    assert "style=" not in html and "<style" not in html


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_frontend_is_served_here_without_the_reserved_font(app: Flask) -> None:
    client = app.test_client()
    css = client.get("/assets/frontend.css")
    assert css.status_code == 200 and ".govuk-header" in css.get_data(as_text=True)
    assert ".moj-" in css.get_data(as_text=True)
    assert "GDS Transport" not in css.get_data(as_text=True)
    assert "@font-face" not in css.get_data(as_text=True)
    assert client.get("/assets/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/images/icon-progress-tick.svg").status_code == 200
    assert client.get("/assets/../package.json").status_code == 404
    page = client.get("/sign-in").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_disabled_account_is_signed_out_at_its_next_click(app: Flask, signed_in: SignIn) -> None:
    client = signed_in("ana")
    admin = sign_in_as(app.test_client(), "tester")
    token = token_of(admin.get("/staff").get_data(as_text=True))
    assert admin.post("/staff/ana/disable", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_the_frontend_files_are_named_by_fingerprint_and_kept_for_a_year(
    app: Flask, signed_in: SignIn
) -> None:
    client = signed_in("ana")
    page = client.get("/").get_data(as_text=True)
    version = app.config["CPO_ASSETS_VERSION"]
    assert f"/assets/frontend.css?v={version}" in page
    assert f"/static/app.css?v={version}" in page
    kept = client.get(f"/static/app.css?v={version}")
    assert kept.status_code == 200
    assert kept.cache_control.immutable and kept.cache_control.max_age == 31_536_000
    older = client.get("/static/app.css?v=000000000000")  # an old page's address
    assert not older.cache_control.immutable  # asked again: it may have changed since
    assert (older.cache_control.max_age or 0) <= 86_400
    assert client.get("/").headers["Cache-Control"] == "no-store"  # pages never kept


def test_cpo_serve_compiles_every_template_before_its_first_page(
    web_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpo.web.server import app_for

    app = app_for(web_config)

    def compile_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled while a page waited")

    monkeypatch.setattr(app.jinja_env, "compile", compile_now)
    for name in ("home/index.html", "marking/return.html", "clients/index.html"):
        app.jinja_env.get_template(name)  # kept since the app was made: not compiled again
    app.extensions["cpo_trackers"].close()
