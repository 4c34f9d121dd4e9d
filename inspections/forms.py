"""Forms of the inspections pages (the round pages use small plain forms, see views)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from compliance.access import sites_in_scope
from compliance.db import db
from compliance.models import Post, User, UserRole

CATEGORY_LABELS = {
    "attendance": _l("Attendance"),
    "attire": _l("Attire"),
    "hygiene": _l("Hygiene"),
    "conduct": _l("Service conduct"),
}
TARGET_LABELS = {"staff": _l("Staff member"), "window": _l("Window"), "area": _l("Site area")}
SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}
KIND_LABELS = {"patrol": _l("Patrol"), "spot_check": _l("Spot check")}
WEEKDAYS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CheckItemForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    category = SelectField(_l("Category"), choices=_choices(CATEGORY_LABELS))
    target = SelectField(_l("Checked for"), choices=_choices(TARGET_LABELS))
    text_zh = StringField(_l("Text (Chinese)"), validators=[DataRequired(), Length(max=200)])
    text_en = StringField(_l("Text (English)"), validators=[DataRequired(), Length(max=200)])
    severity = SelectField(_l("Default severity"), choices=_choices(SEVERITY_LABELS))
    points = IntegerField(
        _l("Points deducted"), default=1, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    photo_required = BooleanField(_l("Photo required on failure"))
    is_integrity = BooleanField(
        _l("Integrity item (a failure goes to the discipline office as an integrity case)")
    )
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(-1_000_000, 1_000_000)]
    )
    is_active = BooleanField(_l("Active"), default=True)


def inspector_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "inspector", User.active.is_(True))
        .order_by(User.username)
    ).all()
    return [(uid, f"{name} ({username})") for uid, name, username in rows]


class DrawForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=120)])
    target_kind = RadioField(
        _l("Targets"),
        default="window",
        choices=[SelectChoice("window", _l("Windows")), SelectChoice("staff", _l("Staff members"))],
    )
    sites = MultiCheckboxField(
        _l("Sites"), coerce=int, validators=[DataRequired(message=_l("Choose at least one site."))]
    )
    posts = MultiCheckboxField(_l("Posts (none = all)"), coerce=int)
    inspectors = MultiCheckboxField(
        _l("Inspector pool"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the inspector pool."))],
    )
    target_count = IntegerField(
        _l("Number of targets"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    target_percent = IntegerField(
        _l("or percentage of targets"), validators=[Optional(), NumberRange(min=1, max=100)]
    )
    inspectors_per_target = IntegerField(
        _l("Inspectors per target"),
        default=2,
        validators=[InputRequired(), NumberRange(min=1, max=5)],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites.choices = [
            SelectChoice(s.id, f"{s.code} {s.name}") for s in sites_in_scope(user)
        ]
        self.posts.choices = [
            SelectChoice(p.id, f"{p.code} {p.name}")
            for p in db.session.scalars(sa.select(Post).order_by(Post.code))
        ]
        self.inspectors.choices = [SelectChoice(uid, label) for uid, label in inspector_choices()]

    def validate_target_count(self, field):
        if (field.data is None) == (self.target_percent.data is None):
            raise ValidationError(_l("Give either a number or a percentage of targets."))


class DrawScheduleForm(DrawForm):
    weekday = SelectField(
        _l("Every"),
        coerce=int,
        default=0,
        choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAYS)],
    )


class PlausibilityForm(FlaskForm):
    """When a submitted round is flagged for the discipline office (0 switches a check off)."""

    seconds_per_window = IntegerField(
        _l("Minimum seconds per window"),
        validators=[InputRequired(), NumberRange(0, 600)],
        description=_l(
            "A round that took less than this many seconds for each window it covers is flagged "
            "as too fast. 0: no check."
        ),
    )
    max_distance_m = IntegerField(
        _l("Maximum distance from the site (metres)"),
        validators=[InputRequired(), NumberRange(0, 100000)],
        description=_l(
            "A round whose phone location, even allowing for its reported accuracy, is farther "
            "than this from the site's coordinates is flagged. Sites without coordinates and "
            "phones that share no location are not checked. 0: no check."
        ),
    )
