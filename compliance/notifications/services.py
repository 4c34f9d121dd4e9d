"""Creating and reading notifications. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..domain import N_, NotFoundError, _fill, translate_for
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
    flush: bool = True,
) -> list[Notification]:
    """Put a notification in each user's inbox, in the caller's transaction (`flush=False`
    leaves the rows to the caller's next flush, for many notifications written at once).

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
            user_id=user.id,
            kind=kind,
            title=title[:200],
            body=body,
            link=link,
            entity_type=entity_type,
            entity_id=entity_id,
            dedupe_key=dedupe_key,
            email_status="pending" if user.email and not user.email_opt_out else "skipped",
        )
        session.add(row)
        created.append(row)
    if flush:
        session.flush()
    return created


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread (exact; an index-only count served by
    `ix_notification_user_unread`, linear in the unread backlog)."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


BADGE_CAP = 99
MAX_PAGE = 100_000  # a page number beyond any inbox (keeps OFFSET within the integer range)


def unread_badge(session: Session, user: User) -> int | str:
    """The unread count for the top bar of every page: exact up to 99, else "99+". It reads at
    most 100 index entries, so its cost does not grow with an officer's unread backlog."""
    first = (
        sa.select(sa.literal(1))
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .limit(BADGE_CAP + 1)
        .subquery()
    )
    n = session.scalar(sa.select(sa.func.count()).select_from(first)) or 0
    return f"{BADGE_CAP}+" if n > BADGE_CAP else n


@dataclass
class InboxPage:
    """One page of an inbox: unread first, newest first within each group."""

    items: list[Notification]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def inbox_page(
    session: Session,
    user: User,
    page: int = 1,
    per_page: int = 30,
    unread_only: bool = False,
    unread: int | None = None,
) -> InboxPage:
    """A page of the user's inbox, unread first, newest first within each group.

    Read as two index-ordered slices (unread, then read) instead of one sort of the whole inbox:
    each is served by `ix_notification_user_unread` (user_id, read_at, created_at) or
    `ix_notification_user_created` (user_id, created_at), whatever the size of the inbox.
    `unread` is the user's unread count when the caller already has it.
    """
    page = min(max(int(page or 1), 1), MAX_PAGE)
    offset, want = (page - 1) * per_page, per_page + 1
    if unread is None:
        unread = unread_count(session, user)
    mine = sa.select(Notification).where(Notification.user_id == user.id)
    newest = (Notification.created_at.desc(), Notification.id.desc())
    items: list[Notification] = []
    if offset < unread:
        items = list(
            session.scalars(
                mine.where(Notification.read_at.is_(None))
                .order_by(*newest)
                .offset(offset)
                .limit(want)
            )
        )
    if not unread_only and len(items) < want:
        items += session.scalars(
            mine.where(Notification.read_at.is_not(None))
            .order_by(*newest)
            .offset(max(0, offset - unread))
            .limit(want - len(items))
        )
    return InboxPage(items[:per_page], page, per_page, len(items) > per_page)


def inbox_total(session: Session, user: User) -> int:
    """How many notifications the user has (read or not), for the API's pagination header."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id)
        )
        or 0
    )


def get_own(session: Session, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; raises NotFoundError ("notifications.not_found") when
    it is missing or someone else's (its existence is not revealed)."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(
            "notifications.not_found",
            N_("No such notification in your inbox"),
            id=notification_id,
        )
    return row


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (already read: unchanged).

    Raises NotFoundError ("notifications.not_found") when it is missing or another user's.
    """
    row = get_own(session, user, notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def safe_link(link: str | None) -> str | None:
    """A notification's link if it is a path inside this application (no open redirect)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link


def notify_each(
    session: Session,
    users: Iterable[User],
    kind: str,
    title_msgid: str,
    *,
    body_msgid: str | None = None,
    link: str | None = None,
    entity=None,
    dedupe_key: str | None = None,
    per_user=None,
    **params,
) -> int:
    """Notify each user with the title (and body) translated into that user's own language.

    `title_msgid`/`body_msgid` are message ids (mark them with gettext_noop or lazy_gettext so
    they are extracted) with `%(name)s` placeholders filled from `params`. `per_user(user)` may
    return each user's own parameters (and `link`), e.g. their own score; the rows are then
    written in one INSERT, and `users` may be rows with the columns id, locale, active, email
    and email_opt_out (no need to load User objects). Returns how many notifications were created.
    """
    templates: dict[tuple[str | None, str], str] = {}

    def say(locale: str | None, msgid: str, values: dict) -> str:
        # The message translated once per language in this call, then filled for each user
        # (what `translate_for` gives, without a locale switch per user).
        key = (locale, msgid)
        if key not in templates:
            templates[key] = translate_for(locale, msgid)
        return _fill(templates[key], values) if values else templates[key]

    if per_user is not None:
        return _insert_each(
            session,
            users,
            kind,
            title_msgid,
            body_msgid,
            link,
            entity,
            dedupe_key,
            per_user,
            params,
            say,
        )
    created = 0
    for user in users:
        if user is None:
            continue
        title = say(user.locale, title_msgid, params)
        body = say(user.locale, body_msgid, params) if body_msgid else None
        created += len(
            notify(
                session,
                user,
                kind,
                title,
                body=body,
                link=link,
                entity=entity,
                dedupe_key=dedupe_key,
            )
        )
    return created


def _insert_each(
    session, users, kind, title_msgid, body_msgid, link, entity, dedupe_key, per_user, params, say
) -> int:
    """`notify_each` with a parameter set per user: the same rows `notify` would add (active
    users once each, none for a user who has the `dedupe_key`), written in one INSERT."""
    chosen: list[User] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        chosen.append(user)
    if dedupe_key is not None and chosen:
        had = set(
            session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.user_id.in_(sorted(seen)),
                    Notification.dedupe_key == dedupe_key,
                )
            )
        )
        chosen = [u for u in chosen if u.id not in had]
    if not chosen:
        return 0
    entity_type = type(entity).__name__ if entity is not None else None
    entity_id = str(sa.inspect(entity).identity[0]) if entity is not None else None
    now = utcnow()
    rows = []
    for user in chosen:
        own = {**params, **per_user(user)}
        rows.append(
            {
                "user_id": user.id,
                "kind": kind,
                "title": say(user.locale, title_msgid, own)[:200],
                "body": say(user.locale, body_msgid, own) if body_msgid else None,
                "link": own.get("link", link),
                "entity_type": entity_type,
                "entity_id": entity_id,
                "dedupe_key": dedupe_key,
                "created_at": now,
                "email_status": "pending" if user.email and not user.email_opt_out else "skipped",
                "email_attempts": 0,
            }
        )
    session.flush()  # anything pending first, as a flush of the ORM rows would be ordered
    session.execute(sa.insert(Notification), rows)
    return len(rows)
