"""Object rules for inspections, findings and photos (role AND scope AND ownership)."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.access import in_scope, scope_filter
from compliance.db import db

from .models import Finding, Inspection, Photo

# Roles that read every inspection and finding within their site scope.
READER_ROLES = ("admin", "discipline", "inspector", "leader")
# Roles that see the plausibility flags of rounds (a supervision signal, not for inspectors).
FLAG_READER_ROLES = ("admin", "discipline", "leader")


def can_view_finding(user, finding: Finding) -> bool:
    """Readers see findings of sites in their scope; anyone linked to a staff member sees the
    findings recorded against that staff member (their own), except an integrity finding: that is
    a confidential lead for the discipline office, and its subject never sees it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.staff_member_id is not None and finding.staff_member_id == user.staff_member_id:
        return not finding.is_integrity
    return user.has_role(*READER_ROLES) and in_scope(user, finding.site_id)


def own_findings_clause(user) -> sa.ColumnElement[bool]:
    """The findings recorded against the user's own staff member (integrity findings left out)."""
    if user.staff_member_id is None:
        return sa.false()
    return sa.and_(Finding.staff_member_id == user.staff_member_id, Finding.is_integrity.is_(False))


def findings_clause(user) -> sa.ColumnElement[bool]:
    """The findings `user` may list: readers those of their sites, everyone their own; nobody the
    integrity findings about themself."""
    own = own_findings_clause(user)
    if not user.has_role(*READER_ROLES):
        return own
    clause = sa.or_(scope_filter(user, Finding.site_id), own)
    if user.staff_member_id is not None:
        clause = sa.and_(
            clause,
            sa.or_(
                Finding.is_integrity.is_(False),
                Finding.staff_member_id.is_(None),
                Finding.staff_member_id != user.staff_member_id,
            ),
        )
    return clause


def can_view_inspection(user, inspection: Inspection) -> bool:
    """Submitted inspections: readers in scope. Drafts: only their inspector (and admins)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if inspection.inspector_id == user.id:
        return True
    if inspection.status != "submitted" and not user.has_role("admin"):
        return False
    return user.has_role(*READER_ROLES) and in_scope(user, inspection.site_id)


def can_edit_inspection(user, inspection: Inspection) -> bool:
    return inspection.status == "draft" and inspection.inspector_id == user.id


def can_view_photo(user, photo: Photo, session=None) -> bool:
    """A photo attached to a finding follows the finding; before that, the uploader and those who
    may see its inspection."""
    session = session or db.session
    if photo.finding_id is not None:
        finding = session.get(Finding, photo.finding_id)
        return finding is not None and can_view_finding(user, finding)
    if photo.uploaded_by_id is not None and photo.uploaded_by_id == user.id:
        return True
    if photo.inspection_uuid:
        inspection = session.scalars(
            sa.select(Inspection).where(Inspection.uuid == photo.inspection_uuid)
        ).first()
        return inspection is not None and can_view_inspection(user, inspection)
    return False
