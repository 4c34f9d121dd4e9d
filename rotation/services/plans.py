"""Plans: every rule re-checked on edit, submission, approval or return, reversal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, ForbiddenError
from compliance.models import Assignment, User

from .. import planner
from ..models import (
    RotationMove,
    RotationPlan,
)
from ..planner import Seat, Violation
from .common import APPROVER_ROLES, RulesBroken
from .proposals import _move_state, _seat_of, build_instance, people_in_open_plans

logger = logging.getLogger(__name__)

# --- plans ---------------------------------------------------------------------------------


@dataclass
class MoveSpec:
    staff_member_id: int
    seat_assignment_id: int
    effective_on: date
    reason: str | None = None


def validate_moves(
    session: Session,
    planning_on: date,
    specs: list[MoveSpec],
    required_ids: set[int] = frozenset(),
    plan_id: int | None = None,
) -> list[Violation]:
    """Check a whole set of moves against every hard rule. Returns the violations (empty: valid).

    `required_ids` are people who are due and were in the plan: they must stay in it.
    """
    out: list[Violation] = []
    movers = [s.staff_member_id for s in specs]
    if len(set(movers)) != len(movers):
        out.append(Violation(planner.RULE_ONE_POST, N_("A person appears in two moves"), {}))
        return out
    ctx = build_instance(session, planning_on, movable_ids=movers, due_ids=required_ids)
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
    for staff_id, other_plan in people_in_open_plans(
        session, movers, exclude_plan_id=plan_id
    ).items():
        out.append(
            Violation(
                planner.RULE_ONE_POST,
                N_("%(name)s already has a move in plan #%(plan)s"),
                {"name": inst.name(staff_id), "plan": other_plan},
            )
        )
    seats_taken: dict[int, int] = {}
    seat_objs: dict[int, Seat] = {}
    seat_ids = [s.seat_assignment_id for s in specs]
    seat_rows = {
        a.id: a
        for a in session.scalars(
            sa.select(Assignment)
            .where(Assignment.id.in_(seat_ids))
            .options(
                joinedload(Assignment.post),
                joinedload(Assignment.site),
                joinedload(Assignment.window),
                joinedload(Assignment.staff_member),
            )
        )
    }
    outgoing = {s.staff_member_id: s for s in specs}
    for spec in specs:
        person = people.get(spec.staff_member_id)
        if person is None:
            continue
        if spec.effective_on < planning_on:
            out.append(
                Violation(
                    planner.RULE_DATE,
                    N_("The move of %(name)s is dated before the planning date"),
                    {"name": person.name},
                )
            )
        a = seat_rows.get(spec.seat_assignment_id)
        if a is None or a.ended_on is not None:
            out.append(
                Violation(
                    planner.RULE_STAFFED,
                    N_("The seat chosen for %(name)s is no longer held by anyone"),
                    {"name": person.name},
                )
            )
            continue
        seat = _seat_of(a)
        seat_objs[spec.staff_member_id] = seat
        if seat.id in seats_taken:
            out.append(
                Violation(
                    planner.RULE_ONE_POST,
                    N_("Two people would take the seat %(seat)s"),
                    {"seat": seat.label},
                )
            )
        seats_taken[seat.id] = spec.staff_member_id
        if seat.holder_id == person.id:
            out.append(
                Violation(
                    planner.RULE_SAME_POST,
                    N_("%(name)s would move to their own seat"),
                    {"name": person.name},
                )
            )
            continue
        holder_move = outgoing.get(seat.holder_id)
        if holder_move is None:
            out.append(
                Violation(
                    planner.RULE_ONE_POST,
                    N_("%(seat)s is still held by %(holder)s, who does not move"),
                    {"seat": seat.label, "holder": a.staff_member.name},
                )
            )
        elif holder_move.effective_on != spec.effective_on:
            out.append(
                Violation(
                    planner.RULE_STAFFED,
                    N_("%(name)s takes %(seat)s on a different day than %(holder)s leaves it"),
                    {"name": person.name, "seat": seat.label, "holder": a.staff_member.name},
                )
            )
        out.extend(planner.arc_violations(inst, person, seat))
    # Every vacated key seat is filled.
    for person in inst.people:
        if person.seat.is_key and person.seat.id not in seats_taken:
            out.append(
                Violation(
                    planner.RULE_STAFFED,
                    N_("%(seat)s would be left empty when %(name)s leaves"),
                    {"seat": person.seat.label, "name": person.name},
                )
            )
    # Recorded conflicts between two people of the plan.
    final = {p.id: seat_objs.get(p.id, p.seat) for p in inst.people}
    for p in inst.people:
        for other in inst.conflicts.get(p.id, ()):
            if other in final and p.id < other:
                if seat_objs.get(p.id) is None and seat_objs.get(other) is None:
                    continue
                if planner.seats_clash(inst, final[p.id], final[other]):
                    out.append(
                        Violation(
                            planner.RULE_CONFLICT,
                            N_(
                                "%(name)s and %(other)s have a recorded conflict and would "
                                "hold %(where)s"
                            ),
                            {
                                "name": p.name,
                                "other": people[other].name,
                                "where": final[other].label,
                            },
                        )
                    )
    for staff_id in required_ids:
        if staff_id not in outgoing and staff_id in ctx.due:
            row = ctx.due[staff_id]
            out.append(
                Violation(
                    planner.RULE_MUST_MOVE,
                    N_("%(name)s is due for rotation (since %(due)s) and must stay in the plan"),
                    {"name": row.staff.name, "due": row.due_on.isoformat()},
                )
            )
    return out


def plan_specs(plan: RotationPlan) -> list[MoveSpec]:
    return [
        MoveSpec(m.staff_member_id, m.seat_assignment_id, m.effective_on, m.reason)
        for m in plan.moves
    ]


def plan_violations(session: Session, plan: RotationPlan) -> list[Violation]:
    """The rules the plan's moves break today (stale seats included)."""
    if not plan.moves:
        return []
    return validate_moves(session, plan.planning_on, plan_specs(plan), plan_id=plan.id)


def create_reversal_plan(
    session: Session, actor: User, plan: RotationPlan, effective_on: date
) -> RotationPlan:
    """Draft a new plan that puts everyone an executed plan moved back where they were.

    The draft is checked like any plan when it is submitted (the interval between moves and the
    cooling-off do not apply to going back). Raises a DomainError if the plan is not executed,
    has no executed move, or someone has moved again since.
    """
    if plan.status != "executed":
        raise ConflictError(
            "rotation.plan_not_executed", N_("Only an executed plan can be reversed.")
        )
    executed = [m for m in plan.moves if m.status == "executed"]
    if not executed:
        raise ConflictError(
            "rotation.no_executed_move", N_("This plan has no executed move to reverse.")
        )
    taker_of_seat = {m.seat_assignment_id: m for m in executed}
    reversal = RotationPlan(
        title=f"撤销 #{plan.id} {plan.title}"[:120],
        planning_on=effective_on,
        status="draft",
        author_id=actor.id if actor else None,
    )
    session.add(reversal)
    session.flush()
    for m in executed:
        new = session.get(Assignment, m.new_assignment_id)
        if new is None or new.ended_on is not None:
            raise ConflictError(
                "rotation.moved_again",
                N_("%(name)s has moved again since the plan was executed."),
                name=m.staff_member.name,
            )
        taker = taker_of_seat.get(m.from_assignment_id)
        if taker is None:  # the seat they left was not taken inside the plan
            raise ConflictError(
                "rotation.seat_left_outside_plan",
                N_("The seat %(name)s left is no longer part of the plan."),
                name=m.staff_member.name,
            )
        back = m.from_assignment
        reversal.moves.append(
            RotationMove(
                staff_member_id=m.staff_member_id,
                from_assignment_id=new.id,
                seat_assignment_id=taker.new_assignment_id,
                predecessor_id=taker.staff_member_id,
                to_post_id=back.post_id,
                to_site_id=back.site_id,
                to_window_id=back.window_id,
                effective_on=effective_on,
                reason=f"reversal:{plan.id}",
                status="planned",
            )
        )
    session.flush()
    record(
        session,
        actor,
        "rotation_plan.create",
        reversal,
        after=snapshot(reversal)
        | {"reverses": plan.id, "moves": [_move_state(m) for m in reversal.moves]},
    )
    return reversal


def update_plan_moves(
    session: Session, actor: User, plan: RotationPlan, specs: list[MoveSpec]
) -> RotationPlan:
    """Replace the moves of a draft (or returned) plan after re-checking every rule.

    Raises a DomainError when the plan is not editable, has no move left, or the edit breaks a
    rule (the violations are attached).
    """
    if not plan.is_editable:
        raise ConflictError(
            "rotation.plan_not_editable", N_("Only a draft or returned plan can be edited.")
        )
    if not specs:
        raise ConflictError("rotation.plan_empty", N_("A plan needs at least one move."))
    due_in_plan = {m.staff_member_id for m in plan.moves if (m.reason or "").startswith("due:")}
    violations = validate_moves(
        session, plan.planning_on, specs, required_ids=due_in_plan, plan_id=plan.id
    )
    if violations:
        raise RulesBroken("rotation.rules_broken", N_("The change breaks the rules."), violations)
    before = {"moves": [_move_state(m) for m in plan.moves]}
    existing = {m.staff_member_id: m for m in plan.moves}
    seats = {
        a.id: a
        for a in session.scalars(
            sa.select(Assignment).where(Assignment.id.in_([s.seat_assignment_id for s in specs]))
        )
    }
    currents = {
        a.staff_member_id: a
        for a in session.scalars(
            sa.select(Assignment).where(
                Assignment.staff_member_id.in_([s.staff_member_id for s in specs]),
                Assignment.ended_on.is_(None),
            )
        )
    }
    keep = set()
    for spec in specs:
        seat = seats[spec.seat_assignment_id]
        move = existing.get(spec.staff_member_id)
        if move is None:
            move = RotationMove(
                staff_member_id=spec.staff_member_id,
                status="planned",
                reason=spec.reason or "candidate",
            )
            plan.moves.append(move)
        move.from_assignment_id = currents[spec.staff_member_id].id
        move.seat_assignment_id = seat.id
        move.predecessor_id = seat.staff_member_id
        move.to_post_id, move.to_site_id, move.to_window_id = (
            seat.post_id,
            seat.site_id,
            seat.window_id,
        )
        move.effective_on = spec.effective_on
        keep.add(spec.staff_member_id)
    for staff_id, move in existing.items():
        if staff_id not in keep:
            plan.moves.remove(move)
    if plan.status == "returned":
        plan.status = "draft"
    session.flush()
    record(
        session,
        actor,
        "rotation_plan.edit",
        plan,
        before=before,
        after={"moves": [_move_state(m) for m in plan.moves]},
    )
    return plan


def submit_plan(session: Session, actor: User, plan: RotationPlan) -> None:
    """Send a draft plan for approval. Raises a DomainError if it is not a draft, is empty or
    breaks a rule."""
    if not plan.is_editable:
        raise ConflictError(
            "rotation.plan_not_submittable", N_("Only a draft or returned plan can be submitted.")
        )
    if not plan.moves:
        raise ConflictError("rotation.plan_empty", N_("A plan needs at least one move."))
    violations = plan_violations(session, plan)
    if violations:
        raise RulesBroken("rotation.rules_broken", N_("The plan breaks the rules."), violations)

    before = snapshot(plan)
    plan.status = "submitted"
    plan.submitted_at = utcnow()
    session.flush()
    record(session, actor, "rotation_plan.submit", plan, before=before)


def _check_decider(actor: User, plan: RotationPlan) -> None:
    if plan.status != "submitted":
        raise ConflictError(
            "rotation.plan_not_submitted",
            N_("Only a submitted plan can be approved or returned."),
        )
    if not actor.has_role(*APPROVER_ROLES):
        raise ForbiddenError(
            "rotation.not_approver",
            N_("Only a discipline officer or an administrator can decide on a plan."),
        )
    if plan.author_id == actor.id:
        raise ConflictError(
            "rotation.own_plan", N_("The author of a plan cannot approve or return it.")
        )


def approve_plan(
    session: Session, actor: User, plan: RotationPlan, note: str | None = None
) -> None:
    """Approve a submitted plan. Raises a DomainError if the actor is its author, lacks the role,
    the plan is not submitted, or its moves no longer satisfy the rules."""
    _check_decider(actor, plan)
    violations = plan_violations(session, plan)
    if violations:
        raise RulesBroken("rotation.rules_broken", N_("The plan breaks the rules."), violations)

    before = snapshot(plan)
    plan.status = "approved"
    plan.decided_by_id = actor.id
    plan.decided_at = utcnow()
    plan.decision_note = (note or "").strip() or None
    session.flush()
    record(session, actor, "rotation_plan.approve", plan, before=before)
    logger.info("rotation plan %s approved by %s", plan.id, actor.id)


def return_plan(session: Session, actor: User, plan: RotationPlan, note: str) -> None:
    """Return a submitted plan to its author with a reason. Raises a DomainError without a note
    or under the same conditions as approval."""
    _check_decider(actor, plan)
    note = (note or "").strip()
    if not note:
        raise ConflictError(
            "rotation.return_note", N_("Say why the plan is returned."), field="note"
        )

    before = snapshot(plan)
    plan.status = "returned"
    plan.decided_by_id = actor.id
    plan.decided_at = utcnow()
    plan.decision_note = note
    session.flush()
    record(session, actor, "rotation_plan.return", plan, before=before, reason=note)
