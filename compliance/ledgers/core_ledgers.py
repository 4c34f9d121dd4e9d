"""Ledgers over the core organisation data."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from ..models import Assignment, Post, Site, StaffMember, Window
from .registry import (
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    scope_clause,
    site_clause,
)
from .writer import Column

STAFF_STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "left": _l("Left")}


def _assignments_stmt(session, user, filters) -> sa.Select:
    window = aliased(Window)
    stmt = (
        sa.select(
            StaffMember.staff_no,
            StaffMember.name,
            Site.name,
            Post.name,
            Post.is_key,
            window.code + " " + window.name,
            Assignment.started_on,
            Assignment.ended_on,
            StaffMember.hired_on,
            StaffMember.status,
            Assignment.note,
            Assignment.started_on.label("k1"),
            Assignment.id.label("k2"),
        )
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .join(Site, Site.id == Assignment.site_id)
        .join(Post, Post.id == Assignment.post_id)
        .outerjoin(window, window.id == Assignment.window_id)
        .where(scope_clause(user, Assignment.site_id, session))
        .where(site_clause(filters, Assignment.site_id))
        .where(Assignment.started_on <= filters["date_to"])
        .where(sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= filters["date_from"]))
    )
    if filters.get("status"):
        stmt = stmt.where(StaffMember.status.in_(filters["status"]))
    if filters.get("key_posts"):
        stmt = stmt.where(Post.is_key.is_(True))
    if filters.get("staff"):
        stmt = stmt.where(Assignment.staff_member_id.in_(filters["staff"]))
    return stmt


def _assignment_rows(session, user, filters):
    stmt = _assignments_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)
    yes, no = str(_l("Yes")), str(_l("No"))
    for n, row in enumerate(keyset_stream(session, stmt, keys), 1):
        values = list(row[:-2])
        values[4] = yes if values[4] else no
        yield (n, *values)


def _assignment_count(session, user, filters) -> int:
    return count_of(session, _assignments_stmt(session, user, filters))


ASSIGNMENTS = Ledger(
    code="assignments",
    title=_l("Staff and posts ledger"),
    description=_l("Who held which post and window in the period."),
    roles=frozenset({"hr", "discipline", "leader", "admin"}),
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("staff_no", _l("Staff number"), "text", 12),
        Column("name", _l("Name"), "text", 12),
        Column("site", _l("Site"), "text", 24),
        Column("post", _l("Post"), "text", 18),
        Column("key_post", _l("Key post"), "text", 9),
        Column("window", _l("Window"), "text", 16),
        Column("started_on", _l("From"), "date", 12),
        Column("ended_on", _l("Until"), "date", 12),
        Column("hired_on", _l("Hired on"), "date", 12),
        Column("status", _l("Status"), "enum", 10, choices=STAFF_STATUS_LABELS),
        Column("note", _l("Note"), "user_text", 30),
    ],
    rows=_assignment_rows,
    count=_assignment_count,
    filters=[
        FilterField("status", _l("Staff status"), "choice", STAFF_STATUS_LABELS),
        FilterField("key_posts", _l("Key posts only"), "bool"),
        FilterField("staff", _l("Staff numbers"), "staff"),
    ],
    date_label=_l("Assignments overlapping the period"),
    order=90,
)


def init_app(app) -> None:
    register_ledger(app, ASSIGNMENTS)
