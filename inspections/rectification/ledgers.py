"""The rectification ledger (整改台账): every rectification opened in the period, from finding to
verification, declared once for the download page, the API and the CLI. Registered by the
rectification package's `init_app`; the labels and small helpers it shares with the inspection
ledger come from `inspections.ledgers`.

A row holds the facts of the case a discipline officer files: what the inspector found and why
(reason and note), every response with who sent it and when, every rejection with who rejected it,
when and why, the verification with its note, and each photo once with its role (problem,
response, on-the-spot fix). Rows are in the order the rectifications were opened (then by id).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext
from sqlalchemy.orm import aliased

from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    local_text,
    register_ledger,
    scope_clause,
    site_clause,
    user_names,
)
from compliance.ledgers.summary import utc_bounds
from compliance.models import Site, StaffMember, Window
from compliance.timeutil import local_today, tz

from ..ledger_photos import photo_lines, photos_by_rectification
from ..ledgers import (
    CATEGORY_LABELS,
    INSPECTION_ROLES,
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
)
from ..models import Finding
from .models import ConductRecord, Rectification, RectificationEvent

# The timeline events a row tells (opening, reminders and comments are on the timeline page).
_TOLD = ("responded", "fixed_on_spot", "rejected", "verified")


def _rectification_stmt(session, user, filters) -> sa.Select:
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    window, responsible = aliased(Window), aliased(StaffMember)
    stmt = (
        sa.select(
            Rectification.opened_at,
            Site.name,
            window.code + " " + window.name,
            responsible.name,
            sa.func.coalesce(Finding.found_by_id, ConductRecord.recorded_by_id),
            Rectification.title,
            Rectification.category,
            Rectification.severity,
            sa.func.coalesce(Finding.reason, ConductRecord.outcome_reason),
            sa.func.coalesce(Finding.note, ConductRecord.text),
            Rectification.deadline_on,
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
        .outerjoin(ConductRecord, ConductRecord.id == Rectification.complaint_id)
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


def _event_lines():
    """A function writing "2026-03-13 09:00 复查李四：理由" (who and why left out when not
    recorded), with the time zone and wording resolved once per export."""
    zone = tz()
    template = pgettext("ledger event line", "%(head)s: %(text)s")

    def line(at, who: str | None, text: str | None, extra: str | None = None) -> str:
        head = local_text(at, zone)
        if who:
            head += " " + who
        if extra:
            head += " " + extra
        return template % {"head": head, "text": text} if text else head

    return line


def _rectification_rows(session, user, filters):
    stmt = _rectification_stmt(session, user, filters)
    keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)
    today = local_today()
    no_reason = pgettext("rectification ledger", "(no reason recorded)")
    on_the_spot = pgettext("rectification ledger", "on-the-spot fix")
    witnessed = pgettext("rectification ledger", " (witness: %(name)s)")
    event_line = _event_lines()
    photo_text = photo_lines("/rectifications/photos")

    def enrich(rows):
        ids = [r[-1] for r in rows]
        events = session.execute(
            sa.select(
                RectificationEvent.rectification_id,
                RectificationEvent.kind,
                RectificationEvent.actor_id,
                RectificationEvent.at,
                RectificationEvent.text,
                RectificationEvent.data,
            )
            .where(
                RectificationEvent.rectification_id.in_(ids),
                RectificationEvent.kind.in_(_TOLD),
            )
            .order_by(RectificationEvent.rectification_id, RectificationEvent.id)
        ).all()
        names = user_names(
            session,
            {e.actor_id for e in events} | {r[4] for r in rows} | {r[11] for r in rows},
        )
        responses: dict[int, list[str]] = defaultdict(list)
        rejections: dict[int, list[str]] = defaultdict(list)
        verification: dict[int, str] = {}
        for rect_id, kind, actor_id, at, text, data in events:
            who = names.get(actor_id)
            if kind == "responded":
                responses[rect_id].append(event_line(at, who, text))
            elif kind == "fixed_on_spot":
                witness = (data or {}).get("witness")
                extra = on_the_spot + (witnessed % {"name": witness} if witness else "")
                responses[rect_id].append(event_line(at, who, text, extra))
            elif kind == "rejected":
                rejections[rect_id].append(event_line(at, who, text or no_reason))
            elif kind == "verified":
                verification[rect_id] = text or ""  # the latest verification's note
        photos = photos_by_rectification(session, {r[-1]: r[17] for r in rows})
        out = []
        for r in rows:
            rect_id, status = r[-1], r[13]
            if r[14]:
                outcome = "fixed_on_spot"
            elif status == "verified":
                outcome = "passed"
            elif r[16]:
                outcome = "rejected"
            else:
                outcome = None
            verified = status == "verified"
            out.append(
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    names.get(r[4]) if r[4] else None,
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    r[10],
                    "\n".join(responses.get(rect_id, ())) or None,
                    r[16],
                    "\n".join(rejections.get(rect_id, ())) or None,
                    names.get(r[11]) if r[11] and verified else None,
                    r[12] if verified else None,
                    verification.get(rect_id) or None,
                    outcome,
                    status,
                    _overdue_days(status, r[10], r[15], today),
                    photo_text(photos.get(rect_id)),
                )
            )
        return out

    for n, row in enumerate(keyset_stream(session, stmt, keys, enrich=enrich), 1):
        yield (n, *row)


def _rectification_count(session, user, filters) -> int:
    return count_of(session, _rectification_stmt(session, user, filters))


RECTIFICATIONS = Ledger(
    code="rectifications",
    title=_lp("ledger title", "Rectification ledger"),
    description=_lp(
        "ledger description",
        "Every rectification opened in the period, from finding to verification: reasons, "
        "responses, rejections, verification and photos.",
    ),
    roles=INSPECTION_ROLES,
    columns=[
        Column("no", _lp("rectification ledger", "No."), "int", 5),
        Column("opened_at", _lp("rectification ledger", "Opened at"), "datetime", 16),
        Column("site", _lp("rectification ledger", "Site"), "text", 12),
        Column("window", _lp("rectification ledger", "Window"), "text", 10),
        Column("responsible", _lp("rectification ledger", "Responsible person"), "text", 8),
        Column("inspector", _lp("rectification ledger", "Found by"), "text", 8),
        Column("description", _lp("rectification ledger", "Problem"), "user_text", 20),
        Column(
            "category", _lp("rectification ledger", "Category"), "enum", 8, choices=CATEGORY_LABELS
        ),
        Column(
            "severity", _lp("rectification ledger", "Severity"), "enum", 6, choices=SEVERITY_LABELS
        ),
        Column("reason", _lp("rectification ledger", "Reason given"), "user_text", 14),
        Column("note", _lp("rectification ledger", "Inspector's note"), "user_text", 20),
        Column("deadline", _lp("rectification ledger", "Deadline"), "date", 11),
        Column(
            "responses", _lp("rectification ledger", "Responses (when, who, what)"), "user_text", 24
        ),
        Column("rejection_count", _lp("rectification ledger", "Times rejected"), "int", 6),
        Column(
            "rejections",
            _lp("rectification ledger", "Rejections (when, who, why)"),
            "user_text",
            22,
        ),
        Column("verifier", _lp("rectification ledger", "Verified by"), "text", 8),
        Column("verified_at", _lp("rectification ledger", "Verified at"), "datetime", 16),
        Column(
            "verification_note", _lp("rectification ledger", "Verification note"), "user_text", 16
        ),
        Column("result", _lp("rectification ledger", "Result"), "enum", 8, choices=OUTCOME_LABELS),
        Column("status", _lp("rectification ledger", "Status"), "enum", 9, choices=STATUS_LABELS),
        Column("overdue_days", _lp("rectification ledger", "Days overdue"), "int", 6),
        Column(
            "photos",
            _lp("rectification ledger", "Photos (problem, response, on-the-spot fix)"),
            "link",
            30,
        ),
    ],
    rows=_rectification_rows,
    count=_rectification_count,
    filters=[
        FilterField("status", _lp("ledger filter", "Status"), "choice", STATUS_LABELS),
        FilterField("category", _lp("ledger filter", "Category"), "choice", CATEGORY_LABELS),
        FilterField("severity", _lp("ledger filter", "Severity"), "choice", SEVERITY_LABELS),
        FilterField("overdue", _lp("ledger filter", "Overdue only"), "bool"),
        FilterField("staff", _lp("ledger filter", "Responsible staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "the day the rectification was opened"),
    order=20,
)


# --- complaints and commendations (投诉与表扬台账) ---------------------------------------------


def init_app(app) -> None:
    """Register the rectification ledger with compliance.ledgers (complaints and commendations
    have their own ledger in `inspections.complaints`)."""
    register_ledger(app, RECTIFICATIONS)
