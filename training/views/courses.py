"""The course catalogue: list and edit courses."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.uow import domain_errors

from .. import services as svc
from ..forms import CourseForm
from ..models import COURSE_KINDS, Course
from .common import MANAGERS, READERS, bp


@bp.route("/courses")
@roles_required(*READERS)
def courses():
    kind = request.args.get("kind")
    query = sa.select(Course).order_by(Course.kind, Course.code)
    if kind in COURSE_KINDS:
        query = query.where(Course.kind == kind)
    rows = db.session.scalars(query).all()
    return render_template("training/courses.html", courses=rows, kind=kind, kinds=COURSE_KINDS)


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def course_edit(course_id: int | None = None):
    course = db.get_or_404(Course, course_id) if course_id else None
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        with domain_errors(form):
            svc.save_course(
                db.session,
                current_user,
                course,
                code=form.code.data,
                title=form.title.data.strip(),
                kind=form.kind.data,
                description=(form.description.data or "").strip() or None,
                duration_minutes=form.duration_minutes.data,
                is_active=form.is_active.data,
            )
            flash(gettext("Course saved."), "success")
            return redirect(url_for("training.courses"))
    return render_template("training/course_form.html", form=form, course=course)
