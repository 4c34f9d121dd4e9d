"""Ledgers of complaints: the complaint ledger (投诉台账: every complaint or commendation received
in the period, through verification, conclusion and callback) and the problems by check item
(patrol findings and upheld complaints of the same item counted together)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from compliance.domain import N_, translate
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

from ..forms import CATEGORY_LABELS
from ..integrity.models import IntegrityCase
from ..models import CheckItem
from ..rectification.models import Rectification
from .forms import KIND_LABELS, OUTCOME_LABELS, SOURCE_LABELS, STATUS_LABELS, SUBJECT_LABELS
from .models import ComplaintCallback, ComplaintCategory, ConductRecord
from .services import COUNT_ROLES, item_counts, visible_clause

REFERRED = N_("Passed to the discipline office (已移交纪检)")
CALLBACK_LABELS = {
    "satisfied": _l("Reached, satisfied"),
    "unsatisfied": _l("Reached, not satisfied"),
    "unreached": _l("Not reached"),
}


def _english() -> bool:
    locale = get_locale()
    return locale is not None and str(locale).startswith("en")


def _stmt(session, user, filters) -> sa.Select:
    staff, window, handler = aliased(StaffMember), aliased(Window), aliased(User)
    stmt = (
        sa.select(
            ConductRecord.received_on,
            ConductRecord.kind,
            ConductRecord.source,
            sa.func.coalesce(ConductRecord.external_no, ConductRecord.reference),
            Site.name,
            ConductRecord.subject,
            staff.name,
            window.code + " " + window.name,
            ComplaintCategory.name_zh,
            ComplaintCategory.name_en,
            CheckItem.code,
            ConductRecord.text,
            ConductRecord.verify_due_on,
            handler.display_name,
            ConductRecord.verification_note,
            ConductRecord.outcome,
            ConductRecord.outcome_reason,
            ConductRecord.status,
            ConductRecord.closed_at,
            ConductRecord.id.label("k1"),
        )
        .select_from(ConductRecord)
        .join(Site, Site.id == ConductRecord.site_id)
        .outerjoin(staff, staff.id == ConductRecord.staff_member_id)
        .outerjoin(window, window.id == ConductRecord.window_id)
        .outerjoin(handler, handler.id == ConductRecord.handler_id)
        .outerjoin(ComplaintCategory, ComplaintCategory.id == ConductRecord.category_id)
        .outerjoin(CheckItem, CheckItem.id == ConductRecord.check_item_id)
        .where(
            ConductRecord.received_on >= filters["date_from"],
            ConductRecord.received_on <= filters["date_to"],
        )
        .where(visible_clause(session, user))
        .where(site_clause(filters, ConductRecord.site_id))
    )
    for key, column in (
        ("kind", ConductRecord.kind),
        ("source", ConductRecord.source),
        ("outcome", ConductRecord.outcome),
        ("status", ConductRecord.status),
    ):
        if filters.get(key):
            stmt = stmt.where(column.in_(filters[key]))
    return stmt


def _rows(session, user, filters):
    stmt = _stmt(session, user, filters)
    english = _english()
    show_cases = user is None or user.has_role("discipline", "admin")

    def enrich(rows):
        ids = [r[-1] for r in rows]
        rects = dict(
            session.execute(
                sa.select(Rectification.complaint_id, Rectification.id).where(
                    Rectification.complaint_id.in_(ids)
                )
            ).all()
        )
        cases = {
            complaint_id: f"XS{on:%Y}-{case_id:05d}"
            for complaint_id, on, case_id in session.execute(
                sa.select(
                    IntegrityCase.complaint_id, IntegrityCase.registered_on, IntegrityCase.id
                ).where(IntegrityCase.complaint_id.in_(ids))
            )
        }
        calls: dict[int, list] = defaultdict(list)
        for complaint_id, reached, satisfied in session.execute(
            sa.select(
                ComplaintCallback.complaint_id,
                ComplaintCallback.reached,
                ComplaintCallback.satisfied,
            )
            .where(ComplaintCallback.complaint_id.in_(ids))
            .order_by(ComplaintCallback.called_at, ComplaintCallback.id)
        ):
            calls[complaint_id].append((reached, satisfied))
        out = []
        for r in rows:
            (
                received_on,
                kind,
                source,
                number,
                site,
                subject,
                staff,
                window,
                cat_zh,
                cat_en,
                item,
                text,
                due,
                handler,
                note,
                outcome,
                reason,
                status,
                closed_at,
                rid,
            ) = r
            about = staff if subject == "staff" else window if subject == "window" else site
            follow_up = None
            if rid in rects:
                follow_up = translate(N_("Rectification #%(id)s"), {"id": rects[rid]})
            elif rid in cases:
                follow_up = cases[rid] if show_cases else translate(REFERRED)
            attempts = calls.get(rid, [])
            last = None
            if attempts:
                reached, satisfied = attempts[-1]
                last = "unreached" if not reached else "satisfied" if satisfied else "unsatisfied"
            out.append(
                (
                    received_on,
                    kind,
                    source,
                    number,
                    site,
                    subject,
                    about,
                    cat_en if english else cat_zh,
                    item,
                    text,
                    due,
                    handler,
                    note,
                    outcome,
                    reason,
                    follow_up,
                    len(attempts) or None,
                    last,
                    status,
                    closed_at,
                )
            )
        return out

    for n, row in enumerate(
        keyset_stream(session, stmt, (stmt.selected_columns.k1,), enrich=enrich), 1
    ):
        yield (n, *row)


def _count(session, user, filters) -> int:
    return count_of(session, _stmt(session, user, filters))


COMPLAINTS = Ledger(
    code="complaints",
    title=_l("Complaint ledger (投诉台账)"),
    description=_l(
        "Complaints and commendations received in the period: verification, conclusion, "
        "follow-up and callback."
    ),
    roles=frozenset(COUNT_ROLES),  # the discipline office's working file: not HR
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("received_on", _l("Received"), "date", 12),
        Column("kind", _l("Kind"), "enum", 9, choices=KIND_LABELS),
        Column("source", _l("Source"), "enum", 12, choices=SOURCE_LABELS),
        Column("number", _l("Evaluation or reference number"), "text", 18),
        Column("site", _l("Site"), "text", 22),
        Column("subject", _l("Complaint about"), "enum", 10, choices=SUBJECT_LABELS),
        Column("about", _l("Staff member, window or site"), "text", 18),
        Column("category", _l("Category"), "text", 14),
        Column("item", _l("Check item"), "text", 9),
        Column("content", _l("Content"), "user_text", 40),
        Column("verify_by", _l("Verify by"), "date", 12),
        Column("handler", _l("Verified by"), "text", 12),
        Column("verification", _l("Verification"), "user_text", 36),
        Column("outcome", _l("Conclusion"), "enum", 10, choices=OUTCOME_LABELS),
        Column("reasons", _l("Reasons"), "user_text", 36),
        Column("follow_up", _l("Follow-up"), "text", 16),
        Column("callbacks", _l("Callbacks"), "int", 9),
        Column("callback", _l("Last callback"), "enum", 14, choices=CALLBACK_LABELS),
        Column("status", _l("Status"), "enum", 14, choices=STATUS_LABELS),
        Column("closed_at", _l("Closed"), "datetime", 17),
    ],
    rows=_rows,
    count=_count,
    filters=[
        FilterField("kind", _l("Kind"), "choice", KIND_LABELS),
        FilterField("source", _l("Source"), "choice", SOURCE_LABELS),
        FilterField("outcome", _l("Conclusion"), "choice", OUTCOME_LABELS),
        FilterField("status", _l("Status"), "choice", STATUS_LABELS),
    ],
    date_label=_l("the day the complaint or commendation was received"),
    order=30,
)


def _item_rows(session, user, filters):
    english = _english()
    rows = item_counts(
        session, user, filters["date_from"], filters["date_to"], site_ids=filters.get("site_ids")
    )
    if filters.get("category"):
        rows = [r for r in rows if r.category in filters["category"]]
    for r in rows:
        yield (
            r.code,
            r.text_en if english else r.text_zh,
            r.category,
            r.findings,
            r.complaints,
            r.total,
        )


def _item_count(session, user, filters) -> int:
    return sum(1 for _row in _item_rows(session, user, filters))


PROBLEMS_BY_ITEM = Ledger(
    code="problems_by_item",
    title=_l("Problems by check item"),
    description=_l(
        "Per check item: patrol findings and upheld complaints in the period, counted together."
    ),
    roles=frozenset(COUNT_ROLES),
    columns=[
        Column("code", _l("Code"), "text", 8),
        Column("item", _l("Check item"), "text", 40),
        Column("category", _l("Category"), "enum", 12, choices=CATEGORY_LABELS),
        Column("findings", _l("Patrol findings"), "int", 12),
        Column("complaints", _l("Upheld complaints"), "int", 12),
        Column("total", _l("Total"), "int", 9),
    ],
    rows=_item_rows,
    count=_item_count,
    filters=[FilterField("category", _l("Category"), "choice", CATEGORY_LABELS)],
    date_label=_l("the day of the finding, or the day the complaint was received"),
    order=31,
)


def init_app(app) -> None:
    register_ledger(app, COMPLAINTS)
    register_ledger(app, PROBLEMS_BY_ITEM)
