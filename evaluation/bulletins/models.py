"""The bulletin (通报) record: one per period and scope, drafted from closed months, edited and
approved by a discipline officer (or the centre head, when configured), then published."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Site, User

STATUSES = ("draft", "approved", "published")
PERIOD_KINDS = ("month", "quarter")


class Bulletin(Base):
    """A bulletin. `content` is `BulletinContent.to_dict()`: the figures and tables frozen when it
    was drafted, and the text parts as the officer edited them. `close_ids` are the month closes
    (evaluation_month_close) it was drafted from. `site_id` None: the whole centre."""

    __tablename__ = "evaluation_bulletin"
    __table_args__ = (
        enum_check("status", STATUSES),
        enum_check("period_kind", PERIOD_KINDS),
        sa.UniqueConstraint("year", "seq", name="uq_evaluation_bulletin_number"),
        sa.CheckConstraint("period_end >= period_start", name="period_valid"),
        sa.Index("ix_evaluation_bulletin_status_period", "status", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column()  # of the number 〔year〕第seq期
    seq: Mapped[int] = mapped_column()
    period_kind: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    content: Mapped[dict] = mapped_column(sa.JSON)
    close_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    drafted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column()
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site | None] = relationship()
    drafted_by: Mapped[User] = relationship(foreign_keys=[drafted_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        return f"〔{self.year}〕第{self.seq}期"
