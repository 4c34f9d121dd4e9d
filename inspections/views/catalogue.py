"""The checklist catalogue: read by inspectors and discipline officers, edited by administrators
(an edit adds a version; past inspections keep the wording they were checked against)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.uow import domain_errors

from ..forms import CheckItemForm
from ..models import CATEGORIES, CheckItem, CheckItemVersion
from ..services import create_check_item, update_check_item
from .common import bp


@bp.route("/catalogue")
@roles_required("admin", "inspector", "discipline", "leader")
def catalogue():
    rows = db.session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .order_by(CheckItem.category, CheckItem.sort_order, CheckItem.code)
    ).all()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    rows = sorted(rows, key=lambda r: (order[r[0].category], r[0].sort_order, r[0].code))
    return render_template("inspections/catalogue.html", rows=rows)


def _fill_form(form: CheckItemForm, item: CheckItem) -> None:
    v = item.current_version
    form.code.data, form.category.data, form.target.data = item.code, item.category, item.target
    form.text_zh.data, form.text_en.data, form.severity.data = v.text_zh, v.text_en, v.severity
    form.points.data, form.photo_required.data = v.points, v.photo_required
    form.sort_order.data, form.is_active.data = item.sort_order, item.is_active
    form.is_integrity.data = item.is_integrity


@bp.route("/catalogue/new", methods=["GET", "POST"])
@bp.route("/catalogue/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def catalogue_edit(item_id: int | None = None):
    item = db.session.get(CheckItem, item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    form = CheckItemForm()
    if item is not None and request.method == "GET":
        _fill_form(form, item)
    if item is not None:
        form.code.render_kw = {"readonly": True}
    if form.validate_on_submit():
        with domain_errors(form):
            if item is None:
                created = create_check_item(
                    db.session,
                    current_user,
                    code=form.code.data,
                    category=form.category.data,
                    target=form.target.data,
                    text_zh=form.text_zh.data,
                    text_en=form.text_en.data,
                    severity=form.severity.data,
                    points=form.points.data,
                    photo_required=form.photo_required.data,
                    sort_order=form.sort_order.data or 0,
                    is_integrity=form.is_integrity.data,
                )
                created.is_active = form.is_active.data
            else:
                update_check_item(
                    db.session,
                    current_user,
                    item,
                    text_zh=form.text_zh.data,
                    text_en=form.text_en.data,
                    severity=form.severity.data,
                    points=form.points.data,
                    photo_required=form.photo_required.data,
                    is_active=form.is_active.data,
                    sort_order=form.sort_order.data or 0,
                    is_integrity=form.is_integrity.data,
                )
            flash(_("Check item saved."), "success")
            return redirect(url_for(".catalogue"))
    versions = []
    if item is not None:
        versions = list(
            db.session.scalars(
                sa.select(CheckItemVersion)
                .where(CheckItemVersion.item_id == item.id)
                .order_by(CheckItemVersion.version.desc())
            )
        )
    return render_template(
        "inspections/catalogue_edit.html", form=form, item=item, versions=versions
    )
