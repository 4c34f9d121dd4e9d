"""Proposals: the planner's facts read from the database, and drafting a plan from the optimum."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance.audit import record, snapshot
from compliance.domain import N_, ConflictError
from compliance.models import Assignment, Conflict, Post, StaffMember, User
from compliance.settings import get_setting
from training import public as training_public

from .. import planner
from ..models import (
    RotationMove,
    RotationPlan,
)
from ..planner import Instance, Person, PostInfo, Seat, Violation
from .common import RulesBroken, add_months
from .policies import active_exemptions, check_pairs, completed_courses, policies, qualifications
from .tenure import History, TenureRow, histories, tenure_board

logger = logging.getLogger(__name__)

# --- proposals -----------------------------------------------------------------------------


def _seat_of(a: Assignment) -> Seat:
    where = a.site.name + (f" {a.window.code}" if a.window is not None else "")
    return Seat(
        id=a.id,
        holder_id=a.staff_member_id,
        post_id=a.post_id,
        site_id=a.site_id,
        window_id=a.window_id,
        is_key=a.post.is_key,
        label=f"{a.post.name} · {where}",
    )


@dataclass
class Context:
    instance: Instance
    due: dict[int, TenureRow]  # staff id -> tenure row of those who must move
    assignments: dict[int, Assignment]  # seat id -> assignment
    warnings: list[Violation]


def build_instance(
    session: Session,
    planning_on: date,
    candidate_ids=(),
    site_ids=None,
    movable_ids=None,
    due_ids=(),
) -> Context:
    """The planner's facts at `planning_on`: must-movers (key holders in scope due by then and not
    exempted), the candidates, their seats, and every rule that applies to them.

    With `movable_ids` (plan validation), exactly those people are movable, and only their
    tenure (and that of `due_ids`, whose due status the caller also asks for) is read: checking
    a plan reads nothing about the staff it does not touch.
    """
    known: dict[int, History] = {}
    pols = policies(session)
    board_ids = None
    board_exemptions = None
    if movable_ids is not None:
        board_ids = {*movable_ids, *due_ids}
        board_exemptions = active_exemptions(session, planning_on, board_ids)
    board = tenure_board(
        session,
        planning_on,
        site_ids,
        hist_out=known,
        staff_ids=board_ids,
        pols=pols,
        exemptions=board_exemptions,
    )
    due = {r.staff.id: r for r in board if r.status == "overdue" and r.exemption is None}
    warnings: list[Violation] = []
    if movable_ids is not None:
        ids = list(dict.fromkeys(movable_ids))
    else:
        # People already moved by a submitted or approved plan are not planned twice.
        planned = people_in_open_plans(session, [*due, *candidate_ids])
        for staff_id, plan_id in planned.items():
            name = due[staff_id].staff.name if staff_id in due else f"#{staff_id}"
            warnings.append(
                Violation(
                    planner.RULE_ONE_POST,
                    N_("%(name)s is already in plan #%(plan)s and was left out"),
                    {"name": name, "plan": plan_id},
                )
            )
            due.pop(staff_id, None)
        ids = list(dict.fromkeys([*due, *(c for c in candidate_ids if c not in planned)]))
    # Key-post holders were read with the board; only the others are read here.
    hist = {i: known[i] for i in ids if i in known}
    hist.update(histories(session, [i for i in ids if i not in known]))
    by_seat = {r.assignment.id: r.assignment for r in board}
    staff = {r.staff.id: r.staff for r in board if r.staff.id in hist}
    missing_staff = [i for i in ids if i not in staff]
    if missing_staff:
        staff.update(
            (s.id, s)
            for s in session.scalars(
                sa.select(StaffMember).where(StaffMember.id.in_(missing_staff))
            )
        )
    current_ids = [h.current.id for h in hist.values() if h.current is not None]
    assignments = {i: by_seat[i] for i in current_ids if i in by_seat}
    missing_seats = [i for i in current_ids if i not in assignments]
    if missing_seats:
        assignments.update(
            (a.id, a)
            for a in session.scalars(
                sa.select(Assignment)
                .where(Assignment.id.in_(missing_seats))
                .options(
                    joinedload(Assignment.post),
                    joinedload(Assignment.site),
                    joinedload(Assignment.window),
                )
            )
        )
    quals = qualifications(session)
    posts = {}
    for p in session.scalars(sa.select(Post)):
        q = quals.get(p.id) or {"required": set(), "recommended": set()}
        posts[p.id] = PostInfo(
            p.id, p.name, p.is_key, frozenset(q["required"]), frozenset(q["recommended"])
        )
    if board_exemptions is not None:  # read with the board for these very people
        exemptions = {i: board_exemptions[i] for i in ids if i in board_exemptions}
    else:
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
            warnings.append(
                Violation(
                    planner.RULE_ONE_POST,
                    N_("%(name)s has no current assignment and was left out"),
                    {"name": member.name},
                )
            )
            continue
        a = assignments[h.current.id]
        person = Person(
            id=staff_id,
            name=member.name,
            seat=_seat_of(a),
            must_move=staff_id in due,
            completed=completed.get(staff_id, frozenset()),
        )
        if staff_id in due:
            row = due[staff_id]
            person.reason = "due"
            person.reason_params = {"due": row.due_on.isoformat(), "months": row.months}
        else:
            person.reason = "candidate"
        if member.status != "active":
            person.block = (
                planner.RULE_INACTIVE,
                N_("%(name)s is not an active staff member"),
                {"name": member.name},
            )
        elif staff_id in exemptions and staff_id not in due:
            e = exemptions[staff_id]
            person.block = (
                planner.RULE_EXEMPTION,
                N_("%(name)s has a rotation exemption until %(until)s"),
                {"name": member.name, "until": e.ends_on.isoformat()},
            )
        else:
            interval = (
                pols[a.post_id].min_interval_months if a.post_id in pols else default_interval
            )
            since = h.tenure_start or a.started_on
            until = add_months(since, interval)
            if until > planning_on:
                person.block = (
                    planner.RULE_INTERVAL,
                    N_("%(name)s moved on %(since)s: no new move before %(until)s"),
                    {"name": member.name, "since": since.isoformat(), "until": until.isoformat()},
                )
        for post_id, last in h.last_held.items():
            cooling = pols[post_id].cooling_off_months if post_id in pols else default_cooling
            if post_id in pols:
                person.cooling_until[post_id] = add_months(last + timedelta(days=1), cooling)
        people.append(person)
    movable = {p.id for p in people}
    conflicts: dict[int, set[int]] = defaultdict(set)
    for a_id, b_id in session.execute(
        sa.select(Conflict.staff_a_id, Conflict.staff_b_id).where(
            sa.or_(Conflict.staff_a_id.in_(list(movable)), Conflict.staff_b_id.in_(list(movable)))
        )
    ):
        conflicts[a_id].add(b_id)
        conflicts[b_id].add(a_id)
    others = {o for p in movable for o in conflicts.get(p, ())} - movable
    fixed: dict[int, Seat] = {}
    names = {p.id: p.name for p in people}
    if others:
        for a in session.scalars(
            sa.select(Assignment)
            .where(Assignment.staff_member_id.in_(list(others)), Assignment.ended_on.is_(None))
            .options(
                joinedload(Assignment.post),
                joinedload(Assignment.site),
                joinedload(Assignment.window),
                joinedload(Assignment.staff_member),
            )
        ):
            fixed[a.staff_member_id] = _seat_of(a)
            names[a.staff_member_id] = a.staff_member.name
    course_names = {}
    all_courses = {c for q in quals.values() for group in q.values() for c in group}
    if all_courses:
        course_names = training_public.course_titles(session, all_courses)
    inst = Instance(
        planning_on,
        people,
        posts,
        check_pairs(session),
        dict(conflicts),
        fixed,
        names,
        course_names,
    )
    return Context(inst, due, assignments, warnings)


OPEN_PLAN_STATUSES = ("submitted", "approved")


def people_in_open_plans(
    session: Session, staff_ids=None, exclude_plan_id: int | None = None
) -> dict[int, int]:
    """staff id -> plan id, for people with a planned move in a submitted or approved plan."""
    query = (
        sa.select(RotationMove.staff_member_id, RotationMove.plan_id)
        .join(RotationPlan)
        .where(RotationPlan.status.in_(OPEN_PLAN_STATUSES), RotationMove.status == "planned")
    )
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


def create_plan_from_proposal(
    session: Session,
    actor: User,
    planning_on: date,
    candidate_ids=(),
    site_ids=None,
    title: str | None = None,
) -> RotationPlan:
    """Compute a proposal and save it as a draft plan.

    Raises RulesBroken (with the blocking violations) when no plan satisfies the rules, and
    ConflictError when nobody needs to move.
    """
    proposal = propose(session, planning_on, candidate_ids, site_ids)
    if not proposal.ok:
        raise RulesBroken(
            "rotation.no_feasible_plan",
            N_("No plan satisfies the rules."),
            proposal.result.violations,
        )
    if not proposal.result.moves:
        raise ConflictError(
            "rotation.nobody_due",
            N_("Nobody needs to move on %(day)s."),
            day=planning_on.isoformat(),
        )
    plan = RotationPlan(
        title=(title or "").strip()[:120] or f"轮岗计划 {planning_on.isoformat()}",
        planning_on=planning_on,
        status="draft",
        candidate_ids=sorted(set(int(c) for c in candidate_ids)),
        author_id=actor.id if actor else None,
    )
    session.add(plan)
    session.flush()
    for group in planner.chains(proposal.result.moves):
        for m in group:
            seat_a = proposal.context.assignments[m.seat.id]
            plan.moves.append(
                RotationMove(
                    staff_member_id=m.person.id,
                    from_assignment_id=m.person.seat.id,
                    seat_assignment_id=m.seat.id,
                    predecessor_id=m.seat.holder_id,
                    to_post_id=seat_a.post_id,
                    to_site_id=seat_a.site_id,
                    to_window_id=seat_a.window_id,
                    effective_on=planning_on,
                    reason=_move_reason(m.person),
                    status="planned",
                )
            )
    session.flush()
    record(
        session,
        actor,
        "rotation_plan.create",
        plan,
        after=snapshot(plan)
        | {"moves": [_move_state(m) for m in plan.moves], "cost": proposal.result.cost},
    )
    logger.info("rotation plan %s drafted with %s moves", plan.id, len(plan.moves))
    return plan


def _move_reason(person: Person) -> str:
    if person.reason == "due":
        return f"due:{person.reason_params['due']}"
    return "candidate"


def _move_state(m: RotationMove) -> dict:
    return {
        "staff": m.staff_member_id,
        "seat": m.seat_assignment_id,
        "post": m.to_post_id,
        "site": m.to_site_id,
        "window": m.to_window_id,
        "on": m.effective_on.isoformat(),
    }
