"""Pages of the training package, one module per concern on the one blueprint `training`:
courses, sessions and attendance, onboarding plans and templates, mentor pairings with their
sign-off, shadow logs, and people's training records; plus the dashboard panels."""

from __future__ import annotations

from . import courses, dashboards, onboarding, pairings, records, sessions, shadow_logs  # noqa: F401
from .common import bp
from .panels import render_hr_panel, render_staff_panel

__all__ = ["bp", "dashboards", "render_hr_panel", "render_staff_panel"]
