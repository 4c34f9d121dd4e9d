"""What every training page shares: the blueprint, role groups, labels and template filters,
and lookups that answer 404 outside the user's scope."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from compliance.access import in_scope, scope_filter
from compliance.db import db
from compliance.integers import page_arg
from compliance.models import StaffMember
from compliance.timeutil import local_today, to_local

from ..forms import kind_labels
from ..models import MentorPairing, ShadowLog

bp = Blueprint("training", __name__, url_prefix="/training")

ANY_ROLE = ("admin", "inspector", "hr", "discipline", "leader", "staff")
MANAGERS = ("hr", "admin")
READERS = ("hr", "admin", "discipline", "leader")
PER_PAGE = 50


def translate(message: tuple[str, dict] | str) -> str:
    """A (msgid, params) pair from a service, in the user's language; string params that are
    themselves msgids (e.g. a rule's wording) are translated too."""
    if isinstance(message, str):
        return gettext(message)
    msgid, params = message
    params = {k: gettext(v) if isinstance(v, str) else v for k, v in params.items()}
    return gettext(msgid, **params)


@bp.app_template_filter("training_msg")
def _training_msg(message) -> str:
    return translate(message)


@bp.app_template_filter("local_dt")
def _local_dt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(value)
    return local.strftime(fmt) if local else ""


@bp.context_processor
def _labels():
    return {
        "kind_labels": kind_labels(),
        "attendance_labels": attendance_labels(),
        "pairing_status_labels": pairing_status_labels(),
        "today": local_today(),
    }


def attendance_labels() -> dict[str, str]:
    return {
        "present": gettext("Present"),
        "late": gettext("Late"),
        "absent": gettext("Absent"),
        "excused": gettext("Excused absence"),
    }


def pairing_status_labels() -> dict[str, str]:
    return {
        "active": gettext("In progress"),
        "assessed": gettext("Awaiting HR approval"),
        "signed_off": gettext("Signed off"),
        "ended": gettext("Ended early"),
    }


def page_number() -> int:
    return page_arg()


def form_error(form) -> str:
    """The first error of an invalid form (for pages that redirect instead of re-rendering)."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return gettext("The data is not valid")


def staff_in_scope():
    return db.session.execute(
        sa.select(StaffMember.id, StaffMember.name, StaffMember.staff_no)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.name)
    ).all()


def staff_or_404(staff_id: int) -> StaffMember:
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or not in_scope(current_user, staff.site_id):
        abort(404)
    return staff


def logs_to_confirm(staff_id: int) -> list[ShadowLog]:
    """Mentees' shadow logs waiting for this mentor's confirmation."""
    return db.session.scalars(
        sa.select(ShadowLog)
        .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
        .where(
            MentorPairing.mentor_id == staff_id,
            ShadowLog.confirmed_at.is_(None),
            MentorPairing.status.in_(("active", "assessed")),
        )
        .options(joinedload(ShadowLog.pairing).joinedload(MentorPairing.mentee))
        .order_by(ShadowLog.worked_on)
    ).all()
