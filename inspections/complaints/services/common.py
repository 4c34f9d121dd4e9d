"""What the complaint services share: deadlines in working days, text rules, the version check,
the audit entry, and notices (an integrity complaint's notices have kinds starting with
"integrity.", so they never leave the in-app inbox)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from compliance import limits
from compliance.domain import N_, StaleError
from compliance.limits import checked_text
from compliance.models import User
from compliance.settings import declare, get_setting

from ...integrity.services.steps import notify as notify_integrity
from ...rectification.services.calendar import add_working_days
from ...rectification.services.common import notify_people
from ...rectification.services.responsibility import users_with_role_for_site
from ..models import ConductRecord

VERIFY_DAYS_KEY = "complaints.verify_working_days"
CALLBACK_ATTEMPTS_KEY = "complaints.callback_attempts"
declare(VERIFY_DAYS_KEY, 5)
declare(CALLBACK_ATTEMPTS_KEY, 3)
MAX_TEXT = limits.CONDUCT_TEXT


def verify_days(session: Session) -> int:
    try:
        return max(1, min(60, int(get_setting(session, VERIFY_DAYS_KEY))))
    except (TypeError, ValueError):
        return 5


def callback_attempts(session: Session) -> int:
    """Unanswered callbacks after which a complaint may close as unreachable."""
    try:
        return max(1, min(10, int(get_setting(session, CALLBACK_ATTEMPTS_KEY))))
    except (TypeError, ValueError):
        return 3


def verify_due(session: Session, start: date) -> date:
    return add_working_days(session, start, verify_days(session))


def complaint_link(row: ConductRecord) -> str:
    return f"/complaints/{row.id}"


def changed() -> StaleError:
    return StaleError(
        "complaints.changed",
        N_("This complaint has changed in the meantime; reload the page to see its current state."),
    )


def check_version(row: ConductRecord, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != row.version:
        raise changed()


def flush_change(session: Session, row: ConductRecord) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise changed() from exc
    except sa.exc.OperationalError as exc:
        if session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            raise changed() from exc
        raise


def clean_text(
    text: str | None, required_message: str | None = None, *, field: str = "text"
) -> str | None:
    """A complaint's text as typed (None when blank), within the one limit every page, the API
    and the ledger share (`compliance.limits.CONDUCT_TEXT`). Raises InvalidError naming `field`."""
    return checked_text(
        text,
        limits.CONDUCT_TEXT,
        field=field,
        required=required_message,
        required_code="complaints.text_required",
        code="complaints.text_too_long",
    )


def notice_kind(row: ConductRecord, suffix: str) -> str:
    """complaint.<suffix>, or integrity.complaint_<suffix> for an integrity complaint."""
    return f"integrity.complaint_{suffix}" if row.is_integrity else f"complaint.{suffix}"


def officers_for(session: Session, row: ConductRecord, cache: dict | None = None) -> list[User]:
    """Who looks after a complaint nobody has been named for: the site's discipline officers
    (never the person it names), else the site's administrators."""
    people = users_with_role_for_site(session, "discipline", row.site_id, cache)
    if not people:
        people = users_with_role_for_site(session, "admin", row.site_id, cache)
    return [
        u
        for u in people
        if not (u.staff_member_id and u.staff_member_id == row.staff_member_id and row.is_integrity)
    ]


def notify(
    session: Session,
    row: ConductRecord,
    users: Iterable[User | None],
    suffix: str,
    title_msgid: str,
    /,
    *,
    dedupe_key: str | None = None,
    **params,
) -> int:
    """Notices about a complaint; those of an integrity complaint go the integrity way (kind
    "integrity.complaint_*", in the app only)."""
    send = notify_integrity if row.is_integrity else notify_people
    return send(
        session,
        users,
        notice_kind(row, suffix),
        title_msgid,
        link=complaint_link(row),
        entity=row,
        dedupe_key=dedupe_key,
        **params,
    )
