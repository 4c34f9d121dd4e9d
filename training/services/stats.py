"""Figures of training for dashboards, the year in review and other packages: sessions and
thematic meetings held, people trained, new staff who finished pre-job training and mentoring,
and the progress of running onboarding plans. Each function is a fixed number of aggregate
statements (counted in the database) over a `compliance.periods.Period` or a site set.

Definitions: a session is *held* when it was not cancelled and started in the period, before
`now` (a meeting planned for next week is not yet held); a new staff member *finished pre-job
training* in the period when every course of their onboarding plan is attended and the last
of those first attendances fell in the period; *finished mentoring* when their onboarding
pairing was signed off in the period; *completed onboarding* when the plan was completed (both)
in the period."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.models import StaffMember
from compliance.periods import Period, site_clause

from ..models import (
    ATTENDED_STATUSES,
    Course,
    MentorPairing,
    OnboardingPlan,
    OnboardingPlanItem,
    SessionAttendee,
    TrainingSession,
)
from ..onboarding import attendances, late_clause

MEETING = "thematic_meeting"


def _held_in(period: Period, now: datetime):
    lo, hi = period.utc_bounds
    return sa.and_(
        TrainingSession.status != "cancelled",
        TrainingSession.starts_at >= lo,
        TrainingSession.starts_at < min(hi, now),
        period.site_clause(TrainingSession.site_id),
    )


def sessions_held(session: Session, period: Period, now: datetime) -> dict[str, int]:
    """{"meetings": thematic meetings held, "sessions": other sessions held, "people": distinct
    staff who attended any of them (present or late)}. `now` is naive UTC."""
    attended = (
        sa.select(sa.func.count(sa.distinct(SessionAttendee.staff_member_id)))
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .where(_held_in(period, now), SessionAttendee.status.in_(ATTENDED_STATUSES))
        .scalar_subquery()
    )
    row = session.execute(
        sa.select(
            sa.func.count(TrainingSession.id).filter(Course.kind == MEETING),
            sa.func.count(TrainingSession.id).filter(Course.kind != MEETING),
            attended,
        )
        .select_from(TrainingSession)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(_held_in(period, now))
    ).one()
    return dict(zip(("meetings", "sessions", "people"), row, strict=True))


def meetings_by_course(
    session: Session, period: Period, now: datetime, limit: int = 8
) -> list[tuple[str, int]]:
    """Thematic meetings held per course (topic), most first: [(title, count)]."""
    count = sa.func.count(TrainingSession.id).label("n")
    return [
        (title, n)
        for title, n in session.execute(
            sa.select(Course.title, count)
            .join(TrainingSession, TrainingSession.course_id == Course.id)
            .where(Course.kind == MEETING, _held_in(period, now))
            .group_by(Course.id, Course.title)
            .order_by(count.desc(), Course.title)
            .limit(limit)
        )
    ]


def onboarding_figures(session: Session, period: Period) -> dict[str, int]:
    """{"hired", "pre_job", "mentored", "completed"}: staff hired in the period; new staff who
    finished pre-job training, finished mentoring (pairing signed off) and completed their whole
    onboarding plan in the period. Sites are the staff member's."""
    lo, hi = period.utc_bounds
    # The first attended, not cancelled session of each (new staff member, course): one grouped
    # join, not a correlated subquery per plan item (the planner repeats that one per aggregate).
    attended = (
        sa.select(
            SessionAttendee.staff_member_id.label("staff_member_id"),
            TrainingSession.course_id.label("course_id"),
            sa.func.min(TrainingSession.starts_at).label("done_at"),
        )
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .where(
            SessionAttendee.status.in_(ATTENDED_STATUSES),
            TrainingSession.status != "cancelled",
            SessionAttendee.staff_member_id.in_(sa.select(OnboardingPlan.staff_member_id)),
        )
        .group_by(SessionAttendee.staff_member_id, TrainingSession.course_id)
        .subquery()
    )
    items = (
        sa.select(OnboardingPlanItem.plan_id, attended.c.done_at)
        .join(OnboardingPlan, OnboardingPlan.id == OnboardingPlanItem.plan_id)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .outerjoin(
            attended,
            sa.and_(
                attended.c.staff_member_id == OnboardingPlan.staff_member_id,
                attended.c.course_id == OnboardingPlanItem.course_id,
            ),
        )
        .where(period.site_clause(StaffMember.site_id))
        .subquery()
    )
    plans = (
        sa.select(
            items.c.plan_id,
            sa.func.count().label("n_items"),
            sa.func.count(items.c.done_at).label("done"),
            sa.func.max(items.c.done_at).label("last"),
        )
        .group_by(items.c.plan_id)
        .subquery()
    )
    pre_job = (
        sa.select(sa.func.count())
        .select_from(plans)
        .where(plans.c.n_items == plans.c.done, plans.c.last >= lo, plans.c.last < hi)
        .scalar_subquery()
    )
    hired = (
        sa.select(sa.func.count(StaffMember.id))
        .where(
            StaffMember.hired_on >= period.start,
            StaffMember.hired_on <= period.end,
            period.site_clause(StaffMember.site_id),
        )
        .scalar_subquery()
    )
    mentored = (
        sa.select(sa.func.count(sa.distinct(MentorPairing.mentee_id)))
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(
            MentorPairing.kind == "onboarding",
            MentorPairing.status == "signed_off",
            MentorPairing.signed_off_on >= period.start,
            MentorPairing.signed_off_on <= period.end,
            period.site_clause(StaffMember.site_id),
        )
        .scalar_subquery()
    )
    completed = (
        sa.select(sa.func.count(OnboardingPlan.id))
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "completed",
            OnboardingPlan.completed_on >= period.start,
            OnboardingPlan.completed_on <= period.end,
            period.site_clause(StaffMember.site_id),
        )
        .scalar_subquery()
    )
    row = session.execute(sa.select(hired, pre_job, mentored, completed)).one()
    return dict(zip(("hired", "pre_job", "mentored", "completed"), row, strict=True))


def onboarding_progress(
    session: Session, site_ids, today: date, limit: int = 10
) -> tuple[list[dict], dict[str, int]]:
    """Running onboarding plans at `site_ids` (None: all) of staff who have not left: the
    `limit` most urgent (late first, then the most recent hires) as
    [{"plan_id", "name", "staff_no", "starts_on", "done", "total", "late"}] — steps are the
    plan's courses plus "paired with a mentor" and "signed off", as on the plans page — and
    {"active": n, "late": n} over all of them. One statement: the counts are window sums over
    the running plans, taken before the limit; lateness is `onboarding.late_clause`."""
    # Each running plan once, with whether it is late: computed once per plan (the databases
    # would otherwise inline the subquery and compute lateness twice, for the order and for the
    # count)...
    running = (
        sa.select(
            OnboardingPlan.id,
            OnboardingPlan.staff_member_id,
            OnboardingPlan.starts_on,
            StaffMember.name,
            StaffMember.staff_no,
            sa.case((late_clause(today), 1), else_=0).label("is_late"),
        )
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "active",
            StaffMember.status != "left",
            site_clause(site_ids, StaffMember.site_id),
        )
        .cte("running")
        .prefix_with("MATERIALIZED", dialect="postgresql")
        .prefix_with("MATERIALIZED", dialect="sqlite")  # 3.35, as RETURNING elsewhere
    )
    # ...then the counts over all of them, and the steps of the `limit` rows shown.
    items_total = (
        sa.select(sa.func.count(OnboardingPlanItem.id))
        .where(OnboardingPlanItem.plan_id == running.c.id)
        .scalar_subquery()
    )
    items_done = (
        sa.select(sa.func.count(OnboardingPlanItem.id))
        .where(
            OnboardingPlanItem.plan_id == running.c.id,
            attendances(running.c.staff_member_id, OnboardingPlanItem.course_id) > 0,
        )
        .scalar_subquery()
    )

    def pairing(statuses):
        return sa.case(
            (
                sa.select(MentorPairing.id)
                .where(
                    MentorPairing.mentee_id == running.c.staff_member_id,
                    MentorPairing.kind == "onboarding",
                    MentorPairing.status.in_(statuses),
                )
                .exists(),
                1,
            ),
            else_=0,
        )

    rows = session.execute(
        sa.select(
            running.c.id,
            running.c.name,
            running.c.staff_no,
            running.c.starts_on,
            items_total,
            items_done,
            pairing(("active", "assessed", "signed_off")),
            pairing(("signed_off",)),
            running.c.is_late,
            sa.func.count().over(),
            sa.func.sum(running.c.is_late).over(),
        )
        .order_by(running.c.is_late.desc(), running.c.starts_on.desc(), running.c.id.desc())
        .limit(limit)
    ).all()
    out = [
        {
            "plan_id": plan_id,
            "name": name,
            "staff_no": staff_no,
            "starts_on": starts_on,
            "done": done + paired_n + signed_n,
            "total": total + 2,
            "late": bool(is_late),
        }
        for plan_id, name, staff_no, starts_on, total, done, paired_n, signed_n, is_late, *_ in rows
    ]
    active, late = (rows[0][-2], int(rows[0][-1])) if rows else (0, 0)
    return out, {"active": active, "late": late}
