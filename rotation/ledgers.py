"""Excel ledgers (台账) of this package, declared once for the download page, API and CLI."""

from __future__ import annotations


def init_app(app) -> None:
    """Register this package's ledgers with compliance.ledgers."""
