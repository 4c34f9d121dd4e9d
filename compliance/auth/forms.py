from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..domain import DomainError
from .security import check_password_policy


def password_policy_validator(username_getter):
    """A form validator applying the password policy (the service's message, translated)."""

    def _check(form, field):
        try:
            check_password_policy(field.data or "", username_getter(form))
        except DomainError as exc:
            raise ValidationError(exc.translated()) from exc

    return _check


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class AccountForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("zh", "简体中文"), SelectChoice("en", "English")]
    )
    email_opt_out = BooleanField(_l("Do not send me notifications by e-mail"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), password_policy_validator(lambda form: form.username)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username
