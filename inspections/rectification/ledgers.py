"""The rectification ledger (整改台账): every rectification opened in the period, from finding to
verification, declared once for the download page, the API and the CLI. Registered by the
rectification package's `init_app`; the labels and small helpers it shares with the inspection
ledger come from `inspections.ledgers`."""

from __future__ import annotations

from collections import defaultdict
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
    scope_clause,
    site_clause,
)
from compliance.ledgers.summary import utc_bounds
from compliance.models import Site, StaffMember, Window
from compliance.timeutil import local_today

from ..ledgers import (
    CATEGORY_LABELS,
    INSPECTION_ROLES,
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    _is_english,
    _names,
    _photo_url,
)
from ..models import CheckItemVersion, Finding, Photo
from .models import Rectification, RectificationEvent, RectificationEventPhoto


def _rectification_stmt(session, user, filters) -> sa.Select:
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    window, responsible = aliased(Window), aliased(StaffMember)
    found_at = sa.func.coalesce(Finding.found_at, Rectification.opened_at)
    stmt = (
        sa.select(
            found_at,
            Site.name,
            Finding.found_by_id,
            window.code + " " + window.name,
            responsible.name,
            Rectification.title,
            Finding.note,
            Rectification.category,
            Rectification.severity,
            CheckItemVersion.text_zh,
            CheckItemVersion.text_en,
            Rectification.deadline_on,
            Rectification.responded_at,
            Rectification.verified_by_id,
            Rectification.closed_at,
            Rectification.status,
            Rectification.fixed_on_spot,
            Rectification.closed_on,
            Rectification.rejection_count,
            Rectification.finding_id,
            Rectification.opened_at.label("k1"),
            Rectification.id.label("k2"),
        )
        .select_from(Rectification)
        .join(Site, Site.id == Rectification.site_id)
        .outerjoin(Finding, Finding.id == Rectification.finding_id)
        .outerjoin(CheckItemVersion, CheckItemVersion.id == Finding.item_version_id)
        .outerjoin(window, window.id == Rectification.window_id)
        .outerjoin(responsible, responsible.id == Rectification.responsible_staff_id)
        .where(Rectification.opened_at >= start, Rectification.opened_at < end)
        .where(scope_clause(user, Rectification.site_id, session))
        .where(site_clause(filters, Rectification.site_id))
    )
    if filters.get("status"):
        stmt = stmt.where(Rectification.status.in_(filters["status"]))
    if filters.get("category"):
        stmt = stmt.where(Rectification.category.in_(filters["category"]))
    if filters.get("severity"):
        stmt = stmt.where(Rectification.severity.in_(filters["severity"]))
    if filters.get("staff"):
        stmt = stmt.where(Rectification.responsible_staff_id.in_(filters["staff"]))
    if filters.get("overdue"):
        today = local_today()
        stmt = stmt.where(
            sa.or_(
                sa.and_(Rectification.status != "verified", Rectification.deadline_on < today),
                Rectification.closed_on > Rectification.deadline_on,
            )
        )
    return stmt


def _overdue_days(status: str, deadline: date, closed_on: date | None, today: date) -> int:
    """Days past the deadline: until today while open, until closing when closed late."""
    end = closed_on if status == "verified" and closed_on else today
    return max(0, (end - deadline).days)


def _rectification_rows(session, user, filters):
    stmt = _rectification_stmt(session, user, filters)
    # Pages walk the primary key (creation order, which follows the time of the record): the
    # cheapest keyset on both databases, with no sort per page.
    keys = (stmt.selected_columns.k2,)
    english = _is_english()
    today = local_today()
    url = _photo_url("/rectifications/photos")

    def enrich(rows):
        ids = [r[-1] for r in rows]
        responses: dict[int, str] = {}
        for rect_id, text in session.execute(
            sa.select(RectificationEvent.rectification_id, RectificationEvent.text)
            .where(
                RectificationEvent.rectification_id.in_(ids),
                RectificationEvent.kind.in_(("responded", "fixed_on_spot")),
            )
            .order_by(RectificationEvent.id)
        ):
            responses[rect_id] = text  # the latest wins
        photos: dict[int, list[int]] = defaultdict(list)
        finding_ids = {r[19]: r[-1] for r in rows if r[19] is not None}
        if finding_ids:
            for finding_id, photo_id in session.execute(
                sa.select(Photo.finding_id, Photo.id)
                .where(Photo.finding_id.in_(finding_ids))
                .order_by(Photo.id)
            ):
                photos[finding_ids[finding_id]].append(photo_id)
        for rect_id, photo_id in session.execute(
            sa.select(RectificationEvent.rectification_id, RectificationEventPhoto.photo_id)
            .join(
                RectificationEventPhoto, RectificationEventPhoto.event_id == RectificationEvent.id
            )
            .where(RectificationEvent.rectification_id.in_(ids))
            .order_by(RectificationEventPhoto.photo_id)
        ):
            photos[rect_id].append(photo_id)
        names = _names(session, {r[2] for r in rows if r[2]} | {r[13] for r in rows if r[13]})
        out = []
        for r in rows:
            status = r[15]
            if r[16]:
                outcome = "fixed_on_spot"
            elif status == "verified":
                outcome = "passed"
            elif r[18]:
                outcome = "rejected"
            else:
                outcome = None
            verified = status == "verified"
            out.append(
                (
                    r[0],
                    r[1],
                    names.get(r[2]) if r[2] else None,
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[10] if english else r[9],
                    r[11],
                    responses.get(r[-1]),
                    r[12],
                    names.get(r[13]) if r[13] else None,
                    r[14] if verified else None,
                    outcome,
                    status,
                    _overdue_days(status, r[11], r[17], today),
                    r[18],
                    [url.format(p) for p in photos.get(r[-1], ())] or None,
                )
            )
        return out

    for n, row in enumerate(keyset_stream(session, stmt, keys, enrich=enrich), 1):
        yield (n, *row)


def _rectification_count(session, user, filters) -> int:
    return count_of(session, _rectification_stmt(session, user, filters))


RECTIFICATIONS = Ledger(
    code="rectifications",
    title=_l("Rectification ledger"),
    description=_l("Every rectification opened in the period, from finding to verification."),
    roles=INSPECTION_ROLES,
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("found_at", _l("Found at"), "datetime", 17),
        Column("site", _l("Site"), "text", 22),
        Column("inspector", _l("Inspector"), "text", 12),
        Column("window", _l("Window"), "text", 16),
        Column("responsible", _l("Responsible person"), "text", 12),
        Column("description", _l("Problem description"), "user_text", 36),
        Column("note", _l("Inspector's note"), "user_text", 30),
        Column("category", _l("Category"), "enum", 11, choices=CATEGORY_LABELS),
        Column("severity", _l("Severity"), "enum", 9, choices=SEVERITY_LABELS),
        Column("requirement", _l("Requirement"), "user_text", 30),
        Column("deadline", _l("Deadline"), "date", 12),
        Column("response", _l("Response"), "user_text", 36),
        Column("responded_at", _l("Responded at"), "datetime", 17),
        Column("verifier", _l("Verified by"), "text", 12),
        Column("verified_at", _l("Verified at"), "datetime", 17),
        Column("result", _l("Result"), "enum", 12, choices=OUTCOME_LABELS),
        Column("status", _l("Status"), "enum", 14, choices=STATUS_LABELS),
        Column("overdue_days", _l("Days overdue"), "int", 9),
        Column("rejections", _l("Rejections"), "int", 9),
        Column("photos", _l("Photo links"), "link", 44),
    ],
    rows=_rectification_rows,
    count=_rectification_count,
    filters=[
        FilterField("status", _l("Status"), "choice", STATUS_LABELS),
        FilterField("category", _l("Category"), "choice", CATEGORY_LABELS),
        FilterField("severity", _l("Severity"), "choice", SEVERITY_LABELS),
        FilterField("overdue", _l("Overdue only"), "bool"),
        FilterField("staff", _l("Responsible staff numbers"), "staff"),
    ],
    date_label=_l("the day the rectification was opened"),
    order=20,
)


def init_app(app) -> None:
    """Register the rectification ledger with compliance.ledgers."""
    register_ledger(app, RECTIFICATIONS)
