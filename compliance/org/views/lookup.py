"""Search-as-you-type for staff pickers: a small JSON answer of at most `MAX_LIMIT` staff members
in the caller's scope whose code starts with, or whose name contains, what was typed. Pages keep
a plain text input (a staff code typed by hand works without JavaScript); the script
`staff_search.js` fills its suggestions from here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...access import roles_required, scope_filter
from ...db import db
from ...lookups import invalid, lookup_args
from ...models import StaffMember
from .common import READ, _like, _site_filter_ids, bp


@bp.route("/staff/lookup")
@roles_required(*READ)
def staff_lookup():
    """`?q=` (1–40 characters), optional `limit` (1–20) and `site` (with its sub-sites)."""
    q, limit, refused = lookup_args()
    if refused:
        return refused
    raw_site = request.args.get("site", "")
    if raw_site and not raw_site.isdigit():
        return invalid("site", _("Not a site."))
    stmt = (
        sa.select(StaffMember)
        .options(joinedload(StaffMember.site))
        .where(
            scope_filter(current_user, StaffMember.site_id),
            sa.or_(
                StaffMember.staff_no.ilike(_like(q)[1:], escape="\\"),
                StaffMember.name.ilike(_like(q), escape="\\"),
            ),
        )
        # Exact code first, then active people, then by code.
        .order_by(
            (StaffMember.staff_no != q).asc(),
            (StaffMember.status != "active").asc(),
            StaffMember.staff_no,
        )
        .limit(limit)
    )
    site_ids = _site_filter_ids(int(raw_site)) if raw_site else None
    if site_ids is not None:
        stmt = stmt.where(StaffMember.site_id.in_(site_ids or [-1]))
    return jsonify(
        results=[
            {
                "id": s.id,
                "staff_no": s.staff_no,
                "name": s.name,
                "site": s.site.name,
                "active": s.status == "active",
            }
            for s in db.session.scalars(stmt)
        ]
    )
