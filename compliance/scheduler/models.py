from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, enum_check, utcnow
from ..models import User

OUTCOMES = ("queued", "running", "success", "failed")
# schedule: fired by the scheduler; catchup: a firing missed while the scheduler was down;
# manual: `compliance jobs run`; admin: requested on the job history page, run by the scheduler.
TRIGGERS = ("schedule", "catchup", "manual", "admin")


class JobRun(Base):
    """One run of a scheduled job for a logical run date."""

    __tablename__ = "job_run"
    __table_args__ = (
        enum_check("outcome", OUTCOMES),
        enum_check("trigger", TRIGGERS),
        sa.Index("ix_job_run_job_date", "job", "run_on"),
        sa.Index("ix_job_run_outcome", "outcome"),
        {"sqlite_autoincrement": True},  # ids of deleted quiet runs are never reused
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    run_on: Mapped[date] = mapped_column(sa.Date)
    # For a queued run: when it was requested; replaced by the start time when it starts.
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(16), default="running")
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    trigger: Mapped[str] = mapped_column(sa.String(16), default="schedule")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    host: Mapped[str | None] = mapped_column(sa.String(120))  # the process that ran it

    requested_by: Mapped[User | None] = relationship()

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None or self.outcome == "queued":
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SchedulerLock(Base):
    """The lease that lets exactly one process run scheduled jobs.

    The holder renews `expires_at` every few seconds; a holder that dies stops renewing and
    another process may take the lease once it has expired.
    """

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(120))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
