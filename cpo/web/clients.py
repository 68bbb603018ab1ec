"""A case worker's clients and orders: search, add, edit, orders, adjustments, hours."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect
from wtforms import SelectChoice

from builder.regions import Region
from cpo.web.auth import tracker
from cpo.web.forms import AdjustForm, ClientForm, EditClientForm, OrderForm, SearchForm
from cpo.web.navigation import NavLink
from cpo.web.refusals import refuse
from cpo.web.security import needs
from tracker.accounts import Action
from tracker.dashboard import client_summary, find_clients, offices_served
from tracker.errors import TrackerError
from tracker.ledger import hours_statement
from tracker.orders import add_order, adjust_order
from tracker.people import add_client, update_client

blueprint = Blueprint("clients", __name__)
NAV = [NavLink("Clients", "clients.index", Action.READ_RECORDS)]


@blueprint.route("/clients", methods=["GET", "POST"])
@needs(Action.READ_RECORDS)
def index() -> str:
    """Search clients by reference or name (sent in the form, so never in an address)."""
    form = SearchForm()
    found = None
    if form.validate_on_submit():
        try:
            found = find_clients(tracker(), form.text.data)
        except TrackerError as err:
            refuse(form, err, "text")
    return render_template("clients/index.html", form=form, found=found)


@blueprint.route("/clients/new", methods=["GET", "POST"])
@needs(Action.MANAGE_CLIENTS)
def new() -> Redirect | str:
    """Add a client to one of your offices."""
    t = tracker()
    form = ClientForm()
    form.office.choices = [SelectChoice(o.code, o.name) for o in offices_served(t)]
    if form.validate_on_submit():
        try:
            client = add_client(
                t,
                form.reference.data,
                form.name.data,
                form.office.data,
                form.case_worker.data,
                current_user.actor.login,
                contact=form.contact.data or "",
                extra_time=form.extra_time.data,
                region=Region(form.region.data),
            )
        except TrackerError as err:
            refuse(form, err, "reference")
        else:
            flash(f"Client {client.reference} added. Now add their order.")
            return redirect(url_for("clients.new_order", reference=client.reference))
    return render_template("clients/new.html", form=form)


@blueprint.get("/clients/<ref:reference>")
@needs(Action.READ_RECORDS)
def show(reference: str) -> str:
    """A client: their details, orders with hours, and workbooks."""
    t = tracker()
    summary = client_summary(t, reference)
    statements = [hours_statement(t, order.reference) for order in summary.orders]
    return render_template("clients/show.html", summary=summary, statements=statements)


@blueprint.route("/clients/<ref:reference>/edit", methods=["GET", "POST"])
@needs(Action.MANAGE_CLIENTS)
def edit(reference: str) -> Redirect | str:
    """Change a client's name, office, postal address, case worker, contact, region, extra time."""
    t = tracker()
    client = client_summary(t, reference).client
    form = EditClientForm(
        data={
            "name": client.name,
            "office": client.office,
            "address": "\n".join(client.address),
            "case_worker": client.case_worker,
            "contact": client.case_worker_contact,
            "region": client.region.value if client.region else None,
            "extra_time": client.extra_time,
        }
    )
    form.office.choices = [SelectChoice(o.code, o.name) for o in offices_served(t)]
    if form.validate_on_submit():
        lines = tuple(x.strip() for x in (form.address.data or "").splitlines() if x.strip())
        try:
            update_client(
                t,
                reference,
                current_user.actor.login,
                name=form.name.data,
                office=form.office.data if form.office.data != client.office else None,
                address=lines if lines != client.address else None,
                extra_time=form.extra_time.data,
                case_worker=form.case_worker.data,
                contact=form.contact.data or "",
                region=Region(form.region.data),
            )
        except TrackerError as err:
            refuse(form, err, "case_worker")
        else:
            flash("Changes saved.")
            return redirect(url_for("clients.show", reference=reference))
    html = render_template("clients/edit.html", form=form, client=client)
    return Redirect(html, status=400 if form.errors else 200, mimetype="text/html")


@blueprint.route("/clients/<ref:reference>/orders/new", methods=["GET", "POST"])
@needs(Action.MANAGE_CLIENTS)
def new_order(reference: str) -> Redirect | str:
    """Record an order the court made for this client."""
    t = tracker()
    client = client_summary(t, reference).client
    form = OrderForm()
    if form.validate_on_submit():
        try:
            order = add_order(
                t,
                reference,
                form.jurisdiction.data,
                form.hours.data * 60,
                form.made.data,
                form.deadline.data,
                current_user.actor.login,
            )
        except TrackerError as err:
            refuse(form, err, "hours")
        else:
            flash(f"Order {order.reference} added.")
            return redirect(url_for("clients.show", reference=reference))
    return render_template("clients/order_new.html", form=form, client=client)


@blueprint.get("/orders/<ref:reference>")
@needs(Action.READ_RECORDS)
def order(reference: str) -> str:
    """An order's hours statement: ordered, cap, credited, left, module by module."""
    statement = hours_statement(tracker(), reference)
    return render_template("clients/order.html", s=statement)


@blueprint.route("/orders/<ref:reference>/adjust", methods=["GET", "POST"])
@needs(Action.MANAGE_CLIENTS)
def adjust(reference: str) -> Redirect | str:
    """Change an order's hours or deadline, with a dated reason (never an overwrite)."""
    t = tracker()
    statement = hours_statement(t, reference)
    form = AdjustForm()
    if form.validate_on_submit():
        try:
            adjust_order(
                t,
                reference,
                current_user.actor.login,
                form.reason.data,
                form.effective.data,
                minutes_change=(form.hours_change.data or 0) * 60,
                new_deadline=form.deadline.data,
            )
        except TrackerError as err:
            refuse(form, err, "hours_change")
        else:
            flash(f"Order {statement.order.reference} adjusted.")
            return redirect(url_for("clients.order", reference=reference))
    return render_template("clients/adjust.html", form=form, s=statement)
