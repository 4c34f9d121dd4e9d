"""Rotation pages: tenure board, policies, check pairs, exemptions, planner and plans.

HR manages; discipline officers and administrators read and decide on plans; an administrator
edits policies. Inspectors and window staff get 403.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import roles_required, scope_ids, sites_in_scope
from compliance.db import db
from compliance.models import AuditEvent, Post, StaffMember
from compliance.timeutil import local_today
from training import public as training_public

from . import planner, services
from .forms import CheckPairForm, DecisionForm, ExemptionForm, PlannerForm, PolicyForm
from .models import PLAN_STATUSES, PostCheckPair, RotationExemption, RotationMove, RotationPlan
from .services import MoveSpec, RotationError

bp = Blueprint("rotation", __name__, url_prefix="/rotation")

READERS = ("hr", "discipline", "admin")
MANAGERS = ("hr", "admin")

STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
    "executed": _l("Executed"),
    "planned": _l("Planned"),
    "blocked": _l("Blocked"),
}


def violation_texts(violations) -> list[str]:
    return [v.text(_) for v in violations]


def error_text(exc: RotationError) -> str:
    return _(exc.message) % exc.params if exc.params else _(exc.message)


def flash_error(exc: RotationError) -> None:
    flash(error_text(exc), "danger")
    for text in violation_texts(exc.violations)[:12]:
        flash(text, "warning")


def move_reason_label(reason: str | None) -> str:
    if reason and reason.startswith("due:"):
        return _("Due for rotation since %(due)s", due=reason[4:])
    if reason and reason.startswith("reversal:"):
        return _("Reverses plan #%(plan)s", plan=reason[9:])
    return _("Candidate")


def plan_in_scope(plan: RotationPlan, user=None) -> bool:
    user = user or current_user
    ids = scope_ids(user)
    if ids is None or plan.author_id == user.id:
        return True
    return any(m.to_site_id in ids for m in plan.moves)


def get_plan_or_404(plan_id: int) -> RotationPlan:
    from compliance.models import Assignment

    plan = db.session.scalar(
        sa.select(RotationPlan)
        .where(RotationPlan.id == plan_id)
        .options(
            selectinload(RotationPlan.moves).options(
                joinedload(RotationMove.staff_member),
                joinedload(RotationMove.predecessor),
                joinedload(RotationMove.to_post),
                joinedload(RotationMove.to_site),
                joinedload(RotationMove.to_window),
                joinedload(RotationMove.from_assignment).options(
                    joinedload(Assignment.post),
                    joinedload(Assignment.site),
                    joinedload(Assignment.window),
                ),
            )
        )
    )
    if plan is None or not plan_in_scope(plan):
        abort(404)
    return plan


def _parse_date(value: str | None, default: date | None = None) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.app_template_filter("rotation_status")
def _status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


SOLVER_LABELS = {
    "assignment": _l("optimal assignment (Hungarian method)"),
    "branch-and-bound": _l("branch and bound over optimal assignments"),
    "milp": _l("0/1 integer program (HiGHS)"),
}

ACTION_LABELS = {
    "rotation_plan.create": _l("Drafted from a proposal"),
    "rotation_plan.edit": _l("Edited (rules re-checked)"),
    "rotation_plan.submit": _l("Submitted"),
    "rotation_plan.approve": _l("Approved"),
    "rotation_plan.return": _l("Returned"),
    "rotation_plan.execute": _l("Executed"),
    "rotation_move.execute": _l("Move executed"),
    "rotation_move.block": _l("Move blocked"),
}


@bp.app_context_processor
def _helpers():
    return {
        "rotation_reason": move_reason_label,
        "solver_label": lambda name: str(SOLVER_LABELS.get(name, name)),
        "action_label": lambda action: str(ACTION_LABELS.get(action, action)),
    }


# --- tenure board --------------------------------------------------------------------------


@bp.route("/")
@roles_required(*READERS)
def board():
    today = local_today()
    on = _parse_date(request.args.get("on"), today)
    if on is None:
        flash(_("The date is not valid."), "danger")
        on = today
    site_ids = scope_ids(current_user)
    site_filter = request.args.get("site", type=int)
    if site_filter:
        site_ids = {site_filter} if site_ids is None or site_filter in site_ids else set()
    rows = services.tenure_board(db.session, on, site_ids)
    status = request.args.get("status") or ""
    counts = {
        "overdue": sum(r.status == "overdue" for r in rows),
        "due_soon": sum(r.status == "due_soon" for r in rows),
        "all": len(rows),
    }
    if status in ("overdue", "due_soon", "ok"):
        rows = [r for r in rows if r.status == status]
    return render_template(
        "rotation/board.html",
        rows=rows,
        on=on,
        status=status,
        counts=counts,
        sites=sites_in_scope(current_user),
        site_filter=site_filter,
    )


# --- policies ------------------------------------------------------------------------------


def _courses():
    return training_public.active_courses(db.session)


@bp.route("/policies")
@roles_required(*READERS)
def policies():
    posts = list(db.session.scalars(sa.select(Post).where(Post.is_key).order_by(Post.code)))
    pols = services.policies(db.session)
    quals = services.qualifications(db.session)
    course_names = training_public.course_titles(db.session)
    return render_template(
        "rotation/policies.html", posts=posts, pols=pols, quals=quals, course_names=course_names
    )


@bp.route("/policies/<int:post_id>", methods=["GET", "POST"])
@roles_required("admin")
def policy_edit(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None or not post.is_key:
        abort(404)
    policy = services.policies(db.session)[post.id]
    quals = services.qualifications(db.session).get(
        post.id, {"required": set(), "recommended": set()}
    )
    form = PolicyForm(
        data={
            "max_tenure_months": policy.max_tenure_months,
            "min_interval_months": policy.min_interval_months,
            "cooling_off_months": policy.cooling_off_months,
            "required_courses": sorted(quals["required"]),
            "recommended_courses": sorted(quals["recommended"]),
        }
        if request.method == "GET"
        else None
    )
    choices = [(c.id, f"{c.code} {c.title}") for c in _courses()]
    form.required_courses.choices = choices
    form.recommended_courses.choices = choices
    if form.validate_on_submit():
        try:
            services.update_policy(
                db.session,
                current_user,
                post,
                max_tenure_months=form.max_tenure_months.data,
                min_interval_months=form.min_interval_months.data or 0,
                cooling_off_months=form.cooling_off_months.data or 0,
                required_course_ids=form.required_courses.data,
                recommended_course_ids=form.recommended_courses.data,
            )
        except RotationError as exc:
            db.session.rollback()
            form.max_tenure_months.errors.append(error_text(exc))
        else:
            db.session.commit()
            flash(_("The policy of %(post)s was saved.", post=post.name), "success")
            return redirect(url_for("rotation.policies"))
    return render_template("rotation/policy_edit.html", form=form, post=post, policy=policy)


# --- check pairs ---------------------------------------------------------------------------


@bp.route("/check-pairs", methods=["GET", "POST"])
@roles_required(*READERS)
def check_pairs():
    form = CheckPairForm()
    posts = list(db.session.scalars(sa.select(Post).order_by(Post.is_key.desc(), Post.code)))
    choices = [(p.id, f"{p.code} {p.name}") for p in posts]
    form.post_a.choices = choices
    form.post_b.choices = choices
    if request.method == "POST":
        if not current_user.has_role(*MANAGERS):
            abort(403)
        if form.validate_on_submit():
            try:
                services.add_check_pair(
                    db.session,
                    current_user,
                    db.session.get(Post, form.post_a.data),
                    db.session.get(Post, form.post_b.data),
                    form.reason.data,
                )
            except RotationError as exc:
                db.session.rollback()
                form.post_b.errors.append(error_text(exc))
            else:
                db.session.commit()
                flash(_("The check pair was recorded."), "success")
                return redirect(url_for("rotation.check_pairs"))
    pairs = list(
        db.session.scalars(
            sa.select(PostCheckPair)
            .options(joinedload(PostCheckPair.post_a), joinedload(PostCheckPair.post_b))
            .order_by(PostCheckPair.id)
        )
    )
    return render_template(
        "rotation/check_pairs.html",
        form=form,
        pairs=pairs,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/check-pairs/<int:pair_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def check_pair_delete(pair_id: int):
    pair = db.session.get(PostCheckPair, pair_id)
    if pair is None:
        abort(404)
    services.remove_check_pair(db.session, current_user, pair)
    db.session.commit()
    flash(_("The check pair was removed."), "success")
    return redirect(url_for("rotation.check_pairs"))


# --- exemptions ----------------------------------------------------------------------------


def _staff_in_scope_query():
    from compliance.access import scope_filter

    return (
        sa.select(StaffMember)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.staff_no)
    )


@bp.route("/exemptions", methods=["GET", "POST"])
@roles_required(*READERS)
def exemptions():
    today = local_today()
    form = ExemptionForm(data={"starts_on": today} if request.method == "GET" else None)
    holders = services.key_assignments(db.session, scope_ids(current_user))
    form.staff.choices = [
        (a.staff_member_id, f"{a.staff_member.staff_no} {a.staff_member.name} · {a.post.name}")
        for a in sorted(holders, key=lambda a: a.staff_member.staff_no)
    ]
    form.approver.choices = [
        (u.id, f"{u.display_name} ({u.username})") for u in services.approver_candidates(db.session)
    ]
    if request.method == "POST":
        if not current_user.has_role(*MANAGERS):
            abort(403)
        if form.validate_on_submit():
            from compliance.models import User

            staff = db.session.get(StaffMember, form.staff.data)
            try:
                services.create_exemption(
                    db.session,
                    current_user,
                    staff,
                    reason=form.reason.data,
                    approver=db.session.get(User, form.approver.data),
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                )
            except RotationError as exc:
                db.session.rollback()
                form.reason.errors.append(error_text(exc))
            else:
                db.session.commit()
                flash(_("The exemption was recorded."), "success")
                return redirect(url_for("rotation.exemptions"))
    from compliance.access import scope_filter

    rows = list(
        db.session.scalars(
            sa.select(RotationExemption)
            .join(StaffMember)
            .where(scope_filter(current_user, StaffMember.site_id))
            .options(
                joinedload(RotationExemption.staff_member),
                joinedload(RotationExemption.approved_by),
            )
            .order_by(RotationExemption.ends_on.desc())
        )
    )
    return render_template(
        "rotation/exemptions.html",
        form=form,
        rows=rows,
        today=today,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/exemptions/<int:exemption_id>/revoke", methods=["POST"])
@roles_required(*MANAGERS)
def exemption_revoke(exemption_id: int):
    from compliance.access import in_scope

    exemption = db.session.get(RotationExemption, exemption_id)
    if exemption is None or not in_scope(current_user, exemption.staff_member.site_id):
        abort(404)
    try:
        services.revoke_exemption(db.session, current_user, exemption)
    except RotationError as exc:
        db.session.rollback()
        flash_error(exc)
    else:
        db.session.commit()
        flash(_("The exemption was revoked."), "success")
    return redirect(url_for("rotation.exemptions"))


# --- planner -------------------------------------------------------------------------------


def parse_candidates(text: str | None) -> tuple[list[int], list[str]]:
    """Staff numbers typed by HR -> staff ids in the user's scope, and unknown numbers."""
    numbers = [n for n in re.split(r"[\s,，;；]+", text or "") if n]
    if not numbers:
        return [], []
    found = {
        s.staff_no: s.id
        for s in db.session.scalars(
            _staff_in_scope_query().where(StaffMember.staff_no.in_(numbers))
        )
    }
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


def suggested_candidates(rows, limit: int = 40) -> list[StaffMember]:
    """Active staff in non-key posts at the sites of due seats (people HR may want to mark)."""
    sites = {r.site.id for r in rows}
    if not sites:
        return []
    from compliance.models import Assignment

    return list(
        db.session.scalars(
            sa.select(StaffMember)
            .join(
                Assignment,
                sa.and_(
                    Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)
                ),
            )
            .join(Post, Post.id == Assignment.post_id)
            .where(
                StaffMember.status == "active", ~Post.is_key, Assignment.site_id.in_(list(sites))
            )
            .order_by(StaffMember.staff_no)
            .limit(limit)
        )
    )


@bp.route("/planner", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def planner_page():
    today = local_today()
    form = PlannerForm(data={"planning_on": today} if request.method == "GET" else None)
    proposal = None
    unknown: list[str] = []
    site_ids = scope_ids(current_user)
    on = form.planning_on.data or today
    board_rows = [
        r for r in services.tenure_board(db.session, on, site_ids) if r.status == "overdue"
    ]
    if request.method == "POST" and form.validate_on_submit():
        candidate_ids, unknown = parse_candidates(form.candidates.data)
        if unknown:
            form.candidates.errors.append(
                _("Unknown staff numbers: %(numbers)s", numbers=", ".join(unknown))
            )
        elif request.form.get("action") == "save" and form.planning_on.data < today:
            form.planning_on.errors.append(_("A plan cannot start in the past."))
        elif request.form.get("action") == "save":
            try:
                plan = services.create_plan_from_proposal(
                    db.session,
                    current_user,
                    form.planning_on.data,
                    candidate_ids,
                    site_ids,
                    form.title.data,
                )
            except RotationError as exc:
                db.session.rollback()
                flash_error(exc)
            else:
                db.session.commit()
                flash(_("Draft plan saved: review it and submit it for approval."), "success")
                return redirect(url_for("rotation.plan_detail", plan_id=plan.id))
        if not form.errors:
            proposal = services.propose(db.session, form.planning_on.data, candidate_ids, site_ids)
    groups = planner.chains(proposal.result.moves) if proposal is not None and proposal.ok else []
    return render_template(
        "rotation/planner.html",
        form=form,
        proposal=proposal,
        groups=groups,
        due_rows=board_rows,
        suggestions=suggested_candidates(board_rows),
        violation_texts=violation_texts,
    )


# --- plans ---------------------------------------------------------------------------------


def _visible_plans_query():
    query = sa.select(RotationPlan)
    ids = scope_ids(current_user)
    if ids is not None:
        in_scope_ids = sa.select(RotationMove.plan_id).where(RotationMove.to_site_id.in_(list(ids)))
        query = query.where(
            sa.or_(RotationPlan.id.in_(in_scope_ids), RotationPlan.author_id == current_user.id)
        )
    return query


@bp.route("/plans")
@roles_required(*READERS)
def plans():
    status = request.args.get("status") or ""
    query = _visible_plans_query().options(joinedload(RotationPlan.author))
    if status in PLAN_STATUSES:
        query = query.where(RotationPlan.status == status)
    page = db.paginate(
        query.order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc()),
        per_page=30,
        error_out=False,
    )
    move_counts = dict(
        db.session.execute(
            sa.select(RotationMove.plan_id, sa.func.count(RotationMove.id))
            .where(RotationMove.plan_id.in_([p.id for p in page.items]))
            .group_by(RotationMove.plan_id)
        ).all()
    )
    return render_template(
        "rotation/plans.html",
        page=page,
        status=status,
        statuses=PLAN_STATUSES,
        move_counts=move_counts,
    )


def _seat_choices(plan: RotationPlan):
    """Seats a move may target: the seats of the plan's people and every key seat in scope."""
    from compliance.models import Assignment

    ids = {m.from_assignment_id for m in plan.moves} | {m.seat_assignment_id for m in plan.moves}
    seats = {a.id: a for a in services.key_assignments(db.session, scope_ids(current_user))}
    extra = [i for i in ids if i not in seats]
    if extra:
        for a in db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.id.in_(extra))
            .options(
                joinedload(Assignment.post),
                joinedload(Assignment.site),
                joinedload(Assignment.window),
                joinedload(Assignment.staff_member),
            )
        ):
            seats[a.id] = a
    return sorted(
        seats.values(),
        key=lambda a: (
            not a.post.is_key,
            a.post.code,
            a.site_id,
            a.window.code if a.window else "",
        ),
    )


@bp.route("/plans/<int:plan_id>")
@roles_required(*READERS)
def plan_detail(plan_id: int):
    plan = get_plan_or_404(plan_id)
    violations = (
        services.plan_violations(db.session, plan)
        if plan.status in ("draft", "returned", "submitted")
        else []
    )
    move_ids = [str(m.id) for m in plan.moves]
    history = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    sa.and_(
                        AuditEvent.entity_type == "RotationPlan",
                        AuditEvent.entity_id == str(plan.id),
                    ),
                    sa.and_(
                        AuditEvent.entity_type == "RotationMove", AuditEvent.entity_id.in_(move_ids)
                    ),
                )
            )
            .order_by(AuditEvent.id)
        )
    )
    can_edit = plan.is_editable and current_user.has_role(*MANAGERS)
    can_decide = (
        plan.status == "submitted"
        and current_user.has_role(*services.APPROVER_ROLES)
        and plan.author_id != current_user.id
    )
    return render_template(
        "rotation/plan.html",
        plan=plan,
        violations=violation_texts(violations),
        history=history,
        can_edit=can_edit,
        can_decide=can_decide,
        seats=_seat_choices(plan) if can_edit else [],
        form=DecisionForm(),
        today=local_today(),
    )


@bp.route("/plans/<int:plan_id>/edit", methods=["POST"])
@roles_required(*MANAGERS)
def plan_edit(plan_id: int):
    plan = get_plan_or_404(plan_id)
    specs: list[MoveSpec] = []
    errors: list[str] = []
    for move in plan.moves:
        if request.form.get(f"remove_{move.id}"):
            continue
        seat_id = request.form.get(f"seat_{move.id}", type=int) or move.seat_assignment_id
        on = _parse_date(request.form.get(f"date_{move.id}"), move.effective_on)
        if on is None:
            errors.append(
                _("The date of the move of %(name)s is not valid.", name=move.staff_member.name)
            )
            continue
        specs.append(MoveSpec(move.staff_member_id, seat_id, on, move.reason))
    add_no = (request.form.get("add_staff_no") or "").strip()
    if add_no:
        ids, unknown = parse_candidates(add_no)
        seat_id = request.form.get("add_seat", type=int)
        on = _parse_date(request.form.get("add_date"), plan.planning_on)
        if unknown or len(ids) != 1:
            errors.append(_("Unknown staff numbers: %(numbers)s", numbers=add_no))
        elif not seat_id or on is None:
            errors.append(_("Choose a seat and a date for the added person."))
        elif any(s.staff_member_id == ids[0] for s in specs):
            errors.append(_("This person is already in the plan."))
        else:
            specs.append(MoveSpec(ids[0], seat_id, on, "candidate"))
    if errors:
        for e in errors:
            flash(e, "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan.id))
    try:
        services.update_plan_moves(db.session, current_user, plan, specs)
    except RotationError as exc:
        db.session.rollback()
        flash_error(exc)
    else:
        db.session.commit()
        flash(_("The plan was changed; every rule was checked again."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/reverse", methods=["POST"])
@roles_required(*MANAGERS)
def plan_reverse(plan_id: int):
    plan = get_plan_or_404(plan_id)
    on = _parse_date(request.form.get("effective_on"), local_today())
    if on is None:
        flash(_("The date is not valid."), "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan_id))
    try:
        reversal = services.create_reversal_plan(db.session, current_user, plan, on)
    except RotationError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for("rotation.plan_detail", plan_id=plan_id))
    db.session.commit()
    flash(_("A reversal plan was drafted: it needs approval like any plan."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=reversal.id))


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@roles_required(*MANAGERS)
def plan_submit(plan_id: int):
    plan = get_plan_or_404(plan_id)
    try:
        services.submit_plan(db.session, current_user, plan)
    except RotationError as exc:
        db.session.rollback()
        flash_error(exc)
    else:
        db.session.commit()
        flash(_("The plan was submitted for approval."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/<any(approve, return):decision>", methods=["POST"])
@roles_required(*services.APPROVER_ROLES)
def plan_decide(plan_id: int, decision: str):
    plan = get_plan_or_404(plan_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form is not valid."), "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan_id))
    try:
        if decision == "approve":
            services.approve_plan(db.session, current_user, plan, form.note.data)
        else:
            services.return_plan(db.session, current_user, plan, form.note.data)
    except RotationError as exc:
        db.session.rollback()
        flash_error(exc)
    else:
        db.session.commit()
        flash(
            _("The plan was approved.") if decision == "approve" else _("The plan was returned."),
            "success",
        )
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


# --- dashboard -----------------------------------------------------------------------------


def hr_panel(user) -> Markup | None:
    rows = services.tenure_board(db.session, local_today(), scope_ids(user))
    overdue = [r for r in rows if r.status == "overdue"]
    soon = [r for r in rows if r.status == "due_soon"]
    if not overdue and not soon:
        return None
    return Markup(render_template("rotation/_panel_hr.html", overdue=overdue, soon=soon))


def approvals_panel(user) -> Markup | None:
    """Submitted plans this user may decide on (never their own)."""
    query = _visible_plans_query().where(
        RotationPlan.status == "submitted",
        sa.or_(RotationPlan.author_id.is_(None), RotationPlan.author_id != user.id),
    )
    plans = list(db.session.scalars(query.order_by(RotationPlan.submitted_at)))
    if not plans:
        return None
    return Markup(render_template("rotation/_panel_approvals.html", plans=plans))


def init_app(app) -> None:
    from compliance.ui import register_dashboard_panel, register_nav

    app.register_blueprint(bp)
    register_nav(app, "rotation.board", _l("Rotation"), roles=READERS, order=60)
    register_dashboard_panel(app, hr_panel, roles=("hr",), order=60)
    register_dashboard_panel(app, approvals_panel, roles=services.APPROVER_ROLES, order=61)
