"""Onboarding plan templates and plans: what a new staff member must complete, by when, and
how far they are. Plain functions over a session; they flush and never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from compliance.audit import record, snapshot
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.models import StaffMember, User
from compliance.settings import get_setting
from compliance.timeutil import local_today

from .models import (
    ATTENDED_STATUSES,
    Course,
    MentorPairing,
    OnboardingPlan,
    OnboardingPlanItem,
    OnboardingTemplate,
    OnboardingTemplateCourse,
    SessionAttendee,
    TrainingSession,
)
from .people import completed_course_ids

logger = logging.getLogger(__name__)


# --- templates ----------------------------------------------------------------------------


def default_template(session: Session) -> OnboardingTemplate | None:
    return session.scalar(
        sa.select(OnboardingTemplate)
        .where(OnboardingTemplate.is_default.is_(True), OnboardingTemplate.is_active.is_(True))
        .limit(1)
    )


def _template_state(template: OnboardingTemplate) -> dict:
    data = snapshot(template)
    data["courses"] = {str(i.course_id): i.due_days for i in template.items}
    return data


def save_template(
    session: Session,
    actor: User | None,
    template: OnboardingTemplate | None,
    *,
    name: str,
    mentor_weeks: int,
    is_default: bool,
    courses: dict[int, int],
    is_active: bool = True,
) -> OnboardingTemplate:
    """Create or change a plan template; `courses` maps course id -> days after hire it is due.

    Making a template the default unsets the previous default. Raises InvalidError for an
    empty name, weeks outside 1..52, negative days or unknown courses; ConflictError for a
    duplicate name.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidError("training.template_name_empty", N_("The name is empty."), field="name")
    if not 1 <= int(mentor_weeks) <= 52:
        raise InvalidError(
            "training.mentor_weeks",
            N_("Mentor pairing lasts between 1 and 52 weeks."),
            field="mentor_weeks",
        )
    if any(int(d) < 0 for d in courses.values()):
        raise InvalidError(
            "training.due_days_negative",
            N_("Days after hire cannot be negative."),
            field="courses",
        )
    clash = session.scalar(sa.select(OnboardingTemplate.id).where(OnboardingTemplate.name == name))
    if clash is not None and (template is None or clash != template.id):
        raise ConflictError(
            "training.template_name_taken",
            N_("A template named %(name)s already exists."),
            field="name",
            name=name,
        )
    known = set(session.scalars(sa.select(Course.id).where(Course.id.in_(list(courses)))))
    if set(courses) - known:
        raise InvalidError("training.unknown_course", N_("Unknown course."), field="courses")
    before = _template_state(template) if template is not None else None
    if template is None:
        template = OnboardingTemplate()
        session.add(template)
    template.name = name
    template.mentor_weeks = int(mentor_weeks)
    template.is_active = is_active
    if is_default:
        for other in session.scalars(
            sa.select(OnboardingTemplate).where(OnboardingTemplate.is_default.is_(True))
        ):
            if other is not template:
                other.is_default = False
    template.is_default = is_default
    existing = {i.course_id: i for i in template.items}
    for course_id, item in existing.items():
        if course_id not in courses:
            template.items.remove(item)
    for course_id, days in courses.items():
        if course_id in existing:
            existing[course_id].due_days = int(days)
        else:
            template.items.append(OnboardingTemplateCourse(course_id=course_id, due_days=int(days)))
    session.flush()
    record(
        session,
        actor,
        "onboarding_template.update" if before else "onboarding_template.create",
        template,
        before=before,
        after=_template_state(template),
    )
    return template


# --- plans --------------------------------------------------------------------------------


def ensure_onboarding_plan(
    session: Session,
    actor: User | None,
    staff_member: StaffMember,
    template: OnboardingTemplate | None = None,
) -> OnboardingPlan:
    """The staff member's onboarding plan, created from the template (default template, or
    without one every active pre-job course and `training.mentor_weeks`) if they have none.
    Idempotent: an existing plan is returned unchanged. Raises DomainError for a staff
    member who has left."""
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_member.id)
    )
    if plan is not None:
        return plan
    if staff_member.status == "left":
        raise DomainError("training.staff_left", N_("%(name)s has left."), name=staff_member.name)
    template = template or default_template(session)
    hired = staff_member.hired_on
    if template is not None:
        weeks = template.mentor_weeks
        items = [(i.course_id, hired + timedelta(days=i.due_days)) for i in template.items]
    else:
        weeks = int(get_setting(session, "training.mentor_weeks"))
        due = hired + timedelta(days=int(get_setting(session, "training.pre_job_due_days")))
        items = [
            (cid, due)
            for cid in session.scalars(
                sa.select(Course.id)
                .where(Course.kind == "pre_job", Course.is_active.is_(True))
                .order_by(Course.code)
            )
        ]
    pairing_due = hired + timedelta(days=int(get_setting(session, "training.pairing_due_days")))
    plan = OnboardingPlan(
        staff_member_id=staff_member.id,
        template_id=template.id if template is not None else None,
        starts_on=hired,
        mentor_weeks=weeks,
        pairing_due_on=pairing_due,
        sign_off_due_on=pairing_due + timedelta(weeks=weeks),
        status="active",
        created_by_id=actor.id if actor else None,
    )
    plan.items = [OnboardingPlanItem(course_id=cid, due_on=due) for cid, due in items]
    session.add(plan)
    session.flush()
    after = snapshot(plan)
    after["courses"] = {str(cid): due.isoformat() for cid, due in items}
    record(session, actor, "onboarding_plan.create", plan, after=after)
    # Courses attended before the plan existed still count.
    refresh_plan(session, actor, staff_member.id)
    logger.info("onboarding plan %s for staff %s", plan.id, staff_member.id)
    return plan


def create_missing_plans(session: Session, actor: User | None, today: date) -> int:
    """Plans for active staff hired within `training.plan_lookback_days` who have none."""
    days = int(get_setting(session, "training.plan_lookback_days"))
    has_plan = sa.select(OnboardingPlan.staff_member_id)
    signed_off = sa.select(MentorPairing.mentee_id).where(
        MentorPairing.kind == "onboarding", MentorPairing.status == "signed_off"
    )
    staff = session.scalars(
        sa.select(StaffMember)
        .where(
            StaffMember.status == "active",
            StaffMember.hired_on >= today - timedelta(days=days),
            StaffMember.hired_on <= today,
            StaffMember.id.not_in(has_plan),
            StaffMember.id.not_in(signed_off),
        )
        .order_by(StaffMember.id)
    ).all()
    for member in staff:
        ensure_onboarding_plan(session, actor, member)
    return len(staff)


def _onboarding_pairing(session: Session, plan: OnboardingPlan) -> MentorPairing | None:
    """The mentee's latest onboarding pairing (open first)."""
    pairings = session.scalars(
        sa.select(MentorPairing)
        .where(MentorPairing.mentee_id == plan.staff_member_id, MentorPairing.kind == "onboarding")
        .order_by(MentorPairing.starts_on.desc(), MentorPairing.id.desc())
    ).all()
    for p in pairings:
        if p.status in ("active", "assessed", "signed_off"):
            return p
    return pairings[0] if pairings else None


def refresh_plan(
    session: Session, actor: User | None, staff_member_id: int, today: date | None = None
) -> OnboardingPlan | None:
    """Complete the plan once every course is attended and the onboarding pairing is signed
    off (audited); nothing happens for staff without a plan or with a completed one."""
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_member_id)
    )
    if plan is None or plan.status != "active":
        return plan
    done = completed_course_ids(session, staff_member_id)
    pairing = _onboarding_pairing(session, plan)
    if (
        all(i.course_id in done for i in plan.items)
        and pairing is not None
        and pairing.status == "signed_off"
    ):
        before = snapshot(plan)
        plan.status = "completed"
        plan.completed_on = today or local_today()
        session.flush()
        record(session, actor, "onboarding_plan.complete", plan, before=before)
    return plan


@dataclass
class ItemProgress:
    course: Course
    due_on: date
    done: bool
    late: bool


@dataclass
class PlanProgress:
    plan: OnboardingPlan
    items: list[ItemProgress]
    pairing: MentorPairing | None
    late: list[tuple[str, dict]] = field(default_factory=list)  # (msgid, params) per late step

    @property
    def steps_total(self) -> int:
        return len(self.items) + 2  # courses, paired, signed off

    @property
    def steps_done(self) -> int:
        done = sum(1 for i in self.items if i.done)
        if self.pairing is not None and self.pairing.status != "ended":
            done += 1
        if self.pairing is not None and self.pairing.status == "signed_off":
            done += 1
        return done

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total)

    @property
    def is_late(self) -> bool:
        return bool(self.late)


def attendances(staff_id, course_id) -> sa.ScalarSelect:
    """How often the staff member attended (present or late) a session of the course that was
    not cancelled; `staff_id` and `course_id` are columns of the enclosing statement, to which
    the subquery is correlated explicitly (two levels down auto-correlation finds neither).

    A scalar subquery rather than EXISTS on purpose: PostgreSQL turns a NOT EXISTS under a plan's
    items into an anti-join that hashes every training session once per staff member (15 ms for
    93 running plans at district scale); a scalar subquery runs per item with both ids known
    (3 ms). The constants are written into the statement so that a prepared statement's generic
    plan estimates them as the first plans did (with "status != $1" it guessed one session per
    course and probed every session of it for the member: 6 ms for eight plans)."""
    return (
        sa.select(sa.func.count(SessionAttendee.id))
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .where(
            SessionAttendee.staff_member_id == staff_id,
            SessionAttendee.status.in_(
                sa.bindparam("attended", ATTENDED_STATUSES, expanding=True, literal_execute=True)
            ),
            TrainingSession.status != sa.bindparam("cancelled", "cancelled", literal_execute=True),
            TrainingSession.course_id == course_id,
        )
        .correlate_except(SessionAttendee, TrainingSession)
        .scalar_subquery()
    )


def _overdue_items(today: date) -> sa.Select:
    """Items of the enclosing statement's plan due before today and not attended."""
    return sa.select(OnboardingPlanItem.id).where(
        OnboardingPlanItem.plan_id == OnboardingPlan.id,
        OnboardingPlanItem.due_on < today,
        attendances(OnboardingPlan.staff_member_id, OnboardingPlanItem.course_id) == 0,
    )


def _mentoring_late(today: date) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """(no mentor past the pairing date, no sign-off past the sign-off date) for the enclosing
    statement's plan; an ended pairing is no mentor."""

    def pairing(*conditions) -> sa.Exists:
        return (
            sa.select(MentorPairing.id)
            .where(
                MentorPairing.mentee_id == OnboardingPlan.staff_member_id,
                MentorPairing.kind == "onboarding",
                *conditions,
            )
            .exists()
        )

    return (
        sa.and_(OnboardingPlan.pairing_due_on < today, ~pairing(MentorPairing.status != "ended")),
        sa.and_(
            OnboardingPlan.sign_off_due_on < today, ~pairing(MentorPairing.status == "signed_off")
        ),
    )


def late_clause(today: date) -> sa.ColumnElement[bool]:
    """The database's answer to `PlanProgress.is_late` for an active plan (so lists and panels
    can filter, count and page late plans without computing every plan's progress): a course
    due before today not yet attended, no mentor (other than an ended pairing) past the pairing
    date, or no sign-off past the sign-off date."""
    return sa.or_(_overdue_items(today).exists(), *_mentoring_late(today))


def late_reasons(
    session: Session, plans: list[OnboardingPlan], today: date
) -> list[tuple[str, dict] | None]:
    """The first of each (active) plan's `PlanProgress.late`, in one statement for the given
    plans whatever they hold: the first overdue course with its title, no mentor, no sign-off
    (the database works them out for these plans only)."""
    first = (
        _overdue_items(today)
        .order_by(OnboardingPlanItem.due_on, OnboardingPlanItem.id)
        .limit(1)
        .correlate(OnboardingPlan)
        .scalar_subquery()
    )
    item = aliased(OnboardingPlanItem)
    rows = {
        plan_id: why
        for plan_id, *why in session.execute(
            sa.select(OnboardingPlan.id, Course.title, item.due_on, *_mentoring_late(today))
            .select_from(OnboardingPlan)
            .outerjoin(item, item.id == first)
            .outerjoin(Course, Course.id == item.course_id)
            .where(OnboardingPlan.id.in_([plan.id for plan in plans]))
        )
    }
    reasons: list[tuple[str, dict] | None] = []
    for plan in plans:
        course, due_on, no_mentor, no_sign_off = rows[plan.id]
        if course is not None:
            reasons.append(_course_late(course, due_on))
        elif no_mentor:
            reasons.append(_no_mentor(plan))
        elif no_sign_off:
            reasons.append(_sign_off_late(plan))
        else:
            reasons.append(None)
    return reasons


def _course_late(course: str, due_on: date) -> tuple[str, dict]:
    return N_("%(course)s was due on %(date)s"), {"course": course, "date": due_on.isoformat()}


def _no_mentor(plan: OnboardingPlan) -> tuple[str, dict]:
    return N_("no mentor paired since %(date)s"), {"date": plan.pairing_due_on.isoformat()}


def _sign_off_late(plan: OnboardingPlan) -> tuple[str, dict]:
    return N_("sign-off was due on %(date)s"), {"date": plan.sign_off_due_on.isoformat()}


def plan_progress(
    session: Session, plans: list[OnboardingPlan], today: date | None = None
) -> list[PlanProgress]:
    """Progress of several plans with a fixed number of queries (list pages)."""
    today = today or local_today()
    if not plans:
        return []
    staff_ids = [p.staff_member_id for p in plans]
    session.execute(
        sa.select(OnboardingPlan)
        .where(OnboardingPlan.id.in_([p.id for p in plans]))
        .options(selectinload(OnboardingPlan.items).selectinload(OnboardingPlanItem.course))
    ).all()
    done: dict[int, set[int]] = {}
    for sid, cid in session.execute(
        sa.select(SessionAttendee.staff_member_id, TrainingSession.course_id)
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .where(
            SessionAttendee.staff_member_id.in_(staff_ids),
            SessionAttendee.status.in_(("present", "late")),
            TrainingSession.status != "cancelled",
        )
    ):
        done.setdefault(sid, set()).add(cid)
    pairings: dict[int, MentorPairing] = {}
    rank = {"signed_off": 0, "assessed": 1, "active": 2, "ended": 3}
    for p in session.scalars(
        sa.select(MentorPairing)
        .where(MentorPairing.mentee_id.in_(staff_ids), MentorPairing.kind == "onboarding")
        .options(selectinload(MentorPairing.mentor))
    ):
        current = pairings.get(p.mentee_id)
        if current is None or (rank[p.status], -p.id) < (rank[current.status], -current.id):
            pairings[p.mentee_id] = p
    result = []
    for plan in plans:
        finished = plan.status == "completed"
        items = []
        late: list[tuple[str, dict]] = []
        for item in plan.items:
            is_done = item.course_id in done.get(plan.staff_member_id, set())
            is_late = not is_done and not finished and item.due_on < today
            items.append(ItemProgress(item.course, item.due_on, is_done, is_late))
            if is_late:
                late.append(_course_late(item.course.title, item.due_on))
        pairing = pairings.get(plan.staff_member_id)
        if not finished:
            if (pairing is None or pairing.status == "ended") and plan.pairing_due_on < today:
                late.append(_no_mentor(plan))
            if (pairing is None or pairing.status != "signed_off") and plan.sign_off_due_on < today:
                late.append(_sign_off_late(plan))
        result.append(PlanProgress(plan, items, pairing, late))
    return result
