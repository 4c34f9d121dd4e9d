"""The integrity case ledger (线索台账): every case registered in the period, from the lead to its
conclusion and measure. For discipline officers and administrators only (the ledger's roles, and
every row passes the same visibility rule as the pages)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    site_clause,
)
from compliance.models import Site, StaffMember, User, Window
from compliance.timeutil import local_today

from ..models import CheckItem
from .forms import CONCLUSION_LABELS, MEASURE_LABELS, SOURCE_LABELS, STATUS_LABELS
from .models import DEADLINE_STATUSES, IntegrityCase
from .services import CASE_ROLES, visible_clause


def _stmt(session, user, filters) -> sa.Select:
    window, accused = aliased(Window), aliased(StaffMember)
    officer, approver = aliased(User), aliased(User)
    stmt = (
        sa.select(
            IntegrityCase.registered_on,
            IntegrityCase.source,
            Site.name,
            window.code + " " + window.name,
            accused.name,
            accused.staff_no,
            CheckItem.code,
            IntegrityCase.title,
            officer.display_name,
            IntegrityCase.deadline_on,
            IntegrityCase.verification_summary,
            IntegrityCase.conclusion,
            IntegrityCase.conclusion_reason,
            approver.display_name,
            IntegrityCase.concluded_on,
            IntegrityCase.measure,
            IntegrityCase.measure_on,
            IntegrityCase.accused_notified_at,
            IntegrityCase.status,
            IntegrityCase.closed_on,
            IntegrityCase.id.label("k1"),
        )
        .select_from(IntegrityCase)
        .join(Site, Site.id == IntegrityCase.site_id)
        .outerjoin(window, window.id == IntegrityCase.window_id)
        .outerjoin(accused, accused.id == IntegrityCase.accused_staff_id)
        .outerjoin(CheckItem, CheckItem.id == IntegrityCase.check_item_id)
        .outerjoin(officer, officer.id == IntegrityCase.officer_id)
        .outerjoin(approver, approver.id == IntegrityCase.approved_by_id)
        .where(
            IntegrityCase.registered_on >= filters["date_from"],
            IntegrityCase.registered_on <= filters["date_to"],
        )
        .where(visible_clause(session, user))
        .where(site_clause(filters, IntegrityCase.site_id))
    )
    if filters.get("status"):
        stmt = stmt.where(IntegrityCase.status.in_(filters["status"]))
    if filters.get("conclusion"):
        stmt = stmt.where(IntegrityCase.conclusion.in_(filters["conclusion"]))
    if filters.get("overdue"):
        stmt = stmt.where(
            IntegrityCase.status.in_(DEADLINE_STATUSES), IntegrityCase.deadline_on < local_today()
        )
    return stmt


def _overdue_days(status: str, deadline: date | None, today: date) -> int:
    if status not in DEADLINE_STATUSES or deadline is None:
        return 0
    return max(0, (today - deadline).days)


def _rows(session, user, filters):
    stmt = _stmt(session, user, filters)
    today = local_today()
    for n, r in enumerate(keyset_stream(session, stmt, (stmt.selected_columns.k1,)), 1):
        (
            registered_on,
            source,
            site,
            window,
            accused,
            staff_no,
            item,
            title,
            officer,
            deadline,
            summary,
            conclusion,
            reason,
            approver,
            concluded_on,
            measure,
            measure_on,
            notified_at,
            status,
            closed_on,
            case_id,
        ) = r
        yield (
            n,
            f"XS{registered_on:%Y}-{case_id:05d}",
            registered_on,
            source,
            site,
            window,
            f"{accused} ({staff_no})" if accused else None,
            item,
            title,
            officer,
            deadline,
            summary,
            conclusion,
            reason,
            approver,
            concluded_on,
            measure,
            measure_on,
            notified_at,
            status,
            closed_on,
            _overdue_days(status, deadline, today),
        )


def _count(session, user, filters) -> int:
    return count_of(session, _stmt(session, user, filters))


INTEGRITY_CASES = Ledger(
    code="integrity_cases",
    title=_l("Integrity case ledger (线索台账)"),
    description=_l(
        "Confidential: every integrity case registered in the period, from the lead to its "
        "conclusion and measure."
    ),
    roles=frozenset(CASE_ROLES),
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("number", _l("Case number"), "text", 14),
        Column("registered_on", _l("Registered on"), "date", 12),
        Column("source", _l("Source"), "enum", 12, choices=SOURCE_LABELS),
        Column("site", _l("Site"), "text", 22),
        Column("window", _l("Window"), "text", 16),
        Column("accused", _l("Accused"), "text", 16),
        Column("item", _l("Check item"), "text", 9),
        Column("lead", _l("Lead"), "user_text", 36),
        Column("officer", _l("Officer"), "text", 12),
        Column("deadline", _l("Verification deadline"), "date", 12),
        Column("verification", _l("Verification (初核)"), "user_text", 36),
        Column("conclusion", _l("Conclusion"), "enum", 16, choices=CONCLUSION_LABELS),
        Column("reason", _l("Reasons"), "user_text", 36),
        Column("approved_by", _l("Approved by"), "text", 12),
        Column("concluded_on", _l("Concluded"), "date", 12),
        Column("measure", _l("Measure"), "enum", 18, choices=MEASURE_LABELS),
        Column("measure_on", _l("Measure taken"), "date", 12),
        Column("notified_at", _l("Told to the accused"), "datetime", 17),
        Column("status", _l("Status"), "enum", 14, choices=STATUS_LABELS),
        Column("closed_on", _l("Closed"), "date", 12),
        Column("overdue_days", _l("Days overdue"), "int", 9),
    ],
    rows=_rows,
    count=_count,
    filters=[
        FilterField("status", _l("Status"), "choice", STATUS_LABELS),
        FilterField("conclusion", _l("Conclusion"), "choice", CONCLUSION_LABELS),
        FilterField("overdue", _l("Overdue only"), "bool"),
    ],
    date_label=_l("the day the case was registered"),
    order=25,
)


def init_app(app) -> None:
    register_ledger(app, INTEGRITY_CASES)
