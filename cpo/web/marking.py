"""Marking: the returns waiting, one return beside its pages and answers, and the decision.

Thin over the library: `tracker.review` gives the list and the marking view,
`tracker.marking_help.prefill` gives what an answers file says (declared time,
activities answered), `tracker.marking.mark` decides and credits,
`tracker.workbooks.send_back_letter` writes the letter for a return sent back, and each
page image comes from
`tracker.review.page_image`, which serves only staff of the page's office.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length

from cpo.web.auth import tracker
from cpo.web.issuing import issues_root
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.errors import TrackerError
from tracker.intake.records import parse_page_ref
from tracker.marking import DECISIONS, Marked, PagesMissing, mark, parse_return_id
from tracker.marking_help import BlankTried, prefill
from tracker.policy import TimeFormatError, hours, parse_minutes
from tracker.review import MarkingView, marking_view, next_waiting, page_image, waiting
from tracker.tracker import Tracker
from tracker.workbooks import send_back_letter

blueprint = Blueprint("marking", __name__)
NAV = [NavLink("Marking", "marking.returns", Action.MARK)]

# The words beside each decision the library knows (`DECISIONS`): one label each.
DECISION_LABELS = {
    "accept": "Accept and credit the time",
    "send-back": "Send back to the client with feedback",
    "refuse": "Refuse, with a reason",
}
assert set(DECISION_LABELS) == set(DECISIONS)
SEND_BACK = DECISIONS[1]  # the decision that has a letter to post


class MarkForm(FlaskForm):  # type: ignore[misc]
    """The marker's decision on one return."""

    tried = SelectMultipleField(
        "Activities the client tried", widget=GovCheckboxesInput(), choices=[]
    )
    minutes = StringField(
        "Time the client declared",
        widget=GovTextInput(),
        description="For example 110, 1h50 or 1:50. Needed to accept.",
        validators=[Length(max=20)],
    )
    decision = RadioField(
        "Decision",
        widget=GovRadioInput(),
        choices=[SelectChoice(d, DECISION_LABELS[d]) for d in DECISIONS],
        validate_choice=False,  # an unknown one is the library's to refuse, in its words
    )
    feedback = StringField(
        "Feedback for the client",
        widget=GovTextArea(),
        description="Needed to send back. Plain words: what to try again.",
        validators=[Length(max=1000)],
    )
    reason = StringField(
        "Reason",
        widget=GovTextArea(),
        description="Needed to refuse, or to accept with pages missing. Kept with the mark.",
        validators=[Length(max=500)],
    )
    pages_missing_ok = BooleanField(
        "Accept even though pages are missing", widget=GovCheckboxInput()
    )
    submit = SubmitField("Save and go to the next return", widget=GovSubmitInput())


@blueprint.get("/returns")
@needs(Action.MARK)
def returns() -> str:
    """The returns waiting to be marked, oldest first, with their pages and gaps."""
    offset = request.args.get("from", 0, type=int) or 0
    queue = waiting(tracker(), offset=offset)
    return render_template("marking/returns.html", title="Returns to mark", queue=queue)


@blueprint.route("/returns/<ref:return_ref>", methods=["GET", "POST"])
@needs(Action.MARK)
def return_page(return_ref: str) -> str | BaseResponse:
    """One return (R17, opaque in the address): its pages and answers, and the decision."""
    t = tracker()
    return_id = _number(parse_return_id, return_ref)
    view = marking_view(t, return_id)
    form = _form(t, view)
    if request.method == "POST" and form.validate_on_submit():
        marked = _decide(form, view)
        if marked is not None:
            flash(_said(marked))
            if marked.decision == SEND_BACK:  # stay: its letter is offered on its page
                return redirect(url_for("marking.return_page", return_ref=f"R{return_id}"))
            following = next_waiting(t, return_id)
            if following is None:
                return redirect(url_for("marking.returns"))
            return redirect(url_for("marking.return_page", return_ref=f"R{following}"))
    status = 400 if form.errors else 200
    return Response(
        render_template(
            "marking/return.html",
            title=f"Mark R{view.return_id}",
            view=view,
            form=form,
            letter=view.decision == SEND_BACK,
        ),
        status=status,
    )


def _form(t: Tracker, view: MarkingView) -> MarkForm:
    form = MarkForm()
    form.tried.choices = [SelectChoice(a.id, f"{a.id}: {a.title}") for a in view.activities]
    if request.method == "GET":  # start from what an answers file says, for the marker to check
        given = prefill(t, view.return_id)
        form.tried.data = list(given.tried)
        if given.declared_minutes is not None:
            form.minutes.data = str(given.declared_minutes)
    return form


def _decide(form: MarkForm, view: MarkingView) -> Marked | None:
    """Call the library with the form; put its refusal on the field it is about."""
    declared = None
    if (form.minutes.data or "").strip():
        try:
            declared = parse_minutes(form.minutes.data, "the time declared")
        except TimeFormatError as err:
            form.minutes.errors.append(f"The time declared {err.reason}")
            return None
    tried = set(form.tried.data or [])
    try:
        return mark(
            tracker(),
            view.return_id,
            form.decision.data or "",
            "",  # the library records the signed-in account
            {a.id: a.id in tried for a in view.activities},
            declared,
            feedback=form.feedback.data or "",
            reason=form.reason.data or "",
            pages_missing_ok=bool(form.pages_missing_ok.data),
        )
    except PagesMissing as err:
        form.pages_missing_ok.errors.append(
            f"{err.pages.capitalize()} did not come in: to accept anyway, tick this box and "
            "give a reason, or send it back"
        )
    except BlankTried as err:
        them = "it" if len(err.blank) == 1 else "them"
        form.tried.errors.append(f"{_sentence(err.reason)}: untick {them}, or send it back")
    except TrackerError as err:  # on the field it names, if it names one of this form's
        field = getattr(form, str(getattr(err, "field", "")), None) or form.decision
        field.errors.append(_sentence(str(err)))
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _said(marked: Marked) -> str:
    """What the banner says once a return is marked."""
    if marked.decision == "accept":
        credited = hours(marked.credited) if marked.credited else "nothing"
        note = f" ({marked.note})" if marked.note else ""
        return f"R{marked.return_id} ({marked.module_id}) accepted: {credited} credited{note}."
    if marked.decision == "send-back":
        return f"R{marked.return_id} ({marked.module_id}) sent back to the client."
    return f"R{marked.return_id} ({marked.module_id}) refused."


@blueprint.get("/returns/<ref:return_ref>/letter")
@needs(Action.MARK)
def letter(return_ref: str) -> Response | str:
    """The send-back letter (PDF) of a return that was sent back; a page saying so if not."""
    t = tracker()
    return_id = _number(parse_return_id, return_ref)
    if marking_view(t, return_id).decision != SEND_BACK:  # scoped: another office's is 404
        text = f"R{return_id} was not sent back, so it has no send-back letter."
        return render_template("error.html", title="No letter", text=text)
    path = send_back_letter(t, return_id, out_root=issues_root(t) / "letters")
    response = send_file(path, mimetype="application/pdf", as_attachment=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/pages/<ref:page_ref>/image")
@needs(Action.MARK)
def image(page_ref: str) -> Response:
    """A kept page's image (P17, opaque in the address), for staff of its office only."""
    page_id = _number(parse_page_ref, page_ref)
    response = Response(page_image(tracker(), page_id), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


def _number(parse: Callable[[str], int], ref: str) -> int:
    """A record's number from its reference in the address (R17, P17); 404 if it is none."""
    try:
        return parse(ref)
    except TrackerError:
        abort(404)
