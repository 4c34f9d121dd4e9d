"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI:
the inspection ledger (巡查台账), with the labels the rectification ledger
shares. The rectification ledger (整改台账) is declared in `inspections/rectification/ledgers.py`,
this package's figures in the period summary in `inspections/ledger_figures.py`.

Rows are in date order (then by id); each photo is listed once with its role: the photo of the
problem, or one sent later with a response or an on-the-spot fix (those are linked to the finding
too, and are never shown as the problem's photo)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_pgettext as _lp
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
    user_names,
)
from compliance.ledgers.summary import utc_bounds
from compliance.models import Site, StaffMember, Window
from compliance.timeutil import to_local

from . import ledger_audit
from .check_results import derived_pass_count, results_of
from .ledger_figures import register_figures
from .ledger_photos import photo_lines, photos_by_finding
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
    RectificationEventPhoto,
)

CATEGORY_LABELS = {
    "attendance": _lp("check category", "Attendance"),
    "attire": _lp("check category", "Attire"),
    "hygiene": _lp("check category", "Hygiene"),
    "conduct": _lp("check category", "Service conduct"),
}
SEVERITY_LABELS = {
    "minor": _lp("severity", "Minor"),
    "major": _lp("severity", "Major"),
    "critical": _lp("severity", "Critical"),
}
KIND_LABELS = {
    "patrol": _lp("inspection kind", "Patrol"),
    "spot_check": _lp("inspection kind", "Spot check"),
}
RESULT_LABELS = {
    "pass": _lp("check result", "Pass"),
    "fail": _lp("check result", "Fail"),
    "excused": _lp("check result", "Excused (on leave)"),
    "na": _lp("check result", "Not applicable"),
}
STATUS_LABELS = {
    "open": _lp("rectification status", "Open"),
    "responded": _lp("rectification status", "Responded"),
    "rejected": _lp("rectification status", "Rejected, awaiting a new response"),
    "verified": _lp("rectification status", "Verified"),
    "cancelled": _lp("rectification status", "Cancelled (finding voided on appeal)"),
}
OUTCOME_LABELS = {
    "passed": _lp("verification outcome", "Passed"),
    "rejected": _lp("verification outcome", "Rejected"),
    "fixed_on_spot": _lp("verification outcome", "Fixed on the spot"),
}
UNIT_LABELS = {
    "findings": _lp("ledger filter", "One row per finding"),
    "results": _lp("ledger filter", "One row per check result"),
}
INSPECTION_ROLES = frozenset({"discipline", "admin", "inspector", "leader"})


def _is_english() -> bool:
    locale = get_locale()
    return locale is not None and str(locale).startswith("en")


def _names(session, user_ids) -> dict[int, str]:
    return user_names(session, user_ids)


# --- inspection ledger (巡查台账) ------------------------------------------------------------


def _findings_stmt_for_ledger(session, user, filters) -> sa.Select:
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    window, staff = aliased(Window), aliased(StaffMember)
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


def _inspections_stmt_for_results(session, user, filters) -> sa.Select:
    """The submitted inspections of the period in scope: (submitted_at, id), the keys the
    results are walked by."""
    start, end = utc_bounds(filters["date_from"], filters["date_to"])
    stmt = (
        sa.select(Inspection.submitted_at.label("k1"), Inspection.id.label("k2"))
        .where(Inspection.status == "submitted")
        .where(Inspection.submitted_at >= start, Inspection.submitted_at < end)
        .where(scope_clause(user, Inspection.site_id, session))
        .where(site_clause(filters, Inspection.site_id))
    )
    if filters.get("kind"):
        stmt = stmt.where(Inspection.kind.in_(filters["kind"]))
    return stmt


def _stored_results_stmt(filters) -> sa.Select:
    """The stored check results (every result but a derived pass), for counting."""
    stmt = (
        sa.select(CheckResult.id)
        .join(CheckItemVersion, CheckItemVersion.id == CheckResult.item_version_id)
        .join(CheckItem, CheckItem.id == CheckItemVersion.item_id)
    )
    if filters.get("result"):
        stmt = stmt.where(CheckResult.result.in_(filters["result"]))
    if filters.get("category"):
        stmt = stmt.where(CheckItem.category.in_(filters["category"]))
    if filters.get("severity"):
        stmt = stmt.where(CheckResult.severity.in_(filters["severity"]))
    if filters.get("staff"):
        stmt = stmt.where(CheckResult.staff_member_id.in_(filters["staff"]))
    return stmt


def _result_count(session, user, filters) -> int:
    """How many rows the per-result ledger has: the stored results of the period's inspections
    plus the passes their rosters stand for (summed in SQL; counted one by one only when a
    category, severity or staff filter applies to them)."""
    inspection_ids = sa.select(
        _inspections_stmt_for_results(session, user, filters).subquery().c.k2
    )
    stored = count_of(
        session, _stored_results_stmt(filters).where(CheckResult.inspection_id.in_(inspection_ids))
    )
    if filters.get("result") and "pass" not in filters["result"]:
        return stored
    if not any(filters.get(key) for key in ("category", "severity", "staff")):
        return stored + derived_pass_count(session, inspection_ids)
    only_derived = dict(filters, result=["pass"])
    derived = sum(
        1 for page in _result_pages(session, user, only_derived) for row in page if row[-1] is None
    )
    return stored + derived


def _result_pages(session, user, filters, inspections_per_page: int = 20):
    """Check results in date order: the period's inspections walked by (submitted_at, id), a
    few at a time, and each batch's results listed in order (`check_results.results_of`: the
    stored rows and the passes each roster stands for). Only one batch is held at a time."""
    parents = _inspections_stmt_for_results(session, user, filters)
    keys = (parents.selected_columns.k1, parents.selected_columns.k2)
    batch: list[int] = []
    for _at, inspection_id in keyset_stream(session, parents, keys, batch_size=500):
        batch.append(inspection_id)
        if len(batch) == inspections_per_page:
            yield _results_of(session, filters, batch)
            batch = []
    if batch:
        yield _results_of(session, filters, batch)


def _keeps(filters, facts):
    """The ledger's result filters as a test on one listed result."""
    results = set(filters.get("result") or ())
    categories = set(filters.get("category") or ())
    severities = set(filters.get("severity") or ())
    staff = set(filters.get("staff") or ())

    def keep(row) -> bool:
        return (
            (not results or row.result in results)
            and (not categories or facts[row.item_version_id][2] in categories)
            and (not severities or row.severity in severities)
            and (not staff or row.staff_member_id in staff)
        )

    return keep


def _results_of(session, filters, inspection_ids) -> list:
    """The rows of a batch of inspections: (submitted_at, site, kind, inspector id, window,
    staff, category, text_zh, text_en, result, severity, reason, note, inspection id,
    submitted_at, check result id or None for a derived pass)."""
    heads = session.execute(
        sa.select(
            Inspection.id,
            Inspection.submitted_at,
            Site.name,
            Inspection.kind,
            Inspection.inspector_id,
        )
        .join(Site, Site.id == Inspection.site_id)
        .where(Inspection.id.in_(inspection_ids))
        .order_by(Inspection.submitted_at, Inspection.id)
    ).all()
    listed, facts = results_of(session, [h[0] for h in heads])
    keep = _keeps(filters, facts)
    picked = [(head, row) for head in heads for row in listed[head[0]] if keep(row)]
    window_ids = {row.window_id for _h, row in picked if row.window_id is not None}
    staff_ids = {row.staff_member_id for _h, row in picked if row.staff_member_id is not None}
    windows = dict(
        session.execute(
            sa.select(Window.id, Window.code + " " + Window.name).where(Window.id.in_(window_ids))
        ).all()
        if window_ids
        else ()
    )
    staff = dict(
        session.execute(
            sa.select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(staff_ids))
        ).all()
        if staff_ids
        else ()
    )
    out = []
    for (inspection_id, at, site, kind, inspector_id), row in picked:
        fact = facts[row.item_version_id]
        out.append(
            (
                at,
                site,
                kind,
                inspector_id,
                windows.get(row.window_id),
                staff.get(row.staff_member_id),
                fact[2],
                fact[3],
                fact[4],
                row.result,
                row.severity,
                row.reason,
                row.note,
                inspection_id,
                at,
                row.result_id,
            )
        )
    return out


def _inspection_rows(session, user, filters):
    by_result = filters.get("unit") == "results"
    english = _is_english()
    photo_text = photo_lines("/photos")

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
        if by_result:
            stored = [r[-1] for r in rows if r[-1] is not None]
            photos: dict[int, list[tuple[str, int]]] = defaultdict(list)
            after = {
                photo_id
                for (photo_id,) in session.execute(
                    sa.select(RectificationEventPhoto.photo_id)
                    .join(Photo, Photo.id == RectificationEventPhoto.photo_id)
                    .where(Photo.check_result_id.in_(stored))
                )
            }
            for owner, photo_id in session.execute(
                sa.select(Photo.check_result_id, Photo.id)
                .where(Photo.check_result_id.in_(stored))
                .order_by(Photo.id)
            ):
                if photo_id not in after:
                    photos[owner].append(("problem", photo_id))
        else:
            photos = photos_by_finding(session, [r[-1] for r in rows])
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
                    photo_text(photos.get(r[-1])),
                    "；".join(
                        f"{names.get(u, '?')} {to_local(at):%Y-%m-%d %H:%M}" for u, at in signed
                    )
                    or None,
                )
            )
        return out

    if by_result:
        rows = (row for page in _result_pages(session, user, filters) for row in enrich(page))
    else:
        stmt = _findings_stmt_for_ledger(session, user, filters)
        keys = (stmt.selected_columns.k1, stmt.selected_columns.k2)
        rows = keyset_stream(session, stmt, keys, enrich=enrich)
    for n, row in enumerate(rows, 1):
        yield (n, *row)


def _inspection_count(session, user, filters) -> int:
    if filters.get("unit") == "results":
        return _result_count(session, user, filters)
    return count_of(session, _findings_stmt_for_ledger(session, user, filters))


INSPECTIONS = Ledger(
    code="inspections",
    title=_lp("ledger title", "Inspection ledger"),
    description=_lp(
        "ledger description", "Patrols and spot checks: one row per finding, or per check result."
    ),
    roles=INSPECTION_ROLES,
    columns=[
        Column("no", _lp("inspection ledger", "No."), "int", 5),
        Column("at", _lp("inspection ledger", "Date and time"), "datetime", 16),
        Column("site", _lp("inspection ledger", "Site"), "text", 14),
        Column("kind", _lp("inspection ledger", "Kind"), "enum", 8, choices=KIND_LABELS),
        Column("inspectors", _lp("inspection ledger", "Inspector(s)"), "text", 12),
        Column("window", _lp("inspection ledger", "Window"), "text", 12),
        Column("staff", _lp("inspection ledger", "Staff member"), "text", 9),
        Column(
            "category", _lp("inspection ledger", "Category"), "enum", 9, choices=CATEGORY_LABELS
        ),
        Column("item", _lp("inspection ledger", "Check item"), "user_text", 26),
        Column("result", _lp("inspection ledger", "Result"), "enum", 7, choices=RESULT_LABELS),
        Column(
            "severity", _lp("inspection ledger", "Severity"), "enum", 7, choices=SEVERITY_LABELS
        ),
        Column("reason", _lp("inspection ledger", "Reason given"), "user_text", 16),
        Column("note", _lp("inspection ledger", "Inspector's note"), "user_text", 28),
        Column(
            "photos",
            _lp("inspection ledger", "Photos (problem, on-the-spot fix, response)"),
            "link",
            30,
        ),
        Column(
            "signatures",
            _lp("inspection ledger", "Signed by (spot checks), with the time"),
            "text",
            28,
        ),
    ],
    rows=_inspection_rows,
    count=_inspection_count,
    filters=[
        FilterField(
            "unit", _lp("ledger filter", "One row per"), "one", UNIT_LABELS, default="findings"
        ),
        FilterField("kind", _lp("ledger filter", "Kind"), "choice", KIND_LABELS),
        FilterField("category", _lp("ledger filter", "Category"), "choice", CATEGORY_LABELS),
        FilterField("severity", _lp("ledger filter", "Severity"), "choice", SEVERITY_LABELS),
        FilterField("result", _lp("ledger filter", "Result"), "choice", RESULT_LABELS),
        FilterField("staff", _lp("ledger filter", "Staff numbers"), "staff"),
    ],
    date_label=_lp("ledger dates", "the time of the finding or of the submitted inspection"),
    order=10,
)


def init_app(app) -> None:
    """Register this package's ledgers and summary figures with compliance.ledgers."""
    ledger_audit.register(app)
    register_ledger(app, INSPECTIONS)
    register_figures(app, CATEGORY_LABELS)
