"""Shared pieces of the rotation services: settings, the rule-check error, month arithmetic."""

from __future__ import annotations

import calendar
import logging
from datetime import date

from compliance.domain import ConflictError
from compliance.settings import declare

from ..planner import Violation

logger = logging.getLogger(__name__)

declare("rotation.max_tenure_months", 36)
declare("rotation.min_interval_months", 12)
declare("rotation.cooling_off_months", 36)
declare("rotation.amber_days", 90)
declare("rotation.handover_weeks", 2)

APPROVER_ROLES = ("discipline", "admin")


class RulesBroken(ConflictError):
    """A plan (or the proposal it would come from) breaks the rotation rules: a conflict (409)
    carrying the `violations` found, which pages list and the API returns with their rule."""

    def __init__(self, code: str, message: str, violations: list[Violation], /, **params) -> None:
        self.violations = list(violations)
        super().__init__(code, message, **params)

    def extra_errors(self) -> dict:
        if not self.violations:
            return {}
        return {"violations": [{"rule": v.rule, "message": v.text()} for v in self.violations]}


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
