"""The blueprint and what the pages share: month parameters, labels, the score of a month
(live while open, the snapshot once closed)."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l

from compliance.access import scope_ids
from compliance.db import db
from compliance.periods import month_start
from compliance.timeutil import local_today

from .. import services as svc

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

ALL_ROLES = ("admin", "inspector", "hr", "discipline", "leader", "staff")
READERS = svc.READ_ROLES
KIND_LABELS = {"staff": _l("Staff"), "window": _l("Windows"), "site": _l("Sites")}
CARD_LABELS = {"none": "", "yellow": _l("Yellow card"), "red": _l("Red card")}
ITEM_LABELS = {
    "finding": _l("Finding"),
    "repeat": _l("Repeat offence"),
    "joint": _l("Joint deduction"),
    "complaint": _l("Upheld complaint"),
    "overdue": _l("Overdue rectification"),
    "commendation": _l("Commendation"),
    "integrity": _l("Integrity case concluded"),
}
APPEAL_LABELS = {"open": _l("Open"), "upheld": _l("Finding stands"), "accepted": _l("Accepted")}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str | None, default: date | None = None) -> date:
    """ "YYYY-MM" -> the month's first day; 400 on anything else."""
    if not value:
        return default or month_start(local_today())
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        abort(400, description="month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_arg() -> date:
    return parse_month(request.args.get("month"))


def int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 9:
        abort(400, description=name)
    return int(value)


def month_scores(user, month: date):
    """(close or None, MonthScores or None): the snapshot of a closed month, else live scores
    for the user's scope (None without a scheme)."""
    close = svc.closed_month(db.session, month.year, month.month)
    if close is not None:
        return close, None
    scheme = svc.scheme_for(db.session, month)
    if scheme is None:
        return None, None
    today = local_today()
    return None, svc.live_scores(
        db.session,
        scheme,
        month,
        as_of=today if month_start(today) == month else None,
        site_ids=scope_ids(user, db.session),
    )
