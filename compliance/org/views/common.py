"""Shared parts of the organisation pages: the blueprint, roles, paging, filters and choices."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...access import get_in_scope_or_404, in_scope, scope_filter, scope_ids, site_tree_ids
from ...db import db
from ...integers import parse_int
from ...models import Assignment, Leave, Post, Site, StaffMember, Window
from ...pagination import Page
from .. import services
from ..forms import (
    CONFLICT_KIND_LABELS,
    SITE_KIND_LABELS,
    STATUS_LABELS,
)

bp = Blueprint("org", __name__, url_prefix="/org")

READ = ("admin", "hr", "discipline", "inspector", "leader")
HR = ("admin", "hr")
ADMIN = ("admin",)
PER_PAGE = 25
NEW_STAFF_DAYS = 90


# --------------------------------------------------------------------------- helpers


def paginate(stmt: sa.Select, *, scalars: bool = True, per_page: int = PER_PAGE) -> Page:
    """Count, then fetch one page of `stmt` (two queries)."""
    page = max(1, _arg_int("page") or 1)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, page, per_page, total or 0)


def _arg_int(name: str) -> int | None:
    return parse_int(request.args.get(name, ""))


def _arg_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scope() -> set[int] | None:
    return scope_ids(current_user)


def _sites_in_scope() -> list[Site]:
    return list(
        db.session.scalars(
            sa.select(Site).where(scope_filter(current_user, Site.id)).order_by(Site.code)
        )
    )


def _site_choices(blank: str | None = None) -> list[tuple[int, str]]:
    choices = [(s.id, f"{s.code} {s.name}") for s in _sites_in_scope()]
    return ([(0, blank)] if blank is not None else []) + choices


def _window_choices(blank: str, keep_id: int | None = None) -> list[tuple[int, str]]:
    """Windows in use at sites in scope (plus `keep_id`, the one already chosen on an edit)."""
    rows = db.session.execute(
        sa.select(Window.id, Window.code, Window.name, Site.code)
        .join(Site, Site.id == Window.site_id)
        .where(
            scope_filter(current_user, Window.site_id),
            sa.or_(Window.is_active.is_(True), Window.id == (keep_id or 0)),
        )
        .order_by(Site.code, Window.code)
    ).all()
    return [(0, blank)] + [(wid, f"{scode} · {code} {name}") for wid, code, name, scode in rows]


def _post_choices(blank: str | None = None) -> list[tuple[int, str]]:
    posts = db.session.scalars(sa.select(Post).order_by(Post.code))
    choices = [(p.id, f"{p.code} {p.name}" + (" ★" if p.is_key else "")) for p in posts]
    return ([(0, blank)] if blank is not None else []) + choices


def _site_filter_ids(site_id: int | None) -> set[int] | None:
    """The chosen site and its sub-sites, limited to the user's scope (None = no filter)."""
    if not site_id:
        return None
    ids = site_tree_ids(db.session, [site_id])
    scope = _scope()
    return ids if scope is None else ids & scope


def _staff_or_404(staff_id: int) -> StaffMember:
    return get_in_scope_or_404(StaffMember, staff_id)


def _staff_from_number(form, field_name: str) -> StaffMember | None:
    field = getattr(form, field_name)
    member = services.staff_by_no(db.session, field.data or "")
    if member is None or not in_scope(current_user, member.site_id):
        field.errors = list(field.errors or []) + [
            _("No staff member with this number in your sites.")
        ]
        return None
    return member


def _can(*roles: str) -> bool:
    return current_user.has_role(*roles)


@bp.app_context_processor
def _org_context() -> dict[str, Any]:
    return {
        "org_can": _can,
        "site_kind_label": lambda k: SITE_KIND_LABELS.get(k, k),
        "staff_status_label": lambda s: STATUS_LABELS.get(s, s),
        "conflict_kind_label": lambda k: CONFLICT_KIND_LABELS.get(k, k),
    }


def _render_form(
    form, title: str, cancel: str, *, enctype: str | None = None, note: str | None = None
):
    return render_template(
        "org/form.html", form=form, title=title, cancel=cancel, enctype=enctype, note=note
    )


def _on_leave_on(day: date):
    return (
        sa.exists()
        .where(
            Leave.staff_member_id == StaffMember.id, Leave.starts_on <= day, Leave.ends_on >= day
        )
        .correlate(StaffMember)
    )


def _no_current_assignment():
    return ~sa.exists().where(
        Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)
    ).correlate(StaffMember)
