"""Registering a lead: a failure on an integrity check item or an upheld complaint of an
integrity category becomes a case, and the site's discipline officers are told at once (in the
app only). No rectification is opened and the accused is not told anything."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import scope_ids
from compliance.db import utcnow
from compliance.domain import N_
from compliance.models import Assignment, Site, User, UserRole
from compliance.timeutil import local_today, to_local

from ...complaints.models import ConductRecord
from ...models import CheckItemVersion, Finding
from ...rectification.services.responsibility import users_with_role_for_site
from ..models import IntegrityCase
from .steps import add_event, case_link, notify

logger = logging.getLogger(__name__)


def officers_for(session: Session, case: IntegrityCase, cache: dict | None = None) -> list[User]:
    """The discipline officers whose scope covers the case's site (never the accused); when a site
    has none, its administrators, so a lead is never left unseen."""
    people = users_with_role_for_site(session, "discipline", case.site_id, cache)
    if not people:
        people = users_with_role_for_site(session, "admin", case.site_id, cache)
    return [
        u for u in people if not (u.staff_member_id and u.staff_member_id == case.accused_staff_id)
    ]


def admins_for(session: Session, case: IntegrityCase, cache: dict | None = None) -> list[User]:
    return [
        u
        for u in users_with_role_for_site(session, "admin", case.site_id, cache)
        if not (u.staff_member_id and u.staff_member_id == case.accused_staff_id)
    ]


def _register(session: Session, actor: User | None, case: IntegrityCase, data: dict) -> None:
    session.add(case)
    session.flush()
    add_event(session, actor, case, "registered", data=data)
    site = session.get(Site, case.site_id)
    notify(
        session,
        officers_for(session, case),
        "integrity.registered",
        N_("New integrity lead %(number)s at %(site)s: %(title)s"),
        link=case_link(case),
        entity=case,
        number=case.number,
        site=site.name if site else "",
        title=case.title[:60],
    )
    logger.info("integrity case %s registered (%s)", case.id, case.source)


def open_for_finding(session: Session, actor: User | None, finding: Finding) -> IntegrityCase:
    """Register the case of a finding on an integrity item (idempotent: returns the existing
    one). The accused is the staff member the finding names."""
    existing = session.scalar(
        sa.select(IntegrityCase).where(IntegrityCase.finding_id == finding.id)
    )
    if existing is not None:
        return existing
    item_id = (
        session.scalar(
            sa.select(CheckItemVersion.item_id).where(
                CheckItemVersion.id == finding.item_version_id
            )
        )
        if finding.item_version_id
        else None
    )
    details = [t for t in (finding.reason, finding.note) if t]
    case = IntegrityCase(
        source="finding",
        finding_id=finding.id,
        site_id=finding.site_id,
        window_id=finding.window_id,
        accused_staff_id=finding.staff_member_id,
        check_item_id=item_id,
        title=finding.description[:300],
        summary="\n".join(details) or None,
        status="registered",
        registered_at=utcnow(),
        registered_on=to_local(finding.found_at).date() if finding.found_at else local_today(),
        registered_by_id=actor.id if actor else None,
    )
    _register(session, actor, case, {"finding_id": finding.id})
    return case


def open_for_complaint(
    session: Session, actor: User | None, complaint: ConductRecord, on: date | None = None
) -> IntegrityCase:
    """Register the case of an upheld complaint of an integrity category (idempotent)."""
    existing = session.scalar(
        sa.select(IntegrityCase).where(IntegrityCase.complaint_id == complaint.id)
    )
    if existing is not None:
        return existing
    window_id = complaint.window_id
    if window_id is None and complaint.staff_member_id:
        window_id = session.scalar(
            sa.select(Assignment.window_id).where(
                Assignment.staff_member_id == complaint.staff_member_id,
                Assignment.ended_on.is_(None),
            )
        )
    item_id = complaint.check_item_id or (
        complaint.category.check_item_id if complaint.category else None
    )
    prefix = f"【{complaint.category.name_zh}】" if complaint.category else ""
    case = IntegrityCase(
        source="complaint",
        complaint_id=complaint.id,
        site_id=complaint.site_id,
        window_id=window_id,
        accused_staff_id=complaint.staff_member_id,
        check_item_id=item_id,
        title=(prefix + complaint.text)[:300],
        summary=complaint.outcome_reason,
        status="registered",
        registered_at=utcnow(),
        registered_on=on or local_today(),
        registered_by_id=actor.id if actor else None,
    )
    _register(session, actor, case, {"complaint_id": complaint.id})
    return case


def officer_choices(session: Session, case: IntegrityCase) -> list[User]:
    """Discipline officers who may be assigned the case (active, scope covers the site, not the
    accused)."""
    users = session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "discipline", User.active.is_(True))
        .order_by(User.display_name, User.id)
    )
    out = []
    for user in users:
        ids = scope_ids(user, session)
        if ids is not None and case.site_id not in ids:
            continue
        if user.staff_member_id and user.staff_member_id == case.accused_staff_id:
            continue
        out.append(user)
    return out
