from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, enum_check, utcnow

OUTCOMES = ("running", "success", "failed")


class JobRun(Base):
    """One run of a scheduled job for a logical run date."""

    __tablename__ = "job_run"
    __table_args__ = (
        enum_check("outcome", OUTCOMES),
        sa.Index("ix_job_run_job_date", "job", "run_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    run_on: Mapped[date] = mapped_column(sa.Date)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(16), default="running")
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    trigger: Mapped[str] = mapped_column(sa.String(16), default="schedule")  # schedule, manual
