"""Who may see a rectification and act on it. The rule that a responder never verifies their own
response lives here, and only here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from compliance.access import in_scope
from compliance.domain import N_, ConflictError, DomainError, ForbiddenError
from compliance.models import User

from ..models import AWAITING_RESPONSE, Rectification

SUPERVISING_ROLES = ("admin", "inspector", "discipline", "hr", "leader")
VERIFYING_ROLES = ("admin", "inspector")


def can_view(user: User, rect: Rectification, session: Session | None = None) -> bool:
    """The responsible person and their supervisor, and the supervising roles in scope."""
    if user.staff_member_id and user.staff_member_id in (
        rect.responsible_staff_id,
        rect.supervisor_staff_id,
    ):
        return True
    return user.has_role(*SUPERVISING_ROLES) and in_scope(user, rect.site_id, session)


def respond_refusal(user: User, rect: Rectification) -> DomainError | None:
    """Why `user` may not respond now (None when they may)."""
    if not user.staff_member_id or user.staff_member_id != rect.responsible_staff_id:
        return ForbiddenError(
            "rectification.not_responsible",
            N_("Only the responsible staff member can respond to this rectification."),
        )
    if rect.status not in AWAITING_RESPONSE:
        return ConflictError(
            "rectification.not_awaiting_response",
            N_("This rectification is not waiting for a response."),
        )
    return None


def verify_refusal(
    user: User, rect: Rectification, session: Session | None = None
) -> DomainError | None:
    """Why `user` may not verify or reject now (None when they may).

    Whoever responded never verifies that response, whatever roles they hold now and whoever is
    responsible now; nor does the responsible staff member.
    """
    if not user.has_role(*VERIFYING_ROLES) or not in_scope(user, rect.site_id, session):
        return ForbiddenError(
            "rectification.not_inspector", N_("Only an inspector can verify a rectification.")
        )
    if rect.responded_by_id == user.id or (
        user.staff_member_id and user.staff_member_id == rect.responsible_staff_id
    ):
        return ForbiddenError(
            "rectification.own_response",
            N_("You responded to this rectification yourself; another inspector must verify it."),
        )
    if rect.status != "responded":
        return ConflictError(
            "rectification.nothing_to_verify",
            N_("This rectification has no response waiting for verification."),
        )
    return None
