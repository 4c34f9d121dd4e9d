from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import password_policy_validator
from ..db import db
from ..models import ROLES, Site, StaffMember, User
from .services import linked_user_id


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of check boxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[SelectChoice]:
    labels = {
        "admin": _l("Administrator"),
        "inspector": _l("Inspector"),
        "hr": _l("HR"),
        "discipline": _l("Discipline officer"),
        "leader": _l("Centre head"),
        "staff": _l("Window staff"),
    }
    return [SelectChoice(r, labels[r]) for r in ROLES]


def site_choices() -> list[SelectChoice]:
    rows = db.session.execute(sa.select(Site.id, Site.code, Site.name).order_by(Site.code)).all()
    return [SelectChoice(site_id, f"{code} {name}") for site_id, code, name in rows]


class _AccountFields(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=64)])
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address.")),
        ],
    )
    roles = MultiCheckboxField(
        _l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))]
    )
    all_sites = BooleanField(_l("All sites"))
    sites = SelectMultipleField(_l("Sites in scope"), coerce=int, validate_choice=False)
    staff_no = StringField(
        _l("Linked staff member (staff number)"), validators=[Optional(), Length(max=32)]
    )

    #: id of the user being edited (None when creating); set by the view.
    editing_user_id: int | None = None
    staff_member: StaffMember | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = role_choices()
        self.sites.choices = site_choices()

    def validate_sites(self, field):
        known = {choice.value for choice in field.choices}
        if any(value not in known for value in field.data or []):
            raise ValidationError(_l("Unknown site."))
        if not self.all_sites.data and not field.data:
            raise ValidationError(_l("Choose at least one site, or all sites."))

    def validate_staff_no(self, field):
        self.staff_member = None
        if not field.data:
            return
        member = db.session.scalar(
            sa.select(StaffMember).where(StaffMember.staff_no == field.data.strip())
        )
        if member is None:
            raise ValidationError(_l("No staff member has this staff number."))
        other = linked_user_id(db.session, member.id)
        if other is not None and other != self.editing_user_id:
            raise ValidationError(_l("This staff member is already linked to another user."))
        self.staff_member = member


class UserCreateForm(_AccountFields):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9_.@-]+$",
                message=_l("Use letters, digits and . _ - @ only, without spaces."),
            ),
        ],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), password_policy_validator(lambda form: form.username.data)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def validate_username(self, field):
        if db.session.scalar(sa.select(User.id).where(User.username == (field.data or "").strip())):
            raise ValidationError(_l("A user with this username already exists."))


class UserEditForm(_AccountFields):
    """Details, roles, scope and staff link of an existing user."""


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), password_policy_validator(lambda form: form.username)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=64)])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), validators=[Optional()])
    active = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("1", _l("Active")),
            SelectChoice("0", _l("Deactivated")),
        ],
        validators=[Optional()],
    )
    q = StringField(_l("Search"), validators=[Optional(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("All roles")), *role_choices()]
