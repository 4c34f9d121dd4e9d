"""The assessment ledger (考评台账): per closed month in the export's dates, each person, window
and site with score, rank, stars, card and the itemised deductions and bonuses."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.audit_labels import register_audit_labels
from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    scope_clause,
    site_clause,
)
from compliance.models import Site

from .models import MonthClose, Scheme, ScoreSnapshot

ROLES = frozenset({"discipline", "leader", "admin", "hr", "inspector"})
KIND_LABELS = {
    "staff": _lp("assessment subject", "Staff member"),
    "window": _lp("assessment subject", "Window"),
    "site": _lp("assessment subject", "Site"),
}
CARD_LABELS = {
    "none": _lp("assessment card", "None"),
    "yellow": _lp("assessment card", "Yellow card"),
    "red": _lp("assessment card", "Red card"),
}
ITEM_WORDS = {
    "finding": _lp("assessment item", "Finding"),
    "repeat": _lp("assessment item", "Repeat offence"),
    "joint": _lp("assessment item", "Joint deduction"),
    "complaint": _lp("assessment item", "Upheld complaint"),
    "overdue": _lp("assessment item", "Overdue rectification"),
    "commendation": _lp("assessment item", "Commendation"),
    "integrity": _lp("assessment item", "Integrity case concluded"),
}


def _stmt(session, user, filters):
    stmt = (
        sa.select(
            MonthClose.month,
            ScoreSnapshot.subject_kind,
            Site.name,
            ScoreSnapshot.name,
            ScoreSnapshot.score,
            ScoreSnapshot.rank,
            ScoreSnapshot.stars,
            ScoreSnapshot.card,
            ScoreSnapshot.deductions,
            ScoreSnapshot.bonuses,
            ScoreSnapshot.detail,
            Scheme.version,
            MonthClose.month.label("k_month"),
            ScoreSnapshot.subject_kind.label("k_kind"),
            ScoreSnapshot.rank.label("k_rank"),
            ScoreSnapshot.id.label("k_id"),
        )
        .join(MonthClose, MonthClose.id == ScoreSnapshot.close_id)
        .join(Scheme, Scheme.id == MonthClose.scheme_id)
        .join(Site, Site.id == ScoreSnapshot.site_id)
        .where(
            MonthClose.status == "closed",
            MonthClose.month >= filters["date_from"].replace(day=1),
            MonthClose.month <= filters["date_to"],
            scope_clause(user, ScoreSnapshot.site_id, session),
            site_clause(filters, ScoreSnapshot.site_id),
        )
    )
    kinds = filters.get("subject")
    if kinds:
        stmt = stmt.where(ScoreSnapshot.subject_kind.in_(kinds))
    return stmt


def itemised(detail) -> str:
    return "\n".join(
        f"{item['on']} {ITEM_WORDS[item['kind']] if item['kind'] in ITEM_WORDS else item['kind']} "
        f"{item['points']:+g} {item.get('label') or ''}".rstrip()
        for item in detail or ()
    )


def _rows(session, user, filters):
    no = 0
    stmt = _stmt(session, user, filters)
    keys = (MonthClose.month, ScoreSnapshot.subject_kind, ScoreSnapshot.rank, ScoreSnapshot.id)
    for row in keyset_stream(session, stmt, keys):
        no += 1
        month, kind, site, name, score, rank, stars, card, ded, bonus, detail, version = row[:12]
        yield (
            no,
            month.strftime("%Y-%m"),
            kind,
            site,
            name,
            score,
            rank,
            stars,
            card,
            ded,
            bonus,
            itemised(detail),
            version,
        )


ASSESSMENT = Ledger(
    code="evaluation",
    title=_lp("ledger title", "Assessment ledger"),
    description=_lp(
        "ledger description",
        "Closed months: each person, window and site with score, rank, stars, card and the "
        "itemised deductions and bonuses.",
    ),
    roles=ROLES,
    columns=[
        Column("no", _lp("assessment ledger", "No."), "int", 7),
        Column("month", _lp("assessment ledger", "Month"), "text", 9),
        Column("subject", _lp("assessment ledger", "Kind"), "enum", 10, choices=KIND_LABELS),
        Column("site", _lp("assessment ledger", "Site"), "text", 20),
        Column("name", _lp("assessment ledger", "Name"), "text", 18),
        Column("score", _lp("assessment ledger", "Score"), "float", 8),
        Column("rank", _lp("assessment ledger", "Rank"), "int", 6),
        Column("stars", _lp("assessment ledger", "Stars"), "int", 6),
        Column("card", _lp("assessment ledger", "Card"), "enum", 9, choices=CARD_LABELS),
        Column("deductions", _lp("assessment ledger", "Deductions"), "float", 9),
        Column("bonuses", _lp("assessment ledger", "Bonuses"), "float", 8),
        Column("items", _lp("assessment ledger", "Deductions and bonuses"), "user_text", 50),
        Column("scheme", _lp("assessment ledger", "Scheme version"), "int", 8),
    ],
    rows=_rows,
    count=lambda session, user, filters: count_of(session, _stmt(session, user, filters)),
    filters=[FilterField("subject", _lp("ledger filter", "Kind"), "choice", KIND_LABELS)],
    date_label=_lp("ledger dates", "the closed month"),
    order=60,
)

ACTIONS = {
    "evaluation.scheme_create": _lp("audit action", "Assessment scheme version added"),
    "evaluation.appeal_file": _lp("audit action", "Appeal against a finding filed"),
    "evaluation.appeal_decide": _lp("audit action", "Appeal decided"),
    "evaluation.month_close": _lp("audit action", "Assessment month closed"),
    "evaluation.month_reopen": _lp("audit action", "Assessment month re-opened"),
    "finding.void": _lp("audit action", "Finding voided"),
    "rectification.cancelled": _lp("audit action", "Rectification cancelled"),
}
RECORDS = {
    "Scheme": _lp("audit record", "Assessment scheme"),
    "Appeal": _lp("audit record", "Appeal"),
    "MonthClose": _lp("audit record", "Assessment month close"),
}
FIELDS = {
    "voided_at": _lp("audit field", "Voided at"),
    "voided_by_id": _lp("audit field", "Voided by"),
    "void_reason": _lp("audit field", "Reason for voiding"),
    "scheme_version": _lp("audit field", "Scheme version"),
    "reopen_reason": _lp("audit field", "Reason for re-opening"),
}


def init_app(app) -> None:
    register_ledger(app, ASSESSMENT)
    register_audit_labels(app, actions=ACTIONS, records=RECORDS, fields=FIELDS)
