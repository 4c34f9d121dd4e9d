"""Who may see an integrity case and act on it. The rules live here and only here: pages, the
API, the photo route and the ledger all ask these functions.

Only discipline officers and administrators whose scope includes the case's site see a case, and
never the accused themself (a discipline officer named in a lead does not read it). Everyone
else gets 404 for a case, so its existence is not revealed. The accused sees the conclusion
notice once it has been notified to them (`can_read_notice`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from compliance.access import in_scope
from compliance.domain import N_, ConflictError, ForbiddenError, NotFoundError
from compliance.models import User

from ..models import IntegrityCase

CASE_ROLES = ("discipline", "admin")


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_view_case(user: User, case: IntegrityCase, session: Session | None = None) -> bool:
    if not _signed_in(user) or not user.has_role(*CASE_ROLES):
        return False
    if user.staff_member_id is not None and user.staff_member_id == case.accused_staff_id:
        return False
    return in_scope(user, case.site_id, session)


def not_found(case_id) -> NotFoundError:
    return NotFoundError("integrity.not_found", N_("No such integrity case."), id=case_id)


def require_view(user: User, case: IntegrityCase | None, session=None) -> IntegrityCase:
    """The case when `user` may see it; raises NotFoundError otherwise (never 403)."""
    if case is None or not can_view_case(user, case, session):
        raise not_found(getattr(case, "id", None))
    return case


def can_work(user: User, case: IntegrityCase, session: Session | None = None) -> bool:
    """Record verification work and steps: the assigned officer, or an administrator."""
    return can_view_case(user, case, session) and (
        user.id == case.officer_id or user.has_role("admin")
    )


def require_work(user: User, case: IntegrityCase, session=None) -> None:
    require_view(user, case, session)
    if not can_work(user, case, session):
        raise ForbiddenError(
            "integrity.not_officer",
            N_("Only the officer handling this case or an administrator can do this."),
        )


def approval_refusal(user: User, case: IntegrityCase, session=None) -> Exception | None:
    """Why `user` may not approve or return the proposed conclusion (None when they may): a
    second discipline officer or an administrator, never the one who proposed it."""
    if not can_view_case(user, case, session):
        return not_found(case.id)
    if not case.awaiting_approval:
        return ConflictError(
            "integrity.nothing_to_approve", N_("No conclusion is waiting for approval.")
        )
    if user.id == case.proposed_by_id:
        return ForbiddenError(
            "integrity.own_conclusion",
            N_(
                "You proposed this conclusion; a second discipline officer or an administrator "
                "must approve it."
            ),
        )
    return None


def can_read_notice(user: User, case: IntegrityCase) -> bool:
    """The accused reads the conclusion once it has been notified to them."""
    return (
        _signed_in(user)
        and case.accused_notified_at is not None
        and user.staff_member_id is not None
        and user.staff_member_id == case.accused_staff_id
    )
