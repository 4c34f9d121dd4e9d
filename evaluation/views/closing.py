"""Month close: the month's state, its open appeals, closing (discipline, admin) and re-opening
(admin, with a reason)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.periods import month_start
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from .. import services as svc
from ..models import MonthClose
from .common import APPEAL_LABELS, bp, parse_month


def _default_month():
    return month_start(month_start(local_today()) - timedelta(days=1))


@bp.route("/close")
@roles_required("discipline", "admin", "leader")
def close():
    month = parse_month(request.args.get("month"), _default_month())
    current = svc.closed_month(db.session, month.year, month.month)
    history = db.session.scalars(
        sa.select(MonthClose).order_by(MonthClose.month.desc(), MonthClose.id.desc()).limit(24)
    ).all()
    return render_template(
        "evaluation/close.html",
        month=month,
        current=current,
        ready_on=svc.close_day(db.session, month),
        pending=svc.open_appeals(db.session, month),
        history=history,
        labels=APPEAL_LABELS,
        may_close=current_user.has_role(*svc.MONTH_CLOSE_ROLES),
    )


@bp.route("/close", methods=["POST"])
@roles_required(*svc.MONTH_CLOSE_ROLES)
def close_post():
    month = parse_month(request.form.get("month"))
    with domain_errors():
        close = svc.close_month(db.session, current_user, month)
        flash(
            _(
                "%(month)s is closed: %(n)s staff scored.",
                month=month.strftime("%Y-%m"),
                n=close.staff_count,
            ),
            "success",
        )
    return redirect(url_for(".close", month=month.strftime("%Y-%m")))


@bp.route("/reopen", methods=["POST"])
@roles_required("admin")
def reopen_post():
    month = parse_month(request.form.get("month"))
    with domain_errors():
        svc.reopen_month(db.session, current_user, month, request.form.get("reason"))
        flash(_("%(month)s is open again.", month=month.strftime("%Y-%m")), "success")
    return redirect(url_for(".close", month=month.strftime("%Y-%m")))
