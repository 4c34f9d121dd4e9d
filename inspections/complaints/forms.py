"""Labels and forms of the complaint pages. Action forms carry the version the user saw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from compliance.form_fields import VersionField

KIND_LABELS = {"complaint": _l("Complaint"), "commendation": _l("Commendation")}
SOURCE_LABELS = {
    "rating": _l("好差评 (bad rating)"),
    "hotline": _l("12345 hotline"),
    "letter": _l("Letter"),
    "walk_in": _l("On site"),
    "other": _l("Other"),
}
SUBJECT_LABELS = {
    "staff": _l("A staff member"),
    "window": _l("A window"),
    "site": _l("The site as a whole"),
}
STATUS_LABELS = {
    "verifying": _l("Being verified"),
    "concluded": _l("Concluded, callback due"),
    "closed": _l("Closed"),
}
OUTCOME_LABELS = {"pending": _l("Pending"), "upheld": _l("Upheld"), "not_upheld": _l("Not upheld")}
METHOD_LABELS = {
    "phone": _l("Phone"),
    "sms": _l("Text message"),
    "visit": _l("Visit"),
    "wechat": _l("WeChat"),
    "other": _l("Other"),
}
SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def select_choices(pairs, blank=None) -> list[SelectChoice]:
    out = [SelectChoice(0, blank)] if blank is not None else []
    return out + [SelectChoice(value, label) for value, label in pairs]


class ComplaintForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS))
    source = SelectField(_l("Source"), choices=_choices(SOURCE_LABELS))
    subject = RadioField(_l("Complaint about"), choices=_choices(SUBJECT_LABELS), default="staff")
    staff_member = SelectField(_l("Staff member"), coerce=int, validators=[Optional()])
    window = SelectField(_l("Window"), coerce=int, validators=[Optional()])
    site = SelectField(_l("Site"), coerce=int, validators=[Optional()])
    category = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    check_item = SelectField(_l("Check item"), coerce=int, validators=[Optional()])
    received_on = DateField(_l("Date received"), validators=[InputRequired()])
    reference = StringField(
        _l("Reference (letter or 12345 ticket number)"), validators=[Optional(), Length(max=64)]
    )
    severity = SelectField(_l("Severity (complaints)"), choices=_choices(SEVERITY_LABELS))
    complainant_name = StringField(_l("Citizen's name"), validators=[Optional(), Length(max=64)])
    complainant_phone = StringField(
        _l("Citizen's phone (for the callback)"),
        validators=[Optional(), Length(max=32), Regexp(r"^[0-9+\-\s()]*$")],
    )
    handler = SelectField(_l("Verified by"), coerce=int, validators=[Optional()])
    text = TextAreaField(_l("Content"), validators=[DataRequired(), Length(max=4000)])


class _VersionedForm(FlaskForm):
    version = VersionField()


class HandlerForm(_VersionedForm):
    handler = SelectField(_l("Verified by"), coerce=int, validators=[InputRequired()])
    restart = BooleanField(_l("Restart the verification deadline from today"))


class VerificationForm(_VersionedForm):
    note = TextAreaField(
        _l("What the verification found"), validators=[Optional(), Length(max=4000)]
    )
    category = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    check_item = SelectField(_l("Check item"), coerce=int, validators=[Optional()])


class ConcludeForm(_VersionedForm):
    outcome = RadioField(
        _l("Conclusion"),
        choices=[
            SelectChoice("upheld", _l("Upheld")),
            SelectChoice("not_upheld", _l("Not upheld")),
        ],
        validators=[InputRequired()],
    )
    severity = SelectField(_l("Severity"), choices=_choices(SEVERITY_LABELS))
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=4000)])


class CallbackForm(FlaskForm):
    called_at = DateTimeLocalField(
        _l("When"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    method = SelectField(_l("How"), choices=_choices(METHOD_LABELS))
    reached = RadioField(
        _l("Citizen reached"),
        choices=[SelectChoice("yes", _l("Reached")), SelectChoice("no", _l("Not reached"))],
        validators=[InputRequired()],
    )
    satisfied = RadioField(
        _l("Satisfied with the handling"),
        choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class CloseForm(_VersionedForm):
    note = TextAreaField(_l("Closing note"), validators=[Optional(), Length(max=4000)])


class CategoryForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=64)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=64)])
    check_item = SelectField(_l("Check item"), coerce=int, validators=[Optional()])
    is_integrity = BooleanField(
        _l("Integrity category (an upheld complaint goes to the discipline office)")
    )
    is_active = BooleanField(_l("Active"), default=True)
    sort_order = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(0, 999)])


class UploadForm(FlaskForm):
    profile = SelectField(_l("Source of the file"), coerce=int, validators=[Optional()])
    profile_name = StringField(
        _l("…or a new source (e.g. 省一体化平台好差评)"), validators=[Optional(), Length(max=64)]
    )
    file = FileField(
        _l("Export file (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
    )


class MappingForm(FlaskForm):
    """One select per field (the file's column titles as choices) is added by the view."""

    bad_ratings = StringField(
        _l("Ratings that count as 差评 (separated by commas)"),
        validators=[DataRequired(), Length(max=200)],
    )
    default_site = SelectField(
        _l("Site for rows that name none"), coerce=int, validators=[Optional()]
    )


class SettingsForm(FlaskForm):
    verify_days = IntegerField(
        _l("Working days to verify a complaint"),
        validators=[InputRequired(), NumberRange(1, 60)],
    )
    callback_attempts = IntegerField(
        _l("Unanswered callbacks after which a complaint may close as unreachable"),
        validators=[InputRequired(), NumberRange(1, 10)],
    )
