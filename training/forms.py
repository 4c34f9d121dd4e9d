"""Forms of the training pages."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import current_user
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
from compliance.access import scope_filter
from compliance.db import db
from compliance.models import StaffMember

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


STAFF_CODES_SPLIT = re.compile(r"[\s,，;；、]+")
MAX_STAFF_CODES = 500


class InviteeCodesMixin:
    """People invited by staff code (typed, or picked from the search-as-you-type suggestions)
    instead of a select of everyone in scope: `staff_codes` resolves to staff ids in the user's
    scope; a code not found there is an error naming it."""

    staff_codes_resolved: list[int]

    def validate_invite_staff_nos(self, field):
        codes = list(dict.fromkeys(c for c in STAFF_CODES_SPLIT.split(field.data or "") if c))
        self.staff_codes_resolved = []
        if not codes:
            return
        if len(codes) > MAX_STAFF_CODES:
            raise ValidationError(_l("At most %(n)s staff codes at once.", n=MAX_STAFF_CODES))
        found = dict(
            db.session.execute(
                sa.select(StaffMember.staff_no, StaffMember.id).where(
                    StaffMember.staff_no.in_(codes),
                    StaffMember.status == "active",
                    scope_filter(current_user, StaffMember.site_id),
                )
            ).all()
        )
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ValidationError(
                _l("Unknown staff codes: %(codes)s", codes=" ".join(unknown[:20]))
            )
        self.staff_codes_resolved = [found[c] for c in codes]


def invite_codes_field():
    return StringField(
        _l("Invite people"),
        validators=[Optional(), Length(max=MAX_STAFF_CODES * 33)],
        description=_l("Staff codes, separated by spaces or commas."),
    )


class SessionForm(InviteeCodesMixin, FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[InputRequired()])
    site_id = SelectField(_l("Site"), coerce=int, validators=[InputRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=120)])
    day = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()])
    trainer = StringField(_l("Trainer"), validators=[DataRequired(), Length(max=64)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=1000)])
    staff_ids = SelectMultipleField(_l("Invite people"), coerce=int, validators=[Optional()])
    invite_staff_nos = invite_codes_field()
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


class InviteForm(InviteeCodesMixin, FlaskForm):
    staff_ids = SelectMultipleField(_l("Invite people"), coerce=int, validators=[Optional()])
    invite_staff_nos = invite_codes_field()
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
