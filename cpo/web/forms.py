"""The case worker's forms, with GOV.UK widgets; choices come from the library's own lists."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from builder.profiles import PROFILES
from builder.regions import Region
from tracker.policy import POLICIES

REGIONS = [SelectChoice(r.value, r.label) for r in Region]
JURISDICTIONS = [SelectChoice(code, p.label) for code, p in POLICIES.items()]
PROFILE_CHOICES = [SelectChoice(name, p.label) for name, p in PROFILES.items()]
DATE_FORMAT = "%d %m %Y"  # GOV.UK date input: day, month, year boxes


class DayMonthYear(DateField):  # type: ignore[misc]
    """A date typed in three boxes (GOV.UK's date input), however many boxes arrive."""

    data: Any  # a date, or None until one is typed

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) != 3:  # a form sent without the boxes, or with extra ones
            valuelist = ["", "", ""]
        self.raw_data = valuelist
        if not any(v.strip() for v in valuelist):
            self.data = None
            return
        super().process_formdata([" ".join(v.strip() for v in valuelist)])


class SearchForm(FlaskForm):  # type: ignore[misc]
    text = StringField(
        "Case reference or name",
        description="Part of one is enough. Searches are sent in the form, never the address.",
        widget=GovTextInput(),
        validators=[InputRequired("Type part of a case reference or a name"), Length(max=100)],
    )
    submit = SubmitField("Search", widget=GovSubmitInput())


# Made before the shared fields, so a new client's form (and its error summary) starts with it.
_REFERENCE = StringField(
    "Case reference",
    description="As in your case system, for example C-1042.",
    widget=GovTextInput(),
    validators=[InputRequired("Enter the case reference"), Length(max=40)],
)


class _ClientFields(FlaskForm):  # type: ignore[misc]
    """What a case worker gives of a client, on adding and on changing them."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the client's name"), Length(max=100)],
    )
    office = SelectField("Office", widget=GovSelect(), choices=[])
    case_worker = StringField(
        "Case worker",
        description="Printed in the workbook: who the client can call.",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the case worker's name"), Length(max=100)],
    )
    contact = StringField(
        "Case worker's phone", widget=GovTextInput(), validators=[Optional(), Length(max=60)]
    )
    region = RadioField(
        "Where the client lives",
        choices=REGIONS,
        widget=GovRadioInput(),
        validators=[InputRequired("Choose where the client lives")],
    )
    extra_time = BooleanField(
        "The client needs extra time (guided time x1.2)", widget=GovCheckboxInput()
    )


class ClientForm(_ClientFields):
    reference = _REFERENCE
    submit = SubmitField("Add client", widget=GovSubmitInput())


class EditClientForm(_ClientFields):
    address = StringField(
        "Postal address",
        widget=GovTextArea(),
        description="One line of the address on each line, with the postcode last. For letters.",
        validators=[Optional(), Length(max=400)],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class OrderForm(FlaskForm):  # type: ignore[misc]
    jurisdiction = RadioField(
        "Where the order was made",
        choices=JURISDICTIONS,
        widget=GovRadioInput(),
        validators=[InputRequired("Choose where the order was made")],
    )
    hours = IntegerField(
        "Hours ordered",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the hours ordered, as a whole number"),
            NumberRange(1, 300),
        ],
    )
    made = DayMonthYear(
        "Date the order was made",
        description="For example, 2 11 2026",
        widget=GovDateInput(),
        format=DATE_FORMAT,
        validators=[InputRequired("Enter the date the order was made")],
    )
    deadline = DayMonthYear(
        "Deadline",
        description="As the court set it, for example 1 5 2027",
        widget=GovDateInput(),
        format=DATE_FORMAT,
        validators=[InputRequired("Enter the deadline")],
    )
    submit = SubmitField("Add order", widget=GovSubmitInput())


class AdjustForm(FlaskForm):  # type: ignore[misc]
    hours_change = IntegerField(
        "Hours to add (or take away, with a minus sign)",
        description="Leave empty to change only the deadline.",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(-300, 300)],
    )
    deadline = DayMonthYear(
        "New deadline",
        description="Leave empty to change only the hours. A deadline can only move later.",
        widget=GovDateInput(),
        format=DATE_FORMAT,
        validators=[Optional()],
    )
    effective = DayMonthYear(
        "Date the change takes effect",
        widget=GovDateInput(),
        format=DATE_FORMAT,
        validators=[InputRequired("Enter the date the change takes effect")],
    )
    reason = StringField(
        "Reason",
        description="For example: extended by the court on review.",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the reason for the change"), Length(max=500)],
    )
    submit = SubmitField("Adjust order", widget=GovSubmitInput())


class IssueForm(FlaskForm):  # type: ignore[misc]
    modules = SelectMultipleField("Modules", widget=GovCheckboxesInput(), choices=[])
    profile = RadioField(
        "Print profile",
        choices=PROFILE_CHOICES,
        default="standard",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose a print profile")],
    )
    html = BooleanField(
        "Also make the HTML edition (a bundle of web pages)", widget=GovCheckboxInput()
    )
    submit = SubmitField("Issue workbook", widget=GovSubmitInput())


class RevokeForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(
        "Why revoke it",
        description="For example: lost in the post. Its codes stop working at once.",
        widget=GovTextArea(),
        validators=[InputRequired("Enter why the workbook is revoked"), Length(max=500)],
    )
    submit = SubmitField("Revoke workbook", widget=GovSubmitInput(), render_kw={})
