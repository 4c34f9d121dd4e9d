"""The rectification blueprint and what its pages share: labels for the templates, the answer to
a write conflict on SQLite, reading filters from the query string, loading a rectification the
user may see."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import scope_filter
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import ROLES, StaffMember

from ...models import CATEGORIES, SEVERITIES
from .. import services as svc
from ..forms import (
    CATEGORY_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
)
from ..models import STATUSES, Rectification

logger = logging.getLogger(__name__)

bp = Blueprint("rectification", __name__)

# Pages every signed-in user may open (what they then see follows `svc.can_view`).
ANY_ROLE = ROLES
PER_PAGE = 30


@bp.app_context_processor
def _labels():
    return {
        "rect_labels": {
            "severity": SEVERITY_LABELS,
            "category": CATEGORY_LABELS,
            "status": STATUS_LABELS,
            "source": SOURCE_LABELS,
            "kind": KIND_LABELS,
            "event": EVENT_LABELS,
            "outcome": OUTCOME_LABELS,
            "level": LEVEL_LABELS,
        }
    }


@bp.errorhandler(sa.exc.OperationalError)
def _write_conflict(error):
    """On SQLite a request whose snapshot another writer overtook cannot write ("database is
    locked"): for these pages that is the same race as a changed version, so say so. The unit
    of work has already rolled the request back when this runs."""
    if db.engine.dialect.name != "sqlite" or "locked" not in str(error.orig):
        raise error
    logger.info("write conflict on %s", request.path)
    return render_template(
        "errors/error.html",
        status=409,
        title=_("Please reload"),
        message=svc.changed().translated(),
    ), 409


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


def filters_from_args() -> svc.Filters:
    return svc.Filters(
        status=choice_arg("status", (*STATUSES, "open")),
        overdue=request.args.get("overdue") in ("1", "on", "true", "y"),
        site_id=int_arg("site"),
        category=choice_arg("category", CATEGORIES),
        severity=choice_arg("severity", SEVERITIES),
        responsible_staff_id=int_arg("responsible"),
        date_from=date_arg("from"),
        date_to=date_arg("to"),
        source=choice_arg("source", ("finding", "complaint")),
    )


def load_rect(rect_id: int) -> Rectification:
    """The rectification, or 404 when it does not exist or the user may not see it."""
    rect = db.session.get(Rectification, rect_id)
    if rect is None or not svc.can_view(current_user, rect, db.session):
        abort(404)
    return rect


def form_errors(form) -> None:
    for name, errors in form.errors.items():
        if name == "version":
            flash(errors[0], "danger")
            continue
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for e in errors:
            flash(f"{label}: {e}", "danger")


def staff_choices(site_id: int | None = None, blank: str | None = None) -> list[tuple[int, str]]:
    query = (
        sa.select(StaffMember)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.name)
    )
    if site_id:
        query = query.where(StaffMember.site_id == site_id)
    choices = [(s.id, f"{s.name} ({s.staff_no})") for s in db.session.scalars(query)]
    return ([(0, blank)] if blank is not None else []) + choices
