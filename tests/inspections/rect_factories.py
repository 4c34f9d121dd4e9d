"""Helpers for the rectification and conduct tests: findings created directly (as the patrol
code does), fired through the finding hook so they open rectifications."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import sqlalchemy as sa
from PIL import Image

from compliance.db import db
from compliance.timeutil import local_to_utc
from inspections.hooks import fire_finding_created
from inspections.models import Finding
from inspections.rectification.models import Rectification

MONDAY = date(2026, 11, 23)  # a Monday


def at_local(day: date, hour: int = 10) -> datetime:
    """Naive UTC for a local (Asia/Shanghai) time on `day`."""
    return local_to_utc(datetime.combine(day, time(hour, 0)))


def make_finding(
    *,
    site,
    staff=None,
    window=None,
    target=None,
    severity="minor",
    category="attire",
    found_on: date | None = None,
    found_by=None,
    description="未按规定着装",
) -> Finding:
    """Create a finding, fire the hook (opens the rectification) and commit."""
    target = target or (
        "staff" if staff is not None else "window" if window is not None else "area"
    )
    found_at = at_local(found_on) if found_on else None
    finding = Finding(
        category=category,
        target=target,
        site_id=site.id,
        window_id=window.id if window is not None else None,
        staff_member_id=staff.id if staff is not None else None,
        severity=severity,
        description=description,
        found_by_id=found_by.id if found_by is not None else None,
    )
    if found_at:
        finding.found_at = found_at
    db.session.add(finding)
    db.session.flush()
    fire_finding_created(db.session, found_by, finding)
    db.session.commit()
    return finding


def rect_for(finding_or_id) -> Rectification:
    finding_id = getattr(finding_or_id, "id", finding_or_id)
    return db.session.scalar(sa.select(Rectification).where(Rectification.finding_id == finding_id))


def png_bytes(color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()
