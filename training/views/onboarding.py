"""Onboarding: the plans of new staff with their progress, creating missing plans, and the
plan templates."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import in_scope, roles_required, scope_filter, scope_ids
from compliance.db import db
from compliance.integers import parse_id, parse_int
from compliance.models import StaffMember
from compliance.pagination import paginate
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from .. import onboarding as onb
from .. import services as svc
from ..forms import TemplateForm
from ..models import (
    Course,
    MentorPairing,
    OnboardingPlan,
    OnboardingTemplate,
    OnboardingTemplateCourse,
)
from .common import MANAGERS, READERS, bp, staff_or_404


@bp.route("/plans")
@roles_required(*READERS)
def plans():
    show = request.args.get("show", "active")
    query = (
        sa.select(OnboardingPlan)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .options(joinedload(OnboardingPlan.staff_member))
        .order_by(OnboardingPlan.starts_on.desc(), OnboardingPlan.id.desc())
    )
    if show in ("active", "late"):
        query = query.where(OnboardingPlan.status == "active", StaffMember.status != "left")
        if show == "late":
            query = query.where(onb.late_clause(local_today()))
    elif show == "completed":
        query = query.where(OnboardingPlan.status == "completed")
    else:
        show = "all"
    # One page of plans; progress is computed for that page only.
    page = paginate(query)
    progress = onb.plan_progress(db.session, page.items)
    without_plan = _new_staff_without_plan()
    return render_template(
        "training/plans.html",
        progress=progress,
        page=page,
        show=show,
        without_plan=without_plan,
        can_manage=current_user.has_role(*MANAGERS),
    )


def _new_staff_without_plan() -> list[StaffMember]:
    ids = svc.new_staff_ids(db.session, scope_ids(current_user))
    if not ids:
        return []
    return db.session.scalars(
        sa.select(StaffMember)
        .where(
            StaffMember.id.in_(ids),
            StaffMember.id.not_in(sa.select(OnboardingPlan.staff_member_id)),
        )
        .order_by(StaffMember.hired_on.desc())
    ).all()


@bp.route("/plans/create", methods=["POST"])
@roles_required(*MANAGERS)
def plans_create():
    """Create the plan of one staff member (staff_member_id) or of every new staff member in
    scope who has none."""
    staff_id = parse_id(request.form.get("staff_member_id"))
    members = [staff_or_404(staff_id)] if staff_id else _new_staff_without_plan()
    with domain_errors():
        for member in members:
            onb.ensure_onboarding_plan(db.session, current_user, member)
        flash(gettext("%(count)s onboarding plans created.", count=len(members)), "success")
    return redirect(url_for("training.plans"))


@bp.route("/plans/<int:plan_id>")
@roles_required(*READERS)
def plan_detail(plan_id: int):
    plan = db.get_or_404(OnboardingPlan, plan_id)
    if not in_scope(current_user, plan.staff_member.site_id):
        abort(404)
    progress = onb.plan_progress(db.session, [plan])[0]
    upcoming, history = svc.staff_sessions(db.session, plan.staff_member_id)
    pairings = db.session.scalars(
        sa.select(MentorPairing)
        .where(MentorPairing.mentee_id == plan.staff_member_id)
        .order_by(MentorPairing.starts_on.desc())
    ).all()
    return render_template(
        "training/plan_detail.html",
        progress=progress,
        upcoming=upcoming,
        history=history,
        pairings=pairings,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/templates")
@roles_required(*READERS)
def templates_list():
    rows = db.session.scalars(
        sa.select(OnboardingTemplate)
        .options(
            selectinload(OnboardingTemplate.items).selectinload(OnboardingTemplateCourse.course)
        )
        .order_by(OnboardingTemplate.is_default.desc(), OnboardingTemplate.name)
    ).all()
    return render_template(
        "training/templates.html", templates=rows, can_edit=current_user.has_role("admin")
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def template_edit(template_id: int | None = None):
    template = db.get_or_404(OnboardingTemplate, template_id) if template_id else None
    form = TemplateForm(obj=template)
    all_courses = db.session.scalars(
        sa.select(Course).where(Course.is_active.is_(True)).order_by(Course.kind, Course.code)
    ).all()
    chosen = {i.course_id: i.due_days for i in template.items} if template else {}
    errors: list[str] = []
    if request.method == "POST":
        chosen = {}
        for course in all_courses:
            if request.form.get(f"course_{course.id}"):
                days = parse_int(request.form.get(f"days_{course.id}"))
                if days is None or days < 0:
                    errors.append(
                        gettext("Give the days after hire for %(course)s.", course=course.title)
                    )
                    days = 0
                chosen[course.id] = days
    if form.validate_on_submit() and not errors:
        with domain_errors(form):
            onb.save_template(
                db.session,
                current_user,
                template,
                name=form.name.data,
                mentor_weeks=form.mentor_weeks.data,
                is_default=form.is_default.data,
                is_active=form.is_active.data,
                courses=chosen,
            )
            flash(gettext("Template saved."), "success")
            return redirect(url_for("training.templates_list"))
    return render_template(
        "training/template_form.html",
        form=form,
        template=template,
        courses=all_courses,
        chosen=chosen,
        errors=errors,
    )
