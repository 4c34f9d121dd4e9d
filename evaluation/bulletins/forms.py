"""Forms of the bulletin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from compliance.form_fields import VersionField

from .services import MAX_LINE, MAX_TEXT, MAX_TITLE

KIND_CHOICES = [SelectChoice("month", _l("Month")), SelectChoice("quarter", _l("Quarter"))]

TEXT_LABELS = {
    "opening": _l("Opening"),
    "praise": _l("Commendations"),
    "criticism": _l("Criticism"),
    "problems": _l("Typical problems"),
    "rectification": _l("Rectification"),
    "requirements": _l("Requirements"),
}


class DraftForm(FlaskForm):
    kind = SelectField(_l("Period"), choices=KIND_CHOICES, default="month")
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2999)])
    index = IntegerField(
        _l("Month (1-12) or quarter (1-4)"), validators=[InputRequired(), NumberRange(1, 12)]
    )
    site = SelectField(_l("Scope"), choices=[], validate_choice=True)


class VersionForm(FlaskForm):
    version = VersionField()


class ReturnForm(VersionForm):
    reason = StringField(
        _l("Why it goes back to draft"), validators=[InputRequired(), Length(max=MAX_LINE)]
    )


class EditForm(VersionForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=MAX_TITLE)])
    organ = StringField(
        _l("Issuing organ (printed in red at the head)"),
        validators=[InputRequired(), Length(max=MAX_LINE)],
    )
    addressees = StringField(
        _l("Addressed to (主送)"), validators=[Optional(), Length(max=MAX_LINE)]
    )
    cc = StringField(_l("Copies to (抄送)"), validators=[Optional(), Length(max=MAX_LINE)])
    opening = TextAreaField(TEXT_LABELS["opening"], validators=[Length(max=MAX_TEXT)])
    praise = TextAreaField(TEXT_LABELS["praise"], validators=[Length(max=MAX_TEXT)])
    criticism = TextAreaField(TEXT_LABELS["criticism"], validators=[Length(max=MAX_TEXT)])
    problems = TextAreaField(TEXT_LABELS["problems"], validators=[Length(max=MAX_TEXT)])
    rectification = TextAreaField(TEXT_LABELS["rectification"], validators=[Length(max=MAX_TEXT)])
    requirements = TextAreaField(TEXT_LABELS["requirements"], validators=[Length(max=MAX_TEXT)])


class SettingsForm(FlaskForm):
    """The administrator's bulletin settings: the defaults of a new draft and who approves."""

    organ = StringField(
        _l("Issuing organ"),
        validators=[Optional(), Length(max=MAX_LINE)],
        description=_l("Empty: the name of the top site."),
    )
    addressees = StringField(
        _l("Addressed to (主送)"), validators=[Optional(), Length(max=MAX_LINE)]
    )
    cc = StringField(_l("Copied to (抄送)"), validators=[Optional(), Length(max=MAX_LINE)])
    names_people = BooleanField(
        _l("Criticism names the staff member"),
        description=_l("Off: a person's deductions are printed under their window."),
    )
    leader_approves = BooleanField(
        _l("The centre head approves bulletins"),
        description=_l("Off: a discipline officer approves."),
    )
