"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI:
key-post holders with tenure, due dates and exemptions (轮岗台账), the rotation moves, and the
rotation figure of the period summary."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext
from sqlalchemy.orm import aliased

from compliance.access import scope_ids
from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    register_summary_metric,
    scope_clause,
    site_clause,
)
from compliance.models import Assignment, Post, Site, StaffMember, User, Window
from compliance.periods import export_period
from compliance.timeutil import local_today

from . import ledger_audit
from .models import RotationMove, RotationPlan
from .services import tenure_board
from .services.stats import rotations

ROLES = frozenset({"hr", "discipline", "leader", "admin"})
TENURE_STATUS_LABELS = {
    "overdue": _lp("tenure status", "Rotation overdue"),
    "due_soon": _lp("tenure status", "Due soon"),
    "ok": _lp("tenure status", "Within the limit"),
}
MOVE_STATUS_LABELS = {
    "planned": _lp("rotation move status", "Planned"),
    "executed": _lp("rotation move status", "Executed"),
    "blocked": _lp("rotation move status", "Blocked"),
}
PLAN_STATUS_LABELS = {
    "draft": _lp("rotation plan status", "Draft"),
    "submitted": _lp("rotation plan status", "Submitted"),
    "returned": _lp("rotation plan status", "Returned"),
    "approved": _lp("rotation plan status", "Approved"),
    "executed": _lp("rotation plan status", "Executed"),
}


def move_reason_text(reason: str | None) -> str | None:
    """A move's reason in words: the planner's codes ("due:2025-09-24", "candidate",
    "reversal:12") become sentences; a reason typed by a person is kept as typed."""
    if not reason:
        return None
    code, sep, value = reason.partition(":")
    if code == "due" and sep:
        return pgettext("rotation move reason", "Tenure limit reached: rotation due on %(due)s") % {
            "due": value
        }
    if code == "reversal" and sep:
        return pgettext("rotation move reason", "Reverses rotation plan no. %(plan)s") % {
            "plan": value
        }
    if reason == "candidate":
        return pgettext(
            "rotation move reason", "Candidate chosen to fill a post (not yet due for rotation)"
        )
    return reason


# --- key-post holders (轮岗台账) ------------------------------------------------------------


def _holder_seats(session, user, filters):
    """The tenure board as of the end of the period (today at the latest), in scope."""
    on = min(filters["date_to"], local_today())
    visible = scope_ids(user, session) if user is not None else None
    wanted = filters.get("site_ids")
    if visible is None:
        site_ids = wanted
    else:
        site_ids = visible if wanted is None else (visible & wanted)
    rows = tenure_board(session, on, site_ids)
    if filters.get("tenure_status"):
        rows = [r for r in rows if r.status in filters["tenure_status"]]
    if filters.get("due_in_period"):
        rows = [r for r in rows if filters["date_from"] <= r.due_on <= filters["date_to"]]
    if filters.get("staff"):
        rows = [r for r in rows if r.staff.id in filters["staff"]]
    return on, rows


def _holder_rows(session, user, filters):
    _on, seats = _holder_seats(session, user, filters)
    for n, r in enumerate(seats, 1):
        exemption = r.exemption
        yield (
            n,
            r.site.name,
            r.post.name,
            r.window.label if r.window else None,
            r.staff.staff_no,
            r.staff.name,
            r.tenure_start,
            r.months,
            r.due_on,
            r.days_left,
            r.status,
            exemption.reason if exemption else None,
            exemption.ends_on if exemption else None,
        )


HOLDERS = Ledger(
    code="rotation",
    title=_lp("ledger title", "Rotation ledger"),
    description=_lp(
        "ledger description",
        "Key-post holders as of the end date: start, tenure, due date and exemptions.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("rotation ledger", "No."), "int", 7),
        Column("site", _lp("rotation ledger", "Site"), "text", 22),
        Column("post", _lp("rotation ledger", "Key post"), "text", 18),
        Column("window", _lp("rotation ledger", "Window"), "text", 16),
        Column("staff_no", _lp("rotation ledger", "Staff number"), "text", 12),
        Column("name", _lp("rotation ledger", "Holder"), "text", 12),
        Column("tenure_start", _lp("rotation ledger", "In post since"), "date", 12),
        Column("months", _lp("rotation ledger", "Months in post"), "int", 10),
        Column("due_on", _lp("rotation ledger", "Rotation due"), "date", 12),
        Column("days_left", _lp("rotation ledger", "Days left"), "int", 9),
        Column(
            "status", _lp("rotation ledger", "Status"), "enum", 12, choices=TENURE_STATUS_LABELS
        ),
        Column("exemption", _lp("rotation ledger", "Exemption"), "user_text", 30),
        Column("exempt_until", _lp("rotation ledger", "Exempt until"), "date", 12),
    ],
    rows=_holder_rows,
    count=lambda session, user, filters: len(_holder_seats(session, user, filters)[1]),
    filters=[
        FilterField(
            "tenure_status", _lp("ledger filter", "Status"), "choice", TENURE_STATUS_LABELS
        ),
        FilterField(
            "due_in_period", _lp("ledger filter", "Only rotations due in the period"), "bool"
        ),
        FilterField("staff", _lp("ledger filter", "Staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "holders on the end date; due dates with the option below"),
    order=40,
)


# --- moves --------------------------------------------------------------------------------


def _moves_stmt(session, user, filters) -> sa.Select:
    staff, predecessor = aliased(StaffMember), aliased(StaffMember)
    from_assignment = aliased(Assignment)
    from_post, to_post = aliased(Post), aliased(Post)
    from_site, to_site = aliased(Site), aliased(Site)
    to_window = aliased(Window)
    decider = aliased(User)
    stmt = (
        sa.select(
            RotationMove.effective_on,
            RotationPlan.title,
            RotationPlan.status,
            decider.display_name,
            staff.staff_no,
            staff.name,
            from_site.name,
            from_post.name,
            to_site.name,
            to_post.name,
            to_window.code + " " + to_window.name,
            predecessor.name,
            RotationMove.status,
            RotationMove.executed_at,
            RotationMove.reason,
            RotationMove.note,
            RotationMove.effective_on.label("k1"),
            RotationMove.id.label("k2"),
        )
        .select_from(RotationMove)
        .join(RotationPlan, RotationPlan.id == RotationMove.plan_id)
        .join(staff, staff.id == RotationMove.staff_member_id)
        .join(predecessor, predecessor.id == RotationMove.predecessor_id)
        .join(from_assignment, from_assignment.id == RotationMove.from_assignment_id)
        .join(from_post, from_post.id == from_assignment.post_id)
        .join(from_site, from_site.id == from_assignment.site_id)
        .join(to_post, to_post.id == RotationMove.to_post_id)
        .join(to_site, to_site.id == RotationMove.to_site_id)
        .outerjoin(to_window, to_window.id == RotationMove.to_window_id)
        .outerjoin(decider, decider.id == RotationPlan.decided_by_id)
        .where(
            RotationMove.effective_on >= filters["date_from"],
            RotationMove.effective_on <= filters["date_to"],
        )
        .where(
            sa.or_(
                scope_clause(user, RotationMove.to_site_id, session),
                scope_clause(user, from_assignment.site_id, session),
            )
        )
        .where(
            sa.or_(
                site_clause(filters, RotationMove.to_site_id),
                site_clause(filters, from_assignment.site_id),
            )
        )
    )
    if filters.get("move_status"):
        stmt = stmt.where(RotationMove.status.in_(filters["move_status"]))
    if filters.get("plan_status"):
        stmt = stmt.where(RotationPlan.status.in_(filters["plan_status"]))
    if filters.get("staff"):
        stmt = stmt.where(RotationMove.staff_member_id.in_(filters["staff"]))
    return stmt


def _move_rows(session, user, filters):
    stmt = _moves_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)
    for n, row in enumerate(keyset_stream(session, stmt, keys), 1):
        values = list(row[:-2])
        values[14] = move_reason_text(values[14])
        yield (n, *values)


MOVES = Ledger(
    code="rotation_moves",
    title=_lp("ledger title", "Rotation moves ledger"),
    description=_lp(
        "ledger description",
        "Planned and executed moves between posts, with their plans and approvals.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("rotation moves ledger", "No."), "int", 7),
        Column("effective_on", _lp("rotation moves ledger", "Effective on"), "date", 12),
        Column("plan", _lp("rotation moves ledger", "Plan"), "user_text", 24),
        Column(
            "plan_status",
            _lp("rotation moves ledger", "Plan status"),
            "enum",
            10,
            choices=PLAN_STATUS_LABELS,
        ),
        Column("approved_by", _lp("rotation moves ledger", "Approved by"), "text", 12),
        Column("staff_no", _lp("rotation moves ledger", "Staff number"), "text", 12),
        Column("name", _lp("rotation moves ledger", "Name"), "text", 12),
        Column("from_site", _lp("rotation moves ledger", "From site"), "text", 20),
        Column("from_post", _lp("rotation moves ledger", "From post"), "text", 16),
        Column("to_site", _lp("rotation moves ledger", "To site"), "text", 20),
        Column("to_post", _lp("rotation moves ledger", "To post"), "text", 16),
        Column("to_window", _lp("rotation moves ledger", "To window"), "text", 14),
        Column("predecessor", _lp("rotation moves ledger", "Hands over from"), "text", 12),
        Column(
            "status",
            _lp("rotation moves ledger", "Move status"),
            "enum",
            10,
            choices=MOVE_STATUS_LABELS,
        ),
        Column("executed_at", _lp("rotation moves ledger", "Executed at"), "datetime", 17),
        Column("reason", _lp("rotation moves ledger", "Reason"), "user_text", 24),
        Column("note", _lp("rotation moves ledger", "Note"), "user_text", 24),
    ],
    rows=_move_rows,
    count=lambda session, user, filters: count_of(session, _moves_stmt(session, user, filters)),
    filters=[
        FilterField(
            "move_status", _lp("ledger filter", "Move status"), "choice", MOVE_STATUS_LABELS
        ),
        FilterField(
            "plan_status", _lp("ledger filter", "Plan status"), "choice", PLAN_STATUS_LABELS
        ),
        FilterField("staff", _lp("ledger filter", "Staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "the date the move takes effect"),
    order=45,
)


def _rotations_done(session, user, filters, start: date, end: date) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(RotationMove.id))
            .where(
                RotationMove.status == "executed",
                RotationMove.effective_on >= start,
                RotationMove.effective_on <= end,
            )
            .where(scope_clause(user, RotationMove.to_site_id, session))
            .where(site_clause(filters, RotationMove.to_site_id))
        )
        or 0
    )


def init_app(app) -> None:
    """Register this package's ledgers with compliance.ledgers."""
    ledger_audit.register(app)
    register_ledger(app, HOLDERS)
    register_ledger(app, MOVES)
    register_summary_metric(
        app,
        "rotations",
        _lp("summary figure", "Rotations done"),
        _rotations_done,
        _lp("summary area", "Rotation"),
        order=40,
        monthly=True,
    )
    # The year in review counts key posts, not only people (对 N 个关键岗位实施轮岗交流).
    for order, key, label in (
        (41, "posts", _lp("summary figure", "Key posts rotated")),
        (42, "people", _lp("summary figure", "People rotated")),
    ):
        register_summary_metric(
            app,
            f"rotated_{key}",
            label,
            _rotated(key),
            _lp("summary area", "Rotation"),
            order=order,
        )


def _rotated(key: str):
    def count(session, user, filters, start, end) -> int:
        return rotations(session, export_period(session, user, filters, start, end))[key]

    return count
