"""Issue to several clients at once: an office's batch and its one print run PDF.

Thin over the library: `tracker.print_run.issue_batch` records each client's workbook,
prints them and assembles the print run, naming each client it could not issue to. It
takes minutes for a whole office, so it runs on a thread of the server (as an intake
upload does) while a status page says it is working; the run is named by a random id and
shown only to the account that started it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput
from werkzeug.wrappers import Response as BaseResponse
from wtforms import RadioField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from cpo.web.auth import tracker
from cpo.web.forms import PROFILE_CHOICES
from cpo.web.issuing import issues_root
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action, Actor
from tracker.dashboard import offices_served
from tracker.errors import TrackerError
from tracker.print_run import PrintRun, issue_batch
from tracker.tracker import Tracker

blueprint = Blueprint("print_runs", __name__)
NAV: list[NavLink] = []  # reached from the Clients page
KEEP = 50  # runs remembered for their result pages
log = logging.getLogger(__name__)


class BatchForm(FlaskForm):  # type: ignore[misc]
    """Which office's clients, and the print profile."""

    office = SelectField("Office", widget=GovSelect(), choices=[])
    profile = RadioField(
        "Print profile",
        choices=PROFILE_CHOICES,
        default="standard",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose a print profile")],
    )
    submit = SubmitField("Issue to every client of the office", widget=GovSubmitInput())


@dataclass
class Run:
    """One batch being issued: done or not, and its print run or why it stopped."""

    id: str
    owner: str
    office: str
    done: bool = False
    result: PrintRun | None = None
    failed: str = ""


class Runs:
    """This server's batch runs, by id."""

    def __init__(self, opener: Callable[[], Tracker]) -> None:
        self._opener = opener
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def start(self, actor: Actor, office: str, profile: str, workers: int) -> Run:
        """Issue and print the office's batch on a thread of its own."""
        run = Run(secrets.token_urlsafe(16), actor.login, office)
        with self._lock:
            self._runs[run.id] = run
            for old in list(self._runs)[:-KEEP]:
                del self._runs[old]
        args = (run, actor, profile, workers)
        thread = threading.Thread(target=self._run, args=args, name=f"batch-{run.id[:6]}")
        thread.daemon = True
        thread.start()
        return run

    def find(self, run_id: str, actor: Actor) -> Run | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.owner == actor.login else None

    def _run(self, run: Run, actor: Actor, profile: str, workers: int) -> None:
        t: Tracker | None = None
        try:
            t = self._opener()
            t.actor = actor
            out = issues_root(t)
            run.result = issue_batch(
                t, "", office=run.office, profile=profile, out_root=out, workers=workers
            )
        except TrackerError as err:
            run.failed = str(err)
        except Exception:  # a bug: logged whole; the page says what is kept
            log.exception("batch %s stopped", run.id[:6])
            run.failed = "the batch stopped before the end"
        finally:
            if t is not None:
                t.close()
            run.done = True


def runs() -> Runs:
    found = current_app.extensions.get("cpo_print_runs")
    if found is None:
        opener = current_app.extensions["cpo_trackers"].open_new
        found = current_app.extensions["cpo_print_runs"] = Runs(opener)
    return found


@blueprint.route("/issue/batch", methods=["GET", "POST"])
@needs(Action.ISSUE)
def start() -> str | BaseResponse:
    """Choose an office and a profile; issue to its clients and make one print run."""
    form = BatchForm()
    form.office.choices = [SelectChoice(o.code, o.name) for o in offices_served(tracker())]
    if form.validate_on_submit():
        workers = int(current_app.config.get("CPO_PRINT_WORKERS", 0))
        run = runs().start(current_user.actor, form.office.data, form.profile.data, workers)
        return redirect(url_for("print_runs.status", id=run.id))
    html = render_template("print_runs/start.html", title="Issue to several clients", form=form)
    return Response(html, status=400 if form.errors else 200)


@blueprint.get("/issue/batch/run")
@needs(Action.ISSUE)
def status() -> str | Response:
    """Working, or the run's clients, those skipped and why; `&pdf=1` downloads its PDF."""
    run = runs().find(request.args.get("id", ""), current_user.actor)
    if run is None:  # not this account's, or forgotten since the server restarted
        return render_template("print_runs/status.html", title="Print run", run=None)
    if request.args.get("pdf") and run.result is not None and run.result.path is not None:
        return send_file(run.result.path, mimetype="application/pdf", as_attachment=True)
    title = "Print run" if run.done else "Issuing and printing"
    return render_template("print_runs/status.html", title=title, run=run)
