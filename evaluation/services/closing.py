"""Closing a month: the scores frozen in `ScoreSnapshot` rows with the scheme version, each
staff member with an account told their score and its reasons; re-opening by an admin with a
reason; the close-day reminder."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, ForbiddenError, NotFoundError
from compliance.limits import checked_text
from compliance.models import User
from compliance.notifications import notify_each
from compliance.periods import month_start, next_month
from compliance.timeutil import local_today

from ..models import Appeal, MonthClose, ScoreSnapshot
from .common import closed_month, users_with_role
from .schemes import scheme_for
from .scoring import compute_month

REASON_LIMIT = 2000
DETAIL_IN_NOTICE = 5  # reasons listed in a staff member's notification


def close_day(session: Session, month: date) -> date | None:
    """The first day the month may be closed (the scheme's day of the next month)."""
    scheme = scheme_for(session, month)
    if scheme is None:
        return None
    return next_month(month_start(month)).replace(day=scheme.close_day)


def open_appeals(session: Session, month: date, site_ids=None) -> list[Appeal]:
    query = sa.select(Appeal).where(Appeal.month == month_start(month), Appeal.status == "open")
    if site_ids is not None:
        query = query.where(Appeal.site_id.in_(sorted(site_ids)))
    return list(session.scalars(query.order_by(Appeal.filed_at)))


def close_month(
    session: Session, actor: User, month: date, *, today: date | None = None
) -> MonthClose:
    """Close the month for every site. Raises ForbiddenError (the closer does not see every
    site), DomainError "evaluation.too_early" (before the close day) or
    "evaluation.no_scheme", ConflictError (already closed; open appeals, listed in details)."""
    month = month_start(month)
    today = today or local_today()
    if not actor.all_sites:
        raise ForbiddenError(
            "evaluation.close_scope", N_("Closing a month takes a user who sees every site.")
        )
    scheme = scheme_for(session, month)
    if scheme is None:
        raise DomainError(
            "evaluation.no_scheme", N_("No assessment scheme applies to this month."), field="month"
        )
    ready = next_month(month).replace(day=scheme.close_day)
    if today < ready:
        raise DomainError(
            "evaluation.too_early",
            N_("This month can be closed from %(day)s."),
            field="month",
            day=ready.isoformat(),
        )
    if closed_month(session, month.year, month.month) is not None:
        raise ConflictError("evaluation.already_closed", N_("This month is already closed."))
    pending = open_appeals(session, month)
    if pending:
        raise ConflictError(
            "evaluation.open_appeals",
            N_("%(n)s appeals of this month are still open; decide them first."),
            field="month",
            details=[(N_("Appeal #%(id)s"), {"id": a.id}) for a in pending],
            n=len(pending),
        )
    scores = compute_month(session, scheme, month)
    close = MonthClose(
        month=month,
        status="closed",
        scheme_id=scheme.id,
        closed_by_id=actor.id,
        closed_at=utcnow(),
        staff_count=len(scores.staff),
        window_count=len(scores.windows),
        site_count=len(scores.sites),
    )
    session.add(close)
    session.flush()
    rows = [
        {
            "close_id": close.id,
            "subject_kind": s.kind,
            "subject_id": s.id,
            "name": s.name[:200],
            "site_id": s.site_id,
            "window_id": s.window_id,
            "post_id": s.post_id,
            "score": s.score,
            "rank": s.rank,
            "stars": s.stars,
            "card": s.card,
            "deductions": s.deductions,
            "bonuses": s.bonuses,
            "major_count": s.major_count,
            "critical_count": s.critical_count,
            "detail": [i.as_dict() for i in s.items],
        }
        for group in (scores.staff, scores.windows, scores.sites)
        for s in group.values()
    ]
    if rows:
        session.execute(sa.insert(ScoreSnapshot), rows)
    record(
        session,
        actor,
        "evaluation.month_close",
        close,
        after={**snapshot(close), "scheme_version": scheme.version},
    )
    _notify_staff(session, close, scores)
    return close


def _notify_staff(session: Session, close: MonthClose, scores) -> int:
    """Each staff member with an account: their score, rank and first reasons (one flush)."""
    # Only the columns a notification needs (no User objects with their roles and sites).
    users = session.execute(
        sa.select(
            User.id,
            User.staff_member_id,
            User.locale,
            User.active,
            User.email,
            User.email_opt_out,
        ).where(User.staff_member_id.is_not(None), User.active)
    ).all()
    users = [u for u in users if u.staff_member_id in scores.staff]
    label = close.month.strftime("%Y-%m")

    def own(user: User) -> dict:
        score = scores.staff[user.staff_member_id]
        reasons = "; ".join(f"{i.points:+g} {i.label}" for i in score.items[:DETAIL_IN_NOTICE])
        return {
            "link": f"/evaluation/scores/staff/{score.id}?month={label}",
            "score": f"{score.score:g}",
            "rank": score.rank,
            "deductions": f"{score.deductions:g}",
            "bonuses": f"{score.bonuses:g}",
            "reasons": reasons or "-",
        }

    return notify_each(
        session,
        users,
        "evaluation.score",
        N_("Your assessment score for %(month)s: %(score)s (rank %(rank)s)"),
        body_msgid=N_("Deductions %(deductions)s, bonuses %(bonuses)s. %(reasons)s"),
        per_user=own,
        month=label,
    )


def reopen_month(session: Session, actor: User, month: date, reason: str | None) -> MonthClose:
    """Re-open a closed month (admins; the view checks the role). The close and its snapshot
    stay as history. Raises InvalidError (reason), NotFoundError (not closed)."""
    text = checked_text(
        reason,
        REASON_LIMIT,
        field="reason",
        required=N_("Give the reason for re-opening the month."),
        required_code="evaluation.reason_required",
        code="evaluation.reason_too_long",
    )
    month = month_start(month)
    close = closed_month(session, month.year, month.month)
    if close is None:
        raise NotFoundError("evaluation.not_closed", N_("This month is not closed."), field="month")
    before = snapshot(close)
    close.status = "reopened"
    close.reopened_by_id = actor.id
    close.reopened_at = utcnow()
    close.reopen_reason = text
    session.flush()
    record(session, actor, "evaluation.month_reopen", close, before=before, reason=text)
    return close


def remind_close(session: Session, run_on: date) -> int:
    """On the close day of the previous month, remind the discipline officers that it is still
    open. Idempotent for a date (one notification per officer and month)."""
    month = month_start(month_start(run_on) - timedelta(days=1))
    scheme = scheme_for(session, month)
    if scheme is None or run_on.day != scheme.close_day:
        return 0
    if closed_month(session, month.year, month.month) is not None:
        return 0
    label = month.strftime("%Y-%m")
    pending = len(open_appeals(session, month))
    return notify_each(
        session,
        users_with_role(session, "discipline"),
        "evaluation.close_due",
        N_("The assessment of %(month)s can be closed today"),
        body_msgid=N_("Open appeals: %(n)s."),
        link=f"/evaluation/close?month={label}",
        dedupe_key=f"evaluation.close_due:{label}",
        month=label,
        n=pending,
    )


def snapshot_rows(session: Session, close: MonthClose, kind: str, site_ids=None):
    query = sa.select(ScoreSnapshot).where(
        ScoreSnapshot.close_id == close.id, ScoreSnapshot.subject_kind == kind
    )
    if site_ids is not None:
        query = query.where(ScoreSnapshot.site_id.in_(sorted(site_ids)))
    return list(session.scalars(query.order_by(ScoreSnapshot.rank, ScoreSnapshot.name)))
