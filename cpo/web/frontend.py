"""The GOV.UK and MoJ frontend's files, served by the app itself (no CDN)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file

from cpo.web.assets import Assets
from cpo.web.security import public

blueprint = Blueprint("frontend", __name__, url_prefix="/assets")
ONE_DAY = 86_400


@blueprint.get("/frontend.css")
@public
def css() -> Response:
    """Both frontends' stylesheets, without the font reserved for GOV.UK."""
    assets: Assets = current_app.extensions["cpo_assets"]
    response = Response(assets.css, mimetype="text/css")
    response.cache_control.max_age = ONE_DAY
    return response


@blueprint.get("/<path:name>")
@public
def file(name: str) -> Response:
    """A script or image of the frontend, by its name under /assets/."""
    assets: Assets = current_app.extensions["cpo_assets"]
    path = assets.file(name)
    if path is None:
        abort(404)
    return send_file(path, max_age=ONE_DAY)
