"""Who may open which page, and the headers every response carries.

Every view declares who may call it: `@public` (sign-in and the frontend's files only)
or `@needs(Action.X)` / `@needs(None)` (any signed-in account). A view that declares
nothing is refused, so a new route cannot be left open by mistake; the tests check
the whole route table. The library checks role and office again on every call.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tracker.accounts import Action

F = TypeVar("F", bound=Callable[..., Any])
NOT_DECLARED = object()
CACHEABLE = {"static", "frontend.css", "frontend.file"}  # the frontend's files: nobody's data
VERSION = "v"  # the query naming the files' fingerprint, which pages add to their addresses
ONE_YEAR = 31_536_000  # seconds: an address with the fingerprint never changes what it names

# No inline script or style: scripts and styles come from this server only, and the one
# inline line of the GOV.UK template (which marks the page as having JavaScript) carries
# this request's nonce.
CSP = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def public(view: F) -> F:
    """Let anyone open this view, signed in or not."""
    view.cpo_needs = None  # type: ignore[attr-defined]
    view.cpo_public = True  # type: ignore[attr-defined]
    return view


def needs(action: Action | None) -> Callable[[F], F]:
    """Let a signed-in account open this view if its role may do `action` (None: any role)."""

    def declare(view: F) -> F:
        view.cpo_needs = action  # type: ignore[attr-defined]
        view.cpo_public = False  # type: ignore[attr-defined]
        return view

    return declare


def is_public(app: Flask, endpoint: str | None) -> bool:
    """Whether the view at `endpoint` is open to anyone."""
    view = app.view_functions.get(endpoint or "")
    return bool(getattr(view, "cpo_public", False)) or endpoint == "static"


def install(app: Flask) -> None:
    """Check every request's sign-in and role, and add the security headers to every response."""
    app.before_request(_check_access)
    app.after_request(_add_headers)
    app.url_defaults(_add_version)


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    """Name the frontend's files with their fingerprint, so a browser keeps them, never asking."""
    from flask import current_app

    if endpoint in CACHEABLE:
        values.setdefault(VERSION, current_app.config["CPO_ASSETS_VERSION"])


def _check_access() -> ResponseReturnValue | None:
    from flask import current_app

    g.csp_nonce = secrets.token_urlsafe(18)
    endpoint = request.endpoint
    if endpoint is None or is_public(current_app, endpoint):
        return None  # a 404 or 405 for an unknown route is left to Flask
    view = current_app.view_functions[endpoint]
    action = getattr(view, "cpo_needs", NOT_DECLARED)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in_page"))
    if action is NOT_DECLARED:
        abort(403)  # a view that says nothing about who may call it is closed
    if action is not None and not current_user.actor.may(action):
        abort(403)
    return None


def _add_headers(response: Response) -> Response:
    from flask import current_app

    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint in CACHEABLE and response.status_code == 200:
        if request.args.get(VERSION) == current_app.config["CPO_ASSETS_VERSION"]:
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
    elif request.endpoint not in CACHEABLE:
        # Personal pages are never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response
