"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI:
training attendance (培训台账) and mentor pairings (老带新台账), plus the training figures of the
period summary."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

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
from compliance.ledgers.summary import utc_bounds
from compliance.models import Post, Site, StaffMember, User
from compliance.periods import export_period

from .models import Course, MentorPairing, SessionAttendee, ShadowLog, TrainingSession
from .services.stats import onboarding_figures

ROLES = frozenset({"hr", "discipline", "leader", "admin"})
COURSE_KIND_LABELS = {
    "pre_job": _l("Pre-job training"),
    "thematic_meeting": _l("Thematic meeting"),
    "business_skills": _l("Business skills"),
    "discipline": _l("Discipline"),
}
ATTENDANCE_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
    "unmarked": _l("Not marked"),
}
SESSION_STATUS_LABELS = {"scheduled": _l("Held or scheduled"), "cancelled": _l("Cancelled")}
PAIRING_KIND_LABELS = {"onboarding": _l("Onboarding"), "handover": _l("Handover")}
PAIRING_STATUS_LABELS = {
    "active": _l("Active"),
    "assessed": _l("Assessed"),
    "signed_off": _l("Signed off"),
    "ended": _l("Ended"),
}
ASSESSMENT_LABELS = {"ready": _l("Ready"), "needs_more_time": _l("Needs more time")}


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
    title=_l("Training ledger"),
    description=_l(
        "Training sessions and thematic meetings with each invited person's attendance."
    ),
    roles=ROLES,
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("starts_at", _l("Starts at"), "datetime", 17),
        Column("course", _l("Course"), "user_text", 26),
        Column("course_kind", _l("Kind"), "enum", 14, choices=COURSE_KIND_LABELS),
        Column("site", _l("Site"), "text", 22),
        Column("place", _l("Place"), "user_text", 18),
        Column("trainer", _l("Trainer"), "user_text", 12),
        Column("hours", _l("Hours"), "float", 8, number_format="0.0"),
        Column("session_status", _l("Session"), "enum", 12, choices=SESSION_STATUS_LABELS),
        Column("staff_no", _l("Staff number"), "text", 12),
        Column("name", _l("Name"), "text", 12),
        Column("attendance", _l("Attendance"), "enum", 10, choices=ATTENDANCE_LABELS),
        Column("marked_at", _l("Marked at"), "datetime", 17),
    ],
    rows=_attendance_rows,
    count=lambda session, user, filters: count_of(
        session, _attendance_stmt(session, user, filters)
    ),
    filters=[
        FilterField("course_kind", _l("Kind"), "choice", COURSE_KIND_LABELS),
        FilterField("attendance", _l("Attendance"), "choice", ATTENDANCE_LABELS),
        FilterField("include_cancelled", _l("Include cancelled sessions"), "bool"),
        FilterField("staff", _l("Staff numbers"), "staff"),
    ],
    date_label=_l("the start of the session"),
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
        approvers = {r[12] for r in rows if r[12]}
        names = (
            dict(
                session.execute(
                    sa.select(User.id, User.display_name).where(User.id.in_(approvers))
                ).all()
            )
            if approvers
            else {}
        )
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
    title=_l("Mentoring ledger"),
    description=_l("Onboarding and handover mentor pairings with shadow log totals and sign-off."),
    roles=ROLES,
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("kind", _l("Kind"), "enum", 10, choices=PAIRING_KIND_LABELS),
        Column("mentee_no", _l("Mentee number"), "text", 12),
        Column("mentee", _l("Mentee"), "text", 12),
        Column("site", _l("Site"), "text", 22),
        Column("mentor_no", _l("Mentor number"), "text", 12),
        Column("mentor", _l("Mentor"), "text", 12),
        Column("post", _l("Post"), "text", 16),
        Column("starts_on", _l("Starts on"), "date", 12),
        Column("ends_on", _l("Ends on"), "date", 12),
        Column("status", _l("Status"), "enum", 10, choices=PAIRING_STATUS_LABELS),
        Column("assessment", _l("Assessment"), "enum", 12, choices=ASSESSMENT_LABELS),
        Column("entries", _l("Shadow log entries"), "int", 10),
        Column("hours", _l("Hours logged"), "float", 10, number_format="0.0"),
        Column(
            "hours_confirmed", _l("Hours confirmed by mentor"), "float", 10, number_format="0.0"
        ),
        Column("assessed_at", _l("Assessed at"), "datetime", 17),
        Column("approved_by", _l("Signed off by"), "text", 12),
        Column("signed_off_on", _l("Signed off on"), "date", 12),
        Column("ended_on", _l("Ended on"), "date", 12),
        Column("note", _l("Note"), "user_text", 30),
    ],
    rows=_pairing_rows,
    count=lambda session, user, filters: count_of(session, _pairing_stmt(session, user, filters)),
    filters=[
        FilterField("pairing_kind", _l("Kind"), "choice", PAIRING_KIND_LABELS),
        FilterField("pairing_status", _l("Status"), "choice", PAIRING_STATUS_LABELS),
        FilterField("staff", _l("Staff numbers (mentor or mentee)"), "staff"),
    ],
    date_label=_l("pairings running during the period"),
    order=35,
)


# --- figures for the period summary ---------------------------------------------------------


def _sessions(thematic: bool):
    def count(session, user, filters, start, end) -> int:
        lo, hi = utc_bounds(start, end)
        kind = Course.kind == "thematic_meeting"
        return (
            session.scalar(
                sa.select(sa.func.count(TrainingSession.id))
                .join(Course, Course.id == TrainingSession.course_id)
                .where(kind if thematic else sa.not_(kind))
                .where(TrainingSession.status != "cancelled")
                .where(TrainingSession.starts_at >= lo, TrainingSession.starts_at < hi)
                .where(scope_clause(user, TrainingSession.site_id, session))
                .where(site_clause(filters, TrainingSession.site_id))
            )
            or 0
        )

    return count


def _people_trained(session, user, filters, start, end) -> int:
    lo, hi = utc_bounds(start, end)
    return (
        session.scalar(
            sa.select(sa.func.count(sa.distinct(SessionAttendee.staff_member_id)))
            .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
            .where(SessionAttendee.status.in_(("present", "late")))
            .where(TrainingSession.status != "cancelled")
            .where(TrainingSession.starts_at >= lo, TrainingSession.starts_at < hi)
            .where(scope_clause(user, TrainingSession.site_id, session))
            .where(site_clause(filters, TrainingSession.site_id))
        )
        or 0
    )


def init_app(app) -> None:
    """Register this package's ledgers with compliance.ledgers."""
    register_ledger(app, ATTENDANCE)
    register_ledger(app, PAIRINGS)
    group = _l("Training")
    register_summary_metric(
        app,
        "training_sessions",
        _l("Training sessions"),
        _sessions(False),
        group,
        order=30,
        monthly=True,
    )
    register_summary_metric(
        app,
        "thematic_meetings",
        _l("Thematic meetings"),
        _sessions(True),
        group,
        order=31,
        monthly=True,
    )
    register_summary_metric(
        app, "people_trained", _l("People trained"), _people_trained, group, order=32
    )
    # The year in review's new-staff figures (岗前培训 + 老带新跟岗), counted as on its page.
    for order, key, label in (
        (33, "pre_job", _l("New staff who finished pre-job training")),
        (34, "mentored", _l("New staff who finished mentoring (signed off)")),
        (35, "completed", _l("New staff who completed onboarding (both)")),
    ):
        register_summary_metric(app, f"onboarding_{key}", label, _onboarding(key), group, order)


def _onboarding(key: str):
    def count(session, user, filters, start, end) -> int:
        return onboarding_figures(session, export_period(session, user, filters, start, end))[key]

    return count
