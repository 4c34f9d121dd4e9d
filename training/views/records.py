"""Training records of people: one's own training page, and a staff member's record for
training readers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from compliance.access import roles_required
from compliance.db import db
from compliance.models import StaffMember

from .. import onboarding as onb
from .. import services as svc
from ..models import MentorPairing, OnboardingPlan, ShadowLog
from .common import ANY_ROLE, MANAGERS, READERS, bp, logs_to_confirm, staff_or_404


def _pairings_of(staff_id: int) -> list[MentorPairing]:
    """Pairings where the person is the mentor or the mentee, latest first."""
    return db.session.scalars(
        sa.select(MentorPairing)
        .where(sa.or_(MentorPairing.mentor_id == staff_id, MentorPairing.mentee_id == staff_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc())
    ).all()


def _progress_of(staff_id: int):
    plan = db.session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_id)
    )
    return onb.plan_progress(db.session, [plan])[0] if plan else None


@bp.route("/my")
@roles_required(*ANY_ROLE)
def my_training():
    staff_id = current_user.staff_member_id
    if staff_id is None:
        return render_template("training/my.html", staff=None)
    staff = db.session.get(StaffMember, staff_id)
    upcoming, history = svc.staff_sessions(db.session, staff_id)
    progress = _progress_of(staff_id)
    pairings = _pairings_of(staff_id)
    to_confirm = logs_to_confirm(staff_id)
    my_logs = db.session.scalars(
        sa.select(ShadowLog)
        .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
        .where(sa.or_(MentorPairing.mentor_id == staff_id, MentorPairing.mentee_id == staff_id))
        .options(joinedload(ShadowLog.pairing))
        .order_by(ShadowLog.worked_on.desc(), ShadowLog.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "training/my.html",
        staff=staff,
        upcoming=upcoming,
        history=history,
        progress=progress,
        pairings=pairings,
        to_confirm=to_confirm,
        my_logs=my_logs,
    )


@bp.route("/staff/<int:staff_id>")
@roles_required(*ANY_ROLE)
def staff_record(staff_id: int):
    """One person's training record: plan and its progress, sessions, pairings as mentor or
    mentee. Staff are sent to their own page; readers see people in their scope."""
    if current_user.staff_member_id == staff_id and not current_user.has_role(*READERS):
        return redirect(url_for("training.my_training"))
    if not current_user.has_role(*READERS):
        abort(403)
    staff = staff_or_404(staff_id)
    progress = _progress_of(staff_id)
    upcoming, history = svc.staff_sessions(db.session, staff_id)
    pairings = _pairings_of(staff_id)
    log_stats = (
        {
            pid: (n, hours)
            for pid, n, hours in db.session.execute(
                sa.select(
                    ShadowLog.pairing_id, sa.func.count(ShadowLog.id), sa.func.sum(ShadowLog.hours)
                )
                .where(ShadowLog.pairing_id.in_([p.id for p in pairings]))
                .group_by(ShadowLog.pairing_id)
            )
        }
        if pairings
        else {}
    )
    return render_template(
        "training/staff_record.html",
        staff=staff,
        progress=progress,
        upcoming=upcoming,
        history=history,
        pairings=pairings,
        log_stats=log_stats,
        is_new=svc.is_new_staff(db.session, staff_id),
        can_manage=current_user.has_role(*MANAGERS),
    )
