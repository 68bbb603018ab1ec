"""Each account's home page: what needs doing, by role."""

from __future__ import annotations

from flask import Blueprint, render_template

from cpo.web.navigation import NavLink
from cpo.web.security import needs

blueprint = Blueprint("home", __name__)
NAV = [NavLink("Home", "home.index")]


@blueprint.get("/")
@needs(None)
def index() -> str:
    """The signed-in account's home page."""
    return render_template("home/index.html")
