"""Ledgers over the core organisation data."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
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

STAFF_STATUS_LABELS = {
    "active": _lp("staff status", "Active"),
    "suspended": _lp("staff status", "Suspended"),
    "left": _lp("staff status", "Left"),
}


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
    yes, no = str(_lp("yes or no", "Yes")), str(_lp("yes or no", "No"))
    for n, row in enumerate(keyset_stream(session, stmt, keys), 1):
        values = list(row[:-2])
        values[4] = yes if values[4] else no
        yield (n, *values)


def _assignment_count(session, user, filters) -> int:
    return count_of(session, _assignments_stmt(session, user, filters))


ASSIGNMENTS = Ledger(
    code="assignments",
    title=_lp("ledger title", "Staff and posts ledger"),
    description=_lp("ledger description", "Who held which post and window in the period."),
    roles=frozenset({"hr", "discipline", "leader", "admin"}),
    columns=[
        Column("no", _lp("staff ledger", "No."), "int", 7),
        Column("staff_no", _lp("staff ledger", "Staff number"), "text", 12),
        Column("name", _lp("staff ledger", "Name"), "text", 12),
        Column("site", _lp("staff ledger", "Site"), "text", 24),
        Column("post", _lp("staff ledger", "Post"), "text", 18),
        Column("key_post", _lp("staff ledger", "Key post"), "text", 9),
        Column("window", _lp("staff ledger", "Window"), "text", 16),
        Column("started_on", _lp("staff ledger", "From"), "date", 12),
        Column("ended_on", _lp("staff ledger", "Until"), "date", 12),
        Column("hired_on", _lp("staff ledger", "Hired on"), "date", 12),
        Column("status", _lp("staff ledger", "Status"), "enum", 10, choices=STAFF_STATUS_LABELS),
        Column("note", _lp("staff ledger", "Note"), "user_text", 30),
    ],
    rows=_assignment_rows,
    count=_assignment_count,
    filters=[
        FilterField("status", _lp("ledger filter", "Staff status"), "choice", STAFF_STATUS_LABELS),
        FilterField("key_posts", _lp("ledger filter", "Key posts only"), "bool"),
        FilterField("staff", _lp("ledger filter", "Staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "Assignments overlapping the period"),
    order=90,
)


def init_app(app) -> None:
    register_ledger(app, ASSIGNMENTS)
