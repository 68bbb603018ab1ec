"""Importing clients from a case system's CSV: a dry run shown row by row, then the import.

Thin over the library: `tracker.importing.import_csv` checks and applies every row (a dry
run rolls all of it back, so the preview is exactly what the import will do); presets and
mapping files are `tracker.import_mappings`'. The file sent for the preview is kept in
this server's memory under a random id, for the account that sent it, so "Import these
rows" imports the very file previewed without sending it again.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice, SelectField, SubmitField

from cpo.web.auth import tracker
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.errors import TrackerError
from tracker.import_mappings import PRESETS, Mapping, load_mapping, preset
from tracker.import_rows import LONGEST_FILE
from tracker.importing import ImportReport, Outcome, import_csv

blueprint = Blueprint("importing", __name__)
NAV: list[NavLink] = []  # reached from the Clients page
KEEP = 20  # previews kept waiting for "Import these rows"; older ones are forgotten

# The words and tag colour for each row's outcome the library knows (`Outcome`).
OUTCOME_LABELS = {
    Outcome.ADDED: ("Added", "green"),
    Outcome.UPDATED: ("Updated", "blue"),
    Outcome.UNCHANGED: ("Unchanged", "grey"),
    Outcome.REFUSED: ("Refused", "red"),
}
assert set(OUTCOME_LABELS) == set(Outcome)


class ImportForm(FlaskForm):  # type: ignore[misc]
    """The export's case system (the file and any mapping file come as plain file inputs)."""

    preset = SelectField(
        "Case system the file comes from",
        widget=GovSelect(),
        choices=[SelectChoice(name, name.capitalize()) for name in PRESETS],
        description="Or send a mapping file below, naming the columns of your export.",
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: the preview's id comes as a hidden field."""


@dataclass(frozen=True)
class Kept:
    """A previewed file and how to read it, for the account that sent it."""

    owner: str
    name: str
    data: bytes
    mapping: Mapping


class Previews:
    """Files previewed and not yet imported, by random id."""

    def __init__(self) -> None:
        self._kept: dict[str, Kept] = {}
        self._lock = threading.Lock()

    def keep(self, kept: Kept) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._kept[key] = kept
            for old in list(self._kept)[:-KEEP]:
                del self._kept[old]
        return key

    def take(self, key: str, owner: str) -> Kept | None:
        """The file, once, if this account previewed it."""
        with self._lock:
            found = self._kept.get(key)
            if found is None or found.owner != owner:
                return None
            return self._kept.pop(key)


def previews() -> Previews:
    found = current_app.extensions.get("cpo_import_previews")
    if found is None:
        found = current_app.extensions["cpo_import_previews"] = Previews()
    return found


@blueprint.route("/clients/import", methods=["GET", "POST"])
@needs(Action.MANAGE_CLIENTS)
def start() -> Response:
    """Choose a CSV export and its case system; a dry run shows what each row would do."""
    form = ImportForm()
    error = ""
    if request.method == "POST" and form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = "Choose the CSV file exported from your case system"
        else:
            data = upload.read(LONGEST_FILE + 1)
            try:
                mapping = _mapping(form.preset.data, request.files.get("mapping"))
                report = import_csv(
                    tracker(), data, mapping, "", dry_run=True, source=_name(upload)
                )
            except TrackerError as err:
                error = _sentence(str(err))
            else:
                actor = current_user.actor.login
                key = previews().keep(Kept(actor, _name(upload), data, mapping))
                return _shown(report, key, ConfirmForm())
    return _page("importing/start.html", status=400 if error else 200, form=form, error=error)


@blueprint.post("/clients/import/confirm")
@needs(Action.MANAGE_CLIENTS)
def confirm() -> Response:
    """Import the very file previewed (kept here by its id), and show every row's result."""
    form = ConfirmForm()
    kept = None
    if form.validate_on_submit():
        kept = previews().take(request.form.get("key", ""), current_user.actor.login)
    if kept is None:
        notice = "That preview is not kept any more (imported, or too old): send the file again"
        return _page("importing/start.html", status=400, form=ImportForm(), error=notice)
    try:
        report = import_csv(tracker(), kept.data, kept.mapping, "", source=kept.name)
    except TrackerError as err:
        return _page("importing/start.html", 400, form=ImportForm(), error=_sentence(str(err)))
    return _shown(report, "", form)


def _mapping(name: str, upload: FileStorage | None) -> Mapping:
    """The mapping file sent, if any (read by the library); else the chosen preset."""
    if upload is None or not upload.filename:
        return preset(name)
    with tempfile.TemporaryDirectory(prefix="cpo-mapping-") as folder:
        suffix = ".json" if upload.read(1)[:1] in (b"{", b"[") else ".yaml"  # told by content
        upload.stream.seek(0)
        path = Path(folder) / f"mapping{suffix}"
        path.write_bytes(upload.read(64 * 1024))
        return load_mapping(path)


def _name(upload: FileStorage) -> str:
    return Path(upload.filename or "upload.csv").name[:80]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _page(template: str, status: int = 200, **context: object) -> Response:
    html = render_template(template, title="Import clients", labels=OUTCOME_LABELS, **context)
    return Response(html, status=status)


def _shown(report: ImportReport, key: str, form: ConfirmForm) -> Response:
    """Every row's result; with "Import these rows" if it was a dry run."""
    counts = [(OUTCOME_LABELS[o][0], report.count(o)) for o in Outcome]
    return _page("importing/preview.html", report=report, key=key, form=form, counts=counts)
