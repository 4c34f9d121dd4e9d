"""Recording a complaint (about a staff member, a window or a site) or a commendation (of a staff
member). A complaint starts being verified at once, with a deadline in working days, and the
person verifying it (or the site's discipline officers) is told."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance import limits
from compliance.access import in_scope, scope_ids
from compliance.audit import record
from compliance.domain import N_, InvalidError
from compliance.limits import checked_text
from compliance.models import Site, StaffMember, User, UserRole, Window
from compliance.timeutil import local_today

from ...models import SEVERITIES, CheckItem
from ..models import (
    COMPLAINT_SUBJECTS,
    CONDUCT_KINDS,
    CONDUCT_SOURCES,
    ComplaintCategory,
    ConductRecord,
)
from .access import DECIDE_ROLES, RECORD_ROLES, require_role
from .common import clean_text, notify, officers_for, verify_due

logger = logging.getLogger(__name__)

MAX_CONTACT = 64


def resolve_subject(
    session: Session,
    actor: User | None,
    subject: str | None,
    *,
    staff_member_id: int | None,
    window_id: int | None,
    site_id: int | None,
) -> tuple[str, StaffMember | None, Window | None, Site]:
    """(subject, staff member, window, site) of a complaint; the subject defaults to the most
    specific thing named. Raises InvalidError naming the field; anything outside the actor's scope
    is unknown to them."""
    if subject is None:
        subject = "staff" if staff_member_id else "window" if window_id else "site"
    if subject not in COMPLAINT_SUBJECTS:
        raise InvalidError(
            "conduct.unknown_subject", N_("Unknown kind of subject."), field="subject"
        )

    def visible(site_id_):
        return actor is None or in_scope(actor, site_id_, session)

    if subject == "staff":
        staff = session.get(StaffMember, staff_member_id) if staff_member_id else None
        if staff is None or not visible(staff.site_id):
            raise InvalidError(
                "conduct.unknown_staff", N_("Unknown staff member."), field="staff_member_id"
            )
        return subject, staff, None, staff.site
    if subject == "window":
        window = session.get(Window, window_id) if window_id else None
        if window is None or not visible(window.site_id):
            raise InvalidError("conduct.unknown_window", N_("Unknown window."), field="window_id")
        return subject, None, window, window.site
    site = session.get(Site, site_id) if site_id else None
    if site is None or not visible(site.id):
        raise InvalidError("conduct.unknown_site", N_("Unknown site."), field="site_id")
    return subject, None, None, site


def resolve_classification(
    session: Session, category_id: int | None, check_item_id: int | None
) -> tuple[ComplaintCategory | None, CheckItem | None, bool]:
    """(category, check item, is integrity). The category's own check item is used when none is
    given. Raises InvalidError for an unknown or inactive category or item."""
    category = session.get(ComplaintCategory, category_id) if category_id else None
    if category_id and (category is None or not category.is_active):
        raise InvalidError(
            "conduct.unknown_category", N_("Unknown complaint category."), field="category_id"
        )
    item_id = check_item_id or (category.check_item_id if category else None)
    item = session.get(CheckItem, item_id) if item_id else None
    if item_id and item is None:
        raise InvalidError("conduct.unknown_item", N_("Unknown check item."), field="check_item_id")
    integrity = bool((category and category.is_integrity) or (item and item.is_integrity))
    return category, item, integrity


def handler_choices(session: Session, site_id: int) -> list[User]:
    """Who may verify complaints at a site: active discipline officers and administrators whose
    scope includes it."""
    users = session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(DECIDE_ROLES), User.active.is_(True))
        .order_by(User.display_name, User.id)
        .distinct()
    )
    out = []
    for user in users:
        ids = scope_ids(user, session)
        if ids is None or site_id in ids:
            out.append(user)
    return out


def record_conduct(
    session: Session,
    actor: User,
    *,
    kind: str,
    source: str,
    received_on: date | None,
    text: str | None,
    staff_member_id: int | None = None,
    subject: str | None = None,
    window_id: int | None = None,
    site_id: int | None = None,
    reference: str | None = None,
    severity: str = "minor",
    category_id: int | None = None,
    check_item_id: int | None = None,
    complainant_name: str | None = None,
    complainant_phone: str | None = None,
    handler_id: int | None = None,
    external_no: str | None = None,
    import_id: int | None = None,
    today: date | None = None,
    quiet: bool = False,
    verify_due_on: date | None = None,
) -> ConductRecord:
    """Record a complaint (being verified, with a deadline) or a commendation (kept on the staff
    member's record).

    Raises ForbiddenError ("conduct.forbidden") for a user who may not record, InvalidError
    ("conduct.*", naming the field) for an unknown kind/source/severity/subject/category/item or
    handler, a subject outside the actor's scope, a date in the future or empty text. `quiet`
    leaves the notice out and `verify_due_on` gives the deadline already worked out (an import
    does both once for the whole file)."""
    require_role(
        actor,
        RECORD_ROLES,
        "conduct.forbidden",
        N_("You may not record complaints or commendations."),
    )
    if kind not in CONDUCT_KINDS:
        raise InvalidError("conduct.unknown_kind", N_("Unknown kind of record."), field="kind")
    if source not in CONDUCT_SOURCES:
        raise InvalidError("conduct.unknown_source", N_("Unknown source."), field="source")
    if severity not in SEVERITIES:
        raise InvalidError("conduct.unknown_severity", N_("Unknown severity."), field="severity")
    if kind == "commendation" and subject not in (None, "staff"):
        raise InvalidError(
            "conduct.commendation_staff",
            N_("A commendation names a staff member."),
            field="subject",
        )
    subject, staff, window, site = resolve_subject(
        session,
        actor,
        subject,
        staff_member_id=staff_member_id,
        window_id=window_id,
        site_id=site_id,
    )
    today = today or local_today()
    if received_on is None or received_on > today:
        raise InvalidError(
            "conduct.future_date",
            N_("The date received cannot be in the future."),
            field="received_on",
        )
    text = clean_text(text, N_("Describe the complaint or commendation."))
    category, item, integrity = (
        resolve_classification(session, category_id, check_item_id)
        if kind == "complaint"
        else (None, None, False)
    )
    handler = None
    if kind == "complaint" and handler_id:
        handler = next((u for u in handler_choices(session, site.id) if u.id == handler_id), None)
        if handler is None:
            raise InvalidError(
                "conduct.unknown_handler",
                N_("Choose a discipline officer or an administrator of this site."),
                field="handler_id",
            )
    complaint = kind == "complaint"
    row = ConductRecord(
        kind=kind,
        source=source,
        subject=subject,
        staff_member_id=staff.id if staff else None,
        window_id=window.id if window else None,
        site_id=site.id,
        category_id=category.id if category else None,
        check_item_id=item.id if item else None,
        is_integrity=integrity,
        received_on=received_on,
        text=text,
        reference=checked_text(reference, limits.CONDUCT_REFERENCE, field="reference"),
        external_no=(external_no or "").strip()[:64] or None,
        complainant_name=(complainant_name or "").strip()[:MAX_CONTACT] or None,
        complainant_phone=(complainant_phone or "").strip()[:32] or None,
        severity=severity,
        status="verifying" if complaint else None,
        verify_due_on=(verify_due_on or verify_due(session, today)) if complaint else None,
        handler_id=handler.id if handler else None,
        outcome="pending" if complaint else None,
        recorded_by_id=actor.id,
        import_id=import_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, f"conduct.{kind}.create", row)
    if complaint and not quiet:
        people = [handler] if handler else officers_for(session, row)
        notify(
            session,
            row,
            [u for u in people if u is not None and u.id != actor.id],
            "received",
            N_("New complaint #%(id)s at %(site)s to verify by %(due)s"),
            id=row.id,
            site=site.name,
            due=row.verify_due_on.isoformat(),
        )
    logger.info("conduct record %s (%s, %s) by %s", row.id, kind, subject, actor.id)
    return row
