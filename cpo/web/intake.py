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
from cpo.web.refusals import refuse
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.errors import CodeError, TrackerError
from tracker.intake.corrections import page_evidence, place_by_footer, unplace
from tracker.intake.records import CLASSES, Sorted, code_page, parse_page_ref
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


class FooterForm(FlaskForm):  # type: ignore[misc]
    """What a person reads off an unreadable page's footer: workbook, module, page."""

    workbook = StringField(
        "Workbook",
        widget=GovTextInput(),
        description="As printed at the foot of the page, like WT4F3B in 'Workbook WT4F3B'.",
        validators=[InputRequired("Enter the workbook printed on the page"), Length(max=40)],
    )
    module = StringField(
        "Module",
        widget=GovTextInput(),
        description="Like the WB3 in 'WB3 · Page 2 of 11'.",
        validators=[InputRequired("Enter the module printed on the page"), Length(max=20)],
    )
    page = IntegerField(
        "Page number",
        widget=GovTextInput(),
        description="Like the 2 in 'Page 2 of 11'.",
        validators=[
            InputRequired("Enter the page number printed on the page"),
            NumberRange(1, 999, "Enter a page number from 1 to 999"),
        ],
    )
    place = SubmitField("Place the page", widget=GovSubmitInput())


class CodeForm(FlaskForm):  # type: ignore[misc]
    """The other way: the code printed on a first or last page."""

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


class UndoForm(FlaskForm):  # type: ignore[misc]
    """Why a page placed by hand is taken out of its return again."""

    reason = StringField(
        "Why take it out?",
        widget=GovTextInput(),
        description="For the audit log, like 'a blank back, placed as page 2 by mistake'.",
        validators=[InputRequired("Say why the page is taken out"), Length(max=300)],
    )
    submit = SubmitField("Take the page out", widget=GovSubmitInput())


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
    """Look at an unreadable page (P17, opaque in the address) and place it by its footer."""
    page = _unreadable(page_ref)
    # Two forms on one page: the one sent is told by its own field, the other stays empty.
    by_code = request.method == "POST" and "code" in request.form
    footer = FooterForm(formdata=None) if by_code else FooterForm()
    coded = CodeForm() if by_code else CodeForm(formdata=None)
    placed = _place_by_code(coded, page) if by_code else _place_by_footer(footer, page)
    if placed is not None:
        flash(
            f"P{page.page_id} is now page {placed.page_number or '(number not given)'} of "
            f"{placed.module}, in return R{placed.return_id}."
        )
        return redirect(url_for("intake.upload"))
    html = render_template(
        "intake/resolve.html",
        title=f"Resolve page P{page.page_id}",
        page=page,
        footer=footer,
        coded=coded,
        form=coded if coded.errors else footer,  # the one sent: its errors lead the page
    )
    return Response(html, status=400 if footer.errors or coded.errors else 200)


def _place_by_footer(form: FooterForm, page: Unreadable) -> Sorted | None:
    """Place the page by workbook, module and page number, if they were sent and fit."""
    if not (request.method == "POST" and form.validate_on_submit()):
        return None
    try:
        return place_by_footer(
            tracker(), f"P{page.page_id}", form.workbook.data, form.module.data, form.page.data, ""
        )
    except TrackerError as err:
        refuse(form, err, "workbook")
    return None


def _place_by_code(form: CodeForm, page: Unreadable) -> Sorted | None:
    """Give the page the code typed from it, if it is one of this page's workbook's."""
    if not form.validate_on_submit():
        return None
    try:
        return code_page(tracker(), f"P{page.page_id}", form.code.data, "", form.number.data)
    except CodeError as err:
        form.code.errors.append(f"This code cannot be used: {err.reason}")
    except TrackerError as err:
        refuse(form, err, "code")
    return None


@blueprint.route("/intake/pages/<ref:page_ref>/undo", methods=["GET", "POST"])
@needs(Action.TAKE_IN)
def undo(page_ref: str) -> str | BaseResponse:
    """Take a page placed by hand out of its return again, with a reason."""
    t = tracker()
    try:
        page = page_evidence(t, page_ref)
    except TrackerError:
        abort(404)
    if page.return_id is None:  # no office of its own: seen only if in this account's queue
        _unreadable(page_ref)
        html = render_template("intake/undo.html", title=f"P{page.page_id}", page=page, form=None)
        return Response(html)
    form = UndoForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            left = unplace(t, page_ref, form.reason.data, "")
        except TrackerError as err:
            refuse(form, err, "reason")
        else:
            where = f"R{left}" if left else "its return (now empty, so removed)"
            flash(f"P{page.page_id} was taken out of {where}: it waits again to be placed.")
            return redirect(url_for("intake.upload"))
    html = render_template(
        "intake/undo.html", title=f"Take page P{page.page_id} out", page=page, form=form
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
