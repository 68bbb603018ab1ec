"""Reports for case workers: the weekly report with its chart, the overdue list, the
ledger export, the client's statement and certificate, and the audit chain's status.

Office codes and dates may be in addresses (they name no one); a client is named by
its opaque id.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_file

from cpo.web.auth import tracker
from cpo.web.navigation import NavLink
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.dashboard import audit_status, offices_served, overdue_now
from tracker.errors import TrackerError
from tracker.reports import (
    CSV_COLUMNS,
    LEDGER_COLUMNS,
    OVERDUE_COLUMNS,
    WeeklyReport,
    as_csv,
    audit_fingerprint,
    client_record,
    export_ledger,
    overdue_items,
    weekly_report,
)

blueprint = Blueprint("reports", __name__, url_prefix="/reports")
NAV = [NavLink("Reports", "reports.weekly", Action.READ_RECORDS)]
CHART_HEIGHT, BAR_WIDTH, GAP = 160, 48, 24
SHOWN_AT_MOST = 100  # overdue modules listed on the page; the CSV has them all


def _office() -> str | None:
    """The office asked for (?office=CODE), or the account's only one."""
    asked = request.args.get("office", "").strip()[:40]
    if asked:
        return asked
    served = offices_served(tracker())
    actor = tracker().actor
    return served[0].code if actor and not actor.every_office and len(served) == 1 else None


def _week() -> date | None:
    text = request.args.get("week", "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        abort(404)


def chart(report: WeeklyReport) -> dict[str, object]:
    """The chart's bars as SVG numbers: drawn by the template, no inline style."""
    most = max([m for _, m in report.weekly_minutes] + [60])
    bars = []
    for n, (week, minutes) in enumerate(report.weekly_minutes):
        height = round(CHART_HEIGHT * minutes / most)
        x = GAP + n * (BAR_WIDTH + GAP)
        bars.append(
            {
                "x": x,
                "y": CHART_HEIGHT - height + 20,
                "height": height,
                "week": week,
                "minutes": minutes,
                "width": BAR_WIDTH,
            }
        )
    width = GAP + len(bars) * (BAR_WIDTH + GAP)
    return {"bars": bars, "width": width, "height": CHART_HEIGHT + 60, "base": CHART_HEIGHT + 20}


@blueprint.get("/")
@needs(Action.READ_RECORDS)
def weekly() -> str:
    """The week's report for an office: a row per order, by case worker, with a chart."""
    offices = offices_served(tracker())
    office = _office()
    if office is None and len(offices) > 1 and not tracker().actor.every_office:  # type: ignore[union-attr]
        return render_template("reports/choose.html", offices=offices)
    report = weekly_report(tracker(), office, _week())
    return render_template(
        "reports/weekly.html", report=report, chart=chart(report), offices=offices, office=office
    )


@blueprint.get("/weekly.<any(csv, pdf):kind>")
@needs(Action.READ_RECORDS)
def weekly_file(kind: str) -> Response:
    """The weekly report as CSV (for the case system) or PDF (to file or print)."""
    report = weekly_report(tracker(), _office(), _week())
    name = f"weekly-{report.office or 'all'}-{report.week_start}.{kind}"
    if kind == "csv":
        return _attachment(as_csv(report.lines, CSV_COLUMNS, report.audit), "text/csv", name)
    from tracker.report_pdf import render_weekly

    return _pdf(lambda path: render_weekly(report, path), name)


@blueprint.get("/overdue")
@needs(Action.READ_RECORDS)
def overdue() -> str:
    """Modules not back by their due date, by case worker: what to follow up."""
    items = overdue_now(tracker(), _office())
    return render_template("reports/overdue.html", items=items[:SHOWN_AT_MOST], count=len(items))


@blueprint.get("/overdue.csv")
@needs(Action.READ_RECORDS)
def overdue_csv() -> Response:
    items = overdue_items(tracker(), _office())
    return _attachment(as_csv(items, OVERDUE_COLUMNS), "text/csv", "overdue.csv")


@blueprint.get("/ledger")
@needs(Action.READ_RECORDS)
def ledger() -> str | Response:
    """Choose dates, then download the ledger's entries to reconcile with the case system."""
    first, last = request.args.get("from", ""), request.args.get("to", "")
    error = ""
    if first or last:
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            error = "Enter both dates as year-month-day, for example 2026-11-01"
        else:
            t = tracker()
            fingerprint = audit_fingerprint(t)  # first: the chain holds at least this much
            try:
                rows = export_ledger(t, start, end)
            except TrackerError as err:
                error = str(err)[:1].upper() + str(err)[1:]
            else:
                text = as_csv(rows, LEDGER_COLUMNS, fingerprint)
                return _attachment(text, "text/csv", f"ledger-{start}-{end}.csv")
    today = tracker().today()
    return render_template(
        "reports/ledger.html",
        error=error,
        first=first or today.replace(day=1).isoformat(),
        last=last or today.isoformat(),
    )


@blueprint.get("/audit")
@needs(Action.READ_RECORDS)
def audit() -> str:
    """Whether the audit chain holds, and its fingerprint to note on what leaves the office."""
    return render_template("reports/audit.html", status=audit_status(tracker()))


@blueprint.get("/clients/<ref:reference>/<any(statement, certificate):kind>.pdf")
@needs(Action.READ_RECORDS)
def client_pdf(reference: str, kind: str) -> Response:
    """The client's statement or certificate of the modules they completed."""
    from tracker.report_pdf import render_certificate, render_statement

    record = client_record(tracker(), reference)
    render = render_certificate if kind == "certificate" else render_statement
    return _pdf(lambda path: render(record, path), f"{kind}.pdf")


def _attachment(text: str, mimetype: str, name: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pdf(render: Callable[[Path], Path], name: str) -> Response:
    """A PDF rendered into a private temporary folder, sent, and deleted."""
    with tempfile.TemporaryDirectory(prefix="cpo-web-") as folder:
        path = Path(folder) / "out.pdf"
        render(path)
        data = path.read_bytes()
    return send_file(
        io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
