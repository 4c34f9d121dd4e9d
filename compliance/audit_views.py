"""Pages to browse and filter the audit trail."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the audit trail pages."""
