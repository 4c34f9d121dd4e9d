"""Forms of the training pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from compliance import limits

from .models import COURSE_KINDS


def kind_labels() -> dict[str, object]:
    return {
        "pre_job": _l("Pre-job training"),
        "thematic_meeting": _l("Thematic meeting"),
        "business_skills": _l("Business skills"),
        "discipline": _l("Discipline"),
    }


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of check boxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=120,
        validators=[InputRequired(), NumberRange(min=1, max=1440)],
    )
    is_active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = kind_labels()
        self.kind.choices = [SelectChoice(k, labels[k]) for k in COURSE_KINDS]


class SessionForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[InputRequired()])
    site_id = SelectField(_l("Site"), coerce=int, validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=120)])
    day = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    trainer = StringField(_l("Trainer"), validators=[DataRequired(), Length(max=64)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=1000)])
    staff_ids = SelectMultipleField(_l("Invite people"), coerce=int, validators=[Optional()])
    invite_site_ids = MultiCheckboxField(
        _l("Invite everyone at a site"), coerce=int, validators=[Optional()]
    )
    invite_post_ids = MultiCheckboxField(
        _l("Invite everyone in a post"), coerce=int, validators=[Optional()]
    )
    invite_new_staff = BooleanField(_l("Invite all new staff"))
    skip_conflicted = BooleanField(_l("Leave out people who cannot attend"))
    confirm_gaps = BooleanField(_l("Schedule even though windows are left with nobody on duty"))

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The session must end after it starts."))


class InviteForm(FlaskForm):
    staff_ids = SelectMultipleField(_l("Invite people"), coerce=int, validators=[Optional()])
    invite_site_ids = MultiCheckboxField(
        _l("Invite everyone at a site"), coerce=int, validators=[Optional()]
    )
    invite_post_ids = MultiCheckboxField(
        _l("Invite everyone in a post"), coerce=int, validators=[Optional()]
    )
    invite_new_staff = BooleanField(_l("Invite all new staff"))
    skip_conflicted = BooleanField(_l("Leave out people who cannot attend"))
    confirm_gaps = BooleanField(_l("Schedule even though windows are left with nobody on duty"))


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=20000)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    mentor_weeks = IntegerField(
        _l("Mentor pairing (weeks)"),
        default=12,
        validators=[InputRequired(), NumberRange(min=1, max=52)],
    )
    is_default = BooleanField(_l("Default for new staff"))
    is_active = BooleanField(_l("Active"), default=True)


class PairingForm(FlaskForm):
    mentor_id = RadioField(_l("Mentor"), coerce=int, validators=[InputRequired()], choices=[])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    weeks = IntegerField(_l("Weeks"), validators=[InputRequired(), NumberRange(min=1, max=52)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ShadowLogForm(FlaskForm):
    worked_on = DateField(_l("Date"), validators=[InputRequired()])
    hours = DecimalField(
        _l("Hours"), places=1, validators=[InputRequired(), NumberRange(min=0.5, max=12)]
    )
    practised = TextAreaField(
        _l("What was practised"), validators=[DataRequired(), Length(max=limits.SHADOW_LOG_TEXT)]
    )
    mentor_comment = TextAreaField(
        _l("Mentor's comment"), validators=[Optional(), Length(max=limits.SHADOW_LOG_TEXT)]
    )


class ConfirmLogForm(FlaskForm):
    mentor_comment = StringField(
        _l("Mentor's comment"), validators=[Optional(), Length(max=limits.SHADOW_LOG_TEXT)]
    )


class AssessForm(FlaskForm):
    outcome = RadioField(
        _l("Assessment"),
        choices=[
            SelectChoice("ready", _l("Ready to work alone")),
            SelectChoice("needs_more_time", _l("Needs more time")),
        ],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])

    def validate_reason(self, field):
        if self.outcome.data == "needs_more_time" and not (field.data or "").strip():
            raise ValidationError(_l("Say why more time is needed."))


class ExtendForm(FlaskForm):
    weeks = IntegerField(
        _l("Extend by (weeks)"), default=2, validators=[InputRequired(), NumberRange(min=1, max=26)]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
