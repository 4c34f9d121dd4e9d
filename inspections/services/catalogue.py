"""The checklist catalogue: items and their versions. Editing an item adds a version; past
results keep pointing at the version they were checked against."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.domain import N_, InvalidError
from compliance.models import User

from ..models import CATEGORIES, SEVERITIES, TARGETS, CheckItem, CheckItemVersion


def create_check_item(
    session: Session,
    actor: User | None,
    *,
    code: str,
    category: str,
    target: str,
    text_zh: str,
    text_en: str,
    severity: str,
    points: int,
    photo_required: bool = False,
    sort_order: int = 0,
    is_integrity: bool = False,
) -> CheckItem:
    """Add an item with its first version. `is_integrity` marks an integrity item (廉政事项): its
    failures go to the discipline office as integrity cases. Raises InvalidError on a bad or
    duplicate value."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        raise InvalidError(
            "inspections.item_code_required",
            N_("A code of 1 to 16 characters is required."),
            field="code",
        )
    if category not in CATEGORIES:
        raise InvalidError(
            "inspections.item_unknown_category", N_("Unknown category."), field="category"
        )
    if target not in TARGETS:
        raise InvalidError("inspections.item_unknown_target", N_("Unknown target."), field="target")
    if session.scalar(sa.select(CheckItem.id).where(CheckItem.code == code)):
        raise InvalidError(
            "inspections.item_code_taken",
            N_("An item with code %(code)s already exists."),
            field="code",
            code=code,
        )
    item = CheckItem(
        code=code,
        category=category,
        target=target,
        sort_order=sort_order,
        is_integrity=bool(is_integrity),
    )
    session.add(item)
    session.flush()
    version = _new_version(
        session, actor, item, 1, text_zh, text_en, severity, points, photo_required
    )
    item.current_version = version
    session.flush()
    record(
        session,
        actor,
        "check_item.create",
        item,
        after={**snapshot(item), "version": snapshot(version)},
    )
    return item


def _new_version(
    session, actor, item, number, text_zh, text_en, severity, points, photo_required
) -> CheckItemVersion:
    text_zh, text_en = (text_zh or "").strip(), (text_en or "").strip()
    if not text_zh or not text_en:
        raise InvalidError(
            "inspections.item_text_required",
            N_("Both the Chinese and the English text are required."),
            field="text_zh",
        )
    if severity not in SEVERITIES:
        raise InvalidError(
            "inspections.item_unknown_severity", N_("Unknown severity."), field="severity"
        )
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise InvalidError(
            "inspections.item_points_not_integer",
            N_("Points must be a whole number."),
            field="points",
        ) from None
    if points < 0 or points > 100:
        raise InvalidError(
            "inspections.item_points_out_of_range",
            N_("Points must be between 0 and 100."),
            field="points",
        )
    version = CheckItemVersion(
        item_id=item.id,
        version=number,
        text_zh=text_zh[:200],
        text_en=text_en[:200],
        severity=severity,
        points=points,
        photo_required=bool(photo_required),
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(version)
    session.flush()
    return version


def update_check_item(
    session: Session,
    actor: User | None,
    item: CheckItem,
    *,
    text_zh: str,
    text_en: str,
    severity: str,
    points: int,
    photo_required: bool,
    is_active: bool | None = None,
    sort_order: int | None = None,
    is_integrity: bool | None = None,
) -> CheckItem:
    """Edit an item by adding a version; past results keep pointing at the old version (and
    past findings keep whether they went to the discipline office). Raises InvalidError on bad
    values."""
    current = item.current_version
    before = {**snapshot(item), "version": snapshot(current) if current else None}
    wording_changed = current is None or (
        (current.text_zh, current.text_en, current.severity, current.points, current.photo_required)
        != (
            (text_zh or "").strip(),
            (text_en or "").strip(),
            severity,
            int(points or 0),
            bool(photo_required),
        )
    )
    if wording_changed:
        number = (
            session.scalar(
                sa.select(sa.func.max(CheckItemVersion.version)).where(
                    CheckItemVersion.item_id == item.id
                )
            )
            or 0
        ) + 1
        item.current_version = _new_version(
            session, actor, item, number, text_zh, text_en, severity, points, photo_required
        )
    if is_active is not None:
        item.is_active = bool(is_active)
    if sort_order is not None:
        item.sort_order = int(sort_order)
    if is_integrity is not None:
        item.is_integrity = bool(is_integrity)
    session.flush()
    record(
        session,
        actor,
        "check_item.update",
        item,
        before=before,
        after={**snapshot(item), "version": snapshot(item.current_version)},
    )
    return item


def active_items(session: Session) -> list[tuple[CheckItem, CheckItemVersion]]:
    """Active items with their current versions, in catalogue order (one query)."""
    rows = session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .where(CheckItem.is_active.is_(True))
        .order_by(CheckItem.category, CheckItem.sort_order, CheckItem.code)
    ).all()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(
        ((i, v) for i, v in rows), key=lambda r: (order[r[0].category], r[0].sort_order, r[0].code)
    )
