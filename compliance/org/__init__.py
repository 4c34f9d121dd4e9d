"""Organisation: sites, windows, posts, staff members, assignments and leave."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the organisation pages and API."""
