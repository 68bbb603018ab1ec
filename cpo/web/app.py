"""The app factory: Flask, its extensions, the frontend and each area's blueprint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from cpo.web import security, users
from cpo.web.assets import Assets
from cpo.web.ids import OpaqueIds, converter_for
from cpo.web.trackers import Opener, Trackers
from tracker.accounts import Action, NotPermitted
from tracker.errors import TrackerError
from tracker.policy import hours

SERVICE_NAME = "CPO Offline"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a whole envelope of scans, with room to spare


@dataclass(frozen=True)
class Settings:
    """How this server runs: its session key, and whether it sits behind HTTPS."""

    secret_key: bytes
    https: bool = False  # behind the council's HTTPS proxy: cookies only over HTTPS
    session_hours: int = 8  # a working day; then sign in again


limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])


def create_app(opener: Opener, settings: Settings, assets: Assets | None = None) -> Flask:
    """The staff web app over the trackers `opener` opens (one per server thread)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="cpo_session",
        REMEMBER_COOKIE_DURATION=timedelta(0),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # The session cookie is sent only when the session changes (signing in or out, a
        # message), not with every response: a page's images or files still arriving after
        # its "Sign out" would otherwise put the signed-out session back in the browser.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
    )
    # Undefined variables stay lenient: the GOV.UK macros test optional parameters by using
    # them (`params.classes`), which StrictUndefined would turn into errors.
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("cpo.web"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.url_map.converters["ref"] = converter_for(OpaqueIds(settings.secret_key))
    app.extensions["cpo_trackers"] = Trackers(opener)
    app.extensions["cpo_assets"] = assets or Assets.find()
    app.config["CPO_ASSETS_VERSION"] = app.extensions["cpo_assets"].version(
        Path(app.static_folder or "")
    )
    CSRFProtect(app)
    WTFormsHelpers(app)
    limiter.init_app(app)
    users.install(app)
    security.install(app)
    _register_blueprints(app)
    _register_errors(app)
    app.context_processor(_layout_context)
    app.add_template_filter(hours, "hours")
    app.teardown_request(_stop_acting)
    return app


def _register_blueprints(app: Flask) -> None:
    from cpo.web.pages import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _layout_context() -> dict[str, Any]:
    from flask_login import current_user

    from cpo.web.navigation import links_for

    actor = current_user.actor if current_user.is_authenticated else None
    return {
        "service_name": SERVICE_NAME,
        "actor": actor,
        "csp_nonce": g.get("csp_nonce", ""),
        "nav_links": links_for,
        "actions": Action,
        "office_label": _office_label,
    }


def _office_label() -> str:
    """The offices the signed-in account serves, as the header names them."""
    from flask_login import current_user

    from cpo.web.auth import tracker
    from tracker.dashboard import offices_served

    if current_user.actor.every_office:
        return "All offices"
    return ", ".join(o.name for o in offices_served(tracker()))


def _stop_acting(_: BaseException | None) -> None:
    from flask import current_app

    trackers: Trackers = current_app.extensions["cpo_trackers"]
    trackers.act_as(None)


def _register_errors(app: Flask) -> None:
    def page(status: int, title: str, text: str) -> tuple[str, int]:
        return render_template("error.html", title=title, text=text), status

    @app.errorhandler(NotPermitted)
    def not_permitted(err: NotPermitted) -> tuple[str, int]:
        if err.field in ("role", "account"):
            return page(403, "You cannot do this", err.reason)
        return not_found(err)  # another office's record is told as one that is not there

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return page(404, "Page not found", "Check the address, or go back to your home page.")

    @app.errorhandler(403)
    def forbidden(_: Exception) -> tuple[str, int]:
        return page(403, "You cannot do this", "Your role does not include this page.")

    @app.errorhandler(CSRFError)
    def csrf(_: CSRFError) -> tuple[str, int]:
        return page(400, "The form had expired", "Go back, reload the page and try again.")

    @app.errorhandler(413)
    def too_large(_: Exception) -> tuple[str, int]:
        mb = MAX_UPLOAD_BYTES // (1024 * 1024)
        return page(413, "The files are too large", f"Send at most {mb} MB at a time.")

    @app.errorhandler(429)
    def too_many(_: Exception) -> tuple[str, int]:
        return page(429, "Too many tries", "Wait a few minutes, then try to sign in again.")

    @app.errorhandler(TrackerError)
    def refused(err: TrackerError) -> tuple[str, int]:
        return page(400, "That could not be done", str(err))
