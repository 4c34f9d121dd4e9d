"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI:
the inspection ledger (巡查台账) and this package's figures in the period summary. The
rectification ledger (整改台账) is declared in `inspections/rectification/ledgers.py`."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from compliance.ledgers import (
    Column,
    FilterField,
    Ledger,
    count_of,
    keyset_stream,
    register_ledger,
    register_summary_metric,
    scope_clause,
    site_clause,
)
from compliance.ledgers.summary import utc_bounds
from compliance.models import Site, StaffMember, User, Window
from compliance.timeutil import local_today, to_local

from .models import (
    CheckItem,
    CheckItemVersion,
    CheckResult,
    Finding,
    Inspection,
    InspectionInspector,
    Photo,
)
from .rectification.models import (
    ConductRecord,
    Rectification,
)

CATEGORY_LABELS = {
    "attendance": _l("Attendance"),
    "attire": _l("Attire"),
    "hygiene": _l("Hygiene"),
    "conduct": _l("Service conduct"),
}
SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}
KIND_LABELS = {"patrol": _l("Patrol"), "spot_check": _l("Spot check")}
RESULT_LABELS = {
    "pass": _l("Pass"),
    "fail": _l("Fail"),
    "excused": _l("Excused"),
    "na": _l("Not applicable"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "responded": _l("Responded"),
    "rejected": _l("Rejected, awaiting a new response"),
    "verified": _l("Verified"),
}
OUTCOME_LABELS = {
    "passed": _l("Passed"),
    "rejected": _l("Rejected"),
    "fixed_on_spot": _l("Fixed on the spot"),
}
UNIT_LABELS = {"findings": _l("One row per finding"), "results": _l("One row per check result")}
INSPECTION_ROLES = frozenset({"discipline", "admin", "inspector", "leader"})


def _is_english() -> bool:
    locale = get_locale()
    return locale is not None and str(locale).startswith("en")


def _photo_url(prefix: str) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + prefix + "/{}/display"


def _names(session, user_ids) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(
        session.execute(
            sa.select(User.id, User.display_name).where(User.id.in_(set(user_ids)))
        ).all()
    )


# --- inspection ledger (巡查台账) ------------------------------------------------------------


def _inspection_stmt(session, user, filters) -> sa.Select:
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    window, staff = aliased(Window), aliased(StaffMember)
    if filters.get("unit") == "results":
        when = sa.func.coalesce(Inspection.submitted_at, Inspection.started_at)
        stmt = (
            sa.select(
                when,
                Site.name,
                Inspection.kind,
                Inspection.inspector_id,
                window.code + " " + window.name,
                staff.name,
                CheckItem.category,
                CheckItemVersion.text_zh,
                CheckItemVersion.text_en,
                CheckResult.result,
                CheckResult.severity,
                CheckResult.reason,
                CheckResult.note,
                Inspection.id,
                when.label("k1"),
                CheckResult.id.label("k2"),
            )
            .select_from(CheckResult)
            .join(Inspection, Inspection.id == CheckResult.inspection_id)
            .join(Site, Site.id == Inspection.site_id)
            .join(CheckItemVersion, CheckItemVersion.id == CheckResult.item_version_id)
            .join(CheckItem, CheckItem.id == CheckItemVersion.item_id)
            .outerjoin(window, window.id == CheckResult.window_id)
            .outerjoin(staff, staff.id == CheckResult.staff_member_id)
            .where(Inspection.status == "submitted")
            .where(Inspection.submitted_at >= start, Inspection.submitted_at < end)
            .where(scope_clause(user, Inspection.site_id, session))
            .where(site_clause(filters, Inspection.site_id))
        )
        if filters.get("result"):
            stmt = stmt.where(CheckResult.result.in_(filters["result"]))
        if filters.get("category"):
            stmt = stmt.where(CheckItem.category.in_(filters["category"]))
        if filters.get("severity"):
            stmt = stmt.where(CheckResult.severity.in_(filters["severity"]))
        if filters.get("staff"):
            stmt = stmt.where(CheckResult.staff_member_id.in_(filters["staff"]))
    else:
        stmt = (
            sa.select(
                Finding.found_at,
                Site.name,
                Inspection.kind,
                sa.func.coalesce(Inspection.inspector_id, Finding.found_by_id),
                window.code + " " + window.name,
                staff.name,
                Finding.category,
                Finding.description,
                Finding.description,
                sa.literal("fail"),
                Finding.severity,
                Finding.reason,
                Finding.note,
                Inspection.id,
                Finding.found_at.label("k1"),
                Finding.id.label("k2"),
            )
            .select_from(Finding)
            .join(Site, Site.id == Finding.site_id)
            .outerjoin(Inspection, Inspection.id == Finding.inspection_id)
            .outerjoin(window, window.id == Finding.window_id)
            .outerjoin(staff, staff.id == Finding.staff_member_id)
            .where(Finding.found_at >= start, Finding.found_at < end)
            .where(scope_clause(user, Finding.site_id, session))
            .where(site_clause(filters, Finding.site_id))
        )
        if filters.get("result") and "fail" not in filters["result"]:
            stmt = stmt.where(sa.false())
        if filters.get("category"):
            stmt = stmt.where(Finding.category.in_(filters["category"]))
        if filters.get("severity"):
            stmt = stmt.where(Finding.severity.in_(filters["severity"]))
        if filters.get("staff"):
            stmt = stmt.where(Finding.staff_member_id.in_(filters["staff"]))
    if filters.get("kind"):
        stmt = stmt.where(Inspection.kind.in_(filters["kind"]))
    return stmt


def _inspection_rows(session, user, filters):
    stmt = _inspection_stmt(session, user, filters)
    by_result = filters.get("unit") == "results"
    # Pages walk the primary key (creation order, which follows the time of the record): the
    # cheapest keyset on both databases, with no sort per page.
    keys = (stmt.selected_columns.k2,)
    english = _is_english()
    url = _photo_url("/photos")
    photo_key = Photo.check_result_id if by_result else Photo.finding_id

    def enrich(rows):
        inspection_ids = {r[13] for r in rows if r[13] is not None}
        # A spot check credits the drawn inspectors who signed it (with when they signed); a
        # patrol its inspector.
        teams: dict[int, list[tuple[int, object]]] = defaultdict(list)
        if inspection_ids:
            for inspection_id, user_id, signed_at in session.execute(
                sa.select(
                    InspectionInspector.inspection_id,
                    InspectionInspector.user_id,
                    InspectionInspector.signed_at,
                )
                .where(InspectionInspector.inspection_id.in_(inspection_ids))
                .order_by(InspectionInspector.inspection_id, InspectionInspector.position)
            ):
                teams[inspection_id].append((user_id, signed_at))
        names = _names(
            session, {r[3] for r in rows if r[3]} | {u for t in teams.values() for u, _s in t}
        )
        photos: dict[int, list[str]] = defaultdict(list)
        for owner, photo_id in session.execute(
            sa.select(photo_key, Photo.id)
            .where(photo_key.in_([r[-1] for r in rows]))
            .order_by(Photo.id)
        ):
            photos[owner].append(url.format(photo_id))
        out = []
        for r in rows:
            team = teams.get(r[13])
            signed = [(u, at) for u, at in team or [] if at is not None]
            people = [u for u, _at in signed] if team else ([r[3]] if r[3] else [])
            item = (r[8] if english else r[7]) if by_result else r[7]
            out.append(
                (
                    r[0],
                    r[1],
                    r[2],
                    "、".join(names.get(u, "?") for u in people) or None,
                    r[4],
                    r[5],
                    r[6],
                    item,
                    r[9],
                    r[10],
                    r[11],
                    r[12],
                    photos.get(r[-1]) or None,
                    "；".join(
                        f"{names.get(u, '?')} {to_local(at):%Y-%m-%d %H:%M}" for u, at in signed
                    )
                    or None,
                )
            )
        return out

    for n, row in enumerate(keyset_stream(session, stmt, keys, enrich=enrich), 1):
        yield (n, *row)


def _inspection_count(session, user, filters) -> int:
    return count_of(session, _inspection_stmt(session, user, filters))


INSPECTIONS = Ledger(
    code="inspections",
    title=_l("Inspection ledger"),
    description=_l("Patrols and spot checks: one row per finding, or per check result."),
    roles=INSPECTION_ROLES,
    columns=[
        Column("no", _l("No."), "int", 7),
        Column("at", _l("Date and time"), "datetime", 17),
        Column("site", _l("Site"), "text", 22),
        Column("kind", _l("Kind"), "enum", 10, choices=KIND_LABELS),
        Column("inspectors", _l("Inspector(s)"), "text", 16),
        Column("window", _l("Window"), "text", 16),
        Column("staff", _l("Staff member"), "text", 12),
        Column("category", _l("Category"), "enum", 11, choices=CATEGORY_LABELS),
        Column("item", _l("Check item"), "user_text", 36),
        Column("result", _l("Result"), "enum", 9, choices=RESULT_LABELS),
        Column("severity", _l("Severity"), "enum", 9, choices=SEVERITY_LABELS),
        Column("reason", _l("Reason"), "user_text", 20),
        Column("note", _l("Note"), "user_text", 36),
        Column("photos", _l("Photo links"), "link", 40),
        Column("signatures", _l("Signed (spot checks)"), "text", 28),
    ],
    rows=_inspection_rows,
    count=_inspection_count,
    filters=[
        FilterField("unit", _l("Rows"), "one", UNIT_LABELS, default="findings"),
        FilterField("kind", _l("Kind"), "choice", KIND_LABELS),
        FilterField("category", _l("Category"), "choice", CATEGORY_LABELS),
        FilterField("severity", _l("Severity"), "choice", SEVERITY_LABELS),
        FilterField("result", _l("Result"), "choice", RESULT_LABELS),
        FilterField("staff", _l("Staff numbers"), "staff"),
    ],
    date_label=_l("the time of the finding or of the submitted inspection"),
    order=10,
)


# --- figures for the period summary ---------------------------------------------------------


def _inspections_of(kind: str):
    def count(session, user, filters, start, end) -> int:
        lo, hi = utc_bounds(start, end)
        return (
            session.scalar(
                sa.select(sa.func.count(Inspection.id))
                .where(
                    Inspection.kind == kind,
                    Inspection.status == "submitted",
                    Inspection.submitted_at >= lo,
                    Inspection.submitted_at < hi,
                )
                .where(scope_clause(user, Inspection.site_id, session))
                .where(site_clause(filters, Inspection.site_id))
            )
            or 0
        )

    return count


def _findings_stmt(session, user, filters, start, end):
    lo, hi = utc_bounds(start, end)
    return (
        sa.select(Finding.category, sa.func.count(Finding.id))
        .where(Finding.found_at >= lo, Finding.found_at < hi)
        .where(scope_clause(user, Finding.site_id, session))
        .where(site_clause(filters, Finding.site_id))
        .group_by(Finding.category)
    )


def _findings(session, user, filters, start, end) -> int:
    return sum(n for _c, n in session.execute(_findings_stmt(session, user, filters, start, end)))


def _findings_by_category(session, user, filters, start, end) -> dict:
    counts = dict(session.execute(_findings_stmt(session, user, filters, start, end)).all())
    return {str(label): counts.get(key, 0) for key, label in CATEGORY_LABELS.items()}


def _rect_scope(stmt, session, user, filters):
    return stmt.where(scope_clause(user, Rectification.site_id, session)).where(
        site_clause(filters, Rectification.site_id)
    )


def _rectified(on_time: bool):
    def count(session, user, filters, start, end) -> int:
        stmt = sa.select(sa.func.count(Rectification.id)).where(
            Rectification.status == "verified",
            Rectification.closed_on >= start,
            Rectification.closed_on <= end,
        )
        if on_time:
            stmt = stmt.where(Rectification.closed_on_time.is_(True))
        return session.scalar(_rect_scope(stmt, session, user, filters)) or 0

    return count


def _overdue(session, user, filters, start, end) -> int:
    """Rectifications whose deadline fell in the period and that missed it."""
    today = local_today()
    stmt = sa.select(sa.func.count(Rectification.id)).where(
        Rectification.deadline_on >= start,
        Rectification.deadline_on <= end,
        sa.or_(
            Rectification.closed_on > Rectification.deadline_on,
            sa.and_(Rectification.closed_on.is_(None), Rectification.deadline_on < today),
        ),
    )
    return session.scalar(_rect_scope(stmt, session, user, filters)) or 0


def _conduct(kind: str):
    def count(session, user, filters, start, end) -> int:
        return (
            session.scalar(
                sa.select(sa.func.count(ConductRecord.id))
                .where(
                    ConductRecord.kind == kind,
                    ConductRecord.received_on >= start,
                    ConductRecord.received_on <= end,
                )
                .where(scope_clause(user, ConductRecord.site_id, session))
                .where(site_clause(filters, ConductRecord.site_id))
            )
            or 0
        )

    return count


def init_app(app) -> None:
    """Register this package's ledgers with compliance.ledgers."""
    register_ledger(app, INSPECTIONS)
    inspections, rectification, conduct = _l("Inspections"), _l("Rectification"), _l("Conduct")
    for order, key, label, func, group, monthly, breakdown in (
        (10, "patrols", _l("Patrols"), _inspections_of("patrol"), inspections, True, False),
        (
            11,
            "spot_checks",
            _l("Spot checks"),
            _inspections_of("spot_check"),
            inspections,
            True,
            False,
        ),
        (12, "findings", _l("Findings"), _findings, inspections, True, False),
        (
            13,
            "findings_by_category",
            _l("Findings by category"),
            _findings_by_category,
            inspections,
            False,
            True,
        ),
        (20, "rectified", _l("Rectified"), _rectified(False), rectification, True, False),
        (
            21,
            "rectified_on_time",
            _l("Rectified on time"),
            _rectified(True),
            rectification,
            True,
            False,
        ),
        (22, "overdue", _l("Overdue"), _overdue, rectification, True, False),
        (50, "complaints", _l("Complaints"), _conduct("complaint"), conduct, False, False),
        (51, "commendations", _l("Commendations"), _conduct("commendation"), conduct, False, False),
    ):
        register_summary_metric(
            app, key, label, func, group, order=order, monthly=monthly, breakdown=breakdown
        )
