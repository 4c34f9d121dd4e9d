"""Appeals (申诉) against findings: filed by the staff member concerned (or the window's keeper)
within the scheme's working days; decided by a discipline officer who did not make the finding.
Accepting an appeal voids the finding through inspections (its rectification is cancelled)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import in_scope, scope_filter
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import (
    N_,
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    StaleError,
)
from compliance.limits import checked_text
from compliance.models import User
from compliance.notifications import notify_each
from compliance.periods import month_start
from compliance.timeutil import local_today, to_local
from inspections.public import Finding, WindowKeeper, add_working_days, store_photo, void_finding

from ..models import Appeal, AppealPhoto
from .common import closed_month, users_with_role
from .schemes import scheme_for

REASON_LIMIT = 2000
MAX_PHOTOS = 6
OUTCOMES = ("upheld", "accepted")


def appealable_finding(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None or finding.is_integrity:
        raise NotFoundError("evaluation.finding_not_found", N_("This finding does not exist."))
    return finding


def keeper_of(session: Session, window_id: int | None) -> int | None:
    if window_id is None:
        return None
    return session.scalar(
        sa.select(WindowKeeper.keeper_staff_id).where(WindowKeeper.window_id == window_id)
    )


def may_appeal(session: Session, user: User, finding: Finding) -> bool:
    """The staff member the finding is about, or the keeper of the window it is about."""
    own = user.staff_member_id
    if own is None:
        return False
    if finding.staff_member_id is not None:
        return finding.staff_member_id == own
    return keeper_of(session, finding.window_id) == own


def found_on(finding: Finding) -> date:
    return to_local(finding.found_at).date()


def appeal_deadline(session: Session, finding: Finding) -> date | None:
    """The last day an appeal can be filed (None: no scheme, no appeals)."""
    scheme = scheme_for(session, found_on(finding))
    if scheme is None:
        return None
    return add_working_days(session, found_on(finding), scheme.appeal_days)


def file_appeal(
    session: Session,
    actor: User,
    finding_id: int,
    reason: str | None,
    photos: list[bytes] = (),
    *,
    upload_folder: str | None = None,
    today: date | None = None,
) -> Appeal:
    """File an appeal. Raises NotFoundError (no such finding), ForbiddenError (not the person
    concerned), InvalidError (reason missing or too long, too many or bad photos), DomainError
    "evaluation.appeal_too_late" (after the appeal window) and ConflictError (the finding is
    void, already appealed, or its month is closed)."""
    finding = appealable_finding(session, finding_id)
    if not may_appeal(session, actor, finding):
        raise ForbiddenError(
            "evaluation.appeal_not_yours",
            N_("Only the person concerned or the window's keeper can appeal this finding."),
        )
    text = checked_text(
        reason,
        REASON_LIMIT,
        field="reason",
        required=N_("Give the reasons for the appeal."),
        required_code="evaluation.reason_required",
        code="evaluation.reason_too_long",
    )
    if len(photos) > MAX_PHOTOS:
        raise InvalidError(
            "evaluation.too_many_photos",
            N_("At most %(n)s photos per appeal."),
            field="photos",
            n=MAX_PHOTOS,
        )
    if finding.voided_at is not None:
        raise ConflictError("evaluation.finding_void", N_("This finding has been voided."))
    month = month_start(found_on(finding))
    if closed_month(session, month.year, month.month) is not None:
        raise ConflictError(
            "evaluation.month_closed", N_("The month of this finding is closed."), field="month"
        )
    deadline = appeal_deadline(session, finding)
    if deadline is None or (today or local_today()) > deadline:
        raise DomainError(
            "evaluation.appeal_too_late",
            N_("Appeals against this finding were possible until %(day)s."),
            day=deadline.isoformat() if deadline else "-",
        )
    if session.scalar(sa.select(Appeal.id).where(Appeal.finding_id == finding.id).limit(1)):
        raise ConflictError(
            "evaluation.already_appealed", N_("This finding has already been appealed.")
        )
    appeal = Appeal(
        finding_id=finding.id,
        site_id=finding.site_id,
        staff_member_id=actor.staff_member_id,
        filed_by_id=actor.id,
        month=month,
        reason=text,
    )
    session.add(appeal)
    session.flush()
    for data in photos:
        photo = store_photo(session, actor, data, upload_folder=upload_folder)
        appeal.photos.append(AppealPhoto(photo_id=photo.id))
    session.flush()
    after = snapshot(appeal)
    after["photo_ids"] = [p.photo_id for p in appeal.photos]
    record(session, actor, "evaluation.appeal_file", appeal, after=after)
    deciders = [
        u
        for u in users_with_role(session, "discipline")
        if u.id != finding.found_by_id and in_scope(u, finding.site_id, session)
    ]
    notify_each(
        session,
        deciders,
        "evaluation.appeal",
        N_("New appeal against a finding: %(text)s"),
        link=f"/evaluation/appeals/{appeal.id}",
        entity=appeal,
        text=finding.description[:80],
    )
    return appeal


def decide_appeal(
    session: Session,
    actor: User,
    appeal: Appeal,
    outcome: str | None,
    note: str | None,
    expected_version: int | None,
) -> Appeal:
    """Decide an open appeal: "upheld" (the finding stands) or "accepted" (the finding is voided
    and its rectification cancelled). Raises InvalidError (outcome or note), ForbiddenError (the
    decider made the finding), StaleError (version), ConflictError (already decided, or the
    month is closed)."""
    if outcome not in OUTCOMES:
        raise InvalidError(
            "evaluation.outcome_invalid", N_("Choose upheld or accepted."), field="outcome"
        )
    text = checked_text(
        note,
        REASON_LIMIT,
        field="note",
        required=N_("Give the reasons for the decision."),
        required_code="evaluation.note_required",
        code="evaluation.note_too_long",
    )
    if expected_version is None or int(expected_version) != appeal.version:
        raise StaleError(
            "evaluation.appeal_changed",
            N_("This appeal has changed in the meantime; reload the page."),
        )
    if appeal.status != "open":
        raise ConflictError("evaluation.appeal_decided", N_("This appeal has been decided."))
    finding = session.get(Finding, appeal.finding_id)
    if finding.found_by_id == actor.id:
        raise ForbiddenError(
            "evaluation.own_finding",
            N_("A discipline officer who did not make the finding decides the appeal."),
        )
    if closed_month(session, appeal.month.year, appeal.month.month) is not None:
        raise ConflictError(
            "evaluation.month_closed", N_("The month of this finding is closed."), field="month"
        )
    before = snapshot(appeal)
    appeal.status = outcome
    appeal.decided_by_id = actor.id
    appeal.decided_at = utcnow()
    appeal.decision_note = text
    try:
        session.flush()
    except sa.orm.exc.StaleDataError as exc:
        raise StaleError(
            "evaluation.appeal_changed",
            N_("This appeal has changed in the meantime; reload the page."),
        ) from exc
    record(session, actor, "evaluation.appeal_decide", appeal, before=before, reason=text)
    if outcome == "accepted":
        void_finding(session, actor, finding.id, text)
    filer = session.get(User, appeal.filed_by_id)
    notify_each(
        session,
        [filer],
        "evaluation.appeal",
        N_("Your appeal was accepted: the finding is void.")
        if outcome == "accepted"
        else N_("Your appeal was not accepted: the finding stands."),
        body_msgid=N_("Reasons: %(note)s"),
        link=f"/evaluation/appeals/{appeal.id}",
        entity=appeal,
        note=text,
    )
    return appeal


def own_recent_findings(session: Session, user: User, days: int = 31) -> list[Finding]:
    """Findings of the last `days` about the user or a window they keep, not void."""
    own = user.staff_member_id
    if own is None:
        return []
    since = utcnow() - timedelta(days=days)
    kept = sa.select(WindowKeeper.window_id).where(WindowKeeper.keeper_staff_id == own)
    return list(
        session.scalars(
            sa.select(Finding)
            .where(
                Finding.found_at >= since,
                Finding.voided_at.is_(None),
                Finding.is_integrity.is_(False),
                sa.or_(
                    Finding.staff_member_id == own,
                    sa.and_(Finding.staff_member_id.is_(None), Finding.window_id.in_(kept)),
                ),
            )
            .order_by(Finding.found_at.desc())
            .limit(100)
        )
    )


def appeals_query(user: User, status: str | None = None, month: date | None = None):
    """Appeals the user may see: their own (staff), or every appeal at sites in scope."""
    query = sa.select(Appeal).order_by(Appeal.filed_at.desc(), Appeal.id.desc())
    if not user.has_role("admin", "inspector", "hr", "discipline", "leader"):
        query = query.where(Appeal.filed_by_id == user.id)
    else:
        query = query.where(scope_filter(user, Appeal.site_id))
    if status:
        query = query.where(Appeal.status == status)
    if month:
        query = query.where(Appeal.month == month_start(month))
    return query


def get_appeal(session: Session, user: User, appeal_id: int) -> Appeal:
    """An appeal the user may see; NotFoundError otherwise."""
    appeal = session.get(Appeal, appeal_id)
    visible = appeal is not None and (
        appeal.filed_by_id == user.id
        or (
            user.has_role("admin", "inspector", "hr", "discipline", "leader")
            and in_scope(user, appeal.site_id, session)
        )
    )
    if not visible:
        raise NotFoundError("evaluation.appeal_not_found", N_("This appeal does not exist."))
    return appeal
