"""Queued exports: a large ledger is written in the background and offered when ready."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import User

JOB_STATUSES = ("queued", "running", "done", "failed")


class ExportJob(Base):
    __tablename__ = "export_job"
    __table_args__ = (
        enum_check("status", JOB_STATUSES),
        sa.Index("ix_export_job_user_created", "user_id", "created_at"),
        sa.Index("ix_export_job_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    ledger: Mapped[str] = mapped_column(sa.String(32))
    filters: Mapped[dict] = mapped_column(sa.JSON)
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh")
    route: Mapped[str] = mapped_column(sa.String(16), default="web")  # web, api
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    total_rows: Mapped[int | None] = mapped_column()  # the count when queued (an estimate)
    progress_rows: Mapped[int] = mapped_column(default=0)
    file_path: Mapped[str | None] = mapped_column(sa.String(400))
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.progress_rows / self.total_rows))
