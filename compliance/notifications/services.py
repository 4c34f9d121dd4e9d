"""Creating and reading notifications. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import User
from .models import Notification


def notify(
    session: Session,
    users: User | Iterable[User],
    kind: str,
    title: str,
    body: str | None = None,
    link: str | None = None,
    entity=None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Put a notification in each user's inbox, in the caller's transaction.

    With `dedupe_key`, a user who already has a notification with that key gets no second one:
    scheduled jobs pass e.g. "rect-overdue:42:2026-11-26" so a re-run changes nothing.
    `title`/`body` are stored as given (already translated for the recipient or neutral text).
    """
    if isinstance(users, User):
        users = [users]
    created = []
    seen: set[int] = set()
    entity_type = type(entity).__name__ if entity is not None else None
    entity_id = str(sa.inspect(entity).identity[0]) if entity is not None else None
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        if dedupe_key is not None:
            exists = session.scalar(
                sa.select(Notification.id).where(
                    Notification.user_id == user.id, Notification.dedupe_key == dedupe_key
                )
            )
            if exists:
                continue
        row = Notification(
            user_id=user.id, kind=kind, title=title[:200], body=body, link=link,
            entity_type=entity_type, entity_id=entity_id, dedupe_key=dedupe_key,
            email_status="pending" if user.email and not user.email_opt_out else "skipped",
        )
        session.add(row)
        created.append(row)
    session.flush()
    return created


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0
