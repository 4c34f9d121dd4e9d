"""Sites (a tree of centres, halls and stations), their windows, and posts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...audit import record
from ...domain import N_ as _
from ...domain import ConflictError, DomainError
from ...models import (
    SITE_KINDS,
    Post,
    Site,
    User,
    Window,
)
from .common import (
    SITE_RANK,
    _changed,
    _check_code,
    _insert,
    _optional,
    _require,
    logger,
)

# --------------------------------------------------------------------------- sites


def _coordinates(latitude: Any, longitude: Any) -> tuple[float | None, float | None]:
    """Both coordinates (WGS-84 degrees) or neither; raises DomainError otherwise."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        missing = "latitude" if latitude in (None, "") else "longitude"
        raise DomainError(
            "org.site_coordinates_pair",
            _("Give both the latitude and the longitude, or neither."),
            field=missing,
        )
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise DomainError(
            "org.site_coordinates_number",
            _("Coordinates are decimal degrees, e.g. 30.5702 and 104.2521."),
            field="latitude",
        ) from None
    if not -90 <= lat <= 90:
        raise DomainError(
            "org.site_latitude_range",
            _("The latitude must be between -90 and 90."),
            field="latitude",
        )
    if not -180 <= lon <= 180:
        raise DomainError(
            "org.site_longitude_range",
            _("The longitude must be between -180 and 180."),
            field="longitude",
        )
    return round(lat, 7), round(lon, 7)


def _check_site_parent(
    session: Session, site: Site | None, kind: str, parent_id: int | None
) -> None:
    if kind not in SITE_KINDS:
        raise DomainError("org.unknown_kind_site", _("Unknown kind of site."), field="kind")
    if parent_id is None:
        return
    parent = session.get(Site, parent_id)
    if parent is None:
        raise DomainError(
            "org.parent_site_unknown", _("The parent site does not exist."), field="parent_id"
        )
    if site is not None and site.id is not None:
        # Walk up from the new parent: meeting the site itself would close a loop.
        seen: set[int] = set()
        node: Site | None = parent
        while node is not None and node.id not in seen:
            if node.id == site.id:
                raise DomainError(
                    "org.site_cycle",
                    _("A site cannot be placed under itself or one of its own sub-sites."),
                    field="parent_id",
                )
            seen.add(node.id)
            node = node.parent
    if SITE_RANK[parent.kind] >= SITE_RANK[kind]:
        raise DomainError(
            "org.site_kind_order",
            _(
                "This kind of site cannot be placed under that parent: a centre is at the top, "
                "halls below centres, stations below centres or halls."
            ),
            field="parent_id",
        )


def create_site(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name: str,
    kind: str = "centre",
    parent_id: int | None = None,
    address: str | None = None,
    timezone: str = "Asia/Shanghai",
    is_active: bool = True,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Site:
    """Create a site. Raises DomainError (bad or duplicate code, unknown parent, wrong tree order,
    only one coordinate or one out of range)."""
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Site.id).where(Site.code == code)):
        raise ConflictError(
            "org.site_code_exists",
            _("A site with code %(code)s already exists."),
            field="code",
            code=code,
        )
    _check_site_parent(session, None, kind, parent_id)
    latitude, longitude = _coordinates(latitude, longitude)
    site = Site(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent_id,
        address=_optional(address),
        timezone=timezone or "Asia/Shanghai",
        is_active=is_active,
        latitude=latitude,
        longitude=longitude,
    )
    _insert(session, site, _("A site with code %(code)s already exists."), "code", code=code)
    record(session, actor, "site.create", site)
    logger.info("site %s created", site.id)
    return site


def update_site(session: Session, actor: User | None, site: Site, **values: Any) -> Site:
    """Change a site (code, name, kind, parent_id, address, timezone, is_active, latitude,
    longitude).

    Raises DomainError: duplicate code, a parent that is the site itself or below it, a kind that
    does not fit the tree (centre > hall > station), only one coordinate or one out of range.
    """
    allowed = {
        "code",
        "name",
        "kind",
        "parent_id",
        "address",
        "timezone",
        "is_active",
        "latitude",
        "longitude",
    }
    unknown = set(values) - allowed
    if unknown:
        raise DomainError(
            "org.unknown_field_name",
            _("Unknown field: %(name)s"),
            field=sorted(unknown)[0],
            name=sorted(unknown)[0],
        )
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
        if session.scalar(
            sa.select(Site.id).where(Site.code == values["code"], Site.id != site.id)
        ):
            raise ConflictError(
                "org.site_code_exists",
                _("A site with code %(code)s already exists."),
                field="code",
                code=values["code"],
            )
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    if "address" in values:
        values["address"] = _optional(values["address"])
    if "latitude" in values or "longitude" in values:
        values["latitude"], values["longitude"] = _coordinates(
            values.get("latitude", site.latitude), values.get("longitude", site.longitude)
        )
    kind = values.get("kind", site.kind)
    parent_id = values.get("parent_id", site.parent_id)
    _check_site_parent(session, site, kind, parent_id)
    if "kind" in values:
        child_kinds = session.scalars(sa.select(Site.kind).where(Site.parent_id == site.id)).all()
        if any(SITE_RANK[c] <= SITE_RANK[kind] for c in child_kinds):
            raise DomainError(
                "org.kind_does_not_fit",
                _("This kind does not fit the sites below this one."),
                field="kind",
            )
    before = _changed(site, values)
    if before:
        session.flush()
        record(session, actor, "site.update", site, before=before)
    return site


# --------------------------------------------------------------------------- windows


def create_window(
    session: Session,
    actor: User | None,
    *,
    site_id: int,
    code: str,
    name: str,
    is_active: bool = True,
) -> Window:
    """Create a window at a site. Raises DomainError (unknown site, duplicate code at the site)."""
    if session.get(Site, site_id) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Window.id).where(Window.site_id == site_id, Window.code == code)):
        raise ConflictError(
            "org.window_code_exists",
            _("This site already has a window %(code)s."),
            field="code",
            code=code,
        )
    window = Window(site_id=site_id, code=code, name=name, is_active=is_active)
    _insert(session, window, _("This site already has a window %(code)s."), "code", code=code)
    record(session, actor, "window.create", window)
    return window


def update_window(session: Session, actor: User | None, window: Window, **values: Any) -> Window:
    """Change a window (site_id, code, name, is_active). Raises DomainError like create_window."""
    site_id = values.get("site_id", window.site_id)
    if site_id != window.site_id and session.get(Site, site_id) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    code = values.get("code", window.code)
    if session.scalar(
        sa.select(Window.id).where(
            Window.site_id == site_id, Window.code == code, Window.id != window.id
        )
    ):
        raise ConflictError(
            "org.window_code_exists",
            _("This site already has a window %(code)s."),
            field="code",
            code=code,
        )
    before = _changed(
        window, {k: v for k, v in values.items() if k in {"site_id", "code", "name", "is_active"}}
    )
    if before:
        session.flush()
        record(session, actor, "window.update", window, before=before)
    return window


# --------------------------------------------------------------------------- posts


def create_post(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name: str,
    is_key: bool = False,
    description: str | None = None,
) -> Post:
    """Create a post. Raises DomainError (bad or duplicate code, missing name)."""
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Post.id).where(Post.code == code)):
        raise ConflictError(
            "org.post_code_exists",
            _("A post with code %(code)s already exists."),
            field="code",
            code=code,
        )
    post = Post(code=code, name=name, is_key=is_key, description=_optional(description))
    _insert(session, post, _("A post with code %(code)s already exists."), "code", code=code)
    record(session, actor, "post.create", post)
    return post


def update_post(session: Session, actor: User | None, post: Post, **values: Any) -> Post:
    """Change a post (code, name, is_key, description). Raises DomainError like create_post."""
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
        if session.scalar(
            sa.select(Post.id).where(Post.code == values["code"], Post.id != post.id)
        ):
            raise ConflictError(
                "org.post_code_exists",
                _("A post with code %(code)s already exists."),
                field="code",
                code=values["code"],
            )
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    if "description" in values:
        values["description"] = _optional(values["description"])
    before = _changed(
        post, {k: v for k, v in values.items() if k in {"code", "name", "is_key", "description"}}
    )
    if before:
        session.flush()
        record(session, actor, "post.update", post, before=before)
    return post
