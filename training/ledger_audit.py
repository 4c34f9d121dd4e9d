"""The words of this package's audit events in the audit trail ledger (registered with
`compliance.audit_labels.register_audit_labels`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import aliased

from compliance.audit_labels import register_audit_labels
from compliance.models import StaffMember
from compliance.timeutil import to_local

from .models import Course, MentorPairing, OnboardingPlan, TrainingSession

ACTIONS = {
    "course.create": _lp("audit action", "Course created"),
    "course.update": _lp("audit action", "Course changed"),
    "training_session.create": _lp("audit action", "Training session scheduled"),
    "training_session.cancel": _lp("audit action", "Training session cancelled"),
    "training_session.invite": _lp("audit action", "People invited to a session"),
    "training_session.minutes": _lp("audit action", "Meeting minutes recorded"),
    "session_attendee.mark": _lp("audit action", "Attendance marked"),
    "mentor_pairing.create": _lp("audit action", "Mentor pairing created"),
    "mentor_pairing.assess": _lp("audit action", "Mentee assessed by the mentor"),
    "mentor_pairing.extend": _lp("audit action", "Mentor pairing extended"),
    "mentor_pairing.sign_off": _lp("audit action", "Mentor pairing signed off"),
    "mentor_pairing.end": _lp("audit action", "Mentor pairing ended"),
    "shadow_log.create": _lp("audit action", "Shadow log entry written"),
    "shadow_log.confirm": _lp("audit action", "Shadow log entry confirmed"),
    "onboarding_plan.create": _lp("audit action", "Onboarding plan created"),
    "onboarding_plan.complete": _lp("audit action", "Onboarding plan completed"),
    "onboarding_template.create": _lp("audit action", "Onboarding template created"),
    "onboarding_template.update": _lp("audit action", "Onboarding template changed"),
}
RECORDS = {
    "Course": _lp("audit record", "Course"),
    "TrainingSession": _lp("audit record", "Training session"),
    "SessionAttendee": _lp("audit record", "Attendance"),
    "MentorPairing": _lp("audit record", "Mentor pairing"),
    "ShadowLog": _lp("audit record", "Shadow log entry"),
    "OnboardingPlan": _lp("audit record", "Onboarding plan"),
    "OnboardingTemplate": _lp("audit record", "Onboarding template"),
}
FIELDS = {
    "title": _lp("audit field", "Title"),
    "starts_at": _lp("audit field", "Starts at"),
    "ends_at": _lp("audit field", "Ends at"),
    "starts_on": _lp("audit field", "Starts on"),
    "ends_on": _lp("audit field", "Ends on"),
    "hours": _lp("audit field", "Hours"),
    "practised": _lp("audit field", "What was practised"),
    "mentor_comment": _lp("audit field", "Mentor's comment"),
    "assessment": _lp("audit field", "Assessment"),
    "minutes": _lp("audit field", "Minutes"),
}


def _course_names(session, ids):
    stmt = sa.select(Course.id, Course.title).where(Course.id.in_(ids))
    return dict(session.execute(stmt).all())


def _session_names(session, ids):
    rows = session.execute(
        sa.select(TrainingSession.id, Course.title, TrainingSession.starts_at)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(TrainingSession.id.in_(ids))
    ).all()
    return {i: f"{title} {to_local(at):%Y-%m-%d %H:%M}" for i, title, at in rows}


def _pairing_names(session, ids):
    mentee, mentor = aliased(StaffMember), aliased(StaffMember)
    rows = session.execute(
        sa.select(MentorPairing.id, mentee.name, mentor.name)
        .join(mentee, mentee.id == MentorPairing.mentee_id)
        .join(mentor, mentor.id == MentorPairing.mentor_id)
        .where(MentorPairing.id.in_(ids))
    ).all()
    return {i: f"{a} ← {b}" for i, a, b in rows}


def _plan_names(session, ids):
    stmt = (
        sa.select(OnboardingPlan.id, StaffMember.name)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(OnboardingPlan.id.in_(ids))
    )
    return dict(session.execute(stmt).all())


def register(app) -> None:
    register_audit_labels(
        app,
        actions=ACTIONS,
        records=RECORDS,
        fields=FIELDS,
        namers={
            "Course": _course_names,
            "TrainingSession": _session_names,
            "MentorPairing": _pairing_names,
            "OnboardingPlan": _plan_names,
        },
    )
