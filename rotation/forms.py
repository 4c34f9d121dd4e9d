"""Forms of the rotation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class PolicyForm(FlaskForm):
    max_tenure_months = IntegerField(
        _l("Maximum tenure (months)"), validators=[DataRequired(), NumberRange(min=1, max=240)]
    )
    min_interval_months = IntegerField(
        _l("Minimum time between two moves (months)"), validators=[NumberRange(min=0, max=240)]
    )
    cooling_off_months = IntegerField(
        _l("Cooling-off before returning to the post (months)"),
        validators=[NumberRange(min=0, max=240)],
    )
    required_courses = SelectMultipleField(
        _l("Required courses (qualification)"), coerce=int, validators=[Optional()]
    )
    recommended_courses = SelectMultipleField(
        _l("Recommended courses (preferred)"), coerce=int, validators=[Optional()]
    )


class CheckPairForm(FlaskForm):
    post_a = SelectField(_l("Post"), coerce=int, validators=[DataRequired()])
    post_b = SelectField(_l("Checks / is checked by"), coerce=int, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class ExemptionForm(FlaskForm):
    staff = SelectField(_l("Staff member"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    approver = SelectField(_l("Approved by"), coerce=int, validators=[DataRequired()])
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until"), validators=[DataRequired()])


class PlannerForm(FlaskForm):
    planning_on = DateField(_l("Planning date"), validators=[DataRequired()])
    candidates = TextAreaField(
        _l("Candidates (staff numbers, separated by spaces or commas)"),
        validators=[Optional(), Length(max=20000)],
    )
    title = StringField(_l("Plan title"), validators=[Optional(), Length(max=120)])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
