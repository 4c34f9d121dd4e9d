"""The words of this package's audit events in the audit trail ledger: what each action and
record type is called, and how a finding, a rectification, an inspection or a check item is
named (registered with `compliance.audit_labels.register_audit_labels`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.audit_labels import register_audit_labels
from compliance.models import Site, StaffMember
from compliance.timeutil import to_local

from .models import CheckItem, Draw, Finding, Inspection
from .rectification.models import ConductRecord, Rectification

ACTIONS = {
    "check_item.create": _lp("audit action", "Check item added"),
    "check_item.update": _lp("audit action", "Check item changed (new version)"),
    "inspection.start": _lp("audit action", "Inspection started"),
    "inspection.submit": _lp("audit action", "Inspection submitted"),
    "finding.create": _lp("audit action", "Problem found"),
    "draw.create": _lp("audit action", "Spot-check draw made"),
    "draw.publish": _lp("audit action", "Spot-check result published"),
    "draw_schedule.create": _lp("audit action", "Recurring draw created"),
    "draw_schedule.update": _lp("audit action", "Recurring draw changed"),
    "patrol_plan.update": _lp("audit action", "Patrol targets changed"),
    "rectification.opened": _lp("audit action", "Rectification opened"),
    "rectification.responded": _lp("audit action", "Rectification response sent"),
    "rectification.verified": _lp("audit action", "Rectification verified"),
    "rectification.rejected": _lp("audit action", "Rectification response rejected"),
    "rectification.fixed_on_spot": _lp("audit action", "Fixed on the spot"),
    "rectification.reassigned": _lp("audit action", "Responsible person changed"),
    "rectification.comment": _lp("audit action", "Comment on a rectification"),
    "rectification.reminded": _lp("audit action", "Rectification reminder sent"),
    "rectification.overdue": _lp("audit action", "Rectification overdue"),
    "rectification.escalated": _lp("audit action", "Overdue rectification escalated"),
    "conduct.complaint.create": _lp("audit action", "Complaint recorded"),
    "conduct.commendation.create": _lp("audit action", "Commendation recorded"),
    "conduct.complaint.decide": _lp("audit action", "Complaint decided"),
    "holiday.create": _lp("audit action", "Holiday or working day added"),
    "holiday.update": _lp("audit action", "Holiday or working day changed"),
    "holiday.delete": _lp("audit action", "Holiday or working day removed"),
    "keeper.update": _lp("audit action", "Keeper of a window or area changed"),
    "inspection.open": _lp("audit action", "Spot check opened by a drawn inspector"),
    "inspection.sign": _lp("audit action", "Spot check signed"),
    "inspection.redraw": _lp("audit action", "Drawn inspector replaced"),
    "inspection.flag": _lp("audit action", "Round flagged as implausible"),
    "complaint_category.create": _lp("audit action", "Complaint category added"),
    "complaint_category.update": _lp("audit action", "Complaint category changed"),
    "conduct.complaint.assign": _lp("audit action", "Complaint assigned for verification"),
    "conduct.complaint.verify": _lp("audit action", "Complaint verification recorded"),
    "conduct.complaint.callback": _lp("audit action", "Complainant called back"),
    "conduct.complaint.close": _lp("audit action", "Complaint closed"),
    "rating_import.upload": _lp("audit action", "好差评 file uploaded for import"),
    "rating_import.apply": _lp("audit action", "好差评 file imported"),
    "rating_profile.create": _lp("audit action", "好差评 column mapping saved"),
    "rating_profile.update": _lp("audit action", "好差评 column mapping changed"),
    "integrity.registered": _lp("audit action", "Integrity lead registered"),
    "integrity.assigned": _lp("audit action", "Integrity lead assigned"),
    "integrity.note": _lp("audit action", "Note added to an integrity lead"),
    "integrity.interview": _lp("audit action", "Interview recorded on an integrity lead"),
    "integrity.evidence": _lp("audit action", "Evidence added to an integrity lead"),
    "integrity.verified": _lp("audit action", "Integrity lead verified (初核)"),
    "integrity.conclusion_proposed": _lp(
        "audit action", "Conclusion proposed on an integrity lead"
    ),
    "integrity.conclusion_approved": _lp(
        "audit action", "Conclusion approved on an integrity lead"
    ),
    "integrity.conclusion_returned": _lp(
        "audit action", "Conclusion sent back on an integrity lead"
    ),
    "integrity.handled": _lp("audit action", "Integrity lead handled"),
    "integrity.accused_notified": _lp("audit action", "Conclusion told to the person concerned"),
    "integrity.closed": _lp("audit action", "Integrity lead closed"),
    "integrity.reminded": _lp("audit action", "Integrity lead reminder sent"),
    "integrity.overdue": _lp("audit action", "Integrity lead overdue"),
    "integrity.escalated": _lp("audit action", "Overdue integrity lead escalated"),
}
RECORDS = {
    "CheckItem": _lp("audit record", "Check item"),
    "Inspection": _lp("audit record", "Inspection"),
    "Finding": _lp("audit record", "Finding"),
    "Draw": _lp("audit record", "Spot-check draw"),
    "DrawSchedule": _lp("audit record", "Recurring draw"),
    "PatrolPlan": _lp("audit record", "Patrol targets"),
    "Rectification": _lp("audit record", "Rectification"),
    "ConductRecord": _lp("audit record", "Complaint or commendation"),
    "Holiday": _lp("audit record", "Holiday calendar"),
    "Keeper": _lp("audit record", "Window or area keeper"),
    "InspectionFlag": _lp("audit record", "Implausible-round flag"),
    "ComplaintCategory": _lp("audit record", "Complaint category"),
    "ComplaintCallback": _lp("audit record", "Callback"),
    "RatingImport": _lp("audit record", "好差评 import"),
    "RatingImportProfile": _lp("audit record", "好差评 column mapping"),
    "IntegrityCase": _lp("audit record", "Integrity lead"),
}
FIELDS = {
    "deadline_on": _lp("audit field", "Deadline"),
    "first_deadline_on": _lp("audit field", "First deadline"),
    "rejection_count": _lp("audit field", "Times rejected"),
    "responded_at": _lp("audit field", "Responded at"),
    "closed_at": _lp("audit field", "Closed at"),
    "closed_on": _lp("audit field", "Closed on"),
    "closed_on_time": _lp("audit field", "Closed on time"),
    "days_to_close": _lp("audit field", "Days to close"),
    "fixed_on_spot": _lp("audit field", "Fixed on the spot"),
    "offence_level": _lp("audit field", "Repeat-offence step"),
    "photo_ids": _lp("audit field", "Photos"),
    "severity": _lp("audit field", "Severity"),
    "category": _lp("audit field", "Category"),
    "title": _lp("audit field", "Title"),
    "description": _lp("audit field", "Problem"),
    "submitted_at": _lp("audit field", "Submitted at"),
    "started_at": _lp("audit field", "Started at"),
    "found_at": _lp("audit field", "Found at"),
    "text": _lp("audit field", "Text"),
    "outcome": _lp("audit field", "Outcome"),
    "outcome_reason": _lp("audit field", "Reason for the outcome"),
    "received_on": _lp("audit field", "Received on"),
}


def _pairs(stmt) -> callable:
    def namer(session, ids):
        return dict(session.execute(stmt(ids)).all())

    return namer


def _inspection_names(session, ids):
    rows = session.execute(
        sa.select(Inspection.id, Site.name, Inspection.started_at)
        .join(Site, Site.id == Inspection.site_id)
        .where(Inspection.id.in_(ids))
    ).all()
    return {i: f"{site} {to_local(at):%Y-%m-%d}" if at else site for i, site, at in rows}


NAMERS = {
    "Finding": _pairs(
        lambda ids: sa.select(Finding.id, Finding.description).where(Finding.id.in_(ids))
    ),
    "Rectification": _pairs(
        lambda ids: sa.select(Rectification.id, Rectification.title).where(
            Rectification.id.in_(ids)
        )
    ),
    "CheckItem": _pairs(
        lambda ids: sa.select(CheckItem.id, CheckItem.code).where(CheckItem.id.in_(ids))
    ),
    "Draw": _pairs(lambda ids: sa.select(Draw.id, Draw.title).where(Draw.id.in_(ids))),
    "ConductRecord": _pairs(
        lambda ids: (
            sa.select(ConductRecord.id, StaffMember.name)
            .join(StaffMember, StaffMember.id == ConductRecord.staff_member_id)
            .where(ConductRecord.id.in_(ids))
        )
    ),
    "Inspection": _inspection_names,
}


def register(app) -> None:
    register_audit_labels(app, actions=ACTIONS, records=RECORDS, fields=FIELDS, namers=NAMERS)
