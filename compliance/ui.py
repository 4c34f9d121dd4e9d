"""Registries that let feature packages add navigation entries and dashboard panels without the
core importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, url_for
from flask_login import current_user


@dataclass(order=True)
class NavItem:
    order: int
    endpoint: str = field(compare=False)
    label: object = field(compare=False)  # a lazy_gettext string
    roles: frozenset[str] | None = field(compare=False, default=None)
    icon: str = field(compare=False, default="")
    daily: frozenset[str] = field(compare=False, default=frozenset())


@dataclass(order=True)
class DashboardPanel:
    order: int
    render: Callable = field(compare=False)  # render(user) -> Markup | None
    roles: frozenset[str] | None = field(compare=False, default=None)


def _ext(app: Flask) -> dict:
    return app.extensions.setdefault("compliance_ui", {"nav": [], "panels": []})


def register_nav(
    app: Flask,
    endpoint: str,
    label,
    roles=None,
    order: int = 100,
    icon: str = "",
    daily=(),
) -> None:
    """A menu entry. `daily` names the roles that use it every day: on a phone their entries sit
    in the bottom bar (the rest one tap away under "More"); `icon` names the bar's icon
    (templates/macros/nav_icons.html)."""
    _ext(app)["nav"].append(
        NavItem(order, endpoint, label, frozenset(roles) if roles else None, icon, frozenset(daily))
    )


def register_dashboard_panel(app: Flask, render: Callable, roles=None, order: int = 100) -> None:
    _ext(app)["panels"].append(DashboardPanel(order, render, frozenset(roles) if roles else None))


def visible_nav() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for item in sorted(_ext(current_app)["nav"]):
        if item.roles is None or current_user.has_role(*item.roles):
            items.append(
                {
                    "url": url_for(item.endpoint),
                    "label": item.label,
                    "endpoint": item.endpoint,
                    "icon": item.icon,
                    "daily": bool(item.daily) and current_user.has_role(*item.daily),
                }
            )
    return items


# The phone's bottom bar: the dashboard, this many daily entries, then "More".
PHONE_BAR_ITEMS = 4


def phone_nav(items: list[dict] | None = None) -> dict:
    """The menu on a phone: `bar` (the user's daily entries, in menu order, at most
    PHONE_BAR_ITEMS) and `more` (everything else, daily entries that did not fit first)."""
    items = visible_nav() if items is None else items
    daily = [i for i in items if i["daily"]]
    bar = daily[:PHONE_BAR_ITEMS]
    overflow = daily[PHONE_BAR_ITEMS:]
    more = overflow + [i for i in items if not i["daily"]]
    return {"bar": bar, "more": more}


def dashboard_panels(user) -> list:
    rendered = []
    for panel in sorted(_ext(current_app)["panels"]):
        if panel.roles is None or user.has_role(*panel.roles):
            html = panel.render(user)
            if html:
                rendered.append(html)
    return rendered
