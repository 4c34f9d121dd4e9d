"""The inspections blueprint and what its pages share: role sets, query-string helpers, list
filters, the patrol drafts of a user and the photos of findings and failures."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from compliance.access import sites_in_scope
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import User

from ..forms import CATEGORY_LABELS, KIND_LABELS, SEVERITY_LABELS, TARGET_LABELS, inspector_choices
from ..models import (
    CATEGORIES,
    INSPECTION_KINDS,
    SEVERITIES,
    Inspection,
    InspectionInspector,
    Photo,
)

bp = Blueprint("inspections", __name__)
PER_PAGE = 30
ROUND_ROLES = ("inspector", "admin", "discipline")


@bp.app_context_processor
def _labels():
    return {
        "category_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "target_labels": TARGET_LABELS,
        "kind_labels": KIND_LABELS,
    }


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return parse_id(value)


def date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def page_arg() -> int:
    return max(1, int_arg("page") or 1)


def list_filters() -> dict:
    return {
        "site": int_arg("site"),
        "kind": request.args.get("kind", ""),
        "category": request.args.get("category", ""),
        "severity": request.args.get("severity", ""),
        "inspector": int_arg("inspector"),
        "staff": int_arg("staff"),
        "start": date_arg("start"),
        "end": date_arg("end"),
    }


def filter_choices() -> dict:
    return {
        "sites": sites_in_scope(current_user),
        "inspectors": inspector_choices(),
        "categories": CATEGORIES,
        "severities": SEVERITIES,
        "kinds": INSPECTION_KINDS,
    }


def my_open_rounds(user: User) -> list[Inspection]:
    """Drafts the user can work on: their own patrol rounds and the spot checks they were drawn
    for and have not signed yet."""
    team = sa.select(InspectionInspector.inspection_id).where(
        InspectionInspector.user_id == user.id, InspectionInspector.signed_at.is_(None)
    )
    unteamed = ~sa.exists().where(InspectionInspector.inspection_id == Inspection.id)
    return list(
        db.session.scalars(
            sa.select(Inspection)
            .options(
                joinedload(Inspection.site),
                joinedload(Inspection.target_window),
                joinedload(Inspection.target_staff),
            )
            .where(
                Inspection.status == "draft",
                sa.or_(
                    sa.and_(Inspection.inspector_id == user.id, unteamed),
                    Inspection.id.in_(team),
                ),
            )
            .order_by(Inspection.created_at.desc())
            .limit(50)
        )
    )


def photos_for(finding_ids=(), result_ids=()) -> dict:
    """Photos by ("f", finding id) and ("r", check result id), in one statement whatever the
    ids (a page's statement count must not depend on whether it has findings or failures)."""
    finding_ids, result_ids = set(finding_ids), set(result_ids)
    photos: dict = {}
    for p in db.session.scalars(
        sa.select(Photo)
        .where(
            sa.or_(
                Photo.finding_id.in_(finding_ids),
                Photo.check_result_id.in_(result_ids),
            )
        )
        .order_by(Photo.id)
    ):
        if p.finding_id in finding_ids:
            photos.setdefault(("f", p.finding_id), []).append(p)
        if p.check_result_id in result_ids:
            photos.setdefault(("r", p.check_result_id), []).append(p)
    return photos
