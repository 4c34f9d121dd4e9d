"""Forms of the organisation pages. Choices that depend on the user's scope are set by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import SITE_KINDS, STAFF_STATUSES
from .services import CONFLICT_KINDS

SITE_KIND_LABELS = {
    "centre": _l("Service centre"),
    "hall": _l("Area hall"),
    "station": _l("Community station"),
}
STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "left": _l("Left")}
CONFLICT_KIND_LABELS = {
    "relative": _l("Relative"),
    "interest": _l("Business interest"),
    "other": _l("Other"),
}


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class SiteForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, SITE_KIND_LABELS[k]) for k in SITE_KINDS]
    )
    parent_id = SelectField(_l("Parent site"), coerce=_int_or_zero, choices=[])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(-90, 90)],
        render_kw={"inputmode": "decimal"},
        description=_l(
            "Where the building is, in decimal degrees as a phone reports them (e.g. 30.5702). "
            "Rounds recorded far from here are flagged for the discipline office."
        ),
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(-180, 180)],
        render_kw={"inputmode": "decimal"},
        description=_l("E.g. 104.2521. Leave both empty when unknown."),
    )
    is_active = BooleanField(_l("In use"), default=True)


class WindowForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=_int_or_zero, choices=[])
    code = StringField(_l("Window code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    is_active = BooleanField(_l("In use"), default=True)


class PostForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    is_key = BooleanField(_l("Key post (subject to rotation)"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class StaffForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    hired_on = DateField(_l("Hire date"), validators=[DataRequired()])
    status = SelectField(
        _l("Status"), choices=[SelectChoice(s, STATUS_LABELS[s]) for s in STAFF_STATUSES]
    )
    site_id = SelectField(_l("Site"), coerce=_int_or_zero, choices=[])


class StaffCreateForm(StaffForm):
    post_id = SelectField(
        _l("Post (optional: starts an assignment on the hire date)"),
        coerce=_int_or_zero,
        choices=[],
    )
    window_id = SelectField(_l("Window"), coerce=_int_or_zero, choices=[])


class AssignmentForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=32)])
    post_id = SelectField(_l("Post"), coerce=_int_or_zero, choices=[])
    site_id = SelectField(_l("Site"), coerce=_int_or_zero, choices=[])
    window_id = SelectField(_l("Window"), coerce=_int_or_zero, choices=[])
    started_on = DateField(_l("Start date"), validators=[DataRequired()])
    ended_on = DateField(_l("End date"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class LeaveForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=32)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class ConflictForm(FlaskForm):
    staff_a = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=32)])
    staff_b = StringField(
        _l("Staff number of the other person"), validators=[DataRequired(), Length(max=32)]
    )
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, CONFLICT_KIND_LABELS[k]) for k in CONFLICT_KINDS]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class ConflictEditForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, CONFLICT_KIND_LABELS[k]) for k in CONFLICT_KINDS]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class ImportForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    """Confirms one stored roster preview; `sha256` is the previewed file's hash."""

    sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
