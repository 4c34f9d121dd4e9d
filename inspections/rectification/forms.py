"""Forms of the rectification pages. Every action form carries the version the user saw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from compliance import limits
from compliance.form_fields import VersionField

SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}
CATEGORY_LABELS = {
    "attendance": _l("Attendance"),
    "attire": _l("Attire"),
    "hygiene": _l("Hygiene"),
    "conduct": _l("Conduct"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "responded": _l("Responded"),
    "rejected": _l("Rejected, reopened"),
    "verified": _l("Verified (closed)"),
    "cancelled": _l("Cancelled (finding voided on appeal)"),
}
SOURCE_LABELS = {
    "letter": _l("Letter"),
    "rating": _l("Rating (好差评)"),
    "hotline": _l("Hotline"),
    "walk_in": _l("In person"),
    "other": _l("Other"),
}
EVENT_LABELS = {
    "opened": _l("Opened"),
    "responded": _l("Response"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
    "fixed_on_spot": _l("Fixed on the spot"),
    "reassigned": _l("Responsible person changed"),
    "comment": _l("Comment"),
    "reminded": _l("Deadline reminder sent"),
    "overdue": _l("Overdue notice sent"),
    "escalated": _l("Escalated to discipline officers"),
    "cancelled": _l("Cancelled: the finding was voided on appeal"),
}
KIND_LABELS = {"complaint": _l("Complaint"), "commendation": _l("Commendation")}
OUTCOME_LABELS = {"pending": _l("Pending"), "upheld": _l("Upheld"), "not_upheld": _l("Not upheld")}
LEVEL_LABELS = {
    "reminder": _l("Reminder"),
    "written_notice": _l("Written notice (书面提醒)"),
    "talk": _l("Candidate for a formal talk (约谈)"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as SelectField choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class _VersionedForm(FlaskForm):
    version = VersionField()


class RespondForm(_VersionedForm):
    text = TextAreaField(
        _l("What was done"), validators=[DataRequired(), Length(max=limits.RECTIFICATION_TEXT)]
    )
    photos = MultipleFileField(
        _l("Photos"), render_kw={"accept": "image/*", "capture": "environment"}
    )


class VerifyForm(_VersionedForm):
    note = TextAreaField(
        _l("Note (optional)"), validators=[Optional(), Length(max=limits.RECTIFICATION_TEXT)]
    )


class RejectForm(_VersionedForm):
    reason = TextAreaField(
        _l("Reason for the rejection"),
        validators=[DataRequired(), Length(max=limits.RECTIFICATION_TEXT)],
    )


class FixOnSpotForm(_VersionedForm):
    text = TextAreaField(
        _l("What was fixed"), validators=[Optional(), Length(max=limits.RECTIFICATION_TEXT)]
    )
    witness = StringField(
        _l("Seen by"), validators=[Optional(), Length(max=limits.CONDUCT_REFERENCE)]
    )
    photos = MultipleFileField(
        _l("Photo"), render_kw={"accept": "image/*", "capture": "environment"}
    )


class CommentForm(FlaskForm):
    text = TextAreaField(
        _l("Comment or correction"),
        validators=[DataRequired(), Length(max=limits.RECTIFICATION_TEXT)],
    )


class ReassignForm(_VersionedForm):
    responsible = SelectField(
        _l("Responsible staff member"), coerce=int, validators=[InputRequired()]
    )
    supervisor = SelectField(_l("Supervisor"), coerce=int, validators=[Optional()])
    reason = TextAreaField(
        _l("Reason for the change"),
        validators=[DataRequired(), Length(max=limits.RECTIFICATION_TEXT)],
    )


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("holiday", _l("Holiday (no work)")),
            SelectChoice("workday", _l("Adjusted working day (调休)")),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=limits.CONDUCT_REFERENCE)]
    )


class DeadlineForm(FlaskForm):
    critical = IntegerField(
        _l("Critical: working days"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    major = IntegerField(
        _l("Major: working days"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    minor = IntegerField(
        _l("Minor: working days"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    reminder = IntegerField(
        _l("Findings in the window for a reminder"),
        validators=[InputRequired(), NumberRange(1, 100)],
    )
    written_notice = IntegerField(
        _l("Findings in the window for a written notice"),
        validators=[InputRequired(), NumberRange(1, 100)],
    )
    talk = IntegerField(
        _l("Findings in the window for a formal talk"),
        validators=[InputRequired(), NumberRange(1, 100)],
    )
    window_days = IntegerField(
        _l("Rolling window (days)"), validators=[InputRequired(), NumberRange(7, 730)]
    )
    escalate_after = IntegerField(
        _l("Escalate to discipline officers after overdue days"),
        validators=[InputRequired(), NumberRange(1, 60)],
    )

    def validate_talk(self, field):
        from wtforms.validators import ValidationError

        if not (self.reminder.data or 0) <= (self.written_notice.data or 0) <= (field.data or 0):
            raise ValidationError(_l("The thresholds must rise from reminder to formal talk."))


class KeeperForm(FlaskForm):
    target = HiddenField(validators=[InputRequired()])  # "w<window id>" or "s<site id>"
    keeper = SelectField(_l("Keeper"), coerce=int, validators=[Optional()])
    supervisor = SelectField(_l("Supervisor"), coerce=int, validators=[Optional()])
