"""Labels and forms of the integrity case pages. Every action form carries the version the
officer saw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from compliance.form_fields import VersionField

STATUS_LABELS = {
    "registered": _l("Registered, not assigned"),
    "assigned": _l("Assigned, being verified"),
    "verified": _l("Verified"),
    "concluded": _l("Concluded"),
    "handled": _l("Handled"),
    "closed": _l("Closed"),
}
SOURCE_LABELS = {"finding": _l("Patrol finding"), "complaint": _l("Complaint")}
CONCLUSION_LABELS = {
    "substantiated": _l("Substantiated (属实)"),
    "partly_substantiated": _l("Partly substantiated (部分属实)"),
    "unsubstantiated": _l("Unsubstantiated (不属实)"),
}
MEASURE_LABELS = {
    "reminder_talk": _l("Reminder talk (提醒谈话)"),
    "criticism": _l("Criticism and education (批评教育)"),
    "admonishment": _l("Admonishment talk (诫勉谈话)"),
    "circulated_criticism": _l("Circulated criticism (通报批评)"),
    "referral": _l("Referred to the competent authority (移送)"),
}
ENTRY_LABELS = {
    "note": _l("Note"),
    "interview": _l("Interview (谈话)"),
    "evidence": _l("Evidence"),
}
EVENT_LABELS = {
    "registered": _l("Registered"),
    "assigned": _l("Assigned"),
    "note": _l("Note"),
    "interview": _l("Interview (谈话)"),
    "evidence": _l("Evidence"),
    "verified": _l("Verification done (初核)"),
    "conclusion_proposed": _l("Conclusion proposed"),
    "conclusion_approved": _l("Conclusion approved"),
    "conclusion_returned": _l("Conclusion sent back"),
    "handled": _l("Measure recorded"),
    "accused_notified": _l("Conclusion told to the accused"),
    "closed": _l("Closed"),
    "reminded": _l("Deadline reminder sent"),
    "overdue": _l("Overdue notice sent"),
    "escalated": _l("Escalated to administrators"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class _VersionedForm(FlaskForm):
    version = VersionField()


class AssignForm(_VersionedForm):
    officer = SelectField(_l("Officer"), coerce=int, validators=[InputRequired()])
    working_days = IntegerField(
        _l("Deadline (working days from today)"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    note = TextAreaField(
        _l("Note (e.g. why it changes hands)"), validators=[Optional(), Length(max=4000)]
    )


class EntryForm(_VersionedForm):
    kind = SelectField(_l("Kind"), choices=_choices(ENTRY_LABELS))
    text = TextAreaField(
        _l("What was found or said"), validators=[DataRequired(), Length(max=4000)]
    )
    interviewee = StringField(
        _l("Person interviewed (interviews)"), validators=[Optional(), Length(max=64)]
    )
    held_on = DateField(_l("Date of the interview"), validators=[Optional()])
    photos = MultipleFileField(_l("Photos (evidence)"), render_kw={"accept": "image/*"})


class VerifyForm(_VersionedForm):
    summary = TextAreaField(
        _l("Summary of the verification (初核)"), validators=[DataRequired(), Length(max=4000)]
    )


class ConclusionForm(_VersionedForm):
    conclusion = SelectField(_l("Conclusion"), choices=_choices(CONCLUSION_LABELS))
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=4000)])


class ApprovalForm(_VersionedForm):
    note = TextAreaField(
        _l("Note (required to send it back)"), validators=[Optional(), Length(max=4000)]
    )


class HandlingForm(_VersionedForm):
    measure = SelectField(_l("Measure"), choices=_choices(MEASURE_LABELS))
    measure_on = DateField(_l("Date taken"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class CloseForm(_VersionedForm):
    note = TextAreaField(_l("Closing note"), validators=[Optional(), Length(max=4000)])


class VersionOnlyForm(_VersionedForm):
    pass


class SettingsForm(FlaskForm):
    working_days = IntegerField(
        _l("Default working days to verify a case (初核)"),
        validators=[InputRequired(), NumberRange(1, 60)],
    )
    escalate_after = IntegerField(
        _l("Escalate to administrators after overdue days"),
        validators=[InputRequired(), NumberRange(1, 60)],
    )
