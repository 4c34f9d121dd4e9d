"""The scheme (考评办法): versions effective from a month, never edited in place."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.domain import N_, InvalidError, NotFoundError
from compliance.models import User
from compliance.periods import month_start

from ..models import Scheme

# The fields an administrator sets on a new version, with their defaults (the demo scheme).
DEFAULTS: dict = {
    "name": "百分制考评办法",
    "base_score": 100.0,
    "multiplier_minor": 1.0,
    "multiplier_major": 1.5,
    "multiplier_critical": 2.0,
    "complaint_points": 5.0,
    "overdue_points_per_day": 0.5,
    "overdue_cap": 5.0,
    "repeat_step": 1.0,
    "commendation_points": 2.0,
    "commendation_cap": 6.0,
    "mentor_share": 0.2,
    "keeper_share": 0.5,
    "window_staff_weight": 1.0,
    "site_staff_weight": 1.0,
    "star_thresholds": [[98, 5], [95, 4], [92, 3]],
    "yellow_below": 90.0,
    "yellow_major_count": 2,
    "red_below": 80.0,
    "red_on_critical": True,
    "appeal_days": 3,
    "close_day": 5,
}
NON_NEGATIVE = (
    "multiplier_minor",
    "multiplier_major",
    "multiplier_critical",
    "complaint_points",
    "overdue_points_per_day",
    "overdue_cap",
    "repeat_step",
    "commendation_points",
    "commendation_cap",
    "window_staff_weight",
    "site_staff_weight",
    "yellow_below",
    "red_below",
)
FRACTIONS = ("mentor_share", "keeper_share", "window_staff_weight", "site_staff_weight")


def scheme_for(session: Session, month: date) -> Scheme | None:
    """The newest version effective on the month's first day (None: no scheme yet)."""
    return session.scalars(
        sa.select(Scheme)
        .where(Scheme.effective_from <= month_start(month))
        .order_by(Scheme.effective_from.desc(), Scheme.version.desc())
        .limit(1)
    ).first()


def current_scheme(session: Session) -> Scheme | None:
    return session.scalars(sa.select(Scheme).order_by(Scheme.version.desc()).limit(1)).first()


def get_scheme(session: Session, scheme_id: int) -> Scheme:
    scheme = session.get(Scheme, scheme_id)
    if scheme is None:
        raise NotFoundError("evaluation.scheme_not_found", N_("This scheme does not exist."))
    return scheme


def _invalid(field: str, message: str) -> InvalidError:
    return InvalidError(f"evaluation.scheme_{field}", message, field=field)


def clean_stars(value) -> list[list]:
    """[[minimum, stars], ...] sorted by minimum, highest first; stars 1-5, minimum 0-200."""
    if not isinstance(value, list | tuple):
        raise _invalid("star_thresholds", N_("Give the star thresholds as score and stars."))
    out = []
    for row in value:
        if (
            not isinstance(row, list | tuple)
            or len(row) != 2
            or isinstance(row[0], bool)
            or isinstance(row[1], bool)
            or not isinstance(row[0], int | float)
            or not isinstance(row[1], int)
            or not 1 <= row[1] <= 5
            or not 0 <= row[0] <= 200
        ):
            raise _invalid(
                "star_thresholds",
                N_("Each star threshold is a score from 0 to 200 and 1 to 5 stars."),
            )
        out.append([float(row[0]), int(row[1])])
    return sorted(out, key=lambda r: -r[0])


def create_scheme(
    session: Session, actor: User, effective_from: date, values: dict, note: str | None = None
) -> Scheme:
    """Add a version effective from the month of `effective_from` (its first day). Months
    already closed keep the version they were closed with. Raises InvalidError on a value out
    of range (field named)."""
    fields = {**DEFAULTS, **{k: v for k, v in values.items() if k in DEFAULTS}}
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 120:
        raise _invalid("name", N_("Give the scheme a name of at most 120 characters."))
    fields["name"] = name
    if not isinstance(fields["base_score"], int | float) or not 0 < fields["base_score"] <= 200:
        raise _invalid("base_score", N_("The base score must be above 0 and at most 200."))
    for key in NON_NEGATIVE:
        if not isinstance(fields[key], int | float) or isinstance(fields[key], bool):
            raise _invalid(key, N_("Give a number."))
        if fields[key] < 0 or fields[key] > 1000:
            raise _invalid(key, N_("Give a number from 0 to 1000."))
    for key in FRACTIONS:
        if not 0 <= fields[key] <= 1:
            raise _invalid(key, N_("Give a share from 0 to 1."))
    if fields["red_below"] > fields["yellow_below"]:
        raise _invalid("red_below", N_("The red-card line must not be above the yellow-card line."))
    for key, low, high in (
        ("appeal_days", 0, 30),
        ("close_day", 1, 28),
        ("yellow_major_count", 0, 50),
    ):
        if (
            isinstance(fields[key], bool)
            or not isinstance(fields[key], int)
            or not low <= fields[key] <= high
        ):
            raise InvalidError(
                f"evaluation.scheme_{key}",
                N_("Give a whole number from %(low)s to %(high)s."),
                field=key,
                low=low,
                high=high,
            )
    fields["star_thresholds"] = clean_stars(fields["star_thresholds"])
    fields["red_on_critical"] = bool(fields["red_on_critical"])
    version = (session.scalar(sa.select(sa.func.max(Scheme.version))) or 0) + 1
    scheme = Scheme(
        version=version,
        effective_from=month_start(effective_from),
        note=(note or "").strip() or None,
        created_by_id=actor.id if actor else None,
        **fields,
    )
    session.add(scheme)
    session.flush()
    record(session, actor, "evaluation.scheme_create", scheme)
    return scheme


def scheme_values(scheme: Scheme | None) -> dict:
    """The editable values of a version (the defaults without one)."""
    if scheme is None:
        return dict(DEFAULTS)
    return {key: getattr(scheme, key) for key in DEFAULTS}
