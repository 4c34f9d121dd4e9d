"""Search-as-you-type for the seat inputs of a plan (the editors' roles): a small JSON answer of
at most `MAX_LIMIT` current key seats in the caller's scope matching what was typed. The plan page
keeps plain seat-number inputs (a number typed by hand works without JavaScript); the script
`staff_search.js` fills their suggestions from here, as it does for staff pickers."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required, scope_ids
from compliance.db import db

from .. import services
from ..access import MANAGERS
from .common import bp

MAX_LIMIT = 20
MAX_QUERY = 40


def _invalid(field: str, message: str):
    return jsonify(status=422, code="invalid", reason=message, errors={field: [message]}), 422


@bp.route("/seats/lookup")
@roles_required(*MANAGERS)
def seat_lookup():
    """`?q=` (up to 40 characters; nothing typed, nothing suggested) and optional `limit` (1–20)
    -> `{"results": [{"id": seat number, "label": ...}]}`."""
    q = (request.args.get("q") or "").strip()
    if len(q) > MAX_QUERY or not q.isprintable():
        return _invalid("q", _("Type 1 to %(n)s characters.", n=MAX_QUERY))
    raw_limit = request.args.get("limit", str(MAX_LIMIT))
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return _invalid("limit", _("A number from 1 to %(n)s.", n=MAX_LIMIT))
    if not q:
        return jsonify(results=[])
    seats = services.seat_lookup(db.session, scope_ids(current_user), q, int(raw_limit))
    return jsonify(results=[{"id": s.id, "label": s.label} for s in seats])
