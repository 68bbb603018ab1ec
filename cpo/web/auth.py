"""Signing in and out, changing your password, and an admin's staff accounts."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from werkzeug.wrappers import Response as Redirect
from wtforms import (
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length

from cpo.web.app import limiter
from cpo.web.navigation import NavLink
from cpo.web.security import needs, public
from cpo.web.users import StaffUser
from tracker.accounts import (
    SHORTEST_PASSWORD,
    AccountError,
    Action,
    NotPermitted,
    Role,
    add_staff,
    list_staff,
    set_enabled,
    set_password,
    sign_in,
)
from tracker.people import list_offices
from tracker.tracker import Tracker

blueprint = Blueprint("auth", __name__)
NAV = [NavLink("Staff", "auth.staff", Action.MANAGE_STAFF)]
ROLE_LABELS = {
    Role.CASEWORKER: "Case worker: clients, orders, issuing and reports",
    Role.FACILITATOR: "Facilitator: takes in and marks returns",
    Role.ADMIN: "Admin: offices, staff, keys and policy, for every office",
}


def tracker() -> Tracker:
    """This thread's tracker, acting as whoever is signed in (or nobody)."""
    actor = current_user.actor if current_user.is_authenticated else None
    t: Tracker = current_app.extensions["cpo_trackers"].act_as(actor)
    return t


def _failed(response: Response) -> bool:
    """Count a sign-in attempt against the limit only when it did not sign in."""
    return response.status_code != 302


class SignInForm(FlaskForm):  # type: ignore[misc]
    login = StringField(
        "Login",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your login"), Length(max=40)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password"), Length(max=200)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute;30 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit(
    "10 per hour",
    key_func=lambda: "login:" + request.form.get("login", "")[:40],
    methods=["POST"],
    deduct_when=_failed,
)
def sign_in_page() -> Redirect | str:
    """Sign in with your login and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            actor = sign_in(tracker(), form.login.data.strip(), form.password.data)
        except NotPermitted as err:
            form.login.errors.append(err.reason.capitalize())
        else:
            session.clear()
            login_user(StaffUser(actor))
            session.permanent = True
            return redirect(url_for("home.index"))
    return render_template("auth/sign_in.html", form=form)


@blueprint.post("/sign-out")
@needs(None)
def sign_out() -> Redirect:
    """Sign out, and forget this browser's session."""
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in_page"))


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Your password now",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password now")],
    )
    new = PasswordField(
        "New password",
        description=f"At least {SHORTEST_PASSWORD} characters. "
        "A few words you will remember work well.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a new password"), Length(max=200)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


@blueprint.route("/account/password", methods=["GET", "POST"])
@needs(None)
def change_password() -> Redirect | str:
    """Change your own password, after typing the one you have now."""
    form = PasswordForm()
    if form.validate_on_submit():
        t, login = tracker(), current_user.actor.login
        try:
            sign_in(t, login, form.current.data)
        except NotPermitted:
            form.current.errors.append("That is not your password now")
        else:
            try:
                set_password(t, login, form.new.data)
            except AccountError as err:
                form.new.errors.append(f"The new password {err.reason}")
            else:
                flash("Your password has been changed.")
                return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


class StaffForm(FlaskForm):  # type: ignore[misc]
    login = StringField(
        "Login",
        description="Lower-case letters, digits, dots, dashes. For example, ana.lopez",
        widget=GovTextInput(),
        validators=[InputRequired("Enter a login"), Length(max=40)],
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired("Choose a role")],
    )
    offices = SelectMultipleField("Offices they serve", widget=GovCheckboxesInput(), choices=[])
    password = PasswordField(
        "First password",
        description=f"At least {SHORTEST_PASSWORD} characters. Give it to them in person; "
        "they change it when they sign in.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a first password"), Length(max=200)],
    )
    submit = SubmitField("Add account", widget=GovSubmitInput())


@blueprint.route("/staff", methods=["GET", "POST"])
@needs(Action.MANAGE_STAFF)
def staff() -> Redirect | str:
    """Every staff account, and a form to add one."""
    t = tracker()
    form = StaffForm()
    form.offices.choices = [SelectChoice(o.code, o.name) for o in list_offices(t)]
    if form.validate_on_submit():
        try:
            added = add_staff(
                t,
                form.login.data.strip(),
                Role(form.role.data),
                list(form.offices.data),
                form.password.data,
            )
        except AccountError as err:
            field = {"login": form.login, "role": form.role, "office": form.offices}.get(
                err.field, form.password
            )
            field.errors.append(err.reason[:1].upper() + err.reason[1:])
        else:
            flash(f"Account {added.login} added.")
            return redirect(url_for("auth.staff"))
    return render_template("auth/staff.html", form=form, accounts=list_staff(t), labels=ROLE_LABELS)


class ToggleForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: the login is in the address, the choice in the button."""


@blueprint.post("/staff/<login>/<any(disable, enable):change>")
@needs(Action.MANAGE_STAFF)
def toggle(login: str, change: str) -> Redirect:
    """Disable an account (never deleted), or enable it again."""
    ToggleForm()  # CSRF is checked for every POST by CSRFProtect
    try:
        set_enabled(tracker(), login, change == "enable")
    except AccountError as err:
        flash(err.reason[:1].upper() + err.reason[1:], "error")
    else:
        flash(f"Account {login} {change}d.")
    return redirect(url_for("auth.staff"))
