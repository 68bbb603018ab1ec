"""The signed-in account, as Flask-Login keeps it: a login in the session, looked up each time.

Each request reads the account afresh from the records, so an account an admin disables
is signed out at its next click, and a role or office change takes effect at once.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import LoginManager, UserMixin

from tracker.accounts import Actor, NotPermitted, actor_for


class StaffUser(UserMixin):  # type: ignore[misc]
    """A signed-in staff account."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.login


def install(app: Flask) -> LoginManager:
    """Keep who is signed in; a page opened signed out goes to the sign-in page."""
    manager = LoginManager(app)
    manager.login_view = "auth.sign_in_page"
    manager.login_message = "Sign in to see that page."
    manager.session_protection = "strong"
    manager.user_loader(_load)
    return manager


def _load(login: str) -> StaffUser | None:
    t = current_app.extensions["cpo_trackers"].act_as(None)
    try:
        actor = actor_for(t, login)
    except NotPermitted:
        return None  # disabled since they signed in: signed out now
    t.actor = actor
    return StaffUser(actor)
