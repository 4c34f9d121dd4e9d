from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, enum_check, utcnow
from ..models import User

EMAIL_STATUSES = ("pending", "sent", "failed", "skipped")


class Notification(Base):
    """One message in a user's inbox; `dedupe_key` makes scheduled notices idempotent."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        # The unread count (index-only) and the unread part of the inbox, newest first.
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "created_at"),
        # The read part of the inbox, newest first.
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        sa.Index("ix_notification_email_status", "email_status"),
        enum_check("email_status", EMAIL_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    entity_type: Mapped[str | None] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()
    email_status: Mapped[str | None] = mapped_column(sa.String(16))
    emailed_at: Mapped[datetime | None] = mapped_column()
    email_error: Mapped[str | None] = mapped_column(sa.String(300))
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_last_attempt_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class NotificationArchive(Base):
    """Read notifications past NOTIFICATION_RETENTION_DAYS, moved out of the inbox table when
    NOTIFICATION_RETENTION_MODE is "archive" (kept as they were, with the time they moved)."""

    __tablename__ = "notification_archive"
    __table_args__ = (sa.Index("ix_notification_archive_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id it had in `notification` (SQLite may give a deleted row's id to a new one, so it
    # is not the key here).
    notification_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    entity_type: Mapped[str | None] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()
    emailed_at: Mapped[datetime | None] = mapped_column()
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)
