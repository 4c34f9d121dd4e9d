"""The bulletins in the ledger list (通报台账), and the words of their audit events."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import aliased

from compliance.audit_labels import register_audit_labels
from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    register_ledger,
    scope_clause,
    site_clause,
)
from compliance.models import Site, User

from .models import Bulletin
from .services import STATUS_LABELS

ACTIONS = {
    "bulletin.create": _lp("audit action", "Bulletin drafted"),
    "bulletin.update": _lp("audit action", "Bulletin text edited"),
    "bulletin.approve": _lp("audit action", "Bulletin approved"),
    "bulletin.return": _lp("audit action", "Bulletin sent back to draft"),
    "bulletin.publish": _lp("audit action", "Bulletin published"),
    "bulletin.download": _lp("audit action", "Bulletin downloaded as a Word document"),
}
RECORDS = {"Bulletin": _lp("audit record", "Bulletin (通报)")}
FIELDS = {
    "number": _lp("audit field", "Number"),
    "period": _lp("audit field", "Period"),
    "texts": _lp("audit field", "Texts"),
}
PERIOD_LABELS = {
    "month": _lp("bulletin period", "Month"),
    "quarter": _lp("bulletin period", "Quarter"),
}
ROLES = frozenset({"discipline", "admin", "leader"})


def _names(session, ids):
    rows = session.execute(
        sa.select(Bulletin.id, Bulletin.year, Bulletin.seq, Bulletin.title).where(
            Bulletin.id.in_(ids)
        )
    )
    return {i: f"〔{year}〕第{seq}期 {title}" for i, year, seq, title in rows}


def _stmt(session, user, filters):
    approver, publisher = aliased(User), aliased(User)
    stmt = (
        sa.select(
            Bulletin.year,
            Bulletin.seq,
            Bulletin.period_kind,
            Bulletin.period_start,
            Bulletin.period_end,
            Site.name,
            Bulletin.title,
            Bulletin.status,
            approver.display_name,
            Bulletin.approved_at,
            publisher.display_name,
            Bulletin.published_at,
        )
        .select_from(Bulletin)
        .outerjoin(Site, Site.id == Bulletin.site_id)
        .outerjoin(approver, approver.id == Bulletin.approved_by_id)
        .outerjoin(publisher, publisher.id == Bulletin.published_by_id)
        .where(
            Bulletin.period_end >= filters["date_from"], Bulletin.period_start <= filters["date_to"]
        )
    )
    if user is not None and not user.all_sites:
        # A centre bulletin (no site) is read by everyone; a site's within the reader's scope.
        stmt = stmt.where(
            sa.or_(Bulletin.site_id.is_(None), scope_clause(user, Bulletin.site_id, session))
        )
    if filters.get("site_ids") is not None:
        stmt = stmt.where(
            sa.or_(Bulletin.site_id.is_(None), site_clause(filters, Bulletin.site_id))
        )
    if filters.get("status"):
        stmt = stmt.where(Bulletin.status.in_(filters["status"]))
    return stmt.order_by(Bulletin.period_start, Bulletin.year, Bulletin.seq)


def _rows(session, user, filters):
    for n, row in enumerate(session.execute(_stmt(session, user, filters)), 1):
        year, seq, kind, start, end, site, *rest = row
        yield (n, f"〔{year}〕第{seq}期", kind, start, end, site, *rest)


def _count(session, user, filters) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(_stmt(session, user, filters).subquery())
        )
        or 0
    )


BULLETINS = Ledger(
    code="bulletins",
    title=_lp("ledger title", "Bulletin ledger (通报)"),
    description=_lp(
        "ledger description",
        "Assessment bulletins: number, period, title, status, approval and publication.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("bulletin ledger", "No."), "int", 5),
        Column("number", _lp("bulletin ledger", "Number"), "text", 14),
        Column("kind", _lp("bulletin ledger", "Period kind"), "enum", 8, choices=PERIOD_LABELS),
        Column("from", _lp("bulletin ledger", "Period from"), "date", 11),
        Column("to", _lp("bulletin ledger", "Period to"), "date", 11),
        Column("site", _lp("bulletin ledger", "Scope"), "text", 14),
        Column("title", _lp("bulletin ledger", "Title"), "user_text", 32),
        Column("status", _lp("bulletin ledger", "Status"), "enum", 8, choices=STATUS_LABELS),
        Column("approved_by", _lp("bulletin ledger", "Approved by"), "text", 10),
        Column("approved_at", _lp("bulletin ledger", "Approved at"), "datetime", 16),
        Column("published_by", _lp("bulletin ledger", "Published by"), "text", 10),
        Column("published_at", _lp("bulletin ledger", "Published at"), "datetime", 16),
    ],
    rows=_rows,
    count=_count,
    filters=[FilterField("status", _lp("ledger filter", "Status"), "choice", STATUS_LABELS)],
    date_label=_lp("ledger dates", "the period the bulletin reports on"),
    order=75,
)


def init_app(app) -> None:
    register_ledger(app, BULLETINS)
    register_audit_labels(
        app, actions=ACTIONS, records=RECORDS, fields=FIELDS, namers={"Bulletin": _names}
    )
