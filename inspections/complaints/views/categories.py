"""The complaint categories (administrators edit; the readers of complaints see them)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import roles_required
from compliance.db import db
from compliance.uow import domain_errors

from .. import services as svc
from ..forms import CategoryForm, select_choices
from ..models import ComplaintCategory
from .common import bp, item_choices

FIELDS = {"check_item_id": "check_item"}


@bp.route("/complaints/categories")
@roles_required(*svc.READ_ROLES)
def categories():
    rows = db.session.scalars(
        sa.select(ComplaintCategory)
        .options(selectinload(ComplaintCategory.check_item))
        .order_by(ComplaintCategory.sort_order, ComplaintCategory.code)
    ).all()
    return render_template("inspections/complaints/categories.html", rows=rows)


@bp.route("/complaints/categories/new", methods=["GET", "POST"])
@bp.route("/complaints/categories/<int:category_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def category_edit(category_id: int | None = None):
    row = db.session.get(ComplaintCategory, category_id) if category_id else None
    if category_id and row is None:
        abort(404)
    form = CategoryForm()
    form.check_item.choices = select_choices(item_choices(), blank="—")
    if row is not None and request.method == "GET":
        form.code.data, form.name_zh.data, form.name_en.data = row.code, row.name_zh, row.name_en
        form.check_item.data = row.check_item_id or 0
        form.is_integrity.data, form.is_active.data = row.is_integrity, row.is_active
        form.sort_order.data = row.sort_order
    if row is not None:
        form.code.render_kw = {"readonly": True}
    if form.validate_on_submit():
        with domain_errors(form, fields=FIELDS):
            if row is None:
                created = svc.create_category(
                    db.session,
                    current_user,
                    code=form.code.data,
                    name_zh=form.name_zh.data,
                    name_en=form.name_en.data,
                    check_item_id=form.check_item.data or None,
                    is_integrity=form.is_integrity.data,
                    sort_order=form.sort_order.data or 0,
                )
                if not form.is_active.data:
                    svc.update_category(
                        db.session,
                        current_user,
                        created,
                        name_zh=created.name_zh,
                        name_en=created.name_en,
                        check_item_id=created.check_item_id,
                        is_integrity=created.is_integrity,
                        is_active=False,
                        sort_order=created.sort_order,
                    )
            else:
                svc.update_category(
                    db.session,
                    current_user,
                    row,
                    name_zh=form.name_zh.data,
                    name_en=form.name_en.data,
                    check_item_id=form.check_item.data or None,
                    is_integrity=form.is_integrity.data,
                    is_active=form.is_active.data,
                    sort_order=form.sort_order.data or 0,
                )
            flash(_("Category saved."), "success")
            return redirect(url_for(".categories"))
    status = 400 if form.errors else 200
    return render_template("inspections/complaints/category_edit.html", form=form, row=row), status
