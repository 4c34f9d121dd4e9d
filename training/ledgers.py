"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI:
training attendance (培训台账), mentor pairings (老带新台账) and their shadow logs (跟岗记录台账,
with what was practised and the mentor's comment), plus the training figures of the period
summary. Rows are in date order, then by id."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import aliased

from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    scope_clause,
    site_clause,
    user_names,
)
from compliance.ledgers.summary import utc_bounds
from compliance.models import Post, Site, StaffMember

from . import ledger_audit
from .ledger_figures import register_figures
from .models import Course, MentorPairing, SessionAttendee, ShadowLog, TrainingSession

ROLES = frozenset({"hr", "discipline", "leader", "admin"})
COURSE_KIND_LABELS = {
    "pre_job": _lp("course kind", "Pre-job training"),
    "thematic_meeting": _lp("course kind", "Thematic meeting"),
    "business_skills": _lp("course kind", "Business skills"),
    "discipline": _lp("course kind", "Discipline"),
}
ATTENDANCE_LABELS = {
    "present": _lp("training attendance", "Present"),
    "late": _lp("training attendance", "Late"),
    "absent": _lp("training attendance", "Absent"),
    "excused": _lp("training attendance", "Excused"),
    "unmarked": _lp("training attendance", "Not marked"),
}
SESSION_STATUS_LABELS = {
    "scheduled": _lp("training session status", "Held or scheduled"),
    "cancelled": _lp("training session status", "Cancelled"),
}
PAIRING_KIND_LABELS = {
    "onboarding": _lp("pairing kind", "Onboarding"),
    "handover": _lp("pairing kind", "Handover"),
}
PAIRING_STATUS_LABELS = {
    "active": _lp("pairing status", "Active"),
    "assessed": _lp("pairing status", "Assessed"),
    "signed_off": _lp("pairing status", "Signed off"),
    "ended": _lp("pairing status", "Ended"),
}
ASSESSMENT_LABELS = {
    "ready": _lp("pairing assessment", "Ready"),
    "needs_more_time": _lp("pairing assessment", "Needs more time"),
}
LOG_AUTHOR_LABELS = {
    "mentee": _lp("shadow log author", "Mentee"),
    "mentor": _lp("shadow log author", "Mentor"),
}


# --- attendance (培训台账) -----------------------------------------------------------------


def _attendance_stmt(session, user, filters) -> sa.Select:
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    status = sa.func.coalesce(SessionAttendee.status, "unmarked")
    hours = (
        sa.extract("epoch", TrainingSession.ends_at - TrainingSession.starts_at) / 3600.0
        if session.get_bind().dialect.name == "postgresql"
        else (
            sa.func.julianday(TrainingSession.ends_at)
            - sa.func.julianday(TrainingSession.starts_at)
        )
        * 24.0
    )
    stmt = (
        sa.select(
            TrainingSession.starts_at,
            Course.title,
            Course.kind,
            Site.name,
            TrainingSession.place,
            TrainingSession.trainer,
            hours,
            TrainingSession.status,
            StaffMember.staff_no,
            StaffMember.name,
            status,
            SessionAttendee.marked_at,
            TrainingSession.starts_at.label("k1"),
            SessionAttendee.id.label("k2"),
        )
        .select_from(SessionAttendee)
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Site, Site.id == TrainingSession.site_id)
        .join(StaffMember, StaffMember.id == SessionAttendee.staff_member_id)
        .where(TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
        .where(scope_clause(user, TrainingSession.site_id, session))
        .where(site_clause(filters, TrainingSession.site_id))
    )
    if filters.get("course_kind"):
        stmt = stmt.where(Course.kind.in_(filters["course_kind"]))
    if filters.get("attendance"):
        stmt = stmt.where(status.in_(filters["attendance"]))
    if not filters.get("include_cancelled"):
        stmt = stmt.where(TrainingSession.status != "cancelled")
    if filters.get("staff"):
        stmt = stmt.where(SessionAttendee.staff_member_id.in_(filters["staff"]))
    return stmt


def _attendance_rows(session, user, filters):
    stmt = _attendance_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)
    for n, row in enumerate(keyset_stream(session, stmt, keys), 1):
        values = list(row[:-2])
        values[6] = round(float(values[6]), 2) if values[6] is not None else None
        yield (n, *values)


ATTENDANCE = Ledger(
    code="training",
    title=_lp("ledger title", "Training ledger"),
    description=_lp(
        "ledger description",
        "Training sessions and thematic meetings with each invited person's attendance.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("training ledger", "No."), "int", 7),
        Column("starts_at", _lp("training ledger", "Starts at"), "datetime", 17),
        Column("course", _lp("training ledger", "Course"), "user_text", 26),
        Column(
            "course_kind",
            _lp("training ledger", "Course kind"),
            "enum",
            14,
            choices=COURSE_KIND_LABELS,
        ),
        Column("site", _lp("training ledger", "Site"), "text", 22),
        Column("place", _lp("training ledger", "Place"), "user_text", 18),
        Column("trainer", _lp("training ledger", "Trainer"), "user_text", 12),
        Column("hours", _lp("training ledger", "Hours"), "float", 8, number_format="0.0"),
        Column(
            "session_status",
            _lp("training ledger", "Session"),
            "enum",
            12,
            choices=SESSION_STATUS_LABELS,
        ),
        Column("staff_no", _lp("training ledger", "Staff number"), "text", 12),
        Column("name", _lp("training ledger", "Name"), "text", 12),
        Column(
            "attendance",
            _lp("training ledger", "Attendance"),
            "enum",
            10,
            choices=ATTENDANCE_LABELS,
        ),
        Column("marked_at", _lp("training ledger", "Marked at"), "datetime", 17),
    ],
    rows=_attendance_rows,
    count=lambda session, user, filters: count_of(
        session, _attendance_stmt(session, user, filters)
    ),
    filters=[
        FilterField("course_kind", _lp("ledger filter", "Kind"), "choice", COURSE_KIND_LABELS),
        FilterField("attendance", _lp("ledger filter", "Attendance"), "choice", ATTENDANCE_LABELS),
        FilterField(
            "include_cancelled", _lp("ledger filter", "Include cancelled sessions"), "bool"
        ),
        FilterField("staff", _lp("ledger filter", "Staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "the start of the session"),
    order=30,
)


# --- mentor pairings (老带新台账) ----------------------------------------------------------


def _pairing_stmt(session, user, filters) -> sa.Select:
    mentee, mentor = aliased(StaffMember), aliased(StaffMember)
    stmt = (
        sa.select(
            MentorPairing.kind,
            mentee.staff_no,
            mentee.name,
            Site.name,
            mentor.staff_no,
            mentor.name,
            Post.name,
            MentorPairing.starts_on,
            MentorPairing.ends_on,
            MentorPairing.status,
            MentorPairing.assessment,
            MentorPairing.assessed_at,
            MentorPairing.approved_by_id,
            MentorPairing.signed_off_on,
            MentorPairing.ended_on,
            MentorPairing.note,
            MentorPairing.starts_on.label("k1"),
            MentorPairing.id.label("k2"),
        )
        .select_from(MentorPairing)
        .join(mentee, mentee.id == MentorPairing.mentee_id)
        .join(mentor, mentor.id == MentorPairing.mentor_id)
        .join(Site, Site.id == mentee.site_id)
        .outerjoin(Post, Post.id == MentorPairing.post_id)
        .where(MentorPairing.starts_on <= filters["date_to"])
        .where(
            sa.func.coalesce(MentorPairing.ended_on, MentorPairing.ends_on) >= filters["date_from"]
        )
        .where(scope_clause(user, mentee.site_id, session))
        .where(site_clause(filters, mentee.site_id))
    )
    if filters.get("pairing_kind"):
        stmt = stmt.where(MentorPairing.kind.in_(filters["pairing_kind"]))
    if filters.get("pairing_status"):
        stmt = stmt.where(MentorPairing.status.in_(filters["pairing_status"]))
    if filters.get("staff"):
        stmt = stmt.where(
            sa.or_(
                MentorPairing.mentee_id.in_(filters["staff"]),
                MentorPairing.mentor_id.in_(filters["staff"]),
            )
        )
    return stmt


def _pairing_rows(session, user, filters):
    stmt = _pairing_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)

    def enrich(rows):
        ids = [r[-1] for r in rows]
        totals: dict[int, tuple] = defaultdict(lambda: (0, 0.0, 0.0))
        confirmed = sa.case((ShadowLog.confirmed_at.is_not(None), ShadowLog.hours), else_=0)
        for pairing_id, entries, hours, hours_ok in session.execute(
            sa.select(
                ShadowLog.pairing_id,
                sa.func.count(ShadowLog.id),
                sa.func.sum(ShadowLog.hours),
                sa.func.sum(confirmed),
            )
            .where(ShadowLog.pairing_id.in_(ids))
            .group_by(ShadowLog.pairing_id)
        ):
            totals[pairing_id] = (entries, float(hours or 0), float(hours_ok or 0))
        names = user_names(session, {r[12] for r in rows})
        out = []
        for r in rows:
            entries, hours, hours_ok = totals[r[-1]]
            out.append(
                (
                    *r[:11],
                    entries,
                    hours,
                    hours_ok,
                    r[11],
                    names.get(r[12]) if r[12] else None,
                    r[13],
                    r[14],
                    r[15],
                )
            )
        return out

    for n, row in enumerate(keyset_stream(session, stmt, keys, enrich=enrich), 1):
        yield (n, *row)


PAIRINGS = Ledger(
    code="mentoring",
    title=_lp("ledger title", "Mentoring ledger"),
    description=_lp(
        "ledger description",
        "Onboarding and handover mentor pairings with shadow log totals and sign-off.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("mentoring ledger", "No."), "int", 7),
        Column("kind", _lp("mentoring ledger", "Kind"), "enum", 10, choices=PAIRING_KIND_LABELS),
        Column("mentee_no", _lp("mentoring ledger", "Mentee number"), "text", 12),
        Column("mentee", _lp("mentoring ledger", "Mentee"), "text", 12),
        Column("site", _lp("mentoring ledger", "Site"), "text", 22),
        Column("mentor_no", _lp("mentoring ledger", "Mentor number"), "text", 12),
        Column("mentor", _lp("mentoring ledger", "Mentor"), "text", 12),
        Column("post", _lp("mentoring ledger", "Post"), "text", 16),
        Column("starts_on", _lp("mentoring ledger", "Starts on"), "date", 12),
        Column("ends_on", _lp("mentoring ledger", "Ends on"), "date", 12),
        Column(
            "status", _lp("mentoring ledger", "Status"), "enum", 10, choices=PAIRING_STATUS_LABELS
        ),
        Column(
            "assessment",
            _lp("mentoring ledger", "Assessment"),
            "enum",
            12,
            choices=ASSESSMENT_LABELS,
        ),
        Column("entries", _lp("mentoring ledger", "Shadow log entries"), "int", 10),
        Column("hours", _lp("mentoring ledger", "Hours logged"), "float", 10, number_format="0.0"),
        Column(
            "hours_confirmed",
            _lp("mentoring ledger", "Hours confirmed by mentor"),
            "float",
            10,
            number_format="0.0",
        ),
        Column("assessed_at", _lp("mentoring ledger", "Assessed at"), "datetime", 17),
        Column("approved_by", _lp("mentoring ledger", "Signed off by"), "text", 12),
        Column("signed_off_on", _lp("mentoring ledger", "Signed off on"), "date", 12),
        Column("ended_on", _lp("mentoring ledger", "Ended on"), "date", 12),
        Column("note", _lp("mentoring ledger", "Note"), "user_text", 30),
    ],
    rows=_pairing_rows,
    count=lambda session, user, filters: count_of(session, _pairing_stmt(session, user, filters)),
    filters=[
        FilterField("pairing_kind", _lp("ledger filter", "Kind"), "choice", PAIRING_KIND_LABELS),
        FilterField(
            "pairing_status", _lp("ledger filter", "Status"), "choice", PAIRING_STATUS_LABELS
        ),
        FilterField("staff", _lp("ledger filter", "Staff numbers (mentor or mentee)"), "staff"),
    ],
    date_label=_lp("ledger dates", "pairings running during the period"),
    order=35,
)


# --- shadow logs (跟岗记录台账) --------------------------------------------------------------


def _logs_stmt(session, user, filters) -> sa.Select:
    mentee, mentor = aliased(StaffMember), aliased(StaffMember)
    stmt = (
        sa.select(
            ShadowLog.worked_on,
            mentee.staff_no,
            mentee.name,
            mentor.name,
            Site.name,
            MentorPairing.kind,
            ShadowLog.hours,
            ShadowLog.practised,
            ShadowLog.mentor_comment,
            ShadowLog.author_role,
            ShadowLog.confirmed_at,
            ShadowLog.confirmed_by_id,
            ShadowLog.worked_on.label("k1"),
            ShadowLog.id.label("k2"),
        )
        .select_from(ShadowLog)
        .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
        .join(mentee, mentee.id == MentorPairing.mentee_id)
        .join(mentor, mentor.id == MentorPairing.mentor_id)
        .join(Site, Site.id == mentee.site_id)
        .where(ShadowLog.worked_on >= filters["date_from"])
        .where(ShadowLog.worked_on <= filters["date_to"])
        .where(scope_clause(user, mentee.site_id, session))
        .where(site_clause(filters, mentee.site_id))
    )
    if filters.get("pairing_kind"):
        stmt = stmt.where(MentorPairing.kind.in_(filters["pairing_kind"]))
    if filters.get("unconfirmed"):
        stmt = stmt.where(ShadowLog.confirmed_at.is_(None))
    if filters.get("staff"):
        stmt = stmt.where(
            sa.or_(
                MentorPairing.mentee_id.in_(filters["staff"]),
                MentorPairing.mentor_id.in_(filters["staff"]),
            )
        )
    return stmt


def _log_rows(session, user, filters):
    stmt = _logs_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)

    def enrich(rows):
        names = user_names(session, {r[11] for r in rows})
        return [(*r[:6], float(r[6]), *r[7:11], names.get(r[11]) if r[11] else None) for r in rows]

    for n, row in enumerate(keyset_stream(session, stmt, keys, enrich=enrich), 1):
        yield (n, *row)


SHADOW_LOGS = Ledger(
    code="shadow_logs",
    title=_lp("ledger title", "Shadow log ledger"),
    description=_lp(
        "ledger description",
        "Every shadowing entry: who, when, how long, what was practised and the mentor's comment.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("shadow log ledger", "No."), "int", 5),
        Column("worked_on", _lp("shadow log ledger", "Date"), "date", 11),
        Column("mentee_no", _lp("shadow log ledger", "Mentee number"), "text", 10),
        Column("mentee", _lp("shadow log ledger", "Mentee"), "text", 9),
        Column("mentor", _lp("shadow log ledger", "Mentor"), "text", 9),
        Column("site", _lp("shadow log ledger", "Site"), "text", 14),
        Column(
            "kind", _lp("shadow log ledger", "Pairing kind"), "enum", 8, choices=PAIRING_KIND_LABELS
        ),
        Column("hours", _lp("shadow log ledger", "Hours"), "float", 6, number_format="0.0"),
        Column("practised", _lp("shadow log ledger", "What was practised"), "user_text", 34),
        Column("comment", _lp("shadow log ledger", "Mentor's comment"), "user_text", 28),
        Column(
            "author", _lp("shadow log ledger", "Written by"), "enum", 7, choices=LOG_AUTHOR_LABELS
        ),
        Column("confirmed_at", _lp("shadow log ledger", "Confirmed at"), "datetime", 16),
        Column("confirmed_by", _lp("shadow log ledger", "Confirmed by"), "text", 9),
    ],
    rows=_log_rows,
    count=lambda session, user, filters: count_of(session, _logs_stmt(session, user, filters)),
    filters=[
        FilterField("pairing_kind", _lp("ledger filter", "Kind"), "choice", PAIRING_KIND_LABELS),
        FilterField("unconfirmed", _lp("ledger filter", "Only entries not yet confirmed"), "bool"),
        FilterField("staff", _lp("ledger filter", "Staff numbers (mentor or mentee)"), "staff"),
    ],
    date_label=_lp("ledger dates", "the day of the shadowing"),
    order=36,
)


def init_app(app) -> None:
    """Register this package's ledgers with compliance.ledgers."""
    ledger_audit.register(app)
    register_ledger(app, ATTENDANCE)
    register_ledger(app, PAIRINGS)
    register_ledger(app, SHADOW_LOGS)
    register_figures(app)
