"""Administration of user accounts."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the user administration pages."""
