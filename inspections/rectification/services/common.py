"""What the rectification services share: the address of a rectification and notifying each
person once, in their own language."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from compliance.models import User
from compliance.notifications import notify_each

from ..models import Rectification


def rect_link(rect: Rectification) -> str:
    return f"/rectifications/{rect.id}"


def notify_people(
    session: Session,
    users: Iterable[User | None],
    kind: str,
    title_msgid: str,
    /,
    *,
    link: str | None,
    entity,
    dedupe_key: str | None = None,
    **params,
) -> int:
    """Notify each user once (blanks and repeats left out), the title translated into their
    own language; returns how many notices were created."""
    unique: dict[int, User] = {}
    for user in users:
        if user is not None:
            unique.setdefault(user.id, user)
    return notify_each(
        session,
        unique.values(),
        kind,
        title_msgid,
        link=link,
        entity=entity,
        dedupe_key=dedupe_key,
        **params,
    )
