"""Group channels (企业微信 / 钉钉 group robots) and the queue of group notices sent to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...db import Base, enum_check, utcnow
from ...models import Site, User

CHANNEL_KINDS = ("wecom", "dingtalk")
# pending: waiting for its (next) attempt; sending: claimed by the sender; sent; failed: gave up
# after the last attempt; expired: too old to be news when its turn came; skipped: the channel
# was switched off or removed before it was sent.
SEND_STATUSES = ("pending", "sending", "sent", "failed", "expired", "skipped")


class GroupChannel(Base):
    """A group robot of one site. The webhook URL and the DingTalk signing secret are stored
    encrypted (see `crypto.py`); `webhook_hint` is the masked form shown after saving."""

    __tablename__ = "group_channel"
    __table_args__ = (enum_check("kind", CHANNEL_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(80))
    webhook_enc: Mapped[str] = mapped_column(sa.Text)
    webhook_hint: Mapped[str] = mapped_column(sa.String(120))
    secret_enc: Mapped[str | None] = mapped_column(sa.Text)
    events: Mapped[list] = mapped_column(sa.JSON, default=list)
    include_children: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship()
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class GroupSend(Base):
    """One notice for one channel, with the outcome of its attempts. The in-app notifications of
    the same event are written before this row (in the same transaction) and never depend on it."""

    __tablename__ = "group_send"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "dedupe_key"),
        sa.Index("ix_group_send_due", "status", "next_attempt_at"),
        sa.Index("ix_group_send_channel_created", "channel_id", "created_at"),
        enum_check("status", SEND_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("group_channel.id"))
    event: Mapped[str] = mapped_column(sa.String(48))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id"))
    entity_type: Mapped[str | None] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)  # markdown, Chinese by default
    dedupe_key: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    http_status: Mapped[int | None] = mapped_column()
    errcode: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(sa.String(300))
    # [{"at", "http_status", "errcode", "error", "ms"}] per attempt, newest last (a few at most)
    attempt_log: Mapped[list] = mapped_column(sa.JSON, default=list)

    channel: Mapped[GroupChannel] = relationship()
