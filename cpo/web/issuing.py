"""Issuing workbooks: choose modules (the cap-aware default), profile and HTML edition;
download the workbook, its letter and the HTML bundle; revoke a lost workbook."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect
from wtforms import SelectChoice

from cpo.web.auth import tracker
from cpo.web.forms import IssueForm, RevokeForm
from cpo.web.refusals import refuse
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.dashboard import default_modules, workbook_folder
from tracker.errors import TrackerError
from tracker.issuing import issue as issue_workbook
from tracker.issuing import reprint
from tracker.issuing import revoke as revoke_workbook
from tracker.ledger import NOT_ISSUED, REFUSED, REVERSED, hours_statement
from tracker.policy import hours
from tracker.tracker import Tracker

blueprint = Blueprint("issuing", __name__)
FILES = {"workbook.pdf": "application/pdf", "letter.pdf": "application/pdf", "bundle.zip": None}
OPEN = (NOT_ISSUED, REFUSED, REVERSED)  # states in which a module may be issued again


def issues_root(t: Tracker) -> Path:
    """Where the web app prints workbooks: beside the records, in the data folder."""
    return t.config.data_dir / "issues"


@blueprint.route("/orders/<ref:reference>/issue", methods=["GET", "POST"])
@needs(Action.ISSUE)
def issue(reference: str) -> Redirect | str:
    """Issue a workbook for an order: the modules that fit what is left of the cap, ticked."""
    t = tracker()
    statement = hours_statement(t, reference)
    course, policy = t.course, statement.policy
    chosen, why_none = default_modules(t, reference)
    form = IssueForm(data={"modules": chosen, "profile": "standard"})
    form.modules.choices = [
        SelectChoice(
            m.module_id, f"{m.module_id} {m.title} ({hours(course.module(m.module_id).minutes)})"
        )
        for m in statement.modules
        if m.state in OPEN and policy.eligible(course.module(m.module_id))
    ]
    if form.validate_on_submit():
        if not form.modules.data:
            form.modules.errors = ["Choose at least one module"]
        else:
            try:
                issued = issue_workbook(
                    t,
                    statement.order.client_reference,
                    current_user.actor.login,
                    order_reference=statement.order.reference,
                    module_ids=list(form.modules.data),
                    profile=form.profile.data,
                    html=form.html.data,
                    out_root=issues_root(t),
                )
            except TrackerError as err:
                refuse(form, err, "modules")
            else:
                flash(
                    f"Workbook {issued.number} issued with {len(issued.modules)} modules, "
                    f"due {issued.due_on}. Download it and its letter below."
                )
                return redirect(url_for("clients.show", reference=issued.client))
    return render_template("issuing/issue.html", form=form, s=statement, why_none=why_none)


@blueprint.get('/workbooks/<number>/<any("workbook.pdf", "letter.pdf", "bundle.zip"):name>')
@needs(Action.ISSUE)
def download(number: str, name: str) -> Redirect:
    """A workbook's file; printed again from the records if this machine does not have it."""
    t = tracker()
    folder = workbook_folder(t, number, issues_root(t))
    wanted = folder / ("html" if name == "bundle.zip" else name)
    if not wanted.exists():
        reprint(
            t, number, current_user.actor.login, html=name == "bundle.zip", out_root=issues_root(t)
        )
    if not wanted.exists():
        abort(404)
    if name == "bundle.zip":
        return send_file(
            _zipped(wanted),
            mimetype="application/zip",
            as_attachment=True,
            download_name=f"{folder.name}-html.zip",
        )
    return send_file(
        wanted, mimetype=FILES[name], as_attachment=True, download_name=f"{folder.name}-{name}"
    )


def _zipped(folder: Path) -> io.BytesIO:
    """The HTML bundle's folder as a zip, made in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    buffer.seek(0)
    return buffer


@blueprint.route("/workbooks/<number>/revoke", methods=["GET", "POST"])
@needs(Action.ISSUE)
def revoke(number: str) -> Redirect | str:
    """Revoke a lost workbook, with a reason: its codes stop working at once."""
    t = tracker()
    workbook_folder(t, number, issues_root(t))  # not in your offices: not found
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            revoke_workbook(t, number, form.reason.data, current_user.actor.login)
        except TrackerError as err:
            refuse(form, err, "reason")
        else:
            flash(f"Workbook {number.upper()} revoked. Its codes no longer work.")
            return redirect(url_for("home.index"))
    return render_template("issuing/revoke.html", form=form, number=number.upper())
