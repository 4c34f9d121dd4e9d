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


@dataclass(order=True)
class DashboardPanel:
    order: int
    render: Callable = field(compare=False)  # render(user) -> Markup | None
    roles: frozenset[str] | None = field(compare=False, default=None)


def _ext(app: Flask) -> dict:
    return app.extensions.setdefault("compliance_ui", {"nav": [], "panels": []})


def register_nav(
    app: Flask, endpoint: str, label, roles=None, order: int = 100, icon: str = ""
) -> None:
    _ext(app)["nav"].append(
        NavItem(order, endpoint, label, frozenset(roles) if roles else None, icon)
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
                }
            )
    return items


def dashboard_panels(user) -> list:
    rendered = []
    for panel in sorted(_ext(current_app)["panels"]):
        if panel.roles is None or user.has_role(*panel.roles):
            html = panel.render(user)
            if html:
                rendered.append(html)
    return rendered
