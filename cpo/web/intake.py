"""Intake: upload scans, photos and answers files, watch them taken in, resolve unread pages.

Thin over the library: `tracker.intake` reads, sorts and records every page (each file's
kind told by its bytes, not its name); `tracker.review.unreadable_pages` lists the pages
waiting for a person; `tracker.intake.records.code_page` gives one the code printed on it.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from werkzeug.wrappers import Response as BaseResponse
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cpo.web.auth import tracker
from cpo.web.batches import MOST_FILES, Batch, Batches
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.errors import CodeError, TrackerError
from tracker.intake.records import CLASSES, code_page, parse_page_ref
from tracker.review import Unreadable, unreadable_pages

blueprint = Blueprint("intake", __name__)
NAV = [NavLink("Intake", "intake.upload", Action.TAKE_IN)]

# The words for each class of page the library sorts into (`CLASSES`), and its tag colour.
CLASS_LABELS = {
    "ours": ("Ours: joins its return", "green"),
    "duplicate": ("Duplicate", "grey"),
    "foreign": ("Not ours", "purple"),
    "invalid": ("Refused", "red"),
    "unreadable": ("Unreadable: needs a person", "orange"),
}
assert set(CLASS_LABELS) == set(CLASSES)


class UploadForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: the files come as a plain multiple file input."""


class CodeForm(FlaskForm):  # type: ignore[misc]
    """What a person reads off an unreadable page."""

    code = StringField(
        "Code printed on the page",
        widget=GovTextInput(),
        description="12 letters and numbers, like 7QX2-M9K4-PZ3T. First and last pages show it.",
        validators=[InputRequired("Enter the code printed on the page"), Length(max=80)],
    )
    number = IntegerField(
        "Page number",
        widget=GovTextInput(),
        description="As printed at the foot of the page, like the 2 in 'Page 2 of 11'. "
        "Leave it empty if you cannot read it.",
        validators=[Optional(), NumberRange(1, 999, "Enter a page number from 1 to 999")],
    )
    submit = SubmitField("Give the page this code", widget=GovSubmitInput())


def batches() -> Batches:
    """This server's intake batches (started on first use)."""
    found = current_app.extensions.get("cpo_batches")
    if found is None:
        trackers = current_app.extensions["cpo_trackers"]
        workers = current_app.config.get("CPO_INTAKE_WORKERS")
        found = current_app.extensions["cpo_batches"] = Batches(trackers.open_new, workers)
    return found


@blueprint.route("/intake", methods=["GET", "POST"])
@needs(Action.TAKE_IN)
def upload() -> str | BaseResponse:
    """Send scans, photos and answers files; see the pages still waiting for a person."""
    form = UploadForm()
    error = ""
    if request.method == "POST" and form.validate_on_submit():
        files = [f for f in request.files.getlist("files") if f.filename]
        if not files:
            error = "Choose at least one file: a scan, a photo or an answers file"
        elif len(files) > MOST_FILES:
            error = f"Send at most {MOST_FILES} files at a time"
        else:
            batch = batches().start(current_user.actor, files)
            return redirect(url_for("intake.batch", id=batch.id))
    return _upload_page(form, error)


def _upload_page(form: UploadForm, error: str = "", notice: str = "") -> Response:
    pages = unreadable_pages(tracker())
    html = render_template(
        "intake/upload.html",
        title="Intake",
        form=form,
        error=error,
        notice=notice,
        unreadable=pages,
    )
    return Response(html, status=400 if error else 200)


def _batch() -> Batch | None:
    """The upload named by `?id=`, if this account sent it."""
    return batches().find(request.args.get("id", ""), current_user.actor)


@blueprint.get("/intake/batch")
@needs(Action.TAKE_IN)
def batch() -> str | BaseResponse:
    """How far an upload has got; once done, the table of its pages by class."""
    found = _batch()
    if found is None:  # not this account's, or forgotten since the server restarted
        notice = (
            "That upload is not known here (it may be from before the server restarted). "
            "Each of its files was taken in whole or not at all: send any again to check."
        )
        return _upload_page(UploadForm(), notice=notice)
    return render_template(
        "intake/batch.html",
        title="Intake result" if found.done else "Taking in your files",
        batch=found,
        labels=CLASS_LABELS,
        classes=CLASSES,
    )


@blueprint.get("/intake/batch/progress")
@needs(Action.TAKE_IN)
def progress() -> Response:
    """The upload's progress, for the status page's script (done if it is not known)."""
    found = _batch()
    if found is None:
        return jsonify(done=True, read=0, pages=0, files=0)
    return jsonify(done=found.done, read=found.read, pages=found.pages, files=len(found.outcomes))


@blueprint.route("/intake/pages/<ref:page_ref>", methods=["GET", "POST"])
@needs(Action.TAKE_IN)
def resolve(page_ref: str) -> str | BaseResponse:
    """Look at an unreadable page (P17, opaque in the address) and give it its code."""
    t = tracker()
    page = _unreadable(page_ref)
    page_id = page.page_id
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            placed = code_page(t, f"P{page_id}", form.code.data, "", form.number.data)
        except CodeError as err:
            form.code.errors.append(f"This code cannot be used: {err.reason}")
        except TrackerError as err:
            form.code.errors.append(str(err)[:1].upper() + str(err)[1:])
        else:
            flash(
                f"P{page_id} is now page {placed.page_number or '(number not given)'} of "
                f"{placed.module}, in return R{placed.return_id}."
            )
            return redirect(url_for("intake.upload"))
    html = render_template(
        "intake/resolve.html", title=f"Resolve page P{page_id}", page=page, form=form
    )
    return Response(html, status=400 if form.errors else 200)


def _unreadable(ref: str) -> Unreadable:
    """The page, if it is in this account's queue of unreadable pages; 404 otherwise."""
    try:
        page_id = parse_page_ref(ref)
    except TrackerError:
        abort(404)
    found = next((p for p in unreadable_pages(tracker()) if p.page_id == page_id), None)
    if found is None:
        abort(404)
    return found
