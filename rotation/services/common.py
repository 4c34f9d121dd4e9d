"""Shared pieces of the rotation services: settings, the domain error, month arithmetic."""

from __future__ import annotations

import calendar
import logging
from datetime import date

from compliance.settings import declare

from ..planner import Violation

logger = logging.getLogger(__name__)

declare("rotation.max_tenure_months", 36)
declare("rotation.min_interval_months", 12)
declare("rotation.cooling_off_months", 36)
declare("rotation.amber_days", 90)
declare("rotation.handover_weeks", 2)

APPROVER_ROLES = ("discipline", "admin")


def _(message: str) -> str:
    """Mark a message for extraction; views translate it (services stay free of Flask)."""
    return message


class RotationError(ValueError):
    """A user-facing reason a rotation action was refused: an English msgid plus parameters,
    and, for rule checks, the violations found."""

    def __init__(self, message: str, violations: list[Violation] | None = None, **params) -> None:
        self.message = message
        self.params = params
        self.violations = violations or []
        super().__init__(message % params if params else message)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when end precedes start)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months
