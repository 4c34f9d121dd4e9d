"""The drawn team of a spot check (双随机): who belongs to it, opening (which starts the clock) and
the rules that keep signatures meaningful. Patrols have no team and none of this applies.

Kept free of the round and submission services so both can use it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.domain import N_, ConflictError, ForbiddenError
from compliance.models import User

from ..models import CheckResult, Inspection, InspectionInspector


def took_part(user_id: int):
    """A WHERE clause: inspections `user_id` took part in, i.e. their patrols and the spot checks
    they signed (being drawn is not taking part)."""
    signed = sa.select(InspectionInspector.inspection_id).where(
        InspectionInspector.user_id == user_id, InspectionInspector.signed_at.is_not(None)
    )
    unteamed = ~sa.exists().where(InspectionInspector.inspection_id == Inspection.id)
    return sa.or_(sa.and_(Inspection.inspector_id == user_id, unteamed), Inspection.id.in_(signed))


def team_member(inspection: Inspection, user: User) -> InspectionInspector | None:
    return next((m for m in inspection.team if m.user_id == user.id), None)


def unsigned_members(inspection: Inspection) -> list[InspectionInspector]:
    return [m for m in inspection.team if m.signed_at is None]


def mark_opened(
    session: Session,
    actor: User,
    inspection: Inspection,
    member: InspectionInspector,
    *,
    now: datetime,
    device_time: datetime | None = None,
) -> bool:
    """Record that a team member opened the spot check. The first opening starts the check's
    clock (until then `started_at` is the time of the draw). Returns False when the member had
    opened it already (nothing changes)."""
    if member.opened_at is not None:
        return False
    first = not inspection.is_opened
    member.opened_at = now
    if first:
        inspection.started_at = now
        inspection.device_started_at = device_time
    session.flush()
    record(
        session,
        actor,
        "inspection.open",
        inspection,
        after={"user_id": actor.id, "opened_at": now.isoformat(), "starts_clock": first},
    )
    return True


def refuse_signed_changes(
    inspection: Inspection, actor: User, result: CheckResult | None = None
) -> None:
    """Before a failure of a spot check is marked, changed or removed: only a team member who has
    not signed yet may do it, and a failure an earlier signature covered stays as confirmed.

    Raises ForbiddenError for someone outside the team, ConflictError otherwise."""
    if not inspection.team:
        return
    member = team_member(inspection, actor)
    if member is None:
        raise ForbiddenError(
            "inspections.not_in_team", N_("Only the drawn inspectors work on this spot check.")
        )
    if member.signed_at is not None:
        raise ConflictError(
            "inspections.already_signed",
            N_("You have signed this spot check; it can no longer be changed by you."),
        )
    if result is not None and result.id is not None:
        for other in inspection.team:
            if other.signed_at is not None and result.id in (other.signed_result_ids or []):
                raise ConflictError(
                    "inspections.failure_signed",
                    N_(
                        "%(name)s confirmed this failure with a signature; it cannot be changed "
                        "or removed. Record an additional failure instead."
                    ),
                    name=other.user.display_name,
                )


def refuse_unsigned(inspection: Inspection) -> None:
    """A spot check is submitted only when every drawn inspector has signed it.

    Raises ConflictError naming who has not signed."""
    missing = unsigned_members(inspection)
    if inspection.team and missing:
        raise ConflictError(
            "inspections.signatures_missing",
            N_("Every drawn inspector must sign this spot check; not signed yet: %(names)s."),
            names="、".join(m.user.display_name for m in missing),
        )
