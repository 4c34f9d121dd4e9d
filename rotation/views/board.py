"""The tenure board: every key seat in scope with its holder, time in post and due date (the
dashboard's tenure chart is in `dashboards`)."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required, scope_ids, sites_in_scope
from compliance.db import db
from compliance.integers import id_arg
from compliance.pagination import paginate_list
from compliance.timeutil import local_today

from .. import services
from ..access import READERS
from .common import bp, parse_date


@bp.route("/")
@roles_required(*READERS)
def board():
    today = local_today()
    on = parse_date(request.args.get("on"), today)
    if on is None:
        flash(_("The date is not valid."), "danger")
        on = today
    site_ids = scope_ids(current_user)
    site_filter = id_arg("site")
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
    # The seats are computed together (time in post needs each holder's history); the page
    # renders one page of them.
    page = paginate_list(rows)
    return render_template(
        "rotation/board.html",
        rows=page.items,
        page=page,
        on=on,
        status=status,
        counts=counts,
        sites=sites_in_scope(current_user),
        site_filter=site_filter,
    )
