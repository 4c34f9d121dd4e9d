"""Writing one step of a case: the version check, the case row written first (two officers acting
at once conflict there), the text rule, the timeline event with its audit entry, and the
notices (every kind starts with "integrity.": they stay in the in-app inbox, with no e-mail copy,
and never go to a group channel)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from compliance.audit import record, snapshot
from compliance.domain import N_, InvalidError, StaleError, translate_for
from compliance.models import User
from compliance.notifications import notify as notify_user

from ...models import Photo
from ..models import IntegrityCase, IntegrityCaseEvent

MAX_TEXT = 4000
NOTICE_PREFIX = "integrity."


def case_link(case: IntegrityCase) -> str:
    return f"/integrity/cases/{case.id}"


def changed() -> StaleError:
    return StaleError(
        "integrity.changed",
        N_("This case has changed in the meantime; reload the page to see its current state."),
    )


def check_version(case: IntegrityCase, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != case.version:
        raise changed()


def flush_change(session: Session, case: IntegrityCase) -> None:
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
    text = (text or "").strip()
    if not text:
        if required_message:
            raise InvalidError("integrity.text_required", required_message, field=field)
        return None
    if len(text) > MAX_TEXT:
        raise InvalidError(
            "integrity.text_too_long",
            N_("The text is too long (at most %(n)s characters)."),
            field=field,
            n=MAX_TEXT,
        )
    return text


def add_event(
    session: Session,
    actor: User | None,
    case: IntegrityCase,
    kind: str,
    text: str | None = None,
    photos: Sequence[Photo] = (),
    data: dict | None = None,
    before: dict | None = None,
) -> IntegrityCaseEvent:
    """A timeline entry and its audit event (entity IntegrityCase: confidential)."""
    event = IntegrityCaseEvent(
        case_id=case.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        text=text,
        status_after=case.status,
        deadline_after=case.deadline_on,
        data=data,
    )
    event.photos = list(photos)
    session.add(event)
    session.flush()
    after = snapshot(case)
    if photos:
        after["photo_ids"] = [p.id for p in photos]
    if data:
        after["event"] = data
    record(session, actor, f"integrity.{kind}", case, before=before, after=after, reason=text)
    return event


def notify(
    session: Session,
    users: Iterable[User | None],
    kind: str,
    title_msgid: str,
    /,
    *,
    link: str,
    entity,
    dedupe_key: str | None = None,
    **params,
) -> int:
    """In-app notices about integrity matters, each in the reader's language. The kind always
    starts with "integrity." (the group-channel relay keeps them out of every group), and no
    e-mail copy is sent: a confidential lead stays in the application."""
    if not kind.startswith(NOTICE_PREFIX):
        kind = NOTICE_PREFIX + kind
    created = 0
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        rows = notify_user(
            session,
            user,
            kind,
            translate_for(user.locale, title_msgid, params),
            link=link,
            entity=entity,
            dedupe_key=dedupe_key,
        )
        for row in rows:
            row.email_status = "skipped"
        created += len(rows)
    if created:
        session.flush()
    return created
