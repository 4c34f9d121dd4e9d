"""The stored roster-import previews: what a confirm will apply, exactly as it was shown."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..db import Base, enum_check, utcnow
from ..models import User

# preview: shown, waiting for a confirm; queued: confirmed, waiting for (or in) the background
# job; applied: written; failed: the apply was refused (the staff data had changed, or a rule).
ROSTER_IMPORT_STATUSES = ("preview", "queued", "applied", "failed")


class RosterImport(Base):
    """One uploaded roster and its preview. A confirm applies `plan` (never the file again) after
    checking that the people it touches are still as `state_digest` recorded them."""

    __tablename__ = "roster_import"
    __table_args__ = (enum_check("status", ROSTER_IMPORT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    made_on: Mapped[date] = mapped_column(sa.Date)  # the local day the preview was computed for
    # The site ids the uploader could reach (None: all sites); a confirm re-checks within them.
    scope: Mapped[list | None] = mapped_column(sa.JSON)
    state_digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="preview", index=True)
    rows: Mapped[int] = mapped_column(default=0)
    to_create: Mapped[int] = mapped_column(default=0)
    to_change: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    # {"create": [...], "change": [...], "unchanged": [[row, staff_no]...], "skipped": [...]}
    plan: Mapped[dict] = deferred(mapped_column(sa.JSON))
    done: Mapped[int] = mapped_column(default=0)  # rows applied so far (progress)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    applied_at: Mapped[datetime | None] = mapped_column()
    job_run_id: Mapped[int | None] = mapped_column()  # the background run, when queued
    # Why it failed: [msgid, params].
    error: Mapped[list | None] = mapped_column(sa.JSON)

    uploaded_by: Mapped[User] = relationship()

    @property
    def to_apply(self) -> int:
        return self.to_create + self.to_change
