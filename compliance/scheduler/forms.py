from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, ValidationError
from wtforms.validators import DataRequired

from ..timeutil import local_today


class RunJobForm(FlaskForm):
    job = SelectField(_l("Job"), validators=[DataRequired()])
    run_on = DateField(_l("Run date"), validators=[DataRequired()])

    def validate_run_on(self, field) -> None:
        if field.data and field.data > local_today():
            raise ValidationError(_l("A job cannot run for a date in the future."))


class HistoryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    job = SelectField(_l("Job"), default="")
    outcome = SelectField(_l("Outcome"), default="")
