"""The words of this package's audit events in the audit trail ledger (registered with
`compliance.audit_labels.register_audit_labels`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.audit_labels import register_audit_labels
from compliance.models import StaffMember

from .models import RotationExemption, RotationMove, RotationPlan

ACTIONS = {
    "rotation_policy.update": _lp("audit action", "Rotation rule of a post changed"),
    "post_check_pair.create": _lp("audit action", "Posts that check each other paired"),
    "post_check_pair.delete": _lp("audit action", "Posts that check each other unpaired"),
    "rotation_exemption.create": _lp("audit action", "Rotation postponed for a person"),
    "rotation_exemption.revoke": _lp("audit action", "Rotation postponement revoked"),
    "rotation_plan.create": _lp("audit action", "Rotation plan drafted"),
    "rotation_plan.edit": _lp("audit action", "Rotation plan edited"),
    "rotation_plan.submit": _lp("audit action", "Rotation plan submitted for approval"),
    "rotation_plan.approve": _lp("audit action", "Rotation plan approved"),
    "rotation_plan.return": _lp("audit action", "Rotation plan returned"),
    "rotation_plan.execute": _lp("audit action", "Rotation plan carried out"),
    "rotation_move.execute": _lp("audit action", "Rotation move carried out"),
    "rotation_move.block": _lp("audit action", "Rotation move blocked"),
}
RECORDS = {
    "RotationPolicy": _lp("audit record", "Rotation rule"),
    "PostCheckPair": _lp("audit record", "Posts that check each other"),
    "RotationExemption": _lp("audit record", "Rotation postponement"),
    "RotationPlan": _lp("audit record", "Rotation plan"),
    "RotationMove": _lp("audit record", "Rotation move"),
}
FIELDS = {
    "effective_on": _lp("audit field", "Effective on"),
    "decision_note": _lp("audit field", "Decision note"),
    "moves": _lp("audit field", "Moves"),
    "cost": _lp("audit field", "Planner cost"),
}


def _plan_names(session, ids):
    stmt = sa.select(RotationPlan.id, RotationPlan.title).where(RotationPlan.id.in_(ids))
    return dict(session.execute(stmt).all())


def _staff_of(model):
    def names(session, ids):
        stmt = (
            sa.select(model.id, StaffMember.name)
            .join(StaffMember, StaffMember.id == model.staff_member_id)
            .where(model.id.in_(ids))
        )
        return dict(session.execute(stmt).all())

    return names


def register(app) -> None:
    register_audit_labels(
        app,
        actions=ACTIONS,
        records=RECORDS,
        fields=FIELDS,
        namers={
            "RotationPlan": _plan_names,
            "RotationMove": _staff_of(RotationMove),
            "RotationExemption": _staff_of(RotationExemption),
        },
    )
