"""Forms of the group-channel pages. The webhook and secret fields are never filled from the
stored values: on an edit they start blank, and blank means "keep what is stored"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...form_fields import VersionField
from .events import EVENTS
from .models import SEND_STATUSES

KIND_LABELS = {
    "wecom": _l("WeCom group robot (企业微信)"),
    "dingtalk": _l("DingTalk group robot (钉钉)"),
}
STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "expired": _l("Expired"),
    "skipped": _l("Skipped"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChannelForm(FlaskForm):
    site = SelectField(_l("Site"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Robot"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    name = StringField(
        _l("Group name"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"placeholder": _l("e.g. 大面中心窗口工作群")},
    )
    webhook = StringField(
        _l("Webhook address"),
        validators=[Optional(), Length(max=500)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
    )
    secret = PasswordField(
        _l("DingTalk signing secret (加签, starts with SEC)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    clear_secret = BooleanField(_l("Remove the stored signing secret"))
    events = MultiCheckboxField(
        _l("What is sent to this group"), choices=[SelectChoice(k, v) for k, v in EVENTS.items()]
    )
    include_children = BooleanField(_l("Also notices of the sites below this one"), default=True)
    is_active = BooleanField(_l("Active"), default=True)
    version = VersionField()


class SendFilterForm(FlaskForm):
    class Meta:
        csrf = False

    channel = SelectField(_l("Group"), coerce=str, validate_choice=False)
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(s, STATUS_LABELS[s]) for s in SEND_STATUSES],
        validate_choice=False,
    )
