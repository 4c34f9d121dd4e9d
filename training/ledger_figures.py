"""This package's figures in the period summary (汇总表): training sessions, thematic meetings
(专题会议) and the people trained."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.ledgers import register_summary_metric, scope_clause, site_clause
from compliance.ledgers.summary import utc_bounds
from compliance.periods import export_period

from .models import Course, SessionAttendee, TrainingSession
from .services.stats import onboarding_figures


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
    # The year in review's new-staff figures (岗前培训 + 老带新跟岗), counted as on its page.
    for order, key, label in (
        (33, "pre_job", _lp("summary figure", "New staff who finished pre-job training")),
        (34, "mentored", _lp("summary figure", "New staff who finished mentoring (signed off)")),
        (35, "completed", _lp("summary figure", "New staff who completed onboarding (both)")),
    ):
        register_summary_metric(app, f"onboarding_{key}", label, _onboarding(key), group, order)


def _onboarding(key: str):
    def count(session, user, filters, start, end) -> int:
        return onboarding_figures(session, export_period(session, user, filters, start, end))[key]

    return count
