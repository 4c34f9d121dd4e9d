"""Domain rules of the rectification loop. Plain functions over a session: they flush and never
commit; the page, API, job or test that calls them owns the transaction.

Public functions raise `RectificationError` (a user-facing message) when a rule refuses an
action, and `RectificationChanged` when someone else acted on the same rectification first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from compliance.access import in_scope, scope_filter, site_tree_ids
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.models import Assignment, StaffMember, User, UserRole
from compliance.notifications import notify
from compliance.settings import declare, get_setting
from compliance.timeutil import local_day_bounds_utc, local_today, to_local

from ..models import SEVERITIES, Finding, Photo
from .models import (
    AWAITING_RESPONSE,
    OFFENCE_LEVELS,
    OPEN_STATUSES,
    AreaKeeper,
    ConductRecord,
    Holiday,
    Rectification,
    RectificationEvent,
    WindowKeeper,
)

logger = logging.getLogger(__name__)

DEADLINE_KEY = "rectification.deadline_working_days"
THRESHOLDS_KEY = "rectification.repeat_thresholds"
WINDOW_KEY = "rectification.repeat_window_days"
ESCALATE_KEY = "rectification.escalate_after_overdue_days"

declare(DEADLINE_KEY, {"critical": 0, "major": 3, "minor": 7})
declare(THRESHOLDS_KEY, {"reminder": 1, "written_notice": 2, "talk": 3})
declare(WINDOW_KEY, 90)
declare(ESCALATE_KEY, 3)

MAX_TEXT = 4000

LEVEL_LABELS = {
    "reminder": _l("Reminder"),
    "written_notice": _l("Written notice (书面提醒)"),
    "talk": _l("Candidate for a formal talk (约谈)"),
}


class RectificationError(ValueError):
    """A rule refused the action; `message` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RectificationForbidden(RectificationError):
    """The user may not take this action on this rectification (e.g. verify their own
    response)."""


class RectificationConflict(RectificationError):
    """The rectification is not in a state that allows the action."""


class RectificationChanged(RectificationConflict):
    """Someone else changed the rectification since it was loaded."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "This rectification has changed in the meantime; reload the page "
                "to see its current state."
            )
        )


# --- working-day calendar -------------------------------------------------------------------


def calendar_overrides(session: Session, start: date, end: date) -> dict[date, str]:
    """Holidays and adjusted working days between two dates (inclusive)."""
    rows = session.execute(
        sa.select(Holiday.day, Holiday.kind).where(Holiday.day >= start, Holiday.day <= end)
    ).all()
    return {day: kind for day, kind in rows}


def is_working_day(day: date, overrides: dict[date, str]) -> bool:
    kind = overrides.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def add_working_days(session: Session, start: date, days: int) -> date:
    """The date `days` working days after `start`. With 0, `start` itself when it is a working
    day, else the next working day (a same-day deadline found on a holiday falls on the next
    working day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    overrides = calendar_overrides(session, start, start + timedelta(days=days * 3 + 60))
    day = start
    if days == 0:
        while not is_working_day(day, overrides):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return day


def deadline_days(session: Session, severity: str) -> int:
    table = get_setting(session, DEADLINE_KEY) or {}
    defaults = {"critical": 0, "major": 3, "minor": 7}
    try:
        return max(0, int(table.get(severity, defaults[severity])))
    except (TypeError, ValueError):
        return defaults[severity]


def deadline_for(session: Session, severity: str, start: date) -> date:
    """The deadline of a rectification of `severity` whose clock starts on `start`."""
    return add_working_days(session, start, deadline_days(session, severity))


# --- who is responsible ---------------------------------------------------------------------


def window_assignee_id(session: Session, window_id: int) -> int | None:
    """The staff member currently assigned to a window (the longest-serving one if several)."""
    return session.scalar(
        sa.select(Assignment.staff_member_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Assignment.window_id == window_id,
            Assignment.ended_on.is_(None),
            StaffMember.status == "active",
        )
        .order_by(Assignment.started_on, Assignment.id)
        .limit(1)
    )


def window_assignees(session: Session, window_ids: Sequence[int]) -> dict[int, int]:
    """The current assignee of each window (the longest-serving one), in one query."""
    if not window_ids:
        return {}
    rows = session.execute(
        sa.select(Assignment.window_id, Assignment.staff_member_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Assignment.window_id.in_(window_ids),
            Assignment.ended_on.is_(None),
            StaffMember.status == "active",
        )
        .order_by(Assignment.started_on.desc(), Assignment.id.desc())
    ).all()
    return {window_id: staff_id for window_id, staff_id in rows}  # the earliest start wins


def responsible_for(
    session: Session,
    *,
    target: str,
    site_id: int,
    window_id: int | None,
    staff_member_id: int | None,
) -> tuple[int | None, int | None]:
    """(responsible staff id, supervisor staff id) for a finding's target.

    A staff finding is the staff member's own; a window finding goes to the window's keeper (or,
    without one, its current assignee); an area finding to the site's area keeper. The supervisor
    is the window's named supervisor, else the site's.
    """
    if target == "staff" and staff_member_id and not window_id:
        # The supervisor of a staff finding follows the window the person works at.
        window_id = session.scalar(
            sa.select(Assignment.window_id).where(
                Assignment.staff_member_id == staff_member_id, Assignment.ended_on.is_(None)
            )
        )
    window_keeper = session.get(WindowKeeper, window_id) if window_id else None
    area_keeper = session.get(AreaKeeper, site_id)
    if target == "staff" and staff_member_id:
        responsible = staff_member_id
    elif window_id:
        responsible = (
            window_keeper.keeper_staff_id if window_keeper else None
        ) or window_assignee_id(session, window_id)
    else:
        responsible = area_keeper.keeper_staff_id if area_keeper else None
    supervisor = (window_keeper.supervisor_staff_id if window_keeper else None) or (
        area_keeper.supervisor_staff_id if area_keeper else None
    )
    if supervisor == responsible:
        supervisor = None
    return responsible, supervisor


def users_for_staff(session: Session, staff_ids: Iterable[int | None]) -> dict[int, User]:
    ids = {i for i in staff_ids if i}
    if not ids:
        return {}
    users = session.scalars(
        sa.select(User).where(User.staff_member_id.in_(ids), User.active.is_(True))
    )
    return {u.staff_member_id: u for u in users}


def users_with_role_for_site(
    session: Session, role: str, site_id: int, _cache: dict | None = None
) -> list[User]:
    """Active users holding `role` whose scope includes the site."""
    cache = _cache if _cache is not None else {}
    key = ("role", role)
    if key not in cache:
        users = list(
            session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role, User.active.is_(True))
                .order_by(User.id)
            )
        )
        cache[key] = [
            (u, None if u.all_sites else site_tree_ids(session, u.scope_site_ids)) for u in users
        ]
    return [u for u, ids in cache[key] if ids is None or site_id in ids]


# --- permissions ----------------------------------------------------------------------------

SUPERVISING_ROLES = ("admin", "inspector", "discipline", "hr")
VERIFYING_ROLES = ("admin", "inspector")


def can_view(user: User, rect: Rectification, session: Session | None = None) -> bool:
    if user.staff_member_id and user.staff_member_id in (
        rect.responsible_staff_id,
        rect.supervisor_staff_id,
    ):
        return True
    return user.has_role(*SUPERVISING_ROLES) and in_scope(user, rect.site_id, session)


def respond_refusal(user: User, rect: Rectification) -> RectificationError | None:
    """Why `user` may not respond now (None when they may)."""
    if not user.staff_member_id or user.staff_member_id != rect.responsible_staff_id:
        return RectificationForbidden(
            _l("Only the responsible staff member can respond to this rectification.")
        )
    if rect.status not in AWAITING_RESPONSE:
        return RectificationConflict(_l("This rectification is not waiting for a response."))
    return None


def verify_refusal(
    user: User, rect: Rectification, session: Session | None = None
) -> RectificationError | None:
    """Why `user` may not verify or reject now (None when they may)."""
    if not user.has_role(*VERIFYING_ROLES) or not in_scope(user, rect.site_id, session):
        return RectificationForbidden(_l("Only an inspector can verify a rectification."))
    if rect.responded_by_id == user.id or (
        user.staff_member_id and user.staff_member_id == rect.responsible_staff_id
    ):
        return RectificationForbidden(
            _l("You responded to this rectification yourself; another inspector must verify it.")
        )
    if rect.status != "responded":
        return RectificationConflict(
            _l("This rectification has no response waiting for verification.")
        )
    return None


# --- the workflow ---------------------------------------------------------------------------


def _check_version(rect: Rectification, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != rect.version:
        raise RectificationChanged()


def _flush_change(session: Session, rect: Rectification) -> None:
    """Write the rectification row first (UPDATE ... WHERE version = :loaded): a concurrent
    change makes it match no row. Done before any other write so two racing transactions
    conflict here and nowhere else."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise RectificationChanged() from exc
    except sa.exc.OperationalError as exc:
        # SQLite refuses a write from a transaction whose snapshot another writer has
        # overtaken ("database is locked"): the same race, reported the same way.
        if session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            raise RectificationChanged() from exc
        raise


def _clean_text(text: str | None, required_message: str | None = None) -> str | None:
    text = (text or "").strip()
    if not text:
        if required_message:
            raise RectificationError(required_message)
        return None
    if len(text) > MAX_TEXT:
        raise RectificationError(_l("The text is too long (at most %(n)s characters).", n=MAX_TEXT))
    return text


def _add_event(
    session: Session,
    actor: User | None,
    rect: Rectification,
    kind: str,
    text: str | None = None,
    photos: Sequence[Photo] = (),
    data: dict | None = None,
    before: dict | None = None,
) -> RectificationEvent:
    event = RectificationEvent(
        rectification_id=rect.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        text=text,
        status_after=rect.status,
        deadline_after=rect.deadline_on,
        data=data,
    )
    event.photos = list(photos)
    session.add(event)
    session.flush()
    after = snapshot(rect)
    if photos:
        after["photo_ids"] = [p.id for p in photos]
    record(session, actor, f"rectification.{kind}", rect, before=before, after=after, reason=text)
    return event


def _local_date(value: datetime | None) -> date:
    return to_local(value).date() if value else local_today()


def _notify_each(
    session: Session,
    users: Iterable[User | None],
    kind: str,
    message,
    link: str | None,
    entity,
    dedupe_key: str | None,
    **params,
) -> int:
    """Notify each user in their own language; returns how many notices were created."""
    created = 0
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        with force_locale(user.locale or "zh"):
            title = str(message) % params if params else str(message)
        created += len(
            notify(session, user, kind, title, link=link, entity=entity, dedupe_key=dedupe_key)
        )
    return created


def rect_link(rect: Rectification) -> str:
    return f"/rectifications/{rect.id}"


def open_for_finding(session: Session, actor: User | None, finding: Finding) -> Rectification:
    """Open the rectification of a new finding (idempotent: returns the existing one).

    The deadline counts working days from the local date the finding was made.
    """
    existing = session.scalar(
        sa.select(Rectification).where(Rectification.finding_id == finding.id)
    )
    if existing is not None:
        return existing
    responsible, supervisor = responsible_for(
        session,
        target=finding.target,
        site_id=finding.site_id,
        window_id=finding.window_id,
        staff_member_id=finding.staff_member_id,
    )
    opened_on = _local_date(finding.found_at)
    deadline = deadline_for(session, finding.severity, opened_on)
    rect = Rectification(
        source="finding",
        finding_id=finding.id,
        site_id=finding.site_id,
        window_id=finding.window_id,
        category=finding.category,
        severity=finding.severity,
        title=finding.description[:300],
        responsible_staff_id=responsible,
        supervisor_staff_id=supervisor,
        status="open",
        opened_at=utcnow(),
        opened_on=opened_on,
        first_deadline_on=deadline,
        deadline_on=deadline,
    )
    session.add(rect)
    session.flush()
    if finding.staff_member_id:
        rect.offence_level = _apply_ladder(session, rect, finding.staff_member_id, opened_on)
        session.flush()
    _add_event(session, actor, rect, "opened", data={"finding_id": finding.id})
    _notify_opened(session, rect)
    logger.info(
        "rectification %s opened for finding %s (deadline %s)", rect.id, finding.id, deadline
    )
    return rect


def open_for_complaint(
    session: Session, actor: User | None, complaint: ConductRecord
) -> Rectification:
    """Open the rectification of an upheld complaint; its clock starts on the decision date."""
    existing = session.scalar(
        sa.select(Rectification).where(Rectification.complaint_id == complaint.id)
    )
    if existing is not None:
        return existing
    assignment = session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == complaint.staff_member_id, Assignment.ended_on.is_(None)
        )
    )
    window_id = assignment.window_id if assignment else None
    _responsible, supervisor = responsible_for(
        session,
        target="staff",
        site_id=complaint.site_id,
        window_id=window_id,
        staff_member_id=complaint.staff_member_id,
    )
    opened_on = local_today()
    deadline = deadline_for(session, complaint.severity, opened_on)
    rect = Rectification(
        source="complaint",
        complaint_id=complaint.id,
        site_id=complaint.site_id,
        window_id=window_id,
        category="conduct",
        severity=complaint.severity,
        title=complaint.text[:300],
        responsible_staff_id=complaint.staff_member_id,
        supervisor_staff_id=supervisor,
        status="open",
        opened_at=utcnow(),
        opened_on=opened_on,
        first_deadline_on=deadline,
        deadline_on=deadline,
    )
    session.add(rect)
    session.flush()
    rect.offence_level = _apply_ladder(session, rect, complaint.staff_member_id, opened_on)
    session.flush()
    _add_event(session, actor, rect, "opened", data={"complaint_id": complaint.id})
    _notify_opened(session, rect)
    return rect


def _notify_opened(session: Session, rect: Rectification) -> None:
    users = users_for_staff(session, [rect.responsible_staff_id])
    _notify_each(
        session,
        [users.get(rect.responsible_staff_id)],
        "rectification.opened",
        _l("A rectification was opened for you: %(title)s (deadline %(deadline)s)"),
        rect_link(rect),
        rect,
        None,
        title=rect.title[:80],
        deadline=rect.deadline_on.isoformat(),
    )


def respond(
    session: Session,
    actor: User,
    rect: Rectification,
    text: str | None,
    photos: Sequence[Photo] = (),
    expected_version: int | None = None,
) -> RectificationEvent:
    """The responsible staff member says what was done, with photos.

    Raises RectificationError (not the responsible person, not waiting for a response, no
    text) or RectificationChanged.
    """
    _check_version(rect, expected_version)
    refusal = respond_refusal(actor, rect)
    if refusal:
        raise refusal
    text = _clean_text(text, _l("Describe what was done."))
    before = snapshot(rect)
    rect.status = "responded"
    rect.responded_at = utcnow()
    rect.responded_by_id = actor.id
    _flush_change(session, rect)
    event = _add_event(session, actor, rect, "responded", text, photos, before=before)
    logger.info("rectification %s responded by %s", rect.id, actor.id)
    return event


def _close(rect: Rectification, actor: User | None, today: date) -> None:
    rect.status = "verified"
    rect.verified_by_id = actor.id if actor else None
    rect.closed_at = utcnow()
    rect.closed_on = today
    rect.days_to_close = (today - rect.opened_on).days
    rect.closed_on_time = today <= rect.deadline_on


def verify(
    session: Session,
    actor: User,
    rect: Rectification,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector accepts the response; the rectification is closed.

    Raises RectificationError (not an inspector, nothing to verify, own response) or
    RectificationChanged.
    """
    _check_version(rect, expected_version)
    refusal = verify_refusal(actor, rect, session)
    if refusal:
        raise refusal
    note = _clean_text(note)
    before = snapshot(rect)
    _close(rect, actor, today or local_today())
    _flush_change(session, rect)
    event = _add_event(session, actor, rect, "verified", note, before=before)
    users = users_for_staff(session, [rect.responsible_staff_id])
    _notify_each(
        session,
        [users.get(rect.responsible_staff_id)],
        "rectification.verified",
        _l("Your rectification was accepted: %(title)s"),
        rect_link(rect),
        rect,
        None,
        title=rect.title[:80],
    )
    logger.info("rectification %s verified by %s", rect.id, actor.id)
    return event


def reject(
    session: Session,
    actor: User,
    rect: Rectification,
    reason: str | None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector rejects the response with a reason; the rectification reopens with a new
    deadline counted from today, and its rejection count goes up.

    Raises RectificationError (not an inspector, nothing to verify, own response, no reason)
    or RectificationChanged.
    """
    _check_version(rect, expected_version)
    refusal = verify_refusal(actor, rect, session)
    if refusal:
        raise refusal
    reason = _clean_text(reason, _l("Give the reason for the rejection."))
    today = today or local_today()
    new_deadline = deadline_for(session, rect.severity, today)  # query before changing the row
    before = snapshot(rect)
    rect.status = "rejected"
    rect.rejection_count = (rect.rejection_count or 0) + 1
    rect.deadline_on = new_deadline
    _flush_change(session, rect)
    event = _add_event(
        session,
        actor,
        rect,
        "rejected",
        reason,
        before=before,
        data={"previous_deadline": before["deadline_on"]},
    )
    users = users_for_staff(session, [rect.responsible_staff_id])
    _notify_each(
        session,
        [users.get(rect.responsible_staff_id)],
        "rectification.rejected",
        _l("Your rectification response was rejected; new deadline %(deadline)s"),
        rect_link(rect),
        rect,
        None,
        deadline=rect.deadline_on.isoformat(),
    )
    logger.info("rectification %s rejected by %s", rect.id, actor.id)
    return event


def fix_on_spot(
    session: Session,
    actor: User,
    rect: Rectification,
    text: str | None,
    photos: Sequence[Photo],
    witness: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector records that the problem was fixed on the spot (现场整改), with a photo:
    the rectification is rectified and verified at once, with who saw it.

    Raises RectificationError (not an inspector, already closed, no photo) or
    RectificationChanged.
    """
    _check_version(rect, expected_version)
    if not actor.has_role(*VERIFYING_ROLES) or not in_scope(actor, rect.site_id, session):
        raise RectificationForbidden(_l("Only an inspector can record an on-the-spot fix."))
    if rect.status not in AWAITING_RESPONSE:
        raise RectificationConflict(_l("Only an open rectification can be fixed on the spot."))
    if not photos:
        raise RectificationError(_l("An on-the-spot fix needs a photo."))
    text = _clean_text(text)
    witness = (witness or "").strip()[:64] or actor.display_name
    before = snapshot(rect)
    now = utcnow()
    rect.fixed_on_spot = True
    rect.responded_at = now
    _close(rect, actor, today or local_today())
    _flush_change(session, rect)
    return _add_event(
        session,
        actor,
        rect,
        "fixed_on_spot",
        text,
        photos,
        before=before,
        data={"witness": witness},
    )


def add_comment(
    session: Session, actor: User, rect: Rectification, text: str | None
) -> RectificationEvent:
    """A note or a correction on the timeline (earlier events are never edited). Open to the
    supervising roles in scope and to the responsible person. Raises RectificationError."""
    if not (actor.has_role(*SUPERVISING_ROLES) and in_scope(actor, rect.site_id, session)) and not (
        actor.staff_member_id and actor.staff_member_id == rect.responsible_staff_id
    ):
        raise RectificationForbidden(_l("You may not comment on this rectification."))
    text = _clean_text(text, _l("Write the comment."))
    return _add_event(session, actor, rect, "comment", text)


def fix_finding_on_spot(
    session: Session,
    actor: User,
    finding: Finding,
    text: str | None,
    photos: Sequence[Photo],
    witness: str | None = None,
) -> Rectification:
    """For the patrol form: record a finding as fixed on the spot (现场整改) in the same
    transaction that created it. Raises RectificationError as `fix_on_spot`."""
    rect = open_for_finding(session, actor, finding)
    fix_on_spot(
        session, actor, rect, text, photos, witness=witness, today=_local_date(finding.found_at)
    )
    return rect


def reassign(
    session: Session,
    actor: User,
    rect: Rectification,
    responsible_staff_id: int | None,
    supervisor_staff_id: int | None,
    reason: str | None,
    expected_version: int | None = None,
) -> RectificationEvent:
    """An administrator corrects who is responsible (a new event; nothing is overwritten
    silently). Raises RectificationError or RectificationChanged."""
    _check_version(rect, expected_version)
    if not actor.has_role("admin") or not in_scope(actor, rect.site_id, session):
        raise RectificationForbidden(_l("Only an administrator can change who is responsible."))
    if not rect.is_open:
        raise RectificationConflict(_l("A closed rectification cannot be reassigned."))
    reason = _clean_text(reason, _l("Give the reason for the change."))
    for staff_id in (responsible_staff_id, supervisor_staff_id):
        if staff_id is not None and session.get(StaffMember, staff_id) is None:
            raise RectificationError(_l("Unknown staff member."))
    if responsible_staff_id is None:
        raise RectificationError(_l("Choose the responsible staff member."))
    before = snapshot(rect)
    rect.responsible_staff_id = responsible_staff_id
    rect.supervisor_staff_id = (
        supervisor_staff_id if supervisor_staff_id != responsible_staff_id else None
    )
    _flush_change(session, rect)
    event = _add_event(
        session,
        actor,
        rect,
        "reassigned",
        reason,
        before=before,
        data={"from": before["responsible_staff_id"], "to": responsible_staff_id},
    )
    _notify_opened(session, rect)
    return event


# --- repeat offences ------------------------------------------------------------------------


def ladder_thresholds(session: Session) -> dict[str, int]:
    raw = get_setting(session, THRESHOLDS_KEY) or {}
    defaults = {"reminder": 1, "written_notice": 2, "talk": 3}
    result = {}
    for level in OFFENCE_LEVELS:
        try:
            result[level] = max(1, int(raw.get(level, defaults[level])))
        except (TypeError, ValueError):
            result[level] = defaults[level]
    return result


def level_for(count: int, thresholds: dict[str, int]) -> str | None:
    """The highest ladder step reached by `count` offences."""
    level = None
    for name in OFFENCE_LEVELS:
        if count >= thresholds[name]:
            level = name
    return level


def _window_bounds(session: Session, on: date) -> tuple[date, datetime, datetime]:
    days = int(get_setting(session, WINDOW_KEY) or 90)
    first_day = on - timedelta(days=days - 1)
    return first_day, local_day_bounds_utc(first_day)[0], local_day_bounds_utc(on)[1]


def offence_counts(
    session: Session, on: date, staff_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Findings about each staff member plus upheld complaints, in the rolling window ending on
    `on` (inclusive)."""
    first_day, start, end = _window_bounds(session, on)
    q1 = sa.select(Finding.staff_member_id, sa.func.count(Finding.id)).where(
        Finding.staff_member_id.is_not(None), Finding.found_at >= start, Finding.found_at < end
    )
    q2 = sa.select(ConductRecord.staff_member_id, sa.func.count(ConductRecord.id)).where(
        ConductRecord.kind == "complaint",
        ConductRecord.outcome == "upheld",
        ConductRecord.received_on >= first_day,
        ConductRecord.received_on <= on,
    )
    if staff_ids is not None:
        ids = list(staff_ids)
        q1 = q1.where(Finding.staff_member_id.in_(ids))
        q2 = q2.where(ConductRecord.staff_member_id.in_(ids))
    counts: dict[int, int] = {}
    for query, column in ((q1, Finding.staff_member_id), (q2, ConductRecord.staff_member_id)):
        for staff_id, n in session.execute(query.group_by(column)).all():
            counts[staff_id] = counts.get(staff_id, 0) + n
    return counts


def _apply_ladder(session: Session, rect: Rectification, staff_id: int, on: date) -> str | None:
    """Step the staff member up the ladder and notify once per step and run of offences."""
    count = offence_counts(session, on, [staff_id]).get(staff_id, 0)
    level = level_for(count, ladder_thresholds(session))
    if level is None:
        return None
    first_day, start, end = _window_bounds(session, on)
    first_id = (
        session.scalar(
            sa.select(sa.func.min(Finding.id)).where(
                Finding.staff_member_id == staff_id,
                Finding.found_at >= start,
                Finding.found_at < end,
            )
        )
        or 0
    )
    key = f"rect-ladder:{staff_id}:{level}:{first_id}"
    staff = session.get(StaffMember, staff_id)
    users = users_for_staff(session, [staff_id, rect.supervisor_staff_id])
    link = rect_link(rect)
    if level == "reminder":
        _notify_each(
            session,
            [users.get(staff_id)],
            "rectification.ladder",
            _l("Reminder: a finding was recorded about you; please rectify it."),
            link,
            rect,
            f"{key}:{rect.id}",
        )
    elif level == "written_notice":
        _notify_each(
            session,
            [users.get(staff_id), users.get(rect.supervisor_staff_id)],
            "rectification.ladder",
            _l("Written notice (书面提醒): %(name)s has %(n)s findings in %(days)s days."),
            link,
            rect,
            key,
            name=staff.name,
            n=count,
            days=get_setting(session, WINDOW_KEY),
        )
    else:
        officers = users_with_role_for_site(session, "discipline", staff.site_id)
        _notify_each(
            session,
            officers,
            "rectification.ladder",
            _l("Candidate for a formal talk (约谈): %(name)s has %(n)s findings in %(days)s days."),
            "/rectifications/flagged",
            staff,
            key,
            name=staff.name,
            n=count,
            days=get_setting(session, WINDOW_KEY),
        )
    return level


@dataclass
class FlaggedRow:
    staff: StaffMember
    count: int
    level: str
    open_count: int


def flagged_staff(
    session: Session, user: User, on: date | None = None, min_level: str = "talk"
) -> list[FlaggedRow]:
    """Staff members in the user's scope at or above `min_level` of the ladder, most offences
    first."""
    on = on or local_today()
    thresholds = ladder_thresholds(session)
    counts = offence_counts(session, on)
    wanted = {sid: n for sid, n in counts.items() if n >= thresholds[min_level]}
    if not wanted:
        return []
    staff = {
        s.id: s
        for s in session.scalars(
            sa.select(StaffMember).where(
                StaffMember.id.in_(wanted), scope_filter(user, StaffMember.site_id, session)
            )
        )
    }
    open_counts = (
        dict(
            session.execute(
                sa.select(Rectification.responsible_staff_id, sa.func.count(Rectification.id))
                .where(
                    Rectification.responsible_staff_id.in_(staff),
                    Rectification.status.in_(OPEN_STATUSES),
                )
                .group_by(Rectification.responsible_staff_id)
            ).all()
        )
        if staff
        else {}
    )
    rows = [
        FlaggedRow(staff[sid], n, level_for(n, thresholds), open_counts.get(sid, 0))
        for sid, n in wanted.items()
        if sid in staff
    ]
    rows.sort(key=lambda r: (-r.count, r.staff.name))
    return rows


# --- queries --------------------------------------------------------------------------------


@dataclass
class Filters:
    status: str | None = None  # one of STATUSES, or "open" meaning not closed
    overdue: bool = False
    site_id: int | None = None
    category: str | None = None
    severity: str | None = None
    responsible_staff_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None


def filtered_query(
    session: Session, user: User, filters: Filters, today: date | None = None
) -> sa.Select:
    """Rectifications the user may see (supervising roles: their sites; others: their own),
    narrowed by the filters. Not ordered."""
    today = today or local_today()
    query = sa.select(Rectification)
    if user.has_role(*SUPERVISING_ROLES):
        query = query.where(scope_filter(user, Rectification.site_id, session))
    else:
        mine = user.staff_member_id or -1
        query = query.where(
            sa.or_(
                Rectification.responsible_staff_id == mine,
                Rectification.supervisor_staff_id == mine,
            )
        )
    if filters.status == "open":
        query = query.where(Rectification.status.in_(OPEN_STATUSES))
    elif filters.status:
        query = query.where(Rectification.status == filters.status)
    if filters.overdue:
        query = query.where(
            Rectification.status.in_(OPEN_STATUSES), Rectification.deadline_on < today
        )
    if filters.site_id:
        query = query.where(Rectification.site_id == filters.site_id)
    if filters.category:
        query = query.where(Rectification.category == filters.category)
    if filters.severity:
        query = query.where(Rectification.severity == filters.severity)
    if filters.responsible_staff_id:
        query = query.where(Rectification.responsible_staff_id == filters.responsible_staff_id)
    if filters.source:
        query = query.where(Rectification.source == filters.source)
    if filters.date_from:
        query = query.where(Rectification.opened_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Rectification.opened_on <= filters.date_to)
    return query


def counts_for(session: Session, query: sa.Select, today: date | None = None) -> dict[str, int]:
    """Counts by status, overdue and on-time closure over a filtered query."""
    today = today or local_today()
    sub = query.with_only_columns(
        Rectification.status,
        Rectification.deadline_on,
        Rectification.closed_on_time,
        Rectification.days_to_close,
    ).subquery()
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(sub.c.status == "open"),
            sa.func.count().filter(sub.c.status == "responded"),
            sa.func.count().filter(sub.c.status == "rejected"),
            sa.func.count().filter(sub.c.status == "verified"),
            sa.func.count().filter(sub.c.status.in_(OPEN_STATUSES), sub.c.deadline_on < today),
            sa.func.count().filter(sub.c.closed_on_time.is_(True)),
            sa.func.avg(sub.c.days_to_close),
        )
    ).one()
    total, open_, responded, rejected, verified, overdue, on_time, avg_days = row
    return {
        "total": total,
        "open": open_,
        "responded": responded,
        "rejected": rejected,
        "verified": verified,
        "overdue": overdue,
        "on_time": on_time,
        "on_time_rate": round(100 * on_time / verified) if verified else None,
        "avg_days_to_close": round(float(avg_days), 1) if avg_days is not None else None,
    }


def with_people():
    """Loader options for list pages (no N+1)."""
    return (
        selectinload(Rectification.responsible_staff),
        selectinload(Rectification.site),
        selectinload(Rectification.window),
        selectinload(Rectification.supervisor_staff),
    )


def verification_queue(session: Session, user: User) -> sa.Select:
    """Responses waiting for verification in the user's scope, oldest response first."""
    return (
        sa.select(Rectification)
        .where(
            Rectification.status == "responded", scope_filter(user, Rectification.site_id, session)
        )
        .order_by(Rectification.responded_at, Rectification.id)
    )


# --- escalation -----------------------------------------------------------------------------


def escalate(session: Session, run_on: date) -> dict[str, int]:
    """Reminders the day before the deadline, overdue notices to the responsible person and the
    supervisor on each overdue day, and escalation to the site's discipline officers once the
    rectification has been overdue for the configured number of days. Idempotent per run date
    (every notice carries a dedupe key)."""
    after_days = int(get_setting(session, ESCALATE_KEY) or 3)
    rects = list(
        session.scalars(
            sa.select(Rectification)
            .where(
                Rectification.status.in_(OPEN_STATUSES),
                Rectification.deadline_on <= run_on + timedelta(days=1),
                Rectification.opened_on <= run_on,
            )
            .order_by(Rectification.id)
        )
    )
    users = users_for_staff(
        session, [sid for r in rects for sid in (r.responsible_staff_id, r.supervisor_staff_id)]
    )
    role_cache: dict = {}
    counts = {"reminded": 0, "overdue": 0, "escalated": 0, "notices": 0}
    for rect in rects:
        link = rect_link(rect)
        responsible = users.get(rect.responsible_staff_id)
        supervisor = users.get(rect.supervisor_staff_id)
        overdue = (run_on - rect.deadline_on).days
        if overdue == -1:
            if rect.status in AWAITING_RESPONSE:
                n = _notify_each(
                    session,
                    [responsible],
                    "rectification.reminder",
                    _l("Reminder: rectification due tomorrow (%(deadline)s): %(title)s"),
                    link,
                    rect,
                    f"rect-remind:{rect.id}:{rect.deadline_on}",
                    deadline=rect.deadline_on.isoformat(),
                    title=rect.title[:80],
                )
                if n:
                    counts["reminded"] += 1
                    counts["notices"] += n
                    _job_event(session, rect, "reminded", {"on": run_on.isoformat()})
            continue
        if overdue < 1:
            continue
        n = _notify_each(
            session,
            [responsible, supervisor],
            "rectification.overdue",
            _l("Overdue by %(days)s days (deadline %(deadline)s): %(title)s"),
            link,
            rect,
            f"rect-overdue:{rect.id}:{run_on}",
            days=overdue,
            deadline=rect.deadline_on.isoformat(),
            title=rect.title[:80],
        )
        if n:
            counts["overdue"] += 1
            counts["notices"] += n
            if not _has_event(session, rect, "overdue"):
                _job_event(session, rect, "overdue", {"on": run_on.isoformat()})
        if overdue >= after_days:
            officers = users_with_role_for_site(session, "discipline", rect.site_id, role_cache)
            n = _notify_each(
                session,
                officers,
                "rectification.escalated",
                _l("Escalated: rectification overdue by %(days)s days: %(title)s"),
                link,
                rect,
                f"rect-escalate:{rect.id}:{rect.deadline_on}",
                days=overdue,
                title=rect.title[:80],
            )
            if n:
                counts["escalated"] += 1
                counts["notices"] += n
                if not _has_event(session, rect, "escalated"):
                    _job_event(
                        session,
                        rect,
                        "escalated",
                        {"on": run_on.isoformat(), "officers": len(officers)},
                    )
    return counts


def _has_event(session: Session, rect: Rectification, kind: str) -> bool:
    """Whether an event of this kind exists for the current deadline."""
    return (
        session.scalar(
            sa.select(sa.func.count(RectificationEvent.id)).where(
                RectificationEvent.rectification_id == rect.id,
                RectificationEvent.kind == kind,
                RectificationEvent.deadline_after == rect.deadline_on,
            )
        )
        > 0
    )


def _job_event(session: Session, rect: Rectification, kind: str, data: dict) -> None:
    # Timeline entries written by the job; the rectification row itself is not changed, so an
    # inspector acting at the same moment is not disturbed.
    session.add(
        RectificationEvent(
            rectification_id=rect.id,
            kind=kind,
            actor_id=None,
            status_after=rect.status,
            deadline_after=rect.deadline_on,
            data=data,
        )
    )
    session.flush()


def severity_choices() -> tuple[str, ...]:
    return SEVERITIES
