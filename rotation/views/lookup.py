"""Search-as-you-type for the seat inputs of a plan (the editors' roles): a small JSON answer of
at most `MAX_LIMIT` current key seats in the caller's scope matching what was typed. The plan page
keeps plain seat-number inputs (a number typed by hand works without JavaScript); the script
`staff_search.js` fills their suggestions from here, as it does for staff pickers."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from compliance.access import roles_required, scope_ids
from compliance.db import db
from compliance.lookups import lookup_args

from .. import services
from ..access import MANAGERS
from .common import bp


@bp.route("/seats/lookup")
@roles_required(*MANAGERS)
def seat_lookup():
    """`?q=` (up to 40 characters; nothing typed, nothing suggested) and optional `limit` (1–20)
    -> `{"results": [{"id": seat number, "label": ...}]}`."""
    q, limit, refused = lookup_args(empty_ok=True)
    if refused:
        return refused
    if not q:
        return jsonify(results=[])
    seats = services.seat_lookup(db.session, scope_ids(current_user), q, limit)
    return jsonify(results=[{"id": s.id, "label": s.label} for s in seats])
