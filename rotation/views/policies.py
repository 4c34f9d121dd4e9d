"""Rules of rotation: key-post policies and qualifications (administrators), posts that check
each other and rotation exemptions (HR and administrators; discipline officers read)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from compliance.access import in_scope, roles_required, scope_filter, scope_ids
from compliance.db import db
from compliance.models import Post, StaffMember, User
from compliance.timeutil import local_today
from training import public as training_public

from .. import services
from ..access import MANAGERS, READERS
from ..forms import CheckPairForm, ExemptionForm, PolicyForm
from ..models import PostCheckPair, RotationExemption
from .common import bp, refusals

# Service argument -> form field, where their names differ.
POLICY_FIELDS = {
    "required_course_ids": "required_courses",
    "recommended_course_ids": "recommended_courses",
}


# --- policies ------------------------------------------------------------------------------


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
    choices = [(c.id, f"{c.code} {c.title}") for c in training_public.active_courses(db.session)]
    form.required_courses.choices = choices
    form.recommended_courses.choices = choices
    if form.validate_on_submit():
        with refusals(form, fields=POLICY_FIELDS):
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
            flash(_("The policy of %(post)s was saved.", post=post.name), "success")
            return redirect(url_for("rotation.policies"))
    return render_template("rotation/policy_edit.html", form=form, post=post, policy=policy)


# --- check pairs ---------------------------------------------------------------------------


def _check_pair_form() -> CheckPairForm:
    form = CheckPairForm()
    posts = list(db.session.scalars(sa.select(Post).order_by(Post.is_key.desc(), Post.code)))
    choices = [(p.id, f"{p.code} {p.name}") for p in posts]
    form.post_a.choices = choices
    form.post_b.choices = choices
    return form


def _check_pairs_page(form: CheckPairForm):
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


@bp.route("/check-pairs")
@roles_required(*READERS)
def check_pairs():
    return _check_pairs_page(_check_pair_form())


@bp.route("/check-pairs", methods=["POST"])
@roles_required(*MANAGERS)
def check_pair_add():
    """The form of the check-pair list posts here (same URL; readers who may not add get 403)."""
    form = _check_pair_form()
    if form.validate_on_submit():
        with refusals(form):
            services.add_check_pair(
                db.session,
                current_user,
                db.session.get(Post, form.post_a.data),
                db.session.get(Post, form.post_b.data),
                form.reason.data,
            )
            flash(_("The check pair was recorded."), "success")
            return redirect(url_for("rotation.check_pairs"))
    return _check_pairs_page(form)


@bp.route("/check-pairs/<int:pair_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def check_pair_delete(pair_id: int):
    pair = db.session.get(PostCheckPair, pair_id)
    if pair is None:
        abort(404)
    services.remove_check_pair(db.session, current_user, pair)
    flash(_("The check pair was removed."), "success")
    return redirect(url_for("rotation.check_pairs"))


# --- exemptions ----------------------------------------------------------------------------


def _exemption_form() -> ExemptionForm:
    form = ExemptionForm(data={"starts_on": local_today()} if request.method == "GET" else None)
    holders = services.key_assignments(db.session, scope_ids(current_user))
    form.staff.choices = [
        (a.staff_member_id, f"{a.staff_member.staff_no} {a.staff_member.name} · {a.post.name}")
        for a in sorted(holders, key=lambda a: a.staff_member.staff_no)
    ]
    form.approver.choices = [
        (u.id, f"{u.display_name} ({u.username})") for u in services.approver_candidates(db.session)
    ]
    return form


def _exemptions_page(form: ExemptionForm):
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
        today=local_today(),
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/exemptions")
@roles_required(*READERS)
def exemptions():
    return _exemptions_page(_exemption_form())


@bp.route("/exemptions", methods=["POST"])
@roles_required(*MANAGERS)
def exemption_add():
    """The form of the exemption list posts here (same URL; readers who may not record get 403)."""
    form = _exemption_form()
    if form.validate_on_submit():
        staff = db.session.get(StaffMember, form.staff.data)
        with refusals(form):
            services.create_exemption(
                db.session,
                current_user,
                staff,
                reason=form.reason.data,
                approver=db.session.get(User, form.approver.data),
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            flash(_("The exemption was recorded."), "success")
            return redirect(url_for("rotation.exemptions"))
    return _exemptions_page(form)


@bp.route("/exemptions/<int:exemption_id>/revoke", methods=["POST"])
@roles_required(*MANAGERS)
def exemption_revoke(exemption_id: int):
    exemption = db.session.get(RotationExemption, exemption_id)
    if exemption is None or not in_scope(current_user, exemption.staff_member.site_id):
        abort(404)
    with refusals():
        services.revoke_exemption(db.session, current_user, exemption)
        flash(_("The exemption was revoked."), "success")
    return redirect(url_for("rotation.exemptions"))
