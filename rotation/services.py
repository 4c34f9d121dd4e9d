"""Domain rules of key-post rotation: policies, tenure, exemptions, proposals, plans and their
execution. Plain functions over a session; they flush and never commit."""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance.audit import record, snapshot
from compliance.models import Assignment, Conflict, Post, Site, StaffMember, User, UserRole, Window
from compliance.settings import declare, get_setting

from . import planner
from .models import (
    PostCheckPair,
    PostQualification,
    RotationExemption,
    RotationMove,
    RotationPlan,
    RotationPolicy,
)
from .planner import Instance, Person, PostInfo, Seat, Violation

logger = logging.getLogger(__name__)

declare("rotation.max_tenure_months", 36)
declare("rotation.min_interval_months", 12)
declare("rotation.cooling_off_months", 36)
declare("rotation.amber_days", 90)
declare("rotation.handover_weeks", 2)

APPROVER_ROLES = ("discipline", "admin")


def _(message: str) -> str:
    """Mark a message for extraction; views translate it (services stay free of Flask)."""
    return message


class RotationError(ValueError):
    """A user-facing reason a rotation action was refused: an English msgid plus parameters,
    and, for rule checks, the violations found."""

    def __init__(self, message: str, violations: list[Violation] | None = None, **params) -> None:
        self.message = message
        self.params = params
        self.violations = violations or []
        super().__init__(message % params if params else message)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when end precedes start)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


# --- policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    post_id: int
    max_tenure_months: int
    min_interval_months: int
    cooling_off_months: int
    is_default: bool


def default_policy(session: Session, post_id: int) -> Policy:
    return Policy(post_id, int(get_setting(session, "rotation.max_tenure_months")),
                  int(get_setting(session, "rotation.min_interval_months")),
                  int(get_setting(session, "rotation.cooling_off_months")), True)


def policies(session: Session) -> dict[int, Policy]:
    """The policy of every key post (stored row or the default settings)."""
    rows = {p.post_id: p for p in session.scalars(sa.select(RotationPolicy))}
    default = None
    out = {}
    for post_id in session.scalars(sa.select(Post.id).where(Post.is_key)):
        row = rows.get(post_id)
        if row is not None:
            out[post_id] = Policy(post_id, row.max_tenure_months, row.min_interval_months,
                                  row.cooling_off_months, False)
        else:
            default = default or default_policy(session, 0)
            out[post_id] = Policy(post_id, default.max_tenure_months, default.min_interval_months,
                                  default.cooling_off_months, True)
    return out


def completed_courses(session: Session, staff_ids) -> dict[int, frozenset[int]]:
    """Completed course ids of several people in one query: the bulk form of
    `training.services.completed_course_ids` (same rule: attended, session not cancelled)."""
    from training.models import ATTENDED_STATUSES, SessionAttendee, TrainingSession

    out: dict[int, set[int]] = defaultdict(set)
    staff_ids = list(staff_ids)
    for start in range(0, len(staff_ids), 5000):
        chunk = staff_ids[start:start + 5000]
        rows = session.execute(
            sa.select(SessionAttendee.staff_member_id, TrainingSession.course_id)
            .join(TrainingSession, SessionAttendee.session_id == TrainingSession.id)
            .where(SessionAttendee.staff_member_id.in_(chunk),
                   SessionAttendee.status.in_(ATTENDED_STATUSES),
                   TrainingSession.status != "cancelled")
            .distinct())
        for staff_id, course_id in rows:
            out[staff_id].add(course_id)
    return {staff_id: frozenset(out.get(staff_id, ())) for staff_id in staff_ids}


def qualifications(session: Session) -> dict[int, dict[str, set[int]]]:
    """post id -> {"required": course ids, "recommended": course ids}."""
    out: dict[int, dict[str, set[int]]] = defaultdict(lambda: {"required": set(), "recommended": set()})
    for q in session.scalars(sa.select(PostQualification)):
        out[q.post_id][q.kind].add(q.course_id)
    return out


def update_policy(session: Session, actor: User, post: Post, *, max_tenure_months: int,
                  min_interval_months: int, cooling_off_months: int,
                  required_course_ids: list[int] | None = None,
                  recommended_course_ids: list[int] | None = None) -> RotationPolicy:
    """Create or change the policy and qualifications of a key post (audited).

    Raises RotationError if the post is not a key post, a number is out of range or a course
    is both required and recommended.
    """
    if not post.is_key:
        raise RotationError(_("Post %(post)s is not a key post."), post=post.name)
    if max_tenure_months < 1 or max_tenure_months > 240:
        raise RotationError(_("The maximum tenure must be between 1 and 240 months."))
    for value in (min_interval_months, cooling_off_months):
        if value < 0 or value > 240:
            raise RotationError(_("Intervals must be between 0 and 240 months."))
    required = set(required_course_ids or [])
    recommended = set(recommended_course_ids or [])
    if required & recommended:
        raise RotationError(_("A course cannot be both required and recommended."))
    row = session.scalar(sa.select(RotationPolicy).where(RotationPolicy.post_id == post.id))
    before = snapshot(row) if row is not None else None
    if before is not None:
        before["qualifications"] = _qualification_state(session, post.id)
    if row is None:
        row = RotationPolicy(post_id=post.id)
        session.add(row)
    row.max_tenure_months = max_tenure_months
    row.min_interval_months = min_interval_months
    row.cooling_off_months = cooling_off_months
    row.updated_by_id = actor.id if actor else None
    existing = {q.course_id: q for q in session.scalars(
        sa.select(PostQualification).where(PostQualification.post_id == post.id))}
    wanted = {c: "required" for c in required} | {c: "recommended" for c in recommended}
    for course_id, q in existing.items():
        if course_id not in wanted:
            session.delete(q)
        else:
            q.kind = wanted[course_id]
    for course_id, kind in wanted.items():
        if course_id not in existing:
            session.add(PostQualification(post_id=post.id, course_id=course_id, kind=kind))
    session.flush()
    after = snapshot(row)
    after["qualifications"] = _qualification_state(session, post.id)
    record(session, actor, "rotation_policy.update", row, before=before, after=after)
    logger.info("rotation policy of post %s updated by %s", post.id, actor.id if actor else None)
    return row


def _qualification_state(session: Session, post_id: int) -> dict:
    rows = session.scalars(sa.select(PostQualification).where(PostQualification.post_id == post_id))
    return {str(q.course_id): q.kind for q in rows}


def add_check_pair(session: Session, actor: User, post_a: Post, post_b: Post,
                   reason: str | None = None) -> PostCheckPair:
    """Record that two posts check each other. Raises RotationError for the same post twice or
    an existing pair."""
    if post_a.id == post_b.id:
        raise RotationError(_("Choose two different posts."))
    low, high = sorted((post_a.id, post_b.id))
    exists = session.scalar(sa.select(PostCheckPair.id).where(
        PostCheckPair.post_a_id == low, PostCheckPair.post_b_id == high))
    if exists:
        raise RotationError(_("These posts are already recorded as checking each other."))
    pair = PostCheckPair(post_a_id=low, post_b_id=high, reason=reason or None,
                         created_by_id=actor.id if actor else None)
    session.add(pair)
    session.flush()
    record(session, actor, "post_check_pair.create", pair)
    return pair


def remove_check_pair(session: Session, actor: User, pair: PostCheckPair) -> None:
    """Remove a check pair (audited with its former values)."""
    before = snapshot(pair)
    record(session, actor, "post_check_pair.delete", pair, before=before)
    session.delete(pair)
    session.flush()


def check_pairs(session: Session) -> set[frozenset[int]]:
    return {frozenset((a, b)) for a, b in session.execute(
        sa.select(PostCheckPair.post_a_id, PostCheckPair.post_b_id))}


# --- exemptions ----------------------------------------------------------------------------


def approver_candidates(session: Session) -> list[User]:
    return list(session.scalars(
        sa.select(User).join(UserRole).where(UserRole.role.in_(APPROVER_ROLES), User.active)
        .distinct().order_by(User.username)))


def create_exemption(session: Session, actor: User, staff: StaffMember, *, reason: str,
                     approver: User, ends_on: date, starts_on: date) -> RotationExemption:
    """暂缓轮岗: postpone one person's rotation until `ends_on`.

    Raises RotationError without a reason, when the approver is not an active discipline
    officer or administrator, is the person recording it, or when the dates are reversed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RotationError(_("Give a reason for the exemption."))
    if approver is None or not approver.active or not approver.has_role(*APPROVER_ROLES):
        raise RotationError(_("The approver must be an active discipline officer or administrator."))
    if actor is not None and approver.id == actor.id:
        raise RotationError(_("The approver must be someone other than you."))
    if ends_on < starts_on:
        raise RotationError(_("The end date must not be before the start date."))
    exemption = RotationExemption(staff_member_id=staff.id, reason=reason[:500],
                                  approved_by_id=approver.id, starts_on=starts_on, ends_on=ends_on,
                                  created_by_id=actor.id if actor else None)
    session.add(exemption)
    session.flush()
    record(session, actor, "rotation_exemption.create", exemption)
    return exemption


def revoke_exemption(session: Session, actor: User, exemption: RotationExemption) -> None:
    """End an exemption now. Raises RotationError if it was already revoked."""
    if exemption.revoked_at is not None:
        raise RotationError(_("This exemption was already revoked."))
    from compliance.db import utcnow

    before = snapshot(exemption)
    exemption.revoked_at = utcnow()
    exemption.revoked_by_id = actor.id if actor else None
    session.flush()
    record(session, actor, "rotation_exemption.revoke", exemption, before=before)


def active_exemptions(session: Session, on: date, staff_ids=None) -> dict[int, RotationExemption]:
    query = sa.select(RotationExemption).where(
        RotationExemption.revoked_at.is_(None), RotationExemption.starts_on <= on,
        RotationExemption.ends_on >= on)
    if staff_ids is not None:
        query = query.where(RotationExemption.staff_member_id.in_(list(staff_ids)))
    out: dict[int, RotationExemption] = {}
    for e in session.scalars(query.order_by(RotationExemption.ends_on)):
        out[e.staff_member_id] = e  # the latest end wins
    return out


# --- tenure --------------------------------------------------------------------------------


@dataclass
class History:
    """What the rules need to know about one person's past assignments."""

    current: Assignment | None
    tenure_start: date | None
    # post id -> last day the person held it (ended assignments only)
    last_held: dict[int, date] = field(default_factory=dict)


def histories(session: Session, staff_ids) -> dict[int, History]:
    """Assignment histories of several people in one query."""
    staff_ids = list(staff_ids)
    by_staff: dict[int, list[Assignment]] = defaultdict(list)
    for start in range(0, len(staff_ids), 5000):
        chunk = staff_ids[start:start + 5000]
        for a in session.scalars(sa.select(Assignment).where(Assignment.staff_member_id.in_(chunk))):
            by_staff[a.staff_member_id].append(a)
    out = {}
    for staff_id in staff_ids:
        rows = sorted(by_staff.get(staff_id, []), key=lambda a: (a.started_on, a.id))
        current = next((a for a in rows if a.ended_on is None), None)
        tenure_start = None
        if current is not None:
            tenure_start = current.started_on
            # Consecutive assignments on the same post count together.
            for a in sorted((a for a in rows if a.ended_on is not None), key=lambda a: a.ended_on,
                            reverse=True):
                if a.post_id == current.post_id and a.ended_on >= tenure_start - timedelta(days=1) \
                        and a.started_on < tenure_start:
                    tenure_start = a.started_on
        last_held: dict[int, date] = {}
        for a in rows:
            if a.ended_on is not None:
                last_held[a.post_id] = max(last_held.get(a.post_id, a.ended_on), a.ended_on)
        out[staff_id] = History(current, tenure_start, last_held)
    return out


@dataclass
class TenureRow:
    assignment: Assignment
    staff: StaffMember
    post: Post
    site: Site
    window: Window | None
    tenure_start: date
    months: int
    due_on: date
    days_left: int
    status: str  # overdue, due_soon, ok
    exemption: RotationExemption | None


def key_assignments(session: Session, site_ids: set[int] | None = None) -> list[Assignment]:
    query = (sa.select(Assignment).join(Post, Post.id == Assignment.post_id)
             .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
             .where(Post.is_key, Assignment.ended_on.is_(None), StaffMember.status == "active")
             .options(joinedload(Assignment.staff_member), joinedload(Assignment.post),
                      joinedload(Assignment.site), joinedload(Assignment.window)))
    if site_ids is not None:
        query = query.where(Assignment.site_id.in_(list(site_ids)))
    return list(session.scalars(query))


def tenure_board(session: Session, on: date, site_ids: set[int] | None = None,
                 hist_out: dict | None = None) -> list[TenureRow]:
    """Every key seat in scope with its holder, time in post and due date; most urgent first.

    `hist_out`, when given, receives the assignment histories read on the way (for reuse)."""
    seats = key_assignments(session, site_ids)
    hist = histories(session, [a.staff_member_id for a in seats])
    if hist_out is not None:
        hist_out.update(hist)
    pols = policies(session)
    exemptions = active_exemptions(session, on, [a.staff_member_id for a in seats])
    amber = int(get_setting(session, "rotation.amber_days"))
    rows = []
    for a in seats:
        start = hist[a.staff_member_id].tenure_start or a.started_on
        policy = pols.get(a.post_id) or default_policy(session, a.post_id)
        due = add_months(start, policy.max_tenure_months)
        days_left = (due - on).days
        status = "overdue" if days_left <= 0 else "due_soon" if days_left <= amber else "ok"
        rows.append(TenureRow(a, a.staff_member, a.post, a.site, a.window, start,
                              months_between(start, on), due, days_left, status,
                              exemptions.get(a.staff_member_id)))
    rows.sort(key=lambda r: (r.due_on, r.post.code, r.staff.staff_no))
    return rows


# --- proposals -----------------------------------------------------------------------------


def _seat_of(a: Assignment) -> Seat:
    where = a.site.name + (f" {a.window.code}" if a.window is not None else "")
    return Seat(id=a.id, holder_id=a.staff_member_id, post_id=a.post_id, site_id=a.site_id,
                window_id=a.window_id, is_key=a.post.is_key, label=f"{a.post.name} · {where}")


@dataclass
class Context:
    instance: Instance
    due: dict[int, TenureRow]  # staff id -> tenure row of those who must move
    assignments: dict[int, Assignment]  # seat id -> assignment
    warnings: list[Violation]


def build_instance(session: Session, planning_on: date, candidate_ids=(), site_ids=None,
                   movable_ids=None) -> Context:
    """The planner's facts at `planning_on`: must-movers (key holders in scope due by then and not
    exempted), the candidates, their seats, and every rule that applies to them.

    With `movable_ids` (plan validation), exactly those people are movable.
    """
    known: dict[int, History] = {}
    board = tenure_board(session, planning_on, site_ids, hist_out=known)
    due = {r.staff.id: r for r in board if r.status == "overdue" and r.exemption is None}
    warnings: list[Violation] = []
    if movable_ids is not None:
        ids = list(dict.fromkeys(movable_ids))
    else:
        # People already moved by a submitted or approved plan are not planned twice.
        planned = people_in_open_plans(session, [*due, *candidate_ids])
        for staff_id, plan_id in planned.items():
            name = due[staff_id].staff.name if staff_id in due else f"#{staff_id}"
            warnings.append(Violation(planner.RULE_ONE_POST,
                                      _("%(name)s is already in plan #%(plan)s and was left out"),
                                      {"name": name, "plan": plan_id}))
            due.pop(staff_id, None)
        ids = list(dict.fromkeys([*due, *(c for c in candidate_ids if c not in planned)]))
    # Key-post holders were read with the board; only the others are read here.
    hist = {i: known[i] for i in ids if i in known}
    hist.update(histories(session, [i for i in ids if i not in known]))
    by_seat = {r.assignment.id: r.assignment for r in board}
    staff = {r.staff.id: r.staff for r in board if r.staff.id in hist}
    missing_staff = [i for i in ids if i not in staff]
    if missing_staff:
        staff.update((s.id, s) for s in session.scalars(
            sa.select(StaffMember).where(StaffMember.id.in_(missing_staff))))
    current_ids = [h.current.id for h in hist.values() if h.current is not None]
    assignments = {i: by_seat[i] for i in current_ids if i in by_seat}
    missing_seats = [i for i in current_ids if i not in assignments]
    if missing_seats:
        assignments.update((a.id, a) for a in session.scalars(
            sa.select(Assignment).where(Assignment.id.in_(missing_seats)).options(
                joinedload(Assignment.post), joinedload(Assignment.site),
                joinedload(Assignment.window))))
    pols = policies(session)
    quals = qualifications(session)
    posts = {}
    for p in session.scalars(sa.select(Post)):
        q = quals.get(p.id) or {"required": set(), "recommended": set()}
        posts[p.id] = PostInfo(p.id, p.name, p.is_key, frozenset(q["required"]),
                               frozenset(q["recommended"]))
    exemptions = active_exemptions(session, planning_on, ids)
    need_courses = bool(quals)
    completed: dict[int, frozenset[int]] = {}
    if need_courses:
        completed = completed_courses(session, ids)
    default_interval = int(get_setting(session, "rotation.min_interval_months"))
    default_cooling = int(get_setting(session, "rotation.cooling_off_months"))
    people: list[Person] = []
    for staff_id in ids:
        member = staff.get(staff_id)
        h = hist.get(staff_id)
        if member is None:
            continue
        if h is None or h.current is None:
            warnings.append(Violation(planner.RULE_ONE_POST,
                                      _("%(name)s has no current assignment and was left out"),
                                      {"name": member.name}))
            continue
        a = assignments[h.current.id]
        person = Person(id=staff_id, name=member.name, seat=_seat_of(a),
                        must_move=staff_id in due, completed=completed.get(staff_id, frozenset()))
        if staff_id in due:
            row = due[staff_id]
            person.reason = "due"
            person.reason_params = {"due": row.due_on.isoformat(), "months": row.months}
        else:
            person.reason = "candidate"
        if member.status != "active":
            person.block = (planner.RULE_INACTIVE, _("%(name)s is not an active staff member"),
                            {"name": member.name})
        elif staff_id in exemptions and staff_id not in due:
            e = exemptions[staff_id]
            person.block = (planner.RULE_EXEMPTION,
                            _("%(name)s has a rotation exemption until %(until)s"),
                            {"name": member.name, "until": e.ends_on.isoformat()})
        else:
            interval = pols[a.post_id].min_interval_months if a.post_id in pols else default_interval
            since = h.tenure_start or a.started_on
            until = add_months(since, interval)
            if until > planning_on:
                person.block = (planner.RULE_INTERVAL,
                                _("%(name)s moved on %(since)s: no new move before %(until)s"),
                                {"name": member.name, "since": since.isoformat(),
                                 "until": until.isoformat()})
        for post_id, last in h.last_held.items():
            cooling = pols[post_id].cooling_off_months if post_id in pols else default_cooling
            if post_id in pols:
                person.cooling_until[post_id] = add_months(last + timedelta(days=1), cooling)
        people.append(person)
    movable = {p.id for p in people}
    conflicts: dict[int, set[int]] = defaultdict(set)
    for a_id, b_id in session.execute(sa.select(Conflict.staff_a_id, Conflict.staff_b_id).where(
            sa.or_(Conflict.staff_a_id.in_(list(movable)), Conflict.staff_b_id.in_(list(movable))))):
        conflicts[a_id].add(b_id)
        conflicts[b_id].add(a_id)
    others = {o for p in movable for o in conflicts.get(p, ())} - movable
    fixed: dict[int, Seat] = {}
    names = {p.id: p.name for p in people}
    if others:
        for a in session.scalars(sa.select(Assignment).where(
                Assignment.staff_member_id.in_(list(others)), Assignment.ended_on.is_(None))
                .options(joinedload(Assignment.post), joinedload(Assignment.site),
                         joinedload(Assignment.window), joinedload(Assignment.staff_member))):
            fixed[a.staff_member_id] = _seat_of(a)
            names[a.staff_member_id] = a.staff_member.name
    course_names = {}
    all_courses = {c for q in quals.values() for group in q.values() for c in group}
    if all_courses:
        from training.models import Course

        course_names = dict(session.execute(sa.select(Course.id, Course.title)
                                            .where(Course.id.in_(list(all_courses)))).all())
    inst = Instance(planning_on, people, posts, check_pairs(session), dict(conflicts), fixed, names,
                    course_names)
    return Context(inst, due, assignments, warnings)


OPEN_PLAN_STATUSES = ("submitted", "approved")


def people_in_open_plans(session: Session, staff_ids=None, exclude_plan_id: int | None = None
                         ) -> dict[int, int]:
    """staff id -> plan id, for people with a planned move in a submitted or approved plan."""
    query = (sa.select(RotationMove.staff_member_id, RotationMove.plan_id).join(RotationPlan)
             .where(RotationPlan.status.in_(OPEN_PLAN_STATUSES), RotationMove.status == "planned"))
    if staff_ids is not None:
        query = query.where(RotationMove.staff_member_id.in_(list(staff_ids)))
    if exclude_plan_id is not None:
        query = query.where(RotationMove.plan_id != exclude_plan_id)
    return dict(session.execute(query).all())


@dataclass
class Proposal:
    planning_on: date
    context: Context
    result: planner.Solution | planner.Infeasible

    @property
    def ok(self) -> bool:
        return isinstance(self.result, planner.Solution)


def propose(session: Session, planning_on: date, candidate_ids=(), site_ids=None) -> Proposal:
    """The optimal set of moves for `planning_on`, or the rules that block every plan."""
    context = build_instance(session, planning_on, candidate_ids, site_ids)
    return Proposal(planning_on, context, planner.solve(context.instance))


def create_plan_from_proposal(session: Session, actor: User, planning_on: date, candidate_ids=(),
                              site_ids=None, title: str | None = None) -> RotationPlan:
    """Compute a proposal and save it as a draft plan.

    Raises RotationError (with the blocking violations) when no plan satisfies the rules, or
    when nobody needs to move.
    """
    proposal = propose(session, planning_on, candidate_ids, site_ids)
    if not proposal.ok:
        raise RotationError(_("No plan satisfies the rules."), proposal.result.violations)
    if not proposal.result.moves:
        raise RotationError(_("Nobody needs to move on %(day)s."), day=planning_on.isoformat())
    plan = RotationPlan(title=(title or "").strip()[:120] or f"轮岗计划 {planning_on.isoformat()}",
                        planning_on=planning_on, status="draft",
                        candidate_ids=sorted(set(int(c) for c in candidate_ids)),
                        author_id=actor.id if actor else None)
    session.add(plan)
    session.flush()
    for group in planner.chains(proposal.result.moves):
        for m in group:
            seat_a = proposal.context.assignments[m.seat.id]
            plan.moves.append(RotationMove(
                staff_member_id=m.person.id, from_assignment_id=m.person.seat.id,
                seat_assignment_id=m.seat.id, predecessor_id=m.seat.holder_id,
                to_post_id=seat_a.post_id, to_site_id=seat_a.site_id, to_window_id=seat_a.window_id,
                effective_on=planning_on,
                reason=_move_reason(m.person), status="planned"))
    session.flush()
    record(session, actor, "rotation_plan.create", plan,
           after=snapshot(plan) | {"moves": [_move_state(m) for m in plan.moves],
                                   "cost": proposal.result.cost})
    logger.info("rotation plan %s drafted with %s moves", plan.id, len(plan.moves))
    return plan


def _move_reason(person: Person) -> str:
    if person.reason == "due":
        return f"due:{person.reason_params['due']}"
    return "candidate"


def _move_state(m: RotationMove) -> dict:
    return {"staff": m.staff_member_id, "seat": m.seat_assignment_id, "post": m.to_post_id,
            "site": m.to_site_id, "window": m.to_window_id, "on": m.effective_on.isoformat()}


# --- plans ---------------------------------------------------------------------------------


@dataclass
class MoveSpec:
    staff_member_id: int
    seat_assignment_id: int
    effective_on: date
    reason: str | None = None


def validate_moves(session: Session, planning_on: date, specs: list[MoveSpec],
                   required_ids: set[int] = frozenset(), plan_id: int | None = None
                   ) -> list[Violation]:
    """Check a whole set of moves against every hard rule. Returns the violations (empty: valid).

    `required_ids` are people who are due and were in the plan: they must stay in it.
    """
    out: list[Violation] = []
    movers = [s.staff_member_id for s in specs]
    if len(set(movers)) != len(movers):
        out.append(Violation(planner.RULE_ONE_POST, _("A person appears in two moves"), {}))
        return out
    ctx = build_instance(session, planning_on, movable_ids=movers)
    inst = ctx.instance
    people = {p.id: p for p in inst.people}
    # A reversal undoes an executed plan: returning people to the seats they just left is not
    # held against the interval between moves nor the cooling-off; every other rule applies.
    for spec in specs:
        person = people.get(spec.staff_member_id)
        if person is not None and (spec.reason or "").startswith("reversal:"):
            person.cooling_until = {}
            if person.block is not None and person.block[0] == planner.RULE_INTERVAL:
                person.block = None
    out.extend(ctx.warnings)
    for staff_id, other_plan in people_in_open_plans(session, movers, exclude_plan_id=plan_id).items():
        out.append(Violation(planner.RULE_ONE_POST,
                             _("%(name)s already has a move in plan #%(plan)s"),
                             {"name": inst.name(staff_id), "plan": other_plan}))
    seats_taken: dict[int, int] = {}
    seat_objs: dict[int, Seat] = {}
    seat_ids = [s.seat_assignment_id for s in specs]
    seat_rows = {a.id: a for a in session.scalars(
        sa.select(Assignment).where(Assignment.id.in_(seat_ids)).options(
            joinedload(Assignment.post), joinedload(Assignment.site), joinedload(Assignment.window),
            joinedload(Assignment.staff_member)))}
    outgoing = {s.staff_member_id: s for s in specs}
    for spec in specs:
        person = people.get(spec.staff_member_id)
        if person is None:
            continue
        if spec.effective_on < planning_on:
            out.append(Violation(planner.RULE_DATE, _("The move of %(name)s is dated before the planning date"),
                                 {"name": person.name}))
        a = seat_rows.get(spec.seat_assignment_id)
        if a is None or a.ended_on is not None:
            out.append(Violation(planner.RULE_STAFFED,
                                 _("The seat chosen for %(name)s is no longer held by anyone"),
                                 {"name": person.name}))
            continue
        seat = _seat_of(a)
        seat_objs[spec.staff_member_id] = seat
        if seat.id in seats_taken:
            out.append(Violation(planner.RULE_ONE_POST, _("Two people would take the seat %(seat)s"),
                                 {"seat": seat.label}))
        seats_taken[seat.id] = spec.staff_member_id
        if seat.holder_id == person.id:
            out.append(Violation(planner.RULE_SAME_POST, _("%(name)s would move to their own seat"),
                                 {"name": person.name}))
            continue
        holder_move = outgoing.get(seat.holder_id)
        if holder_move is None:
            out.append(Violation(planner.RULE_ONE_POST,
                                 _("%(seat)s is still held by %(holder)s, who does not move"),
                                 {"seat": seat.label, "holder": a.staff_member.name}))
        elif holder_move.effective_on != spec.effective_on:
            out.append(Violation(planner.RULE_STAFFED,
                                 _("%(name)s takes %(seat)s on a different day than %(holder)s "
                                   "leaves it"),
                                 {"name": person.name, "seat": seat.label,
                                  "holder": a.staff_member.name}))
        out.extend(planner.arc_violations(inst, person, seat))
    # Every vacated key seat is filled.
    for person in inst.people:
        if person.seat.is_key and person.seat.id not in seats_taken:
            out.append(Violation(planner.RULE_STAFFED,
                                 _("%(seat)s would be left empty when %(name)s leaves"),
                                 {"seat": person.seat.label, "name": person.name}))
    # Recorded conflicts between two people of the plan.
    final = {p.id: seat_objs.get(p.id, p.seat) for p in inst.people}
    for p in inst.people:
        for other in inst.conflicts.get(p.id, ()):
            if other in final and p.id < other:
                if seat_objs.get(p.id) is None and seat_objs.get(other) is None:
                    continue
                if planner.seats_clash(inst, final[p.id], final[other]):
                    out.append(Violation(planner.RULE_CONFLICT,
                                         _("%(name)s and %(other)s have a recorded conflict and would "
                                           "hold %(where)s"),
                                         {"name": p.name, "other": people[other].name,
                                          "where": final[other].label}))
    for staff_id in required_ids:
        if staff_id not in outgoing and staff_id in ctx.due:
            row = ctx.due[staff_id]
            out.append(Violation(planner.RULE_MUST_MOVE,
                                 _("%(name)s is due for rotation (since %(due)s) and must stay in "
                                   "the plan"),
                                 {"name": row.staff.name, "due": row.due_on.isoformat()}))
    return out


def plan_specs(plan: RotationPlan) -> list[MoveSpec]:
    return [MoveSpec(m.staff_member_id, m.seat_assignment_id, m.effective_on, m.reason)
            for m in plan.moves]


def plan_violations(session: Session, plan: RotationPlan) -> list[Violation]:
    """The rules the plan's moves break today (stale seats included)."""
    if not plan.moves:
        return []
    return validate_moves(session, plan.planning_on, plan_specs(plan), plan_id=plan.id)


def create_reversal_plan(session: Session, actor: User, plan: RotationPlan,
                         effective_on: date) -> RotationPlan:
    """Draft a new plan that puts everyone an executed plan moved back where they were.

    The draft is checked like any plan when it is submitted (the interval between moves and the
    cooling-off do not apply to going back). Raises RotationError if the plan is not executed,
    has no executed move, or someone has moved again since.
    """
    if plan.status != "executed":
        raise RotationError(_("Only an executed plan can be reversed."))
    executed = [m for m in plan.moves if m.status == "executed"]
    if not executed:
        raise RotationError(_("This plan has no executed move to reverse."))
    taker_of_seat = {m.seat_assignment_id: m for m in executed}
    reversal = RotationPlan(title=f"撤销 #{plan.id} {plan.title}"[:120], planning_on=effective_on,
                            status="draft", author_id=actor.id if actor else None)
    session.add(reversal)
    session.flush()
    for m in executed:
        new = session.get(Assignment, m.new_assignment_id)
        if new is None or new.ended_on is not None:
            raise RotationError(_("%(name)s has moved again since the plan was executed."),
                                name=m.staff_member.name)
        taker = taker_of_seat.get(m.from_assignment_id)
        if taker is None:  # the seat they left was not taken inside the plan
            raise RotationError(_("The seat %(name)s left is no longer part of the plan."),
                                name=m.staff_member.name)
        back = m.from_assignment
        reversal.moves.append(RotationMove(
            staff_member_id=m.staff_member_id, from_assignment_id=new.id,
            seat_assignment_id=taker.new_assignment_id, predecessor_id=taker.staff_member_id,
            to_post_id=back.post_id, to_site_id=back.site_id, to_window_id=back.window_id,
            effective_on=effective_on, reason=f"reversal:{plan.id}", status="planned"))
    session.flush()
    record(session, actor, "rotation_plan.create", reversal,
           after=snapshot(reversal) | {"reverses": plan.id,
                                       "moves": [_move_state(m) for m in reversal.moves]})
    return reversal


def update_plan_moves(session: Session, actor: User, plan: RotationPlan,
                      specs: list[MoveSpec]) -> RotationPlan:
    """Replace the moves of a draft (or returned) plan after re-checking every rule.

    Raises RotationError when the plan is not editable, has no move left, or the edit breaks a
    rule (the violations are attached).
    """
    if not plan.is_editable:
        raise RotationError(_("Only a draft or returned plan can be edited."))
    if not specs:
        raise RotationError(_("A plan needs at least one move."))
    due_in_plan = {m.staff_member_id for m in plan.moves if (m.reason or "").startswith("due:")}
    violations = validate_moves(session, plan.planning_on, specs, required_ids=due_in_plan,
                                plan_id=plan.id)
    if violations:
        raise RotationError(_("The change breaks the rules."), violations)
    before = {"moves": [_move_state(m) for m in plan.moves]}
    existing = {m.staff_member_id: m for m in plan.moves}
    seats = {a.id: a for a in session.scalars(
        sa.select(Assignment).where(Assignment.id.in_([s.seat_assignment_id for s in specs])))}
    currents = {a.staff_member_id: a for a in session.scalars(
        sa.select(Assignment).where(Assignment.staff_member_id.in_([s.staff_member_id for s in specs]),
                                    Assignment.ended_on.is_(None)))}
    keep = set()
    for spec in specs:
        seat = seats[spec.seat_assignment_id]
        move = existing.get(spec.staff_member_id)
        if move is None:
            move = RotationMove(staff_member_id=spec.staff_member_id, status="planned",
                                reason=spec.reason or "candidate")
            plan.moves.append(move)
        move.from_assignment_id = currents[spec.staff_member_id].id
        move.seat_assignment_id = seat.id
        move.predecessor_id = seat.staff_member_id
        move.to_post_id, move.to_site_id, move.to_window_id = seat.post_id, seat.site_id, seat.window_id
        move.effective_on = spec.effective_on
        keep.add(spec.staff_member_id)
    for staff_id, move in existing.items():
        if staff_id not in keep:
            plan.moves.remove(move)
    if plan.status == "returned":
        plan.status = "draft"
    session.flush()
    record(session, actor, "rotation_plan.edit", plan, before=before,
           after={"moves": [_move_state(m) for m in plan.moves]})
    return plan


def submit_plan(session: Session, actor: User, plan: RotationPlan) -> None:
    """Send a draft plan for approval. Raises RotationError if it is not a draft, is empty or
    breaks a rule."""
    if not plan.is_editable:
        raise RotationError(_("Only a draft or returned plan can be submitted."))
    if not plan.moves:
        raise RotationError(_("A plan needs at least one move."))
    violations = plan_violations(session, plan)
    if violations:
        raise RotationError(_("The plan breaks the rules."), violations)
    from compliance.db import utcnow

    before = snapshot(plan)
    plan.status = "submitted"
    plan.submitted_at = utcnow()
    session.flush()
    record(session, actor, "rotation_plan.submit", plan, before=before)


def _check_decider(actor: User, plan: RotationPlan) -> None:
    if plan.status != "submitted":
        raise RotationError(_("Only a submitted plan can be approved or returned."))
    if not actor.has_role(*APPROVER_ROLES):
        raise RotationError(_("Only a discipline officer or an administrator can decide on a plan."))
    if plan.author_id == actor.id:
        raise RotationError(_("The author of a plan cannot approve or return it."))


def approve_plan(session: Session, actor: User, plan: RotationPlan, note: str | None = None) -> None:
    """Approve a submitted plan. Raises RotationError if the actor is its author, lacks the role,
    the plan is not submitted, or its moves no longer satisfy the rules."""
    _check_decider(actor, plan)
    violations = plan_violations(session, plan)
    if violations:
        raise RotationError(_("The plan breaks the rules."), violations)
    from compliance.db import utcnow

    before = snapshot(plan)
    plan.status = "approved"
    plan.decided_by_id = actor.id
    plan.decided_at = utcnow()
    plan.decision_note = (note or "").strip() or None
    session.flush()
    record(session, actor, "rotation_plan.approve", plan, before=before)
    logger.info("rotation plan %s approved by %s", plan.id, actor.id)


def return_plan(session: Session, actor: User, plan: RotationPlan, note: str) -> None:
    """Return a submitted plan to its author with a reason. Raises RotationError without a note
    or under the same conditions as approval."""
    _check_decider(actor, plan)
    note = (note or "").strip()
    if not note:
        raise RotationError(_("Say why the plan is returned."))
    from compliance.db import utcnow

    before = snapshot(plan)
    plan.status = "returned"
    plan.decided_by_id = actor.id
    plan.decided_at = utcnow()
    plan.decision_note = note
    session.flush()
    record(session, actor, "rotation_plan.return", plan, before=before, reason=note)


# --- execution -----------------------------------------------------------------------------


def execute_due_moves(session: Session, run_on: date, actor: User | None = None) -> dict:
    """Execute every planned move of approved plans dated on or before `run_on`.

    Moves of one plan and one date execute together (a cycle must switch at once): old
    assignments end the day before, new ones start on the date, the previous holder of each seat
    mentors the successor (a handover pairing in training). A move executes once; a group whose
    people changed assignment since approval is blocked, not half-done.
    """
    from training.services import TrainingError, create_handover_pairing

    query = (sa.select(RotationMove).join(RotationPlan)
             .where(RotationPlan.status == "approved", RotationMove.status == "planned",
                    RotationMove.effective_on <= run_on)
             .order_by(RotationMove.plan_id, RotationMove.effective_on, RotationMove.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=RotationMove, skip_locked=True)
    moves = list(session.scalars(query))
    groups: dict[tuple[int, date], list[RotationMove]] = defaultdict(list)
    for m in moves:
        groups[(m.plan_id, m.effective_on)].append(m)
    weeks = int(get_setting(session, "rotation.handover_weeks"))
    counts = {"executed": 0, "blocked": 0, "pairings": 0}
    from compliance.db import utcnow

    touched_plans = set()
    for (plan_id, effective_on), group in groups.items():
        touched_plans.add(plan_id)
        stale = [m for m in group if m.from_assignment.ended_on is not None
                 or m.from_assignment.staff_member_id != m.staff_member_id]
        if stale:
            for m in group:
                m.status = "blocked"
                m.note = "assignment changed since approval"
                record(session, actor, "rotation_move.block", m, reason=m.note)
            counts["blocked"] += len(group)
            continue
        for m in group:
            old = m.from_assignment
            before = snapshot(old)
            old.ended_on = max(old.started_on, effective_on - timedelta(days=1))
            record(session, actor, "assignment.end", old, before=before)
        session.flush()
        for m in group:
            new = Assignment(staff_member_id=m.staff_member_id, post_id=m.to_post_id,
                             site_id=m.to_site_id, window_id=m.to_window_id, started_on=effective_on,
                             note=f"rotation plan #{plan_id}")
            session.add(new)
            session.flush()
            record(session, actor, "assignment.create", new)
            member = m.staff_member
            if member.site_id != m.to_site_id:
                before = snapshot(member)
                member.site_id = m.to_site_id
                session.flush()
                record(session, actor, "staff_member.update", member, before=before)
            m.new_assignment_id = new.id
            m.status = "executed"
            m.executed_at = utcnow()
            try:
                with session.begin_nested():
                    pairing = create_handover_pairing(session, actor, mentor=m.predecessor,
                                                      mentee=member, starts_on=effective_on,
                                                      weeks=weeks, post=m.to_post)
                m.handover_pairing_id = pairing.id
                counts["pairings"] += 1
            except TrainingError as exc:
                m.note = f"handover pairing not created: {exc}"[:500]
            session.flush()
            record(session, actor, "rotation_move.execute", m)
            counts["executed"] += 1
    for plan_id in touched_plans:
        plan = session.get(RotationPlan, plan_id)
        if all(m.status != "planned" for m in plan.moves):
            before = snapshot(plan)
            plan.status = "executed"
            plan.executed_at = utcnow()
            session.flush()
            record(session, actor, "rotation_plan.execute", plan, before=before)
    session.flush()
    return counts


# --- alerts --------------------------------------------------------------------------------


def send_due_alerts(session: Session, run_on: date) -> dict:
    """Notify HR 90 and 30 days before each key holder's due date (once per threshold)."""
    from flask_babel import force_locale, gettext

    from compliance.access import site_tree_ids
    from compliance.notifications import notify

    rows = [r for r in tenure_board(session, run_on) if r.exemption is None and r.days_left <= 90]
    if not rows:
        return {"notified": 0}
    hr_users = list(session.scalars(sa.select(User).join(UserRole).where(
        UserRole.role == "hr", User.active).distinct()))
    scopes = {u.id: None if u.all_sites else site_tree_ids(session, u.scope_site_ids) for u in hr_users}
    created = 0
    for r in rows:
        threshold = 30 if r.days_left <= 30 else 90
        users = [u for u in hr_users if scopes[u.id] is None or r.site.id in scopes[u.id]]
        params = {"name": r.staff.name, "post": r.post.name, "due": r.due_on.isoformat(),
                  "site": r.site.name, "months": r.months}
        key = f"rotation-due{threshold}:{r.assignment.id}:{r.due_on}"
        for user in users:
            with force_locale(user.locale or "zh"):
                if r.days_left > 0:
                    title = gettext("Rotation due: %(name)s (%(post)s) reaches the tenure limit on "
                                    "%(due)s", **params)
                else:
                    title = gettext("Rotation overdue: %(name)s (%(post)s) reached the tenure limit "
                                    "on %(due)s", **params)
                body = gettext("%(site)s, %(months)s months in post", **params)
            created += len(notify(session, user, "rotation.due", title, body=body, link="/rotation/",
                                  entity=r.assignment, dedupe_key=key))
    return {"notified": created}
