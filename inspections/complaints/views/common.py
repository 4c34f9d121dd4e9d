"""The complaints blueprint and what its pages share: labels, loading a record the user may read
(404 otherwise), choices for the forms, query-string helpers."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import scope_filter, sites_in_scope
from compliance.db import db
from compliance.integers import parse_id, required_version
from compliance.models import StaffMember, Window

from ...models import CheckItem, CheckItemVersion
from .. import services as svc
from ..forms import (
    KIND_LABELS,
    METHOD_LABELS,
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUBJECT_LABELS,
)
from ..models import ConductRecord

bp = Blueprint("complaints", __name__)
PER_PAGE = 30


@bp.app_context_processor
def _labels():
    return {
        "complaint_labels": {
            "kind": KIND_LABELS,
            "source": SOURCE_LABELS,
            "subject": SUBJECT_LABELS,
            "status": STATUS_LABELS,
            "outcome": OUTCOME_LABELS,
            "method": METHOD_LABELS,
            "severity": SEVERITY_LABELS,
        }
    }


def load_row(record_id: int) -> ConductRecord:
    row = db.session.get(ConductRecord, record_id)
    if row is None or not svc.can_view(current_user, row, db.session):
        abort(404)
    return row


def int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


def date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def choice_arg(name: str, choices) -> str | None:
    value = request.args.get(name) or None
    return value if value in choices else None


def version_of(form) -> int:
    """The version the form carried (a missing or malformed one is refused: 400)."""
    return required_version(form.version.data)


def staff_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(
        sa.select(StaffMember)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.name)
    )
    return [(s.id, f"{s.name} ({s.staff_no})") for s in rows]


def window_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(
        sa.select(Window)
        .options(selectinload(Window.site))
        .where(Window.is_active.is_(True), scope_filter(current_user, Window.site_id))
        .order_by(Window.site_id, Window.code)
    )
    return [(w.id, f"{w.site.name} · {w.code} {w.name}") for w in rows]


def site_choices() -> list[tuple[int, str]]:
    return [(s.id, f"{s.code} {s.name}") for s in sites_in_scope(current_user)]


def _lang() -> str:
    return str(get_locale() or "zh")


def category_choices() -> list[tuple[int, str]]:
    lang = _lang()
    out = []
    for c in svc.active_categories(db.session):
        mark = " ★" if c.is_integrity else ""
        out.append((c.id, f"{c.name(lang)}{mark}"))
    return out


def item_choices() -> list[tuple[int, str]]:
    lang = _lang()
    rows = db.session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .where(CheckItem.is_active.is_(True))
        .order_by(CheckItem.code)
    ).all()
    return [(i.id, f"{i.code} {v.text(lang)}") for i, v in rows]
