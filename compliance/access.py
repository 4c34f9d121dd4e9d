"""Access rules: role decorators for the coarse check and scope helpers for the fine one.

A signed-in user without the role gets 403; an object outside their scope gets 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user, login_required

from .db import db
from .models import Site, User


def roles_required(*roles: str) -> Callable:
    """Require sign-in and at least one of `roles`; records the roles on the view for tests."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = set(roles)
        return login_required(wrapped)

    return decorator


def site_tree_ids(session, root_ids: Iterable[int]) -> set[int]:
    """The given sites and every site below them."""
    rows = session.execute(sa.select(Site.id, Site.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for site_id, parent_id in rows:
        children.setdefault(parent_id, []).append(site_id)
    result: set[int] = set()
    stack = list(root_ids)
    while stack:
        site_id = stack.pop()
        if site_id in result:
            continue
        result.add(site_id)
        stack.extend(children.get(site_id, []))
    return result


def scope_ids(user: User, session=None) -> set[int] | None:
    """Site ids the user may see (their sites and everything below them); None means all sites."""
    if user.all_sites:
        return None
    session = session or db.session
    cache = g.setdefault("_scope_cache", {}) if _has_app_ctx() else {}
    key = user.id
    if key not in cache:
        cache[key] = site_tree_ids(session, user.scope_site_ids)
    return cache[key]


def _has_app_ctx() -> bool:
    from flask import has_app_context

    return has_app_context()


def in_scope(user: User, site_id: int | None, session=None) -> bool:
    ids = scope_ids(user, session)
    return ids is None or site_id in ids


def scope_filter(user: User, column, session=None):
    """A WHERE clause limiting `column` (a site id column) to the user's scope."""
    ids = scope_ids(user, session)
    if ids is None:
        return sa.true()
    return column.in_(ids) if ids else sa.false()


def get_in_scope_or_404(model, object_id, site_id_of: Callable | None = None, user=None):
    """Load `model` by id; 404 when missing or when its site is outside the user's scope."""
    user = user or current_user
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    site_id = site_id_of(obj) if site_id_of else getattr(obj, "site_id", None)
    if site_id is not None and not in_scope(user, site_id):
        abort(404)
    return obj


def sites_in_scope(user: User, session=None) -> list[Site]:
    session = session or db.session
    return list(
        session.scalars(
            sa.select(Site).where(scope_filter(user, Site.id, session)).order_by(Site.code)
        )
    )
