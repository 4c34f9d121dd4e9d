"""JSON API of rotation: key posts with tenure and due dates, proposals, plans (read, create,
edit, submit, approve, return). The same service functions as the pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from compliance.access import roles_required, scope_ids
from compliance.api import ApiBlueprint, register
from compliance.api.fields import Id, Int, UtcDateTime
from compliance.db import db
from compliance.models import StaffMember
from compliance.timeutil import local_today

from . import planner, services
from .access import DECIDERS, MANAGERS, READERS, plan_in_scope, visible_plans_query
from .models import PLAN_STATUSES, RotationPlan
from .services import MoveSpec

blp = ApiBlueprint(
    "rotation_api",
    __name__,
    url_prefix="/rotation",
    description="Key-post rotation: tenure, proposals and rotation plans.",
)


def _checked_candidates(candidates: list[int]) -> list[int]:
    """Candidate ids must be staff members in the caller's scope (422 otherwise)."""
    if candidates:
        query = sa.select(StaffMember.id).where(StaffMember.id.in_(candidates))
        site_ids = scope_ids(current_user)
        if site_ids is not None:
            query = query.where(StaffMember.site_id.in_(list(site_ids)))
        unknown = set(candidates) - set(db.session.scalars(query))
        if unknown:
            abort(422, message="Unknown candidate ids: " + ", ".join(map(str, sorted(unknown))))
    return candidates


class RotationPostsQuery(Schema):
    on = fields.Date(metadata={"description": "reference date (default: today, local)"})
    status = fields.String(validate=validate.OneOf(("overdue", "due_soon", "ok")))
    site_id = Id(validate=validate.Range(min=1))


class RotationSeatTenureSchema(Schema):
    assignment_id = fields.Function(lambda r: r.assignment.id)
    post_id = fields.Function(lambda r: r.post.id)
    post_code = fields.Function(lambda r: r.post.code)
    post_name = fields.Function(lambda r: r.post.name)
    site_id = fields.Function(lambda r: r.site.id)
    window_id = fields.Function(lambda r: r.window.id if r.window else None)
    window_code = fields.Function(lambda r: r.window.code if r.window else None)
    staff_member_id = fields.Function(lambda r: r.staff.id)
    staff_no = fields.Function(lambda r: r.staff.staff_no)
    staff_name = fields.Function(lambda r: r.staff.name)
    tenure_start = fields.Date()
    tenure_months = Int(attribute="months")
    due_on = fields.Date()
    days_left = Int()
    status = fields.String(metadata={"description": "overdue, due_soon (within 90 days) or ok"})
    exempt_until = fields.Function(
        lambda r: r.exemption.ends_on.isoformat() if r.exemption else None
    )


class RotationProposalArgs(Schema):
    planning_on = fields.Date(required=True)
    candidate_ids = fields.List(Id(validate=validate.Range(min=1)), load_default=list)
    create_plan = fields.Boolean(
        load_default=False, metadata={"description": "save the proposal as a draft plan"}
    )
    title = fields.String(validate=validate.Length(max=120))


class RotationProposedMoveSchema(Schema):
    staff_member_id = fields.Function(lambda m: m.person.id)
    staff_name = fields.Function(lambda m: m.person.name)
    from_assignment_id = fields.Function(lambda m: m.person.seat.id)
    from_seat = fields.Function(lambda m: m.person.seat.label)
    seat_assignment_id = fields.Function(lambda m: m.seat.id)
    to_seat = fields.Function(lambda m: m.seat.label)
    to_post_id = fields.Function(lambda m: m.seat.post_id)
    reason = fields.Function(lambda m: m.person.reason)
    due_on = fields.Function(lambda m: m.person.reason_params.get("due"))
    site_change = fields.Boolean()
    untrained = fields.Boolean()


class RotationViolationSchema(Schema):
    rule = fields.String()
    message = fields.Function(lambda v: v.text())


class RotationProposalSchema(Schema):
    planning_on = fields.Date()
    feasible = fields.Boolean()
    solver = fields.String(allow_none=True)
    moves = fields.List(fields.Nested(RotationProposedMoveSchema))
    violations = fields.List(fields.Nested(RotationViolationSchema))
    warnings = fields.List(fields.Nested(RotationViolationSchema))
    plan_id = Id(allow_none=True)


class RotationMoveSchema(Schema):
    id = Id()
    staff_member_id = Id()
    staff_name = fields.Function(lambda m: m.staff_member.name)
    from_assignment_id = Id()
    seat_assignment_id = Id()
    predecessor_id = Id()
    to_post_id = Id()
    to_site_id = Id()
    to_window_id = Id(allow_none=True)
    effective_on = fields.Date()
    reason = fields.String(allow_none=True)
    status = fields.String()
    executed_at = UtcDateTime(allow_none=True)
    new_assignment_id = Id(allow_none=True)
    handover_pairing_id = Id(allow_none=True)
    note = fields.String(allow_none=True)


class RotationPlanSchema(Schema):
    id = Id()
    title = fields.String()
    planning_on = fields.Date()
    status = fields.String()
    author_id = Id(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    decided_by_id = Id(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    executed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    moves = fields.List(fields.Nested(RotationMoveSchema))


class RotationPlansQuery(Schema):
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))


class RotationMoveIn(Schema):
    staff_member_id = Id(required=True, validate=validate.Range(min=1))
    seat_assignment_id = Id(required=True, validate=validate.Range(min=1))
    effective_on = fields.Date(required=True)


class RotationPlanEditArgs(Schema):
    moves = fields.List(
        fields.Nested(RotationMoveIn), required=True, validate=validate.Length(min=1)
    )


class RotationDecisionArgs(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@blp.route("/posts")
@roles_required(*READERS)
@blp.arguments(RotationPostsQuery, location="query")
@blp.response(200, RotationSeatTenureSchema(many=True))
def list_posts(args):
    """Every key seat in scope: holder, time in post, due date and status."""
    site_ids = scope_ids(current_user)
    if args.get("site_id"):
        if site_ids is not None and args["site_id"] not in site_ids:
            abort(404, message="Site not found")
        site_ids = {args["site_id"]}
    rows = services.tenure_board(db.session, args.get("on") or local_today(), site_ids)
    if args.get("status"):
        rows = [r for r in rows if r.status == args["status"]]
    return rows


@blp.route("/proposals", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(RotationProposalArgs)
@blp.response(200, RotationProposalSchema)
def request_proposal(args):
    """An optimal proposal for the planning date, or the people, seats and rules that block it.

    With `create_plan`, a feasible proposal is saved as a draft plan (201-like: `plan_id` set)."""
    site_ids = scope_ids(current_user)
    candidates = _checked_candidates(args["candidate_ids"])
    proposal = services.propose(db.session, args["planning_on"], candidates, site_ids)
    plan_id = None
    if args["create_plan"] and args["planning_on"] < local_today():
        abort(422, message="A plan cannot start in the past")
    if args["create_plan"] and proposal.ok:
        plan = services.create_plan_from_proposal(
            db.session,
            current_user,
            args["planning_on"],
            candidates,
            site_ids,
            args.get("title"),
        )
        plan_id = plan.id
    result = proposal.result
    return {
        "planning_on": args["planning_on"],
        "feasible": proposal.ok,
        "solver": result.solver if proposal.ok else None,
        "moves": [m for g in planner.chains(result.moves) for m in g] if proposal.ok else [],
        "violations": [] if proposal.ok else result.violations,
        "warnings": proposal.context.warnings,
        "plan_id": plan_id,
    }


@blp.route("/plans")
@roles_required(*READERS)
@blp.arguments(RotationPlansQuery, location="query")
@blp.response(200, RotationPlanSchema(many=True))
@blp.paginate()
def list_plans(args, pagination_parameters):
    """Rotation plans the caller may see, newest first."""
    query = visible_plans_query(current_user)
    if args.get("status"):
        query = query.where(RotationPlan.status == args["status"])
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.subquery())
    )
    return list(
        db.session.scalars(
            query.order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc())
            .offset(pagination_parameters.first_item)
            .limit(pagination_parameters.page_size)
        )
    )


def _load(plan_id: int) -> RotationPlan:
    """A plan the caller may see (404 otherwise: its existence is not revealed)."""
    plan = db.session.get(RotationPlan, plan_id)
    if plan is None or not plan_in_scope(plan, current_user):
        abort(404, message="Plan not found")
    return plan


class RotationPlanCreateArgs(Schema):
    planning_on = fields.Date(required=True)
    candidate_ids = fields.List(Id(validate=validate.Range(min=1)), load_default=list)
    title = fields.String(validate=validate.Length(max=120))


class RotationReversalArgs(Schema):
    effective_on = fields.Date(required=True)


@blp.route("/plans", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(RotationPlanCreateArgs)
@blp.response(201, RotationPlanSchema)
def create_plan(args):
    """Draft a plan from the optimal proposal (409 with the blocking rules when none exists)."""
    candidates = _checked_candidates(args["candidate_ids"])
    if args["planning_on"] < local_today():
        abort(422, message="A plan cannot start in the past")
    plan = services.create_plan_from_proposal(
        db.session,
        current_user,
        args["planning_on"],
        candidates,
        scope_ids(current_user),
        args.get("title"),
    )
    return _load(plan.id)


@blp.route("/plans/<int:plan_id>/reversal", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(RotationReversalArgs)
@blp.response(201, RotationPlanSchema)
def reverse_plan(args, plan_id: int):
    """Draft a new plan that moves everyone an executed plan moved back (needs approval)."""
    plan = _load(plan_id)
    reversal = services.create_reversal_plan(db.session, current_user, plan, args["effective_on"])
    return _load(reversal.id)


@blp.route("/plans/<int:plan_id>")
@roles_required(*READERS)
@blp.response(200, RotationPlanSchema)
def get_plan(plan_id: int):
    """One plan with its moves."""
    return _load(plan_id)


@blp.route("/plans/<int:plan_id>/moves", methods=["PUT"])
@roles_required(*MANAGERS)
@blp.arguments(RotationPlanEditArgs)
@blp.response(200, RotationPlanSchema)
def edit_plan(args, plan_id: int):
    """Replace the moves of a draft or returned plan; every rule is checked again (409 with the
    violations when one breaks)."""
    plan = _load(plan_id)
    existing = {m.staff_member_id: m.reason for m in plan.moves}
    specs = [
        MoveSpec(
            m["staff_member_id"],
            m["seat_assignment_id"],
            m["effective_on"],
            existing.get(m["staff_member_id"], "candidate"),
        )
        for m in args["moves"]
    ]
    services.update_plan_moves(db.session, current_user, plan, specs)
    return plan


@blp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@roles_required(*MANAGERS)
@blp.response(200, RotationPlanSchema)
def submit(plan_id: int):
    """Submit a draft plan for approval (409 if it breaks a rule)."""
    plan = _load(plan_id)
    services.submit_plan(db.session, current_user, plan)
    return plan


@blp.route("/plans/<int:plan_id>/approve", methods=["POST"])
@roles_required(*DECIDERS)
@blp.arguments(RotationDecisionArgs)
@blp.response(200, RotationPlanSchema)
def approve(args, plan_id: int):
    """Approve a submitted plan: a discipline officer or administrator who is not its author."""
    plan = _load(plan_id)
    services.approve_plan(db.session, current_user, plan, note=args["note"])
    return plan


@blp.route("/plans/<int:plan_id>/return", methods=["POST"])
@roles_required(*DECIDERS)
@blp.arguments(RotationDecisionArgs)
@blp.response(200, RotationPlanSchema)
def return_(args, plan_id: int):
    """Return a submitted plan to its author with a note."""
    plan = _load(plan_id)
    services.return_plan(db.session, current_user, plan, note=args["note"])
    return plan


def init_app(app) -> None:
    register(app, blp)
