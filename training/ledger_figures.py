"""This package's figures in the period summary (汇总表): training sessions, thematic meetings
(专题会议) and the people trained."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.ledgers import register_summary_metric, scope_clause, site_clause
from compliance.ledgers.summary import utc_bounds

from .models import Course, SessionAttendee, TrainingSession


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


def register_figures(app) -> None:
    """Register the training figures of the period summary."""
    group = _lp("summary area", "Training")
    register_summary_metric(
        app,
        "training_sessions",
        _lp("summary figure", "Training sessions"),
        _sessions(False),
        group,
        order=30,
        monthly=True,
    )
    register_summary_metric(
        app,
        "thematic_meetings",
        _lp("summary figure", "Thematic meetings"),
        _sessions(True),
        group,
        order=31,
        monthly=True,
    )
    register_summary_metric(
        app,
        "people_trained",
        _lp("summary figure", "People trained"),
        _people_trained,
        group,
        order=32,
    )
